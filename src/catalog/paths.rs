//! Paths as catalog keys. File names need not be valid UTF-8 (old cameras, other locales), so the
//! catalog stores the operating system's own bytes and a lossy copy for display.

use std::path::{Path, PathBuf};

#[cfg(unix)]
pub fn path_key(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(unix)]
pub fn path_from_key(key: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(key))
}

// Elsewhere paths are stored as UTF-8; names that are not valid Unicode are rare there and are
// recorded lossily rather than refused.
#[cfg(not(unix))]
pub fn path_key(path: &Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}

#[cfg(not(unix))]
pub fn path_from_key(key: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(key).into_owned())
}

/// True when `key` names a file inside the folder whose key is `root`.
pub fn key_is_under(key: &[u8], root: &[u8]) -> bool {
    let root = root.strip_suffix(b"/").unwrap_or(root);
    key.len() > root.len()
        && key.starts_with(root)
        && (key[root.len()] == b'/' || key[root.len()] == b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        let path = Path::new("/photos/2019/beach.jpg");
        assert_eq!(path_from_key(&path_key(path)), path);
    }

    #[test]
    fn under_means_inside_the_folder_not_a_sibling_with_the_same_prefix() {
        assert!(key_is_under(b"/a/b/c.jpg", b"/a/b"));
        assert!(key_is_under(b"/a/b/c.jpg", b"/a/b/"));
        assert!(!key_is_under(b"/a/bc/d.jpg", b"/a/b"));
        assert!(!key_is_under(b"/a/b", b"/a/b"));
    }
}
