//! The fast clustering against its references: DBSCAN against linfa-clustering on real dlib
//! descriptors of the shared test photos and on synthetic ones, and agglomerative clustering with
//! and without the split into connected components.
//!
//! The photos live outside the repository: `$KITH_TESTDATA`, else `../shared/testdata`.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use kith::people::cluster::{
    agglomerative, agglomerative_unsplit, dbscan, dbscan_reference, Linkage,
};
use kith::people::neighbours::NeighbourIndex;
use kith::people::synthetic::gaussian_people;
use kith::vision::Embedding;

fn faces_dir() -> PathBuf {
    let root = std::env::var_os("KITH_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata"));
    root.join("faces")
}

/// Scans the shared test photos into a temporary catalog and returns every face's descriptor.
fn real_embeddings() -> anyhow::Result<Vec<Embedding>> {
    let folder = faces_dir();
    anyhow::ensure!(
        folder.is_dir(),
        "test photos not found at {} (set KITH_TESTDATA)",
        folder.display()
    );
    let tmp = tempfile::tempdir()?;
    let models = kith::models::ModelDir::at(Path::new(env!("CARGO_MANIFEST_DIR")).join("models"));
    let analyzer = kith::vision::FaceAnalyzer::load(&models, &candle_core::Device::Cpu)?;
    let mut catalog = kith::catalog::Catalog::open(&tmp.path().join("c.sqlite"))?;
    kith::scan::scan_folder(
        &mut catalog,
        &analyzer,
        &folder,
        &kith::scan::ScanOptions::default(),
        &AtomicBool::new(false),
        &mut |_| {},
    )?;
    Ok(catalog.faces()?.into_iter().map(|f| f.embedding).collect())
}

fn clusters(labels: &[Option<usize>]) -> usize {
    labels.iter().flatten().max().map_or(0, |&l| l + 1)
}

/// Same labels, same numbering: not just the same partition.
fn assert_dbscan_equals_linfa(points: &[Embedding], eps: f32, min_points: usize) {
    let fast = dbscan(&NeighbourIndex::build(points), eps, min_points);
    let reference = dbscan_reference(points, eps, min_points);
    let differing = fast.iter().zip(&reference).filter(|(a, b)| a != b).count();
    assert_eq!(
        differing,
        0,
        "eps {eps} min_points {min_points}: {differing} of {} labels differ",
        points.len()
    );
    eprintln!(
        "eps {eps} min_points {min_points}: identical, {} clusters, {} noise",
        clusters(&fast),
        fast.iter().filter(|l| l.is_none()).count()
    );
}

#[test]
fn dbscan_equals_linfa_on_real_faces() -> anyhow::Result<()> {
    let points = real_embeddings()?;
    assert!(points.len() >= 90, "only {} faces found", points.len());
    for eps in [0.4, 0.45, 0.5, 0.55] {
        for min_points in [1, 2, 3] {
            assert_dbscan_equals_linfa(&points, eps, min_points);
        }
    }
    Ok(())
}

#[test]
fn dbscan_equals_linfa_on_synthetic_faces() {
    let (points, _) = gaussian_people(1500, 40, 0.42, 2024);
    for (eps, min_points) in [(0.45, 2), (0.5, 1), (0.5, 3), (0.55, 2), (0.6, 5)] {
        assert_dbscan_equals_linfa(&points, eps, min_points);
    }
}

#[test]
fn agglomerative_split_into_components_changes_nothing() {
    let (points, _) = gaussian_people(1000, 25, 0.42, 7);
    for linkage in [Linkage::Average, Linkage::Complete] {
        for cut in [0.45, 0.55, 0.65] {
            let split = agglomerative(&points, linkage, cut);
            let whole = agglomerative_unsplit(&points, linkage, cut);
            assert_eq!(split, whole, "{linkage:?} cut {cut}");
            let n = split.iter().max().map_or(0, |&l| l + 1);
            eprintln!("{linkage:?} cut {cut}: identical, {n} clusters");
        }
    }
}

/// `cargo test --release --test clustering -- --ignored --nocapture benchmark` (slow).
#[test]
#[ignore]
fn benchmark() {
    for row in kith::people::cluster::benchmark(&[1_000, 10_000, 100_000]) {
        eprintln!("{}", serde_json::to_string(&row).unwrap_or_default());
    }
}
