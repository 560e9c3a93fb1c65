//! The adaptation head: a learned linear map on top of the frozen embedder, y = s · |x| · Wx/|Wx|.
//!
//! Starting from W = I, s = 1 the head is exactly the plain embedding, and training pulls W only as
//! far from I as the labels justify (the trainer adds ||W − I||² to the loss). The output keeps
//! each face's norm, so the head turns descriptors rather than shrinking the space. Turning still
//! changes the spread of distances, and the library's thresholds (tau, the clustering radius) are
//! calibrated for the plain embedder; so after training one scalar s is fitted ([`Head::calibrate`])
//! that puts the head's midpoint between typical same-person and different-person distances where
//! the plain embedder has it, on the training faces.
//!
//! Stored as safetensors: `weight` (dim × dim f32), `scale` (one f32), and metadata naming the
//! format.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};

use crate::vision::{distance, Embedding, EMBEDDING_DIM};

const FORMAT: &str = "kith-linear-head";

/// At most this many faces calibrate a head (their pairs are all compared).
pub const CALIBRATION_FACES: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    #[error("not a Kith head: {0}")]
    Malformed(String),
    #[error("cannot read or write the head: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("cannot write the head: {0}")]
    Serialize(#[from] safetensors::SafeTensorError),
    #[error("cannot write {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// A trained head, for applying to descriptors.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    /// W, row-major, EMBEDDING_DIM × EMBEDDING_DIM.
    weight: Vec<f32>,
    /// s: the calibration of distances (1 before calibration).
    scale: f32,
}

/// The head's forward pass on a batch `x` (n×d) with weight `w` (d×d): x Wᵀ, each row rescaled
/// to the norm of its input row. [`Head::apply`] computes the same, times the calibration s.
pub fn forward(w: &Tensor, x: &Tensor) -> candle_core::Result<Tensor> {
    let y = x.matmul(&w.t()?)?;
    let norm = |t: &Tensor| t.sqr()?.sum_keepdim(1)?.sqrt();
    // A tiny floor keeps a degenerate W (a row mapped to zero) from dividing by zero.
    let scale = norm(x)?.broadcast_div(&norm(&y)?.affine(1.0, 1e-12)?)?;
    y.broadcast_mul(&scale)
}

impl Head {
    /// The identity: the plain embedding.
    pub fn identity() -> Self {
        let mut weight = vec![0.0; EMBEDDING_DIM * EMBEDDING_DIM];
        for i in 0..EMBEDDING_DIM {
            weight[i * EMBEDDING_DIM + i] = 1.0;
        }
        Self { weight, scale: 1.0 }
    }

    /// A head from a trained weight tensor (dim × dim), not yet calibrated.
    pub fn from_tensor(w: &Tensor) -> Result<Self, HeadError> {
        if w.dims() != [EMBEDDING_DIM, EMBEDDING_DIM] {
            return Err(HeadError::Malformed(format!(
                "weight is {:?}, expected {EMBEDDING_DIM}x{EMBEDDING_DIM}",
                w.dims()
            )));
        }
        let weight: Vec<f32> = w.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?;
        if weight.iter().any(|v| !v.is_finite()) {
            return Err(HeadError::Malformed("weight is not finite".into()));
        }
        Ok(Self { weight, scale: 1.0 })
    }

    /// Fits s on labelled descriptors (see the module comment): the midpoint of the mean
    /// same-person and mean different-person distances through the head is moved onto the plain
    /// embedding's. Up to [`CALIBRATION_FACES`] faces are used, evenly spread. Without pairs of
    /// both kinds the head stays as it is.
    pub fn calibrate(mut self, embeddings: &[Embedding], labels: &[usize]) -> Self {
        self.scale = 1.0;
        let step = embeddings.len().div_ceil(CALIBRATION_FACES).max(1);
        let picked: Vec<usize> = (0..embeddings.len()).step_by(step).collect();
        let through: Vec<Embedding> = picked.iter().map(|&i| self.apply(&embeddings[i])).collect();
        let midpoint = |points: &dyn Fn(usize) -> Embedding| -> Option<f64> {
            let (mut same, mut different) = ((0f64, 0usize), (0f64, 0usize));
            for a in 0..picked.len() {
                for b in a + 1..picked.len() {
                    let d = f64::from(distance(&points(a), &points(b)));
                    let slot = if labels[picked[a]] == labels[picked[b]] {
                        &mut same
                    } else {
                        &mut different
                    };
                    slot.0 += d;
                    slot.1 += 1;
                }
            }
            (same.1 > 0 && different.1 > 0)
                .then(|| (same.0 / same.1 as f64 + different.0 / different.1 as f64) / 2.0)
        };
        let plain = midpoint(&|a| embeddings[picked[a]]);
        let head = midpoint(&|a| through[a]);
        if let (Some(plain), Some(head)) = (plain, head) {
            if head > 0.0 {
                self.scale = (plain / head) as f32;
            }
        }
        self
    }

    /// The calibration s.
    pub fn scale(&self) -> f32 {
        self.scale
    }

    /// W as a tensor on `device`.
    pub fn tensor(&self, device: &Device) -> candle_core::Result<Tensor> {
        Tensor::from_slice(&self.weight, (EMBEDDING_DIM, EMBEDDING_DIM), device)
    }

    /// The descriptor through the head: W x, rescaled to |x|.
    pub fn apply(&self, x: &Embedding) -> Embedding {
        let mut y = [0f32; EMBEDDING_DIM];
        for (yi, row) in y.iter_mut().zip(self.weight.chunks_exact(EMBEDDING_DIM)) {
            *yi = row.iter().zip(x).map(|(w, v)| w * v).sum();
        }
        let norm = |v: &Embedding| v.iter().map(|a| a * a).sum::<f32>().sqrt();
        let scale = self.scale * norm(x) / (norm(&y) + 1e-12);
        y.map(|v| v * scale)
    }

    pub fn apply_all(&self, xs: &[Embedding]) -> Vec<Embedding> {
        xs.iter().map(|x| self.apply(x)).collect()
    }

    /// ||W − I||_F: how far training moved the head from the plain embedding.
    pub fn drift(&self) -> f32 {
        self.weight
            .iter()
            .enumerate()
            .map(|(k, w)| {
                let eye = if k / EMBEDDING_DIM == k % EMBEDDING_DIM {
                    1.0
                } else {
                    0.0
                };
                (w - eye) * (w - eye)
            })
            .sum::<f32>()
            .sqrt()
    }

    /// The safetensors bytes of the head.
    pub fn to_bytes(&self) -> Result<Vec<u8>, HeadError> {
        let w = self.tensor(&Device::Cpu)?;
        let s = Tensor::new(&[self.scale], &Device::Cpu)?;
        let metadata = HashMap::from([("format".to_string(), FORMAT.to_string())]);
        Ok(safetensors::serialize(
            [("scale", &s), ("weight", &w)],
            Some(metadata),
        )?)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, HeadError> {
        let (_, header) = safetensors::SafeTensors::read_metadata(bytes)
            .map_err(|e| HeadError::Malformed(e.to_string()))?;
        let format = header.metadata().as_ref().and_then(|m| m.get("format"));
        if format.map(String::as_str) != Some(FORMAT) {
            return Err(HeadError::Malformed(format!(
                "format is {format:?}, expected {FORMAT:?}"
            )));
        }
        let tensors = candle_core::safetensors::load_buffer(bytes, &Device::Cpu)?;
        let get = |name: &str| {
            tensors
                .get(name)
                .ok_or_else(|| HeadError::Malformed(format!("no tensor named {name}")))
        };
        let scale: Vec<f32> = get("scale")?
            .to_dtype(DType::F32)?
            .flatten_all()?
            .to_vec1()?;
        let scale = match scale.as_slice() {
            [s] if s.is_finite() && *s > 0.0 => *s,
            _ => return Err(HeadError::Malformed(format!("scale is {scale:?}"))),
        };
        Ok(Self {
            scale,
            ..Self::from_tensor(get("weight")?)?
        })
    }

    pub fn save(&self, path: &Path) -> Result<(), HeadError> {
        std::fs::write(path, self.to_bytes()?).map_err(|source| HeadError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    pub fn load(path: &Path) -> Result<Self, HeadError> {
        let bytes = std::fs::read(path).map_err(|source| HeadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(seed: u64) -> Embedding {
        let mut rng = crate::people::synthetic::SplitMix64::new(seed);
        std::array::from_fn(|_| rng.normal() as f32 * 0.1)
    }

    #[test]
    fn the_identity_is_the_plain_embedding() {
        let x = sample(1);
        let head = Head::identity();
        let y = head.apply(&x);
        assert!(x.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-6));
        assert_eq!(head.drift(), 0.0);
    }

    #[test]
    fn apply_keeps_the_norm_and_matches_the_forward_pass() {
        let mut weight = Head::identity().weight;
        let mut rng = crate::people::synthetic::SplitMix64::new(3);
        weight
            .iter_mut()
            .for_each(|w| *w += rng.normal() as f32 * 0.05);
        let head = Head { weight, scale: 1.0 };
        let xs = [sample(1), sample(2)];
        let ys = head.apply_all(&xs);
        let norm = |v: &Embedding| v.iter().map(|a| a * a).sum::<f32>().sqrt();
        for (x, y) in xs.iter().zip(&ys) {
            assert!((norm(x) - norm(y)).abs() < 1e-5);
        }
        let batch =
            Tensor::from_slice(xs.as_flattened(), (2, EMBEDDING_DIM), &Device::Cpu).expect("batch");
        let w = head.tensor(&Device::Cpu).expect("w");
        let out: Vec<Vec<f32>> = forward(&w, &batch)
            .expect("forward")
            .to_vec2()
            .expect("rows");
        for (row, y) in out.iter().zip(&ys) {
            assert!(row.iter().zip(y).all(|(a, b)| (a - b).abs() < 1e-5));
        }
        assert!(head.drift() > 0.0);
    }

    #[test]
    fn bytes_round_trip_and_foreign_files_are_refused() {
        let mut head = Head::identity();
        head.weight[5] = 0.25;
        head.scale = 1.5;
        let bytes = head.to_bytes().expect("bytes");
        assert_eq!(Head::from_bytes(&bytes).expect("read"), head);
        assert!(Head::from_bytes(b"not a head").is_err());
        let other = Tensor::zeros((2, 2), DType::F32, &Device::Cpu).expect("t");
        let foreign = safetensors::serialize([("weight", &other)], None).expect("bytes");
        assert!(Head::from_bytes(&foreign).is_err());
    }

    #[test]
    fn calibration_restores_the_plain_midpoint() {
        // Points of two persons; a head that shrinks the second coordinate changes the distances.
        let mut faces = Vec::new();
        let mut labels = Vec::new();
        for (p, centre) in [(0usize, 1.0f32), (1, -1.0)] {
            for k in 0..3 {
                let mut e = [0f32; EMBEDDING_DIM];
                e[0] = 2.0;
                e[1] = centre;
                e[2] = 0.1 * k as f32;
                faces.push(e);
                labels.push(p);
            }
        }
        let mut head = Head::identity();
        head.weight[EMBEDDING_DIM + 1] = 0.5;
        let mid = |points: &[Embedding]| {
            let (mut s, mut d) = (vec![], vec![]);
            for a in 0..points.len() {
                for b in a + 1..points.len() {
                    let x = distance(&points[a], &points[b]);
                    if labels[a] == labels[b] {
                        s.push(x)
                    } else {
                        d.push(x)
                    }
                }
            }
            let m = |v: &Vec<f32>| v.iter().sum::<f32>() / v.len() as f32;
            (m(&s) + m(&d)) / 2.0
        };
        let before = mid(&head.apply_all(&faces));
        let head = head.calibrate(&faces, &labels);
        let after = mid(&head.apply_all(&faces));
        assert!((before - mid(&faces)).abs() > 0.05);
        assert!(
            (after - mid(&faces)).abs() < 1e-4,
            "{after} vs {}",
            mid(&faces)
        );
        assert!(Head::identity().calibrate(&faces, &labels).scale() == 1.0);
    }
}
