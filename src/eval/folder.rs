//! `kith eval --truth DIR`: how well Kith groups a folder-per-person tree, in the standard measures.
//!
//! The folder is scanned into a throw-away catalog; in each photo the largest face is the labelled
//! one (labelled-face sets centre and enlarge the named person). All faces are clustered, as a
//! library would be, and the labelled faces are scored against their folders.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::clustering::{bcubed, counts, nmi, pairwise, PrecisionRecall};
use super::verification::{verification, Verification};
use crate::catalog::{Catalog, CatalogError, FaceRow};
use crate::people::assign::same_photo_constraints;
use crate::people::cluster::{cluster, Algorithm};
use crate::vision::distance;

/// The report, with the keys scripts read from `kith eval --json`.
#[derive(Debug, Clone, Serialize)]
pub struct FolderReport {
    pub photos: usize,
    pub photos_with_faces: usize,
    /// Labelled faces scored (one per photo with a face).
    pub faces: usize,
    pub persons: usize,
    pub clusters: usize,
    pub singletons: usize,
    pub pairwise: PrecisionRecall,
    pub bcubed: PrecisionRecall,
    pub nmi: f64,
    pub verification: Verification,
}

/// The labelled face of each photo under `truth_root`, with its person (the top folder's name).
pub fn labelled_faces(faces: &[FaceRow], truth_root: &Path) -> Vec<(String, usize)> {
    let mut best: HashMap<&PathBuf, usize> = HashMap::new();
    for (i, f) in faces.iter().enumerate() {
        let area = f.bbox[2] * f.bbox[3];
        let entry = best.entry(&f.photo_path).or_insert(i);
        if faces[*entry].bbox[2] * faces[*entry].bbox[3] < area {
            *entry = i;
        }
    }
    let mut out: Vec<(String, usize)> = best
        .into_iter()
        .filter_map(|(path, i)| {
            let rel = path.strip_prefix(truth_root).ok()?;
            let person = rel
                .components()
                .next()?
                .as_os_str()
                .to_string_lossy()
                .into_owned();
            // A photo directly in the root has no person folder.
            (rel.components().count() > 1).then_some((person, i))
        })
        .collect();
    out.sort_by_key(|(_, i)| *i);
    out
}

/// Scores the clustering of the faces in `catalog` (a scan of `truth_root`).
pub fn evaluate(
    catalog: &Catalog,
    truth_root: &Path,
    algorithm: &Algorithm,
    tau: f32,
) -> Result<FolderReport, CatalogError> {
    let faces = catalog.faces()?;
    let counts_all = catalog.counts()?;
    let points: Vec<_> = faces.iter().map(|f| f.embedding).collect();
    let labels = cluster(&points, algorithm, &same_photo_constraints(&faces));

    let labelled = labelled_faces(&faces, truth_root);
    let mut person_ids: HashMap<&str, usize> = HashMap::new();
    let truth: Vec<usize> = labelled
        .iter()
        .map(|(p, _)| {
            let next = person_ids.len();
            *person_ids.entry(p.as_str()).or_insert(next)
        })
        .collect();
    let predicted: Vec<Option<usize>> = labelled.iter().map(|(_, i)| labels[*i]).collect();
    let mut pairs = Vec::new();
    for a in 0..labelled.len() {
        for b in a + 1..labelled.len() {
            let d = distance(
                &faces[labelled[a].1].embedding,
                &faces[labelled[b].1].embedding,
            );
            pairs.push((d, truth[a] == truth[b]));
        }
    }
    let c = counts(&predicted);
    Ok(FolderReport {
        photos: counts_all.photos as usize,
        photos_with_faces: counts_all.photos_with_faces as usize,
        faces: labelled.len(),
        persons: person_ids.len(),
        clusters: c.clusters,
        singletons: c.singletons,
        pairwise: pairwise(&truth, &predicted),
        bcubed: bcubed(&truth, &predicted),
        nmi: nmi(&truth, &predicted),
        verification: verification(&pairs, tau),
    })
}
