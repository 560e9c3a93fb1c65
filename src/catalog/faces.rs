//! Faces in the catalog: where each is in its photo, how sure the detector was, and its embedding.

use std::path::PathBuf;

use rusqlite::{params, OptionalExtension};

use super::history::{self, Snapshot};
use super::paths::path_from_key;
use super::people::person_label;
use super::{Catalog, CatalogError, Result};
use crate::vision::EMBEDDING_DIM;

/// A face to store, in the original photo's upright pixel coordinates.
#[derive(Debug, Clone)]
pub struct NewFace {
    /// x, y, width, height.
    pub bbox: [f32; 4],
    pub score: f32,
    pub landmarks: [[f32; 2]; 5],
    pub embedding: [f32; EMBEDDING_DIM],
    /// A small JPEG of the face for display.
    pub thumbnail: Vec<u8>,
    /// The name another app gave this face in the photo's metadata (see
    /// [`crate::scan::face_tags`]), until the face is named by it.
    pub tagged_name: Option<String>,
}

/// A stored face.
#[derive(Debug, Clone)]
pub struct FaceRow {
    pub id: i64,
    pub photo_id: i64,
    pub photo_path: PathBuf,
    pub bbox: [f32; 4],
    pub score: f32,
    pub landmarks: [[f32; 2]; 5],
    pub embedding: [f32; EMBEDDING_DIM],
    pub person: Option<i64>,
    /// The person was decided by the user.
    pub pinned: bool,
    pub ignored: bool,
    /// Drawn by the user where the detector found no face.
    pub drawn: bool,
    /// Clustering last grouped it with no one. Meaningful only while `person` is `None`: a face
    /// the user gives a person keeps the mark, for an undo to find as it was.
    pub left_alone: bool,
}

/// A face as drawn on its photo: where it is and who it is.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PhotoFace {
    pub id: i64,
    /// x, y, width, height in the photo's upright pixels.
    pub bbox: [f32; 4],
    pub person: Option<i64>,
    /// The person's name, if the person has one.
    pub person_name: Option<String>,
    pub pinned: bool,
    pub ignored: bool,
    /// Drawn by the user where the detector found no face.
    pub drawn: bool,
}

impl PhotoFace {
    /// The person's name or "Unnamed #id"; `None` for a face with nobody.
    pub fn person_label(&self) -> Option<String> {
        self.person
            .map(|p| person_label(p, self.person_name.as_deref()))
    }
}

/// Who a face is with now (the light part of [`FaceRow`]), for re-ranking after each decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaceAssignment {
    pub face: i64,
    pub photo: i64,
    pub person: Option<i64>,
}

/// What the user decided about a face, carried over when its photo is analysed again.
#[derive(Debug, Clone)]
pub(super) struct FaceDecision {
    /// The face's id where the user drew it: it is kept through the analysis.
    drawn: Option<i64>,
    bbox: [f32; 4],
    person: Option<i64>,
    pinned: bool,
    ignored: bool,
    not_persons: Vec<i64>,
}

/// The decisions about the current faces of `photo_id`.
pub(super) fn decisions_of_photo(
    tx: &rusqlite::Transaction<'_>,
    photo_id: i64,
) -> Result<Vec<FaceDecision>> {
    let mut stmt = tx.prepare(
        "SELECT id, x, y, w, h, person_id, pinned, ignored, drawn FROM faces WHERE photo_id = ?1",
    )?;
    let mut facts = tx.prepare("SELECT person_id FROM not_person WHERE face_id = ?1")?;
    let mut rows = stmt.query([photo_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let not_persons = facts
            .query_map([id], |f| f.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        let drawn: bool = r.get(8)?;
        out.push(FaceDecision {
            drawn: drawn.then_some(id),
            bbox: [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?],
            person: r.get(5)?,
            pinned: r.get(6)?,
            ignored: r.get(7)?,
            not_persons,
        });
    }
    Ok(out)
}

/// Which faces are in no person: the filter both reading and counting them use.
const UNGROUPED: &str = "WHERE faces.person_id IS NULL AND faces.ignored = 0
    AND photos.status = 'ok' AND photos.copy_of IS NULL";

/// Two boxes overlapping more than this (intersection over union) are one face.
const SAME_FACE_IOU: f32 = 0.5;

/// Gives each face the detector found in `photo_id` the decisions of the old face it overlaps
/// most (IoU > 0.5), so that re-analysing an edited photo keeps names, moves and "not this
/// person" answers. A face the user drew that the detector now found is that face from then on.
pub(super) fn carry_over(
    tx: &rusqlite::Transaction<'_>,
    photo_id: i64,
    old: &[FaceDecision],
) -> Result<()> {
    if old.is_empty() {
        return Ok(());
    }
    let mut stmt =
        tx.prepare("SELECT id, x, y, w, h FROM faces WHERE photo_id = ?1 AND drawn = 0")?;
    let new: Vec<(i64, [f32; 4])> = stmt
        .query_map([photo_id], |r| {
            Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?]))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (id, bbox) in new {
        let best = old
            .iter()
            .map(|d| (iou(bbox, d.bbox), d))
            .filter(|(overlap, _)| *overlap > SAME_FACE_IOU)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((_, d)) = best {
            tx.execute(
                "UPDATE faces SET person_id = ?2, pinned = ?3, ignored = ?4 WHERE id = ?1",
                params![id, d.person, d.pinned, d.ignored],
            )?;
            for p in &d.not_persons {
                tx.execute(
                    "INSERT OR IGNORE INTO not_person (face_id, person_id) VALUES (?1, ?2)",
                    params![id, p],
                )?;
            }
            if let Some(drawn) = d.drawn {
                tx.execute("DELETE FROM faces WHERE id = ?1", [drawn])?;
            }
        }
    }
    Ok(())
}

/// Intersection over union of two x, y, w, h boxes.
fn iou(a: [f32; 4], b: [f32; 4]) -> f32 {
    let ix = (a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0]);
    let iy = (a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1]);
    if ix <= 0.0 || iy <= 0.0 {
        return 0.0;
    }
    let inter = ix * iy;
    inter / (a[2] * a[3] + b[2] * b[3] - inter)
}

pub(super) fn insert_faces(
    tx: &rusqlite::Transaction<'_>,
    photo_id: i64,
    faces: &[NewFace],
) -> Result<()> {
    let mut stmt = tx.prepare(
        "INSERT INTO faces
         (photo_id, x, y, w, h, score, landmarks, embedding, thumbnail, tagged_name)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for face in faces {
        let [x, y, w, h] = face.bbox;
        stmt.execute(params![
            photo_id,
            x,
            y,
            w,
            h,
            face.score,
            f32s_to_bytes(face.landmarks.as_flattened()),
            f32s_to_bytes(&face.embedding),
            face.thumbnail,
            face.tagged_name,
        ])?;
    }
    Ok(())
}

impl Catalog {
    /// All faces of photos that are currently readable and not copies of another, ordered by id.
    pub fn faces(&self) -> Result<Vec<FaceRow>> {
        self.query_faces("WHERE photos.status = 'ok' AND photos.copy_of IS NULL", [])
    }

    /// All faces of readable photos, copies included, ordered by id.
    pub fn faces_with_copies(&self) -> Result<Vec<FaceRow>> {
        self.query_faces("WHERE photos.status = 'ok'", [])
    }

    /// The faces of photos no longer found, ordered by id.
    pub fn faces_of_vanished(&self) -> Result<Vec<FaceRow>> {
        self.query_faces("WHERE photos.status = 'missing'", [])
    }

    /// The faces of one photo, by photo id.
    pub fn faces_of_photo(&self, photo_id: i64) -> Result<Vec<FaceRow>> {
        self.query_faces("WHERE faces.photo_id = ?1", [photo_id])
    }

    /// The faces of a person in readable photos that are not copies, in the order search lists
    /// their photos (by capture time, then path), so that stepping through the photos of the
    /// person from one face goes on to the faces beside it.
    pub fn faces_of_person(&self, person: i64) -> Result<Vec<FaceRow>> {
        let order = format!("{}, faces.id", super::listing_order("photos"));
        self.query_faces_in(
            "WHERE faces.person_id = ?1 AND faces.ignored = 0 AND photos.status = 'ok'
               AND photos.copy_of IS NULL",
            &order,
            [person],
        )
    }

    /// The faces with nobody: neither clustering nor the user put them with a person, mostly
    /// people seen once. Faces of readable photos that are not copies, not ignored; the largest
    /// first, since a clear face is the one worth naming.
    pub fn ungrouped_faces(&self) -> Result<Vec<FaceRow>> {
        let mut faces = self.query_faces(UNGROUPED, [])?;
        faces.sort_by(|a, b| {
            let area = |f: &FaceRow| f.bbox[2] * f.bbox[3];
            area(b).total_cmp(&area(a)).then(a.id.cmp(&b.id))
        });
        Ok(faces)
    }

    /// The photos of [`Catalog::ungrouped_faces`], each once, in the order of their largest
    /// such face.
    pub fn photos_of_ungrouped_faces(&self) -> Result<Vec<i64>> {
        let sql = format!(
            "SELECT faces.photo_id FROM faces JOIN photos ON photos.id = faces.photo_id
             {UNGROUPED} GROUP BY faces.photo_id ORDER BY MAX(faces.w * faces.h) DESC, faces.photo_id"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many faces [`Catalog::ungrouped_faces`] would give.
    pub fn count_ungrouped_faces(&self) -> Result<usize> {
        let sql = format!(
            "SELECT COUNT(*) FROM faces JOIN photos ON photos.id = faces.photo_id {UNGROUPED}"
        );
        let count: i64 = self.conn().query_row(&sql, [], |r| r.get(0))?;
        Ok(count as usize)
    }

    /// One face by id.
    pub fn face(&self, face_id: i64) -> Result<Option<FaceRow>> {
        Ok(self.query_faces("WHERE faces.id = ?1", [face_id])?.pop())
    }

    /// The faces of one photo, left to right, with their persons' names.
    pub fn photo_faces(&self, photo_id: i64) -> Result<Vec<PhotoFace>> {
        let mut stmt = self.conn().prepare(
            "SELECT faces.id, x, y, w, h, person_id, persons.name, pinned, ignored, drawn
             FROM faces LEFT JOIN persons ON persons.id = faces.person_id
             WHERE faces.photo_id = ?1 ORDER BY x, faces.id",
        )?;
        let rows = stmt.query_map([photo_id], |r| {
            Ok(PhotoFace {
                id: r.get(0)?,
                bbox: [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?],
                person: r.get(5)?,
                person_name: r.get(6)?,
                pinned: r.get(7)?,
                ignored: r.get(8)?,
                drawn: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Stores a face the user drew on photo `photo_id` (see [`crate::scan::drawn`]), with nobody
    /// yet; returns its id. Refused where the box mostly covers a face already there. Once it is
    /// placed, [`Catalog::record_drawing`] makes the drawing an action undo takes back.
    pub fn add_drawn_face(&mut self, photo_id: i64, face: &NewFace) -> Result<i64> {
        let tx = self.conn_mut().transaction()?;
        let others: Vec<(i64, [f32; 4])> = tx
            .prepare("SELECT id, x, y, w, h FROM faces WHERE photo_id = ?1")?
            .query_map([photo_id], |r| {
                Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?]))
            })?
            .collect::<rusqlite::Result<_>>()?;
        if let Some((id, _)) = others
            .iter()
            .find(|(_, other)| iou(*other, face.bbox) > SAME_FACE_IOU)
        {
            return Err(CatalogError::Invalid(format!("face {id} is already there")));
        }
        insert_faces(&tx, photo_id, std::slice::from_ref(face))?;
        let id = tx.last_insert_rowid();
        tx.execute("UPDATE faces SET drawn = 1 WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(id)
    }

    /// Records the drawing of face `face_id` as an action: undo takes the face away, redo brings
    /// it back as it is now (with the person it was placed with).
    pub fn record_drawing(&mut self, face_id: i64) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        let person: Option<i64> = tx
            .query_row(
                "SELECT person_id FROM faces WHERE id = ?1 AND drawn = 1",
                [face_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| CatalogError::NotFound(format!("drawn face {face_id}")))?;
        let persons: Vec<i64> = person.into_iter().collect();
        history::log(&tx, "Add a face", Snapshot::default(), &[face_id], &persons)?;
        tx.commit()?;
        Ok(())
    }

    /// Takes away a face the user drew, as an action undo takes back. A face the detector found
    /// is ignored instead (it would come back with the next analysis of its photo).
    pub fn remove_drawn_face(&mut self, face_id: i64) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        let row: Option<(bool, Option<i64>)> = tx
            .query_row(
                "SELECT drawn, person_id FROM faces WHERE id = ?1",
                [face_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match row {
            None => Err(CatalogError::NotFound(format!("face {face_id}"))),
            Some((false, _)) => Err(CatalogError::Invalid(format!(
                "face {face_id} was found by the scan, not drawn: ignore it instead"
            ))),
            Some((true, person)) => {
                // Its person too: the cover it may be, and the person itself, come back with it.
                let persons: Vec<i64> = person.into_iter().collect();
                let before = history::snapshot(&tx, &[face_id], &persons)?;
                tx.execute("DELETE FROM faces WHERE id = ?1", [face_id])?;
                history::log(&tx, "Remove a face", before, &[face_id], &persons)?;
                tx.commit()?;
                Ok(())
            }
        }
    }

    /// Every face of a readable photo (not a copy) that is not ignored, with its person: what
    /// [`Catalog::faces`] gives without the descriptors, so it stays cheap to read after every
    /// decision.
    pub fn face_assignments(&self) -> Result<Vec<FaceAssignment>> {
        let mut stmt = self.conn().prepare(
            "SELECT faces.id, photo_id, person_id FROM faces JOIN photos ON photos.id = photo_id
             WHERE photos.status = 'ok' AND photos.copy_of IS NULL AND faces.ignored = 0
             ORDER BY faces.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(FaceAssignment {
                face: r.get(0)?,
                photo: r.get(1)?,
                person: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The stored thumbnail (JPEG bytes) of a face.
    pub fn face_thumbnail(&self, face_id: i64) -> Result<Option<Vec<u8>>> {
        Ok(self.conn().query_row(
            "SELECT thumbnail FROM faces WHERE id = ?1",
            [face_id],
            |r| r.get(0),
        )?)
    }

    /// The faces `filter` selects, by id.
    fn query_faces<P: rusqlite::Params>(&self, filter: &str, params: P) -> Result<Vec<FaceRow>> {
        self.query_faces_in(filter, " ORDER BY faces.id", params)
    }

    /// The faces `filter` selects, in `order` (an ORDER BY clause).
    fn query_faces_in<P: rusqlite::Params>(
        &self,
        filter: &str,
        order: &str,
        params: P,
    ) -> Result<Vec<FaceRow>> {
        let sql = format!(
            "SELECT faces.id, photo_id, photos.path, x, y, w, h, score, landmarks, embedding,
                    person_id, pinned, ignored, drawn, left_alone
             FROM faces JOIN photos ON photos.id = faces.photo_id {filter}{order}"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let mut rows = stmt.query(params)?;
        let mut faces = Vec::new();
        while let Some(r) = rows.next()? {
            let landmarks: Vec<u8> = r.get(8)?;
            let embedding: Vec<u8> = r.get(9)?;
            faces.push(FaceRow {
                id: r.get(0)?,
                photo_id: r.get(1)?,
                photo_path: path_from_key(&r.get::<_, Vec<u8>>(2)?),
                bbox: [r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?],
                score: r.get(7)?,
                landmarks: bytes_to_array::<10>(&landmarks)
                    .map(|flat| std::array::from_fn(|i| [flat[2 * i], flat[2 * i + 1]]))?,
                embedding: bytes_to_array::<EMBEDDING_DIM>(&embedding)?,
                person: r.get(10)?,
                pinned: r.get(11)?,
                ignored: r.get(12)?,
                drawn: r.get(13)?,
                left_alone: r.get(14)?,
            });
        }
        Ok(faces)
    }
}

fn f32s_to_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn bytes_to_array<const N: usize>(bytes: &[u8]) -> Result<[f32; N]> {
    if bytes.len() != N * 4 {
        return Err(CatalogError::Malformed(format!(
            "expected {} bytes of f32, found {}",
            N * 4,
            bytes.len()
        )));
    }
    let mut out = [0f32; N];
    for (value, chunk) in out.iter_mut().zip(bytes.chunks_exact(4)) {
        *value = f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::PhotoRecord;

    #[test]
    fn iou_of_boxes() {
        assert_eq!(iou([0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.0]), 1.0);
        assert_eq!(iou([0.0, 0.0, 10.0, 10.0], [20.0, 0.0, 10.0, 10.0]), 0.0);
        // Overlap 5x10 = 50; union 100 + 100 - 50 = 150.
        assert!((iou([0.0, 0.0, 10.0, 10.0], [5.0, 0.0, 10.0, 10.0]) - 1.0 / 3.0).abs() < 1e-6);
    }

    fn face_at(x: f32, side: f32) -> NewFace {
        NewFace {
            bbox: [x, 10.0, side, side],
            score: 0.99,
            landmarks: [[0.0; 2]; 5],
            embedding: [0.0; EMBEDDING_DIM],
            thumbnail: Vec::new(),
            tagged_name: None,
        }
    }

    /// A catalog of one 400 x 300 photo at `/p/photo.jpg` with one face found, at the left.
    fn one_photo() -> (tempfile::TempDir, Catalog, PathBuf, i64) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("open");
        let path = PathBuf::from("/p/photo.jpg");
        let photo = catalog
            .record_photo(
                &PhotoRecord::synthetic(&path, 400, 300),
                &[face_at(0.0, 40.0)],
            )
            .expect("record");
        (dir, catalog, path, photo)
    }

    #[test]
    fn ungrouped_faces_are_those_with_nobody_largest_first() {
        let (_dir, mut catalog, _path, photo) = one_photo();
        let sides = [(60.0, 30.0), (120.0, 80.0), (220.0, 50.0), (300.0, 70.0)];
        let faces: Vec<NewFace> = sides.iter().map(|&(x, side)| face_at(x, side)).collect();
        let group = PathBuf::from("/p/group.jpg");
        let group = catalog
            .record_photo(&PhotoRecord::synthetic(&group, 400, 300), &faces)
            .expect("group");
        let id_of = |catalog: &Catalog, x: f32| {
            let faces = catalog.photo_faces(group).expect("faces");
            faces
                .iter()
                .find(|f| f.bbox[0] == x)
                .map(|f| f.id)
                .expect("face")
        };
        let portrait = catalog.photo_faces(photo).expect("faces")[0].id;
        let ids = |faces: Vec<FaceRow>| faces.iter().map(|f| f.id).collect::<Vec<_>>();

        // Largest first: 80, 70, 50, 40 (the portrait), 30.
        let all = [120.0, 300.0, 220.0].map(|x| id_of(&catalog, x));
        let expected = vec![all[0], all[1], all[2], portrait, id_of(&catalog, 60.0)];
        assert_eq!(ids(catalog.ungrouped_faces().expect("ungrouped")), expected);
        assert_eq!(catalog.count_ungrouped_faces().expect("count"), 5);
        assert_eq!(
            catalog.photos_of_ungrouped_faces().expect("photos"),
            vec![group, photo]
        );

        // Named, ignored, or in a photo gone or copied: no longer ungrouped.
        catalog.split_faces(&[all[0]], Some("Anna")).expect("name");
        catalog.ignore_face(all[1], true).expect("ignore");
        let smallest = id_of(&catalog, 60.0);
        assert_eq!(
            ids(catalog.ungrouped_faces().expect("ungrouped")),
            vec![all[2], portrait, smallest]
        );
        catalog.mark_missing(&[photo]).expect("missing");
        assert_eq!(
            ids(catalog.ungrouped_faces().expect("ungrouped")),
            vec![all[2], smallest]
        );
        catalog
            .mark_copies(&[crate::catalog::NewCopy {
                photo: group,
                original: photo,
                faces: Vec::new(),
            }])
            .expect("copy");
        assert!(catalog.ungrouped_faces().expect("ungrouped").is_empty());
        assert_eq!(catalog.count_ungrouped_faces().expect("count"), 0);
    }

    #[test]
    fn a_drawn_face_stays_through_analyses_until_the_detector_finds_it() {
        let (_dir, mut catalog, path, photo) = one_photo();
        let drawn = catalog
            .add_drawn_face(photo, &face_at(200.0, 50.0))
            .expect("drawn");
        let refused = catalog.add_drawn_face(photo, &face_at(205.0, 50.0));
        assert!(
            matches!(refused, Err(CatalogError::Invalid(_))),
            "{refused:?}"
        );
        let person = catalog.split_faces(&[drawn], Some("Anna")).expect("name");
        let drawn_ids = |catalog: &Catalog| -> Vec<i64> {
            let faces = catalog.photo_faces(photo).expect("faces");
            faces.iter().filter(|f| f.drawn).map(|f| f.id).collect()
        };

        // Analysed again at the same size, finding another face: the drawn one stays as it was.
        let same = PhotoRecord::synthetic(&path, 400, 300);
        catalog
            .record_photo(&same, &[face_at(0.0, 40.0), face_at(100.0, 40.0)])
            .expect("again");
        assert_eq!(drawn_ids(&catalog), vec![drawn]);
        assert_eq!(catalog.photo_faces(photo).expect("faces").len(), 3);
        let kept = catalog.face(drawn).expect("face").expect("kept");
        assert_eq!((kept.person, kept.pinned), (Some(person), true));

        // The detector finds the face now: it takes the drawn face's place and the user's word.
        catalog
            .record_photo(&same, &[face_at(0.0, 40.0), face_at(202.0, 48.0)])
            .expect("found");
        assert!(drawn_ids(&catalog).is_empty());
        let found = catalog.photo_faces(photo).expect("faces");
        let at_drawn = found
            .iter()
            .find(|f| f.bbox[0] == 202.0)
            .expect("found face");
        assert_eq!((at_drawn.person, at_drawn.pinned), (Some(person), true));

        // A photo cropped (another size) loses a drawn face: its box no longer fits.
        let drawn = catalog
            .add_drawn_face(photo, &face_at(300.0, 50.0))
            .expect("drawn again");
        assert!(
            catalog.remove_drawn_face(at_drawn.id).is_err(),
            "detected faces are ignored"
        );
        catalog
            .record_photo(&PhotoRecord::synthetic(&path, 380, 300), &[])
            .expect("cropped");
        assert!(catalog.face(drawn).expect("face").is_none());
    }

    #[test]
    fn drawing_and_removing_a_face_are_undone_and_redone() {
        let (_dir, mut catalog, path, photo) = one_photo();
        let exists = |catalog: &Catalog, id: i64| catalog.face(id).expect("face").is_some();

        let drawn = catalog
            .add_drawn_face(photo, &face_at(200.0, 50.0))
            .expect("drawn");
        catalog.record_drawing(drawn).expect("recorded");
        assert_eq!(catalog.undo().expect("undo").as_deref(), Some("Add a face"));
        assert!(!exists(&catalog, drawn));
        assert_eq!(catalog.redo().expect("redo").as_deref(), Some("Add a face"));
        let back = catalog.face(drawn).expect("face").expect("drawn again");
        assert_eq!(back.bbox, [200.0, 10.0, 50.0, 50.0]);
        assert!(catalog
            .photo_faces(photo)
            .expect("faces")
            .iter()
            .any(|f| f.drawn));

        // Named, taken for someone else, the person's cover, then removed: undo brings it all back.
        let anna = catalog.split_faces(&[drawn], Some("Anna")).expect("name");
        let ben = catalog.split_faces(&[], Some("Ben")).expect("ben");
        catalog.reject_person(drawn, ben).expect("not Ben");
        catalog.remove_drawn_face(drawn).expect("remove");
        assert!(!exists(&catalog, drawn));
        assert_eq!(
            catalog.undo().expect("undo").as_deref(),
            Some("Remove a face")
        );
        let back = catalog.face(drawn).expect("face").expect("back");
        assert_eq!((back.person, back.pinned), (Some(anna), true));
        assert!(catalog
            .not_person_facts()
            .expect("facts")
            .contains(&(drawn, ben)));
        assert_eq!(catalog.cover_face(anna).expect("cover"), Some(drawn));

        // Undone back to before it was drawn, its id goes to a face the scan finds: redoing the
        // drawing leaves that face alone.
        while catalog.undo().expect("undo").is_some() {}
        assert!(!exists(&catalog, drawn));
        let other = catalog
            .add_drawn_face(photo, &face_at(300.0, 50.0))
            .expect("another");
        catalog.record_drawing(other).expect("recorded");
        assert_eq!(other, drawn, "SQLite gives the freed id again");
        catalog.undo().expect("undo the other");
        let detected = PhotoRecord::synthetic(&path, 400, 300);
        catalog
            .record_photo(&detected, &[face_at(0.0, 40.0), face_at(300.0, 40.0)])
            .expect("analysed again");
        let reused: Vec<i64> = catalog
            .photo_faces(photo)
            .expect("faces")
            .iter()
            .map(|f| f.id)
            .collect();
        assert!(reused.contains(&drawn), "{reused:?}");
        catalog.redo().expect("redo");
        let after: Vec<PhotoFace> = catalog.photo_faces(photo).expect("faces");
        assert_eq!(after.iter().map(|f| f.id).collect::<Vec<_>>(), reused);
        assert!(
            after.iter().all(|f| !f.drawn && f.person.is_none()),
            "{after:?}"
        );
    }

    #[test]
    fn floats_survive_the_round_trip() {
        let values: [f32; 10] = std::array::from_fn(|i| i as f32 * -1.25 + 0.1);
        let back = bytes_to_array::<10>(&f32s_to_bytes(&values)).expect("right length");
        assert_eq!(back, values);
        assert!(bytes_to_array::<10>(&[0u8; 12]).is_err());
    }
}
