//! Personal adaptation: the user's decisions are labelled data. Faces they placed (named, merged,
//! moved, split) are labelled with their person; a face they said is "not" its person, and did not
//! place elsewhere, joins as an identity of its own, a negative for everyone.
//!
//! A part of each person's labelled faces is held out; a head is trained with batch-hard triplet
//! loss on the rest and both the plain embedding and the head are measured on the held-out faces:
//! the library's clustering (BCubed F) and same/different accuracy at tau. The head is put in use
//! only if it is no worse on both and better on one; otherwise any head in use is dropped and the
//! plain embedding stays. The stored faces are never changed: clustering and suggestions pass them
//! through the head in use when they read them ([`apply_active`]).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::dataset::LabelledFaces;
use super::head::Head;
use super::losses::LossKind;
use super::trainer::{train, Progress, TrainConfig};
use super::TrainError;
use crate::catalog::{Catalog, CatalogError, FaceRow};
use crate::eval::labelled::{measure, Measures};
use crate::people::cluster::Algorithm;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdaptOptions {
    /// Share of each person's labelled faces held out for validation.
    pub held_out: f32,
    /// Chooses the held-out faces (training has its own seed in `train`).
    pub seed: u64,
    pub train: TrainConfig,
}

impl Default for AdaptOptions {
    /// Unlike `kith train`, whose head must carry over to people it never saw, this head is for
    /// the very people whose faces it learns from: a wide margin (alpha 1 on squared distances,
    /// about the gap between dlib's same- and different-person distances) keeps every triplet
    /// teaching, and the tether to the identity is loose. A library's labels are few, so there
    /// are more passes over them. The held-out check decides whether the result is used.
    fn default() -> Self {
        let mut train = TrainConfig::new(LossKind::TripletBatchHard);
        train.loss.alpha = 1.0;
        train.learning_rate = 1e-2;
        train.identity_weight = 1e-3;
        train.epochs = 100;
        Self {
            held_out: 0.3,
            seed: 0,
            train,
        }
    }
}

/// What adaptation found, as stored with an accepted head and shown by `kith adapt`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdaptReport {
    /// Faces the user placed, and the persons they belong to.
    pub labelled_faces: usize,
    pub persons: usize,
    /// "Not this person" faces used as negatives.
    pub negatives: usize,
    pub train_faces: usize,
    pub held_out_faces: usize,
    /// The held-out faces under the plain embedding and under the head.
    pub plain: Measures,
    pub adapted: Measures,
    pub accepted: bool,
    /// ||W − I||: how far the head moved.
    pub drift: f32,
    pub loss: LossKind,
    pub epochs: usize,
    pub steps: usize,
    pub seconds: f64,
}

/// The user's decisions as labelled faces (see the module comment); labels are persons' names,
/// or `#id` for unnamed ones.
pub fn labelled_from_decisions(catalog: &Catalog) -> Result<(LabelledFaces, usize), CatalogError> {
    let names: HashMap<i64, String> = catalog
        .persons(true)?
        .into_iter()
        .map(|p| (p.id, p.name.unwrap_or_else(|| format!("#{}", p.id))))
        .collect();
    let not_person: HashSet<i64> = catalog
        .not_person_facts()?
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    let mut out = LabelledFaces::default();
    let mut negatives = 0;
    for face in catalog.faces()?.into_iter().filter(|f| !f.ignored) {
        match (face.pinned, face.person) {
            (true, Some(person)) => {
                let name = names
                    .get(&person)
                    .cloned()
                    .unwrap_or_else(|| format!("#{person}"));
                out.push(&name, face.id, face.embedding);
            }
            _ if not_person.contains(&face.id) => {
                // A label no person has: nothing shares it, so it only ever serves as a negative.
                out.push(
                    &format!("not-person face {}", face.id),
                    face.id,
                    face.embedding,
                );
                negatives += 1;
            }
            _ => {}
        }
    }
    Ok((out, negatives))
}

/// A trained and validated head, not yet kept or dropped.
#[derive(Debug, Clone)]
pub struct Adaptation {
    pub report: AdaptReport,
    pub head: Head,
}

/// Trains a head on the user's decisions and validates it on held-out faces ([`validate`]), then
/// puts it in use if it does better, else drops any head in use ([`keep`]).
pub fn adapt(
    catalog: &Catalog,
    algorithm: &Algorithm,
    tau: f32,
    options: &AdaptOptions,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(&Progress),
) -> Result<AdaptReport, TrainError> {
    let adaptation = validate(catalog, algorithm, tau, options, cancel, progress)?;
    keep(catalog, &adaptation)?;
    Ok(adaptation.report)
}

/// Trains a head on the user's decisions and measures it against the plain embedding on the
/// held-out faces. `algorithm` and `tau` are the library's clustering and same-person threshold.
/// Changes nothing in the catalog.
pub fn validate(
    catalog: &Catalog,
    algorithm: &Algorithm,
    tau: f32,
    options: &AdaptOptions,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Adaptation, TrainError> {
    let (labelled, negatives) = labelled_from_decisions(catalog)?;
    let (train_set, held) = labelled.split_faces(options.held_out, options.seed);
    let usable = held.sizes().iter().filter(|&&n| n > 0).count();
    if usable < 2 {
        return Err(TrainError::NotEnoughData(format!(
            "adaptation needs at least two people with two or more faces placed by you; \
             {} faces of {} people are labelled",
            labelled.len() - negatives,
            labelled.persons.len() - negatives
        )));
    }
    let trained = train(&train_set, &options.train, cancel, progress)?;
    let plain = measure(&held.embeddings, &held.labels, algorithm, tau, options.seed);
    let adapted = measure(
        &trained.head.apply_all(&held.embeddings),
        &held.labels,
        algorithm,
        tau,
        options.seed,
    );
    let accepted = improves(&plain, &adapted);
    let report = AdaptReport {
        labelled_faces: labelled.len() - negatives,
        persons: labelled.persons.len() - negatives,
        negatives,
        train_faces: train_set.len(),
        held_out_faces: held.len(),
        plain,
        adapted,
        accepted,
        drift: trained.head.drift(),
        loss: options.train.loss.kind,
        epochs: options.train.epochs,
        steps: trained.steps,
        seconds: trained.seconds,
    };
    tracing::info!(accepted, drift = report.drift, "adaptation head validated");
    Ok(Adaptation {
        report,
        head: trained.head,
    })
}

/// Puts an accepted head in use with its report; for a rejected one, drops any head in use.
pub fn keep(catalog: &Catalog, adaptation: &Adaptation) -> Result<(), TrainError> {
    if adaptation.report.accepted {
        let json = serde_json::to_string(&adaptation.report)
            .map_err(|e| CatalogError::Malformed(format!("adaptation report: {e}")))?;
        catalog.set_adaptation(&adaptation.head.to_bytes()?, &json)?;
    } else {
        catalog.clear_adaptation()?;
    }
    Ok(())
}

/// No worse on held-out clustering and verification, and better on at least one.
fn improves(plain: &Measures, adapted: &Measures) -> bool {
    let f = (adapted.bcubed.f, plain.bcubed.f);
    let a = (adapted.accuracy_at_tau, plain.accuracy_at_tau);
    f.0 >= f.1 && a.0 >= a.1 && (f.0 > f.1 || a.0 > a.1)
}

/// The head in use, if any.
pub fn active_head(catalog: &Catalog) -> Result<Option<Head>, CatalogError> {
    catalog
        .adaptation()?
        .map(|stored| {
            Head::from_bytes(&stored.weights)
                .map_err(|e| CatalogError::Malformed(format!("adaptation head: {e}")))
        })
        .transpose()
}

/// Passes the faces' embeddings through the head in use (nothing changes without one).
pub fn apply_active(catalog: &Catalog, faces: &mut [FaceRow]) -> Result<(), CatalogError> {
    if let Some(head) = active_head(catalog)? {
        for f in faces {
            f.embedding = head.apply(&f.embedding);
        }
    }
    Ok(())
}

/// The report stored with the head in use (the JSON of its [`AdaptReport`]).
pub fn active_report(catalog: &Catalog) -> Result<Option<serde_json::Value>, CatalogError> {
    catalog
        .adaptation()?
        .map(|stored| {
            serde_json::from_str(&stored.report)
                .map_err(|e| CatalogError::Malformed(format!("adaptation report: {e}")))
        })
        .transpose()
}
