//! Small JPEG face thumbnails stored with each face, so that views of people never reopen photos.

use image::codecs::jpeg::JpegEncoder;
use image::RgbImage;

/// Side of the square face thumbnail in pixels.
pub const THUMBNAIL_SIDE: u32 = 128;

/// A square crop around `bbox` (x, y, w, h in `pixels` coordinates) with some margin, as JPEG.
pub fn face_thumbnail(pixels: &RgbImage, bbox: [f32; 4]) -> Vec<u8> {
    let [x, y, w, h] = bbox;
    let side = (w.max(h) * 1.4).max(1.0);
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    let (iw, ih) = (pixels.width() as f32, pixels.height() as f32);
    let left = (cx - side / 2.0).clamp(0.0, (iw - 1.0).max(0.0));
    let top = (cy - side / 2.0).clamp(0.0, (ih - 1.0).max(0.0));
    let cw = side.min(iw - left).max(1.0) as u32;
    let ch = side.min(ih - top).max(1.0) as u32;
    let crop = image::imageops::crop_imm(pixels, left as u32, top as u32, cw, ch).to_image();
    let thumb = super::decode::resize(&crop, THUMBNAIL_SIDE, THUMBNAIL_SIDE);
    let mut out = Vec::new();
    // Encoding an in-memory RGB buffer of fixed size cannot fail short of memory exhaustion;
    // an empty thumbnail is the harmless fallback.
    if JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&thumb)
        .is_err()
    {
        out.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnails_are_square_jpegs_even_at_the_photo_edge() {
        let pixels = RgbImage::from_pixel(300, 200, image::Rgb([120, 80, 40]));
        for bbox in [[10.0, 10.0, 50.0, 60.0], [280.0, 180.0, 40.0, 40.0]] {
            let bytes = face_thumbnail(&pixels, bbox);
            let thumb = image::load_from_memory(&bytes).expect("valid jpeg");
            assert_eq!(
                (thumb.width(), thumb.height()),
                (THUMBNAIL_SIDE, THUMBNAIL_SIDE)
            );
        }
    }
}
