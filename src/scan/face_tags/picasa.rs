//! The faces Picasa kept in its folder files. Picasa 3 keeps what it knows of a folder's photos in
//! one file in that folder, `.picasa.ini` (`Picasa.ini` before): for each photo, a section named
//! after it with `faces=rect64(…),contact;…`, each rectangle four 16-bit numbers (left, top,
//! right, bottom, in 65536ths of the photo) and each contact an id that the file's `[Contacts2]`
//! section names (`id=Name;;`), or else Picasa's own contacts file ([`picasa_contacts`]). Picasa
//! wrote the names into the photos' XMP only when asked to, so many libraries have them only
//! here. Faces of contacts neither names (Picasa's unnamed `ffffffffffffffff`) are left out.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::picasa_contacts::{self, Contacts};
use super::{named, FaceTag};
use crate::catalog::FileStamp;

/// Picasa 3's name for its folder file first, then the older one.
const FILES: [&str; 2] = [".picasa.ini", "Picasa.ini"];

/// A folder file read, by where it is, when it changed and when the contacts file read with it
/// changed, with the named faces it gives.
type Parsed = (PathBuf, i64, Option<i64>, HashMap<String, PhotoFaces>);

/// The named faces of one photo in a Picasa folder file.
#[derive(Debug, Clone, Default)]
struct PhotoFaces {
    tags: Vec<FaceTag>,
    /// Whether Picasa's contacts file names any of them, the folder file not.
    from_contacts: bool,
}

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
    let contacts = picasa_contacts::current();
    let contacts_changed = contacts.as_ref().map(|c| c.changed_ns);
    LAST_READ.with(|last| {
        let mut last = last.borrow_mut();
        let known = matches!(&*last, Some((f, c, cc, _))
            if *f == file && *c == changed && *cc == contacts_changed);
        if !known {
            let ini = std::fs::read(&file).unwrap_or_default();
            let parsed = faces(&String::from_utf8_lossy(&ini), contacts.as_deref());
            *last = Some((file, changed, contacts_changed, parsed));
        }
        last.as_ref()
            .and_then(|(_, _, _, parsed)| parsed.get(&name))
            .map(|photo| photo.tags.clone())
            .unwrap_or_default()
    })
}

/// Each folder's Picasa file as a walk meets it: for each photo it names faces in, when what
/// names them last changed.
#[derive(Default)]
pub(super) struct Folders(HashMap<PathBuf, HashMap<String, i64>>);

impl Folders {
    /// When what names faces in the photo at `path` last changed, in nanoseconds since 1970: its
    /// folder's Picasa file, or Picasa's contacts file where that is newer and names some of
    /// them. `None` when no Picasa file names faces in it.
    pub(super) fn changed_ns(&mut self, path: &Path) -> Option<i64> {
        let (folder, name) = folder_and_name(path)?;
        let photos = self.0.entry(folder.to_path_buf()).or_insert_with(|| {
            let Some((changed, ini)) = folder_file(folder) else {
                return HashMap::new();
            };
            let contacts = picasa_contacts::current();
            faces(&ini, contacts.as_deref())
                .into_iter()
                .map(|(photo, faces)| {
                    let by = contacts.as_ref().filter(|_| faces.from_contacts);
                    (photo, by.map_or(changed, |c| changed.max(c.changed_ns)))
                })
                .collect()
        });
        photos.get(&name).copied()
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

/// The named faces of each photo in a Picasa file, by the photo's file name in lower case. A
/// contact the file does not name is looked up in Picasa's `contacts`.
fn faces(ini: &str, contacts: Option<&Contacts>) -> HashMap<String, PhotoFaces> {
    let mut named_here: HashMap<&str, &str> = HashMap::new();
    let mut listed: Vec<(&str, &str)> = Vec::new();
    let mut section = "";
    for line in ini.trim_start_matches('\u{feff}').lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name;
        } else if let Some((key, value)) = line.split_once('=') {
            if section.eq_ignore_ascii_case("Contacts2") {
                named_here.insert(key.trim(), value.split(';').next().unwrap_or_default());
            } else if key.trim() == "faces" {
                listed.push((section, value));
            }
        }
    }
    let mut faces: HashMap<String, PhotoFaces> = HashMap::new();
    for (photo, value) in listed {
        let photo = faces.entry(photo.to_lowercase()).or_default();
        for face in value.split(';') {
            let Some((rectangle, contact)) = face.split_once(',') else {
                continue;
            };
            let contact = contact.trim();
            let (name, from_contacts) = match named_here.get(contact) {
                Some(name) => (*name, false),
                None => match contacts.and_then(|c| c.names.get(contact)) {
                    Some(name) => (name.as_str(), true),
                    None => continue,
                },
            };
            if let Some(tag) =
                rect64(rectangle.trim()).and_then(|area| named(name.to_owned(), area))
            {
                photo.tags.push(tag);
                photo.from_contacts |= from_contacts;
            }
        }
    }
    faces.retain(|_, photo| !photo.tags.is_empty());
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

    /// The names given to each face of `photo`.
    fn names(faces: &HashMap<String, PhotoFaces>, photo: &str) -> Vec<String> {
        let tags = faces
            .get(photo)
            .map(|p| p.tags.as_slice())
            .unwrap_or_default();
        tags.iter().map(|tag| tag.name.clone()).collect()
    }

    #[test]
    fn named_faces_are_read_from_a_picasa_file() {
        let ini = "\u{feff}[Picasa]\nname=Holiday\n\
            [IMG_0001.JPG]\nfaces=rect64(1e00280045006e00),a1;rect64(5000280075006e00),ffffffffffffffff\n\
            [img_0002.jpg]\nfaces=rect64(8000000ffff8000),b2;rect64(zz),a1;rect64(5000280045006e00),a1\n\
            [IMG_0003.JPG]\nfaces=rect64(1e00280045006e00),c3\nstar=yes\n\
            [Contacts2]\na1=Anna Lee;;\nb2= Ben ;ben@example.com;\n";
        let faces = faces(ini, None);
        assert_eq!(names(&faces, "img_0001.jpg"), ["Anna Lee"]);
        let anna = &faces["img_0001.jpg"];
        assert!(!anna.from_contacts);
        let expected = [0.1171875, 0.15625, 0.15234375, 0.2734375];
        assert!(anna.tags[0]
            .area
            .iter()
            .zip(expected)
            .all(|(a, b)| (a - b).abs() < 1e-6));
        // Leading zeros left out; a rectangle that is not one, or has no size, names nothing.
        assert_eq!(names(&faces, "img_0002.jpg"), ["Ben"]);
        assert!((faces["img_0002.jpg"].tags[0].area[0] - 0.03125).abs() < 1e-6);
        // A contact the file does not name, with no contacts file, names nobody.
        assert!(!faces.contains_key("img_0003.jpg"));
        assert!(super::faces("not an ini file", None).is_empty());

        // Picasa's contacts file names the contacts the folder file leaves out, not those it names.
        let contacts = Contacts {
            changed_ns: 7,
            names: [("c3", "Carl"), ("a1", "Someone Else")]
                .map(|(id, name)| (id.to_owned(), name.to_owned()))
                .into(),
        };
        let faces = super::faces(ini, Some(&contacts));
        assert_eq!(names(&faces, "img_0001.jpg"), ["Anna Lee"]);
        assert!(!faces["img_0001.jpg"].from_contacts);
        assert_eq!(names(&faces, "img_0003.jpg"), ["Carl"]);
        assert!(faces["img_0003.jpg"].from_contacts);
    }
}
