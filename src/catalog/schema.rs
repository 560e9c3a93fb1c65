//! The catalog's schema and its migrations, applied in order and recorded in `PRAGMA user_version`.

use rusqlite::{Connection, TransactionBehavior};

/// Each entry upgrades the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: photos, their faces and why some files could not be read.
    "CREATE TABLE folders (
        path        BLOB PRIMARY KEY,
        added_at    INTEGER NOT NULL
    );
    CREATE TABLE photos (
        id          INTEGER PRIMARY KEY,
        path        BLOB NOT NULL UNIQUE,   -- the OS's bytes: names need not be UTF-8
        display     TEXT NOT NULL,          -- the path for people to read
        size        INTEGER NOT NULL,
        mtime_ns    INTEGER NOT NULL,
        hash        TEXT,                   -- BLAKE3 of the content
        width       INTEGER,
        height      INTEGER,
        taken_at    TEXT,                   -- EXIF capture time, ISO 8601 without zone
        status      TEXT NOT NULL CHECK (status IN ('ok', 'error', 'missing')),
        scanned_at  INTEGER NOT NULL
    );
    CREATE TABLE faces (
        id          INTEGER PRIMARY KEY,
        photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        x REAL NOT NULL, y REAL NOT NULL, w REAL NOT NULL, h REAL NOT NULL,
        score       REAL NOT NULL,
        landmarks   BLOB NOT NULL,          -- 5 x (x, y) as little-endian f32, original pixels
        embedding   BLOB NOT NULL,          -- 128 little-endian f32
        thumbnail   BLOB                    -- small JPEG of the face
    );
    CREATE INDEX faces_by_photo ON faces(photo_id);
    CREATE TABLE scan_errors (
        photo_id    INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
        kind        TEXT NOT NULL,
        message     TEXT NOT NULL
    );",
    // 2: people. A face's person is either the clustering's guess or pinned by the user; what the
    // user said is never overwritten by clustering. `not_person` holds "this face is not X".
    "CREATE TABLE persons (
        id          INTEGER PRIMARY KEY,
        name        TEXT,
        hidden      INTEGER NOT NULL DEFAULT 0,
        cover_face  INTEGER REFERENCES faces(id) ON DELETE SET NULL,
        created_at  INTEGER NOT NULL
    );
    ALTER TABLE faces ADD COLUMN person_id INTEGER REFERENCES persons(id) ON DELETE SET NULL;
    ALTER TABLE faces ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE faces ADD COLUMN ignored INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX faces_by_person ON faces(person_id);
    CREATE TABLE not_person (
        face_id     INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
        person_id   INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
        PRIMARY KEY (face_id, person_id)
    );
    CREATE TABLE settings (
        key         TEXT PRIMARY KEY,
        value       TEXT NOT NULL
    );
    CREATE TABLE history (
        id          INTEGER PRIMARY KEY,
        at          INTEGER NOT NULL,
        action      TEXT NOT NULL,
        changes     TEXT NOT NULL,          -- JSON: the touched rows before and after
        undone      INTEGER NOT NULL DEFAULT 0
    );",
    // 3: "these two are different people", the user's answer to a merge suggestion.
    "CREATE TABLE distinct_persons (
        a           INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
        b           INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
        PRIMARY KEY (a, b),
        CHECK (a < b)
    );",
    // 4: the adaptation head learned from the user's decisions, when one is in use: its weights
    // (safetensors bytes) and the validation report that got it accepted (JSON).
    "CREATE TABLE adaptation (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        weights     BLOB NOT NULL,
        report      TEXT NOT NULL,
        created_at  INTEGER NOT NULL
    );",
    // 5: the people list reads only this index. Columns added to `faces` by migration 2 sit after
    // the thumbnail in each row, so reading a face's person from the table walks the thumbnail's
    // overflow pages: listing 900 people of 50,000 faces took 350 ms, with this index 30 ms.
    // It starts with person_id, so it replaces faces_by_person.
    "CREATE INDEX faces_of_persons ON faces(person_id, score DESC, id, photo_id, ignored);
    DROP INDEX faces_by_person;",
    // 6: what could read files when a file could not be (the formats Kith read then), so that
    // the file is tried again once that changes (libheif installed, a newer Kith). NULL: recorded
    // before this was kept, so tried again once.
    "ALTER TABLE scan_errors ADD COLUMN readers TEXT;",
    // 7: a photo that is a copy of another (see catalog/copies.rs) names its original; only the
    // original's faces count.
    "ALTER TABLE photos ADD COLUMN copy_of INTEGER REFERENCES photos(id) ON DELETE SET NULL;
    CREATE INDEX photos_by_original ON photos(copy_of) WHERE copy_of IS NOT NULL;",
    // 8: the name another app wrote for a face into its photo's metadata, kept until it has
    // named the face (see scan/face_tags.rs). The column comes after the thumbnail, so finding
    // the few faces that have one would read every thumbnail without the partial index.
    "ALTER TABLE faces ADD COLUMN tagged_name TEXT;
    CREATE INDEX faces_tagged ON faces(id) WHERE tagged_name IS NOT NULL;",
    // 9: people another app listed as being in a photo without saying where (Google Takeout),
    // and whether a face of the photo was found to be each (see people/listed.rs); and what
    // was read beside each photo when it was analysed (see scan/face_tags), 0 before this was
    // kept, so that a photo with sidecars is read again once a newer Kith reads more of them.
    "CREATE TABLE listed_people (
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        name     TEXT NOT NULL,
        found    INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (photo_id, name)
    ) WITHOUT ROWID;
    ALTER TABLE photos ADD COLUMN sidecars_read INTEGER NOT NULL DEFAULT 0;",
    // 10: what Kith last wrote into (or found already in) each photo's XMP sidecar, as a digest
    // of the names, so that keeping sidecars up to date touches only the photos whose names
    // changed (see name_sidecars).
    "CREATE TABLE sidecar_names (
        photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
        digest   TEXT NOT NULL
    );",
    // 11: faces the user drew where the detector found none (see scan/drawn.rs). A scan of the
    // photo keeps them, where the detector finds no face over them.
    "ALTER TABLE faces ADD COLUMN drawn INTEGER NOT NULL DEFAULT 0;",
    // 12: how each photo's stored pixels are turned to be upright (its EXIF orientation, 1-8),
    // so that regions other apps drew on the stored pixels are known when writing sidecars. NULL:
    // analysed before this was kept.
    "ALTER TABLE photos ADD COLUMN turned INTEGER;",
    // 13: faces clustering looked at and grouped with no one. A placing after a scan offers
    // such a face to the people near it again only when a new face has come near it, so that a
    // scan that finds nothing new moves no face (see people/assign.rs). 0 before this was kept:
    // those faces are offered once more.
    "ALTER TABLE faces ADD COLUMN left_alone INTEGER NOT NULL DEFAULT 0;",
];

pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings `conn` to the newest schema. A catalog from a newer Kith is refused, not damaged.
///
/// Two processes may open a new catalog at the same moment (the window and a `kith` command):
/// each step reads the version again under the write lock, so only one of them applies it.
pub fn migrate(conn: &mut Connection) -> Result<(), super::CatalogError> {
    if version(conn)? == VERSION {
        return Ok(());
    }
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = version(&tx)?;
        let Some(sql) = MIGRATIONS.get(current as usize) else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
        tracing::info!(version = current + 1, "catalog schema migrated");
    }
}

/// The schema version `conn` holds; an error for one newer than this Kith knows.
fn version(conn: &Connection) -> Result<i64, super::CatalogError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > VERSION {
        return Err(super::CatalogError::TooNew {
            found: current,
            supported: VERSION,
        });
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_catalog_opened_by_several_connections_at_once_is_created_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("new.sqlite");
        let barrier = std::sync::Barrier::new(6);
        std::thread::scope(|scope| {
            let opens: Vec<_> = (0..6)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        super::super::Catalog::open(&path).map(|_| ())
                    })
                })
                .collect();
            for open in opens {
                let result = open.join().expect("thread");
                assert!(result.is_ok(), "{result:?}");
            }
        });
        let conn = Connection::open(&path).expect("open");
        assert_eq!(version(&conn).expect("version"), VERSION);
    }

    #[test]
    fn a_catalog_from_a_newer_kith_is_refused_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("newer.sqlite");
        let conn = Connection::open(&path).expect("open");
        conn.pragma_update(None, "user_version", VERSION + 1)
            .expect("set version");
        drop(conn);
        let err = super::super::Catalog::open(&path).map(|_| ());
        assert!(
            matches!(err, Err(super::super::CatalogError::TooNew { .. })),
            "{err:?}"
        );
        let conn = Connection::open(&path).expect("reopen");
        assert_eq!(version(&conn).ok(), None);
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .expect("tables");
        assert_eq!(tables, 0);
    }
}
