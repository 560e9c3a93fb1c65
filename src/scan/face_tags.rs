//! Names that other photo apps wrote into a photo's metadata, so that faces someone already
//! named there arrive named: the face regions of the Metadata Working Group (digiKam,
//! Lightroom Classic, Picasa, Photini, ...) and those of Microsoft's photo schema (Windows
//! Photo Gallery), read from the XMP packet in the file and from a sidecar beside it
//! (`photo.xmp` or `photo.jpg.xmp`); and the people Google Photos lists in the JSON it exports
//! beside each photo (Google Takeout: `photo.jpg.json` or `photo.jpg.supplemental-metadata.json`).
//! Files are only read.
//!
//! Regions are rectangles in fractions of the photo's width and height. Apps disagree on whether
//! they are drawn on the photo as shown or as stored before its EXIF orientation turns it (a
//! phone's portrait photos): both readings are tried, and the one that names more of the faces
//! found is kept, as shown when they tie. Each region is given to the face whose box centre lies
//! inside it and that it overlaps most; a region over no face found names nothing.
//!
//! Google's export lists people without saying where they are: which face is whom is worked
//! out once faces are placed ([`crate::people::listed`]).

use std::path::{Path, PathBuf};

use image::metadata::Orientation;

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
    /// People said to be in the photo, with no place given.
    pub people: Vec<String>,
}

const MWG_REGIONS: &str = "http://www.metadataworkinggroup.com/schemas/regions/";
const MWG_AREA: &str = "http://ns.adobe.com/xmp/sType/Area#";
const MP_REGION: &str = "http://ns.microsoft.com/photo/1.2/t/Region#";
/// XMP packets are plain text wherever a format embeds them (JPEG, PNG, TIFF, HEIF, DNG).
const XMP_START: &[u8] = b"<x:xmpmeta";
const XMP_END: &[u8] = b"</x:xmpmeta>";

/// Who the metadata of the photo at `path`, whose bytes are `file`, says is in it: the named
/// regions of its own XMP and of its XMP sidecars, and the people its Takeout JSON lists.
pub fn read(file: &[u8], path: &Path) -> FaceTags {
    let mut regions = embedded_xmp(file)
        .map(|xmp| parse(&String::from_utf8_lossy(xmp)))
        .unwrap_or_default();
    for sidecar in xmp_sidecars(path) {
        if let Ok(xmp) = std::fs::read_to_string(&sidecar) {
            regions.extend(parse(&xmp));
        }
    }
    regions.dedup_by(|a, b| a.name == b.name && a.area == b.area);
    let people = takeout_sidecars(path)
        .into_iter()
        .find_map(|(sidecar, title)| {
            let json = std::fs::read(sidecar).ok()?;
            takeout_people(&json, title.as_deref())
        })
        .unwrap_or_default();
    FaceTags { regions, people }
}

/// For each face box (x, y, width, height, in pixels of an upright `size` photo whose stored
/// pixels were `turned` to be upright), the name of the region it is in, each region naming one
/// face at most.
pub fn match_faces(
    tags: &[FaceTag],
    boxes: &[[f32; 4]],
    size: (u32, u32),
    turned: Orientation,
) -> Vec<Option<String>> {
    let as_shown = match_upright(tags, boxes, size);
    if turned == Orientation::NoTransforms {
        return as_shown;
    }
    let stored: Vec<FaceTag> = tags
        .iter()
        .map(|tag| FaceTag {
            name: tag.name.clone(),
            area: turn(tag.area, turned),
        })
        .collect();
    let as_stored = match_upright(&stored, boxes, size);
    let named = |names: &[Option<String>]| names.iter().flatten().count();
    if named(&as_stored) > named(&as_shown) {
        as_stored
    } else {
        as_shown
    }
}

/// `area` (left, top, width, height, in fractions) drawn on the stored pixels, where it lies
/// once they are turned upright by `turned`.
fn turn([l, t, w, h]: [f32; 4], turned: Orientation) -> [f32; 4] {
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
fn match_upright(tags: &[FaceTag], boxes: &[[f32; 4]], size: (u32, u32)) -> Vec<Option<String>> {
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
    names
}

/// Intersection over union of two (x, y, width, height) boxes.
fn overlap(a: [f32; 4], b: [f32; 4]) -> f32 {
    let ix = (a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0]);
    let iy = (a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1]);
    let inter = ix.max(0.0) * iy.max(0.0);
    inter / (a[2] * a[3] + b[2] * b[3] - inter).max(f32::EPSILON)
}

/// The XMP packet held in a file's bytes, if any. The whole file is searched (a RAW file's may
/// be anywhere), with SIMD: a plain search of a 24 MB RAW file cost 7 ms, this one under 1 ms.
fn embedded_xmp(file: &[u8]) -> Option<&[u8]> {
    let start = memchr::memmem::find(file, XMP_START)?;
    let end = start + memchr::memmem::find(&file[start..], XMP_END)? + XMP_END.len();
    Some(&file[start..end])
}

/// When the newest of the photo's sidecars was last changed, in nanoseconds since 1970; `None`
/// when it has none. A scan counts a sidecar's change as the photo's, so that names added in
/// another app later are read.
pub fn sidecar_changed_ns(path: &Path) -> Option<i64> {
    xmp_sidecars(path)
        .iter()
        .chain(takeout_sidecars(path).iter().map(|(sidecar, _)| sidecar))
        .filter_map(|sidecar| std::fs::metadata(sidecar).ok())
        .map(|meta| crate::catalog::FileStamp::of(&meta).mtime_ns)
        .max()
}

/// Where apps put a photo's XMP sidecar: Lightroom and digiKam beside it with `.xmp` for its
/// extension, darktable with `.xmp` added.
fn xmp_sidecars(path: &Path) -> [PathBuf; 2] {
    [path.with_extension("xmp"), with_suffix(path, ".xmp")]
}

/// Where Google Takeout may have put a photo's JSON, most likely first: `.json` added, or (since
/// 2024) `.supplemental-metadata.json`. Takeout cuts the JSON's name before `.json` to
/// [`TAKEOUT_NAME_CHARS`] characters; it numbers a second photo of one name after the extension
/// (`photo(1).jpg` has `photo.jpg(1).json`); and a photo edited in Google Photos
/// (`photo-edited.jpg`) shares the original's JSON. A name cut short may be the cut name of
/// other photos too: with it comes the title the JSON must give (the photo's name in Google
/// Photos) to be this photo's.
fn takeout_sidecars(path: &Path) -> Vec<(PathBuf, Option<String>)> {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return [".json", ".supplemental-metadata.json"]
            .iter()
            .map(|suffix| (with_suffix(path, suffix), None))
            .collect();
    };
    let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
    let with_extension = |stem: &str| match extension {
        "" => stem.to_owned(),
        _ => format!("{stem}.{extension}"),
    };
    // Each name a JSON may be named after, with the number Takeout puts after it.
    let mut names = vec![(name.to_owned(), String::new())];
    if let Some((base, n)) = stem.strip_suffix(')').and_then(|s| s.rsplit_once('(')) {
        if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
            names.push((with_extension(base), format!("({n})")));
        }
    }
    if let Some(original) = TAKEOUT_EDITED
        .iter()
        .find_map(|edited| stem.strip_suffix(edited))
    {
        names.push((with_extension(original), String::new()));
    }
    let mut sidecars: Vec<(PathBuf, Option<String>)> = Vec::new();
    for (name, counter) in names {
        for kind in ["", ".supplemental-metadata"] {
            let full = format!("{name}{kind}");
            let cut: String = full.chars().take(TAKEOUT_NAME_CHARS).collect();
            let title = (cut.len() < full.len()).then(|| name.clone());
            let sidecar = path.with_file_name(format!("{cut}{counter}.json"));
            if sidecars.iter().all(|(known, _)| *known != sidecar) {
                sidecars.push((sidecar, title));
            }
        }
    }
    sidecars
}

/// How long Takeout lets a JSON's name be before `.json`.
const TAKEOUT_NAME_CHARS: usize = 46;
/// What Google Photos adds to the name of a photo edited there, in the languages seen.
const TAKEOUT_EDITED: [&str; 6] = [
    "-edited",
    "-bearbeitet",
    "-modifié",
    "-editado",
    "-modificato",
    "-bewerkt",
];

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The names in a Takeout JSON's `people` list; `None` when the JSON is not the photo's: where
/// a `title` is asked for, it gives another, or none can be read.
fn takeout_people(json: &[u8], title: Option<&str>) -> Option<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Takeout {
        title: Option<String>,
        #[serde(default)]
        people: Vec<Person>,
    }
    #[derive(serde::Deserialize)]
    struct Person {
        name: String,
    }
    match serde_json::from_slice::<Takeout>(json) {
        Ok(takeout) => {
            if title.is_some_and(|wanted| takeout.title.as_deref() != Some(wanted)) {
                return None;
            }
            Some(
                takeout
                    .people
                    .into_iter()
                    .map(|p| p.name.trim().to_owned())
                    .filter(|name| !name.is_empty())
                    .collect(),
            )
        }
        Err(err) => {
            tracing::debug!("unreadable Takeout JSON: {err}");
            title.is_none().then(Vec::new)
        }
    }
}

/// The named face regions in an XMP document; nothing when it is not one.
fn parse(xmp: &str) -> Vec<FaceTag> {
    let Ok(doc) = roxmltree::Document::parse(xmp) else {
        tracing::debug!("unreadable XMP");
        return Vec::new();
    };
    let mut tags = Vec::new();
    for node in doc.descendants().filter(|n| n.is_element()) {
        let tag = if node.tag_name().namespace() == Some(MWG_REGIONS)
            && node.tag_name().name() == "Area"
        {
            node.parent_element()
                .and_then(|region| mwg_region(region, node))
        } else {
            mp_region(node)
        };
        tags.extend(tag);
    }
    tags
}

/// A region of the Metadata Working Group's schema: `area` gives its centre and size, its
/// `region` the name and type (only faces are taken).
fn mwg_region(region: roxmltree::Node, area: roxmltree::Node) -> Option<FaceTag> {
    let kind = field(region, MWG_REGIONS, "Type");
    if kind.as_deref().is_some_and(|k| k != "Face") {
        return None;
    }
    let unit = field(area, MWG_AREA, "unit");
    if unit.as_deref().is_some_and(|u| u != "normalized") {
        return None;
    }
    let number = |name| field(area, MWG_AREA, name)?.trim().parse::<f32>().ok();
    let (x, y, w, h) = (number("x")?, number("y")?, number("w")?, number("h")?);
    named(
        field(region, MWG_REGIONS, "Name")?,
        [x - w / 2.0, y - h / 2.0, w, h],
    )
}

/// A region of Microsoft's schema: `Rectangle` is "left, top, width, height".
fn mp_region(node: roxmltree::Node) -> Option<FaceTag> {
    let rectangle = field(node, MP_REGION, "Rectangle")?;
    let name = field(node, MP_REGION, "PersonDisplayName")?;
    let numbers: Vec<f32> = rectangle
        .split(',')
        .map(|v| v.trim().parse().ok())
        .collect::<Option<_>>()?;
    named(name, numbers.try_into().ok()?)
}

fn named(name: String, area: [f32; 4]) -> Option<FaceTag> {
    let name = name.trim();
    let sane = area.iter().all(|v| v.is_finite()) && area[2] > 0.0 && area[3] > 0.0;
    (!name.is_empty() && sane).then(|| FaceTag {
        name: name.to_owned(),
        area,
    })
}

/// A property of `node`, written as an attribute or as a child element (XMP allows both).
fn field(node: roxmltree::Node, namespace: &str, name: &str) -> Option<String> {
    if let Some(value) = node.attribute((namespace, name)) {
        return Some(value.to_owned());
    }
    node.children()
        .find(|c| {
            c.is_element()
                && c.tag_name().namespace() == Some(namespace)
                && c.tag_name().name() == name
        })
        .and_then(|c| c.text())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MWG_ATTRIBUTES: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
    xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#" xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#">
   <mwg-rs:Regions rdf:parseType="Resource">
    <mwg-rs:AppliedToDimensions stDim:w="1920" stDim:h="1398" stDim:unit="pixel"/>
    <mwg-rs:RegionList><rdf:Bag>
     <rdf:li><rdf:Description mwg-rs:Name="Anna Smith" mwg-rs:Type="Face">
      <mwg-rs:Area stArea:x="0.25" stArea:y="0.5" stArea:w="0.1" stArea:h="0.2" stArea:unit="normalized"/>
     </rdf:Description></rdf:li>
     <rdf:li><rdf:Description mwg-rs:Name="Rex" mwg-rs:Type="Pet">
      <mwg-rs:Area stArea:x="0.5" stArea:y="0.5" stArea:w="0.1" stArea:h="0.1" stArea:unit="normalized"/>
     </rdf:Description></rdf:li>
    </rdf:Bag></mwg-rs:RegionList>
   </mwg-rs:Regions>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"#;

    const MWG_ELEMENTS: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
    xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#">
   <mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:RegionList><rdf:Bag>
    <rdf:li rdf:parseType="Resource">
     <mwg-rs:Name>Ben</mwg-rs:Name>
     <mwg-rs:Area rdf:parseType="Resource">
      <stArea:x>0.6</stArea:x><stArea:y>0.4</stArea:y><stArea:w>0.2</stArea:w><stArea:h>0.2</stArea:h>
     </mwg-rs:Area>
    </rdf:li>
   </rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"#;

    const MICROSOFT: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description xmlns:MP="http://ns.microsoft.com/photo/1.2/"
    xmlns:MPRI="http://ns.microsoft.com/photo/1.2/t/RegionInfo#"
    xmlns:MPReg="http://ns.microsoft.com/photo/1.2/t/Region#">
   <MP:RegionInfo rdf:parseType="Resource"><MPRI:Regions><rdf:Bag>
    <rdf:li rdf:parseType="Resource">
     <MPReg:Rectangle>0.1, 0.2, 0.3, 0.4</MPReg:Rectangle>
     <MPReg:PersonDisplayName>Carl</MPReg:PersonDisplayName>
    </rdf:li>
   </rdf:Bag></MPRI:Regions></MP:RegionInfo>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"#;

    fn tag(name: &str, area: [f32; 4]) -> FaceTag {
        FaceTag {
            name: name.into(),
            area,
        }
    }

    fn close(a: &[FaceTag], b: &[FaceTag]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(a, b)| {
                a.name == b.name && a.area.iter().zip(b.area).all(|(x, y)| (x - y).abs() < 1e-6)
            })
    }

    #[test]
    fn face_regions_are_read_in_each_schema_and_form() {
        let mwg = parse(MWG_ATTRIBUTES);
        assert!(
            close(&mwg, &[tag("Anna Smith", [0.2, 0.4, 0.1, 0.2])]),
            "{mwg:?}"
        );
        let elements = parse(MWG_ELEMENTS);
        assert!(
            close(&elements, &[tag("Ben", [0.5, 0.3, 0.2, 0.2])]),
            "{elements:?}"
        );
        let mp = parse(MICROSOFT);
        assert!(close(&mp, &[tag("Carl", [0.1, 0.2, 0.3, 0.4])]), "{mp:?}");
        assert!(parse("<x:xmpmeta><unclosed>").is_empty());
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
            let names = match_faces(tags, &shown_face, size, Orientation::Rotate90);
            assert_eq!(names, [Some("Anna".into())], "{tags:?}");
        }
        assert_eq!(
            match_faces(&on_stored, &shown_face, size, Orientation::NoTransforms),
            [None]
        );
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
    fn the_people_google_lists_are_read_from_its_json() {
        let json = br#"{"title": "IMG_1.JPG", "people": [{"name": " Anna Lee"}, {"name": ""},
            {"name": "Ben"}], "photoTakenTime": {"timestamp": "1502212345"}}"#;
        let people = Some(vec!["Anna Lee".to_owned(), "Ben".to_owned()]);
        assert_eq!(takeout_people(json, None), people);
        assert_eq!(takeout_people(json, Some("IMG_1.JPG")), people);
        // A JSON found under a name cut short is another photo's when its title differs.
        assert_eq!(takeout_people(json, Some("IMG_2.JPG")), None);
        assert_eq!(takeout_people(b"{\"title\": \"none\"}", None), Some(vec![]));
        assert_eq!(takeout_people(b"not json", None), Some(vec![]));
        assert_eq!(takeout_people(b"not json", Some("IMG_1.JPG")), None);
    }

    #[test]
    fn takeouts_json_is_looked_for_under_the_names_google_gives_it() {
        let names = |photo: &str| -> Vec<(String, Option<String>)> {
            takeout_sidecars(&Path::new("/t").join(photo))
                .into_iter()
                .map(|(path, title)| (path.to_string_lossy().into_owned(), title))
                .collect()
        };
        let plain = |p: &str| (p.to_owned(), None);
        assert_eq!(
            names("IMG_1.jpg"),
            [
                plain("/t/IMG_1.jpg.json"),
                plain("/t/IMG_1.jpg.supplemental-metadata.json")
            ]
        );
        // Cut to 46 characters before ".json", with the title that tells whose it is.
        let long = "Screenshot_2024-01-14-14-13-33-16_948cd9899890cbd5c2798760b2b95377.jpg";
        let cut = |p: &str| (p.to_owned(), Some(long.to_owned()));
        assert_eq!(
            names(long),
            [cut(
                "/t/Screenshot_2024-01-14-14-13-33-16_948cd9899890.json"
            ),]
        );
        let medium = "PXL_20240512_183355123.PORTRAIT.jpg";
        assert_eq!(
            names(medium)[1],
            (
                "/t/PXL_20240512_183355123.PORTRAIT.jpg.supplement.json".to_owned(),
                Some(medium.to_owned())
            )
        );
        // The second photo of a name, and a photo edited in Google Photos.
        assert_eq!(
            names("image(1).png")[2..],
            [
                plain("/t/image.png(1).json"),
                plain("/t/image.png.supplemental-metadata(1).json")
            ]
        );
        assert_eq!(
            names("IMG_2-edited.jpg")[2..],
            [
                plain("/t/IMG_2.jpg.json"),
                plain("/t/IMG_2.jpg.supplemental-metadata.json")
            ]
        );
    }

    #[test]
    fn the_packet_is_found_inside_a_file() {
        let mut file = b"\xff\xd8\xff\xe1\x00\x10http://ns.adobe.com/xap/1.0/\0".to_vec();
        file.extend_from_slice(MICROSOFT.as_bytes());
        file.extend_from_slice(b"\xff\xd9 trailing bytes");
        let found = embedded_xmp(&file).expect("packet");
        assert_eq!(parse(&String::from_utf8_lossy(found)).len(), 1);
        assert!(embedded_xmp(b"no metadata here").is_none());
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
        let names = match_faces(&tags, &boxes, (1000, 1000), Orientation::NoTransforms);
        assert_eq!(names, [Some("Anna".into()), None, Some("Ben".into()), None]);
    }
}
