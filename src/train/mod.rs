//! Learning: metric-learning losses, miners, a PK sampler and a training loop in candle, and what
//! Kith does with them: a small head on top of the frozen embedder, trained on a folder-per-person
//! dataset (`kith train`) or on the user's own decisions (`kith adapt`).
//!
//! - [`mining`]: which triplets a batch trains on (batch-all, batch-hard, semi-hard);
//! - [`losses`]: triplet, contrastive, softmax + center, binary Siamese, as autograd expressions;
//! - [`sampler`]: P identities × K faces per batch;
//! - [`head`]: the linear head (initialised to the identity, norm-preserving), safetensors I/O;
//! - [`dataset`]: labelled descriptors and their splits (unseen persons, held-out faces);
//! - [`trainer`]: the loop (optimiser, schedule, seed, checkpoints, progress callback);
//! - [`oneshot`]: train on some identities, measure on identities never seen (`kith train`);
//! - [`adapt`]: the user's labels -> a head, kept only if it does better on held-out faces;
//! - [`bench`]: training time on synthetic descriptors (`kith bench --train`).

pub mod adapt;
pub mod bench;
pub mod dataset;
pub mod head;
pub mod losses;
pub mod mining;
pub mod oneshot;
pub mod sampler;
pub mod trainer;

pub use dataset::LabelledFaces;
pub use head::Head;
pub use losses::{LossConfig, LossKind};
pub use trainer::{train, OptimiserKind, Progress, Schedule, TrainConfig, Trained};

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("not enough labelled faces: {0}")]
    NotEnoughData(String),
    #[error("training diverged (loss not finite) in epoch {epoch}, step {step}: lower the learning rate")]
    Diverged { epoch: usize, step: usize },
    #[error("training was cancelled")]
    Cancelled,
    #[error("training failed: {0}")]
    Candle(#[from] candle_core::Error),
    #[error(transparent)]
    Head(#[from] head::HeadError),
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    #[error("cannot write {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}
