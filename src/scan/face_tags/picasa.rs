//! The faces Picasa kept in its folder files. Picasa 3 keeps what it knows of a folder's photos in
//! one file in that folder, `.picasa.ini` (`Picasa.ini` before): for each photo, a section named
//! after it with `faces=rect64(…),contact;…`, each rectangle four 16-bit numbers (left, top,
//! right, bottom, in 65536ths of the photo) and each contact an id that the file's `[Contacts2]`
//! section names (`id=Name;;`). Picasa wrote the names into the photos' XMP only when asked to, so
//! many libraries have them only here. Faces of contacts the file does not name (Picasa's
//! unnamed `ffffffffffffffff`, or contacts kept only in its own database) are left out.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::{named, FaceTag};
use crate::catalog::FileStamp;

/// Picasa 3's name for its folder file first, then the older one.
const FILES: [&str; 2] = [".picasa.ini", "Picasa.ini"];

/// A folder file read, by where it is and when it changed, with the named faces it gives.
type Parsed = (PathBuf, i64, HashMap<String, Vec<FaceTag>>);

thread_local! {
    /// The folder file this thread read last. A scan's threads take a folder's photos one after
    /// another, and one Picasa file holds a whole folder: read again for each photo, a file of
    /// 10,000 photos cost 3.4 ms per photo.
    static LAST_READ: RefCell<Option<Parsed>> = const { RefCell::new(None) };
}

/// The named faces that the Picasa file of its folder gives the photo at `path`.
pub(super) fn regions(path: &Path) -> Vec<FaceTag> {
    let Some((folder, name)) = folder_and_name(path) else {
        return Vec::new();
    };
    let Some((file, changed)) = FILES.iter().find_map(|file| {
        let file = folder.join(file);
        let changed = FileStamp::of(&std::fs::metadata(&file).ok()?).mtime_ns;
        Some((file, changed))
    }) else {
        return Vec::new();
    };
    LAST_READ.with(|last| {
        let mut last = last.borrow_mut();
        let known = matches!(&*last, Some((f, c, _)) if *f == file && *c == changed);
        if !known {
            let ini = std::fs::read(&file).unwrap_or_default();
            let parsed = faces(&String::from_utf8_lossy(&ini));
            *last = Some((file, changed, parsed));
        }
        last.as_ref()
            .and_then(|(_, _, parsed)| parsed.get(&name).cloned())
            .unwrap_or_default()
    })
}

/// Each folder's Picasa file as a walk meets it: when it last changed, and the photos it names
/// faces in.
#[derive(Default)]
pub(super) struct Folders(HashMap<PathBuf, Option<(i64, HashSet<String>)>>);

impl Folders {
    /// When the Picasa file that names faces in the photo at `path` last changed, in nanoseconds
    /// since 1970; `None` when no Picasa file names faces in it.
    pub(super) fn changed_ns(&mut self, path: &Path) -> Option<i64> {
        let (folder, name) = folder_and_name(path)?;
        let known = self.0.entry(folder.to_path_buf()).or_insert_with(|| {
            folder_file(folder).map(|(changed, ini)| (changed, faces(&ini).into_keys().collect()))
        });
        known
            .as_ref()
            .filter(|(_, photos)| photos.contains(&name))
            .map(|(changed, _)| *changed)
    }
}

/// The photo's folder and its file name in lower case (Picasa ran on Windows, where case does
/// not tell names apart).
fn folder_and_name(path: &Path) -> Option<(&Path, String)> {
    let name = path.file_name()?.to_str()?.to_lowercase();
    Some((path.parent()?, name))
}

/// The Picasa file of `folder`, with when it last changed.
fn folder_file(folder: &Path) -> Option<(i64, String)> {
    FILES.iter().find_map(|file| {
        let path = folder.join(file);
        let changed = FileStamp::of(&std::fs::metadata(&path).ok()?).mtime_ns;
        let bytes = std::fs::read(&path).ok()?;
        Some((changed, String::from_utf8_lossy(&bytes).into_owned()))
    })
}

/// The named faces of each photo in a Picasa file, by the photo's file name in lower case.
fn faces(ini: &str) -> HashMap<String, Vec<FaceTag>> {
    let mut contacts: HashMap<&str, &str> = HashMap::new();
    let mut listed: Vec<(&str, &str)> = Vec::new();
    let mut section = "";
    for line in ini.trim_start_matches('\u{feff}').lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name;
        } else if let Some((key, value)) = line.split_once('=') {
            if section.eq_ignore_ascii_case("Contacts2") {
                contacts.insert(key.trim(), value.split(';').next().unwrap_or_default());
            } else if key.trim() == "faces" {
                listed.push((section, value));
            }
        }
    }
    let mut faces: HashMap<String, Vec<FaceTag>> = HashMap::new();
    for (photo, value) in listed {
        let tags = value.split(';').filter_map(|face| {
            let (rectangle, contact) = face.split_once(',')?;
            let name = contacts.get(contact.trim())?;
            named((*name).to_owned(), rect64(rectangle.trim())?)
        });
        faces.entry(photo.to_lowercase()).or_default().extend(tags);
    }
    faces.retain(|_, tags| !tags.is_empty());
    faces
}

/// A `rect64(…)` rectangle as left, top, width and height in fractions of the photo. Picasa
/// leaves out leading zeros.
fn rect64(text: &str) -> Option<[f32; 4]> {
    let hex = text.strip_prefix("rect64(")?.strip_suffix(')')?;
    let bits = u64::from_str_radix(hex, 16).ok()?;
    let at = |shift: u32| ((bits >> shift) & 0xffff) as f32 / 65536.0;
    let (left, top, right, bottom) = (at(48), at(32), at(16), at(0));
    Some([left, top, right - left, bottom - top])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_faces_are_read_from_a_picasa_file() {
        let ini = "\u{feff}[Picasa]\nname=Holiday\n\
            [IMG_0001.JPG]\nfaces=rect64(1e00280045006e00),a1;rect64(5000280075006e00),ffffffffffffffff\n\
            [img_0002.jpg]\nfaces=rect64(8000000ffff8000),b2;rect64(zz),a1;rect64(5000280045006e00),a1\n\
            [IMG_0003.JPG]\nfaces=rect64(1e00280045006e00),c3\nstar=yes\n\
            [Contacts2]\na1=Anna Lee;;\nb2= Ben ;ben@example.com;\n";
        let faces = faces(ini);
        let anna = &faces["img_0001.jpg"];
        assert_eq!(anna.len(), 1, "{faces:?}");
        assert_eq!(anna[0].name, "Anna Lee");
        let expected = [0.1171875, 0.15625, 0.15234375, 0.2734375];
        assert!(anna[0]
            .area
            .iter()
            .zip(expected)
            .all(|(a, b)| (a - b).abs() < 1e-6));
        // Leading zeros left out; a rectangle that is not one, or has no size, names nothing.
        let second = &faces["img_0002.jpg"];
        assert_eq!(second.len(), 1, "{second:?}");
        assert_eq!(second[0].name, "Ben");
        assert!((second[0].area[0] - 0.03125).abs() < 1e-6);
        // A contact the file does not name (kept in Picasa's database) names nobody.
        assert!(!faces.contains_key("img_0003.jpg"));
        assert!(super::faces("not an ini file").is_empty());
    }
}
