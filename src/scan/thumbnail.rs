//! Small JPEG face thumbnails stored with each face, so that views of people never reopen photos.

use image::codecs::jpeg::JpegEncoder;
use image::RgbImage;

/// Side of the square face thumbnail in pixels.
pub const THUMBNAIL_SIDE: u32 = 128;

/// The part of a photo of `size` pixels that the thumbnail of the face at `bbox` (x, y, w, h)
/// shows, as left, top, width and height in whole pixels: a square around the face with some
/// margin, moved inside the photo at its left and top edges and cut at its right and bottom ones.
fn shown(bbox: [f32; 4], size: (u32, u32)) -> (u32, u32, u32, u32) {
    let [x, y, w, h] = bbox;
    let side = (w.max(h) * 1.4).max(1.0);
    let (iw, ih) = (size.0 as f32, size.1 as f32);
    let left = (x + w / 2.0 - side / 2.0).clamp(0.0, (iw - 1.0).max(0.0));
    let top = (y + h / 2.0 - side / 2.0).clamp(0.0, (ih - 1.0).max(0.0));
    let width = side.min(iw - left).max(1.0);
    let height = side.min(ih - top).max(1.0);
    (left as u32, top as u32, width as u32, height as u32)
}

/// What the thumbnail of the face at `bbox` in a photo of `size` pixels shows, as left, top,
/// right and bottom in fractions of the face's width and height from its top left corner. Two
/// copies of one face, one near a photo's edge, show different parts of it: the parts both show
/// can be compared.
pub fn thumbnail_window(bbox: [f32; 4], size: (u32, u32)) -> [f32; 4] {
    let [x, y, w, h] = bbox;
    let (left, top, width, height) = shown(bbox, size);
    let (w, h) = (w.max(f32::EPSILON), h.max(f32::EPSILON));
    [
        (left as f32 - x) / w,
        (top as f32 - y) / h,
        ((left + width) as f32 - x) / w,
        ((top + height) as f32 - y) / h,
    ]
}

/// A square crop around `bbox` (x, y, w, h in `pixels` coordinates) with some margin, as JPEG.
pub fn face_thumbnail(pixels: &RgbImage, bbox: [f32; 4]) -> Vec<u8> {
    let (left, top, cw, ch) = shown(bbox, pixels.dimensions());
    let crop = image::imageops::crop_imm(pixels, left, top, cw, ch).to_image();
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
