//! Picasa's own list of people, `contacts.xml`. A folder file's faces name people by an id, and
//! the folder file's `[Contacts2]` section often leaves ids out: Picasa 3.8 and later kept the
//! names in this one file in its data folder, on the machine it ran on. Kith looks for it where
//! Picasa kept it (Windows, macOS, Picasa under Wine on Linux), or where `KITH_PICASA_CONTACTS`
//! says (a copy brought from another machine), and reads it again when it changes. It is only
//! read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::catalog::FileStamp;

/// The variable naming a contacts file to read instead of looking for Picasa's own.
const PATH_VARIABLE: &str = "KITH_PICASA_CONTACTS";

/// Picasa's contacts file as last read.
#[derive(Debug, Default)]
pub(super) struct Contacts {
    /// When the file last changed, in nanoseconds since 1970.
    pub changed_ns: i64,
    /// The name of each contact, by id.
    pub names: HashMap<String, String>,
}

/// The contacts file read last, by where it is, so that each photo does not read it again.
static LAST_READ: Mutex<Option<(PathBuf, Arc<Contacts>)>> = Mutex::new(None);

/// Picasa's contacts, from the first of [`places`] that holds a file; `None` when none does.
pub(super) fn current() -> Option<Arc<Contacts>> {
    static PLACES: OnceLock<Vec<PathBuf>> = OnceLock::new();
    let (path, changed_ns) = PLACES.get_or_init(places).iter().find_map(|path| {
        let meta = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
        Some((path, FileStamp::of(&meta).mtime_ns))
    })?;
    let mut last = LAST_READ.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((read, contacts)) = &*last {
        if read == path && contacts.changed_ns == changed_ns {
            return Some(Arc::clone(contacts));
        }
    }
    let names = match std::fs::read(path) {
        Ok(bytes) => parse(&String::from_utf8_lossy(&bytes)),
        Err(err) => {
            tracing::warn!(path = %path.display(), "Picasa's contacts not read: {err}");
            HashMap::new()
        }
    };
    tracing::info!(path = %path.display(), contacts = names.len(), "read Picasa's contacts");
    let contacts = Arc::new(Contacts { changed_ns, names });
    *last = Some((path.clone(), Arc::clone(&contacts)));
    Some(contacts)
}

/// Where a contacts file may be, most likely first: only the one `KITH_PICASA_CONTACTS` names
/// when it is set; else Picasa's data folder (`%LOCALAPPDATA%\Google\Picasa2` on Windows,
/// `~/Library/Application Support/Google/Picasa3` or `Picasa2` on macOS) and those of Picasa
/// under Wine on Linux, for each Windows user there.
fn places() -> Vec<PathBuf> {
    if let Some(path) = std::env::var_os(PATH_VARIABLE) {
        return vec![PathBuf::from(path)];
    }
    let Some(dirs) = directories::BaseDirs::new() else {
        return Vec::new();
    };
    let in_data = |data: &Path, picasa: &str| {
        data.join("Google")
            .join(picasa)
            .join("contacts/contacts.xml")
    };
    let mut places = vec![
        in_data(dirs.data_local_dir(), "Picasa2"),
        in_data(dirs.data_local_dir(), "Picasa3"),
    ];
    let home = dirs.home_dir();
    // Wine's drive C, and that of the Picasa for Linux that Google built on Wine.
    for users in [
        ".wine/drive_c/users",
        ".google/picasa/3.0/drive_c/Documents and Settings",
    ] {
        let Ok(entries) = std::fs::read_dir(home.join(users)) else {
            continue;
        };
        for user in entries.flatten().map(|entry| entry.path()) {
            for data in ["AppData/Local", "Local Settings/Application Data"] {
                places.push(in_data(&user.join(data), "Picasa2"));
            }
        }
    }
    places
}

/// The name of each contact by id. Picasa writes `<contact id="…" name="…" display="…"/>`
/// elements under `<contacts>`: `name` is the full name, `display` the short one it showed, used
/// when there is no full name.
fn parse(xml: &str) -> HashMap<String, String> {
    let document = match roxmltree::Document::parse(xml) {
        Ok(document) => document,
        Err(err) => {
            tracing::warn!("Picasa's contacts are not XML: {err}");
            return HashMap::new();
        }
    };
    document
        .descendants()
        .filter(|node| node.has_tag_name("contact"))
        .filter_map(|contact| {
            let id = contact.attribute("id")?.trim();
            let name = ["name", "display"]
                .iter()
                .filter_map(|key| contact.attribute(*key))
                .map(str::trim)
                .find(|name| !name.is_empty())?;
            Some((id.to_owned(), name.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_named_by_full_name_then_by_the_name_shown() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
            <contacts>
             <contact id="3f1a9c0d2b7e4a11" name="Anna Lee" display="Anna" modified_time="2011-04-02T10:00:00+00:00" local_contact="1"/>
             <contact id="5b2c" name="" display="Ben"/>
             <contact id="7d3e" name="Zoë &amp; Co"><subject user="zoe@example.com"/></contact>
             <contact id="9e4f" name=" " display=""/>
             <contact name="No Id"/>
            </contacts>"#;
        let names = parse(xml);
        assert_eq!(names.len(), 3, "{names:?}");
        assert_eq!(names["3f1a9c0d2b7e4a11"], "Anna Lee");
        assert_eq!(names["5b2c"], "Ben");
        assert_eq!(names["7d3e"], "Zoë & Co");
        assert!(parse("<contacts><contact id=").is_empty());
    }
}
