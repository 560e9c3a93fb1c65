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

/// The photo `rel` shrunk so that its median face is about `face_width` px wide, on a grey
/// 4000 x 3000 frame: people far off in a 12-megapixel photo. Also returns the faces located in
/// the original.
pub fn far_off(rel: &str, face_width: f32) -> (image::RgbImage, kith::scan::locate::PhotoFaces) {
    let bytes = std::fs::read(testdata(rel)).expect("read");
    let original = kith::scan::locate::locate_faces(analyzer(), &bytes, 1000).expect("locate");
    let mut widths: Vec<f32> = original.faces.iter().map(|f| f.bbox[2]).collect();
    widths.sort_by(f32::total_cmp);
    let median = *widths
        .get(widths.len() / 2)
        .expect("a face in the original");
    let k = face_width / median;
    let pixels = &original.photo.pixels;
    let (w, h) = (
        (pixels.width() as f32 * k) as u32,
        (pixels.height() as f32 * k) as u32,
    );
    assert!(
        w <= 4000 && h <= 3000,
        "{rel} does not fit the frame at {face_width} px"
    );
    let small = image::imageops::resize(pixels, w, h, image::imageops::FilterType::Lanczos3);
    let mut frame = image::RgbImage::from_pixel(4000, 3000, image::Rgb([118, 120, 116]));
    image::imageops::overlay(
        &mut frame,
        &small,
        (4000 - w as i64) / 2,
        (3000 - h as i64) / 2,
    );
    (frame, original)
}

/// `frame` as a JPEG, as a camera would write it.
pub fn jpeg(frame: &image::RgbImage) -> Vec<u8> {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 92)
        .encode_image(frame)
        .expect("encode");
    jpeg
}

/// [`far_off`] for a photo of one face, with the original's descriptor.
pub fn distant_face(rel: &str, face_width: f32) -> (Vec<u8>, kith::vision::Embedding) {
    let (frame, original) = far_off(rel, face_width);
    assert_eq!(original.faces.len(), 1, "{rel}");
    let reference = analyzer()
        .embed(&[original.faces[0].chip.clone()])
        .expect("embed")[0];
    (jpeg(&frame), reference)
}

/// A 5000 x 3750 grey frame with each `(photo, x, y)` shrunk to a 50 px square there: faces
/// about 40 px wide, which a scan does not find in a frame this large.
pub fn far_faces(faces: &[(&str, u32, u32)]) -> image::RgbImage {
    let mut frame = image::RgbImage::from_pixel(5000, 3750, image::Rgb([92, 108, 100]));
    for (rel, x, y) in faces {
        let face = image::open(testdata(rel)).expect("face").into_rgb8();
        let small = image::imageops::resize(&face, 50, 50, image::imageops::FilterType::Lanczos3);
        image::imageops::overlay(&mut frame, &small, *x as i64, *y as i64);
    }
    frame
}
