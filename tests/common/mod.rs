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
