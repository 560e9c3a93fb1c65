//! What this binary is: version, commit and compiled-in back-ends.

/// The git commit this binary was built from.
pub const GIT_COMMIT: &str = env!("KITH_GIT_COMMIT");

/// `--version` text: version, commit and the back-ends built in.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("KITH_GIT_COMMIT"),
    "; backends: cpu",
    cfg_feature_cuda!(),
    cfg_feature_metal!(),
    ")"
);

#[cfg(feature = "cuda")]
macro_rules! cfg_feature_cuda {
    () => {
        ", cuda"
    };
}
#[cfg(not(feature = "cuda"))]
macro_rules! cfg_feature_cuda {
    () => {
        ""
    };
}
#[cfg(feature = "metal")]
macro_rules! cfg_feature_metal {
    () => {
        ", metal"
    };
}
#[cfg(not(feature = "metal"))]
macro_rules! cfg_feature_metal {
    () => {
        ""
    };
}
use {cfg_feature_cuda, cfg_feature_metal};
