//! From pixels to faces: detect on a downscaled copy, align each face on the sharper original,
//! embed the aligned chips in batches.
//!
//! Detection looks twice only where it pays: a first look at [`FIRST_LOOK_LONG_SIDE`] finds
//! the faces of portraits and everyday photos at under half the cost; a photo whose first look
//! finds no face, or a face small enough that a crowd may hide smaller ones, is searched again
//! at the full detection size.

use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use image::RgbImage;

use super::align::align_face;
use super::detector::{Detection, DetectorConfig, RetinaFace};
use super::embedder::{EmbedderConfig, FaceEmbedder};
use super::{Embedding, VisionError};
use crate::models::{ModelDir, DETECTOR, EMBEDDER};

/// The detector sees photos at most this many pixels on the long side: enough for faces down to
/// ~20 px in a 12-megapixel photo, and ten times cheaper than full size.
pub const DEFAULT_DETECT_LONG_SIDE: u32 = 1024;

/// Long side of the first, cheaper look at a photo (0.39 of the pixels of 1024).
pub const FIRST_LOOK_LONG_SIDE: u32 = 640;

/// A face narrower than this at the first look's scale (twice the detector's smallest prior)
/// is near the limit of what that scale can see: the photo gets a second look at full size.
const SMALL_AT_FIRST_LOOK: f32 = 32.0;

/// A face found in a photo, in the coordinates of the pixels it was found in.
#[derive(Debug, Clone)]
pub struct LocatedFace {
    /// x, y, width, height.
    pub bbox: [f32; 4],
    pub score: f32,
    pub landmarks: [[f32; 2]; 5],
    /// The aligned chip the embedder takes.
    pub chip: RgbImage,
}

impl LocatedFace {
    /// The same face with its geometry multiplied by `k` (e.g. to original-photo pixels).
    pub fn scaled(mut self, k: f32) -> Self {
        self.bbox = self.bbox.map(|v| v * k);
        self.landmarks = self.landmarks.map(|[x, y]| [x * k, y * k]);
        self
    }
}

/// The SHA-256 of each network's weights, as recorded in its model card.
#[derive(Debug, Clone)]
pub struct ModelHashes {
    pub detector: String,
    pub embedder: String,
}

pub struct FaceAnalyzer {
    detector: RetinaFace,
    embedder: FaceEmbedder,
    detect_long_side: u32,
    hashes: ModelHashes,
}

impl FaceAnalyzer {
    /// Loads and verifies both networks from `models` onto `device`.
    pub fn load(models: &ModelDir, device: &Device) -> Result<Self, VisionError> {
        let (detector_card, detector_path) = models.verified(DETECTOR)?;
        let (embedder_card, embedder_path) = models.verified(EMBEDDER)?;
        let detector_config: DetectorConfig = serde_json::from_value(detector_card.config.clone())
            .map_err(|e| VisionError::Config(DETECTOR, e))?;
        let embedder_config: EmbedderConfig = serde_json::from_value(embedder_card.config.clone())
            .map_err(|e| VisionError::Config(EMBEDDER, e))?;
        // SAFETY: the weight files are memory-mapped read-only; Kith never writes to them while
        // they are mapped.
        let detector_vb =
            unsafe { VarBuilder::from_mmaped_safetensors(&[detector_path], DType::F32, device)? };
        let embedder_vb =
            unsafe { VarBuilder::from_mmaped_safetensors(&[embedder_path], DType::F32, device)? };
        Ok(Self {
            detector: RetinaFace::load(detector_vb, detector_config)?,
            embedder: FaceEmbedder::load(embedder_vb, embedder_config)?,
            detect_long_side: DEFAULT_DETECT_LONG_SIDE,
            hashes: ModelHashes {
                detector: detector_card.sha256,
                embedder: embedder_card.sha256,
            },
        })
    }

    pub fn with_detect_long_side(mut self, long_side: u32) -> Self {
        self.detect_long_side = long_side.max(64);
        self
    }

    pub fn device(&self) -> &Device {
        self.embedder.device()
    }

    pub fn hashes(&self) -> &ModelHashes {
        &self.hashes
    }

    /// The distance below which two descriptors are taken to be the same person.
    pub fn threshold(&self) -> f32 {
        self.embedder.threshold()
    }

    /// Finds and aligns the faces in `pixels`; geometry is in `pixels` coordinates.
    pub fn locate(&self, pixels: &RgbImage) -> Result<Vec<LocatedFace>, VisionError> {
        let first_look = FIRST_LOOK_LONG_SIDE.min(self.detect_long_side);
        let (mut detections, k) = self.detect_within(pixels, first_look)?;
        let needs_second_look = detections.is_empty()
            || detections
                .iter()
                .any(|d| (d.bbox[2] - d.bbox[0]) / k < SMALL_AT_FIRST_LOOK);
        if needs_second_look && pixels.width().max(pixels.height()) > first_look {
            let first_look_faces = detections.len();
            (detections, _) = self.detect_within(pixels, self.detect_long_side)?;
            tracing::debug!(
                first_look_faces,
                faces = detections.len(),
                "second look at full detection size"
            );
        }
        let chip_size = self.embedder.chip_size();
        Ok(detections
            .into_iter()
            .filter_map(|d| {
                let [x1, y1, x2, y2] = d.bbox;
                let chip = align_face(pixels, &d.landmarks, chip_size)?;
                Some(LocatedFace {
                    bbox: [x1, y1, x2 - x1, y2 - y1],
                    score: d.score,
                    landmarks: d.landmarks,
                    chip,
                })
            })
            .collect())
    }

    /// Detections in `pixels` coordinates, searched on a copy at most `long_side` pixels long,
    /// with the factor from that copy's pixels to `pixels`.
    fn detect_within(
        &self,
        pixels: &RgbImage,
        long_side: u32,
    ) -> Result<(Vec<Detection>, f32), VisionError> {
        let input = crate::scan::decode::view_within(pixels, long_side);
        let k = pixels.width() as f32 / input.width() as f32;
        let detections = self
            .detector
            .detect(&input)?
            .into_iter()
            .map(|d| Detection {
                bbox: d.bbox.map(|v| v * k),
                landmarks: d.landmarks.map(|[x, y]| [x * k, y * k]),
                ..d
            })
            .collect();
        Ok((detections, k))
    }

    /// One descriptor per aligned chip.
    pub fn embed(&self, chips: &[RgbImage]) -> Result<Vec<Embedding>, VisionError> {
        Ok(self.embedder.embed(chips)?)
    }
}
