//! Network inputs from pictures: interleaved RGB bytes to normalised channel planes, (B,3,H,W).
//!
//! Both networks take `(value - mean) / scale` per channel, in their own channel order. On the CPU
//! the planes are written in one pass over the bytes (op by op would walk each picture four
//! times); on a GPU the bytes go up as they are, a quarter of the transfer of f32, and are
//! normalised there.

use std::borrow::Borrow;

use candle_core::{DType, Device, Result, Tensor};
use image::RgbImage;

/// How a network wants its input normalised.
#[derive(Debug, Clone, Copy)]
pub struct Normalisation {
    /// Planes in B, G, R order rather than R, G, B.
    pub bgr: bool,
    /// Subtracted from the 0..255 values, per plane in the network's order.
    pub mean: [f32; 3],
    /// What the differences are divided by.
    pub scale: f32,
}

impl Normalisation {
    /// Which RGB channel plane `p` holds.
    fn channel(&self, plane: usize) -> usize {
        if self.bgr {
            2 - plane
        } else {
            plane
        }
    }
}

/// `pictures`, all of one size, as normalised planes (B,3,H,W) in f32 on `device`.
pub fn planes<P: Borrow<RgbImage>>(
    pictures: &[P],
    norm: Normalisation,
    device: &Device,
) -> Result<Tensor> {
    let (w, h) = one_size(pictures)?;
    if device.is_cpu() {
        in_one_pass(pictures, norm, (w, h))
    } else {
        on_device(pictures, norm, (w, h), device)
    }
}

/// The (width, height) shared by all `pictures`: a batch is one tensor.
fn one_size<P: Borrow<RgbImage>>(pictures: &[P]) -> Result<(usize, usize)> {
    let Some(first) = pictures.first().map(Borrow::borrow) else {
        candle_core::bail!("network input: an empty batch");
    };
    if let Some(other) = pictures
        .iter()
        .map(Borrow::borrow)
        .find(|p| p.dimensions() != first.dimensions())
    {
        candle_core::bail!(
            "network input: a batch mixes {:?} and {:?} pictures",
            first.dimensions(),
            other.dimensions()
        );
    }
    Ok((first.width() as usize, first.height() as usize))
}

fn in_one_pass<P: Borrow<RgbImage>>(
    pictures: &[P],
    norm: Normalisation,
    (w, h): (usize, usize),
) -> Result<Tensor> {
    let plane = w * h;
    let mut data = vec![0f32; pictures.len() * 3 * plane];
    // Where each RGB channel goes, and the mean it loses there.
    let mut plane_of = [0usize; 3];
    let mut mean_of = [0f32; 3];
    for p in 0..3 {
        plane_of[norm.channel(p)] = p * plane;
        mean_of[norm.channel(p)] = norm.mean[p];
    }
    // Exact for the scales in use (1 and 256), and a multiply where a divide is several times
    // slower.
    let inverse_scale = 1.0 / norm.scale;
    for (picture, planes) in pictures.iter().zip(data.chunks_exact_mut(3 * plane)) {
        for (i, rgb) in picture.borrow().as_raw().chunks_exact(3).enumerate() {
            for c in 0..3 {
                planes[plane_of[c] + i] = (f32::from(rgb[c]) - mean_of[c]) * inverse_scale;
            }
        }
    }
    Tensor::from_vec(data, (pictures.len(), 3, h, w), &Device::Cpu)
}

fn on_device<P: Borrow<RgbImage>>(
    pictures: &[P],
    norm: Normalisation,
    (w, h): (usize, usize),
    device: &Device,
) -> Result<Tensor> {
    let bytes: Vec<u8> = pictures
        .iter()
        .flat_map(|p| p.borrow().as_raw())
        .copied()
        .collect();
    let mut xs =
        Tensor::from_vec(bytes, (pictures.len(), h, w, 3), device)?.to_dtype(DType::F32)?;
    if norm.bgr {
        xs = xs.index_select(&Tensor::new(&[2u32, 1, 0], device)?, 3)?;
    }
    let mean = Tensor::new(&norm.mean, device)?.reshape((1, 1, 1, 3))?;
    (xs.broadcast_sub(&mean)? * f64::from(1.0 / norm.scale))?
        .permute((0, 3, 1, 2))?
        .contiguous()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pictures() -> [RgbImage; 2] {
        let picture = RgbImage::from_fn(7, 5, |x, y| {
            image::Rgb([(x * 30) as u8, (y * 50) as u8, (x * y * 7) as u8])
        });
        let inverted =
            RgbImage::from_fn(7, 5, |x, y| image::Rgb(picture[(x, y)].0.map(|v| 255 - v)));
        [picture, inverted]
    }

    /// The planes built on a device, computed here on the CPU: the same ops a GPU runs.
    fn both_ways(norm: Normalisation) -> Result<Tensor> {
        let pictures = pictures();
        let fast = in_one_pass(&pictures, norm, (7, 5))?;
        let ops = on_device(&pictures, norm, (7, 5), &Device::Cpu)?;
        assert_eq!(fast.dims(), &[2, 3, 5, 7]);
        let difference = (&fast - ops)?.abs()?.max_all()?.to_scalar::<f32>()?;
        assert!(difference < 1e-6, "{norm:?}: {difference}");
        Ok(fast)
    }

    #[test]
    fn bgr_planes_the_same_both_ways() -> Result<()> {
        let norm = Normalisation {
            bgr: true,
            mean: [104.0, 117.0, 127.0],
            scale: 1.0,
        };
        let planes = both_ways(norm)?;
        // Pixel (x 2, y 1) is RGB (60, 50, 14): blue plane first; the second picture follows.
        let at = |b: usize, c: usize| planes.get(b)?.get(c)?.get(1)?.get(2)?.to_scalar::<f32>();
        assert_eq!(
            [at(0, 0)?, at(0, 1)?, at(0, 2)?],
            [14.0 - 104.0, 50.0 - 117.0, 60.0 - 127.0]
        );
        assert_eq!(at(1, 0)?, 241.0 - 104.0);
        Ok(())
    }

    #[test]
    fn scaled_rgb_planes_the_same_both_ways() -> Result<()> {
        let norm = Normalisation {
            bgr: false,
            mean: [122.782, 117.001, 104.298],
            scale: 256.0,
        };
        let planes = both_ways(norm)?;
        let at = |c: usize| planes.get(0)?.get(c)?.get(1)?.get(2)?.to_scalar::<f32>();
        assert_eq!(at(0)?, (60.0 - 122.782) / 256.0);
        assert_eq!(at(2)?, (14.0 - 104.298) / 256.0);
        Ok(())
    }

    #[test]
    fn a_batch_is_one_size() {
        let [picture, _] = pictures();
        let small = RgbImage::new(3, 3);
        let norm = Normalisation {
            bgr: false,
            mean: [0.0; 3],
            scale: 1.0,
        };
        let err = planes(&[&picture, &small], norm, &Device::Cpu).expect_err("mixed sizes");
        assert!(err.to_string().contains("mixes"), "{err}");
        assert!(planes::<RgbImage>(&[], norm, &Device::Cpu).is_err());
    }
}
