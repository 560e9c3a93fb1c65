//! Undo and redo for every user decision, persisted in the catalog.
//!
//! An action records the rows it touches (faces' assignments, persons, "not this person" facts)
//! before and after, as JSON in `history`. Undo writes the "before" rows back, redo the "after"
//! rows; a new action drops whatever had been undone. Because the rows are restored rather than the
//! action re-run, undo stays right even after clustering has moved other faces in between. A face
//! the user drew is recorded whole, so that undoing its drawing takes it away and undoing its
//! removal brings it back.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use super::{unix_now, Catalog, CatalogError, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FaceState {
    id: i64,
    person: Option<i64>,
    pinned: bool,
    ignored: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct PersonRow {
    name: Option<String>,
    hidden: bool,
    cover_face: Option<i64>,
    created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct PersonState {
    id: i64,
    /// `None`: the person did not exist.
    row: Option<PersonRow>,
}

/// A face the user drew, as its row holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct DrawnRow {
    id: i64,
    photo_id: i64,
    bbox: [f32; 4],
    score: f32,
    landmarks: Vec<u8>,
    embedding: Vec<u8>,
    thumbnail: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Snapshot {
    faces: Vec<FaceState>,
    persons: Vec<PersonState>,
    /// Every (face, person) "not this person" fact touching the snapshot's faces or persons.
    not_person: Vec<(i64, i64)>,
    /// Every "different people" pair touching the snapshot's persons.
    #[serde(default)]
    distinct: Vec<(i64, i64)>,
    /// The snapshot's faces that the user drew, whole.
    #[serde(default)]
    drawn: Vec<DrawnRow>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Change {
    before: Snapshot,
    after: Snapshot,
}

/// One entry of the history, for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub id: i64,
    pub action: String,
    pub undone: bool,
}

impl Catalog {
    /// Runs `apply` in one transaction as the user action `description`, recording the rows of
    /// `faces` and `persons` before and after so it can be undone. `apply` returns the ids of
    /// persons it created.
    pub(super) fn act<T>(
        &mut self,
        description: &str,
        faces: &[i64],
        persons: &[i64],
        apply: impl FnOnce(&Transaction<'_>) -> Result<(T, Vec<i64>)>,
    ) -> Result<T> {
        let tx = self.conn_mut().transaction()?;
        let mut before = snapshot(&tx, faces, persons)?;
        let (out, created) = apply(&tx)?;
        let mut all_persons = persons.to_vec();
        all_persons.extend(&created);
        before
            .persons
            .extend(created.iter().map(|&id| PersonState { id, row: None }));
        log(&tx, description, before, faces, &all_persons)?;
        tx.commit()?;
        Ok(out)
    }

    /// Undoes the latest action not yet undone; returns its description, or `None` if there is none.
    pub fn undo(&mut self) -> Result<Option<String>> {
        self.step(
            "SELECT id, action, changes FROM history WHERE undone = 0 ORDER BY id DESC LIMIT 1",
            true,
        )
    }

    /// Redoes the earliest undone action; returns its description, or `None` if there is none.
    pub fn redo(&mut self) -> Result<Option<String>> {
        self.step(
            "SELECT id, action, changes FROM history WHERE undone = 1 ORDER BY id ASC LIMIT 1",
            false,
        )
    }

    /// The most recent actions, newest first.
    pub fn history(&self, limit: usize) -> Result<Vec<HistoryEntry>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id, action, undone FROM history ORDER BY id DESC LIMIT ?1")?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(HistoryEntry {
                id: r.get(0)?,
                action: r.get(1)?,
                undone: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn step(&mut self, select: &str, undo: bool) -> Result<Option<String>> {
        let tx = self.conn_mut().transaction()?;
        let Some((id, action, changes)) = tx
            .query_row(select, [], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .optional()?
        else {
            return Ok(None);
        };
        let change: Change =
            serde_json::from_str(&changes).map_err(|e| CatalogError::Malformed(e.to_string()))?;
        let (to, from) = if undo {
            (&change.before, &change.after)
        } else {
            (&change.after, &change.before)
        };
        restore(&tx, to, from)?;
        tx.execute(
            "UPDATE history SET undone = ?2 WHERE id = ?1",
            params![id, undo],
        )?;
        tx.commit()?;
        Ok(Some(action))
    }
}

/// Records in `tx` the user action `description`, which took `faces` and `persons` from
/// `before` to how they are now; whatever had been undone is dropped.
pub(super) fn log(
    tx: &Transaction<'_>,
    description: &str,
    before: Snapshot,
    faces: &[i64],
    persons: &[i64],
) -> Result<()> {
    let after = snapshot(tx, faces, persons)?;
    let change = serde_json::to_string(&Change { before, after })
        .map_err(|e| CatalogError::Malformed(e.to_string()))?;
    tx.execute("DELETE FROM history WHERE undone = 1", [])?;
    tx.execute(
        "INSERT INTO history (at, action, changes) VALUES (?1, ?2, ?3)",
        params![unix_now(), description, change],
    )?;
    Ok(())
}

/// The rows of `faces` and `persons` as they are in `tx`, with what refers to them.
pub(super) fn snapshot(tx: &Transaction<'_>, faces: &[i64], persons: &[i64]) -> Result<Snapshot> {
    let mut face_states = Vec::with_capacity(faces.len());
    {
        let mut stmt = tx.prepare("SELECT person_id, pinned, ignored FROM faces WHERE id = ?1")?;
        for &id in faces {
            if let Some((person, pinned, ignored)) = stmt
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?
            {
                face_states.push(FaceState {
                    id,
                    person,
                    pinned,
                    ignored,
                });
            }
        }
    }
    let mut person_states = Vec::with_capacity(persons.len());
    {
        let mut stmt =
            tx.prepare("SELECT name, hidden, cover_face, created_at FROM persons WHERE id = ?1")?;
        for &id in persons {
            let row = stmt
                .query_row([id], |r| {
                    Ok(PersonRow {
                        name: r.get(0)?,
                        hidden: r.get(1)?,
                        cover_face: r.get(2)?,
                        created_at: r.get(3)?,
                    })
                })
                .optional()?;
            person_states.push(PersonState { id, row });
        }
    }
    let mut facts = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT face_id, person_id FROM not_person WHERE face_id = ?1 OR person_id = ?2",
        )?;
        let ids: Vec<(i64, i64)> = faces
            .iter()
            .map(|&f| (f, -1))
            .chain(persons.iter().map(|&p| (-1, p)))
            .collect();
        for (face, person) in ids {
            let rows = stmt.query_map([face, person], |r| Ok((r.get(0)?, r.get(1)?)))?;
            for row in rows {
                facts.push(row?);
            }
        }
    }
    facts.sort_unstable();
    facts.dedup();
    let mut distinct = Vec::new();
    {
        let mut stmt = tx.prepare("SELECT a, b FROM distinct_persons WHERE a = ?1 OR b = ?1")?;
        for &p in persons {
            let rows = stmt.query_map([p], |r| Ok((r.get(0)?, r.get(1)?)))?;
            for row in rows {
                distinct.push(row?);
            }
        }
    }
    distinct.sort_unstable();
    distinct.dedup();
    let mut drawn = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT photo_id, x, y, w, h, score, landmarks, embedding, thumbnail
             FROM faces WHERE id = ?1 AND drawn = 1",
        )?;
        for &id in faces {
            let row = stmt
                .query_row([id], |r| {
                    Ok(DrawnRow {
                        id,
                        photo_id: r.get(0)?,
                        bbox: [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?],
                        score: r.get(5)?,
                        landmarks: r.get(6)?,
                        embedding: r.get(7)?,
                        thumbnail: r.get(8)?,
                    })
                })
                .optional()?;
            drawn.extend(row);
        }
    }
    Ok(Snapshot {
        faces: face_states,
        persons: person_states,
        not_person: facts,
        distinct,
        drawn,
    })
}

/// Writes the rows of `snapshot` back; `other` is the snapshot the catalog is leaving, whose
/// drawn faces that `snapshot` lacks did not exist then.
fn restore(tx: &Transaction<'_>, snapshot: &Snapshot, other: &Snapshot) -> Result<()> {
    for gone in other
        .drawn
        .iter()
        .filter(|o| !snapshot.drawn.iter().any(|d| d.id == o.id))
    {
        tx.execute("DELETE FROM faces WHERE id = ?1 AND drawn = 1", [gone.id])?;
    }
    // A drawn face's id may have gone to another face since it was taken away: then that face
    // is left as it is, and the drawn one stays away.
    let mut taken = Vec::new();
    for d in &snapshot.drawn {
        let holder: Option<(i64, bool)> = tx
            .query_row(
                "SELECT photo_id, drawn FROM faces WHERE id = ?1",
                [d.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if holder.is_some_and(|h| h != (d.photo_id, true)) {
            taken.push(d.id);
            continue;
        }
        let [x, y, w, h] = d.bbox;
        tx.execute(
            "INSERT OR IGNORE INTO faces
             (id, photo_id, x, y, w, h, score, landmarks, embedding, thumbnail, drawn)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1
             WHERE EXISTS (SELECT 1 FROM photos WHERE id = ?2)",
            params![
                d.id,
                d.photo_id,
                x,
                y,
                w,
                h,
                d.score,
                d.landmarks,
                d.embedding,
                d.thumbnail
            ],
        )?;
    }
    // Persons first (faces refer to them), without REPLACE: deleting a row would unassign faces
    // outside the snapshot through the foreign key.
    for p in &snapshot.persons {
        if let Some(row) = &p.row {
            tx.execute(
                "INSERT INTO persons (id, name, hidden, cover_face, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, hidden = excluded.hidden,
                     cover_face = excluded.cover_face, created_at = excluded.created_at",
                params![p.id, row.name, row.hidden, row.cover_face, row.created_at],
            )?;
        }
    }
    let faces: Vec<&FaceState> = snapshot
        .faces
        .iter()
        .filter(|f| !taken.contains(&f.id))
        .collect();
    for f in &faces {
        tx.execute(
            "UPDATE faces SET person_id = ?2, pinned = ?3, ignored = ?4 WHERE id = ?1",
            params![f.id, f.person, f.pinned, f.ignored],
        )?;
    }
    for p in snapshot.persons.iter().filter(|p| p.row.is_none()) {
        tx.execute("DELETE FROM persons WHERE id = ?1", [p.id])?;
    }
    for f in &faces {
        tx.execute("DELETE FROM not_person WHERE face_id = ?1", [f.id])?;
    }
    for p in &snapshot.persons {
        tx.execute("DELETE FROM not_person WHERE person_id = ?1", [p.id])?;
    }
    for (face, person) in snapshot
        .not_person
        .iter()
        .filter(|(f, _)| !taken.contains(f))
    {
        tx.execute(
            "INSERT OR IGNORE INTO not_person (face_id, person_id) VALUES (?1, ?2)",
            params![face, person],
        )?;
    }
    for p in &snapshot.persons {
        tx.execute(
            "DELETE FROM distinct_persons WHERE a = ?1 OR b = ?1",
            [p.id],
        )?;
    }
    for (a, b) in &snapshot.distinct {
        tx.execute(
            "INSERT OR IGNORE INTO distinct_persons (a, b) VALUES (?1, ?2)",
            params![a, b],
        )?;
    }
    Ok(())
}
