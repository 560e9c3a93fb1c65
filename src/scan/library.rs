//! Scanning the whole library again, for the photos added, changed or removed since its folders
//! were last scanned: each folder on disk in turn. A folder that is not found (a drive not
//! plugged in, a folder moved) is left as it is: its photos are not marked missing, so they are
//! there as before, names and all, when the folder is back.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{scan_folder, ScanError, ScanEvent, ScanOptions, ScanSummary};
use crate::catalog::{Catalog, CatalogError};
use crate::vision::FaceAnalyzer;

/// The library's folders as a rescan sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LibraryFolders {
    /// Found on disk and inside no other folder found: walking the outer folder covers the inner.
    pub to_scan: Vec<PathBuf>,
    /// Not found on disk.
    pub not_found: Vec<PathBuf>,
}

impl LibraryFolders {
    pub fn of(catalog: &Catalog) -> Result<Self, CatalogError> {
        let (found, not_found): (Vec<PathBuf>, Vec<PathBuf>) =
            catalog.folders()?.into_iter().partition(|f| f.is_dir());
        let to_scan = found
            .iter()
            .filter(|f| {
                !found
                    .iter()
                    .any(|outer| outer != *f && f.starts_with(outer))
            })
            .cloned()
            .collect();
        Ok(Self { to_scan, not_found })
    }
}

/// Scans each folder of [`LibraryFolders::to_scan`] into one summary, which names the folders
/// not found in `folders_not_found`.
pub fn scan_library(
    catalog: &mut Catalog,
    analyzer: &FaceAnalyzer,
    options: &ScanOptions,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(ScanEvent),
) -> Result<ScanSummary, ScanError> {
    let folders = LibraryFolders::of(catalog)?;
    let mut summary = scan_folders(
        catalog,
        analyzer,
        &folders.to_scan,
        options,
        cancel,
        on_event,
    )?;
    summary.folders_not_found.extend(folders.not_found);
    Ok(summary)
}

/// Scans `folders` in turn into one summary; a folder gone by the time its turn comes is named
/// in `folders_not_found`.
pub fn scan_folders(
    catalog: &mut Catalog,
    analyzer: &FaceAnalyzer,
    folders: &[PathBuf],
    options: &ScanOptions,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(ScanEvent),
) -> Result<ScanSummary, ScanError> {
    let mut summary = ScanSummary::default();
    for folder in folders {
        if cancel.load(Ordering::Relaxed) {
            summary.cancelled = true;
            break;
        }
        match scan_folder(catalog, analyzer, folder, options, cancel, on_event) {
            Ok(scanned) => summary.absorb(scanned),
            Err(ScanError::Root { .. }) => summary.folders_not_found.push(folder.clone()),
            Err(err) => return Err(err),
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_folders_are_covered_by_outer_ones_and_absent_ones_are_set_apart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        for sub in ["photos/2019", "photos-old", "other"] {
            std::fs::create_dir_all(root.join(sub)).expect("mkdir");
        }
        let catalog = Catalog::open(&root.join("c.sqlite")).expect("open");
        for folder in ["photos", "photos/2019", "photos-old", "other", "unplugged"] {
            catalog.add_folder(&root.join(folder)).expect("add");
        }
        let folders = LibraryFolders::of(&catalog).expect("folders");
        // "photos-old" shares the beginning of "photos" but is not inside it.
        assert_eq!(
            folders.to_scan,
            ["other", "photos", "photos-old"].map(|f| root.join(f))
        );
        assert_eq!(folders.not_found, [root.join("unplugged")]);
    }
}
