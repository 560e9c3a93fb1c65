//! The catalog: one SQLite file holding what Kith knows about a library: its folders, the photos
//! it has seen, the faces found in them with their embeddings, why some files could not be read,
//! the persons, the user's decisions about them, the undo history and the adaptation head learned
//! from those decisions.
//!
//! Every photo's results are committed in one transaction, so a scan killed at any moment leaves
//! whole photos or nothing, and the next scan resumes where it stopped. The catalog knows nothing
//! of neural networks: it stores numbers and bytes.

mod adaptation;
mod copies;
mod faces;
mod folders;
mod history;
mod listed;
mod paths;
mod people;
mod photos;
mod schema;
mod sidecar_names;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::Connection;

pub use adaptation::StoredAdaptation;
pub use copies::{CopyGroup, NewCopy, PictureRow};
pub use faces::{FaceAssignment, FaceRow, NewFace, PhotoFace};
pub use history::HistoryEntry;
pub use listed::{ListedPerson, UnfoundInPhoto};
pub use paths::{path_from_key, path_key};
pub use people::{person_label, PersonBrief, PersonSummary};
pub(crate) use photos::listing_order;
pub use photos::{
    FileStamp, KnownPhoto, PhotoRecord, PhotoRow, PhotoStatus, ReadablePhoto, ScanErrorRow,
    StoredContent,
};

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("cannot create the catalog's folder {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("this catalog was written by a newer Kith (schema {found}; this one knows up to {supported})")]
    TooNew { found: i64, supported: i64 },
    #[error("stored data is malformed: {0}")]
    Malformed(String),
    #[error("{0} does not exist")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

/// How long a connection waits for another one (a scan, the window) to let go of the file.
const BUSY_WAIT: Duration = Duration::from_secs(10);

/// Puts the file in WAL mode, which it then keeps. Changing the mode needs the file to itself for
/// a moment, and SQLite answers "busy" at once there rather than waiting: when two processes open
/// a new catalog together, the second tries again until the first is done.
fn use_wal(conn: &Connection) -> Result<()> {
    let deadline = Instant::now() + BUSY_WAIT;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            done => return Ok(done?),
        }
    }
}

pub struct Catalog {
    conn: Connection,
    path: PathBuf,
}

impl Catalog {
    /// Opens (creating if needed) the catalog at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| CatalogError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_WAIT)?;
        // Every transaction here writes. Begun deferred, one that reads first fails at once with
        // "database is locked" when another connection (the placer beside a scan) commits
        // between its first read and its first write: waiting does not help it. Begun
        // immediate, it takes the write lock first, waiting up to BUSY_WAIT.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        // WAL lets readers (the GUI) see committed photos while a scan writes; NORMAL sync keeps
        // every commit atomic and durable against a killed process, if not against power loss.
        use_wal(&conn)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrate(&mut conn)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Writes a consistent copy of the whole catalog to `path` (which must not exist), e.g. as a
    /// backup before a risky change.
    pub fn copy_to(&self, path: &Path) -> Result<()> {
        self.conn
            .execute("VACUUM INTO ?1", [path.to_string_lossy()])?;
        Ok(())
    }

    /// A library setting (e.g. the clustering algorithm), as saved by `set_setting`.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            rusqlite::params![key, value],
        )?;
        Ok(())
    }

    pub fn remove_setting(&self, key: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM settings WHERE key = ?1", [key])?;
        Ok(())
    }

    /// Counts for summaries: photos by status and faces.
    pub fn counts(&self) -> Result<CatalogCounts> {
        let count = |sql: &str| -> Result<u64> {
            Ok(self.conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
        };
        Ok(CatalogCounts {
            photos: count("SELECT COUNT(*) FROM photos WHERE status = 'ok'")?,
            photos_with_faces: count(
                "SELECT COUNT(DISTINCT photo_id) FROM faces JOIN photos ON photos.id = photo_id
                 WHERE status = 'ok'",
            )?,
            faces: count(
                "SELECT COUNT(*) FROM faces JOIN photos ON photos.id = photo_id WHERE status = 'ok'",
            )?,
            errors: count("SELECT COUNT(*) FROM photos WHERE status = 'error'")?,
            missing: count("SELECT COUNT(*) FROM photos WHERE status = 'missing'")?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CatalogCounts {
    pub photos: u64,
    pub photos_with_faces: u64,
    pub faces: u64,
    pub errors: u64,
    pub missing: u64,
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As a scan's store of one photo reads, then writes, while the placer beside it commits.
    #[test]
    fn a_transaction_that_reads_first_still_writes_when_another_connection_commits_meanwhile() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.sqlite");
        let mut scan = Catalog::open(&path).expect("open");
        let placer = Catalog::open(&path).expect("open");
        placer
            .conn()
            .busy_timeout(Duration::from_millis(50))
            .expect("timeout");
        let tx = scan.conn_mut().transaction().expect("begin");
        let photos: i64 = tx
            .query_row("SELECT COUNT(*) FROM photos", [], |row| row.get(0))
            .expect("read");
        // The placer's write waits for the transaction (here it gives up), instead of
        // committing under it and making the write below fail with "database is locked".
        let placed_meanwhile = placer.set_setting("placed", "1").is_ok();
        tx.execute(
            "INSERT INTO settings (key, value) VALUES ('stored', ?1)",
            [photos],
        )
        .expect("the write after the read");
        assert!(!placed_meanwhile);
        tx.commit().expect("commit");
        placer
            .set_setting("placed", "1")
            .expect("then the placer writes");
    }
}
