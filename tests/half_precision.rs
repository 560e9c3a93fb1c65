//! The bar for computing in f16 (`--precision f16`): on the labelled test photos it must find the
//! same faces as f32, give descriptors within 1e-2 of f32's, and decide same-person pairs as f32
//! does, but for pairs so near the threshold that f32 on another device could tip them too.
//!
//! Run on the CPU, where candle's generic kernels compute in f16 as a GPU's do; a GPU run is
//! compared the same way by `packaging/cuda/measure`.

mod common;

use std::path::{Path, PathBuf};

use common::{analyzer, testdata};
use kith::eval::verification::verification;
use kith::models::ModelDir;
use kith::scan::decode::decode;
use kith::scan::ScanOptions;
use kith::vision::{distance, Embedding, FaceAnalyzer, LocatedFace, Precision};

/// Largest allowed difference of any descriptor component from f32's.
const DESCRIPTOR_TOLERANCE: f32 = 1e-2;
/// How near tau a pair's f32 distance may be for f16 to decide it otherwise: the 1e-3 to which
/// two f32 devices agree on each descriptor component.
const DECISION_NOISE: f32 = 1e-3;
/// Largest allowed shift of a box edge or landmark, in pixels of the decoded photo.
const GEOMETRY_TOLERANCE: f32 = 1.0;

fn half_analyzer() -> FaceAnalyzer {
    let models = ModelDir::at(Path::new(env!("CARGO_MANIFEST_DIR")).join("models"));
    FaceAnalyzer::load_in(&models, &candle_core::Device::Cpu, Precision::F16).expect("models load")
}

fn photos(folder: &str) -> Vec<PathBuf> {
    let mut photos: Vec<PathBuf> = walk(&testdata(folder));
    photos.sort();
    photos
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("test photos") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e != "md") {
            found.push(path);
        }
    }
    found
}

/// Each face of `path` with its descriptor, as a scan finds them.
fn analyse(analyzer: &FaceAnalyzer, path: &Path) -> Vec<(LocatedFace, Embedding)> {
    let bytes = std::fs::read(path).expect("read photo");
    let photo = decode(&bytes, Some(ScanOptions::default().decode_long_side)).expect("decode");
    let faces = analyzer.locate(&photo.pixels).expect("locate");
    let chips: Vec<_> = faces.iter().map(|f| f.chip.clone()).collect();
    let embeddings = analyzer.embed(&chips).expect("embed");
    faces.into_iter().zip(embeddings).collect()
}

fn largest_geometry_shift(a: &LocatedFace, b: &LocatedFace) -> f32 {
    let boxes = a.bbox.iter().zip(&b.bbox).map(|(p, q)| (p - q).abs());
    let points = a
        .landmarks
        .iter()
        .flatten()
        .zip(b.landmarks.iter().flatten())
        .map(|(p, q)| (p - q).abs());
    boxes.chain(points).fold(0.0, f32::max)
}

/// The face of `among` whose box and landmarks lie nearest to `face`'s.
fn counterpart<'a>(
    face: &LocatedFace,
    among: &'a [(LocatedFace, Embedding)],
) -> &'a (LocatedFace, Embedding) {
    among
        .iter()
        .min_by(|x, y| {
            largest_geometry_shift(face, &x.0).total_cmp(&largest_geometry_shift(face, &y.0))
        })
        .expect("as many faces in f16 as in f32")
}

#[test]
fn f16_finds_the_same_faces_and_decides_pairs_as_f32() {
    let single = analyzer();
    let half = half_analyzer();
    assert_eq!(half.precision(), Precision::F16);

    let mut worst_descriptor = 0f32;
    let mut worst_geometry = 0f32;
    // (person, f32 descriptor, f16 descriptor) of each labelled photo's best-scoring face.
    let mut labelled: Vec<(String, Embedding, Embedding)> = Vec::new();
    let mut faces = 0;
    for path in photos("faces").into_iter().chain(photos("group")) {
        let a = analyse(single, &path);
        let b = analyse(&half, &path);
        assert_eq!(a.len(), b.len(), "{}: faces found", path.display());
        faces += a.len();
        // Both come sorted by score; a near tie may swap two faces, so each pairs by its box.
        for (fa, ea) in &a {
            let (fb, eb) = counterpart(fa, &b);
            worst_geometry = worst_geometry.max(largest_geometry_shift(fa, fb));
            let diff = ea
                .iter()
                .zip(eb)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f32::max);
            worst_descriptor = worst_descriptor.max(diff);
        }
        let in_faces = path.strip_prefix(testdata("faces")).ok();
        if let (Some(rel), Some((fa, ea))) = (in_faces, a.first()) {
            let person = rel.iter().next().expect("person folder");
            let (_, eb) = counterpart(fa, &b);
            labelled.push((person.to_string_lossy().into_owned(), *ea, *eb));
        }
    }
    eprintln!(
        "{faces} faces: worst descriptor difference {worst_descriptor:.2e}, \
         worst box or landmark shift {worst_geometry:.3} px"
    );
    assert!(faces >= 120, "only {faces} faces analysed");
    assert!(
        worst_geometry <= GEOMETRY_TOLERANCE,
        "a box or landmark moved {worst_geometry} px"
    );
    assert!(
        worst_descriptor <= DESCRIPTOR_TOLERANCE,
        "a descriptor component differs by {worst_descriptor}"
    );

    // A pair within a hair of tau may cross it on noise as small as two f32 devices make.
    let tau = single.threshold();
    let (mut pairs_32, mut pairs_16) = (Vec::new(), Vec::new());
    let mut worst_distance = 0f32;
    for (i, (person_i, a_i, b_i)) in labelled.iter().enumerate() {
        for (person_j, a_j, b_j) in &labelled[i + 1..] {
            let same = person_i == person_j;
            let (d32, d16) = (distance(a_i, a_j), distance(b_i, b_j));
            worst_distance = worst_distance.max((d32 - d16).abs());
            pairs_32.push((d32, same));
            pairs_16.push((d16, same));
        }
    }
    let flipped: Vec<(f32, f32)> = pairs_32
        .iter()
        .zip(&pairs_16)
        .filter(|((d32, _), (d16, _))| (*d32 < tau) != (*d16 < tau))
        .map(|((d32, _), (d16, _))| (*d32, *d16))
        .collect();
    let (v32, v16) = (verification(&pairs_32, tau), verification(&pairs_16, tau));
    eprintln!(
        "{} pairs ({} same-person): distances moved {worst_distance:.2e} at most; \
         decisions changed {flipped:?}; accuracy at tau {:.5} (f32), {:.5} (f16); AUC {:.5}, {:.5}",
        pairs_32.len(),
        pairs_32.iter().filter(|(_, same)| *same).count(),
        v32.accuracy_at_tau,
        v16.accuracy_at_tau,
        v32.auc,
        v16.auc
    );
    assert!(pairs_32.len() >= 4_000, "{} pairs", pairs_32.len());
    assert!(worst_distance <= 5e-3, "a distance moved {worst_distance}");
    for &(d32, d16) in &flipped {
        assert!(
            (d32 - tau).abs() < DECISION_NOISE,
            "a pair {d32} from tau in f32 is decided otherwise in f16 ({d16})"
        );
    }
    assert!(
        (v16.accuracy_at_tau - v32.accuracy_at_tau).abs() <= 2.0 / pairs_32.len() as f64,
        "accuracy at tau {} in f32, {} in f16",
        v32.accuracy_at_tau,
        v16.accuracy_at_tau
    );
    assert!(
        (v16.auc - v32.auc).abs() <= 1e-3,
        "AUC {} vs {}",
        v32.auc,
        v16.auc
    );
}
