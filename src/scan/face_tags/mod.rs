//! Names that other photo apps wrote into a photo's metadata, so that faces someone already
//! named there arrive named: the face regions of XMP ([`xmp`]: digiKam, Lightroom Classic,
//! Photini, Windows Photo Gallery, ...), those Picasa kept in its folder files ([`picasa`]), and
//! the people listed with no places, by IPTC's "person shown" in XMP and by the JSON Google
//! Photos exports beside each photo ([`takeout`]), which also gives the capture time of photos
//! whose own metadata has none. Files are only read.
//!
//! Regions are rectangles in fractions of the photo's width and height. Apps disagree on whether
//! they are drawn on the photo as shown or as stored before its EXIF orientation turns it (a
//! phone's portrait photos): both readings are tried, and the one that names more of the faces
//! found is kept, as shown when they tie. Each region is given to the face whose box centre lies
//! inside it and that it overlaps most. A region over no face found is a face someone saw that
//! the detector missed: the scan makes it a face, as the user's drawn faces are made.
//!
//! For people listed without places, which face is whom is worked out once faces are placed
//! ([`crate::people::listed`]).

mod picasa;
mod picasa_contacts;
mod takeout;
pub(crate) mod xmp;

use std::path::{Path, PathBuf};

use image::metadata::Orientation;

use crate::catalog::FileStamp;
pub use takeout::edited_original;

/// What a scan reads beside photos, as a version: 1 reads Picasa's folder files, IPTC's people
/// shown and all of Takeout's people; 2 makes faces of the named regions over no face found; 3
/// reads IPTC's regions measured in pixels; 4 names Picasa's faces by its contacts file. Raised
/// when that grows, so that photos with sidecars analysed by an older Kith are read again.
pub const SIDECARS_READ: i64 = 4;

/// A named region from the metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceTag {
    pub name: String,
    /// Left, top, width, height, as fractions of the upright photo's width and height.
    pub area: [f32; 4],
}

/// What a photo's metadata says about who is in it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaceTags {
    pub regions: Vec<FaceTag>,
    /// Regions measured in the photo's pixels (x, y, width, height), by IPTC's schema: whether
    /// on the photo as shown or as stored is told by the faces, as for the others.
    pub pixel_regions: Vec<FaceTag>,
    /// People said to be in the photo, with no place given.
    pub people: Vec<String>,
    /// When the photo was taken, as Google's export says (in local time, `YYYY-MM-DDTHH:MM:SS`):
    /// for photos whose own metadata has no date.
    pub taken_at: Option<String>,
}

/// Who the metadata of the photo at `path`, whose bytes are `file`, says is in it: the named
/// regions of its own XMP, of its XMP sidecars and of its folder's Picasa file, and the people
/// listed in that XMP and in its Takeout JSON.
pub fn read(file: &[u8], path: &Path) -> FaceTags {
    let mut found = xmp::embedded(file);
    for sidecar in xmp::sidecars(path) {
        if let Ok(packet) = std::fs::read_to_string(&sidecar) {
            let more = xmp::parse(&packet);
            found.regions.extend(more.regions);
            found.pixel_regions.extend(more.pixel_regions);
            found.people.extend(more.people);
        }
    }
    // The same region may come from several packets and from a sidecar.
    let mut regions: Vec<FaceTag> = Vec::new();
    for region in found.regions.into_iter().chain(picasa::regions(path)) {
        if !regions.contains(&region) {
            regions.push(region);
        }
    }
    let takeout = takeout::read(path);
    let mut people: Vec<String> = Vec::new();
    for person in found.people.into_iter().chain(takeout.people) {
        if !people
            .iter()
            .any(|p| p.to_lowercase() == person.to_lowercase())
        {
            people.push(person);
        }
    }
    let mut pixel_regions: Vec<FaceTag> = Vec::new();
    for region in found.pixel_regions {
        if !pixel_regions.contains(&region) {
            pixel_regions.push(region);
        }
    }
    FaceTags {
        regions,
        pixel_regions,
        people,
        taken_at: takeout.taken_at,
    }
}

/// Which faces the regions name, in the reading of the regions that names more of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Matched {
    /// For each face box, the name of the region it is in.
    pub names: Vec<Option<String>>,
    /// The regions over no face found, on the upright photo: faces the detector missed, which
    /// someone saw and named.
    pub unplaced: Vec<FaceTag>,
}

/// For each face box (x, y, width, height, in pixels of an upright `size` photo whose stored
/// pixels were `turned` to be upright), the name of the region it is in, each region naming one
/// face at most; and the regions left over. `tags` are in fractions of the photo, `in_pixels`
/// in its pixels.
pub fn match_faces(
    tags: &[FaceTag],
    in_pixels: &[FaceTag],
    boxes: &[[f32; 4]],
    size: (u32, u32),
    turned: Orientation,
) -> Matched {
    let (w, h) = (size.0 as f32, size.1 as f32);
    let shown: Vec<FaceTag> = tags
        .iter()
        .cloned()
        .chain(in_pixels.iter().map(|tag| in_fractions(tag, w, h)))
        .collect();
    let as_shown = match_upright(&shown, boxes, size);
    if turned == Orientation::NoTransforms {
        return as_shown;
    }
    // The stored pixels of a photo turned a quarter are as high as it is wide when shown.
    let (stored_w, stored_h) = match turned {
        Orientation::Rotate90
        | Orientation::Rotate270
        | Orientation::Rotate90FlipH
        | Orientation::Rotate270FlipH => (h, w),
        _ => (w, h),
    };
    let stored: Vec<FaceTag> = tags
        .iter()
        .cloned()
        .chain(
            in_pixels
                .iter()
                .map(|tag| in_fractions(tag, stored_w, stored_h)),
        )
        .map(|tag| FaceTag {
            area: turn(tag.area, turned),
            ..tag
        })
        .collect();
    let as_stored = match_upright(&stored, boxes, size);
    let named = |m: &Matched| m.names.iter().flatten().count();
    if named(&as_stored) > named(&as_shown) {
        as_stored
    } else {
        as_shown
    }
}

/// A region measured in the pixels of a `w` x `h` photo, in fractions of it.
fn in_fractions(tag: &FaceTag, w: f32, h: f32) -> FaceTag {
    let [x, y, rw, rh] = tag.area;
    FaceTag {
        name: tag.name.clone(),
        area: [x / w, y / h, rw / w, rh / h],
    }
}

/// `area` (left, top, width, height, in fractions) drawn on the stored pixels, where it lies
/// once they are turned upright by `turned`.
pub(crate) fn turn([l, t, w, h]: [f32; 4], turned: Orientation) -> [f32; 4] {
    let point = |u: f32, v: f32| match turned {
        Orientation::NoTransforms => (u, v),
        Orientation::Rotate90 => (1.0 - v, u),
        Orientation::Rotate180 => (1.0 - u, 1.0 - v),
        Orientation::Rotate270 => (v, 1.0 - u),
        Orientation::FlipHorizontal => (1.0 - u, v),
        Orientation::FlipVertical => (u, 1.0 - v),
        Orientation::Rotate90FlipH => (v, u),
        Orientation::Rotate270FlipH => (1.0 - v, 1.0 - u),
    };
    let (a, b) = (point(l, t), point(l + w, t + h));
    [
        a.0.min(b.0),
        a.1.min(b.1),
        (a.0 - b.0).abs(),
        (a.1 - b.1).abs(),
    ]
}

/// [`match_faces`] for regions drawn on the upright photo.
fn match_upright(tags: &[FaceTag], boxes: &[[f32; 4]], size: (u32, u32)) -> Matched {
    let (w, h) = (size.0 as f32, size.1 as f32);
    let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
    for (t, tag) in tags.iter().enumerate() {
        let [l, tp, rw, rh] = tag.area;
        let region = [l * w, tp * h, rw * w, rh * h];
        for (f, face) in boxes.iter().enumerate() {
            let centre = (face[0] + face[2] / 2.0, face[1] + face[3] / 2.0);
            let inside = (region[0]..=region[0] + region[2]).contains(&centre.0)
                && (region[1]..=region[1] + region[3]).contains(&centre.1);
            if inside {
                pairs.push((overlap(region, *face), t, f));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut names = vec![None; boxes.len()];
    let mut used = vec![false; tags.len()];
    for (_, t, f) in pairs {
        if !used[t] && names[f].is_none() {
            used[t] = true;
            names[f] = Some(tags[t].name.clone());
        }
    }
    let unplaced = tags
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(tag, _)| tag.clone())
        .collect();
    Matched { names, unplaced }
}

/// Intersection over union of two (x, y, width, height) boxes.
fn overlap(a: [f32; 4], b: [f32; 4]) -> f32 {
    let ix = (a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0]);
    let iy = (a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1]);
    let inter = ix.max(0.0) * iy.max(0.0);
    inter / (a[2] * a[3] + b[2] * b[3] - inter).max(f32::EPSILON)
}

/// The sidecars of the photos a walk finds, each folder's Picasa file read once.
#[derive(Default)]
pub struct Sidecars {
    picasa: picasa::Folders,
}

impl Sidecars {
    /// When the newest of the photo's sidecars was last changed, in nanoseconds since 1970;
    /// `None` when it has none. A scan counts a sidecar's change as the photo's, so that names
    /// added in another app later are read.
    pub fn changed_ns(&mut self, path: &Path) -> Option<i64> {
        let own = xmp::sidecars(path)
            .into_iter()
            .chain(
                takeout::sidecars(path)
                    .into_iter()
                    .map(|(sidecar, _)| sidecar),
            )
            .filter_map(|sidecar| std::fs::metadata(sidecar).ok())
            .map(|meta| FileStamp::of(&meta).mtime_ns)
            .max();
        own.max(self.picasa.changed_ns(path))
    }
}

/// `path` with `suffix` added to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A region named `name`, when the name is not blank and the area is one.
fn named(name: String, area: [f32; 4]) -> Option<FaceTag> {
    let name = name.trim();
    let sane = area.iter().all(|v| v.is_finite()) && area[2] > 0.0 && area[3] > 0.0;
    (!name.is_empty() && sane).then(|| FaceTag {
        name: name.to_owned(),
        area,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn tag(name: &str, area: [f32; 4]) -> FaceTag {
        FaceTag {
            name: name.into(),
            area,
        }
    }

    #[test]
    fn regions_drawn_on_the_stored_pixels_are_turned_with_them() {
        // A portrait photo stored on its side (EXIF 6: turned a quarter clockwise to show).
        // A face at the top left of the shown photo is at the bottom left of the stored one.
        let shown_face = [[100.0, 50.0, 200.0, 200.0]];
        let size = (1000, 2000);
        let on_stored = [tag("Anna", [0.0, 0.7, 0.15, 0.25])];
        let on_shown = [tag("Anna", [0.05, 0.0, 0.3, 0.15])];
        for tags in [&on_stored, &on_shown] {
            let matched = match_faces(tags, &[], &shown_face, size, Orientation::Rotate90);
            assert_eq!(matched.names, [Some("Anna".into())], "{tags:?}");
            assert!(matched.unplaced.is_empty());
        }
        let unturned = match_faces(
            &on_stored,
            &[],
            &shown_face,
            size,
            Orientation::NoTransforms,
        );
        assert_eq!(unturned.names, [None]);
        assert_eq!(unturned.unplaced, on_stored);
        // Over no face at all, a region is read as drawn on the photo as shown.
        let alone = match_faces(&on_stored, &[], &[], size, Orientation::Rotate90);
        assert_eq!(alone.unplaced, on_stored);
        for turned in [
            Orientation::Rotate180,
            Orientation::Rotate270,
            Orientation::FlipHorizontal,
            Orientation::FlipVertical,
            Orientation::Rotate90FlipH,
            Orientation::Rotate270FlipH,
        ] {
            let [l, t, w, h] = turn([0.1, 0.2, 0.3, 0.4], turned);
            assert!(l >= 0.0 && t >= 0.0 && l + w <= 1.0 + 1e-6 && t + h <= 1.0 + 1e-6);
            assert!((w * h - 0.12).abs() < 1e-6, "{turned:?}");
        }
    }

    #[test]
    fn regions_in_pixels_are_measured_against_the_photo_as_shown_or_as_stored() {
        // The portrait above, 1000 x 2000 shown, 2000 x 1000 stored; its face near the top left.
        let shown_face = [[100.0, 50.0, 200.0, 200.0]];
        let size = (1000, 2000);
        let on_shown = [tag("Anna", [50.0, 0.0, 300.0, 300.0])];
        let on_stored = [tag("Anna", [0.0, 700.0, 300.0, 250.0])];
        for in_pixels in [&on_shown, &on_stored] {
            let matched = match_faces(&[], in_pixels, &shown_face, size, Orientation::Rotate90);
            assert_eq!(matched.names, [Some("Anna".into())], "{in_pixels:?}");
        }
        // Over no face, the region is a face someone saw, in fractions of the photo as shown.
        let alone = match_faces(&[], &on_shown, &[], size, Orientation::NoTransforms);
        assert_eq!(alone.unplaced, [tag("Anna", [0.05, 0.0, 0.3, 0.15])]);
    }

    #[test]
    fn each_region_names_the_face_whose_centre_it_holds_and_overlaps_most() {
        let tags = [
            tag("Anna", [0.1, 0.1, 0.2, 0.3]),
            tag("Ben", [0.6, 0.1, 0.2, 0.3]),
            tag("Nobody found", [0.4, 0.7, 0.1, 0.1]),
        ];
        // In a 1000 x 1000 photo: a face in Anna's region, a smaller one in it too, one in
        // Ben's, and one in none.
        let boxes = [
            [120.0, 130.0, 150.0, 200.0],
            [250.0, 350.0, 40.0, 40.0],
            [630.0, 120.0, 140.0, 220.0],
            [450.0, 450.0, 80.0, 80.0],
        ];
        let matched = match_faces(&tags, &[], &boxes, (1000, 1000), Orientation::NoTransforms);
        assert_eq!(
            matched.names,
            [Some("Anna".into()), None, Some("Ben".into()), None]
        );
        assert_eq!(matched.unplaced, [tags[2].clone()]);
    }
}
