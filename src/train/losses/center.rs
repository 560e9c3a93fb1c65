//! Softmax cross-entropy plus the center loss (Wen, Zhang, Li and Qiao 2016):
//! L = CE(softmax(W x + b), y) + lambda · ½ · mean ||x − c_y||².
//!
//! The softmax separates the training identities; the center term pulls each face towards its
//! identity's centre, which is what makes the embedding useful for people it never saw. The
//! centres are not trained by gradient: after each batch, each centre seen in it moves by
//! `rate` · Σ (c_j − x_i) / (1 + n_j) over its n_j faces (the paper's update). A centre starts
//! at the mean of its identity's faces in the first batch that has it. The classifier (W, b) is
//! dropped after training.

use candle_core::{DType, Device, Result, Tensor, Var};

use super::BatchLoss;
use crate::people::synthetic::SplitMix64;

pub struct CenterLoss {
    classifier: Var,
    bias: Var,
    /// One centre per identity; `None` until the identity is first seen.
    centres: Vec<Option<Vec<f32>>>,
    weight: f32,
    rate: f32,
}

impl CenterLoss {
    /// A classifier for `classes` identities over `dim`-d embeddings with small random weights
    /// drawn from `seed`, centre weight lambda `weight` and centre rate alpha `rate`.
    pub fn new(classes: usize, dim: usize, weight: f32, rate: f32, seed: u64) -> Result<Self> {
        let mut rng = SplitMix64::new(seed);
        let scale = 1.0 / (dim as f64).sqrt();
        let w: Vec<f32> = (0..classes * dim)
            .map(|_| (rng.normal() * scale) as f32)
            .collect();
        Ok(Self {
            classifier: Var::from_tensor(&Tensor::from_vec(w, (classes, dim), &Device::Cpu)?)?,
            bias: Var::zeros(classes, DType::F32, &Device::Cpu)?,
            centres: vec![None; classes],
            weight,
            rate,
        })
    }

    pub fn vars(&self) -> Vec<Var> {
        vec![self.classifier.clone(), self.bias.clone()]
    }

    /// The loss of a batch, then one centre update from it.
    pub fn loss(&mut self, x: &Tensor, labels: &[usize]) -> Result<BatchLoss> {
        let rows = x.to_dtype(DType::F32)?.to_vec2::<f32>()?;
        self.seed_centres(&rows, labels);
        let loss = self.value(x, labels)?;
        self.update_centres(&rows, labels);
        Ok(BatchLoss { loss, active: None })
    }

    /// The loss with the centres as they are (no update).
    fn value(&self, x: &Tensor, labels: &[usize]) -> Result<Tensor> {
        let dtype = x.dtype();
        let logits = x
            .matmul(&self.classifier.as_tensor().to_dtype(dtype)?.t()?)?
            .broadcast_add(&self.bias.as_tensor().to_dtype(dtype)?)?;
        let targets = Tensor::from_vec(
            labels.iter().map(|&l| l as u32).collect::<Vec<_>>(),
            labels.len(),
            x.device(),
        )?;
        let softmax = candle_nn::loss::cross_entropy(&logits, &targets)?;
        let dim = x.dim(1)?;
        let centres: Vec<f32> = labels
            .iter()
            .flat_map(|&l| match &self.centres[l] {
                Some(c) => c.clone(),
                None => vec![0.0; dim],
            })
            .collect();
        let centres =
            Tensor::from_vec(centres, (labels.len(), dim), x.device())?.to_dtype(dtype)?;
        let pull = (x - centres)?.sqr()?.sum(1)?.mean_all()?;
        softmax + pull.affine(0.5 * f64::from(self.weight), 0.0)?
    }

    fn seed_centres(&mut self, rows: &[Vec<f32>], labels: &[usize]) {
        for (class, sum, count) in class_sums(rows, labels) {
            if self.centres[class].is_none() {
                self.centres[class] = Some(sum.iter().map(|s| s / count as f32).collect());
            }
        }
    }

    /// c_j ← c_j − rate · Σ_{i: y_i = j} (c_j − x_i) / (1 + n_j).
    fn update_centres(&mut self, rows: &[Vec<f32>], labels: &[usize]) {
        for (class, sum, count) in class_sums(rows, labels) {
            if let Some(c) = self.centres[class].as_mut() {
                for (cj, s) in c.iter_mut().zip(&sum) {
                    let delta = (count as f32 * *cj - s) / (1.0 + count as f32);
                    *cj -= self.rate * delta;
                }
            }
        }
    }
}

/// For each class present: the sum of its rows and their number, by class.
fn class_sums(rows: &[Vec<f32>], labels: &[usize]) -> Vec<(usize, Vec<f32>, usize)> {
    let mut out: Vec<(usize, Vec<f32>, usize)> = Vec::new();
    for (row, &label) in rows.iter().zip(labels) {
        match out.iter_mut().find(|(c, _, _)| *c == label) {
            Some((_, sum, count)) => {
                sum.iter_mut().zip(row).for_each(|(s, v)| *s += v);
                *count += 1;
            }
            None => out.push((label, row.clone(), 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::losses::testing::{batch, check_gradient};

    /// A loss whose classifier is zero: the softmax term is ln(classes) whatever x is.
    fn flat_classifier(classes: usize, dim: usize) -> CenterLoss {
        let mut c = CenterLoss::new(classes, dim, 2.0, 0.5, 1).expect("loss");
        c.classifier = Var::zeros((classes, dim), DType::F32, &Device::Cpu).expect("zeros");
        c
    }

    #[test]
    fn by_hand() {
        // 1-d, two classes, centres 0 and 10; faces 1 and 3 of class 0, 9 of class 1.
        // Softmax with a zero classifier: ln 2 each. Center term: lambda 2 · ½ · mean(1, 9, 1) = 11/3.
        let mut c = flat_classifier(2, 1);
        c.centres = vec![Some(vec![0.0]), Some(vec![10.0])];
        let x = batch(&[1.0, 3.0, 9.0], 1);
        let value = c
            .value(&x, &[0, 0, 1])
            .expect("loss")
            .to_scalar::<f64>()
            .expect("scalar");
        assert!((value - (2f64.ln() + 11.0 / 3.0)).abs() < 1e-6, "{value}");
        // Centre update, rate 0.5: class 0: (2·0 − 4) / 3 = −4/3 -> c = 0 + 2/3;
        // class 1: (10 − 9) / 2 = 0.5 -> c = 10 − 0.25.
        c.loss(&x, &[0, 0, 1]).expect("loss");
        let c0 = c.centres[0].as_ref().expect("seen")[0];
        let c1 = c.centres[1].as_ref().expect("seen")[0];
        assert!(
            (c0 - 2.0 / 3.0).abs() < 1e-6 && (c1 - 9.75).abs() < 1e-6,
            "{c0} {c1}"
        );
    }

    #[test]
    fn centres_start_at_their_class_mean() {
        let mut c = flat_classifier(3, 2);
        let x = batch(&[1.0, 2.0, 3.0, 4.0, -1.0, 0.0], 2);
        c.loss(&x, &[2, 2, 0]).expect("loss");
        // Class 2 starts at (2, 3) and its faces are symmetric about it: the update keeps it.
        assert_eq!(c.centres[2], Some(vec![2.0, 3.0]));
        assert_eq!(c.centres[0], Some(vec![-1.0, 0.0]));
        assert_eq!(c.centres[1], None);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let mut c = CenterLoss::new(3, 3, 0.7, 0.5, 4).expect("loss");
        c.centres = vec![
            Some(vec![0.1, 0.0, -0.2]),
            Some(vec![0.3, 0.3, 0.1]),
            Some(vec![-0.2, 0.1, 0.2]),
        ];
        let values = [
            0.10, 0.20, -0.30, //
            0.40, -0.10, 0.05, //
            -0.20, 0.35, 0.10, //
            0.55, 0.15, -0.25,
        ];
        let labels = [0, 1, 2, 1];
        let x = batch(&values, 3);
        check_gradient(&x, |t| c.value(t, &labels).expect("loss"));
    }
}
