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

use std::time::{Duration, Instant};

use super::decode::{self, DecodeError, DecodedPhoto};
use crate::vision::{FaceAnalyzer, LocatedFace, VisionError};

/// Faces narrower than this many pixels (detector box) in the decoded photo call for a sharper
/// decode. Measured on faces of `faces/` shrunk into 12-megapixel frames and decoded at 1000 px:
/// at 32 px wide their descriptors were 0.27 from the originals' (0.16 from a full decode), and
/// different people came within τ of each other; at 42 px the loss was small.
pub const SHARP_FACE_WIDTH: f32 = 48.0;

/// Faces narrower than this in the decoded photo are near the least the detector finds at its
/// size: a crowd may hold smaller ones, so the sharper decode is searched at twice the size.
pub const CROWD_FACE_WIDTH: f32 = 24.0;

/// The crowd look searches at most this many pixels on the long side (four times the work of
/// the default 1024); a detector already this large gets no crowd look.
pub const CROWD_LOOK_MAX: u32 = 2048;

/// Intersection over union of two `[x, y, width, height]` boxes.
fn overlap(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let w = (a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0]);
    let h = (a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1]);
    if w <= 0.0 || h <= 0.0 {
        return 0.0;
    }
    let inter = w * h;
    inter / (a[2] * a[3] + b[2] * b[3] - inter)
}

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
/// a sharper decode where they are small (see the module comment).
pub fn locate_faces(
    analyzer: &FaceAnalyzer,
    bytes: &[u8],
    decode_long_side: u32,
) -> Result<PhotoFaces, LocateError> {
    let t = Instant::now();
    let photo = decode::decode(bytes, Some(decode_long_side))?;
    let mut decoding = t.elapsed();
    let t = Instant::now();
    let faces = analyzer.locate(&photo.pixels)?;
    let mut locating = t.elapsed();

    let smallest = faces
        .iter()
        .map(|f| f.bbox[2])
        .fold(f32::INFINITY, f32::min);
    let long_side = photo.pixels.width().max(photo.pixels.height());
    if smallest >= SHARP_FACE_WIDTH || photo.scale() <= 1.0 {
        return Ok(PhotoFaces {
            photo,
            faces,
            decoding,
            locating,
        });
    }
    let t = Instant::now();
    let wanted = (long_side as f32 * SHARP_FACE_WIDTH / smallest).ceil() as u32;
    let sharper = match decode::decode(bytes, Some(wanted)) {
        Ok(sharper) if sharper.pixels.width() > photo.pixels.width() => sharper,
        // Already the largest scale, or a decode that failed the second time: keep the first.
        _ => {
            return Ok(PhotoFaces {
                photo,
                faces,
                decoding: decoding + t.elapsed(),
                locating,
            })
        }
    };
    decoding += t.elapsed();
    let t = Instant::now();
    let k = sharper.pixels.width() as f32 / photo.pixels.width() as f32;
    let mut faces: Vec<LocatedFace> = faces
        .into_iter()
        .map(|f| analyzer.align_again(f.scaled(k), &sharper.pixels))
        .collect();
    let crowd_look = (2 * analyzer.detect_long_side()).min(CROWD_LOOK_MAX);
    if smallest < CROWD_FACE_WIDTH && crowd_look > analyzer.detect_long_side() {
        // The looks so far see larger faces well, and the wider look sees patterns in large
        // textures as large faces: it only adds faces small at the coarse scale.
        let fine: Vec<LocatedFace> = analyzer
            .look(&sharper.pixels, crowd_look)?
            .into_iter()
            .filter(|f| f.bbox[2] / k < SHARP_FACE_WIDTH)
            .collect();
        tracing::debug!(
            coarse = faces.len(),
            fine = fine.len(),
            "crowd looked at twice the size"
        );
        faces.retain(|c| fine.iter().all(|f| overlap(&c.bbox, &f.bbox) <= 0.4));
        faces.extend(fine);
    }
    locating += t.elapsed();
    tracing::debug!(
        smallest,
        from = long_side,
        to = sharper.pixels.width().max(sharper.pixels.height()),
        "small faces aligned on a sharper decode"
    );
    Ok(PhotoFaces {
        photo: sharper,
        faces,
        decoding,
        locating,
    })
}
