//! Face vision: detection, alignment and embedding. Knows nothing of the catalog.

pub mod align;
pub mod analyzer;
pub mod batching;
mod conv;
pub mod detector;
pub mod device;
pub mod embedder;
mod input;
pub mod precision;

pub use analyzer::{FaceAnalyzer, LocatedFace};
pub use device::DeviceChoice;
pub use embedder::EMBEDDING_DIM;
pub use precision::Precision;

/// A face descriptor: a point where distance means "how different are these two people".
pub type Embedding = [f32; EMBEDDING_DIM];

/// Euclidean distance between two descriptors, the d(f(x1), f(x2)) of the Siamese formulation.
pub fn distance(a: &Embedding, b: &Embedding) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f32>()
        .sqrt()
}

#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    #[error(transparent)]
    Model(#[from] crate::models::ModelError),
    #[error("model card of {0} has an invalid config: {1}")]
    Config(&'static str, serde_json::Error),
    #[error("neural network failed: {0}")]
    Candle(#[from] candle_core::Error),
}
