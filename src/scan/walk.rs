//! Finding the photo files under a folder.

use std::path::{Path, PathBuf};

use super::face_tags::Sidecars;
use crate::catalog::FileStamp;

/// File name endings Kith looks at: the photo formats, and the camera RAW formats LibRaw reads.
/// Those it cannot decode here (HEIC and AVIF without libheif, RAW without LibRaw) are still
/// listed, so that the user is told about them instead of them silently not being there.
const PHOTO_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "jpe", "png", "webp", "tif", "tiff", "bmp", "gif", "heic", "heif", "avif",
    "dng", "cr2", "cr3", "crw", "nef", "nrw", "arw", "srf", "sr2", "orf", "rw2", "rwl", "raf",
    "pef", "srw", "3fr", "iiq", "erf", "mrw",
];

/// A photo file found on disk, with its stamp when it could be read.
#[derive(Debug, Clone)]
pub struct FoundFile {
    pub path: PathBuf,
    pub stamp: FileStamp,
    /// It has an XMP or Takeout sidecar (see [`super::face_tags`]), whose time is in `stamp`.
    pub has_sidecar: bool,
}

/// Something under the folder that could not be walked (a symlink loop, a folder without access).
#[derive(Debug, Clone)]
pub struct WalkProblem {
    pub path: PathBuf,
    pub kind: &'static str,
    pub message: String,
}

pub fn is_photo_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| PHOTO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        .unwrap_or(false)
}

/// The photo at `path`, whose own metadata is `meta`, as a walk finds it: a sidecar's change
/// counts as the photo's.
pub fn found_file(path: &Path, meta: &std::fs::Metadata, sidecars: &mut Sidecars) -> FoundFile {
    let sidecar = sidecars.changed_ns(path);
    let mut stamp = FileStamp::of(meta);
    stamp.mtime_ns = stamp.mtime_ns.max(sidecar.unwrap_or(i64::MIN));
    FoundFile {
        path: path.to_path_buf(),
        stamp,
        has_sidecar: sidecar.is_some(),
    }
}

/// Lists the photo files under `root` in a stable order, following symbolic links (with loop
/// detection) and skipping hidden folders such as `.thumbnails`.
pub fn walk(root: &Path) -> (Vec<FoundFile>, Vec<WalkProblem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut sidecars = Sidecars::default();
    let entries = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in entries {
        match entry {
            Ok(entry) if entry.file_type().is_file() && is_photo_name(entry.path()) => {
                match entry.metadata() {
                    Ok(meta) => files.push(found_file(entry.path(), &meta, &mut sidecars)),
                    Err(err) => problems.push(WalkProblem {
                        path: entry.path().to_path_buf(),
                        kind: "unreadable",
                        message: err.to_string(),
                    }),
                }
            }
            Ok(_) => {}
            Err(err) => {
                let path = err.path().map(Path::to_path_buf).unwrap_or_default();
                let kind = if err.loop_ancestor().is_some() {
                    "symlink-loop"
                } else {
                    "unreadable"
                };
                problems.push(WalkProblem {
                    path,
                    kind,
                    message: err.to_string(),
                });
            }
        }
    }
    (files, problems)
}
