//! Face embedder: dlib's face-recognition ResNet (`dlib_face_recognition_resnet_model_v1`, Davis
//! King, CC0) written by hand in candle.
//!
//! This module owns the network only: aligned 150x150 RGB chip in, 128-d descriptor out. Finding
//! faces and cutting the chips is the detector's and the aligner's job. Weights come from
//! `models/dlib-resnet-v1.safetensors`, converted from dlib's `.dat` by
//! `models/convert/dlib_resnet.py`; `tests/golden_embedder.rs` checks the output against dlib's own
//! descriptors. Descriptors are not unit-normalised: two faces are the same person when the
//! Euclidean distance is below [`FaceEmbedder::threshold`] (0.6, dlib's training margin).
//!
//! The architecture, from `dlib/examples/dnn_face_recognition_ex.cpp`:
//!
//! ```text
//! input 150x150 RGB, (pixel - mean) / 256
//! con<32,7,7,2,2>, affine, relu, max_pool<3,3,2,2>
//! level4: 3 x ares<32>
//! level3: ares_down<64>,  3 x ares<64>
//! level2: ares_down<128>, 2 x ares<128>
//! level1: ares_down<256>, 2 x ares<256>
//! level0: ares_down<256>
//! avg_pool_everything, fc_no_bias<128>
//! ```
//!
//! `affine` is batch norm frozen into a per-channel scale and shift. dlib pads a convolution or
//! pooling by kernel/2 when its stride is 1 and not at all otherwise.

use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::{Linear, VarBuilder};
use image::RgbImage;
use serde::Deserialize;

use super::conv::{Activation, Conv2d};
use super::input::{self, Normalisation};

/// Length of one face descriptor.
pub const EMBEDDING_DIM: usize = 128;

/// The `config` section of the model card `dlib-resnet-v1.json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EmbedderConfig {
    /// Side of the square input chip, in pixels (150).
    pub input_size: u32,
    /// Per-channel mean subtracted from the 0..255 pixel values, in R, G, B order.
    pub mean: [f32; 3],
    /// Divisor applied after the mean subtraction (256 in dlib).
    pub scale: f32,
    /// Descriptor length; must be [`EMBEDDING_DIM`].
    #[serde(default = "default_embedding_dim")]
    pub embedding_dim: usize,
    /// Same-person Euclidean distance threshold.
    pub threshold: f32,
}

fn default_embedding_dim() -> usize {
    EMBEDDING_DIM
}

/// A convolution followed by dlib's `affine` layer (and a ReLU where the network has one). Both are
/// linear, so the affine scale and shift are folded into the filters and bias at load time: one op
/// per layer at run time.
#[derive(Debug, Clone)]
struct ConvAffine {
    conv: Conv2d,
}

impl ConvAffine {
    /// Loads `{conv}.weight`, `{conv}.bias`, `{affine}.scale` and `{affine}.shift`.
    #[allow(clippy::too_many_arguments)]
    fn load(
        vb: &VarBuilder,
        conv: &str,
        affine: &str,
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        activation: Activation,
    ) -> Result<Self> {
        let weight = vb.get(
            (out_channels, in_channels, kernel, kernel),
            &format!("{conv}.weight"),
        )?;
        let bias = vb.get(out_channels, &format!("{conv}.bias"))?;
        let scale = vb.get(out_channels, &format!("{affine}.scale"))?;
        let shift = vb.get(out_channels, &format!("{affine}.shift"))?;
        let weight = weight.broadcast_mul(&scale.reshape((out_channels, 1, 1, 1))?)?;
        let bias = ((bias * &scale)? + shift)?;
        let padding = if stride == 1 { kernel / 2 } else { 0 };
        Ok(Self {
            conv: Conv2d::new(weight, bias, stride, padding, activation)?,
        })
    }
}

impl Module for ConvAffine {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        self.conv.forward(xs)
    }
}

/// dlib's `ares` (`down == false`) and `ares_down` (`down == true`) blocks:
/// `relu(shortcut(x) + affine(con3x3(relu(affine(con3x3/stride(x))))))`, where the shortcut is the
/// identity, or a 2x2 stride-2 average pool when the block halves the resolution.
#[derive(Debug, Clone)]
struct ResidualBlock {
    down: bool,
    conv1: ConvAffine,
    conv2: ConvAffine,
}

impl ResidualBlock {
    fn load(vb: VarBuilder, in_channels: usize, out_channels: usize, down: bool) -> Result<Self> {
        let stride = if down { 2 } else { 1 };
        Ok(Self {
            down,
            conv1: ConvAffine::load(
                &vb,
                "conv1",
                "bn1",
                in_channels,
                out_channels,
                3,
                stride,
                Activation::Relu,
            )?,
            conv2: ConvAffine::load(
                &vb,
                "conv2",
                "bn2",
                out_channels,
                out_channels,
                3,
                1,
                Activation::Identity,
            )?,
        })
    }
}

impl Module for ResidualBlock {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let ys = self.conv1.forward(xs)?;
        let ys = self.conv2.forward(&ys)?;
        let shortcut = if self.down {
            xs.avg_pool2d_with_stride(2, 2)?
        } else {
            xs.clone()
        };
        add_prev(&shortcut, &ys)?.relu()
    }
}

/// dlib's `add_prev`: the sum of two tensors whose channels or sizes may differ, each zero-padded
/// at the end to the larger shape. In this network the downsampling shortcut has half the
/// channels of its block, and at level1 a 4x4 pooled map meets a 3x3 convolved one.
fn add_prev(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.dims() == b.dims() {
        return a + b;
    }
    let (an, ac, ah, aw) = a.dims4()?;
    let (bn, bc, bh, bw) = b.dims4()?;
    let target = [an.max(bn), ac.max(bc), ah.max(bh), aw.max(bw)];
    let pad = |t: &Tensor, dims: [usize; 4]| -> Result<Tensor> {
        let mut t = t.clone();
        for (axis, (&have, &want)) in dims.iter().zip(target.iter()).enumerate() {
            if have < want {
                t = t.pad_with_zeros(axis, 0, want - have)?;
            }
        }
        Ok(t)
    };
    pad(a, [an, ac, ah, aw])? + pad(b, [bn, bc, bh, bw])?
}

/// A run of residual blocks at one resolution; the first one downsamples when `down`.
#[derive(Debug, Clone)]
struct Level {
    blocks: Vec<ResidualBlock>,
}

impl Level {
    fn load(
        vb: VarBuilder,
        in_channels: usize,
        channels: usize,
        count: usize,
        down: bool,
    ) -> Result<Self> {
        let blocks = (0..count)
            .map(|i| {
                let (cin, block_down) = if i == 0 {
                    (in_channels, down)
                } else {
                    (channels, false)
                };
                ResidualBlock::load(vb.pp(i.to_string()), cin, channels, block_down)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { blocks })
    }
}

impl Module for Level {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        self.blocks
            .iter()
            .try_fold(xs.clone(), |x, block| block.forward(&x))
    }
}

/// dlib's 128-d face descriptor network.
#[derive(Debug, Clone)]
pub struct FaceEmbedder {
    conv1: ConvAffine,
    level4: Level,
    level3: Level,
    level2: Level,
    level1: Level,
    level0: Level,
    fc: Linear,
    config: EmbedderConfig,
    device: Device,
    dtype: DType,
}

impl FaceEmbedder {
    /// Builds the network from weights named as `models/convert/dlib_resnet.py` writes them.
    pub fn load(vb: VarBuilder, config: EmbedderConfig) -> Result<Self> {
        if config.embedding_dim != EMBEDDING_DIM {
            candle_core::bail!(
                "embedder config: embedding_dim {} but this network produces {EMBEDDING_DIM}",
                config.embedding_dim
            );
        }
        // Below 32 px the strided stages run out of pixels; dlib trained on 150.
        if config.input_size < 32 || !(config.scale.is_finite() && config.scale > 0.0) {
            candle_core::bail!(
                "embedder config: unusable input_size {} or scale {}",
                config.input_size,
                config.scale
            );
        }
        let conv1 = ConvAffine::load(&vb, "conv1", "bn1", 3, 32, 7, 2, Activation::Relu)?;
        let level4 = Level::load(vb.pp("level4"), 32, 32, 3, false)?;
        let level3 = Level::load(vb.pp("level3"), 32, 64, 4, true)?;
        let level2 = Level::load(vb.pp("level2"), 64, 128, 3, true)?;
        let level1 = Level::load(vb.pp("level1"), 128, 256, 3, true)?;
        let level0 = Level::load(vb.pp("level0"), 256, 256, 1, true)?;
        let fc = Linear::new(vb.get((EMBEDDING_DIM, 256), "fc.weight")?, None);
        Ok(Self {
            conv1,
            level4,
            level3,
            level2,
            level1,
            level0,
            fc,
            device: vb.device().clone(),
            dtype: vb.dtype(),
            config,
        })
    }

    /// (B,3,150,150) normalised input -> (B,128) descriptors.
    pub fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let xs = self.conv1.forward(xs)?;
        let xs = xs.max_pool2d_with_stride(3, 2)?;
        let xs = self.level4.forward(&xs)?;
        let xs = self.level3.forward(&xs)?;
        let xs = self.level2.forward(&xs)?;
        let xs = self.level1.forward(&xs)?;
        let xs = self.level0.forward(&xs)?;
        // avg_pool_everything: mean over the remaining spatial positions.
        let xs = xs.flatten_from(2)?.mean(2)?;
        self.fc.forward(&xs)
    }

    /// Embeds aligned 150x150 RGB chips in batches sized for the device; one 128-d descriptor per
    /// chip.
    pub fn embed(&self, chips: &[RgbImage]) -> Result<Vec<[f32; EMBEDDING_DIM]>> {
        let mut out = Vec::with_capacity(chips.len());
        for batch in chips.chunks(super::device::embed_batch(&self.device)) {
            let xs = self.chips_to_tensor(batch)?;
            let ys = self.forward(&xs)?.to_dtype(DType::F32)?.to_vec2::<f32>()?;
            for row in ys {
                let desc: [f32; EMBEDDING_DIM] = row.try_into().map_err(|row: Vec<f32>| {
                    candle_core::Error::Msg(format!(
                        "embedder produced {} values, expected {EMBEDDING_DIM}",
                        row.len()
                    ))
                })?;
                out.push(desc);
            }
        }
        Ok(out)
    }

    /// Packs chips into a normalised (B,3,S,S) tensor exactly as dlib's `input_rgb_image_sized`
    /// does: channel-planar R, G, B, each `(value - mean) / scale`.
    fn chips_to_tensor(&self, chips: &[RgbImage]) -> Result<Tensor> {
        let size = self.config.input_size;
        if let Some((i, chip)) = chips
            .iter()
            .enumerate()
            .find(|(_, chip)| chip.dimensions() != (size, size))
        {
            candle_core::bail!(
                "embedder: chip {i} is {}x{}, expected an aligned {size}x{size} chip",
                chip.width(),
                chip.height()
            );
        }
        let norm = Normalisation {
            bgr: false,
            mean: self.config.mean,
            scale: self.config.scale,
        };
        input::planes(chips, norm, &self.device)?.to_dtype(self.dtype)
    }

    /// Side of the square chip the network expects (150).
    pub fn chip_size(&self) -> u32 {
        self.config.input_size
    }

    /// Same-person Euclidean distance threshold (0.6).
    pub fn threshold(&self) -> f32 {
        self.config.threshold
    }

    pub fn device(&self) -> &Device {
        &self.device
    }
}
