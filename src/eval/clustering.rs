//! Clustering measures: how well a predicted grouping of faces matches the true identities.
//!
//! Every measure here works from the contingency table (items per (true person, predicted
//! cluster) cell), so it costs O(n) with hashing and 100k faces are cheap. A predicted label of
//! `None` means the clusterer left the face unclustered (noise); each such face is its own
//! singleton cluster, never grouped with another `None`.

use std::collections::HashMap;

use serde::Serialize;

/// Precision, recall and their harmonic mean `f = 2PR / (P + R)` (0 when `P + R = 0`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PrecisionRecall {
    pub precision: f64,
    pub recall: f64,
    pub f: f64,
}

impl PrecisionRecall {
    fn new(precision: f64, recall: f64) -> Self {
        let sum = precision + recall;
        let f = if sum > 0.0 {
            2.0 * precision * recall / sum
        } else {
            0.0
        };
        Self {
            precision,
            recall,
            f,
        }
    }
}

/// How many groups a clustering made, as the CLI reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClusterCounts {
    /// Predicted clusters with at least two members.
    pub clusters: usize,
    /// Items alone: noise (`None`) plus members of one-item clusters.
    pub singletons: usize,
}

/// The contingency table of two labelings, with labels renumbered densely.
struct Contingency {
    /// Non-zero cell counts n_ij (true person i, predicted cluster j), with their row and column.
    cells: Vec<(usize, usize, u64)>,
    /// Items per true person, a_i.
    truth_sizes: Vec<u64>,
    /// Items per predicted cluster, b_j (noise items each a cluster of 1).
    predicted_sizes: Vec<u64>,
    n: u64,
}

impl Contingency {
    /// # Panics
    /// If `truth` and `predicted` differ in length: they must label the same items.
    fn new(truth: &[usize], predicted: &[Option<usize>]) -> Self {
        assert_eq!(
            truth.len(),
            predicted.len(),
            "truth and predicted must label the same items"
        );
        let mut truth_ids = HashMap::new();
        let mut predicted_ids = HashMap::new();
        let mut truth_sizes: Vec<u64> = Vec::new();
        let mut predicted_sizes: Vec<u64> = Vec::new();
        let mut cells: HashMap<(usize, usize), u64> = HashMap::new();
        for (&t, &p) in truth.iter().zip(predicted) {
            let next = truth_sizes.len();
            let i = *truth_ids.entry(t).or_insert(next);
            if i == next {
                truth_sizes.push(0);
            }
            truth_sizes[i] += 1;
            let next = predicted_sizes.len();
            // Noise gets a fresh cluster every time, so two `None`s never count as together.
            let j = match p {
                Some(label) => *predicted_ids.entry(label).or_insert(next),
                None => next,
            };
            if j == next {
                predicted_sizes.push(0);
            }
            predicted_sizes[j] += 1;
            *cells.entry((i, j)).or_insert(0) += 1;
        }
        Self {
            cells: cells.into_iter().map(|((i, j), c)| (i, j, c)).collect(),
            truth_sizes,
            predicted_sizes,
            n: truth.len() as u64,
        }
    }
}

/// Unordered pairs among `k` items, C(k, 2). Fits u64 up to ~6e9 items.
fn pairs(k: u64) -> u64 {
    k * k.saturating_sub(1) / 2
}

/// Pairwise precision and recall over all unordered item pairs:
/// P = |same cluster ∧ same person| / |same cluster|, R = |same cluster ∧ same person| / |same person|,
/// i.e. P = Σ C(n_ij,2) / Σ_j C(b_j,2) and R = Σ C(n_ij,2) / Σ_i C(a_i,2).
///
/// A ratio with no pairs to judge is 1: a clustering that puts nothing together makes no false
/// merge (P = 1), and a library where everyone appears once has no pair to find (R = 1). So
/// no items, or all singletons on both sides, scores 1 throughout.
///
/// # Panics
/// If `truth` and `predicted` differ in length.
pub fn pairwise(truth: &[usize], predicted: &[Option<usize>]) -> PrecisionRecall {
    let table = Contingency::new(truth, predicted);
    let together: u64 = table.cells.iter().map(|&(_, _, c)| pairs(c)).sum();
    let predicted_pairs: u64 = table.predicted_sizes.iter().map(|&b| pairs(b)).sum();
    let truth_pairs: u64 = table.truth_sizes.iter().map(|&a| pairs(a)).sum();
    let ratio = |num: u64, den: u64| {
        if den == 0 {
            1.0
        } else {
            num as f64 / den as f64
        }
    };
    PrecisionRecall::new(
        ratio(together, predicted_pairs),
        ratio(together, truth_pairs),
    )
}

/// BCubed precision and recall (Amigó et al. 2009): for each item, precision is the share of its
/// predicted cluster that is its person and recall the share of its person that is in its cluster,
/// averaged over items: P = (1/n) Σ n_ij² / b_j, R = (1/n) Σ n_ij² / a_i.
///
/// No items scores 1 throughout (nothing is misplaced).
///
/// # Panics
/// If `truth` and `predicted` differ in length.
pub fn bcubed(truth: &[usize], predicted: &[Option<usize>]) -> PrecisionRecall {
    let table = Contingency::new(truth, predicted);
    if table.n == 0 {
        return PrecisionRecall::new(1.0, 1.0);
    }
    let (mut precision, mut recall) = (0.0, 0.0);
    // The n_ij items of a cell share the same per-item scores n_ij/b_j and n_ij/a_i.
    for &(i, j, c) in &table.cells {
        let c = c as f64;
        precision += c * c / table.predicted_sizes[j] as f64;
        recall += c * c / table.truth_sizes[i] as f64;
    }
    let n = table.n as f64;
    PrecisionRecall::new(precision / n, recall / n)
}

/// Entropy in nats of a labeling with the given group sizes: H = -Σ (s/n) ln(s/n).
fn entropy(sizes: &[u64], n: f64) -> f64 {
    -sizes
        .iter()
        .map(|&s| {
            let p = s as f64 / n;
            p * p.ln()
        })
        .sum::<f64>()
}

/// Normalised mutual information with arithmetic-mean normalisation (scikit-learn's default):
/// NMI = I(T; P) / ((H(T) + H(P)) / 2), with I = Σ (n_ij/n) ln(n·n_ij / (a_i·b_j)).
///
/// Degenerate cases follow scikit-learn: no items, or both sides a single group, is a perfect
/// match (1); otherwise zero mutual information gives 0 (e.g. one side a single group and the
/// other not). The result is clamped to [0, 1] against rounding.
///
/// # Panics
/// If `truth` and `predicted` differ in length.
pub fn nmi(truth: &[usize], predicted: &[Option<usize>]) -> f64 {
    let table = Contingency::new(truth, predicted);
    if table.truth_sizes.len() <= 1 && table.predicted_sizes.len() <= 1 {
        return 1.0;
    }
    let n = table.n as f64;
    let mutual: f64 = table
        .cells
        .iter()
        .map(|&(i, j, c)| {
            let c = c as f64;
            let (a, b) = (table.truth_sizes[i] as f64, table.predicted_sizes[j] as f64);
            // One ratio of exact integer products, so independent cells give ln 1 = 0 exactly.
            c / n * (n * c / (a * b)).ln()
        })
        .sum();
    // I ≥ 0 in exact arithmetic; zero here means the labelings are independent.
    if mutual <= 0.0 {
        return 0.0;
    }
    let mean_entropy = (entropy(&table.truth_sizes, n) + entropy(&table.predicted_sizes, n)) / 2.0;
    (mutual / mean_entropy).clamp(0.0, 1.0)
}

/// Counts the predicted groups: `clusters` = labels shared by ≥ 2 items, `singletons` = noise
/// items plus labels used by exactly one item. So `clusters`' members + `singletons` = n.
pub fn counts(predicted: &[Option<usize>]) -> ClusterCounts {
    let mut sizes: HashMap<usize, usize> = HashMap::new();
    let mut noise = 0;
    for p in predicted {
        match p {
            Some(label) => *sizes.entry(*label).or_insert(0) += 1,
            None => noise += 1,
        }
    }
    let clusters = sizes.values().filter(|&&s| s >= 2).count();
    let lone = sizes.values().filter(|&&s| s == 1).count();
    ClusterCounts {
        clusters,
        singletons: noise + lone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Option<usize> = Some(10);
    const B: Option<usize> = Some(20);

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    fn assert_pr(got: PrecisionRecall, precision: f64, recall: f64, f: f64) {
        assert!(
            close(got.precision, precision) && close(got.recall, recall) && close(got.f, f),
            "got {got:?}, want P={precision} R={recall} F={f}"
        );
    }

    /// Tiny deterministic generator so the brute-force checks need no dependency.
    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *seed >> 33
    }

    #[test]
    fn perfect_clustering_scores_one() {
        // Labels differ from the truth's numbers; only the grouping matters.
        let truth = [0, 0, 1, 1, 1, 2];
        let predicted = [Some(5), Some(5), Some(3), Some(3), Some(3), Some(9)];
        assert_pr(pairwise(&truth, &predicted), 1.0, 1.0, 1.0);
        assert_pr(bcubed(&truth, &predicted), 1.0, 1.0, 1.0);
        assert!(close(nmi(&truth, &predicted), 1.0));
    }

    #[test]
    fn all_in_one_cluster() {
        // truth [0,0,0,1,1], everything in A.
        // Pairwise: together = C(3,2)+C(2,2) = 4; predicted pairs = C(5,2) = 10; truth pairs = 4.
        //   P = 4/10, R = 1, F = 2·0.4/1.4 = 4/7.
        // BCubed: P = (3·3/5 + 2·2/5)/5 = (9+4)/25 = 13/25; R = 1; F = 2·(13/25)/(38/25) = 13/19.
        // NMI: the prediction has one group, H(P) = 0, so I = 0 and NMI = 0.
        let truth = [0, 0, 0, 1, 1];
        let predicted = [A; 5];
        assert_pr(pairwise(&truth, &predicted), 0.4, 1.0, 4.0 / 7.0);
        assert_pr(bcubed(&truth, &predicted), 13.0 / 25.0, 1.0, 13.0 / 19.0);
        assert_eq!(nmi(&truth, &predicted), 0.0);
    }

    #[test]
    fn all_singletons() {
        // truth [0,0,0,1,1], every item alone (noise and one-item clusters alike).
        // Pairwise: no predicted pairs -> P = 1 by convention; together = 0 -> R = 0/4 = 0; F = 0.
        // BCubed: P = 1; R = (3·1/3 + 2·1/2)/5 = 2/5; F = 2·0.4/1.4 = 4/7.
        // NMI: H(P) = ln 5, I = H(T) (P refines T), so NMI = 2H(T)/(H(T) + ln 5) with
        //   H(T) = -(0.6 ln 0.6 + 0.4 ln 0.4).
        let truth = [0, 0, 0, 1, 1];
        let predicted = [None, Some(1), None, Some(2), None];
        assert_pr(pairwise(&truth, &predicted), 1.0, 0.0, 0.0);
        assert_pr(bcubed(&truth, &predicted), 1.0, 0.4, 4.0 / 7.0);
        let h_t = -(0.6f64 * 0.6f64.ln() + 0.4f64 * 0.4f64.ln());
        let want = 2.0 * h_t / (h_t + 5f64.ln());
        assert!((nmi(&truth, &predicted) - want).abs() < 1e-9);
    }

    #[test]
    fn mixed_case_by_hand() {
        // truth [0,0,0,1,1], predicted [A,A,B,B,B]. Cells: (0,A)=2, (0,B)=1, (1,B)=2;
        // person sizes 3,2; cluster sizes A=2, B=3.
        let truth = [0, 0, 0, 1, 1];
        let predicted = [A, A, B, B, B];

        // Pairwise: together = C(2,2)+C(1,2)+C(2,2) = 2; predicted pairs = C(2,2)+C(3,2) = 4;
        // truth pairs = C(3,2)+C(2,2) = 4. P = R = F = 1/2.
        assert_pr(pairwise(&truth, &predicted), 0.5, 0.5, 0.5);

        // BCubed per item (precision | recall):
        //   items 0,1 (0,A): 2/2 | 2/3;  item 2 (0,B): 1/3 | 1/3;  items 3,4 (1,B): 2/3 | 2/2.
        //   P = (1+1+1/3+2/3+2/3)/5 = (11/3)/5 = 11/15; R = (2/3+2/3+1/3+1+1)/5 = 11/15; F = 11/15.
        assert_pr(
            bcubed(&truth, &predicted),
            11.0 / 15.0,
            11.0 / 15.0,
            11.0 / 15.0,
        );

        // NMI: I = 2/5 ln((2/5)/((3/5)(2/5))) + 1/5 ln((1/5)/((3/5)(3/5))) + 2/5 ln((2/5)/((2/5)(3/5)))
        //        = 4/5 ln(5/3) + 1/5 ln(5/9) = ln 5 − (6/5) ln 3.
        // Both labelings have sizes {3,2}: H = −(3/5 ln 3/5 + 2/5 ln 2/5) = ln 5 − (3/5) ln 3 − (2/5) ln 2.
        // NMI = I / H = (ln 5 − 1.2 ln 3) / (ln 5 − 0.6 ln 3 − 0.4 ln 2) ≈ 0.432538.
        let (ln2, ln3, ln5) = (2f64.ln(), 3f64.ln(), 5f64.ln());
        let want = (ln5 - 1.2 * ln3) / (ln5 - 0.6 * ln3 - 0.4 * ln2);
        assert!((nmi(&truth, &predicted) - want).abs() < 1e-9);
        assert!((want - 0.432538).abs() < 1e-6);
    }

    #[test]
    fn noise_items_are_never_together() {
        // truth [0,0,1,1], predicted [A,A,None,None]: the two Nones are two clusters, not one.
        // Pairwise: together = C(2,2) = 1 (items 0,1); predicted pairs = 1; truth pairs = 2.
        //   P = 1, R = 1/2, F = 2/3.
        // A `None` is also apart from a real label that happens to equal the next dense id.
        let truth = [0, 0, 1, 1];
        let predicted = [Some(0), Some(0), None, None];
        assert_pr(pairwise(&truth, &predicted), 1.0, 0.5, 2.0 / 3.0);
        let predicted = [None, Some(0), Some(1), Some(1)];
        // Pairs together: (2,3) only, and it is same-person: P = 1/1, R = 1/2.
        assert_pr(pairwise(&truth, &predicted), 1.0, 0.5, 2.0 / 3.0);
    }

    #[test]
    fn empty_and_single_item() {
        assert_pr(pairwise(&[], &[]), 1.0, 1.0, 1.0);
        assert_pr(bcubed(&[], &[]), 1.0, 1.0, 1.0);
        assert_eq!(nmi(&[], &[]), 1.0);
        assert_pr(pairwise(&[7], &[None]), 1.0, 1.0, 1.0);
        assert_pr(bcubed(&[7], &[None]), 1.0, 1.0, 1.0);
        assert_eq!(nmi(&[7], &[None]), 1.0);
        assert_eq!(
            counts(&[]),
            ClusterCounts {
                clusters: 0,
                singletons: 0
            }
        );
    }

    #[test]
    fn nmi_degenerate_cases() {
        // Both sides one group: perfect (1). Truth one group, prediction split: I = 0, so 0.
        assert_eq!(nmi(&[3, 3, 3], &[A, A, A]), 1.0);
        assert_eq!(nmi(&[3, 3, 3], &[A, B, None]), 0.0);
        // Independent labelings: each cell n_ij = a_i·b_j/n exactly, so I = 0.
        assert_eq!(nmi(&[0, 0, 1, 1], &[A, B, A, B]), 0.0);
        // Symmetric in its arguments for a split that is not a refinement.
        let t = [0, 0, 1, 1, 2, 2];
        let p = [A, A, A, B, B, None];
        let swapped_t = [0, 0, 0, 1, 1, 2];
        let swapped_p = [Some(0), Some(0), Some(1), Some(1), Some(2), Some(2)];
        assert!((nmi(&t, &p) - nmi(&swapped_t, &swapped_p)).abs() < 1e-12);
    }

    #[test]
    fn counts_clusters_and_singletons() {
        // A has 3, B has 2, Some(7) has 1, two noise: 2 clusters, 1 + 2 = 3 singletons.
        let predicted = [A, B, A, None, Some(7), B, A, None];
        assert_eq!(
            counts(&predicted),
            ClusterCounts {
                clusters: 2,
                singletons: 3
            }
        );
        assert_eq!(
            counts(&[None, None]),
            ClusterCounts {
                clusters: 0,
                singletons: 2
            }
        );
    }

    #[test]
    fn contingency_formulas_match_brute_force() {
        let mut seed = 42;
        for round in 0..50 {
            let n = (lcg(&mut seed) % 40) as usize + round % 3;
            let truth: Vec<usize> = (0..n).map(|_| (lcg(&mut seed) % 5) as usize).collect();
            let predicted: Vec<Option<usize>> = (0..n)
                .map(|_| match lcg(&mut seed) % 6 {
                    0 => None,
                    k => Some(k as usize),
                })
                .collect();
            let same_cluster = |a: usize, b: usize| matches!((predicted[a], predicted[b]), (Some(x), Some(y)) if x == y);

            let (mut together, mut pred_pairs, mut true_pairs) = (0u64, 0u64, 0u64);
            for a in 0..n {
                for b in a + 1..n {
                    let (sc, sp) = (same_cluster(a, b), truth[a] == truth[b]);
                    together += u64::from(sc && sp);
                    pred_pairs += u64::from(sc);
                    true_pairs += u64::from(sp);
                }
            }
            let ratio = |x: u64, y: u64| if y == 0 { 1.0 } else { x as f64 / y as f64 };
            let want =
                PrecisionRecall::new(ratio(together, pred_pairs), ratio(together, true_pairs));
            assert_pr(
                pairwise(&truth, &predicted),
                want.precision,
                want.recall,
                want.f,
            );

            if n > 0 {
                let (mut p, mut r) = (0.0, 0.0);
                for a in 0..n {
                    let cluster: Vec<usize> =
                        (0..n).filter(|&b| b == a || same_cluster(a, b)).collect();
                    let person = (0..n).filter(|&b| truth[b] == truth[a]).count();
                    let both = cluster.iter().filter(|&&b| truth[b] == truth[a]).count();
                    p += both as f64 / cluster.len() as f64;
                    r += both as f64 / person as f64;
                }
                let want = PrecisionRecall::new(p / n as f64, r / n as f64);
                assert_pr(
                    bcubed(&truth, &predicted),
                    want.precision,
                    want.recall,
                    want.f,
                );
            }
            let score = nmi(&truth, &predicted);
            assert!((0.0..=1.0).contains(&score));
        }
    }

    #[test]
    fn hundred_thousand_items_are_cheap() {
        // 10k people of 10 faces each; the prediction merges people in pairs.
        // Pairwise: together = 10k·C(10,2) = 450k; predicted pairs = 5k·C(20,2) = 950k;
        // truth pairs = 450k. P = 450/950 = 9/19, R = 1.
        let n = 100_000;
        let truth: Vec<usize> = (0..n).map(|i| i / 10).collect();
        let predicted: Vec<Option<usize>> = (0..n).map(|i| Some(i / 20)).collect();
        let pr = pairwise(&truth, &predicted);
        assert!(close(pr.precision, 9.0 / 19.0) && close(pr.recall, 1.0));
        // BCubed: every item sees 10 of its person in a cluster of 20: P = 1/2, R = 1.
        let b = bcubed(&truth, &predicted);
        assert!(close(b.precision, 0.5) && close(b.recall, 1.0));
        // All in one: C(100k, 2) = 4_999_950_000 predicted pairs, no overflow.
        let pr = pairwise(&truth, &vec![A; n]);
        assert!(close(pr.precision, 450_000.0 / 4_999_950_000.0));
    }

    #[test]
    #[should_panic(expected = "same items")]
    fn length_mismatch_panics() {
        pairwise(&[0, 1], &[A]);
    }
}
