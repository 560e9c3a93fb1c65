//! From a photo's bytes to its located faces, each aligned on pixels sharp enough for its size.
//!
//! A large JPEG is decoded at reduced scale for detection (see
//! [`super::ScanOptions::decode_long_side`]). A face found there narrower than
//! [`SHARP_FACE_WIDTH`] would be enlarged more than threefold into the embedder's chip, losing
//! detail the file holds: a distant face then lands nearer to other people's. Such a photo is
//! decoded once more, at the DCT scale that gives its smallest face that width (up to full
//! size), and every face is aligned again on those pixels. Only photos with small faces pay for
//! the second decode.
//!
//! A face under [`CROWD_FACE_WIDTH`] is near the least the detector finds at its size, and in
//! a crowd the faces further back are smaller still: the sharper pixels are then also searched at
//! twice the detector's size (up to [`CROWD_LOOK_MAX`]), for faces the coarse looks missed (Solvay 1927 shrunk to 60 px
//! faces in a 12-megapixel frame: 2 of its 29 faces before, 29 after). Photos without a face
//! found do not get this look, which would make every landscape four times slower.
//!
//! These decisions count the detector's candidates too, detections too weak to be kept as faces
//! (see [`crate::vision::analyzer::CANDIDATE_SCORE`]): a person far off often shows first as one.
//! A weak candidate under [`CROWD_LOOK_ADDS_UNDER`] gets the crowd look as well, which finds it
//! again, sharper and sure, when it is a face (lone faces 100 px wide in 12 MP frames: 17 of 21
//! found before, 21 after).

use std::time::{Duration, Instant};

use super::decode::{self, DecodeError, DecodedPhoto};
use crate::vision::detector::iou;
use crate::vision::{FaceAnalyzer, LocatedFace, VisionError};

/// Faces narrower than this many pixels (detector box) in the decoded photo call for a sharper
/// decode. Measured on faces of `faces/` shrunk into 12-megapixel frames and decoded at 1000 px:
/// at 32 px wide their descriptors were 0.27 from the originals' (0.16 from a full decode), and
/// different people came within τ of each other; at 42 px the loss was small.
pub const SHARP_FACE_WIDTH: f32 = 48.0;

/// Faces narrower than this as the detector saw them are near the least it finds: a crowd may
/// hold smaller ones, so the sharper decode is searched at twice the size.
pub const CROWD_FACE_WIDTH: f32 = 24.0;

/// The crowd look adds faces narrower than this as the detector first saw them: the first looks
/// find larger ones well, and at twice the size some large textures pass for large faces.
pub const CROWD_LOOK_ADDS_UNDER: f32 = 48.0;

/// The crowd look searches at most this many pixels on the long side (four times the work of
/// the default 1024); a detector already this large gets no crowd look.
pub const CROWD_LOOK_MAX: u32 = 2048;

/// A photo's faces, and the pixels they were aligned on.
pub struct PhotoFaces {
    /// The sharpest decode used; the faces' geometry is in its pixels.
    pub photo: DecodedPhoto,
    pub faces: Vec<LocatedFace>,
    /// Time spent decoding (both decodes, where there were two).
    pub decoding: Duration,
    /// Time spent detecting and aligning.
    pub locating: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Vision(#[from] VisionError),
}

/// Decodes `bytes` down to `decode_long_side` (JPEG), finds the faces, and aligns them again on
/// a sharper decode where they are small, searching it for a crowd's smaller faces (see the
/// module comment).
pub fn locate_faces(
    analyzer: &FaceAnalyzer,
    bytes: &[u8],
    decode_long_side: u32,
) -> Result<PhotoFaces, LocateError> {
    let t = Instant::now();
    let coarse = decode::decode(bytes, Some(decode_long_side))?;
    let mut decoding = t.elapsed();
    let t = Instant::now();
    // Detections too weak to be faces still say that a closer look may find some.
    let faces = analyzer.candidates(&coarse.pixels)?;
    let mut locating = t.elapsed();
    let smallest = narrowest(faces.iter());
    let smallest_weak = narrowest(faces.iter().filter(|f| !analyzer.is_face(f)));
    // The detector saw the photo at most this large: a PNG is decoded whole, then shrunk for it.
    let coarse_long_side = coarse.pixels.width().max(coarse.pixels.height());
    let detector_scale = (analyzer.detect_long_side() as f32 / coarse_long_side as f32).min(1.0);
    // A crowd's back rows, or a person far off who showed only as a weak detection.
    let crowd = smallest * detector_scale < CROWD_FACE_WIDTH
        || smallest_weak * detector_scale < CROWD_LOOK_ADDS_UNDER;
    if smallest >= SHARP_FACE_WIDTH && !crowd {
        return Ok(PhotoFaces {
            photo: coarse,
            faces: faces.into_iter().filter(|f| analyzer.is_face(f)).collect(),
            decoding,
            locating,
        });
    }

    let t = Instant::now();
    let coarse_width = coarse.pixels.width();
    let photo = sharper(bytes, &coarse, smallest).unwrap_or(coarse);
    decoding += t.elapsed();
    let t = Instant::now();
    // From the coarse decode's pixels to these.
    let k = photo.pixels.width() as f32 / coarse_width as f32;
    let mut faces: Vec<LocatedFace> = faces.into_iter().map(|f| f.scaled(k)).collect();
    let mut fine = Vec::new();
    let crowd_look = (2 * analyzer.detect_long_side()).min(CROWD_LOOK_MAX);
    let long_side = photo.pixels.width().max(photo.pixels.height());
    if crowd && crowd_look > analyzer.detect_long_side() && long_side > analyzer.detect_long_side()
    {
        fine = analyzer
            .look(&photo.pixels, crowd_look)?
            .into_iter()
            .filter(|f| f.bbox[2] / k * detector_scale < CROWD_LOOK_ADDS_UNDER)
            .collect();
        tracing::debug!(
            coarse = faces.len(),
            fine = fine.len(),
            "crowd looked at twice the size"
        );
        // A coarse face the crowd look found again is the same face, as NMS would judge it.
        let same_face = analyzer.detector().config().nms_threshold;
        let corners = |[x, y, w, h]: [f32; 4]| [x, y, x + w, y + h];
        faces.retain(|c| {
            fine.iter()
                .all(|f| iou(&corners(c.bbox), &corners(f.bbox)) <= same_face)
        });
    }
    // The coarse faces kept are cut again from these pixels; the crowd look's already were.
    faces.retain(|f| analyzer.is_face(f));
    if k > 1.0 {
        faces = faces
            .into_iter()
            .map(|f| analyzer.align_again(f, &photo.pixels))
            .collect();
    }
    faces.extend(fine);
    locating += t.elapsed();
    Ok(PhotoFaces {
        photo,
        faces,
        decoding,
        locating,
    })
}

/// The width of the narrowest of `faces`; infinite when there are none.
fn narrowest<'a>(faces: impl Iterator<Item = &'a LocatedFace>) -> f32 {
    faces.map(|f| f.bbox[2]).fold(f32::INFINITY, f32::min)
}

/// The photo decoded again so that a face `smallest` px wide in `coarse` becomes
/// [`SHARP_FACE_WIDTH`] wide (or as near as the file allows); `None` when `coarse` is already
/// the file's full size, or the second decode fails.
fn sharper(bytes: &[u8], coarse: &DecodedPhoto, smallest: f32) -> Option<DecodedPhoto> {
    if coarse.scale() <= 1.0 {
        return None;
    }
    let long_side = coarse.pixels.width().max(coarse.pixels.height());
    let wanted = (long_side as f32 * SHARP_FACE_WIDTH / smallest).ceil() as u32;
    let sharper = decode::decode(bytes, Some(wanted)).ok()?;
    tracing::debug!(
        smallest,
        from = long_side,
        to = sharper.pixels.width().max(sharper.pixels.height()),
        "small faces aligned on a sharper decode"
    );
    (sharper.pixels.width() > coarse.pixels.width()).then_some(sharper)
}
