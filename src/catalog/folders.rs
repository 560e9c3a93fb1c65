//! The library's folders: the roots that were scanned into the catalog, and forgetting one.
//!
//! Forgetting a folder removes what the catalog knows of its photos (faces, decisions about those
//! faces, read errors); the files themselves are never touched. A photo that is also under another
//! of the library's folders (nested roots) stays, since the next scan of that folder would only
//! find it again.

use std::path::{Path, PathBuf};

use rusqlite::params;

use super::paths::{key_is_under, path_from_key, path_key};
use super::{unix_now, Catalog, Result};

impl Catalog {
    /// Remembers `folder` as one of the library's roots.
    pub fn add_folder(&self, folder: &Path) -> Result<()> {
        self.conn().execute(
            "INSERT OR IGNORE INTO folders (path, added_at) VALUES (?1, ?2)",
            params![path_key(folder), unix_now()],
        )?;
        Ok(())
    }

    pub fn folders(&self) -> Result<Vec<PathBuf>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT path FROM folders ORDER BY path")?;
        let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))?;
        rows.map(|r| Ok(path_from_key(&r?))).collect()
    }

    /// The photos that forgetting `folder` would forget: those under it and under no other of the
    /// library's folders.
    pub fn photos_only_under(&self, folder: &Path) -> Result<Vec<i64>> {
        let key = path_key(folder);
        let others: Vec<Vec<u8>> = self
            .folders()?
            .iter()
            .map(|f| path_key(f))
            .filter(|k| *k != key)
            .collect();
        let mut stmt = self.conn().prepare("SELECT id, path FROM photos")?;
        let mut rows = stmt.query([])?;
        let mut ids = Vec::new();
        while let Some(row) = rows.next()? {
            let path: Vec<u8> = row.get(1)?;
            if key_is_under(&path, &key) && !others.iter().any(|o| key_is_under(&path, o)) {
                ids.push(row.get(0)?);
            }
        }
        Ok(ids)
    }

    /// Forgets `folder` and the photos only it holds (see the module comment), in one
    /// transaction; unnamed persons left without faces go too. Returns how many photos were
    /// forgotten. The history keeps its entries: undoing one later restores what still exists.
    pub fn remove_folder(&mut self, folder: &Path) -> Result<usize> {
        let photos = self.photos_only_under(folder)?;
        let tx = self.conn_mut().transaction()?;
        {
            // Faces, their "not this person" facts and read errors go with the photo (cascades).
            let mut stmt = tx.prepare("DELETE FROM photos WHERE id = ?1")?;
            for id in &photos {
                stmt.execute([id])?;
            }
        }
        tx.execute(
            "DELETE FROM persons WHERE name IS NULL
             AND NOT EXISTS (SELECT 1 FROM faces WHERE faces.person_id = persons.id)",
            [],
        )?;
        tx.execute("DELETE FROM folders WHERE path = ?1", [path_key(folder)])?;
        tx.commit()?;
        tracing::info!(folder = %folder.display(), photos = photos.len(), "folder forgotten");
        Ok(photos.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{NewFace, PhotoRecord};

    fn add_photo(catalog: &mut Catalog, path: &str) -> i64 {
        let path = PathBuf::from(path);
        let record = PhotoRecord::synthetic(&path, 10, 10);
        let face = NewFace {
            tagged_name: None,
            bbox: [0.0, 0.0, 5.0, 5.0],
            score: 1.0,
            landmarks: [[0.0; 2]; 5],
            embedding: [0.0; 128],
            thumbnail: Vec::new(),
        };
        catalog.record_photo(&record, &[face]).expect("record")
    }

    #[test]
    fn removing_a_folder_forgets_only_what_no_other_folder_holds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("open");
        for folder in ["/photos", "/photos/2019", "/other"] {
            catalog.add_folder(Path::new(folder)).expect("add");
        }
        let top = add_photo(&mut catalog, "/photos/a.jpg");
        let nested = add_photo(&mut catalog, "/photos/2019/b.jpg");
        let other = add_photo(&mut catalog, "/other/c.jpg");
        let sibling = add_photo(&mut catalog, "/photos-old/d.jpg");
        let faces: Vec<i64> = catalog
            .faces()
            .expect("faces")
            .iter()
            .map(|f| f.id)
            .collect();
        let created = catalog.apply_clustering(&[], &[faces]).expect("person");

        // /photos/2019 is inside /photos: its photo stays while /photos is in the library.
        assert!(catalog
            .photos_only_under(Path::new("/photos/2019"))
            .expect("ids")
            .is_empty());
        assert_eq!(
            catalog
                .photos_only_under(Path::new("/photos"))
                .expect("ids"),
            vec![top]
        );

        assert_eq!(catalog.remove_folder(Path::new("/photos")).expect("rm"), 1);
        let left: Vec<i64> = catalog
            .photos()
            .expect("photos")
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(left.len(), 3);
        assert!(!left.contains(&top));
        for kept in [nested, other, sibling] {
            assert!(left.contains(&kept));
        }
        assert_eq!(
            catalog.folders().expect("folders"),
            vec![PathBuf::from("/other"), PathBuf::from("/photos/2019")]
        );
        // The person keeps its remaining faces.
        let person = catalog.person(created[0]).expect("read").expect("person");
        assert_eq!(person.faces, 3);

        assert_eq!(
            catalog
                .remove_folder(Path::new("/photos/2019"))
                .expect("rm"),
            1
        );
        assert_eq!(catalog.remove_folder(Path::new("/other")).expect("rm"), 1);
        // Only the photo outside every folder is left; its person survives with one face.
        assert_eq!(catalog.photos().expect("photos").len(), 1);
        assert_eq!(catalog.persons(true).expect("persons").len(), 1);
    }
}
