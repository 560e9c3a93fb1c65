//! Verification measures: how well one distance threshold tells "same person" face pairs from
//! "different people" pairs, as in the LFW benchmark.
//!
//! A pair is `(distance, same)`. A threshold `t` accepts a pair as "same" iff `distance < t`.
//! Distances are Euclidean, so non-negative; a NaN distance counts as infinitely far (never
//! accepted). Measures that are undefined for the input (no pairs, or no pairs of a needed kind)
//! are NaN, which serde_json writes as `null`. Everything sorts once: O(n log n).

use serde::Serialize;

/// The verification report for a set of labelled pairs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Verification {
    /// [`accuracy_at`] the operating threshold `tau`.
    pub accuracy_at_tau: f64,
    /// The operating threshold, as the shortest decimal that reads back as the given f32.
    pub tau: f64,
    /// [`roc_auc`].
    pub auc: f64,
    /// [`best_threshold`] on these same pairs (an optimistic, in-sample figure).
    pub best_threshold: f64,
    pub best_accuracy: f64,
    /// [`tar_at_far`] at a false-accept rate of 1e-3.
    #[serde(rename = "tar_at_far_1e-3")]
    pub tar_at_far_1e_3: f64,
}

/// Computes every measure of [`Verification`] for `pairs` at the operating threshold `tau`.
pub fn verification(pairs: &[(f32, bool)], tau: f32) -> Verification {
    let (best_threshold, best_accuracy) = best_threshold(pairs);
    Verification {
        // Compare against the exact f32 the caller uses; only the reported value is prettified.
        accuracy_at_tau: accuracy_at(pairs, f64::from(tau)),
        tau: tau.to_string().parse().unwrap_or(f64::from(tau)),
        auc: roc_auc(pairs),
        best_threshold,
        best_accuracy,
        tar_at_far_1e_3: tar_at_far(pairs, 1e-3),
    }
}

/// The distance as sorted and compared: NaN becomes +∞.
fn key(distance: f32) -> f64 {
    if distance.is_nan() {
        f64::INFINITY
    } else {
        f64::from(distance)
    }
}

/// All pairs at one distance: no threshold can separate them.
struct Group {
    distance: f64,
    same: u64,
    different: u64,
}

/// The pairs merged by equal distance, in ascending order.
fn groups(pairs: &[(f32, bool)]) -> Vec<Group> {
    let mut sorted: Vec<(f64, bool)> = pairs.iter().map(|&(d, s)| (key(d), s)).collect();
    sorted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<Group> = Vec::new();
    for (distance, same) in sorted {
        // `==` (not total_cmp) so that -0.0 and 0.0, adjacent after sorting, merge.
        match out.last_mut() {
            Some(g) if g.distance == distance => {}
            _ => out.push(Group {
                distance,
                same: 0,
                different: 0,
            }),
        }
        if let Some(g) = out.last_mut() {
            if same {
                g.same += 1;
            } else {
                g.different += 1;
            }
        }
    }
    out
}

fn totals(groups: &[Group]) -> (u64, u64) {
    groups
        .iter()
        .fold((0, 0), |(s, d), g| (s + g.same, d + g.different))
}

/// Share of pairs classified correctly when "same" iff `distance < threshold`:
/// (same pairs accepted + different pairs rejected) / all pairs. NaN for no pairs.
pub fn accuracy_at(pairs: &[(f32, bool)], threshold: f64) -> f64 {
    if pairs.is_empty() {
        return f64::NAN;
    }
    let correct = pairs
        .iter()
        .filter(|&&(d, same)| (key(d) < threshold) == same)
        .count();
    correct as f64 / pairs.len() as f64
}

/// Area under the ROC curve, as the Mann–Whitney statistic: P(d_same < d_different) for a random
/// same pair and a random different pair, a tie counting 1/2. NaN without both kinds of pair.
pub fn roc_auc(pairs: &[(f32, bool)]) -> f64 {
    let groups = groups(pairs);
    let (same_total, different_total) = totals(&groups);
    if same_total == 0 || different_total == 0 {
        return f64::NAN;
    }
    // Twice the win count, so ties (worth 1/2) stay in exact integers.
    let mut twice_wins: u128 = 0;
    let mut different_below: u64 = 0;
    for g in &groups {
        let different_above = different_total - different_below - g.different;
        twice_wins += u128::from(g.same) * u128::from(2 * different_above + g.different);
        different_below += g.different;
    }
    twice_wins as f64 / (2.0 * same_total as f64 * different_total as f64)
}

/// The threshold that classifies `pairs` most accurately, and that accuracy. Candidates are the
/// smallest distance (accepts nothing), the midpoints between consecutive distinct distances, and
/// the next float above the largest distance (accepts everything); ties in accuracy go to the
/// smallest threshold. (NaN, NaN) for no pairs.
pub fn best_threshold(pairs: &[(f32, bool)]) -> (f64, f64) {
    let groups = groups(pairs);
    let Some(first) = groups.first() else {
        return (f64::NAN, f64::NAN);
    };
    let (_, different_total) = totals(&groups);
    let n = pairs.len() as f64;
    let mut best = (first.distance, different_total);
    let (mut same_accepted, mut different_accepted) = (0, 0);
    for (k, g) in groups.iter().enumerate() {
        same_accepted += g.same;
        different_accepted += g.different;
        let threshold = match groups.get(k + 1) {
            Some(next) => g.distance.midpoint(next.distance),
            None => g.distance.next_up(),
        };
        // Skip a candidate that would not accept exactly groups 0..=k (only with infinite
        // distances, e.g. the next float above +∞ is +∞ and accepts nothing more).
        let next_ok = groups
            .get(k + 1)
            .is_none_or(|next| threshold <= next.distance);
        let correct = same_accepted + (different_total - different_accepted);
        if threshold > g.distance && next_ok && correct > best.1 {
            best = (threshold, correct);
        }
    }
    (best.0, best.1 as f64 / n)
}

/// True-accept rate at a false-accept rate: take the largest threshold t whose
/// FAR(t) = (different pairs with d < t) / (different pairs) is ≤ `far`; TAR = (same pairs with
/// d < t) / (same pairs).
///
/// Tied distances are accepted or rejected together, so a tie that would push FAR over `far` is
/// rejected whole (t is its distance). With too few different pairs to resolve `far` (fewer than
/// 1/far) not even one false accept is allowed, so this is the TAR with no false accepts at all:
/// a lower bound of the true figure, not an estimate of it. NaN without both kinds of pair.
pub fn tar_at_far(pairs: &[(f32, bool)], far: f64) -> f64 {
    let groups = groups(pairs);
    let (same_total, different_total) = totals(&groups);
    if same_total == 0 || different_total == 0 {
        return f64::NAN;
    }
    let (mut same_accepted, mut different_accepted) = (0, 0);
    for g in &groups {
        let rate = (different_accepted + g.different) as f64 / different_total as f64;
        // Not `rate > far`: a NaN `far` must accept nothing.
        let within = rate <= far;
        if !within {
            break;
        }
        same_accepted += g.same;
        different_accepted += g.different;
    }
    same_accepted as f64 / same_total as f64
}

/// The result of [`k_fold_accuracy`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KFold {
    /// Mean over folds of the held-out accuracy.
    pub mean_accuracy: f64,
    /// Population standard deviation over folds, sqrt(Σ (acc_k − mean)² / k) (numpy's `np.std`,
    /// as in the FaceNet/InsightFace LFW code); LFW's own "standard error" would be the sample
    /// deviation over sqrt(k).
    pub std_accuracy: f64,
    /// The threshold chosen for each fold, in fold order.
    pub thresholds: Vec<f64>,
}

/// The half-open range of pair indices in fold `fold` of `folds` over `n` pairs: contiguous,
/// the first `n % folds` folds one pair longer (as scikit-learn's KFold).
fn fold_range(n: usize, folds: usize, fold: usize) -> std::ops::Range<usize> {
    let (base, extra) = (n / folds, n % folds);
    let start = fold * base + fold.min(extra);
    let len = base + usize::from(fold < extra);
    start..start + len
}

/// LFW-protocol accuracy: split `pairs` into `folds` contiguous folds (the caller shuffles);
/// for each, pick [`best_threshold`] on the other folds and measure [`accuracy_at`] it on the
/// held-out fold. With fewer than 2 folds or fewer pairs than folds there is no held-out
/// protocol: mean and std are NaN and `thresholds` is empty.
pub fn k_fold_accuracy(pairs: &[(f32, bool)], folds: usize) -> KFold {
    let n = pairs.len();
    if folds < 2 || n < folds {
        return KFold {
            mean_accuracy: f64::NAN,
            std_accuracy: f64::NAN,
            thresholds: Vec::new(),
        };
    }
    let mut thresholds = Vec::with_capacity(folds);
    let mut accuracies = Vec::with_capacity(folds);
    for fold in 0..folds {
        let held_out = fold_range(n, folds, fold);
        let train: Vec<(f32, bool)> = pairs[..held_out.start]
            .iter()
            .chain(&pairs[held_out.end..])
            .copied()
            .collect();
        let (threshold, _) = best_threshold(&train);
        thresholds.push(threshold);
        accuracies.push(accuracy_at(&pairs[held_out], threshold));
    }
    let k = folds as f64;
    let mean = accuracies.iter().sum::<f64>() / k;
    let variance = accuracies.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / k;
    KFold {
        mean_accuracy: mean,
        std_accuracy: variance.sqrt(),
        thresholds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: bool = true;
    const F: bool = false;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *seed >> 33
    }

    /// Random pairs on a coarse grid of distances so that ties are common.
    fn random_pairs(seed: &mut u64, n: usize) -> Vec<(f32, bool)> {
        (0..n)
            .map(|_| {
                let same = lcg(seed).is_multiple_of(2);
                let d = (lcg(seed) % 12) as f32 / 8.0 + if same { 0.0 } else { 0.25 };
                (d, same)
            })
            .collect()
    }

    // Distances below are multiples of 1/8, exact in f32 and f64, so midpoints are exact too.

    #[test]
    fn accuracy_is_strict_below_threshold() {
        // At t = 0.5: 0.25 T accepted ✓, 0.5 T not (0.5 < 0.5 is false) ✗, 0.5 F rejected ✓,
        // 0.375 F accepted ✗. 2/4.
        let pairs = [(0.25, T), (0.5, T), (0.5, F), (0.375, F)];
        assert_eq!(accuracy_at(&pairs, 0.5), 0.5);
        assert!(accuracy_at(&[], 0.5).is_nan());
        // NaN distances are never accepted, whatever the threshold.
        assert_eq!(
            accuracy_at(&[(f32::NAN, T), (f32::NAN, F)], f64::INFINITY),
            0.5
        );
    }

    #[test]
    fn auc_by_hand_with_ties() {
        // same: 0.125, 0.5, 0.5; different: 0.5, 0.875. 3·2 = 6 comparisons.
        // 0.125 beats both (2); each 0.5 ties 0.5 (1/2) and beats 0.875 (1): 1.5 each.
        // AUC = (2 + 1.5 + 1.5) / 6 = 5/6.
        let pairs = [(0.5, T), (0.875, F), (0.125, T), (0.5, F), (0.5, T)];
        assert!(close(roc_auc(&pairs), 5.0 / 6.0));
    }

    #[test]
    fn auc_extremes() {
        assert_eq!(roc_auc(&[(0.25, T), (0.5, T), (0.75, F)]), 1.0);
        assert_eq!(roc_auc(&[(0.75, T), (0.25, F), (0.5, F)]), 0.0);
        // Everything tied: every comparison is 1/2.
        assert_eq!(roc_auc(&[(0.5, T), (0.5, F), (0.5, T)]), 0.5);
        assert!(roc_auc(&[(0.5, T)]).is_nan());
        assert!(roc_auc(&[(0.5, F)]).is_nan());
        assert!(roc_auc(&[]).is_nan());
    }

    #[test]
    fn best_threshold_by_hand() {
        // Groups: 0.125 {T}, 0.5 {T, T, F}, 0.875 {F}; 3 same, 2 different, 5 pairs.
        // t = 0.125 (none): 0 + 2 = 2/5;  t = 0.3125: 1 + 2 = 3/5;  t = 0.6875: 3 + 1 = 4/5;
        // t = next_up(0.875) (all): 3 + 0 = 3/5. Best: 0.6875 at 0.8.
        let pairs = [(0.5, T), (0.875, F), (0.125, T), (0.5, F), (0.5, T)];
        assert_eq!(best_threshold(&pairs), (0.6875, 0.8));
        assert!(close(accuracy_at(&pairs, 0.6875), 0.8));
        let (t, a) = best_threshold(&[]);
        assert!(t.is_nan() && a.is_nan());
    }

    #[test]
    fn best_threshold_edges() {
        // All different: accepting nothing is perfect, at the smallest distance.
        assert_eq!(best_threshold(&[(0.5, F), (0.25, F)]), (0.25, 1.0));
        // All same: accept everything, just above the largest distance.
        assert_eq!(
            best_threshold(&[(0.5, T), (0.25, T)]),
            (0.5f64.next_up(), 1.0)
        );
        // Tie in accuracy: 0.25 T, 0.75 F, 1.0 T. t = 0.5 -> 1 + 1 = 2/3; t = next_up(1) -> 2 + 0 = 2/3.
        // The smaller wins.
        assert_eq!(
            best_threshold(&[(0.25, T), (0.75, F), (1.0, T)]),
            (0.5, 2.0 / 3.0)
        );
        // A NaN (infinitely far) same pair can never be accepted; no candidate claims it.
        let (t, a) = best_threshold(&[(0.25, T), (f32::NAN, T), (0.5, F)]);
        assert_eq!((t, a), (0.375, 2.0 / 3.0));
    }

    #[test]
    fn tar_at_far_by_hand() {
        // same: 0.125, 0.375, 0.5, 0.625 (4); different: 0.25, 0.5, 0.5, 0.75 (4).
        // Groups: 0.125 {T}, 0.25 {F}, 0.375 {T}, 0.5 {T, F, F}, 0.625 {T}, 0.75 {F}.
        let pairs = [
            (0.125, T),
            (0.375, T),
            (0.5, T),
            (0.625, T),
            (0.25, F),
            (0.5, F),
            (0.5, F),
            (0.75, F),
        ];
        // far = 1/4: one false accept allowed. Accept 0.125, 0.25 (FAR 1/4), 0.375; the 0.5 tie
        // would make FAR 3/4, so t = 0.5 and the same pair at 0.5 is not accepted: TAR = 2/4.
        assert_eq!(tar_at_far(&pairs, 0.25), 0.5);
        // far = 3/4: the 0.5 tie fits (3/4), then 0.625; 0.75 would be 4/4. TAR = 4/4.
        assert_eq!(tar_at_far(&pairs, 0.75), 1.0);
        // far = 0: stop at the first different pair (0.25): TAR = 1/4.
        assert_eq!(tar_at_far(&pairs, 0.0), 0.25);
        // 1e-3 with only 4 different pairs: no false accept allowed, same as far = 0.
        assert_eq!(tar_at_far(&pairs, 1e-3), 0.25);
        assert_eq!(tar_at_far(&pairs, 1.0), 1.0);
        assert_eq!(tar_at_far(&pairs, f64::NAN), 0.0);
        assert!(tar_at_far(&[(0.5, T)], 0.1).is_nan());
        assert!(tar_at_far(&[(0.5, F)], 0.1).is_nan());
    }

    #[test]
    fn tar_at_far_exact_rate_is_allowed() {
        // 1000 different pairs at 1.0..; one at 0.5 is exactly FAR 1/1000 = 1e-3, so allowed:
        // same pairs at 0.25 and 0.75 are accepted (t = 1.0), the one at 1.5 is not. TAR = 2/3.
        let mut pairs = vec![(0.25, T), (0.75, T), (1.5, T), (0.5, F)];
        pairs.extend((0..999).map(|i| (1.0 + i as f32 / 1024.0, F)));
        assert!(close(tar_at_far(&pairs, 1e-3), 2.0 / 3.0));
    }

    #[test]
    fn fast_measures_match_brute_force() {
        let mut seed = 7;
        for round in 0..40 {
            let pairs = random_pairs(&mut seed, 1 + round * 3);
            let same: Vec<f32> = pairs.iter().filter(|p| p.1).map(|p| p.0).collect();
            let diff: Vec<f32> = pairs.iter().filter(|p| !p.1).map(|p| p.0).collect();

            // AUC: every same/different comparison.
            if !same.is_empty() && !diff.is_empty() {
                let mut wins = 0.0;
                for &s in &same {
                    for &d in &diff {
                        wins += if s < d {
                            1.0
                        } else if s == d {
                            0.5
                        } else {
                            0.0
                        };
                    }
                }
                let want = wins / (same.len() * diff.len()) as f64;
                assert!(close(roc_auc(&pairs), want), "round {round}");
            }

            // Best threshold: no threshold on a fine grid does better, and the claim is real.
            let (t, acc) = best_threshold(&pairs);
            assert!(close(accuracy_at(&pairs, t), acc), "round {round}");
            for step in 0..=400 {
                assert!(accuracy_at(&pairs, step as f64 / 128.0 - 0.5) <= acc + 1e-12);
            }

            // TAR@FAR: the largest grid threshold within the FAR budget gives the same TAR.
            if !same.is_empty() && !diff.is_empty() {
                for far in [0.0, 0.1, 0.3, 0.5, 1.0] {
                    let rate = |t: f64, of: &[f32]| {
                        of.iter().filter(|&&d| f64::from(d) < t).count() as f64 / of.len() as f64
                    };
                    // Distances are multiples of 1/8, so a 1/16 grid reaches every distinct set.
                    let t = (0..=64)
                        .map(|i| i as f64 / 16.0)
                        .filter(|&t| rate(t, &diff) <= far)
                        .fold(f64::NEG_INFINITY, f64::max);
                    assert!(
                        close(tar_at_far(&pairs, far), rate(t, &same)),
                        "round {round} far {far}"
                    );
                }
            }
        }
    }

    #[test]
    fn fold_ranges_cover_everything() {
        // 7 pairs in 3 folds: sizes 3, 2, 2.
        assert_eq!(fold_range(7, 3, 0), 0..3);
        assert_eq!(fold_range(7, 3, 1), 3..5);
        assert_eq!(fold_range(7, 3, 2), 5..7);
        assert_eq!(fold_range(6000, 10, 9), 5400..6000);
    }

    #[test]
    fn k_fold_on_separable_pairs() {
        // Same pairs all below 0.5, different all above: every fold is perfect.
        let pairs: Vec<(f32, bool)> = (0..40)
            .map(|i| {
                if i % 2 == 0 {
                    (0.25 + i as f32 / 256.0, T)
                } else {
                    (0.75, F)
                }
            })
            .collect();
        let k = k_fold_accuracy(&pairs, 10);
        assert_eq!((k.mean_accuracy, k.std_accuracy), (1.0, 0.0));
        assert_eq!(k.thresholds.len(), 10);
    }

    #[test]
    fn k_fold_by_hand() {
        // fold 0: 0.125 T, 0.625 F;  fold 1: 0.375 T, 0.875 F;  fold 2: 0.75 T, 0.5 F.
        let pairs = [
            (0.125, T),
            (0.625, F),
            (0.375, T),
            (0.875, F),
            (0.75, T),
            (0.5, F),
        ];
        // Hold out 0; train 0.375 T, 0.5 F, 0.75 T, 0.875 F:
        //   0.375 -> 2/4, 0.4375 -> 3/4, 0.625 -> 2/4, 0.8125 -> 3/4, all -> 2/4; pick 0.4375.
        //   Test: 0.125 T accepted ✓, 0.625 F rejected ✓ -> 1.
        // Hold out 1; train 0.125 T, 0.5 F, 0.625 F, 0.75 T:
        //   0.125 -> 2/4, 0.3125 -> 3/4, 0.5625 -> 2/4, 0.6875 -> 1/4, all -> 2/4; pick 0.3125.
        //   Test: 0.375 T rejected ✗, 0.875 F rejected ✓ -> 1/2.
        // Hold out 2; train 0.125 T, 0.375 T, 0.625 F, 0.875 F: pick 0.5 (4/4).
        //   Test: 0.75 T rejected ✗, 0.5 F rejected (0.5 < 0.5 is false) ✓ -> 1/2.
        // Mean = 2/3; deviations 1/3, −1/6, −1/6; variance = (1/9 + 1/36 + 1/36)/3 = 1/18.
        let k = k_fold_accuracy(&pairs, 3);
        assert_eq!(k.thresholds, vec![0.4375, 0.3125, 0.5]);
        assert!(close(k.mean_accuracy, 2.0 / 3.0));
        assert!(close(k.std_accuracy, (1.0f64 / 18.0).sqrt()));
    }

    #[test]
    fn k_fold_without_a_protocol_is_nan() {
        let pairs = [(0.25, T), (0.75, F)];
        for k in [k_fold_accuracy(&pairs, 1), k_fold_accuracy(&pairs, 3)] {
            assert!(k.mean_accuracy.is_nan() && k.std_accuracy.is_nan() && k.thresholds.is_empty());
        }
    }

    #[test]
    fn report_gathers_the_measures() {
        let pairs = [(0.5, T), (0.875, F), (0.125, T), (0.5, F), (0.5, T)];
        let v = verification(&pairs, 0.6);
        // At tau 0.6: all three same accepted ✓, 0.5 F accepted ✗, 0.875 F rejected ✓ -> 4/5.
        assert!(close(v.accuracy_at_tau, 0.8));
        assert_eq!(v.tau, 0.6);
        assert!(close(v.auc, 5.0 / 6.0));
        assert_eq!((v.best_threshold, v.best_accuracy), (0.6875, 0.8));
        // Two different pairs: no false accept allowed, so accept below 0.5: TAR = 1/3.
        assert!(close(v.tar_at_far_1e_3, 1.0 / 3.0));
        let json = serde_json::to_string(&v).unwrap_or_default();
        assert!(json.contains("\"tar_at_far_1e-3\":"), "{json}");
    }
}
