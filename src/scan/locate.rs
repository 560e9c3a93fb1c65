//! From a photo's bytes to its located faces, each aligned on pixels sharp enough for its size.
//!
//! A large JPEG is decoded at reduced scale for detection (see
//! [`super::ScanOptions::decode_long_side`]). A face found there narrower than
//! [`SHARP_FACE_WIDTH`] would be enlarged more than threefold into the embedder's chip, losing
//! detail the file holds: a distant face then lands nearer to other people's. Such a photo is
//! decoded once more, at the DCT scale that gives its smallest face that width (up to full
//! size), and every face is aligned again on those pixels. Only photos with small faces pay for
//! the second decode.

use std::time::{Duration, Instant};

use super::decode::{self, DecodeError, DecodedPhoto};
use crate::vision::{FaceAnalyzer, LocatedFace, VisionError};

/// Faces narrower than this many pixels (detector box) in the decoded photo call for a sharper
/// decode. Measured on faces of `faces/` shrunk into 12-megapixel frames and decoded at 1000 px:
/// at 32 px wide their descriptors were 0.27 from the originals' (0.16 from a full decode), and
/// different people came within τ of each other; at 42 px the loss was small.
pub const SHARP_FACE_WIDTH: f32 = 48.0;

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
    let faces = faces
        .into_iter()
        .map(|f| analyzer.align_again(f.scaled(k), &sharper.pixels))
        .collect();
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
