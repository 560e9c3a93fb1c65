//! HEIC/HEIF photos, what phones save by default, and AVIF ones, decoded by the libheif already on
//! the computer. Both are HEIF containers: HEIC holds HEVC pictures, AVIF AV1 ones, and libheif
//! reads each where it has a decoder for it.
//!
//! libheif is opened at run time (see [`super::system_library`]) and whatever version the system
//! has is taken: the few calls used here have kept their signatures through libheif 1.x.
//!
//! libheif applies the file's own rotation and mirroring (`irot`/`imir`) while decoding, and a
//! phone's EXIF orientation only repeats them. Some encoders (libheif's own `heif-enc` 1.15
//! among them) write no `irot` and keep the camera's EXIF orientation instead, so the caller
//! applies the EXIF orientation only to files without those boxes ([`HeifPhoto::transformed`]).

use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::OnceLock;

use image::RgbImage;

use super::system_library::{open_first, system_functions};

/// What [`decode`] returns: upright pixels and the raw EXIF block (TIFF header first), if any.
pub struct HeifPhoto {
    /// The primary image, or a thumbnail stored with it when that was asked for and is enough.
    pub pixels: RgbImage,
    /// The primary image's size, with the file's own rotation applied.
    pub full_size: (u32, u32),
    pub exif: Option<Vec<u8>>,
    /// The file rotates or mirrors its image itself, and libheif has done so.
    pub transformed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum HeifError {
    #[error("libheif, which decodes HEIC/HEIF and AVIF, was not found on this computer")]
    NoLibrary,
    #[error("the libheif on this computer cannot decode this file: {0}")]
    NoDecoder(String),
    #[error("{0}")]
    Damaged(String),
    #[error("{width}x{height}")]
    TooLarge { width: u32, height: u32 },
}

/// What the libheif on this computer reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Support {
    /// Its version ("1.15.1").
    pub version: String,
    /// It has an HEVC decoder, for HEIC.
    pub heic: bool,
    /// It has an AV1 decoder, for AVIF.
    pub avif: bool,
}

impl Support {
    /// The formats read, as users name them ("HEIC and AVIF"), or `None` for neither.
    pub fn formats(&self) -> Option<&'static str> {
        match (self.heic, self.avif) {
            (true, true) => Some("HEIC and AVIF"),
            (true, false) => Some("HEIC"),
            (false, true) => Some("AVIF"),
            (false, false) => None,
        }
    }
}

/// One sentence for the user on which of HEIC and AVIF are read here, and how to read the rest.
pub fn describe(support: Option<&Support>) -> String {
    const INSTALL: &str = "Debian, Ubuntu: install libheif1 and libheif-plugin-libde265 or \
                           libheif-plugin-dav1d where they exist; macOS: brew install libheif";
    match support.map(|s| (s, s.formats())) {
        None => format!(
            "HEIC and AVIF photos cannot be read: libheif was not found on this computer \
             ({INSTALL}). The next scan reads them once it is there."
        ),
        Some((s, Some(read))) if s.heic && s.avif => {
            format!("{read} photos are read with libheif {}", s.version)
        }
        Some((s, read)) => {
            let missing = if s.heic {
                "AVIF"
            } else if s.avif {
                "HEIC"
            } else {
                "HEIC and AVIF"
            };
            let read = read.map(|r| format!("{r} photos are read with libheif {}; ", s.version));
            format!(
                "{}{missing} photos cannot be read: libheif {} has no decoder for them \
                 ({INSTALL}). The next scan reads them once it has.",
                read.unwrap_or_default(),
                s.version
            )
        }
    }
}

/// What libheif reads here, or `None` when none was found.
pub fn support() -> Option<Support> {
    let lib = Libheif::get().ok()?;
    // SAFETY: heif_get_version returns a static NUL-terminated string.
    let version = unsafe { CStr::from_ptr((lib.get_version)()) };
    // SAFETY: heif_have_decoder_for_format takes a `heif_compression_format` by value.
    let has = |format| unsafe { (lib.have_decoder_for_format)(format) } != 0;
    Some(Support {
        version: version.to_string_lossy().into_owned(),
        heic: has(COMPRESSION_HEVC),
        avif: has(COMPRESSION_AV1),
    })
}

/// Decodes the primary image of a HEIF file held in `bytes`, refusing images over `max_pixels`
/// before any pixel is decoded. With `min_long_side`, the smallest thumbnail the file holds
/// that is at least that long is decoded instead, when there is one: a 320 px thumbnail of a
/// 12 MP photo decodes in 8 ms instead of 440.
pub fn decode(
    bytes: &[u8],
    max_pixels: u64,
    min_long_side: Option<u32>,
) -> Result<HeifPhoto, HeifError> {
    let lib = Libheif::get()?;
    let context = Context::new(lib)?;
    // SAFETY: `bytes` outlives `context`, which is dropped at the end of this function.
    lib.check(unsafe {
        (lib.context_read_from_memory_without_copy)(
            context.0,
            bytes.as_ptr().cast(),
            bytes.len(),
            std::ptr::null(),
        )
    })?;
    let handle = context.primary_image()?;
    let (width, height) = handle.size();
    if width as u64 * height as u64 > max_pixels {
        return Err(HeifError::TooLarge { width, height });
    }
    let exif = handle.exif();
    let thumbnail = min_long_side.and_then(|side| handle.thumbnail_at_least(side));
    let pixels = thumbnail.as_ref().unwrap_or(&handle).decode_rgb()?;
    Ok(HeifPhoto {
        pixels,
        full_size: (width, height),
        exif,
        transformed: has_transformations(bytes),
    })
}

/// Whether the file's item properties (`meta` > `iprp` > `ipco`) hold a rotation or mirroring.
fn has_transformations(file: &[u8]) -> bool {
    let properties = child(file, b"meta")
        .and_then(|meta| meta.get(4..)) // a full box: version and flags first
        .and_then(|meta| child(meta, b"iprp"))
        .and_then(|iprp| child(iprp, b"ipco"));
    properties.is_some_and(|ipco| boxes(ipco).any(|(kind, _)| kind == *b"irot" || kind == *b"imir"))
}

/// The body of the first box of type `kind` among the boxes in `data`.
fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(data).find(|(k, _)| k == kind).map(|(_, body)| body)
}

/// The ISO-BMFF boxes laid end to end in `data`, as (type, body); stops at the first malformed one.
fn boxes(mut data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    std::iter::from_fn(move || {
        let size = u32::from_be_bytes(data.get(..4)?.try_into().ok()?) as u64;
        let kind: [u8; 4] = data.get(4..8)?.try_into().ok()?;
        let (header, size) = match size {
            0 => (8, data.len() as u64),
            1 => (16, u64::from_be_bytes(data.get(8..16)?.try_into().ok()?)),
            n => (8, n),
        };
        let size = usize::try_from(size).ok()?;
        let body = data.get(header..size)?;
        data = &data[size..];
        Some((kind, body))
    })
}

#[repr(C)]
struct RawError {
    code: c_int,
    subcode: c_int,
    message: *const c_char,
}

const ERROR_OK: c_int = 0;
const ERROR_UNSUPPORTED_FEATURE: c_int = 4;
const ERROR_DECODER_PLUGIN: c_int = 7;
const COMPRESSION_HEVC: c_int = 1;
const COMPRESSION_AV1: c_int = 4;
const COLORSPACE_RGB: c_int = 1;
const CHROMA_INTERLEAVED_RGB: c_int = 10;
const CHANNEL_INTERLEAVED: c_int = 10;

type Ctx = c_void;
type Handle = c_void;
type Image = c_void;

system_functions! {
    /// The entry points of libheif that Kith calls, resolved once.
    struct Libheif, prefix "heif_" {
    get_version: fn() -> *const c_char;
    have_decoder_for_format: fn(c_int) -> c_int;
    context_alloc: fn() -> *mut Ctx;
    context_free: fn(*mut Ctx);
    context_read_from_memory_without_copy: fn(*mut Ctx, *const c_void, usize, *const c_void) -> RawError;
    context_get_primary_image_handle: fn(*mut Ctx, *mut *mut Handle) -> RawError;
    image_handle_release: fn(*const Handle);
    image_handle_get_width: fn(*const Handle) -> c_int;
    image_handle_get_height: fn(*const Handle) -> c_int;
    image_handle_get_list_of_metadata_block_IDs: fn(*const Handle, *const c_char, *mut u32, c_int) -> c_int;
    image_handle_get_metadata_size: fn(*const Handle, u32) -> usize;
    image_handle_get_metadata: fn(*const Handle, u32, *mut c_void) -> RawError;
    image_handle_get_list_of_thumbnail_IDs: fn(*const Handle, *mut u32, c_int) -> c_int;
    image_handle_get_thumbnail: fn(*const Handle, u32, *mut *mut Handle) -> RawError;
    decode_image: fn(*const Handle, *mut *mut Image, c_int, c_int, *const c_void) -> RawError;
    image_release: fn(*const Image);
    image_get_width: fn(*const Image, c_int) -> c_int;
    image_get_height: fn(*const Image, c_int) -> c_int;
    image_get_plane_readonly: fn(*const Image, c_int, *mut c_int) -> *const u8;
    }
}

/// The names libheif's shared library has on each platform, most specific first.
#[cfg(target_os = "macos")]
const LIBRARY_NAMES: &[&str] = &[
    "libheif.1.dylib",
    "/opt/homebrew/lib/libheif.1.dylib",
    "/usr/local/lib/libheif.1.dylib",
];
#[cfg(windows)]
const LIBRARY_NAMES: &[&str] = &["heif.dll", "libheif.dll"];
#[cfg(not(any(target_os = "macos", windows)))]
const LIBRARY_NAMES: &[&str] = &["libheif.so.1", "libheif.so"];

impl Libheif {
    fn get() -> Result<&'static Libheif, HeifError> {
        static LIBHEIF: OnceLock<Option<Libheif>> = OnceLock::new();
        LIBHEIF
            .get_or_init(|| {
                let lib = open_first(
                    LIBRARY_NAMES,
                    Self::resolve,
                    "HEIC and AVIF photos are skipped",
                )?;
                lib.init();
                Some(lib)
            })
            .as_ref()
            .ok_or(HeifError::NoLibrary)
    }

    /// libheif 1.13 and later load their decoder plugins in `heif_init`, which they would
    /// otherwise call from whichever scan thread first allocates a context, unguarded against
    /// the others; called here once, before any thread can. Older ones have no `heif_init`.
    fn init(&self) {
        // SAFETY: heif.h declares `struct heif_error heif_init(struct heif_init_params*)`, and
        // null asks for the defaults.
        let init = unsafe {
            self.library
                .get::<unsafe extern "C" fn(*const c_void) -> RawError>(b"heif_init\0")
        };
        if let Ok(init) = init {
            // SAFETY: the signature above; called once, from the thread loading the library.
            if let Err(err) = self.check(unsafe { init(std::ptr::null()) }) {
                tracing::warn!("heif_init: {err}");
            }
        }
    }

    fn check(&self, err: RawError) -> Result<(), HeifError> {
        if err.code == ERROR_OK {
            return Ok(());
        }
        let message = if err.message.is_null() {
            format!("libheif error {}.{}", err.code, err.subcode)
        } else {
            // SAFETY: libheif's messages are static NUL-terminated strings.
            unsafe { CStr::from_ptr(err.message) }
                .to_string_lossy()
                .into_owned()
        };
        Err(match err.code {
            ERROR_UNSUPPORTED_FEATURE | ERROR_DECODER_PLUGIN => HeifError::NoDecoder(message),
            _ => HeifError::Damaged(message),
        })
    }
}

/// A `heif_context`, freed on drop.
struct Context(*mut Ctx, &'static Libheif);

impl Context {
    fn new(lib: &'static Libheif) -> Result<Self, HeifError> {
        // SAFETY: no preconditions; a null return means out of memory.
        let ptr = unsafe { (lib.context_alloc)() };
        if ptr.is_null() {
            return Err(HeifError::Damaged(
                "libheif could not allocate a context".into(),
            ));
        }
        Ok(Self(ptr, lib))
    }

    fn primary_image(&self) -> Result<ImageHandle<'_>, HeifError> {
        let mut ptr = std::ptr::null_mut();
        // SAFETY: the context holds a file that was read successfully.
        self.1
            .check(unsafe { (self.1.context_get_primary_image_handle)(self.0, &mut ptr) })?;
        Ok(ImageHandle {
            ptr,
            lib: self.1,
            _context: std::marker::PhantomData,
        })
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: allocated by heif_context_alloc, freed once.
        unsafe { (self.1.context_free)(self.0) }
    }
}

/// A `heif_image_handle`, released on drop; it may not outlive its context.
struct ImageHandle<'c> {
    ptr: *mut Handle,
    lib: &'static Libheif,
    _context: std::marker::PhantomData<&'c Context>,
}

impl<'c> ImageHandle<'c> {
    /// Width and height, with the file's own rotation applied.
    fn size(&self) -> (u32, u32) {
        // SAFETY: the handle is valid until dropped.
        let (width, height) = unsafe {
            (
                (self.lib.image_handle_get_width)(self.ptr),
                (self.lib.image_handle_get_height)(self.ptr),
            )
        };
        (width.max(0) as u32, height.max(0) as u32)
    }

    /// The smallest of this image's thumbnails whose long side is at least `side`.
    fn thumbnail_at_least(&self, side: u32) -> Option<ImageHandle<'c>> {
        let lib = self.lib;
        let mut ids = [0u32; 8];
        // SAFETY: room for `ids.len()` ids is given.
        let count = unsafe {
            (lib.image_handle_get_list_of_thumbnail_IDs)(
                self.ptr,
                ids.as_mut_ptr(),
                ids.len() as c_int,
            )
        };
        ids.iter()
            .take(count.clamp(0, ids.len() as c_int) as usize)
            .filter_map(|&id| {
                let mut ptr = std::ptr::null_mut();
                // SAFETY: `id` names a thumbnail of this handle.
                lib.check(unsafe { (lib.image_handle_get_thumbnail)(self.ptr, id, &mut ptr) })
                    .ok()?;
                Some(ImageHandle {
                    ptr,
                    lib,
                    _context: std::marker::PhantomData,
                })
            })
            .filter(|thumbnail| {
                let (w, h) = thumbnail.size();
                w.max(h) >= side
            })
            .min_by_key(|thumbnail| {
                let (w, h) = thumbnail.size();
                w.max(h)
            })
    }

    /// The first EXIF block, from its TIFF header on (the block starts with a 4-byte offset to it).
    fn exif(&self) -> Option<Vec<u8>> {
        let lib = self.lib;
        let mut id = 0u32;
        // SAFETY: room for one id is given and one is asked for.
        let found = unsafe {
            (lib.image_handle_get_list_of_metadata_block_IDs)(
                self.ptr,
                c"Exif".as_ptr(),
                &mut id,
                1,
            )
        };
        if found < 1 {
            return None;
        }
        // SAFETY: `id` names a metadata block of this handle.
        let size = unsafe { (lib.image_handle_get_metadata_size)(self.ptr, id) };
        let mut block = vec![0u8; size];
        // SAFETY: `block` holds the size libheif reported for this block.
        lib.check(unsafe {
            (lib.image_handle_get_metadata)(self.ptr, id, block.as_mut_ptr().cast())
        })
        .ok()?;
        let offset = u32::from_be_bytes(block.get(..4)?.try_into().ok()?) as usize;
        block.get(4 + offset..).map(<[u8]>::to_vec)
    }

    fn decode_rgb(&self) -> Result<RgbImage, HeifError> {
        let lib = self.lib;
        let mut ptr = std::ptr::null_mut();
        // SAFETY: null options mean libheif's defaults, which apply the file's transformations.
        lib.check(unsafe {
            (lib.decode_image)(
                self.ptr,
                &mut ptr,
                COLORSPACE_RGB,
                CHROMA_INTERLEAVED_RGB,
                std::ptr::null(),
            )
        })?;
        let image = DecodedImage { ptr, lib };
        image.to_rgb()
    }
}

impl Drop for ImageHandle<'_> {
    fn drop(&mut self) {
        // SAFETY: obtained from libheif, released once.
        unsafe { (self.lib.image_handle_release)(self.ptr) }
    }
}

/// A decoded `heif_image`, released on drop.
struct DecodedImage {
    ptr: *mut Image,
    lib: &'static Libheif,
}

impl DecodedImage {
    fn to_rgb(&self) -> Result<RgbImage, HeifError> {
        let lib = self.lib;
        let mut stride: c_int = 0;
        // SAFETY: the image was decoded as interleaved RGB, which has this one channel.
        let (width, height, plane) = unsafe {
            (
                (lib.image_get_width)(self.ptr, CHANNEL_INTERLEAVED),
                (lib.image_get_height)(self.ptr, CHANNEL_INTERLEAVED),
                (lib.image_get_plane_readonly)(self.ptr, CHANNEL_INTERLEAVED, &mut stride),
            )
        };
        let row = width.max(0) as usize * 3;
        if plane.is_null() || width <= 0 || height <= 0 || (stride as usize) < row {
            return Err(HeifError::Damaged("libheif returned no pixels".into()));
        }
        // SAFETY: the plane holds `height` rows `stride` bytes apart, alive until `self` drops.
        let plane = unsafe {
            std::slice::from_raw_parts(plane, stride as usize * (height as usize - 1) + row)
        };
        let pixels = plane
            .chunks(stride as usize)
            .flat_map(|line| &line[..row])
            .copied()
            .collect();
        RgbImage::from_raw(width as u32, height as u32, pixels)
            .ok_or_else(|| HeifError::Damaged("libheif returned a short image".into()))
    }
}

impl Drop for DecodedImage {
    fn drop(&mut self) {
        // SAFETY: obtained from heif_decode_image, released once.
        unsafe { (self.lib.image_release)(self.ptr) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bmff_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((8 + body.len()) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    /// A HEIF file's head: `ftyp`, then `meta` (version and flags, then `iprp` > `ipco`).
    fn file_with_properties(properties: &[&[u8; 4]]) -> Vec<u8> {
        let ipco: Vec<u8> = properties
            .iter()
            .flat_map(|p| bmff_box(p, &[0; 4]))
            .collect();
        let iprp = bmff_box(b"iprp", &bmff_box(b"ipco", &ipco));
        let mut meta_body = vec![0; 4];
        meta_body.extend(bmff_box(b"hdlr", &[0; 20]));
        meta_body.extend(iprp);
        let mut file = bmff_box(b"ftyp", b"heic\0\0\0\0mif1heic");
        file.extend(bmff_box(b"meta", &meta_body));
        file.extend(bmff_box(b"mdat", &[7; 32]));
        file
    }

    #[test]
    fn the_user_is_told_which_formats_are_read_and_what_to_install_for_the_rest() {
        let with = |heic, avif| Support {
            version: "1.15.1".into(),
            heic,
            avif,
        };
        assert_eq!(
            describe(Some(&with(true, true))),
            "HEIC and AVIF photos are read with libheif 1.15.1"
        );
        let heic_only = describe(Some(&with(true, false)));
        assert!(
            heic_only.starts_with("HEIC photos are read with libheif 1.15.1; AVIF photos cannot"),
            "{heic_only}"
        );
        let neither = describe(Some(&with(false, false)));
        assert!(neither.starts_with("HEIC and AVIF photos cannot be read: libheif 1.15.1 has no"));
        assert!(neither.contains("libheif-plugin-libde265"), "{neither}");
        assert!(describe(None).contains("libheif was not found"));
    }

    #[test]
    fn rotation_or_mirroring_in_the_item_properties_is_noticed() {
        assert!(has_transformations(&file_with_properties(&[
            b"ispe", b"irot"
        ])));
        assert!(has_transformations(&file_with_properties(&[b"imir"])));
        assert!(!has_transformations(&file_with_properties(&[
            b"ispe", b"colr"
        ])));
    }

    #[test]
    fn a_damaged_box_structure_means_no_transformations() {
        let file = file_with_properties(&[b"irot"]);
        assert!(!has_transformations(&file[..40]));
        let mut huge = file.clone();
        huge[24..28].copy_from_slice(&u32::MAX.to_be_bytes()); // meta's size, past the end
        assert!(!has_transformations(&huge));
        assert!(!has_transformations(&[]));
    }
}
