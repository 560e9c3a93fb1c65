//! Which triplets a batch trains on: the miners of FaceNet (semi-hard) and of Hermans, Beyer and
//! Leibe's "In defense of the triplet loss" (batch-all, batch-hard).
//!
//! Mining is a choice, not a computation to differentiate: it reads the batch's squared distances
//! as plain numbers and returns indices; the loss then gathers those distances from the tensor that
//! carries the gradient. A triplet (a, p, n) has `labels[a] == labels[p]`, `a != p` and
//! `labels[a] != labels[n]`; its loss is max(d²(a,p) − d²(a,n) + alpha, 0).

/// Anchor, positive and negative: indices into the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Triplet {
    pub anchor: usize,
    pub positive: usize,
    pub negative: usize,
}

/// The triplet-selection strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mining {
    /// Every valid triplet; the loss averages over those with a positive loss.
    BatchAll,
    /// For each anchor, its farthest positive and its nearest negative.
    BatchHard,
    /// For each anchor-positive pair, the nearest negative that is farther than the positive but
    /// within the margin: d²(a,p) < d²(a,n) < d²(a,p) + alpha (FaceNet, section 3.2). Pairs
    /// without such a negative give no triplet.
    SemiHard,
}

/// The triplets `mining` selects from the squared distances `sq` (an n×n matrix) of a batch with
/// `labels`, in (anchor, positive, negative) order. Ties go to the lowest index, so the choice is
/// a pure function of the batch.
pub fn mine(sq: &[Vec<f32>], labels: &[usize], mining: Mining, alpha: f32) -> Vec<Triplet> {
    let n = labels.len();
    let mut out = Vec::new();
    for a in 0..n {
        let positives = (0..n).filter(|&p| p != a && labels[p] == labels[a]);
        let negatives = || (0..n).filter(|&x| labels[x] != labels[a]);
        match mining {
            Mining::BatchAll => {
                for p in positives {
                    out.extend(negatives().map(|negative| Triplet {
                        anchor: a,
                        positive: p,
                        negative,
                    }));
                }
            }
            Mining::BatchHard => {
                let hardest_positive = first_extreme(positives, |p| -sq[a][p]);
                let hardest_negative = first_extreme(negatives(), |x| sq[a][x]);
                if let (Some(positive), Some(negative)) = (hardest_positive, hardest_negative) {
                    out.push(Triplet {
                        anchor: a,
                        positive,
                        negative,
                    });
                }
            }
            Mining::SemiHard => {
                for p in positives {
                    let d_ap = sq[a][p];
                    let semi_hard =
                        negatives().filter(|&x| d_ap < sq[a][x] && sq[a][x] < d_ap + alpha);
                    if let Some(negative) = first_extreme(semi_hard, |x| sq[a][x]) {
                        out.push(Triplet {
                            anchor: a,
                            positive: p,
                            negative,
                        });
                    }
                }
            }
        }
    }
    out
}

/// The index with the smallest `key` (the first one on ties); NaN keys are never chosen.
fn first_extreme(
    indices: impl Iterator<Item = usize>,
    key: impl Fn(usize) -> f32,
) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for i in indices {
        let k = key(i);
        if k.is_nan() {
            continue;
        }
        if best.is_none_or(|(_, b)| k < b) {
            best = Some((i, k));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(anchor: usize, positive: usize, negative: usize) -> Triplet {
        Triplet {
            anchor,
            positive,
            negative,
        }
    }

    /// Five points on a line, two persons: A = {0, 1, 2} at x = 0, 1, 3 and B = {3, 4} at x = 3.5, 6.
    /// Squared distances are (x_i − x_j)².
    fn line() -> (Vec<Vec<f32>>, Vec<usize>) {
        let x: [f32; 5] = [0.0, 1.0, 3.0, 3.5, 6.0];
        let sq = x
            .iter()
            .map(|a| x.iter().map(|b| (a - b) * (a - b)).collect())
            .collect();
        (sq, vec![0, 0, 0, 1, 1])
    }

    #[test]
    fn batch_all_takes_every_valid_triplet() {
        let (sq, labels) = line();
        let got = mine(&sq, &labels, Mining::BatchAll, 0.2);
        // A anchors: 3 anchors x 2 positives x 2 negatives = 12; B anchors: 2 x 1 x 3 = 6.
        assert_eq!(got.len(), 18);
        assert!(got.contains(&t(0, 2, 4)) && got.contains(&t(4, 3, 1)));
        assert!(got.iter().all(|x| labels[x.anchor] == labels[x.positive]
            && x.anchor != x.positive
            && labels[x.anchor] != labels[x.negative]));
    }

    #[test]
    fn batch_hard_takes_the_farthest_positive_and_the_nearest_negative() {
        let (sq, labels) = line();
        let got = mine(&sq, &labels, Mining::BatchHard, 0.2);
        // 0: farthest positive 2 (9), nearest negative 3 (12.25).
        // 1: farthest positive 2 (4), nearest negative 3 (6.25).
        // 2: farthest positive 0 (9), nearest negative 3 (0.25).
        // 3: only positive 4 (6.25), nearest negative 2 (0.25).
        // 4: only positive 3, nearest negative 2 (9).
        assert_eq!(
            got,
            vec![t(0, 2, 3), t(1, 2, 3), t(2, 0, 3), t(3, 4, 2), t(4, 3, 2)]
        );
    }

    #[test]
    fn semi_hard_takes_negatives_beyond_the_positive_within_the_margin() {
        let (sq, labels) = line();
        // alpha = 4: for each (a, p), negatives with d_ap < d_an < d_ap + 4, the nearest of them.
        // (0,1): d_ap 1; negatives 3 (12.25), 4 (36): none in (1, 5).
        // (0,2): d_ap 9; 3 (12.25) in (9, 13) -> 3.
        // (1,0): d_ap 1; 3 (6.25), 4 (25): none in (1, 5).
        // (1,2): d_ap 4; 3 (6.25) in (4, 8) -> 3.
        // (2,0): d_ap 9; 3 (0.25), 4 (9): 9 is not > 9 -> none.
        // (2,1): d_ap 4; 4 (9) not < 8, 3 (0.25) not > 4 -> none.
        // (3,4): d_ap 6.25; negatives 0 (12.25) not < 10.25, 1 (6.25) not >, 2 (0.25) -> none.
        // (4,3): d_ap 6.25; 0 (36), 1 (25) too far, 2 (9) in (6.25, 10.25) -> 2.
        let got = mine(&sq, &labels, Mining::SemiHard, 4.0);
        assert_eq!(got, vec![t(0, 2, 3), t(1, 2, 3), t(4, 3, 2)]);
    }

    #[test]
    fn a_person_alone_gives_no_triplet_but_serves_as_a_negative() {
        let sq = vec![
            vec![0.0, 1.0, 4.0],
            vec![1.0, 0.0, 2.0],
            vec![4.0, 2.0, 0.0],
        ];
        let labels = [7, 7, 9];
        let got = mine(&sq, &labels, Mining::BatchHard, 0.2);
        assert_eq!(got, vec![t(0, 1, 2), t(1, 0, 2)]);
        assert!(mine(&sq, &[1, 2, 3], Mining::BatchAll, 0.2).is_empty());
    }
}
