//! `kith bench --train`: how long training a head takes, on synthetic descriptors (no photos to
//! scan), with each loss at the default settings of `kith train`.

use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::dataset::LabelledFaces;
use super::losses::LossKind;
use super::trainer::{train, TrainConfig};
use super::TrainError;
use crate::people::synthetic::gaussian_people;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainTiming {
    pub loss: LossKind,
    pub faces: usize,
    pub persons: usize,
    pub epochs: usize,
    pub steps: usize,
    pub seconds: f64,
    pub first_loss: f32,
    pub last_loss: f32,
}

/// Trains one head per loss on `faces` synthetic descriptors of `faces / 20` persons (dlib-like
/// spread, Zipf-like person sizes) and times each run.
pub fn timing(faces: usize) -> Result<Vec<TrainTiming>, TrainError> {
    let persons = (faces / 20).max(2);
    // Wider than dlib-like clouds (0.42), so that every loss has triplets or pairs to work on.
    let (embeddings, labels) = gaussian_people(faces, persons, 0.6, 11);
    let mut data = LabelledFaces::default();
    for (i, (e, l)) in embeddings.into_iter().zip(labels).enumerate() {
        data.push(&format!("person {l}"), i as i64, e);
    }
    LossKind::ALL
        .into_iter()
        .map(|loss| {
            let config = TrainConfig::new(loss);
            let trained = train(&data, &config, &AtomicBool::new(false), &mut |_| {})?;
            Ok(TrainTiming {
                loss,
                faces,
                persons: data.persons.len(),
                epochs: config.epochs,
                steps: trained.steps,
                seconds: trained.seconds,
                first_loss: trained.epoch_loss.first().copied().unwrap_or(f32::NAN),
                last_loss: trained.epoch_loss.last().copied().unwrap_or(f32::NAN),
            })
        })
        .collect()
}
