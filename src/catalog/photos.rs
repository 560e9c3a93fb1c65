//! Photos in the catalog: what was seen on disk, what came of reading it, and incremental re-scans.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension};

use super::faces::{carry_over, decisions_of_photo, insert_faces, NewFace};
use super::paths::{key_is_under, path_from_key, path_key};
use super::{unix_now, Catalog, CatalogError, Result};

/// Size and modification time: a file whose stamp is unchanged is not read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    pub size: u64,
    pub mtime_ns: i64,
}

impl FileStamp {
    pub fn of(meta: &std::fs::Metadata) -> Self {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0);
        Self {
            size: meta.len(),
            mtime_ns,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoStatus {
    Ok,
    Error,
    Missing,
}

impl PhotoStatus {
    fn as_str(self) -> &'static str {
        match self {
            PhotoStatus::Ok => "ok",
            PhotoStatus::Error => "error",
            PhotoStatus::Missing => "missing",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "ok" => Ok(PhotoStatus::Ok),
            "error" => Ok(PhotoStatus::Error),
            "missing" => Ok(PhotoStatus::Missing),
            other => Err(CatalogError::Malformed(format!("photo status {other:?}"))),
        }
    }
}

/// What the catalog remembers of a file, to decide whether a re-scan must read it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownPhoto {
    pub id: i64,
    pub stamp: FileStamp,
    pub hash: Option<String>,
    pub status: PhotoStatus,
    /// For a file that could not be read: what could read files then (see
    /// [`Catalog::record_error`]); `None` when not recorded.
    pub readers: Option<String>,
    /// What was read beside the photo when it was analysed ([`PhotoRecord::sidecars_read`]).
    pub sidecars_read: i64,
}

/// A photo that was read successfully.
#[derive(Debug, Clone)]
pub struct PhotoRecord<'a> {
    pub path: &'a Path,
    pub stamp: FileStamp,
    pub hash: &'a str,
    pub width: u32,
    pub height: u32,
    pub taken_at: Option<&'a str>,
    /// People another app lists as being in the photo without saying where (see
    /// [`crate::people::listed`]).
    pub listed_people: &'a [String],
    /// Which version of what Kith reads beside photos (sidecars) was read beside this one.
    pub sidecars_read: i64,
    /// How the stored pixels are turned to be upright, as an EXIF orientation (1: as stored).
    pub turned: u8,
}

impl<'a> PhotoRecord<'a> {
    /// A photo with no file behind it, for benchmarks' synthetic libraries.
    pub fn synthetic(path: &'a Path, width: u32, height: u32) -> Self {
        Self {
            path,
            stamp: FileStamp {
                size: 1,
                mtime_ns: 0,
            },
            hash: "synthetic",
            width,
            height,
            taken_at: None,
            listed_people: &[],
            sidecars_read: 0,
            turned: 1,
        }
    }
}

/// A catalogued photo, for listings and export.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PhotoRow {
    pub id: i64,
    pub path: PathBuf,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub taken_at: Option<String>,
    pub status: &'static str,
}

/// A readable photo as its sidecar is written: where it is, its upright size, the stamp the last
/// scan saw, and the original it is a copy of.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadablePhoto {
    pub id: i64,
    pub path: PathBuf,
    pub size: Option<(u32, u32)>,
    pub stamp: FileStamp,
    pub copy_of: Option<i64>,
    /// How its stored pixels are turned to be upright, as an EXIF orientation; `None` for a
    /// photo analysed before this was kept.
    pub turned: Option<u8>,
}

/// What the catalog knows of a photo's content: where a file of that size and hash was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredContent {
    pub id: i64,
    pub path: PathBuf,
    pub hash: String,
    pub status: PhotoStatus,
}

/// A file that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanErrorRow {
    pub path: PathBuf,
    pub display: String,
    pub kind: String,
    pub message: String,
}

impl Catalog {
    /// Every photo the catalog knows under `root`, keyed by path bytes.
    pub fn known_photos(&self, root: &Path) -> Result<HashMap<Vec<u8>, KnownPhoto>> {
        let root_key = path_key(root);
        let mut stmt = self.conn().prepare(
            "SELECT id, path, size, mtime_ns, hash, status, readers, sidecars_read
                 FROM photos LEFT JOIN scan_errors ON scan_errors.photo_id = photos.id",
        )?;
        let mut rows = stmt.query([])?;
        let mut known = HashMap::new();
        while let Some(row) = rows.next()? {
            let key: Vec<u8> = row.get(1)?;
            if !key_is_under(&key, &root_key) {
                continue;
            }
            let status: String = row.get(5)?;
            known.insert(
                key,
                KnownPhoto {
                    id: row.get(0)?,
                    stamp: FileStamp {
                        size: row.get::<_, i64>(2)? as u64,
                        mtime_ns: row.get(3)?,
                    },
                    hash: row.get(4)?,
                    status: PhotoStatus::parse(&status)?,
                    readers: row.get(6)?,
                    sidecars_read: row.get(7)?,
                },
            );
        }
        Ok(known)
    }

    /// Stores a successfully read photo and its faces in one transaction, replacing whatever was
    /// known of that path before. Returns the photo's id.
    ///
    /// Faces the user drew stay where the photo kept its size, unless the detector now found a
    /// face over them, which takes their place; a photo cropped or resized loses them, since
    /// their boxes no longer fit it.
    pub fn record_photo(&mut self, photo: &PhotoRecord<'_>, faces: &[NewFace]) -> Result<i64> {
        let tx = self.conn_mut().transaction()?;
        let size_before: Option<(Option<u32>, Option<u32>)> = tx
            .query_row(
                "SELECT width, height FROM photos WHERE path = ?1",
                [path_key(photo.path)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let same_size = size_before == Some((Some(photo.width), Some(photo.height)));
        let id = upsert_photo(
            &tx,
            photo.path,
            photo.stamp,
            Some(photo.hash),
            PhotoStatus::Ok,
        )?;
        tx.execute(
            "UPDATE photos SET width = ?2, height = ?3, taken_at = ?4, sidecars_read = ?5,
             turned = ?6 WHERE id = ?1",
            params![
                id,
                photo.width,
                photo.height,
                photo.taken_at,
                photo.sidecars_read,
                photo.turned
            ],
        )?;
        let decisions = decisions_of_photo(&tx, id)?;
        let dropped = if same_size {
            "DELETE FROM faces WHERE photo_id = ?1 AND drawn = 0"
        } else {
            "DELETE FROM faces WHERE photo_id = ?1"
        };
        tx.execute(dropped, [id])?;
        tx.execute("DELETE FROM scan_errors WHERE photo_id = ?1", [id])?;
        insert_faces(&tx, id, faces)?;
        carry_over(&tx, id, &decisions)?;
        super::listed::replace(&tx, id, photo.listed_people)?;
        tx.commit()?;
        Ok(id)
    }

    /// A file changed on disk but its content did not (copied back, touched): only the stamp moves,
    /// so its faces, and whatever the user decided about them, stay as they are.
    pub fn refresh_stamp(&self, id: i64, stamp: FileStamp) -> Result<()> {
        self.conn().execute(
            "UPDATE photos SET size = ?2, mtime_ns = ?3, status = 'ok', scanned_at = ?4 WHERE id = ?1",
            params![id, stamp.size as i64, stamp.mtime_ns, unix_now()],
        )?;
        Ok(())
    }

    /// Records that `path` could not be read, with a short `kind` and a message for people, and
    /// `readers`: what could read files at the time (the scan names the formats it reads), so
    /// that a scan with other readers tries the file again.
    pub fn record_error(
        &mut self,
        path: &Path,
        stamp: FileStamp,
        kind: &str,
        message: &str,
        readers: &str,
    ) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        let id = upsert_photo(&tx, path, stamp, None, PhotoStatus::Error)?;
        tx.execute("DELETE FROM faces WHERE photo_id = ?1", [id])?;
        tx.execute(
            "INSERT OR REPLACE INTO scan_errors (photo_id, kind, message, readers)
             VALUES (?1, ?2, ?3, ?4)",
            params![id, kind, message, readers],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Marks photos that were not found on disk any more. Their faces are kept: a drive that is
    /// unplugged for one scan must not cost the user their names.
    pub fn mark_missing(&mut self, ids: &[i64]) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        {
            let mut stmt = tx.prepare("UPDATE photos SET status = 'missing' WHERE id = ?1")?;
            for id in ids {
                stmt.execute([id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Files that could not be read, with their reasons.
    pub fn scan_errors(&self) -> Result<Vec<ScanErrorRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT photos.path, photos.display, kind, message FROM scan_errors
             JOIN photos ON photos.id = photo_id ORDER BY photos.display",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ScanErrorRow {
                path: path_from_key(&r.get::<_, Vec<u8>>(0)?),
                display: r.get(1)?,
                kind: r.get(2)?,
                message: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whether any photo was ever catalogued (readable or not): false for a new library.
    pub fn has_photos(&self) -> Result<bool> {
        Ok(self
            .conn()
            .query_row("SELECT EXISTS (SELECT 1 FROM photos)", [], |r| r.get(0))?)
    }

    /// Every catalogued photo, by path.
    pub fn photos(&self) -> Result<Vec<PhotoRow>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {PHOTO_COLUMNS} FROM photos ORDER BY display"
        ))?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(photo_row(r)?);
        }
        Ok(out)
    }

    /// The photos read once (readable now or missing) whose file had one of `sizes` bytes, by
    /// size, each size's in catalogue order.
    pub fn contents_of_size(
        &self,
        sizes: &HashSet<u64>,
    ) -> Result<HashMap<u64, Vec<StoredContent>>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, path, size, hash, status FROM photos
             WHERE status != 'error' AND hash IS NOT NULL ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        let mut found: HashMap<u64, Vec<StoredContent>> = HashMap::new();
        while let Some(r) = rows.next()? {
            let size = r.get::<_, i64>(2)? as u64;
            if sizes.contains(&size) {
                let status: String = r.get(4)?;
                found.entry(size).or_default().push(StoredContent {
                    id: r.get(0)?,
                    path: path_from_key(&r.get::<_, Vec<u8>>(1)?),
                    hash: r.get(3)?,
                    status: PhotoStatus::parse(&status)?,
                });
            }
        }
        Ok(found)
    }

    /// The photo `id` is now the file at `path` (moved or renamed, the same content): it keeps its
    /// faces and everything decided about them.
    pub fn move_photo(&self, id: i64, path: &Path, stamp: FileStamp) -> Result<()> {
        self.conn().execute(
            "UPDATE photos SET path = ?2, display = ?3, size = ?4, mtime_ns = ?5, status = 'ok',
                 scanned_at = ?6 WHERE id = ?1",
            params![
                id,
                path_key(path),
                path.to_string_lossy(),
                stamp.size as i64,
                stamp.mtime_ns,
                unix_now()
            ],
        )?;
        Ok(())
    }

    /// Every photo read successfully, in path order.
    pub fn readable_photos(&self) -> Result<Vec<ReadablePhoto>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, path, width, height, size, mtime_ns, copy_of, turned FROM photos
             WHERE status = 'ok' ORDER BY display",
        )?;
        let rows = stmt.query_map([], |r| {
            let (width, height): (Option<u32>, Option<u32>) = (r.get(2)?, r.get(3)?);
            Ok(ReadablePhoto {
                id: r.get(0)?,
                path: path_from_key(&r.get::<_, Vec<u8>>(1)?),
                size: width.zip(height),
                stamp: FileStamp {
                    size: r.get::<_, i64>(4)? as u64,
                    mtime_ns: r.get(5)?,
                },
                copy_of: r.get(6)?,
                turned: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records how photo `id`'s stored pixels are turned to be upright (an EXIF orientation),
    /// for a photo analysed before that was kept.
    pub fn record_turned(&self, id: i64, turned: u8) -> Result<()> {
        self.conn().execute(
            "UPDATE photos SET turned = ?2 WHERE id = ?1",
            params![id, turned],
        )?;
        Ok(())
    }

    /// One catalogued photo by id.
    pub fn photo(&self, id: i64) -> Result<Option<PhotoRow>> {
        let mut stmt = self
            .conn()
            .prepare(&format!("SELECT {PHOTO_COLUMNS} FROM photos WHERE id = ?1"))?;
        let mut rows = stmt.query([id])?;
        rows.next()?.map(photo_row).transpose()
    }

    /// The id and status of the photo at `path`, if known.
    pub fn photo_status(&self, path: &Path) -> Result<Option<(i64, PhotoStatus)>> {
        let row = self
            .conn()
            .query_row(
                "SELECT id, status FROM photos WHERE path = ?1",
                [path_key(path)],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?;
        row.map(|(id, s)| Ok((id, PhotoStatus::parse(&s)?)))
            .transpose()
    }
}

/// The columns [`photo_row`] reads, in its order.
const PHOTO_COLUMNS: &str = "id, path, width, height, taken_at, status";

/// The ORDER BY that lists photos (of table or alias `photos`) as search does: oldest first,
/// those without a capture time last, each by path.
pub(crate) fn listing_order(photos: &str) -> String {
    format!(" ORDER BY {photos}.taken_at IS NULL, {photos}.taken_at, {photos}.display")
}

fn photo_row(r: &rusqlite::Row<'_>) -> Result<PhotoRow> {
    let status: String = r.get(5)?;
    Ok(PhotoRow {
        id: r.get(0)?,
        path: path_from_key(&r.get::<_, Vec<u8>>(1)?),
        width: r.get(2)?,
        height: r.get(3)?,
        taken_at: r.get(4)?,
        status: PhotoStatus::parse(&status)?.as_str(),
    })
}

fn upsert_photo(
    tx: &rusqlite::Transaction<'_>,
    path: &Path,
    stamp: FileStamp,
    hash: Option<&str>,
    status: PhotoStatus,
) -> Result<i64> {
    let id = tx.query_row(
        "INSERT INTO photos (path, display, size, mtime_ns, hash, status, scanned_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
             hash = excluded.hash, status = excluded.status, scanned_at = excluded.scanned_at
         RETURNING id",
        params![
            path_key(path),
            path.to_string_lossy(),
            stamp.size as i64,
            stamp.mtime_ns,
            hash,
            status.as_str(),
            unix_now()
        ],
        |r| r.get(0),
    )?;
    Ok(id)
}
