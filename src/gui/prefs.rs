//! What the window remembers between runs, kept in eframe's storage (beside the window size it
//! already keeps): the last view, the libraries opened before, the theme, how scans run (device,
//! half precision on a GPU, whether they look for faces far off) and whether opening a library
//! scans its folders again.
//! These belong to this computer, not to a library, so they are not in the catalog.

use std::path::{Path, PathBuf};

use egui::ThemePreference;
use serde::{Deserialize, Serialize};

use crate::gui::View;
use crate::vision::DeviceChoice;

/// The key under which eframe's storage holds the preferences.
const KEY: &str = "kith-prefs";
/// Libraries listed under "Recent libraries".
pub const MAX_RECENT: usize = 8;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// The view shown when the window was closed.
    pub view: View,
    /// Catalog files opened before, most recent first.
    pub recent: Vec<PathBuf>,
    pub theme: ThemePreference,
    /// Where scans run; `None` until chosen in the settings (then `--device` decides).
    pub device: Option<DeviceChoice>,
    /// Opening a library looks through its folders for new, changed and removed photos.
    pub scan_on_open: bool,
    /// Scans search photos at [`FAR_FACES_DETECT_SIZE`] to find people further off.
    pub far_faces: bool,
    /// Scans on a GPU compute in half precision (f16).
    pub half_on_gpu: bool,
}

/// The detector's input when scans look for faces far off: in a 12-megapixel photo it finds
/// most faces 50-75 px wide, which the default size misses unless they are in a crowd, at four
/// times the time for photos with nobody in them.
pub const FAR_FACES_DETECT_SIZE: u32 = 2048;

impl Default for Prefs {
    fn default() -> Self {
        Self {
            view: View::People,
            recent: Vec::new(),
            theme: ThemePreference::System,
            device: None,
            scan_on_open: true,
            far_faces: false,
            half_on_gpu: false,
        }
    }
}

impl Prefs {
    /// The stored preferences, or the defaults (first run, no storage, or unreadable).
    pub fn load(storage: Option<&dyn eframe::Storage>) -> Self {
        storage
            .and_then(|s| eframe::get_value(s, KEY))
            .unwrap_or_default()
    }

    pub fn save(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, KEY, self);
    }

    /// Puts `library` first in the recent list.
    pub fn remember_library(&mut self, library: &Path) {
        // The same file reached by two spellings (relative, symlinked) is listed once.
        let library = library
            .canonicalize()
            .unwrap_or_else(|_| library.to_path_buf());
        self.recent.retain(|p| *p != library);
        self.recent.insert(0, library);
        self.recent.truncate(MAX_RECENT);
    }

    /// The long side of the copy of each photo that scans search for faces.
    pub fn detect_long_side(&self) -> u32 {
        if self.far_faces {
            FAR_FACES_DETECT_SIZE
        } else {
            crate::vision::analyzer::DEFAULT_DETECT_LONG_SIDE
        }
    }

    /// The library to open when none was given: the most recent one that still exists.
    pub fn last_library(&self) -> Option<&Path> {
        self.recent
            .iter()
            .find(|p| p.is_file())
            .map(PathBuf::as_path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_libraries_are_most_recent_first_without_repeats() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut prefs = Prefs::default();
        let paths: Vec<PathBuf> = (0..MAX_RECENT + 2)
            .map(|i| dir.path().join(format!("{i}.sqlite")))
            .collect();
        for p in &paths {
            std::fs::write(p, b"").expect("write");
            prefs.remember_library(p);
        }
        prefs.remember_library(&paths[3]);
        assert_eq!(prefs.recent.len(), MAX_RECENT);
        assert_eq!(prefs.recent[0], paths[3].canonicalize().expect("exists"));
        assert_eq!(
            prefs
                .recent
                .iter()
                .filter(|p| p.ends_with("3.sqlite"))
                .count(),
            1
        );
        // The oldest fell off the end.
        assert!(!prefs.recent.iter().any(|p| p.ends_with("0.sqlite")));

        std::fs::remove_file(&paths[3]).expect("rm");
        assert_eq!(
            prefs.last_library(),
            Some(
                paths[MAX_RECENT + 1]
                    .canonicalize()
                    .expect("exists")
                    .as_path()
            )
        );
    }

    #[test]
    fn preferences_survive_serialisation() {
        let prefs = Prefs {
            view: View::Person(7),
            recent: vec![PathBuf::from("/a/library.kith.sqlite")],
            theme: ThemePreference::Dark,
            device: Some(DeviceChoice::Cpu),
            scan_on_open: false,
            far_faces: true,
            half_on_gpu: true,
        };
        let text = serde_json::to_string(&prefs).expect("serialise");
        let back: Prefs = serde_json::from_str(&text).expect("parse");
        assert_eq!(back, prefs);
        // Stored by an older Kith with fewer fields: the rest take their defaults.
        let old: Prefs = serde_json::from_str(r#"{"recent": []}"#).expect("parse");
        assert_eq!(old, Prefs::default());
    }
}
