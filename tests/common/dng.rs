//! Camera RAW test photos, made from ordinary ones: a DNG whose sensor data is the photo's
//! pixels laid out as a Bayer mosaic (RGGB, linear light, 16 bits), as a camera's sensor
//! records them, optionally with the camera's JPEG preview beside it and an orientation tag.
//! LibRaw reads these as it reads a camera's files: DNG is the open RAW format many cameras
//! write, and the others hold the same parts (mosaic, preview, orientation) in their own layouts.

use std::io::Cursor;

use image::RgbImage;
use tiff::encoder::{Rational, SRational, TiffEncoder};
use tiff::tags::Tag;

/// What goes into the DNG besides the mosaic.
pub struct Dng<'a> {
    /// The EXIF orientation the camera recorded (1: upright, 6: turned a quarter clockwise to view).
    pub orientation: u16,
    /// A JPEG preview of the stored (not yet turned) pixels, as cameras embed one.
    pub preview: Option<&'a [u8]>,
    /// `YYYY:MM:DD HH:MM:SS`, as EXIF writes dates.
    pub taken: &'a str,
}

/// `stored`, the pixels as the sensor held them (before the orientation is applied), as a DNG.
pub fn dng(stored: &RgbImage, options: &Dng) -> Vec<u8> {
    let (width, height) = stored.dimensions();
    let mosaic: Vec<u16> = stored
        .enumerate_pixels()
        .map(|(x, y, p)| {
            // RGGB: red on even rows and columns, blue on odd ones, green between.
            let channel = match (y % 2, x % 2) {
                (0, 0) => 0,
                (1, 1) => 2,
                _ => 1,
            };
            (srgb_to_linear(p[channel]) * 65535.0).round() as u16
        })
        .collect();
    let mut out = Cursor::new(Vec::new());
    let mut tiff = TiffEncoder::new(&mut out).expect("tiff encoder");
    let mut raw = tiff.image_directory().expect("raw directory");
    let data = raw.write_data(&mosaic[..]).expect("mosaic");
    raw.write_tag(Tag::NewSubfileType, 0u32).expect("tag");
    raw.write_tag(Tag::ImageWidth, width).expect("tag");
    raw.write_tag(Tag::ImageLength, height).expect("tag");
    raw.write_tag(Tag::BitsPerSample, 16u16).expect("tag");
    raw.write_tag(Tag::Compression, 1u16).expect("tag");
    raw.write_tag(Tag::PhotometricInterpretation, 32803u16)
        .expect("tag"); // colour filter array
    raw.write_tag(Tag::Make, "Kith").expect("tag");
    raw.write_tag(Tag::Model, "Test Mosaic").expect("tag");
    raw.write_tag(Tag::StripOffsets, data as u32).expect("tag");
    raw.write_tag(Tag::Orientation, options.orientation)
        .expect("tag");
    raw.write_tag(Tag::SamplesPerPixel, 1u16).expect("tag");
    raw.write_tag(Tag::RowsPerStrip, height).expect("tag");
    raw.write_tag(Tag::StripByteCounts, width * height * 2)
        .expect("tag");
    raw.write_tag(Tag::PlanarConfiguration, 1u16).expect("tag");
    raw.write_tag(Tag::DateTime, options.taken).expect("tag");
    raw.write_tag(Tag::Unknown(33421), &[2u16, 2][..])
        .expect("CFARepeatPatternDim");
    raw.write_tag(Tag::Unknown(33422), &[0u8, 1, 1, 2][..])
        .expect("CFAPattern");
    raw.write_tag(Tag::Unknown(50706), &[1u8, 4, 0, 0][..])
        .expect("DNGVersion");
    raw.write_tag(Tag::Unknown(50707), &[1u8, 1, 0, 0][..])
        .expect("DNGBackwardVersion");
    raw.write_tag(Tag::Unknown(50708), "Kith Test Mosaic")
        .expect("UniqueCameraModel");
    raw.write_tag(Tag::Unknown(50714), 0u16)
        .expect("BlackLevel");
    raw.write_tag(Tag::Unknown(50717), 65535u32)
        .expect("WhiteLevel");
    // The sensor's colours are linear sRGB's: ColorMatrix1 maps XYZ to them under D65.
    let xyz_to_srgb = [
        3.2406, -1.5372, -0.4986, -0.9689, 1.8758, 0.0415, 0.0557, -0.2040, 1.0570,
    ]
    .map(|v: f64| SRational {
        n: (v * 10_000.0).round() as i32,
        d: 10_000,
    });
    raw.write_tag(Tag::Unknown(50721), &xyz_to_srgb[..])
        .expect("ColorMatrix1");
    raw.write_tag(Tag::Unknown(50778), 21u16)
        .expect("CalibrationIlluminant1"); // D65
    let neutral = [1, 1, 1].map(|n| Rational { n, d: 1 });
    raw.write_tag(Tag::Unknown(50728), &neutral[..])
        .expect("AsShotNeutral");
    raw.finish().expect("raw directory");

    if let Some(jpeg) = options.preview {
        let (w, h) = image::load_from_memory(jpeg)
            .expect("preview decodes")
            .to_rgb8()
            .dimensions();
        let mut preview = tiff.image_directory().expect("preview directory");
        let data = preview.write_data(jpeg).expect("preview");
        preview.write_tag(Tag::NewSubfileType, 1u32).expect("tag");
        preview.write_tag(Tag::ImageWidth, w).expect("tag");
        preview.write_tag(Tag::ImageLength, h).expect("tag");
        preview
            .write_tag(Tag::BitsPerSample, &[8u16, 8, 8][..])
            .expect("tag");
        preview.write_tag(Tag::Compression, 7u16).expect("tag");
        preview
            .write_tag(Tag::PhotometricInterpretation, 6u16)
            .expect("tag");
        preview
            .write_tag(Tag::StripOffsets, data as u32)
            .expect("tag");
        preview.write_tag(Tag::SamplesPerPixel, 3u16).expect("tag");
        preview.write_tag(Tag::RowsPerStrip, h).expect("tag");
        preview
            .write_tag(Tag::StripByteCounts, jpeg.len() as u32)
            .expect("tag");
        preview.finish().expect("preview directory");
    }
    out.into_inner()
}

fn srgb_to_linear(v: u8) -> f64 {
    let v = v as f64 / 255.0;
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}
