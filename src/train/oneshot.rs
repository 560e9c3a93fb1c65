//! One-shot evaluation: train heads on some identities and measure them, next to the plain
//! embedding, on identities the training never saw, which is what a face embedder is for (a
//! library's people are never in anyone's training set). The seen identities are measured too, on
//! the very faces the heads trained on: an optimistic figure, shown for contrast.

use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::dataset::LabelledFaces;
use super::head::Head;
use super::losses::LossKind;
use super::trainer::{train, Progress, TrainConfig};
use super::TrainError;
use crate::eval::labelled::{measure, Measures};
use crate::people::cluster::Algorithm;

/// One row of the comparison: the plain embedding or a trained head.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeadRow {
    /// `plain` or the loss's name.
    pub name: String,
    pub loss: Option<LossKind>,
    pub seen: Measures,
    /// `None` when no identity was held out.
    pub unseen: Option<Measures>,
    pub steps: usize,
    pub seconds: f64,
    /// Mean batch loss of the last epoch.
    pub final_loss: Option<f32>,
    pub drift: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OneShotReport {
    pub faces: usize,
    pub seen_persons: Vec<String>,
    pub unseen_persons: Vec<String>,
    pub seen_faces: usize,
    pub unseen_faces: usize,
    pub rows: Vec<HeadRow>,
}

/// Which identities are held out of training.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PersonSplit {
    /// Share of the identities held out (0: none, train on everyone).
    pub unseen: f32,
    /// Chooses them (and the different-person pairs of the LFW folds).
    pub seed: u64,
}

/// Splits `data`'s identities as `split` says, trains a head with each of `configs` on the seen
/// ones, and measures the plain embedding and every head on both sets with `algorithm` and
/// `tau`. Returns the report and the heads, in `configs` order. `progress` hears which config (by
/// index) is training.
pub fn one_shot(
    data: &LabelledFaces,
    split: PersonSplit,
    configs: &[TrainConfig],
    algorithm: &Algorithm,
    tau: f32,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(usize, &Progress),
) -> Result<(OneShotReport, Vec<Head>), TrainError> {
    let (seen, held) = if split.unseen > 0.0 {
        data.split_persons(split.unseen, split.seed)
    } else {
        (data.clone(), LabelledFaces::default())
    };
    let measure_with = |head: Option<&Head>, set: &LabelledFaces| {
        let points = match head {
            Some(h) => h.apply_all(&set.embeddings),
            None => set.embeddings.clone(),
        };
        measure(&points, &set.labels, algorithm, tau, split.seed)
    };
    let unseen_measures =
        |head: Option<&Head>| (!held.is_empty()).then(|| measure_with(head, &held));
    let mut rows = vec![HeadRow {
        name: "plain".into(),
        loss: None,
        seen: measure_with(None, &seen),
        unseen: unseen_measures(None),
        steps: 0,
        seconds: 0.0,
        final_loss: None,
        drift: 0.0,
    }];
    let mut heads = Vec::with_capacity(configs.len());
    for (index, config) in configs.iter().enumerate() {
        let trained = train(&seen, config, cancel, &mut |p| progress(index, p))?;
        rows.push(HeadRow {
            name: config.loss.kind.name().into(),
            loss: Some(config.loss.kind),
            seen: measure_with(Some(&trained.head), &seen),
            unseen: unseen_measures(Some(&trained.head)),
            steps: trained.steps,
            seconds: trained.seconds,
            final_loss: trained.epoch_loss.last().copied(),
            drift: trained.head.drift(),
        });
        heads.push(trained.head);
    }
    Ok((
        OneShotReport {
            faces: data.len(),
            seen_persons: seen.persons.clone(),
            unseen_persons: held.persons.clone(),
            seen_faces: seen.len(),
            unseen_faces: held.len(),
            rows,
        },
        heads,
    ))
}
