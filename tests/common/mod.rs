//! Shared test helpers: where the shared test photos are, and one analyzer per test binary.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;

use kith::catalog::Catalog;
use kith::models::ModelDir;
use kith::scan::{ScanOptions, ScanSummary};
use kith::vision::FaceAnalyzer;

/// `../shared/testdata/<rel>`, read in place.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/testdata")
        .join(rel)
}

pub fn analyzer() -> &'static FaceAnalyzer {
    static ANALYZER: OnceLock<FaceAnalyzer> = OnceLock::new();
    ANALYZER.get_or_init(|| {
        let models = ModelDir::at(Path::new(env!("CARGO_MANIFEST_DIR")).join("models"));
        FaceAnalyzer::load(&models, &candle_core::Device::Cpu).expect("models load")
    })
}

pub fn scan(catalog: &mut Catalog, folder: &Path) -> ScanSummary {
    kith::scan::scan_folder(
        catalog,
        analyzer(),
        folder,
        &ScanOptions::default(),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .expect("scan runs")
}

/// Copies `files` (relative to the test data) into `dir`, for tests that must change files.
pub fn copy_into(dir: &Path, files: &[&str]) -> Vec<PathBuf> {
    files
        .iter()
        .map(|rel| {
            let from = testdata(rel);
            let to = dir.join(rel.replace('/', "_"));
            std::fs::copy(&from, &to).expect("copy test photo");
            to
        })
        .collect()
}

/// Scans `folders` (relative to the test data) and clusters them once per test binary; every call
/// gets its own copy of that catalog, `dir/library.sqlite`, to change as it likes.
pub fn clustered_library(dir: &Path, folders: &[&str]) -> PathBuf {
    static TEMPLATE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, template) = TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("template.sqlite");
        let mut catalog = Catalog::open(&path).expect("catalog");
        for folder in folders {
            scan(&mut catalog, &testdata(folder));
        }
        let algorithm = kith::people::settings::load(&catalog).expect("settings");
        kith::people::assign::update(&mut catalog, &algorithm).expect("cluster");
        (dir, path)
    });
    let copy = dir.join("library.sqlite");
    Catalog::open(template)
        .expect("template")
        .copy_to(&copy)
        .expect("copy");
    copy
}

/// Faces per photo file name.
pub fn faces_per_file(catalog: &Catalog) -> std::collections::HashMap<String, usize> {
    let mut counts = std::collections::HashMap::new();
    for face in catalog.faces().expect("faces") {
        let name = face
            .photo_path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        *counts.entry(name).or_insert(0) += 1;
    }
    counts
}
