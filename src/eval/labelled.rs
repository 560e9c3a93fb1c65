//! The measures of a set of labelled descriptors, as the learning reports compare them: LFW-style
//! verification (10 folds, threshold chosen on 9, accuracy on the 10th), ROC AUC, TAR at FAR,
//! accuracy at the operating threshold, and how well a clustering recovers the identities.
//!
//! LFW's folds hold as many same-person pairs as different-person pairs; here every same-person
//! pair is used, with as many different-person pairs drawn at random (seeded), and the balanced
//! list shuffled before it is cut into folds. AUC, TAR@FAR and accuracy at tau use every pair.

use serde::Serialize;

use super::clustering::{bcubed, counts, PrecisionRecall};
use super::verification::{accuracy_at, k_fold_accuracy, roc_auc, tar_at_far, KFold};
use crate::people::cluster::{cluster, Algorithm, Constraints};
use crate::people::synthetic::SplitMix64;
use crate::vision::{distance, Embedding};

/// Folds of the LFW protocol.
pub const FOLDS: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measures {
    pub faces: usize,
    pub persons: usize,
    pub same_pairs: usize,
    pub different_pairs: usize,
    /// LFW-protocol accuracy over balanced pairs: mean and std over the folds.
    pub lfw: KFold,
    pub auc: f64,
    /// TAR at FAR 1e-2 and 1e-3; with fewer different pairs than 1/FAR these are the TAR with no
    /// false accept at all (see [`tar_at_far`]).
    #[serde(rename = "tar_at_far_1e-2")]
    pub tar_at_far_1e_2: f64,
    #[serde(rename = "tar_at_far_1e-3")]
    pub tar_at_far_1e_3: f64,
    /// Share of all pairs judged right at the operating threshold tau.
    pub accuracy_at_tau: f64,
    /// The clustering's BCubed precision, recall and F against the identities.
    pub bcubed: PrecisionRecall,
    pub clusters: usize,
}

/// Measures `embeddings` with identity `labels`: verification at `tau`, clustering with
/// `algorithm`; `seed` draws the different-person pairs of the LFW folds and their order.
///
/// # Panics
/// If `embeddings` and `labels` differ in length.
pub fn measure(
    embeddings: &[Embedding],
    labels: &[usize],
    algorithm: &Algorithm,
    tau: f32,
    seed: u64,
) -> Measures {
    assert_eq!(embeddings.len(), labels.len(), "one label per descriptor");
    let n = embeddings.len();
    let mut same = Vec::new();
    let mut different = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let d = distance(&embeddings[i], &embeddings[j]);
            if labels[i] == labels[j] {
                same.push((d, true));
            } else {
                different.push((d, false));
            }
        }
    }
    let all: Vec<(f32, bool)> = same.iter().chain(&different).copied().collect();

    let mut rng = SplitMix64::new(seed);
    let mut drawn = different.clone();
    partial_shuffle(&mut rng, &mut drawn, same.len());
    drawn.truncate(same.len());
    let mut balanced: Vec<(f32, bool)> = same.iter().copied().chain(drawn).collect();
    partial_shuffle(&mut rng, &mut balanced, usize::MAX);

    let predicted = cluster(embeddings, algorithm, &Constraints::default());
    let mut persons = labels.to_vec();
    persons.sort_unstable();
    persons.dedup();
    Measures {
        faces: n,
        persons: persons.len(),
        same_pairs: same.len(),
        different_pairs: different.len(),
        lfw: k_fold_accuracy(&balanced, FOLDS),
        auc: roc_auc(&all),
        tar_at_far_1e_2: tar_at_far(&all, 1e-2),
        tar_at_far_1e_3: tar_at_far(&all, 1e-3),
        accuracy_at_tau: accuracy_at(&all, f64::from(tau)),
        bcubed: bcubed(labels, &predicted),
        clusters: counts(&predicted).clusters,
    }
}

/// Fisher-Yates over the first `count` positions (all of them when `count` ≥ len).
fn partial_shuffle<T>(rng: &mut SplitMix64, v: &mut [T], count: usize) {
    let n = v.len();
    for i in 0..count.min(n.saturating_sub(1)) {
        let j = i + rng.below(n - i);
        v.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separated_people_measure_perfectly() {
        // Three persons, three faces each, 0.1 apart within a person and 10 apart across.
        let mut embeddings = Vec::new();
        let mut labels = Vec::new();
        for p in 0..3 {
            for f in 0..3 {
                let mut e = [0f32; 128];
                e[p] = 10.0;
                e[10 + f] = 0.1 / 2f32.sqrt();
                embeddings.push(e);
                labels.push(p);
            }
        }
        let m = measure(&embeddings, &labels, &Algorithm::default_dbscan(), 0.6, 1);
        assert_eq!(
            (m.faces, m.persons, m.same_pairs, m.different_pairs),
            (9, 3, 9, 27)
        );
        assert_eq!(m.lfw.mean_accuracy, 1.0);
        assert_eq!(
            (m.auc, m.tar_at_far_1e_3, m.accuracy_at_tau),
            (1.0, 1.0, 1.0)
        );
        assert_eq!((m.bcubed.f, m.clusters), (1.0, 3));
    }

    #[test]
    fn a_confused_pair_costs_where_it_should() {
        // Person 0's second face sits on person 1: verification and clustering both suffer.
        let mut embeddings = vec![[0f32; 128]; 4];
        embeddings[0][0] = 1.0;
        embeddings[1][1] = 1.0;
        embeddings[2][1] = 1.0;
        embeddings[2][2] = 0.1;
        embeddings[3][3] = 1.0;
        let labels = [0, 0, 1, 2];
        let m = measure(&embeddings, &labels, &Algorithm::default_dbscan(), 0.6, 1);
        assert!(m.auc < 1.0 && m.accuracy_at_tau < 1.0);
        assert!(m.bcubed.f < 1.0);
    }
}
