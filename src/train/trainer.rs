//! The training loop: PK batches of frozen descriptors through the head, a loss, an optimiser
//! step, a learning-rate schedule, checkpoints. Deterministic under its seed (the sampler and
//! every random initial weight come from it), cancellable, and silent: progress goes to a
//! callback, as everywhere in Kith.
//!
//! The loss of a batch is the chosen metric loss plus `identity_weight` · ||W − I||², which
//! keeps the head near the plain embedding unless the labels pull it away. The finished head (and
//! every checkpoint) is calibrated on the training faces (see [`Head::calibrate`]).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, SGD};
use serde::Serialize;

use super::dataset::LabelledFaces;
use super::head::{forward, Head};
use super::losses::{LossConfig, LossKind, Objective};
use super::sampler::PkSampler;
use super::TrainError;
use crate::vision::EMBEDDING_DIM;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimiserKind {
    AdamW,
    Sgd,
}

/// How the learning rate moves over the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    Constant,
    /// A linear warm-up over the first 5% of the steps, then cosine decay to zero.
    Cosine,
}

impl Schedule {
    /// The rate at `step` (from 0) of `steps`, for a base rate `base`.
    pub fn rate(self, base: f64, step: usize, steps: usize) -> f64 {
        match self {
            Schedule::Constant => base,
            Schedule::Cosine => {
                let warmup = (steps / 20).max(1);
                if step < warmup {
                    base * (step + 1) as f64 / warmup as f64
                } else {
                    let t = (step - warmup) as f64 / (steps - warmup).max(1) as f64;
                    base * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainConfig {
    pub loss: LossConfig,
    pub optimiser: OptimiserKind,
    pub learning_rate: f64,
    pub schedule: Schedule,
    pub epochs: usize,
    /// Identities per batch.
    pub p: usize,
    /// Faces per identity per batch.
    pub k: usize,
    /// Weight of ||W − I||² in the loss.
    pub identity_weight: f64,
    pub seed: u64,
    /// Where to write a checkpoint after every `checkpoint_every` epochs, if anywhere.
    pub checkpoints: Option<PathBuf>,
    pub checkpoint_every: usize,
}

impl TrainConfig {
    /// Settings that suit a head over dlib descriptors on a few hundred to a few thousand faces.
    pub fn new(loss: LossKind) -> Self {
        Self {
            loss: LossConfig::new(loss),
            optimiser: OptimiserKind::AdamW,
            learning_rate: 2e-3,
            schedule: Schedule::Cosine,
            epochs: 30,
            p: 16,
            k: 4,
            identity_weight: 0.05,
            seed: 0,
            checkpoints: None,
            checkpoint_every: 10,
        }
    }
}

/// Where a run is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub step: usize,
    pub steps: usize,
    pub epoch: usize,
    /// The last batch's loss (metric loss plus the identity term).
    pub loss: f32,
    /// The last batch's share of active triplets (or pairs), where the loss has one.
    pub active: Option<f32>,
    pub learning_rate: f64,
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct Trained {
    pub head: Head,
    /// Mean batch loss of each epoch.
    pub epoch_loss: Vec<f32>,
    /// Mean share of active triplets (or pairs) of each epoch, where the loss has one.
    pub epoch_active: Vec<Option<f32>>,
    pub steps: usize,
    pub seconds: f64,
}

/// Trains a head on `data` (at least two identities). Runs on the CPU: the head is small and the
/// descriptors are already computed. Returns [`TrainError::Cancelled`] when `cancel` is set.
pub fn train(
    data: &LabelledFaces,
    config: &TrainConfig,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Trained, TrainError> {
    let started = Instant::now();
    if data.persons.len() < 2 {
        return Err(TrainError::NotEnoughData(format!(
            "training needs at least two people, got {}",
            data.persons.len()
        )));
    }
    let device = Device::Cpu;
    let all = Tensor::from_slice(
        data.embeddings.as_flattened(),
        (data.len(), EMBEDDING_DIM),
        &device,
    )?;
    let eye = Tensor::eye(EMBEDDING_DIM, DType::F32, &device)?;
    let weight = Var::from_tensor(&eye)?;
    let mut objective =
        Objective::new(&config.loss, data.persons.len(), EMBEDDING_DIM, config.seed)?;
    let mut vars = vec![weight.clone()];
    vars.extend(objective.vars());
    let mut optimiser = Optimiser::new(vars, config)?;
    let mut sampler = PkSampler::new(&data.labels, config.p, config.k, config.seed);
    let per_epoch = sampler.batches_per_epoch();
    let steps = per_epoch * config.epochs;

    let mut epoch_loss = Vec::with_capacity(config.epochs);
    let mut epoch_active = Vec::with_capacity(config.epochs);
    let mut step = 0;
    for epoch in 0..config.epochs {
        let (mut loss_sum, mut active_sum, mut active_count) = (0f64, 0f64, 0usize);
        for _ in 0..per_epoch {
            if cancel.load(Ordering::Relaxed) {
                return Err(TrainError::Cancelled);
            }
            let rate = config.schedule.rate(config.learning_rate, step, steps);
            optimiser.set_learning_rate(rate);
            let batch = sampler.batch();
            let labels: Vec<usize> = batch.iter().map(|&i| data.labels[i]).collect();
            let index = Tensor::from_vec(
                batch.iter().map(|&i| i as u32).collect::<Vec<_>>(),
                batch.len(),
                &device,
            )?;
            let x = forward(weight.as_tensor(), &all.index_select(&index, 0)?)?;
            let metric = objective.loss(&x, &labels)?;
            let drift = (weight.as_tensor() - &eye)?.sqr()?.sum_all()?;
            let loss = (metric.loss + drift.affine(config.identity_weight, 0.0)?)?;
            optimiser.step(&loss.backward()?)?;
            let value = loss.to_scalar::<f32>()?;
            if !value.is_finite() {
                return Err(TrainError::Diverged { epoch, step });
            }
            loss_sum += f64::from(value);
            if let Some(a) = metric.active {
                active_sum += f64::from(a);
                active_count += 1;
            }
            step += 1;
            progress(&Progress {
                step,
                steps,
                epoch,
                loss: value,
                active: metric.active,
                learning_rate: rate,
            });
        }
        epoch_loss.push((loss_sum / per_epoch as f64) as f32);
        epoch_active.push((active_count > 0).then(|| (active_sum / active_count as f64) as f32));
        if let Some(dir) = &config.checkpoints {
            if (epoch + 1) % config.checkpoint_every.max(1) == 0 || epoch + 1 == config.epochs {
                std::fs::create_dir_all(dir).map_err(|source| TrainError::Io {
                    path: dir.clone(),
                    source,
                })?;
                let path = dir.join(format!("head-epoch-{:03}.safetensors", epoch + 1));
                Head::from_tensor(weight.as_tensor())?
                    .calibrate(&data.embeddings, &data.labels)
                    .save(&path)?;
                tracing::info!(path = %path.display(), "checkpoint written");
            }
        }
    }
    Ok(Trained {
        head: Head::from_tensor(weight.as_tensor())?.calibrate(&data.embeddings, &data.labels),
        epoch_loss,
        epoch_active,
        steps,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// candle-nn's optimisers behind one type (their trait is not object-safe).
enum Optimiser {
    AdamW(AdamW),
    Sgd(SGD),
}

impl Optimiser {
    fn new(vars: Vec<Var>, config: &TrainConfig) -> candle_core::Result<Self> {
        Ok(match config.optimiser {
            // No weight decay: it would pull W towards zero; the identity term pulls it to I.
            OptimiserKind::AdamW => Optimiser::AdamW(AdamW::new(
                vars,
                ParamsAdamW {
                    lr: config.learning_rate,
                    weight_decay: 0.0,
                    ..ParamsAdamW::default()
                },
            )?),
            OptimiserKind::Sgd => Optimiser::Sgd(SGD::new(vars, config.learning_rate)?),
        })
    }

    fn set_learning_rate(&mut self, rate: f64) {
        match self {
            Optimiser::AdamW(o) => o.set_learning_rate(rate),
            Optimiser::Sgd(o) => o.set_learning_rate(rate),
        }
    }

    fn step(&mut self, grads: &candle_core::backprop::GradStore) -> candle_core::Result<()> {
        match self {
            Optimiser::AdamW(o) => o.step(grads),
            Optimiser::Sgd(o) => o.step(grads),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::labelled::measure;
    use crate::people::cluster::Algorithm;
    use crate::people::synthetic::SplitMix64;
    use crate::vision::Embedding;

    /// People who differ only in the first 8 dimensions, under heavy noise in the other 120: the
    /// plain distance is dominated by the noise, and a linear head can learn to look past it.
    fn nuisance_people(persons: usize, per_person: usize, seed: u64) -> LabelledFaces {
        let mut rng = SplitMix64::new(seed);
        let mut out = LabelledFaces::default();
        for p in 0..persons {
            let centre: Vec<f32> = (0..8).map(|_| rng.normal() as f32 * 0.1).collect();
            for f in 0..per_person {
                let e: Embedding = std::array::from_fn(|d| {
                    if d < 8 {
                        centre[d] + rng.normal() as f32 * 0.02
                    } else {
                        rng.normal() as f32 * 0.05
                    }
                });
                out.push(&format!("p{p}"), (p * per_person + f) as i64, e);
            }
        }
        out
    }

    #[test]
    fn schedules() {
        assert_eq!(Schedule::Constant.rate(0.1, 7, 10), 0.1);
        // 100 steps: 5 of warm-up, then cosine from 0.1 to 0.
        assert!((Schedule::Cosine.rate(0.1, 0, 100) - 0.02).abs() < 1e-12);
        assert!((Schedule::Cosine.rate(0.1, 5, 100) - 0.1).abs() < 1e-12);
        assert!(Schedule::Cosine.rate(0.1, 99, 100) < 1e-3);
    }

    #[test]
    fn training_lowers_the_loss_and_raises_verification_on_unseen_people() {
        let seen = nuisance_people(12, 8, 1);
        let unseen = nuisance_people(8, 6, 2);
        let algorithm = Algorithm::default_dbscan();
        let before = measure(&unseen.embeddings, &unseen.labels, &algorithm, 0.6, 0);
        for loss in LossKind::ALL {
            let mut config = TrainConfig::new(loss);
            config.epochs = 15;
            config.p = 6;
            config.learning_rate = 1e-2;
            config.identity_weight = 0.01;
            let trained =
                train(&seen, &config, &AtomicBool::new(false), &mut |_| {}).expect("train");
            let last = config.epochs - 1;
            // Batch-all and semi-hard average over the triplets still active, so their loss need
            // not fall as training succeeds; the share of active triplets does.
            let (first, end) = match loss {
                LossKind::TripletBatchAll | LossKind::TripletSemiHard => (
                    trained.epoch_active[0].unwrap_or(0.0),
                    trained.epoch_active[last].unwrap_or(1.0),
                ),
                _ => (trained.epoch_loss[0], trained.epoch_loss[last]),
            };
            assert!(end < first, "{loss}: {first} -> {end}");
            let after = measure(
                &trained.head.apply_all(&unseen.embeddings),
                &unseen.labels,
                &algorithm,
                0.6,
                0,
            );
            assert!(
                after.auc > before.auc && after.lfw.mean_accuracy > before.lfw.mean_accuracy,
                "{loss}: AUC {} -> {}, LFW {} -> {}",
                before.auc,
                after.auc,
                before.lfw.mean_accuracy,
                after.lfw.mean_accuracy
            );
        }
    }

    #[test]
    fn a_seed_gives_the_same_head_and_cancel_stops() {
        let data = nuisance_people(6, 5, 3);
        let mut config = TrainConfig::new(LossKind::TripletBatchHard);
        config.epochs = 3;
        let run = || {
            train(&data, &config, &AtomicBool::new(false), &mut |_| {})
                .expect("train")
                .head
        };
        assert_eq!(run(), run());
        let cancelled = train(&data, &config, &AtomicBool::new(true), &mut |_| {});
        assert!(matches!(cancelled, Err(TrainError::Cancelled)));
    }

    #[test]
    fn checkpoints_are_readable_heads() {
        let data = nuisance_people(4, 4, 5);
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = TrainConfig::new(LossKind::Contrastive);
        config.epochs = 4;
        config.checkpoint_every = 2;
        config.checkpoints = Some(dir.path().to_path_buf());
        let trained = train(&data, &config, &AtomicBool::new(false), &mut |_| {}).expect("train");
        let last = Head::load(&dir.path().join("head-epoch-004.safetensors")).expect("load");
        assert_eq!(last, trained.head);
        assert!(Head::load(&dir.path().join("head-epoch-002.safetensors")).is_ok());
    }
}
