//! Photos that moved: a file renamed, or moved into another folder (sorting a library by year is
//! common), is the same photo. It keeps its record, its faces and everything the user decided
//! about them, and is not analysed again. Told by its content: a new path whose bytes hash to
//! those of a photo no longer where the catalog has it (missing, or its file gone) is that photo.
//! Only new files of a size such a photo had are read for this, so a scan without moves reads
//! nothing more. A photo whose old file is still there is a copy instead, which
//! [`crate::people::copies`] handles.

use std::collections::HashSet;
use std::path::Path;

use super::walk::FoundFile;
use crate::catalog::{Catalog, CatalogError, KnownPhoto, PhotoStatus};

/// Takes out of `work` the new files that are catalogued photos moved there, and returns each
/// with the id of the photo it is.
pub(super) fn find(
    catalog: &Catalog,
    work: &mut Vec<(FoundFile, Option<KnownPhoto>)>,
) -> Result<Vec<(i64, FoundFile)>, CatalogError> {
    let sizes: HashSet<u64> = work
        .iter()
        .filter(|(_, known)| known.is_none())
        .map(|(file, _)| file.stamp.size)
        .collect();
    if sizes.is_empty() {
        return Ok(Vec::new());
    }
    let stored = catalog.contents_of_size(&sizes)?;
    let mut claimed: HashSet<i64> = HashSet::new();
    let mut moved = Vec::new();
    let mut left = Vec::with_capacity(work.len());
    for (file, known) in work.drain(..) {
        let candidates = stored
            .get(&file.stamp.size)
            .filter(|_| known.is_none())
            .map(Vec::as_slice)
            .unwrap_or_default();
        // A vanished file's photo, not yet claimed by another file of the same content.
        let gone = |id: i64, status: PhotoStatus, path: &Path| {
            !claimed.contains(&id) && (status == PhotoStatus::Missing || !path.exists())
        };
        let open: Vec<_> = candidates
            .iter()
            .filter(|c| gone(c.id, c.status, &c.path))
            .collect();
        let hash = if open.is_empty() {
            None
        } else {
            content_hash(&file.path)
        };
        match open.iter().find(|c| Some(&c.hash) == hash.as_ref()) {
            Some(photo) => {
                tracing::info!(from = %photo.path.display(), to = %file.path.display(), "photo moved");
                claimed.insert(photo.id);
                moved.push((photo.id, file));
            }
            None => left.push((file, known)),
        }
    }
    *work = left;
    Ok(moved)
}

/// The BLAKE3 hash of the file at `path`, as the scan stores it; `None` when it cannot be read
/// (the scan then records why).
fn content_hash(path: &Path) -> Option<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(std::fs::File::open(path).ok()?).ok()?;
    Some(hasher.finalize().to_hex().to_string())
}
