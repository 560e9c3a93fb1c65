//! Thumbnails of whole photos (the grid of search results), made from the photo file on demand
//! and kept in a disk cache under the platform's cache directory, never beside the photos.
//!
//! A thumbnail is found again by a key made of the photo's path, size and modification time, so
//! a photo changed on disk misses the cache and gets a new thumbnail. Cached files are plain
//! JPEGs; deleting the cache directory only costs making them again.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use image::codecs::jpeg::JpegEncoder;

use crate::catalog::{path_key, FileStamp};
use crate::scan::decode::{self, DecodeError};

/// The long side of a thumbnail in pixels: sharp in a grid cell on a high-density screen.
pub const SIDE: u32 = 320;
const QUALITY: u8 = 85;

#[derive(Debug, thiserror::Error)]
pub enum ThumbnailError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("cannot encode the thumbnail: {0}")]
    Encode(#[from] image::ImageError),
}

/// The thumbnails kept in one directory.
#[derive(Debug, Clone)]
pub struct ThumbnailCache {
    dir: PathBuf,
}

impl ThumbnailCache {
    /// A cache kept in `dir` (created when the first thumbnail is stored).
    pub fn at(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The cache in the platform's cache directory (`~/.cache/kith/thumbnails` on Linux), if
    /// the system has one.
    pub fn default_location() -> Option<Self> {
        crate::paths::project_dirs().map(|dirs| Self::at(dirs.cache_dir().join("thumbnails")))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The JPEG thumbnail of the photo at `photo` (long side at most [`SIDE`], upright): from the
    /// cache when the file is unchanged, else made from the file and stored. A cache that cannot
    /// be written only costs making the thumbnail again next time.
    pub fn get(&self, photo: &Path) -> Result<Vec<u8>, ThumbnailError> {
        let read_error = |source| ThumbnailError::Read {
            path: photo.to_path_buf(),
            source,
        };
        let stamp = FileStamp::of(&fs::metadata(photo).map_err(read_error)?);
        let cached = self.file_for(photo, stamp);
        if let Ok(bytes) = fs::read(&cached) {
            return Ok(bytes);
        }
        let bytes = make(&fs::read(photo).map_err(read_error)?)?;
        if let Err(err) = store(&cached, &bytes) {
            tracing::warn!(path = %cached.display(), %err, "cannot store a photo thumbnail");
        }
        Ok(bytes)
    }

    /// Where the thumbnail of `photo` as of `stamp` is kept: a hash of path, size and time,
    /// spread over 256 subdirectories.
    fn file_for(&self, photo: &Path, stamp: FileStamp) -> PathBuf {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&path_key(photo));
        hasher.update(&stamp.size.to_le_bytes());
        hasher.update(&stamp.mtime_ns.to_le_bytes());
        let key = hasher.finalize().to_hex();
        self.dir.join(&key[..2]).join(format!("{key}.jpg"))
    }
}

/// A thumbnail of the photo file's bytes, as JPEG.
pub fn make(photo: &[u8]) -> Result<Vec<u8>, ThumbnailError> {
    // A JPEG is decoded at reduced scale in the DCT down to about the size wanted.
    let decoded = decode::decode(photo, Some(SIDE))?;
    let small = decode::fit_within(decoded.pixels, SIDE);
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, QUALITY).encode_image(&small)?;
    Ok(out)
}

/// Writes `bytes` to `file` through a temporary file in the same directory, so that a reader
/// (another window on the same cache) never sees half a thumbnail.
fn store(file: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = file
        .parent()
        .ok_or_else(|| io::Error::other("the cache file has no directory"))?;
    fs::create_dir_all(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    io::Write::write_all(&mut temp, bytes)?;
    temp.persist(file).map_err(|err| err.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_photo(path: &Path, shade: u8) {
        let img = image::RgbImage::from_fn(640, 400, |x, y| {
            image::Rgb([shade, (x / 3) as u8, (y / 2) as u8])
        });
        img.save(path).expect("save");
    }

    fn cached_files(dir: &Path) -> usize {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .count()
    }

    #[test]
    fn a_cached_thumbnail_is_used_until_the_photo_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let photos = dir.path().join("photos");
        fs::create_dir(&photos).expect("mkdir");
        // BMP: other pixels keep the same file size.
        let photo = photos.join("a.bmp");
        write_photo(&photo, 10);
        let cache = ThumbnailCache::at(dir.path().join("cache"));

        let first = cache.get(&photo).expect("thumbnail");
        let small = image::load_from_memory(&first).expect("jpeg");
        assert_eq!((small.width(), small.height()), (SIDE, 200));
        assert_eq!(cached_files(cache.dir()), 1);
        assert_eq!(
            fs::read_dir(&photos).expect("list").count(),
            1,
            "nothing beside the photo"
        );

        // Other pixels under the same size and time: the cache answers, so it is still the first.
        let modified = fs::metadata(&photo)
            .expect("meta")
            .modified()
            .expect("mtime");
        write_photo(&photo, 200);
        let file = fs::File::options().write(true).open(&photo).expect("open");
        file.set_modified(modified).expect("set mtime");
        assert_eq!(cache.get(&photo).expect("cached"), first);

        // A photo changed on disk (another time) misses and gets its own thumbnail.
        file.set_modified(modified + std::time::Duration::from_secs(5))
            .expect("set mtime");
        let second = cache.get(&photo).expect("thumbnail");
        assert_ne!(second, first);
        assert_eq!(cached_files(cache.dir()), 2);
        assert_eq!(cache.get(&photo).expect("cached"), second);
    }

    #[test]
    fn an_unreadable_photo_is_an_error_and_caches_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let photo = dir.path().join("not-a-photo.jpg");
        fs::write(&photo, b"hello").expect("write");
        let cache = ThumbnailCache::at(dir.path().join("cache"));
        assert!(matches!(cache.get(&photo), Err(ThumbnailError::Decode(_))));
        assert_eq!(cached_files(cache.dir()), 0);
    }
}
