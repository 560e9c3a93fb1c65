//! Evaluation: the standard measures of how well Kith finds people, as pure functions over
//! labels and distances, so benchmarks and tests can score a run against ground truth.
//!
//! [`clustering`] scores a predicted grouping of faces against true identities (pairwise and
//! BCubed precision/recall, NMI, cluster counts); [`verification`] scores face-pair distances
//! against same/different labels (accuracy at a threshold, ROC AUC, best threshold, TAR@FAR,
//! LFW-style k-fold accuracy); [`labelled`] gathers both for a set of labelled descriptors, as
//! the learning reports compare an embedding with and without a trained head.

pub mod clustering;
pub mod folder;
pub mod labelled;
pub mod verification;

pub use clustering::{bcubed, counts, nmi, pairwise, ClusterCounts, PrecisionRecall};
pub use verification::{
    accuracy_at, best_threshold, k_fold_accuracy, roc_auc, tar_at_far, verification, KFold,
    Verification,
};
