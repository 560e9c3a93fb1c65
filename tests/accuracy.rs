//! Detection and verification quality on the labelled test photos, through the whole pipeline
//! (decode, detect, align, embed) exactly as `kith scan` runs it.

mod common;

use std::collections::HashMap;

use common::{scan, testdata};
use kith::catalog::{Catalog, FaceRow};
use kith::vision::distance;

/// The face each labelled photo is about: the largest one (LFW crops centre the named person).
fn main_faces(faces: Vec<FaceRow>) -> HashMap<std::path::PathBuf, FaceRow> {
    let mut by_photo: HashMap<std::path::PathBuf, FaceRow> = HashMap::new();
    for face in faces {
        let area = face.bbox[2] * face.bbox[3];
        match by_photo.get(&face.photo_path) {
            Some(best) if best.bbox[2] * best.bbox[3] >= area => {}
            _ => {
                by_photo.insert(face.photo_path.clone(), face);
            }
        }
    }
    by_photo
}

#[test]
fn faces_are_found_and_verified_at_the_threshold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let summary = scan(&mut catalog, &testdata("faces"));
    assert_eq!(summary.errors, 0, "{:?}", summary.failures);
    let photos = summary.photos;
    assert_eq!(photos, 98);

    let found = main_faces(catalog.faces().expect("faces"));
    let detection_rate = found.len() as f64 / photos as f64;
    assert!(
        detection_rate >= 0.98,
        "a face in {} of {photos} photos",
        found.len()
    );

    let labelled: Vec<(String, &FaceRow)> = found
        .values()
        .map(|f| {
            let person = f
                .photo_path
                .parent()
                .and_then(|p| p.file_name())
                .expect("folder");
            (person.to_string_lossy().into_owned(), f)
        })
        .collect();
    let tau = common::analyzer().threshold();
    assert_eq!(tau, 0.6);
    let (mut right, mut pairs) = (0usize, 0usize);
    for i in 0..labelled.len() {
        for j in i + 1..labelled.len() {
            let same = labelled[i].0 == labelled[j].0;
            let d = distance(&labelled[i].1.embedding, &labelled[j].1.embedding);
            right += usize::from((d < tau) == same);
            pairs += 1;
        }
    }
    let accuracy = right as f64 / pairs as f64;
    eprintln!("detection {detection_rate:.3}, verification accuracy at {tau}: {accuracy:.4} over {pairs} pairs");
    assert!(accuracy >= 0.97, "verification accuracy {accuracy:.4}");
}

#[test]
fn group_photos_give_every_listed_face() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    scan(&mut catalog, &testdata("group"));
    let counts = common::faces_per_file(&catalog);
    eprintln!("faces per group photo: {counts:?}");
    let solvay = counts.get("solvay-1927.png").copied().unwrap_or(0);
    // 29 people; at most one false positive allowed.
    assert!((27..=30).contains(&solvay), "solvay: {solvay}");
    for (name, listed) in [
        ("sample1.jpg", 3),
        ("sample2.jpg", 3),
        ("sample3.jpg", 3),
        ("sample4.jpg", 4),
        ("sample5.jpg", 5),
        ("sample6.jpg", 4),
    ] {
        let n = counts.get(name).copied().unwrap_or(0);
        assert!(
            n >= listed && n <= listed + 1,
            "{name}: {n} faces, {listed} listed"
        );
    }
}
