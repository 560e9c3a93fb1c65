//! People another app listed as being in a photo without saying which face is whom (Google
//! Takeout's JSON, IPTC's people shown in XMP), each remembered with whether a face of the photo
//! was found to be them. Which face is whom is worked out in [`crate::people::listed`].

use std::collections::HashSet;

use rusqlite::{params, Transaction};

use super::{Catalog, Result};

/// A photo in which another app lists people whom no face of it is yet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnfoundInPhoto {
    pub photo: i64,
    pub path: String,
    /// The people listed, as [`Catalog::unfound_listed`] gives them.
    pub people: Vec<String>,
}

/// A person listed in a photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedPerson {
    /// The photo whose faces count: the listing photo, or its original when it is a copy.
    pub photo: i64,
    /// The photo whose metadata lists the person.
    pub listed_in: i64,
    pub name: String,
    /// A face of the photo was found to be this person once; it is not looked for again, even
    /// when the user moves that face elsewhere.
    pub found: bool,
}

impl Catalog {
    /// The people listed in readable photos, by photo; empty when every one was found.
    pub fn listed_people(&self) -> Result<Vec<ListedPerson>> {
        let open: bool = self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM listed_people WHERE found = 0)",
            [],
            |r| r.get(0),
        )?;
        if !open {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn().prepare(
            "SELECT COALESCE(p.copy_of, p.id), l.photo_id, l.name, l.found
             FROM listed_people l JOIN photos p ON p.id = l.photo_id
             WHERE p.status = 'ok' ORDER BY 1, 2, 3",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ListedPerson {
                photo: r.get(0)?,
                listed_in: r.get(1)?,
                name: r.get(2)?,
                found: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The people listed in photo `photo` (or in its copies) whom no face of it is, and whom none
    /// was ever found to be, each name once: for the photo viewer to say who else is there.
    pub fn unfound_listed(&self, photo: i64) -> Result<Vec<String>> {
        let mut stmt = self.conn().prepare(
            "SELECT name, found FROM listed_people
             WHERE photo_id = ?1 OR photo_id IN (SELECT id FROM photos WHERE copy_of = ?1)
             ORDER BY photo_id, name",
        )?;
        let listed: Vec<(String, bool)> = stmt
            .query_map([photo], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut seen: HashSet<String> = self
            .photo_faces(photo)?
            .into_iter()
            .filter_map(|face| face.person_name)
            .map(|name| name.to_lowercase())
            .collect();
        seen.extend(
            listed
                .iter()
                .filter(|(_, found)| *found)
                .map(|(name, _)| name.to_lowercase()),
        );
        let mut unfound = Vec::new();
        for (name, _) in listed {
            if seen.insert(name.to_lowercase()) {
                unfound.push(name);
            }
        }
        Ok(unfound)
    }

    /// Every readable photo in which another app lists people whom no face of it is yet, in the
    /// order photos were catalogued: the faces left for the user to look for.
    pub fn photos_with_unfound_listed(&self) -> Result<Vec<UnfoundInPhoto>> {
        let mut stmt = self.conn().prepare(
            "SELECT DISTINCT o.id, o.display FROM listed_people l
             JOIN photos p ON p.id = l.photo_id JOIN photos o ON o.id = COALESCE(p.copy_of, p.id)
             WHERE l.found = 0 AND o.status = 'ok' ORDER BY o.id",
        )?;
        let photos: Vec<(i64, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut unfound = Vec::new();
        for (photo, path) in photos {
            let people = self.unfound_listed(photo)?;
            if !people.is_empty() {
                unfound.push(UnfoundInPhoto {
                    photo,
                    path,
                    people,
                });
            }
        }
        Ok(unfound)
    }

    /// What the search for listed people depends on, summed up: it changes when a face comes,
    /// goes or changes person, when a listing comes or is found, when the user decides anything
    /// (names, moves, answers, undo) and when the adaptation head changes. Reads only indexes.
    pub fn listed_fingerprint(&self) -> Result<String> {
        let (faces, persons): (i64, f64) = self.conn().query_row(
            "SELECT COUNT(*), TOTAL(id * COALESCE(person_id, -1)) FROM faces",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let (listings, found): (i64, i64) = self.conn().query_row(
            "SELECT COUNT(*), COALESCE(SUM(found), 0) FROM listed_people",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let (actions, undone): (i64, i64) = self.conn().query_row(
            "SELECT COALESCE(MAX(id), 0), COALESCE(SUM(undone), 0) FROM history",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let head: i64 = self.conn().query_row(
            "SELECT COALESCE(MAX(created_at), 0) FROM adaptation",
            [],
            |r| r.get(0),
        )?;
        Ok(format!(
            "{faces}:{persons}:{listings}:{found}:{actions}:{undone}:{head}"
        ))
    }

    /// Marks each of `faces` with the listed name found to be it, for
    /// [`Catalog::name_tagged_faces`] to name, and the people `found` as found, in one
    /// transaction.
    pub fn settle_listed(&mut self, faces: &[(i64, String)], found: &[ListedPerson]) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        for (face, name) in faces {
            tx.execute(
                "UPDATE faces SET tagged_name = ?2 WHERE id = ?1",
                params![face, name],
            )?;
        }
        for listed in found {
            tx.execute(
                "UPDATE listed_people SET found = 1 WHERE photo_id = ?1 AND name = ?2",
                params![listed.listed_in, listed.name],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// Sets the people listed in `photo` to `names`, as its metadata says now; those found before
/// stay found.
pub(super) fn replace(tx: &Transaction, photo: i64, names: &[String]) -> Result<()> {
    let mut stmt =
        tx.prepare("SELECT name FROM listed_people WHERE photo_id = ?1 AND found = 1")?;
    let found: HashSet<String> = stmt
        .query_map([photo], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    tx.execute("DELETE FROM listed_people WHERE photo_id = ?1", [photo])?;
    for name in names {
        tx.execute(
            "INSERT OR IGNORE INTO listed_people (photo_id, name, found) VALUES (?1, ?2, ?3)",
            params![photo, name, found.contains(name)],
        )?;
    }
    Ok(())
}
