//! Albums: the photos a search found ("Anna & Ben", 2019), copied into a folder of their own to
//! share or print. The originals are only read; nothing already in the folder is overwritten.
//!
//! A photo keeps its file name, with " (2)", " (3)" added where another file has it already
//! (two cameras' `IMG_0001.jpg`). A photo whose very bytes are in the folder already, under its
//! name or one of those, is not copied again: making the same album twice copies nothing, and
//! one photo in it found by a later search is not doubled. Each copy is written under a
//! temporary name and renamed when whole, so a full disk or a killed process never leaves half a
//! photo under a photo's name. The copy keeps the original's modification time, which some
//! viewers sort by, and its permissions.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// What [`copy_into`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AlbumReport {
    pub folder: PathBuf,
    /// Photos copied in, as they are named there.
    pub copied: Vec<PathBuf>,
    /// Photos that were in the folder already, byte for byte.
    pub already_there: usize,
    /// Photos that could not be copied, with the reason (unreadable, vanished, disk full).
    pub failed: Vec<(PathBuf, String)>,
    /// Stopped before the last photo, as asked: the photos copied so far stay.
    pub stopped: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AlbumError {
    #[error("cannot make the folder {0}: {1}")]
    Folder(PathBuf, io::Error),
}

/// Copies each of `photos` into `folder`, made if it is not there. After each photo,
/// `keep_going` hears how many are done and says whether to go on.
pub fn copy_into(
    photos: &[PathBuf],
    folder: &Path,
    mut keep_going: impl FnMut(usize) -> bool,
) -> Result<AlbumReport, AlbumError> {
    std::fs::create_dir_all(folder).map_err(|e| AlbumError::Folder(folder.to_path_buf(), e))?;
    let mut report = AlbumReport {
        folder: folder.to_path_buf(),
        ..AlbumReport::default()
    };
    for (i, photo) in photos.iter().enumerate() {
        match copy_one(photo, folder) {
            Ok(Placed::Copied(to)) => report.copied.push(to),
            Ok(Placed::AlreadyThere) => report.already_there += 1,
            Err(err) => {
                tracing::warn!(photo = %photo.display(), %err, "not copied into the album");
                report.failed.push((photo.clone(), err.to_string()));
            }
        }
        if !keep_going(i + 1) && i + 1 < photos.len() {
            report.stopped = true;
            break;
        }
    }
    Ok(report)
}

enum Placed {
    Copied(PathBuf),
    AlreadyThere,
}

fn copy_one(photo: &Path, folder: &Path) -> io::Result<Placed> {
    let name = photo
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let metadata = std::fs::metadata(photo)?;
    let modified = metadata.modified().ok();
    let mut n = 0;
    loop {
        n += 1;
        let target = folder.join(numbered(Path::new(name), n));
        if target.exists() {
            if same_bytes(photo, &target)? {
                return Ok(Placed::AlreadyThere);
            }
            continue;
        }
        let mut part = tempfile::Builder::new()
            .prefix(".kith-")
            .suffix(".part")
            .tempfile_in(folder)?;
        io::copy(&mut File::open(photo)?, part.as_file_mut())?;
        // As the original's: a temporary file is made readable by its owner only.
        part.as_file().set_permissions(metadata.permissions())?;
        if let Some(time) = modified {
            part.as_file().set_modified(time)?;
        }
        part.as_file().sync_all()?;
        match part.persist_noclobber(&target) {
            Ok(_) => return Ok(Placed::Copied(target)),
            // Another file took the name meanwhile: the next one, then.
            Err(err) if err.error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(err) => return Err(err.error),
        }
    }
}

/// `name` for the `n`th file of that name: `IMG_1.jpg`, `IMG_1 (2).jpg`, ...
fn numbered(name: &Path, n: usize) -> PathBuf {
    if n == 1 {
        return name.to_path_buf();
    }
    let stem = name
        .file_stem()
        .unwrap_or(name.as_os_str())
        .to_string_lossy();
    match name.extension() {
        Some(ext) => format!("{stem} ({n}).{}", ext.to_string_lossy()).into(),
        None => format!("{stem} ({n})").into(),
    }
}

/// Whether the two files hold the same bytes.
fn same_bytes(a: &Path, b: &Path) -> io::Result<bool> {
    if std::fs::metadata(a)?.len() != std::fs::metadata(b)?.len() {
        return Ok(false);
    }
    let (mut a, mut b) = (File::open(a)?, File::open(b)?);
    let (mut x, mut y) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let n = read_full(&mut a, &mut x)?;
        if n != read_full(&mut b, &mut y)? || x[..n] != y[..n] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

/// Fills `buf` as far as the file goes; the count read (short only at the end).
fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, bytes: &[u8]) -> PathBuf {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(path, bytes).expect("write");
        path.to_path_buf()
    }

    #[test]
    fn names_are_numbered_before_the_extension() {
        assert_eq!(numbered(Path::new("IMG_1.jpg"), 1), Path::new("IMG_1.jpg"));
        assert_eq!(
            numbered(Path::new("IMG_1.jpg"), 2),
            Path::new("IMG_1 (2).jpg")
        );
        assert_eq!(numbered(Path::new("scan"), 3), Path::new("scan (3)"));
    }

    #[test]
    fn two_photos_of_one_name_both_arrive_and_a_second_run_copies_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = write(&dir.path().join("2019/IMG_0001.jpg"), b"first camera");
        let b = write(&dir.path().join("2020/IMG_0001.jpg"), b"second camera");
        let album = dir.path().join("album");
        let photos = vec![a.clone(), b.clone()];

        let first = copy_into(&photos, &album, |_| true).expect("copied");
        assert_eq!(
            first.copied,
            vec![album.join("IMG_0001.jpg"), album.join("IMG_0001 (2).jpg")]
        );
        assert_eq!(
            std::fs::read(&first.copied[1]).expect("read"),
            b"second camera"
        );
        let (copy, original) = (
            std::fs::metadata(&first.copied[0]).expect("meta"),
            std::fs::metadata(&a).expect("meta"),
        );
        assert_eq!(copy.modified().ok(), original.modified().ok());
        assert_eq!(copy.permissions(), original.permissions());

        let again = copy_into(&photos, &album, |_| true).expect("copied");
        assert!(again.copied.is_empty());
        assert_eq!(again.already_there, 2);
        let files = std::fs::read_dir(&album).expect("list").count();
        assert_eq!(files, 2, "no part file left behind");
    }

    #[test]
    fn stopping_keeps_what_was_copied() {
        let dir = tempfile::tempdir().expect("tempdir");
        let photos: Vec<PathBuf> = (0..4)
            .map(|i| write(&dir.path().join(format!("p/{i}.jpg")), &[i]))
            .collect();
        let album = dir.path().join("album");
        let report = copy_into(&photos, &album, |done| done < 2).expect("copied");
        assert!(report.stopped);
        assert_eq!(
            report.copied,
            vec![album.join("0.jpg"), album.join("1.jpg")]
        );
        let rest = copy_into(&photos, &album, |_| true).expect("copied");
        assert!(!rest.stopped);
        assert_eq!((rest.copied.len(), rest.already_there), (2, 2));
    }

    #[test]
    fn a_file_there_already_is_never_overwritten_and_a_vanished_photo_is_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let album = dir.path().join("album");
        let theirs = write(&album.join("party.jpg"), b"the user's own file");
        let photo = write(&dir.path().join("photos/party.jpg"), b"a photo");
        let gone = dir.path().join("photos/gone.jpg");

        let report = copy_into(&[photo, gone.clone()], &album, |_| true).expect("copied");
        assert_eq!(report.copied, vec![album.join("party (2).jpg")]);
        assert_eq!(
            std::fs::read(&theirs).expect("read"),
            b"the user's own file"
        );
        assert_eq!(report.failed.len(), 1);
        assert_eq!(report.failed[0].0, gone);
    }
}
