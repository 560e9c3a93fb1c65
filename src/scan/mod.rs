//! Scanning a folder into the catalog: walk, skip what is unchanged, decode on all cores, detect,
//! align and embed, read the names other apps gave the faces ([`face_tags`]), and commit each
//! photo atomically.
//!
//! Reading, decoding, finding and embedding the faces of a photo run on a thread pool, one photo
//! per thread, and feed a bounded queue, so memory stays bounded however large the library. On a
//! GPU the analyzer gathers the threads' requests into batches, and the pool has twice as many
//! threads as cores, so that decoding goes on while half of them wait for the device. The catalog
//! is written on the calling thread. Every problem with a file becomes a
//! recorded reason and the scan goes on. A cancel flag stops the scan between photos.

pub mod capture_time;
pub mod decode;
pub mod drawn;
pub mod face_tags;
pub mod heif;
mod library;
pub mod locate;
mod moves;
pub mod raw;
mod system_library;
mod thumbnail;
pub mod walk;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use crate::catalog::{
    Catalog, CatalogError, FileStamp, KnownPhoto, NewFace, PhotoRecord, PhotoStatus,
};
use crate::vision::detector::iou;
use crate::vision::{Embedding, FaceAnalyzer, LocatedFace};
pub use library::{scan_folders, scan_library, LibraryFolders};
use locate::{locate_faces, LocateError, PhotoFaces};
pub use thumbnail::{face_thumbnail, thumbnail_window};
use walk::FoundFile;

/// Files larger than this are refused unread (no photo format needs a gigabyte).
pub const MAX_FILE_BYTES: u64 = 1 << 30;

#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// JPEGs are decoded at reduced scale as long as the long side stays at least this (and at
    /// least the detector's input size). Both looks of the detector and the alignment use these
    /// pixels (small faces get a sharper decode, see [`locate`]). 1000 lets a 12-megapixel photo
    /// (4000 or 4032 px wide) decode at a quarter scale, which costs half of a half-scale decode,
    /// and still gives every face the detector can find at full size its own pixels: a face
    /// with eyes 50 px apart here fills a 150 px chip without being enlarged.
    pub decode_long_side: u32,
    /// Threads reading, decoding and analysing photos, one photo each.
    pub decode_threads: usize,
}

impl ScanOptions {
    /// The defaults for `analyzer`: photos decoded at least as large as its detector looks, and
    /// on a GPU twice as many threads as cores, since a thread waits while its batch is on the
    /// device.
    pub fn for_analyzer(analyzer: &FaceAnalyzer) -> Self {
        let defaults = Self::default();
        let per_core = if analyzer.device().is_cpu() { 1 } else { 2 };
        // A decode a little smaller than the detector's input is searched as it is, so the
        // default 1024 keeps the quarter-scale decode; a larger input (`--detect-size 2048`)
        // gets pixels to match.
        Self {
            decode_long_side: defaults
                .decode_long_side
                .max(analyzer.detect_long_side() * 39 / 40),
            decode_threads: defaults.decode_threads * per_core,
        }
    }
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            decode_long_side: 1000,
            decode_threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{path} is not a folder that can be read: {source}")]
    Root {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("cannot start the decoding threads: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
}

/// What happened, as it happens, for progress bars.
#[derive(Debug, Clone)]
pub enum ScanEvent {
    /// The walk is done: `to_analyse` files will be read, `unchanged` are skipped.
    Planned { to_analyse: usize, unchanged: usize },
    /// A photo was analysed and committed.
    Analysed { path: PathBuf, faces: usize },
    /// A file was recorded as unreadable.
    Failed {
        path: PathBuf,
        kind: &'static str,
        message: String,
    },
}

/// Wall time spent in each stage, summed over photos (decoding runs in parallel, so its sum can
/// exceed the scan's duration).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct StageTimes {
    pub read_ms: f64,
    pub decode_ms: f64,
    pub detect_ms: f64,
    pub embed_ms: f64,
    pub store_ms: f64,
}

/// The outcome of one scan, for people and for `--json`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanSummary {
    /// Photos read and analysed in this scan.
    pub photos: usize,
    pub photos_with_faces: usize,
    pub faces: usize,
    /// Unchanged photos not read again.
    pub skipped: usize,
    /// Files that could not be read in this scan (reasons in `failures` and the catalog).
    pub errors: usize,
    /// Photos known from before that are no longer on disk.
    pub missing: usize,
    /// Photos found under another name or in another folder, which kept their faces and names.
    pub moved: usize,
    pub seconds: f64,
    pub cancelled: bool,
    /// Library folders not found on disk, whose photos were left as they were (a scan of the
    /// whole library only).
    pub folders_not_found: Vec<PathBuf>,
    #[serde(skip)]
    pub stages: StageTimes,
    #[serde(skip)]
    pub failures: Vec<(PathBuf, &'static str, String)>,
}

impl ScanSummary {
    /// Adds the scan of another folder to this one.
    pub(crate) fn absorb(&mut self, other: ScanSummary) {
        let ScanSummary {
            photos,
            photos_with_faces,
            faces,
            skipped,
            errors,
            missing,
            moved,
            seconds,
            cancelled,
            folders_not_found,
            stages,
            failures,
        } = other;
        self.photos += photos;
        self.photos_with_faces += photos_with_faces;
        self.faces += faces;
        self.skipped += skipped;
        self.errors += errors;
        self.missing += missing;
        self.moved += moved;
        self.seconds += seconds;
        self.cancelled |= cancelled;
        self.folders_not_found.extend(folders_not_found);
        self.stages.read_ms += stages.read_ms;
        self.stages.decode_ms += stages.decode_ms;
        self.stages.detect_ms += stages.detect_ms;
        self.stages.embed_ms += stages.embed_ms;
        self.stages.store_ms += stages.store_ms;
        self.failures.extend(failures);
    }
}

/// A file's fate after reading, decoding and analysis.
enum Prepared {
    /// Decoded, faces located, aligned and embedded.
    Analysed {
        photo: Analysed,
        read: Duration,
        decode: Duration,
        detect: Duration,
        embed: Duration,
    },
    /// Same content as catalogued (touched or copied back): only the stamp changes.
    SameContent { id: i64, stamp: FileStamp },
    Failed {
        path: PathBuf,
        stamp: FileStamp,
        kind: &'static str,
        message: String,
    },
}

/// A photo ready to be stored.
struct Analysed {
    path: PathBuf,
    stamp: FileStamp,
    hash: String,
    full_size: (u32, u32),
    taken_at: Option<String>,
    /// How the stored pixels were turned to be upright.
    turned: image::metadata::Orientation,
    /// Faces in original-photo pixels, with their thumbnails and embeddings.
    faces: Vec<(LocatedFace, Vec<u8>, Embedding)>,
    /// For each face, the name the photo's metadata gives it.
    tagged_names: Vec<Option<String>>,
    /// People the photo's metadata lists as being in it, without saying where.
    listed_people: Vec<String>,
}

/// Scans `root` into `catalog`.
pub fn scan_folder(
    catalog: &mut Catalog,
    analyzer: &FaceAnalyzer,
    root: &Path,
    options: &ScanOptions,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(ScanEvent),
) -> Result<ScanSummary, ScanError> {
    let started = Instant::now();
    let root = root.canonicalize().map_err(|source| ScanError::Root {
        path: root.to_path_buf(),
        source,
    })?;
    if !root.is_dir() {
        return Err(ScanError::Root {
            path: root.clone(),
            source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a folder"),
        });
    }
    catalog.add_folder(&root)?;
    let mut summary = ScanSummary::default();

    let (files, problems) = walk::walk(&root);
    let mut known = catalog.known_photos(&root)?;
    for problem in problems {
        known.remove(&crate::catalog::path_key(&problem.path));
        record_failure(
            catalog,
            &mut summary,
            on_event,
            problem.path,
            FileStamp {
                size: 0,
                mtime_ns: 0,
            },
            problem.kind,
            problem.message,
        )?;
    }
    let mut work = Vec::new();
    let readers = decode::readers();
    for file in files {
        match known.remove(&crate::catalog::path_key(&file.path)) {
            Some(k) if k.stamp == file.stamp && !worth_reading_again(&k, &file, &readers) => {
                summary.skipped += 1;
            }
            previous => work.push((file, previous)),
        }
    }
    let missing: Vec<i64> = known
        .values()
        .filter(|k| k.status != PhotoStatus::Missing)
        .map(|k| k.id)
        .collect();
    catalog.mark_missing(&missing)?;
    // A photo moved within the folder is not missing.
    let mut vanished: std::collections::HashSet<i64> = missing.iter().copied().collect();
    for (id, file) in moves::find(catalog, &mut work)? {
        catalog.move_photo(id, &file.path, file.stamp)?;
        summary.moved += 1;
        vanished.remove(&id);
    }
    summary.missing = vanished.len();
    on_event(ScanEvent::Planned {
        to_analyse: work.len(),
        unchanged: summary.skipped,
    });

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.decode_threads.max(1))
        .thread_name(|i| format!("kith-decode-{i}"))
        .build()?;
    // A few photos per thread in flight: enough to keep the networks fed, little memory.
    let (sender, receiver) = mpsc::sync_channel::<Prepared>(options.decode_threads.max(1) * 2);
    let decode_long_side = options.decode_long_side;
    // Set when the receiver has hung up: the photos left are not prepared.
    let hung_up = &AtomicBool::new(false);
    std::thread::scope(|scope| -> Result<(), ScanError> {
        scope.spawn(move || {
            pool.install(|| {
                work.par_iter()
                    .for_each_with(sender, |sender, (file, previous)| {
                        if cancel.load(Ordering::Relaxed) || hung_up.load(Ordering::Relaxed) {
                            return;
                        }
                        let prepared = prepare(analyzer, file, previous.as_ref(), decode_long_side);
                        if sender.send(prepared).is_err() {
                            hung_up.store(true, Ordering::Relaxed);
                        }
                    });
            });
        });
        // Owned here, so that however this ends (cancelled, or a photo that cannot be stored)
        // the receiver hangs up before the scope waits for the decoding threads: kept alive, it
        // would leave those blocked for ever on a full channel.
        let receiver = receiver;
        for prepared in receiver.iter() {
            if cancel.load(Ordering::Relaxed) {
                break;
            }
            match prepared {
                Prepared::SameContent { id, stamp } => {
                    catalog.refresh_stamp(id, stamp)?;
                    summary.skipped += 1;
                }
                Prepared::Failed {
                    path,
                    stamp,
                    kind,
                    message,
                } => record_failure(catalog, &mut summary, on_event, path, stamp, kind, message)?,
                Prepared::Analysed {
                    photo,
                    read,
                    decode,
                    detect,
                    embed,
                } => {
                    summary.stages.read_ms += ms(read);
                    summary.stages.decode_ms += ms(decode);
                    summary.stages.detect_ms += ms(detect);
                    summary.stages.embed_ms += ms(embed);
                    let t = Instant::now();
                    store(catalog, photo, &mut summary, on_event)?;
                    summary.stages.store_ms += ms(t.elapsed());
                }
            }
        }
        Ok(())
    })?;
    summary.cancelled = cancel.load(Ordering::Relaxed);
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Commits one photo with its faces.
fn store(
    catalog: &mut Catalog,
    p: Analysed,
    summary: &mut ScanSummary,
    on_event: &mut dyn FnMut(ScanEvent),
) -> Result<(), ScanError> {
    let faces: Vec<NewFace> = p
        .faces
        .into_iter()
        .zip(p.tagged_names)
        .map(|((face, thumbnail, embedding), tagged_name)| NewFace {
            bbox: face.bbox,
            score: face.score,
            landmarks: face.landmarks,
            embedding,
            thumbnail,
            tagged_name,
        })
        .collect();
    let record = PhotoRecord {
        path: &p.path,
        stamp: p.stamp,
        hash: &p.hash,
        width: p.full_size.0,
        height: p.full_size.1,
        taken_at: p.taken_at.as_deref(),
        listed_people: &p.listed_people,
        sidecars_read: face_tags::SIDECARS_READ,
        turned: p.turned.to_exif(),
    };
    catalog.record_photo(&record, &faces)?;
    summary.photos += 1;
    summary.faces += faces.len();
    if !faces.is_empty() {
        summary.photos_with_faces += 1;
    }
    on_event(ScanEvent::Analysed {
        path: p.path,
        faces: faces.len(),
    });
    Ok(())
}

/// An unchanged file is read again only when it went missing (and is back), could not be read
/// when Kith read other formats than now (libheif installed since, a newer Kith), or has sidecars
/// that an older Kith read less of.
fn worth_reading_again(known: &KnownPhoto, file: &FoundFile, readers: &str) -> bool {
    match known.status {
        PhotoStatus::Ok => file.has_sidecar && known.sidecars_read < face_tags::SIDECARS_READ,
        PhotoStatus::Missing => true,
        PhotoStatus::Error => known.readers.as_deref() != Some(readers),
    }
}

fn record_failure(
    catalog: &mut Catalog,
    summary: &mut ScanSummary,
    on_event: &mut dyn FnMut(ScanEvent),
    path: PathBuf,
    stamp: FileStamp,
    kind: &'static str,
    message: String,
) -> Result<(), ScanError> {
    tracing::warn!(path = %path.display(), kind, %message, "photo not read");
    catalog.record_error(&path, stamp, kind, &message, &decode::readers())?;
    summary.errors += 1;
    summary.failures.push((path.clone(), kind, message.clone()));
    on_event(ScanEvent::Failed {
        path,
        kind,
        message,
    });
    Ok(())
}

/// Reads and decodes one file, locates its faces and embeds them (runs on a pool thread). Files
/// are only ever opened for reading.
fn prepare(
    analyzer: &FaceAnalyzer,
    file: &FoundFile,
    previous: Option<&KnownPhoto>,
    decode_long_side: u32,
) -> Prepared {
    let (path, stamp) = (file.path.as_path(), file.stamp);
    let failed = |kind: &'static str, message: String| Prepared::Failed {
        path: path.to_path_buf(),
        stamp,
        kind,
        message,
    };
    if stamp.size > MAX_FILE_BYTES {
        return failed(
            "too-large",
            format!("the file is {} bytes, over the 1 GiB limit", stamp.size),
        );
    }
    let t = Instant::now();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) => {
            let kind = match err.kind() {
                std::io::ErrorKind::NotFound => "vanished",
                std::io::ErrorKind::PermissionDenied => "unreadable",
                _ => "io",
            };
            return failed(kind, err.to_string());
        }
    };
    let read = t.elapsed();
    let hash = blake3::hash(&bytes).to_hex().to_string();
    // A photo with a sidecar may be here for the sidecar's sake: it is analysed again, and the
    // faces' names read anew (the user's decisions stay with the faces).
    if let Some(known) = previous.filter(|_| !file.has_sidecar) {
        if known.status == PhotoStatus::Ok && known.hash.as_deref() == Some(&hash) {
            return Prepared::SameContent {
                id: known.id,
                stamp,
            };
        }
    }
    let PhotoFaces {
        photo,
        faces,
        decoding,
        locating,
    } = match locate_faces(analyzer, &bytes, decode_long_side) {
        Ok(located) => located,
        Err(LocateError::Decode(err)) => return failed(err.kind(), err.to_string()),
        Err(LocateError::Vision(err)) => return failed("analysis", err.to_string()),
    };
    let t = Instant::now();
    let k = photo.scale();
    let faces: Vec<_> = faces
        .into_iter()
        .map(|f| {
            let thumb = face_thumbnail(&photo.pixels, f.bbox);
            (f.scaled(k), thumb)
        })
        .collect();
    let detect = locating + t.elapsed();
    let t = Instant::now();
    let chips: Vec<_> = faces.iter().map(|(f, _)| f.chip.clone()).collect();
    let embeddings = match analyzer.embed(&chips) {
        Ok(embeddings) => embeddings,
        Err(err) => return failed("analysis", err.to_string()),
    };
    let faces: Vec<_> = faces
        .into_iter()
        .zip(embeddings)
        .map(|((face, thumbnail), embedding)| (face, thumbnail, embedding))
        .collect();
    let boxes: Vec<[f32; 4]> = faces.iter().map(|(face, _, _)| face.bbox).collect();
    let tags = face_tags::read(&bytes, path);
    let matched = face_tags::match_faces(
        &tags.regions,
        &tags.pixel_regions,
        &boxes,
        photo.full_size,
        photo.turned,
    );
    let (mut faces, mut tagged_names) = (faces, matched.names);
    for (made, name) in faces_of_regions(analyzer, &bytes, &photo, &boxes, &matched.unplaced) {
        faces.push((made.face, made.thumbnail, made.embedding));
        tagged_names.push(Some(name));
    }
    Prepared::Analysed {
        photo: Analysed {
            path: path.to_path_buf(),
            stamp,
            hash,
            full_size: photo.full_size,
            turned: photo.turned,
            taken_at: photo.taken_at.or(tags.taken_at),
            faces,
            tagged_names,
            listed_people: tags.people,
        },
        read,
        decode: decoding,
        detect,
        embed: t.elapsed(),
    }
}

/// Faces made of the regions other apps named where the detector found none, as the user's
/// drawn faces are made (see [`drawn`]), each with its region's name. Regions too small, over a
/// face found (their names went elsewhere), or whose pixels cannot be had are left. Where
/// `photo` is not sharp enough for the smallest region, the photo is decoded once more, for all.
fn faces_of_regions(
    analyzer: &FaceAnalyzer,
    bytes: &[u8],
    photo: &decode::DecodedPhoto,
    found: &[[f32; 4]],
    regions: &[face_tags::FaceTag],
) -> Vec<(drawn::BoxedFace, String)> {
    let (w, h) = (photo.full_size.0 as f32, photo.full_size.1 as f32);
    let areas: Vec<([f32; 4], &str)> = regions
        .iter()
        .map(|region| {
            let [l, t, rw, rh] = region.area;
            let area = drawn::within([w, h], [l * w, t * h, rw * w, rh * h]);
            (area, region.name.as_str())
        })
        .filter(|(area, _)| {
            area[2] >= drawn::MIN_DRAWN_SIDE
                && area[3] >= drawn::MIN_DRAWN_SIDE
                && found
                    .iter()
                    .all(|f| iou(&corners(*f), &corners(*area)) <= 0.3)
        })
        .collect();
    let smallest = areas
        .iter()
        .map(|(area, _)| *area)
        .min_by(|a, b| a[2].max(a[3]).total_cmp(&b[2].max(b[3])));
    let sharper = smallest
        .filter(|&area| !drawn::sharp_enough(photo, area))
        .and_then(|area| drawn::decode_for(bytes, photo.full_size, area).ok());
    let pixels = sharper.as_ref().unwrap_or(photo);
    areas
        .into_iter()
        .filter_map(
            |(area, name)| match drawn::face_from(analyzer, pixels, area) {
                Ok(made) => made.map(|made| (made, name.to_string())),
                Err(err) => {
                    tracing::warn!(%err, name, "a named region could not be made a face");
                    None
                }
            },
        )
        .collect()
}

/// An x, y, width, height box as x1, y1, x2, y2.
fn corners([x, y, w, h]: [f32; 4]) -> [f32; 4] {
    [x, y, x + w, y + h]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
