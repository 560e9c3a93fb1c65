//! FaceNet's triplet loss, max(||a − p||² − ||a − n||² + alpha, 0), over the triplets a miner
//! picks from the batch.
//!
//! How the per-triplet losses become one number follows each miner's paper: batch-all averages
//! over the triplets whose loss is positive (averaging over all of them would drown the few that
//! teach in the many already satisfied); batch-hard averages over anchors; semi-hard averages over
//! the chosen triplets.

use candle_core::{DType, Result, Tensor};

use super::{squared_distances, zero_like, BatchLoss};
use crate::train::mining::{mine, Mining};

/// The triplet loss of the batch `x` (n×d) with `labels`, and the share of active triplets: those
/// with a positive loss, among every valid triplet (batch-all), among the anchors that have a
/// positive and a negative (batch-hard), or among the anchor-positive pairs (semi-hard: a pair is
/// active when it found a semi-hard negative).
pub fn triplet_loss(x: &Tensor, labels: &[usize], mining: Mining, alpha: f32) -> Result<BatchLoss> {
    let n = labels.len();
    let sq = squared_distances(x)?;
    let values = sq.to_dtype(DType::F32)?.to_vec2::<f32>()?;
    let triplets = mine(&values, labels, mining, alpha);
    let candidates = match mining {
        Mining::SemiHard => (0..n)
            .map(|a| (0..n).filter(|&p| p != a && labels[p] == labels[a]).count())
            .sum(),
        _ => triplets.len(),
    };
    if triplets.is_empty() {
        return Ok(BatchLoss {
            loss: zero_like(x)?,
            active: (candidates > 0).then_some(0.0),
        });
    }
    let index = |pick: fn(&crate::train::mining::Triplet) -> usize| {
        let flat: Vec<u32> = triplets
            .iter()
            .map(|t| (t.anchor * n + pick(t)) as u32)
            .collect();
        Tensor::from_vec(flat, triplets.len(), x.device())
    };
    let flat = sq.flatten_all()?;
    let d_ap = flat.index_select(&index(|t| t.positive)?, 0)?;
    let d_an = flat.index_select(&index(|t| t.negative)?, 0)?;
    let per_triplet = (d_ap - d_an)?.affine(1.0, f64::from(alpha))?.relu()?;
    let active = per_triplet
        .to_dtype(DType::F32)?
        .to_vec1::<f32>()?
        .into_iter()
        .filter(|&l| l > 0.0)
        .count();
    let loss = match mining {
        Mining::BatchAll if active == 0 => zero_like(x)?,
        Mining::BatchAll => per_triplet.sum_all()?.affine(1.0 / active as f64, 0.0)?,
        Mining::BatchHard | Mining::SemiHard => per_triplet.mean_all()?,
    };
    Ok(BatchLoss {
        loss,
        active: Some(active as f32 / candidates.max(1) as f32),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::losses::testing::{batch, check_gradient};

    fn scalar(t: &Tensor) -> f64 {
        t.to_scalar::<f64>().expect("scalar")
    }

    /// The points of the miners' tests (0, 1, 3 | 3.5, 6) as 1-d embeddings.
    fn line() -> (Vec<f64>, Vec<usize>) {
        (vec![0.0, 1.0, 3.0, 3.5, 6.0], vec![0, 0, 0, 1, 1])
    }

    #[test]
    fn batch_hard_by_hand() {
        let (x, labels) = line();
        let x = batch(&x, 1);
        // Triplets (0,2,3) (1,2,3) (2,0,3) (3,4,2) (4,3,2), alpha 1:
        // 9 − 12.25 + 1 → 0; 4 − 6.25 + 1 → 0; 9 − 0.25 + 1 = 9.75; 6.25 − 0.25 + 1 = 7; 6.25 − 9 + 1 → 0.
        // Mean over the 5 anchors: 16.75 / 5 = 3.35; 2 of 5 active.
        let out = triplet_loss(&x, &labels, Mining::BatchHard, 1.0).expect("loss");
        assert!((scalar(&out.loss) - 3.35).abs() < 1e-12);
        assert_eq!(out.active, Some(0.4));
    }

    #[test]
    fn batch_all_averages_over_the_active_triplets() {
        // Three points: A = {0, 1} at 0 and 1, B = {2} at 1.5. Triplets (0,1,2) and (1,0,2), alpha 0.5:
        // d²(0,1) = 1, d²(0,2) = 2.25 -> 1 − 2.25 + 0.5 < 0: inactive;
        // d²(1,0) = 1, d²(1,2) = 0.25 -> 1 − 0.25 + 0.5 = 1.25. Mean over the active one: 1.25.
        let x = batch(&[0.0, 1.0, 1.5], 1);
        let out = triplet_loss(&x, &[0, 0, 1], Mining::BatchAll, 0.5).expect("loss");
        assert!((scalar(&out.loss) - 1.25).abs() < 1e-12);
        assert_eq!(out.active, Some(0.5));
    }

    #[test]
    fn semi_hard_by_hand() {
        let (x, labels) = line();
        let x = batch(&x, 1);
        // alpha 4 chooses (0,2,3) (1,2,3) (4,3,2): 9 − 12.25 + 4 = 0.75; 4 − 6.25 + 4 = 1.75;
        // 6.25 − 9 + 4 = 1.25. Mean 3.75 / 3 = 1.25. Active: 3 of the 8 anchor-positive pairs.
        let out = triplet_loss(&x, &labels, Mining::SemiHard, 4.0).expect("loss");
        assert!((scalar(&out.loss) - 1.25).abs() < 1e-12);
        assert_eq!(out.active, Some(3.0 / 8.0));
    }

    #[test]
    fn gradients_match_finite_differences() {
        // Two persons in 3-d, points in general position (no ties, no kinks nearby).
        let values = [
            0.10, 0.20, -0.30, //
            0.40, -0.10, 0.05, //
            -0.20, 0.35, 0.10, //
            0.55, 0.15, -0.25, //
            0.05, -0.40, 0.30, //
            -0.35, -0.05, -0.15,
        ];
        let labels = [0, 0, 0, 1, 1, 1];
        for mining in [Mining::BatchAll, Mining::BatchHard, Mining::SemiHard] {
            let x = batch(&values, 3);
            let out = triplet_loss(&x, &labels, mining, 0.3).expect("loss");
            assert!(scalar(&out.loss) > 0.0, "{mining:?} has something to learn");
            check_gradient(&x, |t| {
                triplet_loss(t, &labels, mining, 0.3).expect("loss").loss
            });
        }
    }

    #[test]
    fn no_triplet_is_a_zero_loss() {
        let x = batch(&[0.0, 1.0, 2.0], 1);
        let out = triplet_loss(&x, &[0, 1, 2], Mining::BatchHard, 0.2).expect("loss");
        assert_eq!(scalar(&out.loss), 0.0);
        assert_eq!(out.active, None);
    }
}
