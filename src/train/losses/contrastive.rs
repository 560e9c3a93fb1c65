//! The contrastive loss (Hadsell, Chopra and LeCun 2006) over every pair of the batch:
//! ½ d² for a pair of one person, ½ max(m − d, 0)² for a pair of two, averaged over pairs.
//! Pairs of different people farther apart than the margin m cost nothing.

use candle_core::{DType, Result, Tensor};

use super::{pairs, squared_distances, zero_like, BatchLoss};

/// Keeps the square root's gradient finite for a pair at distance zero.
const EPSILON: f64 = 1e-12;

/// The contrastive loss of the batch `x` (n×d) with `labels` and margin `margin`; the active share
/// is the fraction of different-person pairs inside the margin.
pub fn contrastive_loss(x: &Tensor, labels: &[usize], margin: f32) -> Result<BatchLoss> {
    let (flat, same) = pairs(labels);
    if flat.is_empty() {
        return Ok(BatchLoss {
            loss: zero_like(x)?,
            active: None,
        });
    }
    let count = flat.len();
    let sq = squared_distances(x)?
        .flatten_all()?
        .index_select(&Tensor::from_vec(flat, count, x.device())?, 0)?;
    let d = sq.relu()?.affine(1.0, EPSILON)?.sqrt()?;
    let y = Tensor::from_vec(
        same.iter()
            .map(|&s| if s { 1f32 } else { 0.0 })
            .collect::<Vec<_>>(),
        count,
        x.device(),
    )?
    .to_dtype(x.dtype())?;
    let outside = d.affine(-1.0, f64::from(margin))?.relu()?;
    let pull = (&y * &sq)?;
    let push = (y.affine(-1.0, 1.0)? * outside.sqr()?)?;
    let loss = (pull + push)?.mean_all()?.affine(0.5, 0.0)?;

    let distances = d.to_dtype(DType::F32)?.to_vec1::<f32>()?;
    let negatives = same.iter().filter(|&&s| !s).count();
    let inside = distances
        .iter()
        .zip(&same)
        .filter(|&(&dist, &s)| !s && dist < margin)
        .count();
    Ok(BatchLoss {
        loss,
        active: (negatives > 0).then(|| inside as f32 / negatives as f32),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::losses::testing::{batch, check_gradient, five_faces};

    #[test]
    fn by_hand() {
        // 1-d points 0, 0.5 (person 0) and 1.5 (person 1), margin 2.
        // Pairs: (0,1) same, d 0.5 -> ½·0.25 = 0.125; (0,2) different, d 1.5 -> ½·0.5² = 0.125;
        // (1,2) different, d 1 -> ½·1² = 0.5. Mean: 0.75 / 3 = 0.25. Both negatives inside.
        let x = batch(&[0.0, 0.5, 1.5], 1);
        let out = contrastive_loss(&x, &[0, 0, 1], 2.0).expect("loss");
        let value = out.loss.to_scalar::<f64>().expect("scalar");
        assert!((value - 0.25).abs() < 1e-9, "{value}");
        assert_eq!(out.active, Some(1.0));
        // Margin 1.2: only (1,2) is inside: ½·0.2² = 0.02; mean (0.125 + 0 + 0.02) / 3.
        let out = contrastive_loss(&x, &[0, 0, 1], 1.2).expect("loss");
        let value = out.loss.to_scalar::<f64>().expect("scalar");
        assert!((value - 0.145 / 3.0).abs() < 1e-6, "{value}");
        assert_eq!(out.active, Some(0.5));
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let (x, labels) = five_faces();
        check_gradient(&x, |t| {
            contrastive_loss(t, &labels, 0.7).expect("loss").loss
        });
    }
}
