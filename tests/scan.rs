//! The scan pipeline on real and malformed files: every file gets faces or a recorded reason,
//! re-scans are incremental, a killed scan resumes, and the photos themselves are never changed.

mod common;
#[path = "common/dng.rs"]
mod dng;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use common::{analyzer, copy_into, faces_per_file, scan, testdata};
use kith::catalog::{Catalog, PhotoStatus};
use kith::models::ModelDir;
use kith::scan::{ScanEvent, ScanOptions};
use kith::vision::FaceAnalyzer;

fn error_kinds(catalog: &Catalog) -> HashMap<String, String> {
    catalog
        .scan_errors()
        .expect("errors")
        .into_iter()
        .map(|e| {
            let name = e
                .path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, e.kind)
        })
        .collect()
}

#[test]
fn odd_files_get_faces_or_a_recorded_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let summary = scan(&mut catalog, &testdata("odd"));
    let faces = faces_per_file(&catalog);
    let errors = error_kinds(&catalog);

    // Every variant of the five-face photo must be decoded upright and give its five faces.
    for name in [
        "exif-orientation-6.jpg",
        "exif-orientation-3.jpg",
        "gray16.png",
        "rgba.png",
        "progressive.jpg",
        "photo.webp",
        "photo.gif",
        "photo.tiff",
        "photo.bmp",
        "png-named.jpg",
        "cmyk.jpg",
    ] {
        assert_eq!(
            faces.get(name),
            Some(&5),
            "{name}: faces {faces:?} errors {errors:?}"
        );
    }
    assert_eq!(errors.get("empty.jpg").map(String::as_str), Some("empty"));
    assert_eq!(
        errors.get("not-an-image.jpg").map(String::as_str),
        Some("not-an-image")
    );
    assert_eq!(
        errors.get("bomb-30000x30000.png").map(String::as_str),
        Some("too-large")
    );
    // Only a HEIC file's first 24 bytes: damaged where libheif can read HEIC, else unsupported.
    let heic_kind = match kith::scan::heif::support() {
        Some(_) => "corrupt",
        None => "unsupported",
    };
    assert_eq!(
        errors.get("unsupported.heic").map(String::as_str),
        Some(heic_kind)
    );
    // Damaged JPEGs: either an error on record or a (partly) decoded photo; never a crash or a
    // file that is simply not there.
    for name in ["truncated.jpg", "corrupt-middle.jpg"] {
        let path = testdata("odd").join(name).canonicalize().expect("exists");
        let status = catalog.photo_status(&path).expect("query");
        assert!(
            matches!(status, Some((_, PhotoStatus::Ok | PhotoStatus::Error))),
            "{name}"
        );
    }
    let tiny = testdata("odd/tiny-8x8.png").canonicalize().expect("exists");
    assert!(matches!(
        catalog.photo_status(&tiny).expect("query"),
        Some((_, PhotoStatus::Ok))
    ));
    assert!(!faces.contains_key("tiny-8x8.png"));
    assert_eq!(summary.photos + summary.errors, 18, "{summary:?}");
}

/// `source` encoded as HEIC in `dir` by libheif's own encoder, with `options` for it.
fn heic_of(source: &Path, dir: &Path, options: &[&str]) -> PathBuf {
    heif_enc(source, dir, "heic", options)
}

/// `source` encoded by libheif's own encoder into `dir`, as HEIC or AVIF after `extension`.
fn heif_enc(source: &Path, dir: &Path, extension: &str, options: &[&str]) -> PathBuf {
    let heic = dir.join(source.with_extension(extension).file_name().expect("name"));
    let made = std::process::Command::new("heif-enc")
        .args(["-q", "90"])
        .args(options)
        .arg(source)
        .arg("-o")
        .arg(&heic)
        .status()
        .expect("heif-enc (Debian: libheif-examples) makes the HEIC and AVIF test photos");
    assert!(made.success(), "heif-enc failed on {}", source.display());
    heic
}

/// HEIC, as phones save photos, made from a JPEG with libheif's own encoder: the same faces, the
/// same descriptors within compression noise, and the capture date from its EXIF block.
#[test]
fn heic_photos_give_the_faces_and_date_of_the_jpeg_they_were_made_from() {
    assert!(
        kith::scan::heif::support().is_some_and(|s| s.heic),
        "libheif (Debian: libheif1) reads HEIC"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let source = testdata("group/sample5.jpg");
    let heic = heic_of(&source, dir.path(), &["-t", "320"]);

    let locate = |bytes: &[u8]| kith::scan::locate::locate_faces(analyzer(), bytes, 1000);
    let jpeg = locate(&std::fs::read(&source).expect("read")).expect("jpeg");
    let heic_bytes = std::fs::read(&heic).expect("read");
    let heif = locate(&heic_bytes).expect("heic");
    assert_eq!(heif.photo.full_size, jpeg.photo.full_size);
    assert_eq!(heif.photo.taken_at.as_deref(), Some("2014-08-09T23:31:09"));
    assert_eq!(heif.faces.len(), 5);
    let embed = |faces: &[kith::vision::LocatedFace]| {
        let chips: Vec<_> = faces.iter().map(|f| f.chip.clone()).collect();
        analyzer().embed(&chips).expect("embed")
    };
    let (from_jpeg, from_heif) = (embed(&jpeg.faces), embed(&heif.faces));
    for d in &from_heif {
        let nearest = from_jpeg
            .iter()
            .map(|j| kith::vision::distance(d, j))
            .fold(f32::INFINITY, f32::min);
        assert!(
            nearest < 0.1,
            "a HEIC face is {nearest} from every JPEG face"
        );
    }

    // A photo thumbnail needs no more than the 320 px one stored in the file, and it is the same
    // picture; the scan's 1000 px need the photo itself.
    let small = kith::scan::decode::decode(&heic_bytes, Some(300)).expect("thumbnail");
    assert_eq!(small.full_size, heif.photo.full_size);
    assert_eq!(small.pixels.width().max(small.pixels.height()), 320);
    let shrunk = kith::scan::decode::resize(
        &heif.photo.pixels,
        small.pixels.width(),
        small.pixels.height(),
    );
    let mean_difference = small
        .pixels
        .as_raw()
        .iter()
        .zip(shrunk.as_raw())
        .map(|(a, b)| a.abs_diff(*b) as f64)
        .sum::<f64>()
        / shrunk.as_raw().len() as f64;
    assert!(mean_difference < 8.0, "{mean_difference}");
    assert_eq!(heif.photo.pixels.width(), heif.photo.full_size.0);

    let cut = &heic_bytes[..heic_bytes.len() * 2 / 5];
    let err = kith::scan::decode::decode(cut, None).expect_err("40% of a HEIC");
    assert_eq!(err.kind(), "corrupt", "{err}");

    // heif-enc keeps a sideways JPEG's pixels and its EXIF orientation, with no `irot` box.
    let sideways = heic_of(&testdata("odd/exif-orientation-6.jpg"), dir.path(), &[]);
    let upright = locate(&std::fs::read(sideways).expect("read")).expect("sideways heic");
    let rotated_jpeg = std::fs::read(testdata("odd/exif-orientation-6.jpg")).expect("read");
    let rotated_jpeg = kith::scan::decode::decode(&rotated_jpeg, None).expect("decode");
    let (w, h) = rotated_jpeg.full_size;
    assert!(w > h, "the JPEG itself comes out upright: {w}x{h}");
    assert_eq!(upright.photo.full_size, (w, h));
    assert_eq!(upright.faces.len(), 5);

    // 10 bits per sample, as some phones' HDR photos are: read as 8-bit RGB like the rest.
    let deep = image::DynamicImage::ImageRgb8(jpeg.photo.pixels.clone()).into_rgb16();
    let png = dir.path().join("deep.png");
    deep.save(&png).expect("16-bit PNG");
    let ten_bit = heic_of(&png, dir.path(), &["-b", "10"]);
    let located = locate(&std::fs::read(ten_bit).expect("read")).expect("10-bit heic");
    assert_eq!(located.faces.len(), 5);
    assert_eq!(located.photo.full_size, jpeg.photo.full_size);
}

/// AVIF, what some phones and web exports save: the same faces and date as the JPEG it was made
/// from, read through libheif's AV1 decoder.
#[test]
fn avif_photos_give_the_faces_and_date_of_the_jpeg_they_were_made_from() {
    assert!(
        kith::scan::heif::support().is_some_and(|s| s.avif),
        "libheif with an AV1 decoder (Debian 12: libheif1) reads AVIF"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let source = testdata("group/sample5.jpg");
    let avif = heif_enc(&source, dir.path(), "avif", &[]);
    let bytes = std::fs::read(&avif).expect("read");
    assert_eq!(&bytes[4..12], b"ftypavif");

    let locate = |bytes: &[u8]| kith::scan::locate::locate_faces(analyzer(), bytes, 1000);
    let jpeg = locate(&std::fs::read(&source).expect("read")).expect("jpeg");
    let from_avif = locate(&bytes).expect("avif");
    assert_eq!(from_avif.photo.full_size, jpeg.photo.full_size);
    assert_eq!(
        from_avif.photo.taken_at.as_deref(),
        Some("2014-08-09T23:31:09")
    );
    assert_eq!(from_avif.faces.len(), 5);
    let chips = |faces: &[kith::vision::LocatedFace]| -> Vec<_> {
        faces.iter().map(|f| f.chip.clone()).collect()
    };
    let jpeg_faces = analyzer().embed(&chips(&jpeg.faces)).expect("embed");
    for d in analyzer().embed(&chips(&from_avif.faces)).expect("embed") {
        let nearest = jpeg_faces
            .iter()
            .map(|j| kith::vision::distance(&d, j))
            .fold(f32::INFINITY, f32::min);
        assert!(
            nearest < 0.1,
            "an AVIF face is {nearest} from every JPEG face"
        );
    }

    let cut = &bytes[..bytes.len() * 2 / 5];
    let err = kith::scan::decode::decode(cut, None).expect_err("40% of an AVIF");
    assert_eq!(err.kind(), "corrupt", "{err}");
}

/// A file an older Kith (or one without libheif) could not read is read again once Kith reads
/// more formats, though the file itself has not changed; a file still unreadable is not.
#[test]
fn unreadable_files_are_read_again_when_kith_reads_more_formats() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let heic = heic_of(&testdata("group/sample5.jpg"), &photos, &[]);
    let avif = heif_enc(&testdata("faces/ian_thorpe/1.jpg"), &photos, "avif", &[]);
    let raw = photos.join("john.dng");
    let john = raw_of(&testdata("faces/john_mccain/1.jpg"), Some(1000));
    std::fs::write(&raw, john).expect("write");
    let empty = photos.join("empty.jpg");
    std::fs::write(&empty, b"").expect("write");
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let first = scan(&mut catalog, &photos);
    assert_eq!((first.photos, first.errors), (3, 1), "{first:?}");

    // As a scan without libheif, one with it but before AVIF, and one before RAW would have
    // left them.
    let record_unreadable = |catalog: &mut Catalog, file: &Path, reason: &str, readers: &str| {
        let file = file.canonicalize().expect("exists");
        let stamp = kith::catalog::FileStamp::of(&std::fs::metadata(&file).expect("stat"));
        catalog
            .record_error(&file, stamp, "unsupported", reason, readers)
            .expect("record");
    };
    let without_libheif = "jpeg png webp tiff bmp gif";
    let heic_only = "jpeg png webp tiff bmp gif heif 1.15.1";
    record_unreadable(
        &mut catalog,
        &heic,
        "unsupported format: HEIC/HEIF",
        without_libheif,
    );
    record_unreadable(&mut catalog, &avif, "unsupported format: AVIF", heic_only);
    let before_raw = "jpeg png webp tiff bmp gif libheif 1.15.1 heic avif";
    record_unreadable(
        &mut catalog,
        &raw,
        "corrupt: unsupported variant",
        before_raw,
    );
    let readers = kith::scan::decode::readers();
    assert!(
        ![without_libheif, heic_only, before_raw].contains(&readers.as_str()),
        "{readers}"
    );
    let again = scan(&mut catalog, &photos);
    assert_eq!(
        (again.photos, again.faces, again.skipped, again.errors),
        (3, 7, 1, 0),
        "{again:?}"
    );
    let counts = faces_per_file(&catalog);
    assert_eq!(counts.get("sample5.heic"), Some(&5));
    assert_eq!(counts.get("1.avif"), Some(&1));
    assert_eq!(counts.get("john.dng"), Some(&1));

    let settled = scan(&mut catalog, &photos);
    assert_eq!((settled.photos, settled.skipped, settled.errors), (0, 4, 0));
}

#[cfg(unix)]
#[test]
fn links_odd_names_unreadable_and_vanishing_files_are_recorded_and_the_scan_goes_on() {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(photos.join("loop")).expect("mkdir");
    std::os::unix::fs::symlink(&photos, photos.join("loop/back")).expect("symlink loop");
    let good = copy_into(&photos, &["faces/ian_thorpe/1.jpg"]).remove(0);
    let odd_name = photos.join(std::ffi::OsStr::from_bytes(b"caf\xe9-\xff.jpg"));
    std::fs::copy(&good, &odd_name).expect("non-UTF-8 name");
    let locked = photos.join("locked.jpg");
    std::fs::copy(&good, &locked).expect("copy");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let doomed = photos.join("doomed.jpg");
    std::fs::copy(&good, &doomed).expect("copy");
    // Root reads files whatever their mode: then the locked file must simply be read.
    let privileged = std::fs::read(&locked).is_ok();

    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let summary = kith::scan::scan_folder(
        &mut catalog,
        analyzer(),
        &photos,
        &ScanOptions::default(),
        &AtomicBool::new(false),
        &mut |event| {
            // The walk has listed `doomed.jpg`; it disappears before it is read.
            if let ScanEvent::Planned { .. } = event {
                std::fs::remove_file(&doomed).expect("delete mid-scan");
            }
        },
    )
    .expect("scan");

    let errors = error_kinds(&catalog);
    assert_eq!(
        errors.get("doomed.jpg").map(String::as_str),
        Some("vanished"),
        "{errors:?}"
    );
    assert_eq!(
        errors.get("back").map(String::as_str),
        Some("symlink-loop"),
        "{errors:?}"
    );
    if privileged {
        assert!(!errors.contains_key("locked.jpg"));
    } else {
        assert_eq!(
            errors.get("locked.jpg").map(String::as_str),
            Some("unreadable")
        );
    }
    let odd = odd_name.canonicalize().expect("exists");
    assert!(matches!(
        catalog.photo_status(&odd).expect("query"),
        Some((_, PhotoStatus::Ok))
    ));
    let faces = catalog.faces().expect("faces");
    assert!(
        faces.iter().any(|f| f.photo_path == odd),
        "the oddly named photo has its face"
    );
    assert!(summary.photos >= 2, "{summary:?}");
}

#[test]
fn rescans_skip_unchanged_files_keep_touched_ones_and_redo_changed_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let files = copy_into(
        &photos,
        &[
            "faces/al_sharpton/1.jpg",
            "faces/john_mccain/2.jpg",
            "group/sample2.jpg",
        ],
    );
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let first = scan(&mut catalog, &photos);
    assert_eq!(
        (first.photos, first.skipped, first.errors),
        (3, 0, 0),
        "{first:?}"
    );
    // Photos are decoded in parallel, so face ids need not follow the file order.
    let touched = files[0].canonicalize().expect("exists");
    let touched_face = catalog
        .faces()
        .expect("faces")
        .into_iter()
        .find(|f| f.photo_path == touched)
        .expect("the touched photo has a face")
        .id;

    let again = scan(&mut catalog, &photos);
    assert_eq!((again.photos, again.skipped), (0, 3), "{again:?}");

    // Same bytes, new mtime: the faces (and so the user's decisions about them) are kept.
    let bytes = std::fs::read(&files[0]).expect("read");
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&files[0], &bytes).expect("rewrite");
    // New content: that photo is analysed again.
    std::fs::copy(testdata("faces/mike_martz/1.jpg"), &files[1]).expect("replace");
    // Gone: marked missing, not forgotten.
    std::fs::remove_file(&files[2]).expect("remove");
    let third = scan(&mut catalog, &photos);
    assert_eq!(
        (third.photos, third.skipped, third.missing),
        (1, 1, 1),
        "{third:?}"
    );
    let kept = catalog.faces().expect("faces");
    assert!(
        kept.iter().any(|f| f.id == touched_face),
        "touched photo keeps its face ids"
    );
    let missing = files[2].canonicalize().unwrap_or(files[2].clone());
    let status = catalog.photo_status(&missing).expect("query");
    assert!(
        matches!(status, Some((_, PhotoStatus::Missing))),
        "{status:?}"
    );
}

fn hash_tree(root: &Path) -> Vec<(PathBuf, blake3::Hash, std::time::SystemTime)> {
    let mut out: Vec<_> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let bytes = std::fs::read(e.path()).expect("read");
            let mtime = e.metadata().expect("meta").modified().expect("mtime");
            (e.path().to_path_buf(), blake3::hash(&bytes), mtime)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn originals_are_byte_identical_after_a_scan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let group = testdata("group");
    let before = hash_tree(&group);
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let summary = scan(&mut catalog, &group);
    assert!(summary.faces > 0);
    assert_eq!(hash_tree(&group), before);
}

#[test]
fn a_killed_scan_resumes_and_loses_nothing_it_committed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let mut all = Vec::new();
    for person in ["abdullah_gul", "ian_thorpe", "mark_philippoussis"] {
        for i in 1..=10 {
            all.push(format!("faces/{person}/{i}.jpg"));
        }
    }
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    copy_into(&photos, &refs);
    let library = dir.path().join("c.sqlite");
    let kith = env!("CARGO_BIN_EXE_kith");
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");

    let mut child = std::process::Command::new(kith)
        .arg("scan")
        .arg(&photos)
        .arg("--library")
        .arg(&library)
        .arg("--models")
        .arg(&models)
        .arg("--device")
        .arg("cpu")
        .arg("--threads")
        .arg("1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start kith");
    // Kill it (SIGKILL: no chance to clean up) once some, but not all, photos are committed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let committed = loop {
        let count = Catalog::open(&library)
            .and_then(|c| c.counts())
            .map(|c| c.photos)
            .unwrap_or(0);
        if count >= 1 || std::time::Instant::now() > deadline {
            break count;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    child.kill().expect("kill");
    child.wait().expect("reap");
    assert!(committed >= 1, "the scan committed nothing in time");

    let mut catalog = Catalog::open(&library).expect("catalog survives the kill");
    let after_kill = catalog.counts().expect("counts");
    let resumed = scan(&mut catalog, &photos);
    assert_eq!(
        resumed.skipped as u64, after_kill.photos,
        "committed photos are not redone"
    );
    assert_eq!(resumed.skipped + resumed.photos, 30, "{resumed:?}");
    let counts = catalog.counts().expect("counts");
    assert_eq!(counts.photos, 30);
    // One face row per face: nothing was duplicated by the interrupted transaction.
    let faces = catalog.faces().expect("faces");
    let mut per_photo: HashMap<i64, usize> = HashMap::new();
    for f in &faces {
        *per_photo.entry(f.photo_id).or_default() += 1;
    }
    assert_eq!(per_photo.len() as u64, counts.photos_with_faces);
    assert!(per_photo.values().all(|&n| n <= 3), "{per_photo:?}");
}

#[test]
fn batching_the_threads_requests_gives_the_per_photo_results() {
    // On the CPU each thread runs the networks on its own photo; a GPU gathers the threads'
    // detections and embeddings into batches. Both must store the same faces.
    let faces_of = |analyzer: &FaceAnalyzer| {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
        kith::scan::scan_folder(
            &mut catalog,
            analyzer,
            &testdata("scenes"),
            // More threads than photos of one size, so that batches form and mix sizes.
            &ScanOptions {
                decode_threads: 6,
                ..ScanOptions::default()
            },
            &AtomicBool::new(false),
            &mut |_| {},
        )
        .expect("scan runs");
        let mut faces: Vec<_> = catalog
            .faces()
            .expect("faces")
            .into_iter()
            .map(|f| (f.photo_path.clone(), f.bbox, f.embedding))
            .collect();
        faces.sort_by(|a, b| a.0.cmp(&b.0).then(a.1[0].total_cmp(&b.1[0])));
        faces
    };
    let per_photo = faces_of(analyzer());
    let models = ModelDir::at(Path::new(env!("CARGO_MANIFEST_DIR")).join("models"));
    let batching = FaceAnalyzer::load(&models, &candle_core::Device::Cpu)
        .expect("models load")
        .with_batching(true);
    let batched = faces_of(&batching);
    let counts = batching.batch_counts().expect("batching is on");
    assert!(
        counts.detect.batches < counts.detect.requests
            && counts.embed.batches < counts.embed.requests,
        "requests of several threads share batches: {counts:?}"
    );
    assert!(
        per_photo.len() >= 20,
        "{} faces in scenes/",
        per_photo.len()
    );
    assert_eq!(per_photo.len(), batched.len());
    for ((path, bbox, a), (other_path, other_bbox, b)) in per_photo.iter().zip(&batched) {
        assert_eq!(path, other_path);
        let moved = bbox
            .iter()
            .zip(other_bbox)
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max);
        assert!(
            moved < 1e-2,
            "{}: boxes {bbox:?} and {other_bbox:?}",
            path.display()
        );
        let distance = kith::vision::distance(a, b);
        assert!(
            distance < 1e-4,
            "{}: embeddings {distance} apart",
            path.display()
        );
    }
}

#[test]
fn small_faces_are_aligned_on_a_sharper_decode_and_keep_their_identity() {
    let mut gains = Vec::new();
    for person in ["ian_thorpe/1.jpg", "john_mccain/1.jpg", "al_sharpton/1.jpg"] {
        // 100 px in the 4000 px frame: 25 px in the 1000 px decode that detection looks at.
        let (jpeg, reference) = common::distant_face(&format!("faces/{person}"), 100.0);
        let located = kith::scan::locate::locate_faces(analyzer(), &jpeg, 1000).expect("locate");
        assert_eq!(located.faces.len(), 1, "{person}");
        assert!(
            located.photo.pixels.width() > 1000,
            "{person}: not decoded again"
        );
        let sharp = analyzer()
            .embed(&[located.faces[0].chip.clone()])
            .expect("embed")[0];
        // The same face aligned on the 1000 px decode alone.
        let coarse = kith::scan::decode::decode(&jpeg, Some(1000)).expect("decode");
        let faces = analyzer().locate(&coarse.pixels).expect("locate");
        let blurred = analyzer().embed(&[faces[0].chip.clone()]).expect("embed")[0];
        let (d_sharp, d_blurred) = (
            kith::vision::distance(&sharp, &reference),
            kith::vision::distance(&blurred, &reference),
        );
        println!("{person}: {d_blurred:.3} on the coarse decode, {d_sharp:.3} on the sharper one");
        assert!(d_sharp < 0.3, "{person}: {d_sharp}");
        gains.push(d_blurred - d_sharp);
    }
    let mean_gain = gains.iter().sum::<f32>() / gains.len() as f32;
    assert!(mean_gain > 0.05, "{gains:?}");

    // A face large enough in the coarse decode costs no second one.
    let (jpeg, _) = common::distant_face("faces/ian_thorpe/1.jpg", 400.0);
    let located = kith::scan::locate::locate_faces(analyzer(), &jpeg, 1000).expect("locate");
    assert_eq!(located.photo.pixels.width(), 1000);
    assert_eq!(located.faces.len(), 1);
}

#[test]
fn a_larger_detector_input_gets_pixels_to_match_and_finds_smaller_faces() {
    let models = ModelDir::at(Path::new(env!("CARGO_MANIFEST_DIR")).join("models"));
    let wide = FaceAnalyzer::load(&models, &candle_core::Device::Cpu)
        .expect("models load")
        .with_detect_long_side(2048);
    // The default keeps the quarter-scale decode of a 12-megapixel photo; 2048 needs 2000 px.
    assert_eq!(ScanOptions::for_analyzer(analyzer()).decode_long_side, 1000);
    let long_side = ScanOptions::for_analyzer(&wide).decode_long_side;
    assert!(long_side > 1900, "{long_side}");
    let (mut by_default, mut by_wide) = (0, 0);
    for person in ["ian_thorpe/1.jpg", "john_mccain/1.jpg", "al_sharpton/1.jpg"] {
        // 60 px in the 4000 px frame: 15 px at the default 1024, 30 px at 2048.
        let (jpeg, _) = common::distant_face(&format!("faces/{person}"), 60.0);
        by_default += kith::scan::locate::locate_faces(analyzer(), &jpeg, 1000)
            .expect("locate")
            .faces
            .len();
        let located = kith::scan::locate::locate_faces(&wide, &jpeg, long_side).expect("locate");
        assert_eq!(located.faces.len(), 1, "{person}");
        by_wide += 1;
    }
    assert!(by_default < by_wide, "{by_default} of {by_wide}");
}

/// One person far off in a 12-megapixel photo: at the coarse scale the detector gives their face
/// a score too low to keep (0.5-0.9), but that weak detection sends the photo to a closer look,
/// where the face is found sure and keeps its identity.
#[test]
fn a_lone_face_far_off_that_shows_only_as_a_weak_detection_is_found() {
    // 70 px wide is 17 px where detection looks; 100 px is 25 px, which no face rule alone
    // would look closer at.
    let cases = [
        ("ian_thorpe/1.jpg", 70.0),
        ("john_mccain/1.jpg", 70.0),
        ("al_sharpton/1.jpg", 70.0),
        ("abdullah_gul/1.jpg", 70.0),
        ("jean-pierre_raffarin/1.jpg", 70.0),
        ("ian_thorpe/2.jpg", 100.0),
        ("abdullah_gul/2.jpg", 100.0),
    ];
    for (person, width) in cases {
        let (jpeg, reference) = common::distant_face(&format!("faces/{person}"), width);
        let coarse = kith::scan::decode::decode(&jpeg, Some(1000)).expect("decode");
        assert!(
            analyzer()
                .locate(&coarse.pixels)
                .expect("locate")
                .is_empty(),
            "{person} at {width} px: already a sure face at the coarse scale"
        );
        let candidates = analyzer().candidates(&coarse.pixels).expect("candidates");
        assert!(
            !candidates.is_empty(),
            "{person} at {width} px: no candidate"
        );
        assert!(candidates.iter().all(|c| !analyzer().is_face(c)));

        let located = kith::scan::locate::locate_faces(analyzer(), &jpeg, 1000).expect("locate");
        assert_eq!(located.faces.len(), 1, "{person} at {width} px");
        assert!(analyzer().is_face(&located.faces[0]));
        let found = analyzer()
            .embed(&[located.faces[0].chip.clone()])
            .expect("embed")[0];
        let d = kith::vision::distance(&found, &reference);
        assert!(d < 0.3, "{person} at {width} px: {d} from the original");
    }
}

#[test]
fn a_crowd_far_off_is_searched_again_at_twice_the_size() {
    // The 29 people of Solvay 1927 with faces about 60 px wide in a 12-megapixel frame: 15 px
    // in the 1000 px decode that detection searches, under what it finds well.
    let (frame, original) = common::far_off("group/solvay-1927.png", 60.0);
    assert_eq!(original.faces.len(), 29);
    let jpeg = common::jpeg(&frame);
    let coarse = kith::scan::decode::decode(&jpeg, Some(1000)).expect("decode");
    let coarse_faces = analyzer().locate(&coarse.pixels).expect("locate").len();
    assert!(coarse_faces < 15, "{coarse_faces}");
    // A JPEG is decoded again, sharper; a PNG is decoded whole to begin with.
    let mut png = Vec::new();
    frame
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encode");
    for (format, bytes) in [("JPEG", jpeg), ("PNG", png)] {
        let located = kith::scan::locate::locate_faces(analyzer(), &bytes, 1000).expect("locate");
        let found = located.faces.len();
        assert!((26..=29).contains(&found), "{format}: {found} of 29");
    }
}

/// `source` as a camera would have saved it in RAW: held upright but recorded turned a quarter,
/// with the orientation tag to turn it back and, with `preview`, the camera's JPEG preview that
/// long on its long side.
fn raw_of(source: &Path, preview: Option<u32>) -> Vec<u8> {
    let photo = image::open(source).expect("decode").to_rgb8();
    let stored = image::imageops::rotate270(&photo);
    let jpeg =
        preview.map(|side| common::jpeg(&kith::scan::decode::fit_within(stored.clone(), side)));
    let taken = "2014:08:09 23:31:09";
    let preview = jpeg.as_deref();
    dng::dng(
        &stored,
        &dng::Dng {
            orientation: 6,
            preview,
            taken,
        },
    )
}

/// Camera RAW files, read by LibRaw: through the camera's JPEG preview where there is one (the
/// same faces as the JPEG to within compression noise), else by developing the sensor's data
/// (the same people, in LibRaw's colours); turned upright either way, and dated.
#[test]
fn raw_photos_give_the_faces_and_date_of_the_jpeg_they_were_made_from() {
    assert!(
        kith::scan::raw::version().is_some(),
        "LibRaw (Debian: libraw20 or libraw23) reads RAW"
    );
    let source = testdata("group/sample5.jpg");
    let locate = |bytes: &[u8]| kith::scan::locate::locate_faces(analyzer(), bytes, 1000);
    let jpeg = locate(&std::fs::read(&source).expect("read")).expect("jpeg");
    let chips = |faces: &[kith::vision::LocatedFace]| -> Vec<_> {
        faces.iter().map(|f| f.chip.clone()).collect()
    };
    let jpeg_faces = analyzer().embed(&chips(&jpeg.faces)).expect("embed");

    // Measured: 0.011 to 0.018 from the preview, 0.038 to 0.078 developed.
    for (preview, within) in [(true, 0.05), (false, 0.15)] {
        let bytes = raw_of(&source, preview.then_some(1920));
        let raw = locate(&bytes).expect("raw");
        assert_eq!(raw.photo.full_size, (1920, 1398), "preview {preview}");
        assert_eq!(raw.photo.taken_at.as_deref(), Some("2014-08-09T23:31:09"));
        assert_eq!(raw.faces.len(), 5, "preview {preview}");
        for d in analyzer().embed(&chips(&raw.faces)).expect("embed") {
            let nearest = jpeg_faces
                .iter()
                .map(|j| kith::vision::distance(&d, j))
                .fold(f32::INFINITY, f32::min);
            assert!(nearest < within, "preview {preview}: {nearest}");
        }
        // A small decode is the preview at a quarter scale (turned); the sensor's data only
        // develops whole.
        let small = kith::scan::decode::decode(&bytes, Some(400)).expect("decodes");
        let expected = if preview { (480, 350) } else { (1920, 1398) };
        assert_eq!(small.pixels.dimensions(), expected);

        let cut = &bytes[..bytes.len() * 2 / 5];
        let err = kith::scan::decode::decode(cut, Some(1000)).expect_err("40% of a RAW");
        assert_eq!(err.kind(), "corrupt", "{err}");
    }

    // A preview smaller than what is asked for is passed over for the sensor's data.
    let small_preview = raw_of(&source, Some(960));
    let decoded = |side| {
        let photo = kith::scan::decode::decode(&small_preview, Some(side)).expect("decodes");
        assert_eq!(photo.full_size, (1920, 1398));
        photo.pixels.dimensions()
    };
    assert_eq!(decoded(900), (960, 699));
    assert_eq!(decoded(1000), (1920, 1398));
}

/// RAW files damaged anywhere (their header, their directories at the end, their data): each
/// gives pixels or a recorded reason, and none brings the scan down. 20,000 such files were
/// read without a crash once; this reads 400 of them.
#[test]
fn damaged_raw_files_give_pixels_or_a_reason_never_a_crash() {
    let photo = image::open(testdata("faces/ian_thorpe/1.jpg"))
        .expect("decode")
        .to_rgb8();
    let preview = common::jpeg(&photo);
    let taken = "2014:08:09 23:31:09";
    let raws = [
        dng::dng(
            &photo,
            &dng::Dng {
                orientation: 6,
                preview: Some(&preview),
                taken,
            },
        ),
        dng::dng(
            &photo,
            &dng::Dng {
                orientation: 1,
                preview: None,
                taken,
            },
        ),
    ];
    // xorshift: the same damage on every run.
    let mut state = 12345u64;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as usize
    };
    let mut reasons = HashMap::new();
    for round in 0..400 {
        let mut bytes = raws[round % 2].clone();
        let len = bytes.len();
        for _ in 0..1 + random() % 4 {
            // The TIFF header, the directories (written last), or anywhere.
            let at = match random() % 3 {
                0 => random() % 16,
                1 => len - 1 - random() % 600,
                _ => random() % len,
            };
            bytes[at] = random() as u8;
        }
        let kind = match kith::scan::decode::decode(&bytes, Some(1000)) {
            Ok(_) => "decoded",
            Err(err) => err.kind(),
        };
        *reasons.entry(kind).or_insert(0) += 1;
    }
    let mut kinds: Vec<_> = reasons.keys().copied().collect();
    kinds.sort();
    assert_eq!(kinds, ["corrupt", "decoded", "not-an-image"], "{reasons:?}");
}

/// A photo that cannot be stored (a trigger refuses it here, as a full disk would) ends the scan
/// with its error, instead of leaving the decoding threads waiting for ever on a full queue.
#[test]
fn a_photo_that_cannot_be_stored_ends_the_scan_with_its_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("c.sqlite");
    let mut catalog = Catalog::open(&path).expect("catalog");
    rusqlite::Connection::open(&path)
        .expect("open")
        .execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON photos
             BEGIN SELECT RAISE(ABORT, 'no room left'); END;",
        )
        .expect("trigger");
    let (ended, outcome) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let scanned = kith::scan::scan_folder(
            &mut catalog,
            analyzer(),
            &testdata("faces"),
            &ScanOptions::default(),
            &AtomicBool::new(false),
            &mut |_| {},
        );
        let _ = ended.send(scanned.map(|s| s.photos).map_err(|e| e.to_string()));
    });
    let scanned = outcome
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("the scan ended");
    let err = scanned.expect_err("nothing could be stored");
    assert!(err.contains("no room left"), "{err}");
}
