//! From pixels to faces: detect on a downscaled copy, align each face on the sharper original,
//! embed the aligned chips in batches.
//!
//! On a GPU, what many threads ask of the networks at about the same time runs in batches (see
//! [`super::batching`]): first looks of one size in one detector pass, the chips of several
//! photos in one embedder pass.
//!
//! Detection looks twice only where it pays: a first look at [`FIRST_LOOK_LONG_SIDE`] finds
//! the faces of portraits and everyday photos at under half the cost; a photo whose first look
//! finds no face, or a face small enough that a crowd may hide smaller ones, is searched again
//! at the full detection size.
//!
//! A detection counts as a face above the model card's confidence threshold, but every detection
//! above [`CANDIDATE_SCORE`] decides where to look again: a small face far off often scores
//! 0.5-0.9 at a coarse scale and well above 0.9 once looked at closer.

use candle_core::Device;
use candle_nn::VarBuilder;
use image::RgbImage;

use super::align::align_face;
use super::batching::{BatchCount, Batcher};
use super::detector::{Detection, DetectorConfig, RetinaFace};
use super::embedder::{EmbedderConfig, FaceEmbedder};
use super::{Embedding, Precision, VisionError};
use crate::models::{ModelDir, DETECTOR, EMBEDDER};

/// The detector sees photos at most this many pixels on the long side: enough for faces down to
/// ~20 px in a 12-megapixel photo, and ten times cheaper than full size.
pub const DEFAULT_DETECT_LONG_SIDE: u32 = 1024;

/// Long side of the first, cheaper look at a photo (0.39 of the pixels of 1024).
pub const FIRST_LOOK_LONG_SIDE: u32 = 640;

/// A face narrower than this at the first look's scale (twice the detector's smallest prior)
/// is near the limit of what that scale can see: the photo gets a second look at full size.
const SMALL_AT_FIRST_LOOK: f32 = 32.0;

/// Detections scoring above this but not above the face threshold are not faces, but say where a
/// closer look may find one. Chosen on photos of people shrunk into 12 MP frames: at 0.5, lone
/// faces 60 and 80 px wide were found 11 and 18 times in 45 instead of 2 and 11, while 58 photos
/// without people gained no false face and took about 9% longer (0.3: 19%).
pub const CANDIDATE_SCORE: f32 = 0.5;

/// The long side a box is brought to for a close look at it ([`FaceAnalyzer::face_in`]): a face
/// filling it matches the detector's 64 and 128 px priors.
const CLOSE_LOOK_SIDE: f32 = 112.0;

/// In a close look, detections above this score say where the face's eyes and mouth are: the
/// look is where someone saw a face, so a weak detection is still its best account.
const CLOSE_LOOK_SCORE: f32 = 0.2;

/// Where the five landmarks sit in a detector's box, as fractions of its width and height: the
/// medians over the 121 faces at least 40 px wide in the shared test photos (each spread by
/// 0.05-0.14). A face the detector cannot find is aligned as if they were there.
const AVERAGE_LANDMARKS: [[f32; 2]; 5] = [
    [0.263, 0.372],
    [0.718, 0.366],
    [0.484, 0.562],
    [0.295, 0.732],
    [0.683, 0.728],
];

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

/// Photos of one size the detector takes per pass when batching: 32 first looks at 640 x 480
/// need about 0.4 GB of activations.
pub const DETECT_BATCH: usize = 32;

/// The detector's and the embedder's batchers, for callers on many threads.
#[derive(Default)]
struct Batchers {
    detect: Batcher<RgbImage, Result<Vec<Detection>, VisionError>>,
    embed: Batcher<Vec<RgbImage>, Result<Vec<Embedding>, VisionError>>,
}

/// How many passes each network made through [`FaceAnalyzer`]'s batchers, and how much each took.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct BatchCounts {
    /// Requests are looks at photos (a photo gets one or two).
    pub detect: BatchCount,
    /// Requests are the chips of one photo.
    pub embed: BatchCount,
}

pub struct FaceAnalyzer {
    detector: RetinaFace,
    embedder: FaceEmbedder,
    detect_long_side: u32,
    /// A detection is a face when its score is above this (the model card's threshold); the
    /// detector itself keeps everything above [`CANDIDATE_SCORE`].
    face_score: f32,
    precision: Precision,
    hashes: ModelHashes,
    /// `None`: each call runs on its own, as the CPU prefers.
    batchers: Option<Batchers>,
}

impl FaceAnalyzer {
    /// Loads and verifies both networks from `models` onto `device`, in f32.
    pub fn load(models: &ModelDir, device: &Device) -> Result<Self, VisionError> {
        Self::load_in(models, device, Precision::F32)
    }

    /// [`FaceAnalyzer::load`] with both networks computing in `precision`.
    pub fn load_in(
        models: &ModelDir,
        device: &Device,
        precision: Precision,
    ) -> Result<Self, VisionError> {
        let (detector_card, detector_path) = models.verified(DETECTOR)?;
        let (embedder_card, embedder_path) = models.verified(EMBEDDER)?;
        let detector_config: DetectorConfig = serde_json::from_value(detector_card.config.clone())
            .map_err(|e| VisionError::Config(DETECTOR, e))?;
        let embedder_config: EmbedderConfig = serde_json::from_value(embedder_card.config.clone())
            .map_err(|e| VisionError::Config(EMBEDDER, e))?;
        let dtype = precision.dtype();
        // SAFETY: the weight files are memory-mapped read-only; Kith never writes to them while
        // they are mapped.
        let detector_vb =
            unsafe { VarBuilder::from_mmaped_safetensors(&[detector_path], dtype, device)? };
        let embedder_vb =
            unsafe { VarBuilder::from_mmaped_safetensors(&[embedder_path], dtype, device)? };
        let face_score = detector_config.confidence_threshold;
        let candidates = DetectorConfig {
            confidence_threshold: CANDIDATE_SCORE.min(face_score),
            ..detector_config
        };
        Ok(Self {
            detector: RetinaFace::load(detector_vb, candidates)?,
            embedder: FaceEmbedder::load(embedder_vb, embedder_config)?,
            detect_long_side: DEFAULT_DETECT_LONG_SIDE,
            face_score,
            precision,
            hashes: ModelHashes {
                detector: detector_card.sha256,
                embedder: embedder_card.sha256,
            },
            batchers: (!device.is_cpu()).then(Batchers::default),
        })
    }

    /// Batches the requests of concurrent callers (the default on a GPU), or runs each call on
    /// its own (the default on the CPU, where every core already has a photo of its own).
    pub fn with_batching(mut self, on: bool) -> Self {
        self.batchers = on.then(Batchers::default);
        self
    }

    /// The batches run so far; `None` without batching.
    pub fn batch_counts(&self) -> Option<BatchCounts> {
        self.batchers.as_ref().map(|b| BatchCounts {
            detect: b.detect.count(),
            embed: b.embed.count(),
        })
    }

    pub fn with_detect_long_side(mut self, long_side: u32) -> Self {
        self.detect_long_side = long_side.max(64);
        self
    }

    /// The long side of the largest copy of a photo the detector searches.
    pub fn detect_long_side(&self) -> u32 {
        self.detect_long_side
    }

    pub fn device(&self) -> &Device {
        self.embedder.device()
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The detector itself, for timing it alone.
    pub fn detector(&self) -> &RetinaFace {
        &self.detector
    }

    /// The embedder itself, for timing it alone.
    pub fn embedder(&self) -> &FaceEmbedder {
        &self.embedder
    }

    pub fn hashes(&self) -> &ModelHashes {
        &self.hashes
    }

    /// The distance below which two descriptors are taken to be the same person.
    pub fn threshold(&self) -> f32 {
        self.embedder.threshold()
    }

    /// Whether a detection is sure enough to be kept as a face.
    pub fn is_face(&self, face: &LocatedFace) -> bool {
        face.score > self.face_score
    }

    /// Finds and aligns the faces in `pixels`; geometry is in `pixels` coordinates.
    pub fn locate(&self, pixels: &RgbImage) -> Result<Vec<LocatedFace>, VisionError> {
        let mut faces = self.candidates(pixels)?;
        faces.retain(|f| self.is_face(f));
        Ok(faces)
    }

    /// [`FaceAnalyzer::locate`] with the detections that are not sure enough to be faces as
    /// well (see [`CANDIDATE_SCORE`]), for deciding where to look closer.
    pub fn candidates(&self, pixels: &RgbImage) -> Result<Vec<LocatedFace>, VisionError> {
        let first_look = FIRST_LOOK_LONG_SIDE.min(self.detect_long_side);
        let (mut detections, k) = self.detect_within(pixels, first_look)?;
        // A weak detection is no reason to stop looking, but a small one is a reason to look on.
        let needs_second_look = !detections.iter().any(|d| d.score > self.face_score)
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
        Ok(self.aligned(pixels, detections))
    }

    /// Finds and aligns the faces in `pixels` in a single look at a copy at most `long_side`
    /// pixels long; geometry is in `pixels` coordinates.
    pub fn look(&self, pixels: &RgbImage, long_side: u32) -> Result<Vec<LocatedFace>, VisionError> {
        let (mut detections, _) = self.detect_within(pixels, long_side)?;
        detections.retain(|d| d.score > self.face_score);
        Ok(self.aligned(pixels, detections))
    }

    /// Each detection with its chip cut from `pixels`.
    fn aligned(&self, pixels: &RgbImage, detections: Vec<Detection>) -> Vec<LocatedFace> {
        let chip_size = self.embedder.chip_size();
        detections
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
            .collect()
    }

    /// The face inside `area` (x, y, w, h in `pixels`), which someone saw there: the area and a
    /// margin around it are searched with the area's long side brought to [`CLOSE_LOOK_SIDE`],
    /// and the detection centred in the area that overlaps it most is the face. Where there is
    /// none (a face turned away, half hidden), the area is taken to be the face's box, with the
    /// landmarks where they sit on average, and the score 0. `None` for an area under a pixel.
    pub fn face_in(
        &self,
        pixels: &RgbImage,
        area: [f32; 4],
    ) -> Result<Option<LocatedFace>, VisionError> {
        let [x, y, w, h] = area;
        if w < 1.0 || h < 1.0 {
            return Ok(None);
        }
        let side = w.max(h);
        let (width, height) = (pixels.width() as f32, pixels.height() as f32);
        let left = (x - side / 2.0).floor().clamp(0.0, width - 1.0);
        let top = (y - side / 2.0).floor().clamp(0.0, height - 1.0);
        let right = (x + w + side / 2.0).ceil().clamp(left + 1.0, width);
        let bottom = (y + h + side / 2.0).ceil().clamp(top + 1.0, height);
        let region = image::imageops::crop_imm(
            pixels,
            left as u32,
            top as u32,
            (right - left) as u32,
            (bottom - top) as u32,
        )
        .to_image();
        let k = CLOSE_LOOK_SIDE / side;
        let look = crate::scan::decode::resize(
            &region,
            ((right - left) * k).round().max(1.0) as u32,
            ((bottom - top) * k).round().max(1.0) as u32,
        );
        let to_pixels = |[px, py]: [f32; 2]| [px / k + left, py / k + top];
        let corners = [x, y, x + w, y + h];
        let centred_in = |b: &[f32; 4]| {
            let (cx, cy) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
            cx >= x && cx <= x + w && cy >= y && cy <= y + h
        };
        let found = self
            .detector
            .detect_above(&look, CLOSE_LOOK_SCORE)?
            .into_iter()
            .map(|d| {
                let [a, b] = to_pixels([d.bbox[0], d.bbox[1]]);
                let [c, e] = to_pixels([d.bbox[2], d.bbox[3]]);
                Detection {
                    bbox: [a, b, c, e],
                    landmarks: d.landmarks.map(to_pixels),
                    ..d
                }
            })
            .filter(|d| centred_in(&d.bbox))
            .max_by(|a, b| {
                super::detector::iou(&a.bbox, &corners)
                    .total_cmp(&super::detector::iou(&b.bbox, &corners))
            });
        let detection = found.unwrap_or_else(|| Detection {
            bbox: corners,
            score: 0.0,
            landmarks: AVERAGE_LANDMARKS.map(|[fx, fy]| [x + fx * w, y + fy * h]),
        });
        tracing::debug!(score = detection.score, "close look at an area");
        Ok(self.aligned(pixels, vec![detection]).pop())
    }

    /// `face`, whose geometry is already in `pixels` coordinates, with its chip cut again from
    /// `pixels` (a sharper decode of the photo it was found in).
    pub fn align_again(&self, face: LocatedFace, pixels: &RgbImage) -> LocatedFace {
        match align_face(pixels, &face.landmarks, self.embedder.chip_size()) {
            Some(chip) => LocatedFace { chip, ..face },
            None => face,
        }
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
        let detections = match &self.batchers {
            None => self.detector.detect(&input)?,
            Some(b) => b
                .detect
                .call(input.into_owned(), |views| self.detect_batches(views))?,
        };
        let detections = detections
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
        match &self.batchers {
            None => Ok(self.embedder.embed(chips)?),
            Some(b) => b
                .embed
                .call(chips.to_vec(), |requests| self.embed_together(requests)),
        }
    }

    /// Detections for each of `views`: those of one size go through the detector together.
    fn detect_batches(&self, views: Vec<RgbImage>) -> Vec<Result<Vec<Detection>, VisionError>> {
        let mut by_size: Vec<((u32, u32), Vec<usize>)> = Vec::new();
        for (i, view) in views.iter().enumerate() {
            match by_size
                .iter_mut()
                .find(|(size, _)| *size == view.dimensions())
            {
                Some((_, members)) => members.push(i),
                None => by_size.push((view.dimensions(), vec![i])),
            }
        }
        let mut answers = Vec::with_capacity(views.len());
        for (_, members) in by_size {
            for batch in members.chunks(DETECT_BATCH) {
                let images: Vec<&RgbImage> = batch.iter().map(|&i| &views[i]).collect();
                match self.detector.detect_batch(&images) {
                    Ok(found) => {
                        answers.extend(batch.iter().copied().zip(found.into_iter().map(Ok)))
                    }
                    Err(err) => {
                        answers.extend(batch.iter().map(|&i| (i, Err(shared_failure(&err)))))
                    }
                }
            }
        }
        answers.sort_by_key(|(i, _)| *i);
        answers.into_iter().map(|(_, answer)| answer).collect()
    }

    /// Descriptors for each request's chips, all chips through the embedder together.
    fn embed_together(
        &self,
        requests: Vec<Vec<RgbImage>>,
    ) -> Vec<Result<Vec<Embedding>, VisionError>> {
        let counts: Vec<usize> = requests.iter().map(Vec::len).collect();
        let chips: Vec<RgbImage> = requests.into_iter().flatten().collect();
        match self.embedder.embed(&chips) {
            Ok(embeddings) => {
                let mut embeddings = embeddings.into_iter();
                counts
                    .iter()
                    .map(|&n| Ok(embeddings.by_ref().take(n).collect()))
                    .collect()
            }
            Err(err) => counts.iter().map(|_| Err(shared_failure(&err))).collect(),
        }
    }
}

/// The error of a batch, for each request in it (candle's errors cannot be cloned).
fn shared_failure(err: &candle_core::Error) -> VisionError {
    VisionError::Candle(candle_core::Error::Msg(err.to_string()))
}
