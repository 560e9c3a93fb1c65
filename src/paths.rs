//! Where Kith keeps its own files: the catalog and caches in the platform's data directory.

use std::path::PathBuf;

use directories::ProjectDirs;

pub fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("org", "Kith", "kith")
}

/// The default catalog: `<data dir>/library.kith.sqlite`, e.g. `~/.local/share/kith/` on Linux.
pub fn default_catalog() -> Option<PathBuf> {
    project_dirs().map(|dirs| dirs.data_dir().join("library.kith.sqlite"))
}
