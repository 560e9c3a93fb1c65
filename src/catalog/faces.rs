//! Faces in the catalog: where each is in its photo, how sure the detector was, and its embedding.

use std::path::PathBuf;

use rusqlite::params;

use super::paths::path_from_key;
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
}

pub(super) fn insert_faces(
    tx: &rusqlite::Transaction<'_>,
    photo_id: i64,
    faces: &[NewFace],
) -> Result<()> {
    let mut stmt = tx.prepare(
        "INSERT INTO faces (photo_id, x, y, w, h, score, landmarks, embedding, thumbnail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
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
        ])?;
    }
    Ok(())
}

impl Catalog {
    /// All faces of photos that are currently readable, ordered by id.
    pub fn faces(&self) -> Result<Vec<FaceRow>> {
        self.query_faces("WHERE photos.status = 'ok'", [])
    }

    /// The faces of one photo, by photo id.
    pub fn faces_of_photo(&self, photo_id: i64) -> Result<Vec<FaceRow>> {
        self.query_faces("WHERE faces.photo_id = ?1", [photo_id])
    }

    /// The stored thumbnail (JPEG bytes) of a face.
    pub fn face_thumbnail(&self, face_id: i64) -> Result<Option<Vec<u8>>> {
        Ok(self.conn().query_row(
            "SELECT thumbnail FROM faces WHERE id = ?1",
            [face_id],
            |r| r.get(0),
        )?)
    }

    fn query_faces<P: rusqlite::Params>(&self, filter: &str, params: P) -> Result<Vec<FaceRow>> {
        let sql = format!(
            "SELECT faces.id, photo_id, photos.path, x, y, w, h, score, landmarks, embedding
             FROM faces JOIN photos ON photos.id = faces.photo_id {filter} ORDER BY faces.id"
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

    #[test]
    fn floats_survive_the_round_trip() {
        let values: [f32; 10] = std::array::from_fn(|i| i as f32 * -1.25 + 0.1);
        let back = bytes_to_array::<10>(&f32s_to_bytes(&values)).expect("right length");
        assert_eq!(back, values);
        assert!(bytes_to_array::<10>(&[0u8; 12]).is_err());
    }
}
