//! Faces the user draws: a box around a face the scan missed (turned away, half hidden, far
//! off), made into a face like the others, with a descriptor, a thumbnail and a place among the
//! people. The photo is read again at a scale where the box is sharp, and the box is looked at
//! closely (see [`FaceAnalyzer::face_in`]).
//!
//! A drawn face is the user's word: a later scan of the photo keeps it (see
//! [`Catalog::record_photo`]), and only the user takes it away again.
//!
//! Scans make faces the same way of the named regions other apps drew where the detector found
//! no face (see [`crate::scan::face_tags`]).

use std::path::PathBuf;

use super::decode::{self, DecodeError, DecodedPhoto};
use super::face_thumbnail;
use crate::catalog::{Catalog, CatalogError, NewFace};
use crate::vision::{Embedding, FaceAnalyzer, LocatedFace, VisionError};

/// The least width and height of a drawn box, in the photo's pixels: a smaller face holds too
/// little of the person for a descriptor to mean anything.
pub const MIN_DRAWN_SIDE: f32 = 20.0;

/// The photo is decoded where the box is at least this many pixels on its long side (or at full
/// size): enough for the embedder's 150 px chip.
const SHARP_BOX_SIDE: f32 = 160.0;

/// A face made from a drawn box.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DrawnFace {
    pub face: i64,
    /// x, y, width, height in the photo's upright pixels: the detector's box where it found the
    /// face up close, else the box as drawn (within the photo).
    pub bbox: [f32; 4],
    /// The detector's score for the face up close; `None` where it found none, and the face was
    /// aligned by the box alone, so its descriptor is less sure.
    pub score: Option<f32>,
}

#[derive(Debug, thiserror::Error)]
pub enum DrawError {
    #[error("there is no photo {0} in the catalog")]
    NoPhoto(i64),
    #[error("{0} could not be read when it was scanned, so it has no faces")]
    NotReadable(PathBuf),
    #[error("this picture is a copy of {0}, where its faces are counted: draw the face there")]
    Copy(PathBuf),
    #[error(
        "the box is {0:.0} x {1:.0} pixels within the photo; a face needs at least \
         {MIN_DRAWN_SIDE} x {MIN_DRAWN_SIDE}"
    )]
    TooSmall(f32, f32),
    #[error("{0} changed since it was scanned: scan it again, then draw the face")]
    Changed(PathBuf),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Vision(#[from] VisionError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// Adds the face inside `bbox` (x, y, width, height in the photo's upright pixels, cut to the
/// photo) to photo `photo_id`, with nobody yet: placing it among the people is
/// [`crate::people::assign::update`]'s, or the user's. The photo file is only read.
pub fn draw_face(
    catalog: &mut Catalog,
    analyzer: &FaceAnalyzer,
    photo_id: i64,
    bbox: [f32; 4],
) -> Result<DrawnFace, DrawError> {
    let photo = catalog
        .photo(photo_id)?
        .ok_or(DrawError::NoPhoto(photo_id))?;
    let (Some(width), Some(height), "ok") = (photo.width, photo.height, photo.status) else {
        return Err(DrawError::NotReadable(photo.path));
    };
    if let Some(original) = catalog.picture(photo_id)?.and_then(|p| p.copy_of) {
        let original = catalog.photo(original)?.map(|p| p.path);
        return Err(DrawError::Copy(original.unwrap_or(photo.path)));
    }
    let area = within([width as f32, height as f32], bbox);
    if area[2] < MIN_DRAWN_SIDE || area[3] < MIN_DRAWN_SIDE {
        return Err(DrawError::TooSmall(area[2], area[3]));
    }
    let bytes = std::fs::read(&photo.path).map_err(|source| DrawError::Read {
        path: photo.path.clone(),
        source,
    })?;
    let decoded = decode_for(&bytes, (width, height), area)?;
    if decoded.full_size != (width, height) {
        return Err(DrawError::Changed(photo.path));
    }
    let made = face_from(analyzer, &decoded, area)?.ok_or(DrawError::TooSmall(area[2], area[3]))?;
    let score = made.face.score;
    let face = NewFace {
        bbox: made.face.bbox,
        score,
        landmarks: made.face.landmarks,
        embedding: made.embedding,
        thumbnail: made.thumbnail,
        tagged_name: None,
    };
    let id = catalog.add_drawn_face(photo_id, &face)?;
    tracing::info!(face = id, photo = photo_id, score, "face drawn");
    Ok(DrawnFace {
        face: id,
        bbox: face.bbox,
        score: (score > 0.0).then_some(score),
    })
}

/// A face made from a box, ready to store.
pub(crate) struct BoxedFace {
    /// Geometry in the photo's upright pixels.
    pub face: LocatedFace,
    pub thumbnail: Vec<u8>,
    pub embedding: Embedding,
}

/// Whether `area` (the photo's upright pixels) is sharp enough in `decoded` to be made a face.
pub(crate) fn sharp_enough(decoded: &DecodedPhoto, area: [f32; 4]) -> bool {
    decoded.scale() <= 1.0 || area[2].max(area[3]) / decoded.scale() >= SHARP_BOX_SIDE
}

/// The photo whose bytes are `bytes` and whose upright size is `full_size`, decoded where
/// `area` (its upright pixels) is sharp enough to be made a face (or at full size).
pub(crate) fn decode_for(
    bytes: &[u8],
    full_size: (u32, u32),
    area: [f32; 4],
) -> Result<DecodedPhoto, DecodeError> {
    let long_side = full_size.0.max(full_size.1) as f32;
    let wanted = (long_side * SHARP_BOX_SIDE / area[2].max(area[3]).max(1.0)).min(long_side);
    decode::decode(bytes, Some(wanted.ceil() as u32))
}

/// The face in `area` (the photo's upright pixels) of `decoded`, looked at closely (see
/// [`FaceAnalyzer::face_in`]), with its thumbnail and descriptor; `None` for an area under a
/// pixel of `decoded`.
pub(crate) fn face_from(
    analyzer: &FaceAnalyzer,
    decoded: &DecodedPhoto,
    area: [f32; 4],
) -> Result<Option<BoxedFace>, VisionError> {
    let k = decoded.scale();
    let Some(located) = analyzer.face_in(&decoded.pixels, area.map(|v| v / k))? else {
        return Ok(None);
    };
    let thumbnail = face_thumbnail(&decoded.pixels, located.bbox);
    let embedding = analyzer
        .embed(std::slice::from_ref(&located.chip))?
        .pop()
        .ok_or_else(|| {
            VisionError::Candle(candle_core::Error::Msg(
                "the embedder gave no descriptor".into(),
            ))
        })?;
    Ok(Some(BoxedFace {
        face: located.scaled(k),
        thumbnail,
        embedding,
    }))
}

/// `bbox` (x, y, w, h) cut to a photo of `size`, with a box drawn from right to left or bottom
/// to top turned the right way.
pub(crate) fn within([width, height]: [f32; 2], [x, y, w, h]: [f32; 4]) -> [f32; 4] {
    let (x1, x2) = (x.min(x + w).max(0.0), x.max(x + w).min(width));
    let (y1, y2) = (y.min(y + h).max(0.0), y.max(y + h).min(height));
    [x1, y1, (x2 - x1).max(0.0), (y2 - y1).max(0.0)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_is_cut_to_the_photo_and_turned_the_right_way() {
        assert_eq!(
            within([100.0, 80.0], [-10.0, 20.0, 50.0, 100.0]),
            [0.0, 20.0, 40.0, 60.0]
        );
        assert_eq!(
            within([100.0, 80.0], [60.0, 50.0, -20.0, -30.0]),
            [40.0, 20.0, 20.0, 30.0]
        );
        assert_eq!(
            within([100.0, 80.0], [120.0, 10.0, 10.0, 10.0]),
            [120.0, 10.0, 0.0, 10.0]
        );
    }
}
