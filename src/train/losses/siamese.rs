//! The binary Siamese head: p(same | f1, f2) = sigmoid(w · |f1 − f2| + b), trained with binary
//! cross-entropy on every pair of the batch (Koch, Zemel and Salakhutdinov's one-shot network,
//! with the L1 component distance). Pairs of one person are rare in a batch, so the loss is the
//! mean over same-person pairs and the mean over different-person pairs, averaged: both kinds
//! weigh the same.
//!
//! w starts at −1 in every component (a larger difference means less likely the same person) and
//! b at the midpoint of the first batch's mean L1 distances of the two kinds of pair, so that the
//! head starts as a sensible L1-distance threshold instead of spending its first steps finding
//! the scale.

use candle_core::{DType, Device, Result, Tensor, Var};

use super::{pairs, zero_like, BatchLoss};

pub struct SiameseHead {
    weight: Var,
    bias: Var,
    started: bool,
}

impl SiameseHead {
    pub fn new(dim: usize) -> Result<Self> {
        Ok(Self {
            weight: Var::from_tensor(&Tensor::full(-1f32, (dim, 1), &Device::Cpu)?)?,
            bias: Var::zeros(1, DType::F32, &Device::Cpu)?,
            started: false,
        })
    }

    pub fn vars(&self) -> Vec<Var> {
        vec![self.weight.clone(), self.bias.clone()]
    }

    pub fn loss(&mut self, x: &Tensor, labels: &[usize]) -> Result<BatchLoss> {
        if !self.started {
            self.start(x, labels)?;
        }
        Ok(BatchLoss {
            loss: self.value(x, labels)?,
            active: None,
        })
    }

    /// |f_i − f_j| for the pairs i < j, one row each (`flat` holds i·n + j).
    fn differences(x: &Tensor, flat: Vec<u32>) -> Result<Tensor> {
        let n = x.dim(0)? as u32;
        let count = flat.len();
        let (left, right): (Vec<u32>, Vec<u32>) = flat.iter().map(|&k| (k / n, k % n)).unzip();
        let rows = |idx: Vec<u32>| x.index_select(&Tensor::from_vec(idx, count, x.device())?, 0);
        (rows(left)? - rows(right)?)?.abs()
    }

    fn start(&mut self, x: &Tensor, labels: &[usize]) -> Result<()> {
        let (flat, same) = pairs(labels);
        if !same.iter().any(|&s| s) || same.iter().all(|&s| s) {
            return Ok(());
        }
        let l1 = Self::differences(x, flat)?
            .sum(1)?
            .to_dtype(DType::F32)?
            .to_vec1::<f32>()?;
        let mean = |want: bool| {
            let v: Vec<f32> = l1
                .iter()
                .zip(&same)
                .filter(|p| *p.1 == want)
                .map(|p| *p.0)
                .collect();
            v.iter().sum::<f32>() / v.len() as f32
        };
        let midpoint = (mean(true) + mean(false)) / 2.0;
        self.bias.set(&Tensor::new(&[midpoint], &Device::Cpu)?)?;
        self.started = true;
        Ok(())
    }

    /// The balanced binary cross-entropy with the head as it is.
    fn value(&self, x: &Tensor, labels: &[usize]) -> Result<Tensor> {
        let (flat, same) = pairs(labels);
        if flat.is_empty() {
            return zero_like(x);
        }
        let dtype = x.dtype();
        let logits = Self::differences(x, flat)?
            .matmul(&self.weight.as_tensor().to_dtype(dtype)?)?
            .squeeze(1)?
            .broadcast_add(&self.bias.as_tensor().to_dtype(dtype)?)?;
        let positives = same.iter().filter(|&&s| s).count();
        let negatives = same.len() - positives;
        // Each kind of pair shares half the weight (all of it when the other kind is absent).
        let share = |count: usize, other: usize| {
            if other == 0 {
                1.0 / count as f32
            } else {
                0.5 / count as f32
            }
        };
        let (targets, weights): (Vec<f32>, Vec<f32>) = same
            .iter()
            .map(|&s| {
                if s {
                    (1.0, share(positives, negatives))
                } else {
                    (0.0, share(negatives, positives))
                }
            })
            .unzip();
        let count = targets.len();
        let y = Tensor::from_vec(targets, count, x.device())?.to_dtype(dtype)?;
        let w = Tensor::from_vec(weights, count, x.device())?.to_dtype(dtype)?;
        // BCE with logits, stable form: max(z, 0) − z·y + ln(1 + e^(−|z|)).
        let bce = ((logits.relu()? - (&logits * &y)?)?
            + logits.abs()?.neg()?.exp()?.affine(1.0, 1.0)?.log()?)?;
        (bce * w)?.sum_all()
    }

    /// p(same) for each pair i < j of `x`, in row-major pair order.
    #[cfg(test)]
    fn probabilities(&self, x: &Tensor) -> Result<Vec<f32>> {
        let n = x.dim(0)?;
        let (flat, _) = pairs(&(0..n).collect::<Vec<_>>());
        let logits = Self::differences(x, flat)?
            .matmul(&self.weight.as_tensor().to_dtype(x.dtype())?)?
            .squeeze(1)?
            .broadcast_add(&self.bias.as_tensor().to_dtype(x.dtype())?)?;
        candle_nn::ops::sigmoid(&logits)?
            .to_dtype(DType::F32)?
            .to_vec1::<f32>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::losses::testing::{batch, check_gradient, five_faces};

    #[test]
    fn by_hand() {
        // 1-d points 0, 1 (person 0) and 3 (person 1); w = −1, b = 2.
        // Pairs: (0,1) same, |d| 1, z = 1; (0,2) different, 3, z = −1; (1,2) different, 2, z = 0.
        // BCE: same at z = 1: ln(1 + e^−1); different at z = −1: ln(1 + e^−1); at z = 0: ln 2.
        // Balanced: ½·ln(1 + e^−1) + ½·(ln(1 + e^−1) + ln 2)/2.
        let head = SiameseHead::new(1).expect("head");
        head.bias
            .set(&Tensor::new(&[2f32], &Device::Cpu).expect("b"))
            .expect("set");
        let x = batch(&[0.0, 1.0, 3.0], 1);
        let value = head
            .value(&x, &[0, 0, 1])
            .expect("loss")
            .to_scalar::<f64>()
            .expect("scalar");
        let a = (1.0 + (-1f64).exp()).ln();
        let want = 0.5 * a + 0.5 * (a + 2f64.ln()) / 2.0;
        assert!((value - want).abs() < 1e-6, "{value} vs {want}");
        let p = head.probabilities(&x).expect("p");
        assert!(
            p[0] > 0.5 && p[1] < 0.5 && (p[2] - 0.5).abs() < 1e-6,
            "{p:?}"
        );
    }

    #[test]
    fn the_bias_starts_between_the_two_kinds_of_pair() {
        let mut head = SiameseHead::new(1).expect("head");
        let x = batch(&[0.0, 1.0, 3.0], 1);
        head.loss(&x, &[0, 0, 1]).expect("loss");
        // Same pairs: L1 1; different: 3 and 2, mean 2.5; midpoint 1.75.
        let b: Vec<f32> = head.bias.as_tensor().to_vec1().expect("b");
        assert_eq!(b, vec![1.75]);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let head = SiameseHead::new(3).expect("head");
        head.weight
            .set(&Tensor::new(&[[-0.8f32], [-1.3], [-0.4]], &Device::Cpu).expect("w"))
            .expect("set");
        head.bias
            .set(&Tensor::new(&[0.6f32], &Device::Cpu).expect("b"))
            .expect("set");
        let (x, labels) = five_faces();
        check_gradient(&x, |t| head.value(t, &labels).expect("loss"));
    }
}
