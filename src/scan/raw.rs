//! Camera RAW photos (DNG, CR2, CR3, NEF, ARW, RAF, ORF, RW2, PEF, ...), read by the LibRaw
//! already on the computer (opened at run time, see [`super::system_library`]).
//!
//! A RAW file holds the sensor's data and, from nearly every camera, a JPEG preview the camera
//! made from it: full size from most, 1,600 px or so from some. Finding faces needs no more
//! than that preview, which decodes a hundred times faster than the sensor data can be
//! developed, so [`RawFile::preview`] is offered first and [`RawFile::develop`] is the
//! fallback for files whose preview is missing or too small for what the caller asks.
//!
//! The preview is stored as the camera was held and the file says how to turn it (LibRaw's
//! `flip`), while developed pixels come out of LibRaw already turned.

use std::ffi::{c_char, c_int, c_uint, c_void, CStr};
use std::sync::{Mutex, OnceLock};

use image::metadata::Orientation;
use image::RgbImage;

use super::system_library::{open_first, system_functions};

#[derive(Debug, thiserror::Error)]
pub enum RawError {
    #[error("LibRaw, which reads camera RAW files, was not found on this computer")]
    NoLibrary,
    #[error("not a RAW file LibRaw knows")]
    NotRaw,
    #[error("{0}")]
    Damaged(String),
}

/// The LibRaw on this computer, by its version ("0.20.2"), or `None` when none was found.
pub fn version() -> Option<String> {
    let lib = LibRaw::get().ok()?;
    // SAFETY: libraw_version returns a static NUL-terminated string.
    let version = unsafe { CStr::from_ptr((lib.version)()) };
    let version = version.to_string_lossy();
    Some(version.trim_end_matches("-Release").to_owned())
}

/// One sentence for the user on whether RAW photos are read here, and how to read them if not.
pub fn describe(version: Option<&str>) -> String {
    match version {
        Some(version) => format!("Camera RAW photos are read with LibRaw {version}"),
        None => "Camera RAW photos cannot be read: LibRaw was not found on this computer \
                 (Debian, Ubuntu: install libraw23, or libraw20 on older releases; macOS: \
                 brew install libraw). The next scan reads them once it is there."
            .into(),
    }
}

/// A RAW file opened by LibRaw; it reads from the caller's bytes, which it borrows.
pub struct RawFile<'a> {
    data: *mut Data,
    lib: &'static LibRaw,
    _bytes: std::marker::PhantomData<&'a [u8]>,
}

impl<'a> RawFile<'a> {
    /// Opens `bytes` when LibRaw recognises a camera's RAW file in them; only the headers are
    /// read here.
    pub fn open(bytes: &'a [u8]) -> Result<Self, RawError> {
        let lib = LibRaw::get()?;
        // SAFETY: no preconditions; a null return means out of memory.
        let data = unsafe { (lib.init)(0) };
        if data.is_null() {
            return Err(RawError::Damaged("LibRaw could not start".into()));
        }
        let file = RawFile {
            data,
            lib,
            _bytes: std::marker::PhantomData,
        };
        // SAFETY: LibRaw only reads the buffer, which outlives `file` ('a).
        let opened = unsafe { (lib.open_buffer)(data, bytes.as_ptr().cast(), bytes.len()) };
        match opened {
            SUCCESS => Ok(file),
            FILE_UNSUPPORTED => Err(RawError::NotRaw),
            code => Err(file.error(code)),
        }
    }

    /// The size of the developed photo, as stored (before [`RawFile::orientation`]).
    pub fn stored_size(&self) -> (u32, u32) {
        // SAFETY: the handle holds an opened file.
        let (width, height) = unsafe {
            (
                (self.lib.get_iwidth)(self.data),
                (self.lib.get_iheight)(self.data),
            )
        };
        (width.max(0) as u32, height.max(0) as u32)
    }

    /// How the stored pixels are turned to be upright, as the camera recorded it; `None` when
    /// this LibRaw's layout is not the one read here (see [`LibRaw::flip`]).
    pub fn orientation(&self) -> Option<Orientation> {
        self.lib.flip(self.data).map(|flip| match flip {
            1 => Orientation::FlipHorizontal,
            2 => Orientation::FlipVertical,
            3 => Orientation::Rotate180,
            4 => Orientation::Rotate90FlipH,
            5 => Orientation::Rotate270,
            6 => Orientation::Rotate90,
            7 => Orientation::Rotate270FlipH,
            _ => Orientation::NoTransforms,
        })
    }

    /// When the photo was taken, as the camera's clock said (`YYYY-MM-DDTHH:MM:SS`).
    pub fn taken_at(&self) -> Option<String> {
        // SAFETY: the handle holds an opened file; `other` lives as long as it.
        let other = unsafe { (self.lib.get_imgother)(self.data) };
        // SAFETY: libraw_imgother_t begins with four floats, then the time_t timestamp.
        let timestamp = unsafe { other.as_ref()?.timestamp };
        // LibRaw made it from the EXIF date with `mktime`, that is in local time: turned back
        // into local time, it is the date and time the camera's clock showed.
        #[allow(
            clippy::useless_conversion,
            reason = "time_t is 32 bits on some targets"
        )]
        super::capture_time::local(i64::from(timestamp))
    }

    /// The camera's JPEG preview, as stored (not turned), when the file has one.
    pub fn preview(&mut self) -> Option<Vec<u8>> {
        let lib = self.lib;
        // SAFETY: the handle holds an opened file.
        let unpacked = unsafe { (lib.unpack_thumb)(self.data) };
        if unpacked != SUCCESS {
            tracing::debug!("no RAW preview: {}", lib.message(unpacked));
            return None;
        }
        let thumbnail = self.processed(lib.dcraw_make_mem_thumb)?;
        (thumbnail.kind() == IMAGE_JPEG).then(|| thumbnail.data().to_vec())
    }

    /// The sensor's data developed into upright sRGB pixels, in the camera's white balance.
    /// A 24-megapixel file takes a second or two and some 400 MB, so one file is developed at
    /// a time, whatever the number of scan threads.
    pub fn develop(&mut self) -> Result<RgbImage, RawError> {
        static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let lib = self.lib;
        // SAFETY: the handle holds an opened file; the setters take plain values.
        unsafe {
            for channel in 0..4 {
                let as_shot = (lib.get_cam_mul)(self.data, channel);
                if as_shot > 0.0 {
                    (lib.set_user_mul)(self.data, channel, as_shot);
                }
            }
            // Bilinear demosaicing: faces are found at a fraction of the sensor's resolution.
            (lib.set_demosaic)(self.data, 0);
        }
        // SAFETY: as above; unpack reads the sensor data, dcraw_process develops it.
        let status = unsafe {
            match (lib.unpack)(self.data) {
                SUCCESS => (lib.dcraw_process)(self.data),
                failed => failed,
            }
        };
        if status != SUCCESS {
            return Err(self.error(status));
        }
        let developed = self
            .processed(lib.dcraw_make_mem_image)
            .ok_or_else(|| RawError::Damaged("LibRaw developed no pixels".into()))?;
        developed.rgb()
    }

    /// What `make` (LibRaw's `dcraw_make_mem_*`) returns, freed on drop.
    fn processed(
        &self,
        make: unsafe extern "C" fn(*mut Data, *mut c_int) -> *mut Processed,
    ) -> Option<ProcessedImage> {
        let mut status = SUCCESS;
        // SAFETY: the handle holds an unpacked file; `status` receives the error code.
        let image = unsafe { make(self.data, &mut status) };
        if image.is_null() || status != SUCCESS {
            tracing::debug!("LibRaw made no image: {}", self.lib.message(status));
            return None;
        }
        Some(ProcessedImage {
            image,
            lib: self.lib,
        })
    }

    fn error(&self, code: c_int) -> RawError {
        RawError::Damaged(self.lib.message(code))
    }
}

impl Drop for RawFile<'_> {
    fn drop(&mut self) {
        // SAFETY: allocated by libraw_init, closed once.
        unsafe { (self.lib.close)(self.data) }
    }
}

/// A `libraw_processed_image_t`: a JPEG's bytes, or 8-bit pixels, freed on drop.
struct ProcessedImage {
    image: *mut Processed,
    lib: &'static LibRaw,
}

impl ProcessedImage {
    fn header(&self) -> &Processed {
        // SAFETY: non-null, from LibRaw, alive until drop.
        unsafe { &*self.image }
    }

    fn kind(&self) -> c_int {
        self.header().kind
    }

    fn data(&self) -> &[u8] {
        let size = self.header().data_size as usize;
        // SAFETY: LibRaw allocates `data_size` bytes from the `data` member on.
        unsafe { std::slice::from_raw_parts(std::ptr::addr_of!((*self.image).data).cast(), size) }
    }

    fn rgb(&self) -> Result<RgbImage, RawError> {
        let header = self.header();
        let (width, height) = (header.width as u32, header.height as u32);
        if self.kind() != IMAGE_BITMAP || header.colors != 3 || header.bits != 8 {
            return Err(RawError::Damaged(format!(
                "LibRaw developed {} colours of {} bits",
                header.colors, header.bits
            )));
        }
        RgbImage::from_raw(width, height, self.data().to_vec())
            .ok_or_else(|| RawError::Damaged("LibRaw developed a short image".into()))
    }
}

impl Drop for ProcessedImage {
    fn drop(&mut self) {
        // SAFETY: from dcraw_make_mem_*, freed once.
        unsafe { (self.lib.dcraw_clear_mem)(self.image) }
    }
}

const SUCCESS: c_int = 0;
const FILE_UNSUPPORTED: c_int = -2;
const IMAGE_JPEG: c_int = 1;
const IMAGE_BITMAP: c_int = 2;

/// `libraw_data_t`, LibRaw's handle; read only through its functions, but for [`LibRaw::flip`].
type Data = c_void;

/// The head of `libraw_processed_image_t`.
#[repr(C)]
struct Processed {
    kind: c_int,
    height: u16,
    width: u16,
    colors: u16,
    bits: u16,
    data_size: c_uint,
    data: [u8; 1],
}

/// The head of `libraw_imgother_t`.
#[repr(C)]
struct ImageOther {
    iso_speed: f32,
    shutter: f32,
    aperture: f32,
    focal_len: f32,
    #[cfg(unix)]
    timestamp: libc::time_t,
    #[cfg(not(unix))]
    timestamp: i64,
}

system_functions! {
    /// The entry points of LibRaw that Kith calls, resolved once.
    struct LibRaw, prefix "libraw_" {
        version: fn() -> *const c_char;
        strerror: fn(c_int) -> *const c_char;
        init: fn(c_uint) -> *mut Data;
        open_buffer: fn(*mut Data, *const c_void, usize) -> c_int;
        unpack: fn(*mut Data) -> c_int;
        unpack_thumb: fn(*mut Data) -> c_int;
        dcraw_process: fn(*mut Data) -> c_int;
        dcraw_make_mem_image: fn(*mut Data, *mut c_int) -> *mut Processed;
        dcraw_make_mem_thumb: fn(*mut Data, *mut c_int) -> *mut Processed;
        dcraw_clear_mem: fn(*mut Processed);
        close: fn(*mut Data);
        get_raw_width: fn(*mut Data) -> c_int;
        get_raw_height: fn(*mut Data) -> c_int;
        get_iwidth: fn(*mut Data) -> c_int;
        get_iheight: fn(*mut Data) -> c_int;
        get_cam_mul: fn(*mut Data, c_int) -> f32;
        get_imgother: fn(*mut Data) -> *const ImageOther;
        set_user_mul: fn(*mut Data, c_int, f32);
        set_demosaic: fn(*mut Data, c_int);
    }
}

/// The names LibRaw's thread-safe library has on each platform, newest first.
#[cfg(target_os = "macos")]
const LIBRARY_NAMES: &[&str] = &[
    "libraw_r.23.dylib",
    "/opt/homebrew/lib/libraw_r.dylib",
    "/usr/local/lib/libraw_r.dylib",
];
#[cfg(windows)]
const LIBRARY_NAMES: &[&str] = &["libraw.dll"];
#[cfg(not(any(target_os = "macos", windows)))]
const LIBRARY_NAMES: &[&str] = &[
    "libraw_r.so.24",
    "libraw_r.so.23",
    "libraw_r.so.20",
    "libraw_r.so.19",
    "libraw_r.so",
];

/// Where `sizes` sits in `libraw_data_t`: after the `image` pointer, aligned for its double.
const SIZES_OFFSET: usize = 8;

impl LibRaw {
    fn get() -> Result<&'static LibRaw, RawError> {
        static LIBRAW: OnceLock<Option<LibRaw>> = OnceLock::new();
        LIBRAW
            .get_or_init(|| open_first(LIBRARY_NAMES, Self::resolve, "RAW photos are skipped"))
            .as_ref()
            .ok_or(RawError::NoLibrary)
    }

    fn message(&self, code: c_int) -> String {
        // SAFETY: libraw_strerror returns a static NUL-terminated string for any code.
        let text = unsafe { (self.strerror)(code) };
        if text.is_null() {
            return format!("LibRaw error {code}");
        }
        // SAFETY: checked non-null above.
        unsafe { CStr::from_ptr(text) }
            .to_string_lossy()
            .into_owned()
    }

    /// `sizes.flip`, which LibRaw has no function for. `libraw_image_sizes_t` has begun with
    /// the same fields from 0.19 to 0.21 (raw_height, raw_width, height, width, top_margin,
    /// left_margin, iheight, iwidth as u16, raw_pitch as u32, pixel_aspect as f64, then flip);
    /// the four sizes LibRaw does have functions for are checked against their places first.
    fn flip(&self, data: *mut Data) -> Option<c_int> {
        let sizes = data.cast::<u8>().wrapping_add(SIZES_OFFSET);
        // SAFETY: `data` is an opened handle, far larger than the 40 bytes read here.
        let (fields, flip) = unsafe {
            let field = |index: usize| sizes.cast::<u16>().add(index).read_unaligned();
            (
                [field(0), field(1), field(6), field(7)],
                sizes.add(32).cast::<c_int>().read_unaligned(),
            )
        };
        // SAFETY: the handle is opened.
        let expected = unsafe {
            [
                (self.get_raw_height)(data),
                (self.get_raw_width)(data),
                (self.get_iheight)(data),
                (self.get_iwidth)(data),
            ]
        };
        let matches = fields
            .iter()
            .zip(expected)
            .all(|(&field, size)| field as c_int == size);
        if !matches {
            tracing::warn!(
                "this LibRaw lays its sizes out unlike 0.19 to 0.21: RAW previews unused"
            );
            return None;
        }
        Some(flip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_is_told_whether_raw_photos_are_read_and_what_to_install() {
        assert_eq!(
            describe(Some("0.21.2")),
            "Camera RAW photos are read with LibRaw 0.21.2"
        );
        let missing = describe(None);
        assert!(missing.contains("LibRaw was not found"), "{missing}");
        assert!(missing.contains("libraw23"), "{missing}");
    }

    #[test]
    fn a_photo_saved_as_tiff_is_not_raw() {
        assert!(
            version().is_some(),
            "LibRaw (Debian: libraw20 or libraw23) reads RAW"
        );
        let photo = RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut tiff = std::io::Cursor::new(Vec::new());
        photo
            .write_to(&mut tiff, image::ImageFormat::Tiff)
            .expect("tiff");
        assert!(matches!(
            RawFile::open(tiff.get_ref()),
            Err(RawError::NotRaw)
        ));
    }
}
