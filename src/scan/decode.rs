//! Turning a photo file's bytes into upright RGB pixels, or a typed reason why not.
//!
//! Large JPEGs are decoded at reduced scale in the DCT (1/2, 1/4 or 1/8) when the caller only needs a
//! given size: a 12-megapixel photo needs about a tenth of the work to reach the ~1000 px the detector
//! wants. Every other format is decoded by the `image` crate and resized. EXIF orientation is applied
//! so that faces are upright, and sizes are checked before any pixel is allocated, so a "decompression
//! bomb" is refused with a reason instead of exhausting memory.

use std::borrow::Cow;
use std::io::Cursor;
use std::path::Path;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};

use super::heif::{self, HeifError};
use super::raw::{self, RawError, RawFile};

/// Photos above this many pixels are refused (a 20000x20000 PNG would need 1.6 GB as RGBA).
pub const MAX_PIXELS: u64 = 150_000_000;

/// Why a file could not be turned into pixels. Each is recorded in the catalog with its kind.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("the file is empty")]
    Empty,
    #[error("unsupported format: {0}")]
    Unsupported(&'static str),
    #[error("not an image: the content matches no known image format")]
    NotAnImage,
    #[error("image too large: {width}x{height} is over the limit of {} megapixels", MAX_PIXELS / 1_000_000)]
    TooLarge { width: u32, height: u32 },
    #[error("corrupt or truncated image: {0}")]
    Corrupt(String),
}

impl DecodeError {
    /// A stable short name for the catalog and for scripts.
    pub fn kind(&self) -> &'static str {
        match self {
            DecodeError::Empty => "empty",
            DecodeError::Unsupported(_) => "unsupported",
            DecodeError::NotAnImage => "not-an-image",
            DecodeError::TooLarge { .. } => "too-large",
            DecodeError::Corrupt(_) => "corrupt",
        }
    }
}

/// A decoded, upright photo, possibly smaller than the original.
#[derive(Debug, Clone)]
pub struct DecodedPhoto {
    pub pixels: RgbImage,
    /// Upright size of the original in pixels.
    pub full_size: (u32, u32),
    /// EXIF DateTimeOriginal (or DateTime) as `YYYY-MM-DDTHH:MM:SS`, with its SubSecTime
    /// (`.45`) where there is one, when present and sane.
    pub taken_at: Option<String>,
    /// How the decoded pixels were turned upright here (from the EXIF orientation, or a RAW
    /// file's); `NoTransforms` where they came upright (libheif, LibRaw's development).
    pub turned: Orientation,
}

impl DecodedPhoto {
    /// Original pixels per decoded pixel (>= 1 when decoded at reduced size).
    pub fn scale(&self) -> f32 {
        self.full_size.0 as f32 / self.pixels.width().max(1) as f32
    }
}

/// Decodes `bytes`. With `min_long_side`, a JPEG may be decoded at 1/2, 1/4 or 1/8 scale, a
/// HEIF file may give the thumbnail stored in it, and a camera RAW file its JPEG preview, as long
/// as the long side stays at least that (other formats decode at full size); without, at full
/// size.
pub fn decode(bytes: &[u8], min_long_side: Option<u32>) -> Result<DecodedPhoto, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let sniffed = sniff(bytes);
    // Camera RAW files are TIFF-shaped or of their own kinds: LibRaw tells which.
    let raw = match sniffed {
        Ok(Format::Image(ImageFormat::Tiff)) | Err(_) => open_raw(bytes)?,
        Ok(_) => None,
    };
    let (image, orientation, exif) = match raw {
        Some(raw) => decode_raw(raw, min_long_side)?,
        None => match sniffed? {
            Format::Heif(brand) => decode_heif(bytes, brand, min_long_side)?,
            Format::Image(ImageFormat::Jpeg) => decode_jpeg(bytes, min_long_side)?,
            Format::Image(format) => decode_other(bytes, format)?,
        },
    };
    let mut image = image;
    image.apply_orientation(orientation);
    let full_size = upright_size(exif.full_size, orientation);
    let pixels = image.into_rgb8();
    Ok(DecodedPhoto {
        pixels,
        full_size,
        taken_at: exif.taken_at,
        turned: orientation,
    })
}

/// When the photo at `path` was taken: from its EXIF alone, where the EXIF reader knows the
/// format and finds it (a few kilobytes read), else as a scan reads it (decoding it small);
/// `None` where the file says nothing or cannot be read.
pub fn taken_at_of(path: &Path) -> Option<String> {
    let exif = std::fs::File::open(path).ok().and_then(|file| {
        exif::Reader::new()
            .read_from_container(&mut std::io::BufReader::new(file))
            .ok()
    });
    if let Some(exif) = exif {
        return exif_fields(&exif).1;
    }
    let decoded = std::fs::read(path)
        .map_err(|err| err.to_string())
        .and_then(|bytes| decode(&bytes, Some(1)).map_err(|err| err.to_string()));
    match decoded {
        Ok(photo) => photo.taken_at,
        Err(err) => {
            tracing::debug!(photo = %path.display(), %err, "capture time not read");
            None
        }
    }
}

/// Shrinks `image` so its long side is at most `limit`, keeping the aspect ratio.
pub fn fit_within(image: RgbImage, limit: u32) -> RgbImage {
    match size_within(image.dimensions(), limit) {
        Some((w, h)) => resize(&image, w, h),
        None => image,
    }
}

/// `image` itself when its long side is at most `limit`, else a shrunk copy.
pub fn view_within(image: &RgbImage, limit: u32) -> Cow<'_, RgbImage> {
    match size_within(image.dimensions(), limit) {
        Some((w, h)) => Cow::Owned(resize(image, w, h)),
        None => Cow::Borrowed(image),
    }
}

/// The size that fits (w, h) within `limit` on the long side, or None when it already fits.
fn size_within((w, h): (u32, u32), limit: u32) -> Option<(u32, u32)> {
    let long = w.max(h);
    if long <= limit || limit == 0 {
        return None;
    }
    let k = limit as f64 / long as f64;
    let side = |v: u32| ((v as f64 * k).round() as u32).max(1);
    Some((side(w), side(h)))
}

/// `image` resampled to `width` x `height` with a bilinear (triangle) filter widened to the
/// scale, so that shrinking averages every source pixel. SIMD, several times faster than
/// `image::imageops::resize`, which took a third of a scan's time.
pub fn resize(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    let mut out = RgbImage::new(width.max(1), height.max(1));
    let options = fast_image_resize::ResizeOptions::new().resize_alg(
        fast_image_resize::ResizeAlg::Convolution(fast_image_resize::FilterType::Bilinear),
    );
    match fast_image_resize::Resizer::new().resize(image, &mut out, &options) {
        Ok(()) => out,
        // Only an empty source gets here (both sides are RGB8): nothing to resample.
        Err(e) => {
            tracing::debug!("resize of a {:?} image: {e}", image.dimensions());
            out
        }
    }
}

/// The formats this Kith reads on this computer, as a short text ("jpeg png ... libheif 1.15.1
/// heic avif"): a file that could not be read is read again once this changes.
pub fn readers() -> String {
    let mut readers = String::from("jpeg png webp tiff bmp gif");
    if let Some(libheif) = heif::support() {
        readers.push_str(" libheif ");
        readers.push_str(&libheif.version);
        for (format, read) in [("heic", libheif.heic), ("avif", libheif.avif)] {
            if read {
                readers.push(' ');
                readers.push_str(format);
            }
        }
    }
    if let Some(libraw) = raw::version() {
        readers.push_str(" libraw ");
        readers.push_str(&libraw);
    }
    readers
}

/// What decodes a file.
enum Format {
    /// HEIC/HEIF or AVIF, through the system's libheif.
    Heif(Brand),
    /// A format the `image` crate (or, for JPEG, `jpeg-decoder`) reads.
    Image(ImageFormat),
}

/// The real format from the content, not the name: a PNG called `.jpg` is a PNG.
fn sniff(bytes: &[u8]) -> Result<Format, DecodeError> {
    if let Some(brand) = container_brand(bytes) {
        return Ok(Format::Heif(brand));
    }
    match image::guess_format(bytes) {
        Ok(
            format @ (ImageFormat::Jpeg
            | ImageFormat::Png
            | ImageFormat::WebP
            | ImageFormat::Tiff
            | ImageFormat::Bmp
            | ImageFormat::Gif),
        ) => Ok(Format::Image(format)),
        Ok(ImageFormat::Avif) => Ok(Format::Heif(Brand::Avif)),
        Ok(_) => Err(DecodeError::Unsupported("this image format")),
        Err(_) => Err(DecodeError::NotAnImage),
    }
}

#[derive(Clone, Copy)]
enum Brand {
    Heif,
    Avif,
}

impl Brand {
    /// Why a file of this brand cannot be read here, given what libheif reads, if anything.
    fn unsupported(self, libheif: Option<heif::Support>) -> DecodeError {
        DecodeError::Unsupported(match (self, libheif) {
            (Brand::Heif, None) => "HEIC/HEIF (libheif is not installed)",
            (Brand::Avif, None) => "AVIF (libheif is not installed)",
            (Brand::Heif, Some(_)) => "HEIC/HEIF (this computer's libheif has no decoder for it)",
            (Brand::Avif, Some(_)) => "AVIF (this computer's libheif has no AV1 decoder)",
        })
    }
}

/// HEIC/HEIF and AVIF are ISO-BMFF files whose `ftyp` box names the brand.
fn container_brand(bytes: &[u8]) -> Option<Brand> {
    if bytes.len() < 12 || &bytes[4..8] != b"ftyp" {
        return None;
    }
    match &bytes[8..12] {
        b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" => {
            Some(Brand::Heif)
        }
        b"avif" | b"avis" => Some(Brand::Avif),
        _ => None,
    }
}

/// HEIF pixels come out of libheif upright when the file rotates them itself (see [`heif`]).
/// With `min_long_side`, a thumbnail stored in the file may stand in for the photo (see
/// [`heif::decode`]).
fn decode_heif(
    bytes: &[u8],
    brand: Brand,
    min_long_side: Option<u32>,
) -> Result<(DynamicImage, Orientation, Header), DecodeError> {
    let photo = heif::decode(bytes, MAX_PIXELS, min_long_side).map_err(|err| match err {
        HeifError::NoLibrary => brand.unsupported(None),
        HeifError::NoDecoder(reason) => {
            tracing::debug!("libheif: {reason}");
            brand.unsupported(heif::support())
        }
        HeifError::TooLarge { width, height } => DecodeError::TooLarge { width, height },
        HeifError::Damaged(reason) => DecodeError::Corrupt(format!("HEIF: {reason}")),
    })?;
    let (exif_orientation, taken_at) = photo
        .exif
        .as_deref()
        .map(read_exif)
        .unwrap_or((Orientation::NoTransforms, None));
    let orientation = match photo.transformed {
        true => Orientation::NoTransforms,
        false => exif_orientation,
    };
    let header = Header {
        full_size: photo.full_size,
        taken_at,
    };
    Ok((DynamicImage::ImageRgb8(photo.pixels), orientation, header))
}

/// `bytes` opened by LibRaw when they are a camera RAW file; an error only for a RAW file that
/// cannot be read.
fn open_raw(bytes: &[u8]) -> Result<Option<RawFile<'_>>, DecodeError> {
    match RawFile::open(bytes) {
        Ok(file) => Ok(Some(file)),
        Err(RawError::NotRaw) => Ok(None),
        Err(RawError::NoLibrary) if has_raw_signature(bytes) => Err(DecodeError::Unsupported(
            "camera RAW (LibRaw is not installed)",
        )),
        Err(RawError::Damaged(reason)) if has_raw_signature(bytes) => {
            Err(DecodeError::Corrupt(format!("RAW: {reason}")))
        }
        // LibRaw fails on anything too short to tell, a text file among them.
        Err(RawError::NoLibrary | RawError::Damaged(_)) => Ok(None),
    }
}

/// The RAW formats that open with a mark of their own (Canon, Fujifilm, Olympus, Panasonic);
/// the others are TIFF files that only LibRaw tells from a photo's.
fn has_raw_signature(bytes: &[u8]) -> bool {
    let at = |offset: usize, mark: &[u8]| bytes.get(offset..offset + mark.len()) == Some(mark);
    (at(0, b"II*\0") && at(8, b"CR"))
        || at(4, b"ftypcrx ")
        || at(6, b"HEAPCCDR")
        || at(0, b"FUJIFILMCCD-RAW")
        || [b"IIRO", b"IIRS", b"MMOR", b"IIU\0"]
            .iter()
            .any(|m| at(0, *m))
}

/// The camera's JPEG preview when it is at least `min_long_side` (or the whole photo) on the
/// long side and of the sensor's shape, else the sensor's data developed (see [`raw`]).
fn decode_raw(
    mut file: RawFile,
    min_long_side: Option<u32>,
) -> Result<(DynamicImage, Orientation, Header), DecodeError> {
    let stored = file.stored_size();
    check_size(stored.0, stored.1)?;
    let taken_at = file.taken_at();
    if let (Some(side), Some(orientation)) = (min_long_side, file.orientation()) {
        let wanted = side.min(stored.0.max(stored.1));
        let preview = file.preview().map(|jpeg| decode_jpeg(&jpeg, Some(wanted)));
        match preview {
            Some(Ok((image, _, preview))) if covers(preview.full_size, stored, wanted) => {
                // The preview's own EXIF orientation, where it has one, repeats the file's.
                let header = Header {
                    full_size: stored,
                    taken_at: taken_at.or(preview.taken_at),
                };
                return Ok((image, orientation, header));
            }
            Some(Ok((_, _, preview))) => {
                tracing::debug!(?preview.full_size, ?stored, "RAW preview too small: developed");
            }
            Some(Err(err)) => tracing::debug!("RAW preview unreadable ({err}): developed"),
            None => {}
        }
    }
    let pixels = file.develop().map_err(|err| match err {
        RawError::Damaged(reason) => DecodeError::Corrupt(format!("RAW: {reason}")),
        other => DecodeError::Corrupt(other.to_string()),
    })?;
    let header = Header {
        full_size: pixels.dimensions(),
        taken_at,
    };
    Ok((
        DynamicImage::ImageRgb8(pixels),
        Orientation::NoTransforms,
        header,
    ))
}

/// Whether a preview of `preview` pixels stands in for a sensor of `stored` ones when
/// `wanted` pixels are asked for on the long side: as long, and the same shape within 2%.
fn covers(preview: (u32, u32), stored: (u32, u32), wanted: u32) -> bool {
    let aspect = |(w, h): (u32, u32)| w as f64 / h.max(1) as f64;
    preview.0.max(preview.1) >= wanted && (aspect(preview) / aspect(stored) - 1.0).abs() < 0.02
}

/// What the EXIF block and header say, gathered before pixels are decoded.
struct Header {
    full_size: (u32, u32),
    taken_at: Option<String>,
}

fn check_size(width: u32, height: u32) -> Result<(), DecodeError> {
    if width as u64 * height as u64 > MAX_PIXELS {
        return Err(DecodeError::TooLarge { width, height });
    }
    Ok(())
}

fn decode_jpeg(
    bytes: &[u8],
    min_long_side: Option<u32>,
) -> Result<(DynamicImage, Orientation, Header), DecodeError> {
    let corrupt = |e: jpeg_decoder::Error| DecodeError::Corrupt(e.to_string());
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().map_err(corrupt)?;
    let info = decoder
        .info()
        .ok_or_else(|| DecodeError::Corrupt("no JPEG frame header".into()))?;
    let (width, height) = (info.width as u32, info.height as u32);
    check_size(width, height)?;
    let (orientation, taken_at) = decoder
        .exif_data()
        .map(read_exif)
        .unwrap_or((Orientation::NoTransforms, None));
    if let Some(limit) = min_long_side {
        // The decoder picks the smallest DCT scale whose output still covers the request.
        let long = width.max(height).max(1) as f64;
        let k = (limit as f64 / long).min(1.0);
        let req_w = ((width as f64 * k).ceil() as u32).clamp(1, u16::MAX as u32) as u16;
        let req_h = ((height as f64 * k).ceil() as u32).clamp(1, u16::MAX as u32) as u16;
        decoder.scale(req_w, req_h).map_err(corrupt)?;
    }
    let data = decoder.decode().map_err(corrupt)?;
    let info = decoder
        .info()
        .ok_or_else(|| DecodeError::Corrupt("no JPEG frame header".into()))?;
    let (w, h) = (info.width as u32, info.height as u32);
    let image = jpeg_pixels(data, w, h, info.pixel_format)?;
    let header = Header {
        full_size: (width, height),
        taken_at,
    };
    Ok((image, orientation, header))
}

fn jpeg_pixels(
    data: Vec<u8>,
    w: u32,
    h: u32,
    format: jpeg_decoder::PixelFormat,
) -> Result<DynamicImage, DecodeError> {
    use jpeg_decoder::PixelFormat;
    let short = || DecodeError::Corrupt("JPEG data ends early".into());
    let image = match format {
        PixelFormat::L8 => {
            DynamicImage::ImageLuma8(image::GrayImage::from_raw(w, h, data).ok_or_else(short)?)
        }
        PixelFormat::L16 => {
            // jpeg-decoder hands 16-bit samples out big-endian.
            let samples = data.chunks_exact(2).map(|c| c[0]).collect();
            DynamicImage::ImageLuma8(image::GrayImage::from_raw(w, h, samples).ok_or_else(short)?)
        }
        PixelFormat::RGB24 => {
            DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, data).ok_or_else(short)?)
        }
        PixelFormat::CMYK32 => {
            // jpeg-decoder has already undone Adobe's inversion: plain CMYK with 255 = full ink.
            let rgb = data
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = 255 - p[3] as u16;
                    [0, 1, 2].map(|i| ((255 - p[i] as u16) * k / 255) as u8)
                })
                .collect();
            DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, rgb).ok_or_else(short)?)
        }
    };
    Ok(image)
}

fn decode_other(
    bytes: &[u8],
    format: ImageFormat,
) -> Result<(DynamicImage, Orientation, Header), DecodeError> {
    let corrupt = |e: image::ImageError| match e {
        image::ImageError::Unsupported(u) => {
            DecodeError::Corrupt(format!("unsupported variant: {u}"))
        }
        image::ImageError::Limits(_) => DecodeError::Corrupt("over the memory limit".into()),
        other => DecodeError::Corrupt(other.to_string()),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 8);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    check_size(width, height)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let taken_at = decoder
        .exif_metadata()
        .ok()
        .flatten()
        .and_then(|raw| read_exif(&raw).1);
    let image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    let header = Header {
        full_size: (width, height),
        taken_at,
    };
    Ok((image, orientation, header))
}

fn upright_size((w, h): (u32, u32), orientation: Orientation) -> (u32, u32) {
    match orientation {
        Orientation::Rotate90
        | Orientation::Rotate270
        | Orientation::Rotate90FlipH
        | Orientation::Rotate270FlipH => (h, w),
        _ => (w, h),
    }
}

/// Orientation and capture date from a raw TIFF-structured EXIF block.
fn read_exif(raw: &[u8]) -> (Orientation, Option<String>) {
    match exif::Reader::new().read_raw(raw.to_vec()) {
        Ok(exif) => exif_fields(&exif),
        Err(_) => (Orientation::NoTransforms, None),
    }
}

/// Orientation and capture date (with the fraction of its second, where recorded) from EXIF.
fn exif_fields(exif: &exif::Exif) -> (Orientation, Option<String>) {
    let orientation = exif
        .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|v| u8::try_from(v).ok())
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms);
    let ascii = |tag| match &exif.get_field(tag, exif::In::PRIMARY)?.value {
        exif::Value::Ascii(parts) => parts.first().map(Vec::as_slice),
        _ => None,
    };
    let taken_at = [
        (exif::Tag::DateTimeOriginal, exif::Tag::SubSecTimeOriginal),
        (exif::Tag::DateTime, exif::Tag::SubSecTime),
    ]
    .into_iter()
    .find_map(|(date, fraction)| {
        let time = exif_date(ascii(date)?)?;
        Some(match ascii(fraction) {
            Some(digits) => super::capture_time::with_fraction(time, digits),
            None => time,
        })
    });
    (orientation, taken_at)
}

/// `2019:07:14 18:03:22` -> `2019-07-14T18:03:22`; cameras write zeros or blanks when unset.
fn exif_date(raw: &[u8]) -> Option<String> {
    let dt = exif::DateTime::from_ascii(raw).ok()?;
    if dt.year < 1800 || dt.month == 0 || dt.day == 0 {
        return None;
    }
    Some(super::capture_time::written(
        [u32::from(dt.year), u32::from(dt.month), u32::from(dt.day)],
        [
            u32::from(dt.hour),
            u32::from(dt.minute),
            u32::from(dt.second),
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_bytes(image: &RgbImage) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image
            .write_to(&mut out, ImageFormat::Png)
            .expect("encode png");
        out.into_inner()
    }

    #[test]
    fn empty_and_text_files_are_told_apart() {
        assert!(matches!(decode(b"", None), Err(DecodeError::Empty)));
        assert!(matches!(
            decode(b"hello, this is not a photo\n", None),
            Err(DecodeError::NotAnImage)
        ));
    }

    #[test]
    fn avif_without_an_av1_decoder_is_named_unsupported() {
        let err = Brand::Avif.unsupported(heif::support());
        assert_eq!(err.kind(), "unsupported");
        assert!(err.to_string().contains("AVIF"), "{err}");
        assert!(Brand::Avif
            .unsupported(None)
            .to_string()
            .contains("not installed"));
    }

    #[test]
    fn jpeg_is_decoded_at_the_smallest_dct_scale_that_covers_the_request() {
        let image = RgbImage::from_fn(800, 400, |x, y| image::Rgb([x as u8, y as u8, 90]));
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut bytes)
            .encode_image(&image)
            .expect("encode jpeg");
        let quarter = decode(&bytes, Some(200)).expect("decodes");
        assert_eq!(quarter.pixels.dimensions(), (200, 100));
        assert_eq!(quarter.full_size, (800, 400));
        assert!((quarter.scale() - 4.0).abs() < 1e-6);
        let half = decode(&bytes, Some(300)).expect("decodes");
        assert_eq!(half.pixels.dimensions(), (400, 200));
        let full = decode(&bytes, None).expect("decodes");
        assert_eq!(full.pixels.dimensions(), (800, 400));
    }

    #[test]
    fn fit_within_shrinks_and_never_grows() {
        let image = RgbImage::from_pixel(400, 100, image::Rgb([9, 9, 9]));
        assert_eq!(fit_within(image.clone(), 200).dimensions(), (200, 50));
        assert_eq!(fit_within(image, 1000).dimensions(), (400, 100));
    }

    #[test]
    fn other_formats_decode_at_full_size() {
        let image = RgbImage::from_pixel(400, 100, image::Rgb([9, 9, 9]));
        let photo = decode(&png_bytes(&image), Some(100)).expect("decodes");
        assert_eq!(photo.pixels.dimensions(), (400, 100));
    }

    #[test]
    fn a_raw_preview_stands_in_only_when_large_enough_and_of_the_sensors_shape() {
        let sensor = (6000, 4000);
        assert!(covers((1616, 1080), sensor, 1024));
        assert!(!covers((1616, 1080), sensor, 3000));
        assert!(covers((6000, 4000), sensor, 3000));
        // A 16:9 preview of a 3:2 sensor leaves part of the photo out.
        assert!(!covers((1920, 1080), sensor, 1024));
    }

    #[test]
    fn raw_formats_with_a_mark_of_their_own_are_known_without_libraw() {
        let tiff_cr2 = b"II*\0\x10\0\0\0CR\x02\0";
        assert!(has_raw_signature(tiff_cr2));
        assert!(has_raw_signature(b"\0\0\0\x18ftypcrx \0\0\0\x01"));
        assert!(has_raw_signature(b"FUJIFILMCCD-RAW 0201"));
        assert!(has_raw_signature(b"IIRO\x08\0\0\0"));
        // A plain TIFF is no RAW by its first bytes (DNG, NEF and ARW are told apart by LibRaw).
        assert!(!has_raw_signature(b"II*\0\x08\0\0\0\0\0\0\0"));
        assert!(!has_raw_signature(b"CR"));
    }

    #[test]
    fn a_capture_time_is_read_from_the_exif_alone() {
        use exif::{Field, In, Tag, Value};
        use image::ImageEncoder;
        let ascii = |tag, text: &str| Field {
            tag,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![text.as_bytes().to_vec()]),
        };
        let fields = [
            ascii(Tag::DateTimeOriginal, "2019:07:14 18:03:22"),
            ascii(Tag::SubSecTimeOriginal, "45"),
        ];
        let mut writer = exif::experimental::Writer::new();
        for field in &fields {
            writer.push_field(field);
        }
        let mut tiff = Cursor::new(Vec::new());
        writer.write(&mut tiff, false).expect("exif");
        let photo = RgbImage::from_pixel(64, 48, image::Rgb([90, 120, 150]));
        let mut jpeg = Vec::new();
        let mut encoder = image::codecs::jpeg::JpegEncoder::new(&mut jpeg);
        encoder
            .set_exif_metadata(tiff.into_inner())
            .expect("exif accepted");
        encoder
            .write_image(photo.as_raw(), 64, 48, image::ExtendedColorType::Rgb8)
            .expect("encode");
        // Cut short, the photo no longer decodes: the time comes from its header.
        let dir = tempfile::tempdir().expect("tempdir");
        let cut = dir.path().join("cut.jpg");
        std::fs::write(&cut, &jpeg[..jpeg.len() * 2 / 3]).expect("write");
        assert!(decode(&std::fs::read(&cut).expect("read"), None).is_err());
        assert_eq!(taken_at_of(&cut).as_deref(), Some("2019-07-14T18:03:22.45"));
        assert_eq!(taken_at_of(&dir.path().join("gone.jpg")), None);
    }

    #[test]
    fn exif_dates_are_normalised_and_blank_ones_dropped() {
        assert_eq!(
            exif_date(b"2019:07:14 18:03:22").as_deref(),
            Some("2019-07-14T18:03:22")
        );
        assert_eq!(exif_date(b"0000:00:00 00:00:00"), None);
    }
}
