//! Convolution layers for both networks, fast on the CPU.
//!
//! candle's CPU conv2d builds its patch matrix one element at a time, with index arithmetic and
//! bounds checks per element, and runs a grouped conv as one conv per group; for these small
//! networks that costs several times the matrix product itself. Here, on the CPU and in f32:
//!
//! - [`Conv2d`] builds the patch matrix (im2col) one input row segment at a time, without
//!   zeroing it first, and multiplies the filters by it in one product per batch, added onto an
//!   output that starts as the bias; the activation is one more pass. A 1x1 stride-1 conv on one
//!   image multiplies the input itself.
//! - [`Depthwise3x3`] sums the nine taps of each channel directly, bias and activation included.
//!
//! On other devices or dtypes the same layers call candle's own kernels.

use std::mem::MaybeUninit;

use candle_core::{CpuStorage, CustomOp1, CustomOp2, DType, Layout, Module, Result, Shape, Tensor};
use candle_nn::{Conv2dConfig, VarBuilder};
use rayon::prelude::*;

/// What follows a convolution's bias.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    Identity,
    Relu,
    /// max(x, slope * x).
    LeakyRelu(f32),
}

impl Activation {
    #[inline]
    fn apply(self, v: f32) -> f32 {
        match self {
            Self::Identity => v,
            Self::Relu => v.max(0.0),
            Self::LeakyRelu(slope) => v.max(slope * v),
        }
    }

    fn apply_tensor(self, xs: Tensor) -> Result<Tensor> {
        match self {
            Self::Identity => Ok(xs),
            Self::Relu => xs.relu(),
            Self::LeakyRelu(slope) => xs.broadcast_maximum(&(&xs * slope as f64)?),
        }
    }
}

/// Whether the hand-written CPU kernels can take `xs`.
fn cpu_f32(xs: &Tensor) -> bool {
    xs.device().is_cpu() && xs.dtype() == DType::F32
}

/// A dense 2-d convolution with a bias and an activation; square kernel, no dilation.
#[derive(Debug, Clone)]
pub struct Conv2d {
    /// (c_out, c_in, k, k), as candle's conv2d takes it.
    weight: Tensor,
    /// The same filters as (c_out, c_in * k * k), rows in im2col order.
    filters: Tensor,
    bias: Tensor,
    kernel: usize,
    stride: usize,
    padding: usize,
    activation: Activation,
}

impl Conv2d {
    pub fn new(
        weight: Tensor,
        bias: Tensor,
        stride: usize,
        padding: usize,
        activation: Activation,
    ) -> Result<Self> {
        let (c_out, c_in, kernel, kernel_w) = weight.dims4()?;
        if kernel != kernel_w || stride == 0 {
            candle_core::bail!("conv: unsupported {kernel}x{kernel_w} kernel, stride {stride}");
        }
        let filters = weight.reshape((c_out, c_in * kernel * kernel))?;
        Ok(Self {
            weight,
            filters,
            bias: bias.reshape(c_out)?,
            kernel,
            stride,
            padding,
            activation,
        })
    }

    /// Loads `weight` (c_out, c_in, k, k) and `bias` (c_out) from `vb`.
    pub fn load(
        vb: VarBuilder,
        c_in: usize,
        c_out: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        activation: Activation,
    ) -> Result<Self> {
        let weight = vb.get((c_out, c_in, kernel, kernel), "weight")?;
        let bias = vb.get(c_out, "bias")?;
        Self::new(weight, bias, stride, padding, activation)
    }

    fn forward_candle(&self, xs: &Tensor) -> Result<Tensor> {
        let cfg = Conv2dConfig {
            padding: self.padding,
            stride: self.stride,
            ..Default::default()
        };
        let conv = candle_nn::Conv2d::new(self.weight.clone(), Some(self.bias.clone()), cfg);
        self.activation.apply_tensor(conv.forward(xs)?)
    }
}

impl Module for Conv2d {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        if !cpu_f32(xs) {
            return self.forward_candle(xs);
        }
        let xs = xs.contiguous()?;
        let (b, _, h, w) = xs.dims4()?;
        let (k, s, p) = (self.kernel, self.stride, self.padding);
        if h + 2 * p < k || w + 2 * p < k {
            candle_core::bail!("conv: {h}x{w} input is smaller than the {k}x{k} kernel");
        }
        let (out_h, out_w) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1);
        // One product for the whole batch: a wide matrix keeps the kernel busy where a single
        // 3x3 map would give it nine columns.
        let ys = xs.apply_op2_no_bwd(
            &self.filters,
            &ConvProduct {
                kernel: k,
                stride: s,
                padding: p,
                bias: self.bias.to_vec1()?,
                activation: self.activation,
            },
        )?;
        let c_out = self.bias.dim(0)?;
        if b == 1 {
            ys.reshape((1, c_out, out_h, out_w))
        } else {
            ys.reshape((c_out, b, out_h, out_w))?
                .transpose(0, 1)?
                .contiguous()
        }
    }
}

/// A convolution as one matrix product on the CPU: input (B, C, H, W) and filters
/// (C_out, C*k*k) give (C_out, B*out_h*out_w), bias and activation applied.
struct ConvProduct {
    kernel: usize,
    stride: usize,
    padding: usize,
    bias: Vec<f32>,
    activation: Activation,
}

impl CustomOp2 for ConvProduct {
    fn name(&self) -> &'static str {
        "conv-product"
    }

    fn cpu_fwd(
        &self,
        input: &CpuStorage,
        input_layout: &Layout,
        filters: &CpuStorage,
        filters_layout: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let src = contiguous_f32(input, input_layout)?;
        let filters = contiguous_f32(filters, filters_layout)?;
        let (b, c, h, w) = input_layout.shape().dims4()?;
        let (k, s, p) = (self.kernel, self.stride, self.padding);
        let depth = c * k * k;
        let c_out = self.bias.len();
        if filters_layout.shape().dims2()? != (c_out, depth) {
            candle_core::bail!(
                "conv: filters {:?} for {c} input channels, {c_out} biases, {k}x{k} kernel",
                filters_layout.shape()
            );
        }
        let im2col_columns;
        let columns = if k == 1 && s == 1 && p == 0 && b == 1 {
            src
        } else {
            im2col_columns = im2col(src, (b, c, h, w), k, s, p);
            &im2col_columns[..]
        };
        let n = columns.len() / depth.max(1);
        // Start from the bias and let the product add onto it: one pass over the output fewer
        // than zeroing it, multiplying, then adding the bias.
        let mut dst = Vec::with_capacity(c_out * n);
        for &bias in &self.bias {
            dst.extend(std::iter::repeat_n(bias, n));
        }
        let threads = rayon::current_num_threads();
        let parallelism = if threads > 1 {
            gemm::Parallelism::Rayon(threads)
        } else {
            gemm::Parallelism::None
        };
        // SAFETY: all three matrices are contiguous and row-major with exactly the sizes given:
        // filters (c_out, depth), checked above; columns (depth, n), by construction of n; dst
        // (c_out, n), allocated just above. gemm computes dst = 1 * dst + 1 * filters * columns.
        unsafe {
            gemm::gemm(
                c_out,
                n,
                depth,
                dst.as_mut_ptr(),
                1,
                n as isize,
                true,
                filters.as_ptr(),
                1,
                depth as isize,
                columns.as_ptr(),
                1,
                n as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                parallelism,
            );
        }
        if self.activation != Activation::Identity && n > 0 {
            let activation = self.activation;
            dst.par_chunks_mut(n)
                .for_each(|row| row.iter_mut().for_each(|v| *v = activation.apply(*v)));
        }
        Ok((CpuStorage::F32(dst), Shape::from((c_out, n))))
    }
}

/// (B, C, H, W) -> (C*k*k, B*out_h*out_w): row (c, ky, kx) holds, image after image, input
/// channel c shifted by the tap (ky, kx), zero where the tap falls in the padding.
fn im2col(
    src: &[f32],
    (b, c, h, w): (usize, usize, usize, usize),
    k: usize,
    s: usize,
    p: usize,
) -> Vec<f32> {
    let (out_h, out_w) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1);
    let len = c * k * k * b * out_h * out_w;
    let mut dst = Vec::with_capacity(len);
    if len == 0 {
        return dst;
    }
    let zero = MaybeUninit::new(0f32);
    // Every element is written exactly once below, so the buffer is never zeroed first: for
    // the 3x3 convs that would be a whole extra pass over nine times the input.
    dst.spare_capacity_mut()[..len]
        .par_chunks_mut(out_h * out_w)
        .enumerate()
        .for_each(|(index, out)| {
            let (r, image) = (index / b, index % b);
            let (channel, ky, kx) = (r / (k * k), r / k % k, r % k);
            let plane = &src[(image * c + channel) * h * w..][..h * w];
            // Output columns whose input column ox*s + kx - p lies inside the image.
            let first = p.saturating_sub(kx).div_ceil(s).min(out_w);
            let end = if w + p > kx {
                ((w + p - kx - 1) / s + 1).clamp(first, out_w)
            } else {
                first
            };
            for (oy, out_line) in out.chunks_exact_mut(out_w).enumerate() {
                let Some(iy) = (oy * s + ky).checked_sub(p).filter(|&iy| iy < h) else {
                    out_line.fill(zero);
                    continue;
                };
                let line = &plane[iy * w..][..w];
                out_line[..first].fill(zero);
                if first < end {
                    let ix0 = first * s + kx - p;
                    if s == 1 {
                        out_line[first..end].write_copy_of_slice(&line[ix0..ix0 + end - first]);
                    } else {
                        for (o, ix) in out_line[first..end].iter_mut().zip((ix0..).step_by(s)) {
                            o.write(line[ix]);
                        }
                    }
                }
                out_line[end..].fill(zero);
            }
        });
    // SAFETY: the chunks cover dst[..len] and each line of each chunk is written in full above
    // (zeros before `first`, from `end` and on padding rows; input values in between).
    unsafe { dst.set_len(len) };
    dst
}

fn contiguous_f32<'a>(storage: &'a CpuStorage, layout: &Layout) -> Result<&'a [f32]> {
    let CpuStorage::F32(data) = storage else {
        candle_core::bail!("f32 input only");
    };
    let Some((start, end)) = layout.contiguous_offsets() else {
        candle_core::bail!("contiguous input only");
    };
    Ok(&data[start..end])
}

/// 3x3 depthwise conv, padding 1, stride 1 or 2, with a bias and an activation.
#[derive(Debug, Clone)]
pub struct Depthwise3x3 {
    /// (C, 1, 3, 3).
    weight: Tensor,
    bias: Tensor,
    stride: usize,
    activation: Activation,
}

impl Depthwise3x3 {
    pub fn load(
        vb: VarBuilder,
        channels: usize,
        stride: usize,
        activation: Activation,
    ) -> Result<Self> {
        if stride != 1 && stride != 2 {
            candle_core::bail!("depthwise conv: stride {stride} not supported");
        }
        Ok(Self {
            weight: vb.get((channels, 1, 3, 3), "weight")?,
            bias: vb.get(channels, "bias")?,
            stride,
            activation,
        })
    }

    /// Any device: nine shifted multiply-adds over whole tensors (candle would run a grouped conv
    /// as one conv per channel).
    fn forward_tensors(&self, xs: &Tensor) -> Result<Tensor> {
        let (b, c, h, w) = xs.dims4()?;
        let s = self.stride;
        let (ho, wo) = (h.div_ceil(s), w.div_ceil(s));
        // Pad 1 before and enough after that the padded rows split into (out + 2/s, s):
        // padded row s*i + k is then split row i + k/s, phase k%s (likewise columns).
        let (rows, cols) = (ho + 2 / s, wo + 2 / s);
        let xs = xs
            .pad_with_zeros(2, 1, s * rows - h - 1)?
            .pad_with_zeros(3, 1, s * cols - w - 1)?
            .reshape((b, c, rows, s, cols, s))?;
        let tap = |k: usize| -> Result<Tensor> {
            let (ky, kx) = (k / 3, k % 3);
            let weight = self
                .weight
                .narrow(2, ky, 1)?
                .narrow(3, kx, 1)?
                .reshape((1, c, 1, 1))?;
            xs.narrow(2, ky / s, ho)?
                .narrow(3, ky % s, 1)?
                .narrow(4, kx / s, wo)?
                .narrow(5, kx % s, 1)?
                .squeeze(5)?
                .squeeze(3)?
                .broadcast_mul(&weight)
        };
        let mut acc = tap(0)?;
        for k in 1..9 {
            acc = (acc + tap(k)?)?;
        }
        let acc = acc.broadcast_add(&self.bias.reshape((1, c, 1, 1))?)?;
        self.activation.apply_tensor(acc)
    }
}

impl Module for Depthwise3x3 {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        if !cpu_f32(xs) {
            return self.forward_tensors(xs);
        }
        xs.contiguous()?.apply_op1_no_bwd(&DepthwiseKernel {
            weight: self.weight.flatten_all()?.to_vec1()?,
            bias: self.bias.to_vec1()?,
            stride: self.stride,
            activation: self.activation,
        })
    }
}

struct DepthwiseKernel {
    /// Channel c's tap (ky, kx) at 9*c + 3*ky + kx.
    weight: Vec<f32>,
    bias: Vec<f32>,
    stride: usize,
    activation: Activation,
}

impl CustomOp1 for DepthwiseKernel {
    fn name(&self) -> &'static str {
        "depthwise3x3"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let src = contiguous_f32(storage, layout)?;
        let (b, c, h, w) = layout.shape().dims4()?;
        if c != self.bias.len() {
            candle_core::bail!(
                "depthwise conv: {c} channels, weights for {}",
                self.bias.len()
            );
        }
        let s = self.stride;
        let (out_h, out_w) = (h.div_ceil(s), w.div_ceil(s));
        let mut dst = vec![0f32; b * c * out_h * out_w];
        dst.par_chunks_mut(out_h * out_w)
            .enumerate()
            .for_each(|(index, out)| {
                let channel = index % c;
                let plane = &src[index * h * w..][..h * w];
                let taps = &self.weight[9 * channel..][..9];
                for oy in 0..out_h {
                    let out_line = &mut out[oy * out_w..][..out_w];
                    for ky in 0..3 {
                        // Input row oy*s + ky - 1, skipped when it is padding.
                        let Some(iy) = (oy * s + ky).checked_sub(1).filter(|&iy| iy < h) else {
                            continue;
                        };
                        let line = &plane[iy * w..][..w];
                        for kx in 0..3 {
                            let tap = taps[3 * ky + kx];
                            // Output columns whose input column ox*s + kx - 1 is inside.
                            let first = usize::from(kx == 0);
                            let end = if w + 1 > kx {
                                ((w - kx) / s + 1).min(out_w)
                            } else {
                                0
                            };
                            if first >= end {
                                continue;
                            }
                            let ix0 = first * s + kx - 1;
                            if s == 1 {
                                let inputs = &line[ix0..ix0 + end - first];
                                for (o, &x) in out_line[first..end].iter_mut().zip(inputs) {
                                    *o += tap * x;
                                }
                            } else {
                                for (o, ix) in
                                    out_line[first..end].iter_mut().zip((ix0..).step_by(s))
                                {
                                    *o += tap * line[ix];
                                }
                            }
                        }
                    }
                    let bias = self.bias[channel];
                    for o in out_line.iter_mut() {
                        *o = self.activation.apply(*o + bias);
                    }
                }
            });
        Ok((CpuStorage::F32(dst), Shape::from((b, c, out_h, out_w))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn random(shape: &[usize], seed: u64) -> Tensor {
        // A small LCG: reproducible values in [-1, 1) without a random-number crate.
        let n: usize = shape.iter().product();
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let values: Vec<f32> = (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect();
        Tensor::from_vec(values, shape, &Device::Cpu).expect("tensor")
    }

    fn max_difference(a: &Tensor, b: &Tensor) -> f32 {
        assert_eq!(a.dims(), b.dims());
        (a - b)
            .and_then(|d| d.abs())
            .and_then(|d| d.flatten_all())
            .and_then(|d| d.max(0))
            .and_then(|d| d.to_scalar::<f32>())
            .expect("difference")
    }

    #[test]
    fn conv_matches_candle_for_every_shape_the_networks_use() {
        let cases = [
            // (c_in, c_out, kernel, stride, padding, h, w)
            (3, 8, 3, 2, 1, 17, 24),
            (16, 32, 3, 1, 1, 9, 7),
            (64, 32, 3, 1, 1, 6, 11),
            (3, 32, 7, 2, 0, 21, 21),
            (32, 64, 3, 2, 0, 11, 11),
            (32, 64, 1, 1, 0, 5, 8),
            (8, 4, 3, 1, 1, 1, 1),
        ];
        let activations = [
            Activation::Identity,
            Activation::Relu,
            Activation::LeakyRelu(0.1),
        ];
        for (i, &(c_in, c_out, k, s, p, h, w)) in cases.iter().enumerate() {
            let conv = Conv2d::new(
                random(&[c_out, c_in, k, k], i as u64),
                random(&[c_out], 100 + i as u64),
                s,
                p,
                activations[i % 3],
            )
            .expect("conv");
            // One image takes the shortcuts (a 1x1 conv multiplies the input itself); a batch
            // goes through the patch matrix.
            for batch in [1, 2] {
                let xs = random(&[batch, c_in, h, w], 200 + i as u64);
                let fast = conv.forward(&xs).expect("fast");
                let reference = conv.forward_candle(&xs).expect("candle");
                assert_eq!(fast.dims(), reference.dims(), "case {i}, batch {batch}");
                let diff = max_difference(&fast, &reference);
                assert!(diff < 1e-4, "case {i}, batch {batch}: differs by {diff}");
            }
        }
    }

    #[test]
    fn depthwise_matches_candles_grouped_conv_on_both_paths() {
        for (i, &(c, h, w, s)) in [
            (8, 9, 13, 1),
            (16, 10, 7, 2),
            (4, 1, 1, 2),
            (3, 2, 3, 1),
            (3, 5, 6, 2),
        ]
        .iter()
        .enumerate()
        {
            let layer = Depthwise3x3 {
                weight: random(&[c, 1, 3, 3], i as u64),
                bias: random(&[c], 10 + i as u64),
                stride: s,
                activation: Activation::LeakyRelu(0.1),
            };
            let xs = random(&[2, c, h, w], 20 + i as u64);
            let want = xs
                .conv2d(&layer.weight, 1, s, 1, c)
                .and_then(|y| y.broadcast_add(&layer.bias.reshape((1, c, 1, 1))?))
                .and_then(|y| Activation::LeakyRelu(0.1).apply_tensor(y))
                .expect("grouped conv");
            for (path, got) in [
                ("kernel", layer.forward(&xs)),
                ("tensors", layer.forward_tensors(&xs)),
            ] {
                let diff = max_difference(&got.expect("depthwise"), &want);
                assert!(diff < 1e-5, "case {i}, {path}: differs by {diff}");
            }
        }
    }
}
