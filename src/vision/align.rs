//! Face alignment: the similarity transform from five detected landmarks to the embedder's chip
//! template, and the bilinear warp that cuts the aligned chip out of the photo.
//!
//! The embedder was trained on chips where eyes, nose and mouth sit at fixed places; putting the
//! detected landmarks there (rotation, uniform scale, translation; no shear) is what makes the
//! distance between two descriptors mean "different person" rather than "different pose".

use image::RgbImage;

/// Where the five landmarks (left eye, right eye, nose tip, left and right mouth corner) sit in a
/// 150x150 chip of the kind dlib's ResNet was trained on.
pub const CHIP_TEMPLATE_150: [[f32; 2]; 5] = [
    [47.55, 46.6],
    [100.48, 46.6],
    [74.01, 76.56],
    [50.41, 103.02],
    [97.61, 103.02],
];

/// A 2-D similarity `p' = s R p + t`, stored as `[a, -b, tx; b, a, ty]` with `a = s cos θ`, `b = s sin θ`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    pub a: f32,
    pub b: f32,
    pub tx: f32,
    pub ty: f32,
}

impl Similarity {
    /// The least-squares similarity taking `src` onto `dst` (Umeyama's solution without reflection,
    /// which in 2-D has this closed form). `None` when the source points coincide.
    pub fn estimate(src: &[[f32; 2]], dst: &[[f32; 2]]) -> Option<Self> {
        let n = src.len().min(dst.len());
        if n < 2 {
            return None;
        }
        let mean = |pts: &[[f32; 2]]| {
            let (sx, sy) = pts[..n].iter().fold((0.0f64, 0.0f64), |(x, y), p| {
                (x + p[0] as f64, y + p[1] as f64)
            });
            (sx / n as f64, sy / n as f64)
        };
        let (msx, msy) = mean(src);
        let (mdx, mdy) = mean(dst);
        let (mut dot, mut cross, mut var) = (0.0f64, 0.0f64, 0.0f64);
        for (s, d) in src[..n].iter().zip(&dst[..n]) {
            let (sx, sy) = (s[0] as f64 - msx, s[1] as f64 - msy);
            let (dx, dy) = (d[0] as f64 - mdx, d[1] as f64 - mdy);
            dot += sx * dx + sy * dy;
            cross += sx * dy - sy * dx;
            var += sx * sx + sy * sy;
        }
        if var < 1e-9 {
            return None;
        }
        let a = dot / var;
        let b = cross / var;
        let tx = mdx - (a * msx - b * msy);
        let ty = mdy - (b * msx + a * msy);
        Some(Self {
            a: a as f32,
            b: b as f32,
            tx: tx as f32,
            ty: ty as f32,
        })
    }

    pub fn apply(&self, p: [f32; 2]) -> [f32; 2] {
        [
            self.a * p[0] - self.b * p[1] + self.tx,
            self.b * p[0] + self.a * p[1] + self.ty,
        ]
    }

    /// The uniform scale factor `s`.
    pub fn scale(&self) -> f32 {
        self.a.hypot(self.b)
    }

    pub fn inverse(&self) -> Option<Self> {
        let det = self.a * self.a + self.b * self.b;
        if det < 1e-12 {
            return None;
        }
        let (a, b) = (self.a / det, -self.b / det);
        Some(Self {
            a,
            b,
            tx: -(a * self.tx - b * self.ty),
            ty: -(b * self.tx + a * self.ty),
        })
    }
}

/// Cuts a `size`x`size` chip out of `image` so that `landmarks` (in `image` pixels) land on the
/// template scaled to `size`. `None` when the landmarks are degenerate.
pub fn align_face(image: &RgbImage, landmarks: &[[f32; 2]; 5], size: u32) -> Option<RgbImage> {
    let k = size as f32 / 150.0;
    let template = CHIP_TEMPLATE_150.map(|[x, y]| [x * k, y * k]);
    let to_chip = Similarity::estimate(landmarks, &template)?;
    let to_image = to_chip.inverse()?;
    Some(warp(image, &to_image, size))
}

/// Fills each chip pixel by sampling `image` bilinearly at `to_image(pixel centre)`; outside the
/// photo is black, as in the chips the embedder saw in training.
pub fn warp(image: &RgbImage, to_image: &Similarity, size: u32) -> RgbImage {
    let source = Source {
        raw: image.as_raw(),
        width: image.width() as i64,
        height: image.height() as i64,
    };
    let side = size as usize;
    let mut chip = vec![0u8; side * side * 3];
    for (y, row) in chip.chunks_exact_mut(side * 3).enumerate() {
        for (x, pixel) in row.chunks_exact_mut(3).enumerate() {
            let [sx, sy] = to_image.apply([x as f32, y as f32]);
            pixel.copy_from_slice(&source.sample_bilinear(sx, sy));
        }
    }
    RgbImage::from_raw(size, size, chip).expect("the buffer holds size x size RGB pixels")
}

/// A photo's interleaved RGB bytes. A sample whose four neighbours all lie inside the photo
/// (nearly every sample of a face away from the edge) reads them straight from the buffer; one
/// at the edge reads each neighbour on its own, black outside.
struct Source<'a> {
    raw: &'a [u8],
    width: i64,
    height: i64,
}

impl Source<'_> {
    fn sample_bilinear(&self, x: f32, y: f32) -> [u8; 3] {
        let (w, h) = (self.width, self.height);
        if !(x > -1.0 && y > -1.0 && x < w as f32 && y < h as f32) {
            return [0; 3];
        }
        // floor() and round() are library calls on baseline x86-64; within these bounds a cast
        // does the same.
        let floor = |v: f32| if v >= 0.0 { v as i64 } else { -1 };
        let (x0, y0) = (floor(x), floor(y));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let (p00, p10, p01, p11) = if x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h {
            let top = ((y0 * w + x0) * 3) as usize;
            let bottom = top + (w * 3) as usize;
            let quad = |at: usize| -> [f32; 3] {
                [self.raw[at], self.raw[at + 1], self.raw[at + 2]].map(f32::from)
            };
            (quad(top), quad(top + 3), quad(bottom), quad(bottom + 3))
        } else {
            (
                self.pixel(x0, y0),
                self.pixel(x0 + 1, y0),
                self.pixel(x0, y0 + 1),
                self.pixel(x0 + 1, y0 + 1),
            )
        };
        let mut out = [0u8; 3];
        for c in 0..3 {
            let top = p00[c] + (p10[c] - p00[c]) * fx;
            let bottom = p01[c] + (p11[c] - p01[c]) * fx;
            // A blend of bytes lies in [0, 255]; `as` saturates what rounding error puts outside.
            out[c] = (top + (bottom - top) * fy + 0.5) as u8;
        }
        out
    }

    /// One pixel, black outside the photo.
    fn pixel(&self, x: i64, y: i64) -> [f32; 3] {
        if x < 0 || y < 0 || x >= self.width || y >= self.height {
            return [0.0; 3];
        }
        let at = ((y * self.width + x) * 3) as usize;
        [self.raw[at], self.raw[at + 1], self.raw[at + 2]].map(f32::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn close(a: [f32; 2], b: [f32; 2]) -> bool {
        (a[0] - b[0]).abs() < 1e-3 && (a[1] - b[1]).abs() < 1e-3
    }

    #[test]
    fn recovers_a_known_similarity() {
        let truth = Similarity {
            a: 0.8 * 0.3f32.cos(),
            b: 0.8 * 0.3f32.sin(),
            tx: 12.0,
            ty: -4.0,
        };
        let src = [
            [10.0, 20.0],
            [60.0, 22.0],
            [35.0, 50.0],
            [15.0, 80.0],
            [55.0, 78.0],
        ];
        let dst = src.map(|p| truth.apply(p));
        let est = Similarity::estimate(&src, &dst).expect("non-degenerate");
        assert!((est.a - truth.a).abs() < 1e-4 && (est.b - truth.b).abs() < 1e-4);
        assert!((est.tx - truth.tx).abs() < 1e-3 && (est.ty - truth.ty).abs() < 1e-3);
        assert!((est.scale() - 0.8).abs() < 1e-4);
    }

    #[test]
    fn inverse_undoes_the_transform() {
        let t = Similarity {
            a: 1.3,
            b: -0.4,
            tx: 5.0,
            ty: 7.0,
        };
        let inv = t.inverse().expect("invertible");
        for p in [[0.0, 0.0], [10.0, -3.0], [149.0, 75.5]] {
            assert!(close(inv.apply(t.apply(p)), p));
        }
    }

    #[test]
    fn coincident_points_are_degenerate() {
        let src = [[5.0, 5.0]; 5];
        assert!(Similarity::estimate(&src, &CHIP_TEMPLATE_150).is_none());
    }

    #[test]
    fn landmarks_already_on_the_template_give_an_identity_crop() {
        let image = RgbImage::from_fn(150, 150, |x, y| Rgb([x as u8, y as u8, 7]));
        let chip = align_face(&image, &CHIP_TEMPLATE_150, 150).expect("aligned");
        assert_eq!(chip.dimensions(), (150, 150));
        for (x, y) in [(0, 0), (40, 90), (149, 149)] {
            assert_eq!(chip.get_pixel(x, y), image.get_pixel(x, y));
        }
    }

    #[test]
    fn a_face_twice_as_big_is_halved_into_the_chip() {
        // Landmarks at twice the template's scale: chip pixel (x, y) samples image (2x, 2y).
        let image = RgbImage::from_fn(300, 300, |x, y| Rgb([(x / 2) as u8, (y / 2) as u8, 0]));
        let landmarks = CHIP_TEMPLATE_150.map(|[x, y]| [x * 2.0, y * 2.0]);
        let chip = align_face(&image, &landmarks, 150).expect("aligned");
        assert_eq!(chip.get_pixel(30, 100).0, [30, 100, 0]);
    }

    #[test]
    fn outside_the_photo_is_black_and_the_edge_blends_into_it() {
        let image = RgbImage::from_pixel(10, 10, Rgb([200, 100, 50]));
        // Chip (x, y) samples photo (x - 0.5, y + 2).
        let half_left = Similarity {
            a: 1.0,
            b: 0.0,
            tx: -0.5,
            ty: 2.0,
        };
        let chip = warp(&image, &half_left, 12);
        assert_eq!(
            chip.get_pixel(0, 0).0,
            [100, 50, 25],
            "half over the left edge"
        );
        assert_eq!(chip.get_pixel(5, 3).0, [200, 100, 50], "inside");
        assert_eq!(
            chip.get_pixel(10, 3).0,
            [100, 50, 25],
            "half over the right edge"
        );
        assert_eq!(chip.get_pixel(11, 3).0, [0, 0, 0], "beyond the right edge");
        assert_eq!(chip.get_pixel(5, 11).0, [0, 0, 0], "below the photo");
    }
}
