//! Which candle device runs the networks: `auto`, `cpu`, `cuda[:N]` or `metal`.
//!
//! GPU back-ends exist only when Kith is built with the `cuda` or `metal` feature; asking for one that
//! is not built in says which feature to build with, rather than quietly falling back to the CPU.

use std::fmt;
use std::str::FromStr;

use candle_core::Device;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum DeviceChoice {
    /// The best device this build and machine offer.
    #[default]
    Auto,
    Cpu,
    Cuda(usize),
    Metal,
}

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("unknown device {0:?}: use auto, cpu, cuda, cuda:N or metal")]
    Unknown(String),
    #[error("this Kith was built without {name} support; rebuild with `cargo build --release --features {feature}`")]
    NotBuilt {
        name: &'static str,
        feature: &'static str,
    },
    // Not a `source`: the reason is part of the message, which `{:#}` would otherwise print twice.
    #[error("{name} device could not be opened: {reason}")]
    Unavailable {
        name: String,
        reason: candle_core::Error,
    },
}

impl FromStr for DeviceChoice {
    type Err = DeviceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "cuda" | "gpu" => Ok(Self::Cuda(0)),
            "metal" => Ok(Self::Metal),
            other => other
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(Self::Cuda)
                .ok_or_else(|| DeviceError::Unknown(s.to_string())),
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auto => write!(f, "auto"),
            Self::Cpu => write!(f, "cpu"),
            Self::Cuda(n) => write!(f, "cuda:{n}"),
            Self::Metal => write!(f, "metal"),
        }
    }
}

/// The back-ends compiled into this binary, for `--version` and the settings view.
pub fn compiled_backends() -> Vec<&'static str> {
    let mut backends = vec!["cpu"];
    if cfg!(feature = "cuda") {
        backends.push("cuda");
    }
    if cfg!(feature = "metal") {
        backends.push("metal");
    }
    backends
}

/// A GPU back-end as the settings view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    pub choice: DeviceChoice,
    pub name: &'static str,
    /// Built into this binary (the `cuda` / `metal` feature).
    pub compiled: bool,
    /// Why it cannot be used on this machine, if it cannot (not built in, no driver, no GPU).
    pub unavailable: Option<String>,
}

/// CUDA and Metal, each opened once to see whether it works here. Opening a GPU can take a moment
/// (driver initialisation): call this off the UI thread.
pub fn gpu_backends() -> Vec<Backend> {
    [
        (DeviceChoice::Cuda(0), "CUDA", cfg!(feature = "cuda")),
        (DeviceChoice::Metal, "Metal", cfg!(feature = "metal")),
    ]
    .into_iter()
    .map(|(choice, name, compiled)| Backend {
        choice,
        name,
        compiled,
        unavailable: open(choice).err().map(|err| err.to_string()),
    })
    .collect()
}

/// Opens the device for `choice`.
pub fn open(choice: DeviceChoice) -> Result<Device, DeviceError> {
    match choice {
        DeviceChoice::Cpu => Ok(Device::Cpu),
        DeviceChoice::Cuda(ordinal) => open_cuda(ordinal),
        DeviceChoice::Metal => open_metal(),
        DeviceChoice::Auto => {
            let device = usable_gpu(cfg!(feature = "cuda"), || open_cuda(0))
                .or_else(|| usable_gpu(cfg!(feature = "metal"), open_metal))
                .unwrap_or(Device::Cpu);
            tracing::info!(device = %describe(&device), "auto picked a device");
            Ok(device)
        }
    }
}

/// The GPU `open` gives, if its back-end is built in and works. A failure is logged: a GPU build
/// on a machine without a usable GPU still runs, slowly, and should say why.
fn usable_gpu(built: bool, open: impl FnOnce() -> Result<Device, DeviceError>) -> Option<Device> {
    if !built {
        return None;
    }
    open()
        .inspect_err(|err| tracing::warn!(%err, "GPU back-end built in but unusable"))
        .ok()
}

/// Faces the embedder takes per forward pass on `device`. On the CPU a batch of 16 amortises the
/// per-layer overhead (im2col set-up, thread dispatch) that dominates one chip at a time; a GPU
/// needs wide batches to keep its cores busy (the largest activation of 128 chips is about 90 MB).
pub fn embed_batch(device: &Device) -> usize {
    if device.is_cpu() {
        16
    } else {
        128
    }
}

/// A short name for logs and the UI.
pub fn describe(device: &Device) -> String {
    match device {
        Device::Cpu => "cpu".to_string(),
        Device::Cuda(_) => "cuda".to_string(),
        Device::Metal(_) => "metal".to_string(),
    }
}

fn open_cuda(ordinal: usize) -> Result<Device, DeviceError> {
    if !cfg!(feature = "cuda") {
        return Err(DeviceError::NotBuilt {
            name: "CUDA",
            feature: "cuda",
        });
    }
    Device::new_cuda(ordinal).map_err(|reason| DeviceError::Unavailable {
        name: format!("cuda:{ordinal}"),
        reason,
    })
}

fn open_metal() -> Result<Device, DeviceError> {
    if !cfg!(feature = "metal") {
        return Err(DeviceError::NotBuilt {
            name: "Metal",
            feature: "metal",
        });
    }
    Device::new_metal(0).map_err(|reason| DeviceError::Unavailable {
        name: "metal".to_string(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling() {
        assert_eq!(
            "auto".parse::<DeviceChoice>().ok(),
            Some(DeviceChoice::Auto)
        );
        assert_eq!("CPU".parse::<DeviceChoice>().ok(), Some(DeviceChoice::Cpu));
        assert_eq!(
            "cuda".parse::<DeviceChoice>().ok(),
            Some(DeviceChoice::Cuda(0))
        );
        assert_eq!(
            "cuda:2".parse::<DeviceChoice>().ok(),
            Some(DeviceChoice::Cuda(2))
        );
        assert!("cuda:x".parse::<DeviceChoice>().is_err());
        assert!("tpu".parse::<DeviceChoice>().is_err());
    }

    #[test]
    fn auto_always_gives_a_device() {
        assert!(open(DeviceChoice::Auto).is_ok());
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn a_gpu_not_built_in_is_listed_as_unavailable() {
        let cuda = gpu_backends()
            .into_iter()
            .find(|b| b.choice == DeviceChoice::Cuda(0))
            .expect("CUDA is listed");
        assert!(!cuda.compiled);
        assert!(cuda
            .unavailable
            .is_some_and(|why| why.contains("--features cuda")));
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_without_the_feature_names_the_feature() {
        let err = open(DeviceChoice::Cuda(0)).expect_err("not built in");
        assert!(err.to_string().contains("--features cuda"), "{err}");
    }
}
