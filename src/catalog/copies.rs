//! Copies of one picture: a photo copied into a second folder, saved again as JPEG or HEIC, or
//! exported smaller. A copy keeps its row and faces, but points at its original (`copy_of`), and
//! only the original counts: the copy's faces belong to no person and take part in no clustering,
//! review or search. Which photos are copies is decided in [`crate::people::copies`].
//!
//! Decisions move with the faces: the user's names and answers about a copy's face are carried to
//! the original's matching face when the copy is marked, and back to the copy when it stands alone
//! again because its original is no longer readable.

use rusqlite::{params, OptionalExtension};

use super::{Catalog, Result};

/// A readable photo with faces, as the search for copies compares them.
#[derive(Debug, Clone, PartialEq)]
pub struct PictureRow {
    pub id: i64,
    /// Upright size in pixels.
    pub size: (u32, u32),
    pub taken_at: Option<String>,
    /// The original this photo is a copy of.
    pub copy_of: Option<i64>,
}

/// A photo to mark as a copy of `original`, with each of its faces and the original's face it
/// shows, as (copy's face, original's face).
#[derive(Debug, Clone, PartialEq)]
pub struct NewCopy {
    pub photo: i64,
    pub original: i64,
    pub faces: Vec<(i64, i64)>,
}

/// A picture kept in more than one readable file: its original and the copies, as the paths
/// people read.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CopyGroup {
    pub original: String,
    pub copies: Vec<String>,
}

impl Catalog {
    /// The pictures with copies, in the order they were catalogued.
    pub fn copy_groups(&self) -> Result<Vec<CopyGroup>> {
        let mut stmt = self.conn().prepare(
            "SELECT o.display, c.display FROM photos c JOIN photos o ON o.id = c.copy_of
             WHERE c.status = 'ok' AND o.status = 'ok' ORDER BY o.id, c.id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?;
        let mut groups: Vec<CopyGroup> = Vec::new();
        for row in rows {
            let (original, copy) = row?;
            match groups.last_mut() {
                Some(group) if group.original == original => group.copies.push(copy),
                _ => groups.push(CopyGroup {
                    original,
                    copies: vec![copy],
                }),
            }
        }
        Ok(groups)
    }

    /// Readable photos with at least one face, copies included, by id.
    pub fn pictures(&self) -> Result<Vec<PictureRow>> {
        self.pictures_where(
            "status = 'ok' AND EXISTS (SELECT 1 FROM faces WHERE faces.photo_id = photos.id)",
        )
    }

    /// One photo as [`Catalog::pictures`] gives them, whatever its state; `None` without a size.
    pub fn picture(&self, id: i64) -> Result<Option<PictureRow>> {
        let row = self
            .conn()
            .query_row(
                &format!("SELECT {PICTURE_COLUMNS} FROM photos WHERE id = ?1"),
                [id],
                picture_row,
            )
            .optional()?;
        Ok(row.flatten())
    }

    /// Photos no longer found whose faces carry the user's decisions (a person placed, a face
    /// ignored, "not this person"): what a photo moved and also changed would lose.
    pub fn vanished_with_decisions(&self) -> Result<Vec<PictureRow>> {
        self.pictures_where(
            "status = 'missing' AND EXISTS (
                 SELECT 1 FROM faces WHERE faces.photo_id = photos.id AND (pinned = 1
                     OR ignored = 1 OR EXISTS (SELECT 1 FROM not_person WHERE face_id = faces.id)))",
        )
    }

    /// The photos with a known size that `filter` (SQL on `photos`) selects, by id.
    fn pictures_where(&self, filter: &str) -> Result<Vec<PictureRow>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {PICTURE_COLUMNS} FROM photos WHERE {filter} ORDER BY id"
        ))?;
        let rows = stmt.query_map([], picture_row)?;
        Ok(rows
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect())
    }

    /// Copies whose original is no longer readable (missing, or no longer a photo), as
    /// (copy, original).
    pub fn orphaned_copies(&self) -> Result<Vec<(i64, i64)>> {
        let mut stmt = self.conn().prepare(
            "SELECT c.id, o.id FROM photos c JOIN photos o ON o.id = c.copy_of
             WHERE c.copy_of IS NOT NULL AND o.status != 'ok' ORDER BY c.id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Copies and their originals, both readable, whose capture times the catalog has to the
    /// second only, as (copy, original).
    pub fn copies_timed_to_the_second(&self) -> Result<Vec<(i64, i64)>> {
        let mut stmt = self.conn().prepare(
            "SELECT c.id, o.id FROM photos c JOIN photos o ON o.id = c.copy_of
             WHERE c.status = 'ok' AND o.status = 'ok'
               AND instr(c.taken_at, '.') = 0 AND instr(o.taken_at, '.') = 0
             ORDER BY c.id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sets when `photo` was taken (see [`crate::scan::capture_time`] for the form).
    pub fn set_taken_at(&mut self, photo: i64, taken_at: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE photos SET taken_at = ?2 WHERE id = ?1",
            params![photo, taken_at],
        )?;
        Ok(())
    }

    /// The photos marked as copies of `original`, by id.
    pub fn copies_of(&self, original: i64) -> Result<Vec<i64>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id FROM photos WHERE copy_of = ?1 ORDER BY id")?;
        let rows = stmt.query_map([original], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The readable copies of `photo` (or, for a copy, its original and the other copies), as the
    /// paths people read.
    pub fn other_copies(&self, photo: i64) -> Result<Vec<String>> {
        let original: Option<i64> = self
            .conn()
            .query_row(
                "SELECT COALESCE(copy_of, id) FROM photos WHERE id = ?1",
                [photo],
                |r| r.get(0),
            )
            .optional()?;
        let Some(original) = original else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn().prepare(
            "SELECT display FROM photos
             WHERE (id = ?1 OR copy_of = ?1) AND id != ?2 AND status = 'ok' ORDER BY id",
        )?;
        let rows = stmt.query_map(params![original, photo], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Marks each photo as a copy of its original. The user's decisions about a copy's faces go
    /// to the original's faces that have none, and the copy's faces leave their persons.
    pub fn mark_copies(&mut self, copies: &[NewCopy]) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        for copy in copies {
            tx.execute(
                "UPDATE photos SET copy_of = ?2 WHERE id = ?1",
                params![copy.photo, copy.original],
            )?;
            for &(copy_face, original_face) in &copy.faces {
                carry_decisions(&tx, copy_face, original_face)?;
                tx.execute(
                    "UPDATE faces SET person_id = NULL, pinned = 0, ignored = 0 WHERE id = ?1",
                    [copy_face],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Makes `photo` stand alone again, its original no longer readable, and gives its faces the
    /// decisions made about the original's, as `faces` pairs them: (original's face, copy's face).
    pub fn release_copy(&mut self, photo: i64, faces: &[(i64, i64)]) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        tx.execute("UPDATE photos SET copy_of = NULL WHERE id = ?1", [photo])?;
        for &(original_face, copy_face) in faces {
            carry_decisions(&tx, original_face, copy_face)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// What changes when photos become copies or stop being ones: the newest face, and how many
    /// photos are readable and which (summed ids). The search for copies is skipped while it
    /// stays the same.
    pub fn copies_fingerprint(&self) -> Result<String> {
        let newest_face: i64 =
            self.conn()
                .query_row("SELECT COALESCE(MAX(id), 0) FROM faces", [], |r| r.get(0))?;
        let (readable, ids): (i64, i64) = self.conn().query_row(
            "SELECT COUNT(*), COALESCE(SUM(id), 0) FROM photos WHERE status = 'ok'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(format!("{newest_face}:{readable}:{ids}"))
    }
}

const PICTURE_COLUMNS: &str = "id, width, height, taken_at, copy_of";

/// A [`PictureRow`] from [`PICTURE_COLUMNS`]; `None` for a photo whose size is not known.
fn picture_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<PictureRow>> {
    let (id, taken_at, copy_of) = (r.get(0)?, r.get(3)?, r.get(4)?);
    let (width, height): (Option<u32>, Option<u32>) = (r.get(1)?, r.get(2)?);
    Ok(width.zip(height).map(|size| PictureRow {
        id,
        size,
        taken_at,
        copy_of,
    }))
}

/// Gives face `to` the person, pin and "ignored" the user set on face `from`, and its "not this
/// person" answers, unless `to` carries decisions of its own; makes `to` its person's cover where
/// `from` was.
fn carry_decisions(tx: &rusqlite::Transaction<'_>, from: i64, to: i64) -> Result<()> {
    tx.execute(
        "UPDATE faces SET (person_id, pinned, ignored) =
             (SELECT person_id, pinned, ignored FROM faces WHERE id = ?1)
         WHERE id = ?2 AND pinned = 0 AND ignored = 0
           AND EXISTS (SELECT 1 FROM faces WHERE id = ?1 AND (pinned = 1 OR ignored = 1))",
        params![from, to],
    )?;
    tx.execute(
        "INSERT OR IGNORE INTO not_person (face_id, person_id)
         SELECT ?2, person_id FROM not_person WHERE face_id = ?1",
        params![from, to],
    )?;
    tx.execute(
        "UPDATE persons SET cover_face = ?2
         WHERE cover_face = ?1 AND id = (SELECT person_id FROM faces WHERE id = ?2)",
        params![from, to],
    )?;
    Ok(())
}
