//! The metric-learning losses, each a candle expression over a batch of embeddings (one row per
//! face) and their identity labels, so that `backward()` gives the gradient of whatever produced
//! the embeddings.
//!
//! - [`triplet`]: FaceNet's triplet loss with batch-all, batch-hard or semi-hard mining;
//! - [`contrastive`]: Hadsell, Chopra and LeCun's contrastive loss with a margin;
//! - [`center`]: softmax cross-entropy plus Wen et al.'s center loss;
//! - [`siamese`]: the binary Siamese head sigmoid(w · |f1 − f2| + b) under binary cross-entropy.
//!
//! [`Objective`] puts them behind one interface for the trainer; two of them bring parameters of
//! their own (a classifier, a verification head), which train with the embedding and are dropped
//! afterwards.

pub mod center;
pub mod contrastive;
pub mod siamese;
pub mod triplet;

use std::fmt;
use std::str::FromStr;

use candle_core::{Result, Tensor, Var};

use super::mining::Mining;

/// Which loss to train with, by the names the command line uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossKind {
    TripletBatchHard,
    TripletBatchAll,
    TripletSemiHard,
    Contrastive,
    Center,
    Siamese,
}

impl LossKind {
    pub const ALL: [LossKind; 6] = [
        LossKind::TripletBatchHard,
        LossKind::TripletBatchAll,
        LossKind::TripletSemiHard,
        LossKind::Contrastive,
        LossKind::Center,
        LossKind::Siamese,
    ];

    pub fn name(self) -> &'static str {
        match self {
            LossKind::TripletBatchHard => "triplet-batch-hard",
            LossKind::TripletBatchAll => "triplet-batch-all",
            LossKind::TripletSemiHard => "triplet-semi-hard",
            LossKind::Contrastive => "contrastive",
            LossKind::Center => "center",
            LossKind::Siamese => "siamese",
        }
    }

    /// The miner of a triplet loss.
    pub fn mining(self) -> Option<Mining> {
        match self {
            LossKind::TripletBatchHard => Some(Mining::BatchHard),
            LossKind::TripletBatchAll => Some(Mining::BatchAll),
            LossKind::TripletSemiHard => Some(Mining::SemiHard),
            _ => None,
        }
    }
}

impl fmt::Display for LossKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown loss {0:?}: use one of triplet-batch-hard, triplet-batch-all, triplet-semi-hard, contrastive, center, siamese")]
pub struct UnknownLoss(String);

impl FromStr for LossKind {
    type Err = UnknownLoss;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownLoss(s.to_string()))
    }
}

/// A loss and its hyper-parameters. Distances are on the embedder's scale (dlib: same person
/// about 0.4 apart, different people about 0.8).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LossConfig {
    pub kind: LossKind,
    /// Triplet margin alpha, on squared distances (FaceNet: 0.2).
    pub alpha: f32,
    /// Contrastive margin m, on distances.
    pub margin: f32,
    /// Weight lambda of the center loss against the softmax loss.
    pub center_weight: f32,
    /// Rate alpha at which the centres follow their classes.
    pub center_rate: f32,
}

impl LossConfig {
    pub fn new(kind: LossKind) -> Self {
        Self {
            kind,
            alpha: 0.2,
            margin: 0.9,
            center_weight: 1.0,
            center_rate: 0.5,
        }
    }
}

/// One batch's loss, and the share of the batch that still teaches something: triplets with a
/// positive loss among the candidates (see [`triplet::triplet_loss`]), or for the contrastive
/// loss the different-person pairs inside the margin. `None` where the idea does not apply.
pub struct BatchLoss {
    pub loss: Tensor,
    pub active: Option<f32>,
}

/// A loss ready to train, with its own parameters where it has any.
pub enum Objective {
    Triplet { mining: Mining, alpha: f32 },
    Contrastive { margin: f32 },
    Center(center::CenterLoss),
    Siamese(siamese::SiameseHead),
}

impl Objective {
    /// `classes` is the number of identities (the softmax of the center loss needs it), `dim` the
    /// embedding's size; `seed` draws the classifier's initial weights.
    pub fn new(config: &LossConfig, classes: usize, dim: usize, seed: u64) -> Result<Self> {
        Ok(match config.kind {
            LossKind::TripletBatchHard | LossKind::TripletBatchAll | LossKind::TripletSemiHard => {
                Objective::Triplet {
                    mining: config.kind.mining().unwrap_or(Mining::BatchHard),
                    alpha: config.alpha,
                }
            }
            LossKind::Contrastive => Objective::Contrastive {
                margin: config.margin,
            },
            LossKind::Center => Objective::Center(center::CenterLoss::new(
                classes,
                dim,
                config.center_weight,
                config.center_rate,
                seed,
            )?),
            LossKind::Siamese => Objective::Siamese(siamese::SiameseHead::new(dim)?),
        })
    }

    /// The loss's own trainable parameters.
    pub fn vars(&self) -> Vec<Var> {
        match self {
            Objective::Center(c) => c.vars(),
            Objective::Siamese(s) => s.vars(),
            _ => Vec::new(),
        }
    }

    /// The loss of a batch. The center loss also moves its centres here, one step per batch.
    pub fn loss(&mut self, embeddings: &Tensor, labels: &[usize]) -> Result<BatchLoss> {
        match self {
            Objective::Triplet { mining, alpha } => {
                triplet::triplet_loss(embeddings, labels, *mining, *alpha)
            }
            Objective::Contrastive { margin } => {
                contrastive::contrastive_loss(embeddings, labels, *margin)
            }
            Objective::Center(c) => c.loss(embeddings, labels),
            Objective::Siamese(s) => s.loss(embeddings, labels),
        }
    }
}

/// The n×n matrix of squared Euclidean distances between the rows of `x` (n×d), as
/// |x_i|² + |x_j|² − 2 x_i·x_j: one matrix product, far cheaper to differentiate than the n×n×d
/// tensor of differences. Rounding can leave entries a hair below zero (the diagonal, or
/// duplicates); the losses only read pairs i ≠ j and clamp where they take a root.
pub fn squared_distances(x: &Tensor) -> Result<Tensor> {
    let norms = x.sqr()?.sum_keepdim(1)?;
    let gram = x.matmul(&x.t()?)?;
    norms
        .broadcast_add(&norms.t()?)?
        .sub(&gram.affine(2.0, 0.0)?)
}

/// Row-major indices `i * n + j` of the unordered pairs i < j, and whether each is one person.
pub(crate) fn pairs(labels: &[usize]) -> (Vec<u32>, Vec<bool>) {
    let n = labels.len();
    let mut flat = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    let mut same = Vec::with_capacity(flat.capacity());
    for i in 0..n {
        for j in i + 1..n {
            flat.push((i * n + j) as u32);
            same.push(labels[i] == labels[j]);
        }
    }
    (flat, same)
}

/// A scalar zero that still belongs to `x`'s graph, for batches that give the loss nothing.
pub(crate) fn zero_like(x: &Tensor) -> Result<Tensor> {
    x.sum_all()?.affine(0.0, 0.0)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Finite-difference gradient checks shared by the losses' tests.

    use candle_core::{DType, Device, Tensor, Var};

    /// A small batch in f64: rows of `values` (each of length `dim`).
    pub fn batch(values: &[f64], dim: usize) -> Var {
        let n = values.len() / dim;
        Var::from_tensor(&Tensor::from_slice(values, (n, dim), &Device::Cpu).expect("tensor"))
            .expect("var")
    }

    /// Five 3-d faces of three people (labels 0, 0, 1, 1, 2): a batch with same-person pairs,
    /// different-person pairs and a lone face.
    pub fn five_faces() -> (Var, [usize; 5]) {
        let values = [
            0.10, 0.20, -0.30, //
            0.40, -0.10, 0.05, //
            -0.20, 0.35, 0.10, //
            0.55, 0.15, -0.25, //
            0.05, -0.40, 0.30,
        ];
        (batch(&values, 3), [0, 0, 1, 1, 2])
    }

    /// Checks the autograd gradient of `f` at `x` against central differences, entry by entry.
    pub fn check_gradient(x: &Var, f: impl Fn(&Tensor) -> Tensor) {
        let loss = f(x.as_tensor());
        let grads = loss.backward().expect("backward");
        let analytic: Vec<f64> = grads
            .get(x.as_tensor())
            .map(|g| g.flatten_all().expect("flat").to_vec1().expect("vec"))
            .unwrap_or_else(|| vec![0.0; x.elem_count()]);
        let base: Vec<f64> = x.flatten_all().expect("flat").to_vec1().expect("vec");
        let h = 1e-6;
        for (i, &a) in analytic.iter().enumerate() {
            let at = |delta: f64| {
                let mut v = base.clone();
                v[i] += delta;
                let t = Tensor::from_vec(v, x.shape(), &Device::Cpu).expect("tensor");
                f(&t)
                    .to_dtype(DType::F64)
                    .expect("f64")
                    .to_scalar::<f64>()
                    .expect("scalar")
            };
            let numeric = (at(h) - at(-h)) / (2.0 * h);
            assert!(
                (a - numeric).abs() < 1e-5 * (1.0 + numeric.abs()),
                "entry {i}: autograd {a}, finite difference {numeric}"
            );
        }
    }
}
