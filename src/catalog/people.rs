//! Persons and the user's decisions about faces: naming, merging, splitting, moving, "not this
//! person", hiding, ignoring and cover faces. Every decision is an undoable action (see `history`)
//! and pins the faces it concerns, so that clustering never undoes it.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, OptionalExtension, Transaction};

use super::{unix_now, Catalog, CatalogError, Result};

/// A person (a named or unnamed group of faces) with the numbers a list needs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PersonSummary {
    pub id: i64,
    pub name: Option<String>,
    pub hidden: bool,
    pub faces: usize,
    pub photos: usize,
    /// The face shown for the person: the chosen cover, else the most confident face.
    pub cover_face: Option<i64>,
}

impl PersonSummary {
    /// The name, or "Unnamed #id".
    pub fn label(&self) -> String {
        person_label(self.id, self.name.as_deref())
    }
}

/// A person without the counts (see [`Catalog::person_briefs`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PersonBrief {
    pub id: i64,
    pub name: Option<String>,
    pub hidden: bool,
}

/// How a person is called in lists: the name, or "Unnamed #id".
pub fn person_label(id: i64, name: Option<&str>) -> String {
    name.map_or_else(|| format!("Unnamed #{id}"), str::to_string)
}

/// The face shown for person `p`: the chosen cover, else the most confident face (not ignored)
/// of a readable photo that is not a copy.
const COVER: &str = "COALESCE(p.cover_face,
    (SELECT f2.id FROM faces f2 JOIN photos ph2 ON ph2.id = f2.photo_id
     WHERE f2.person_id = p.id AND f2.ignored = 0 AND ph2.status = 'ok' AND ph2.copy_of IS NULL
     ORDER BY f2.score DESC, f2.id LIMIT 1))";

/// A [`PersonSummary`] from the columns id, name, hidden, faces, photos, cover.
fn summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<PersonSummary> {
    Ok(PersonSummary {
        id: r.get(0)?,
        name: r.get(1)?,
        hidden: r.get(2)?,
        faces: r.get::<_, i64>(3)? as usize,
        photos: r.get::<_, i64>(4)? as usize,
        cover_face: r.get(5)?,
    })
}

/// The people nobody did anything about: unnamed, not hidden, no cover chosen, no face said not
/// to be them, not told apart from another.
const UNTOUCHED: &str = "SELECT id FROM persons WHERE name IS NULL AND hidden = 0
     AND cover_face IS NULL
     AND id NOT IN (SELECT person_id FROM not_person)
     AND id NOT IN (SELECT a FROM distinct_persons)
     AND id NOT IN (SELECT b FROM distinct_persons)";

/// Unnamed people left without faces go: nobody can see or name them.
const DROP_EMPTY_UNNAMED: &str = "DELETE FROM persons WHERE name IS NULL
     AND NOT EXISTS (SELECT 1 FROM faces WHERE faces.person_id = persons.id)";

impl Catalog {
    /// Persons, named ones first (alphabetically), then unnamed ones by size.
    pub fn persons(&self, include_hidden: bool) -> Result<Vec<PersonSummary>> {
        // Counted from the `faces_of_persons` index alone: every face not ignored, less those in
        // photos that are not readable now or are copies (few). A photo is either readable or not, so the
        // distinct photos of a person split the same way and subtract too.
        let sql = format!(
            "WITH everything AS (
                 SELECT person_id AS person, COUNT(*) AS faces, COUNT(DISTINCT photo_id) AS photos
                 FROM faces WHERE ignored = 0 AND person_id IS NOT NULL GROUP BY person_id),
             unreadable AS (
                 SELECT f.person_id AS person, COUNT(*) AS faces,
                        COUNT(DISTINCT f.photo_id) AS photos
                 FROM photos ph CROSS JOIN faces f ON f.photo_id = ph.id
                 WHERE (ph.status != 'ok' OR ph.copy_of IS NOT NULL)
                   AND f.ignored = 0 AND f.person_id IS NOT NULL
                 GROUP BY f.person_id)
             SELECT p.id, p.name, p.hidden,
                    COALESCE(e.faces, 0) - COALESCE(u.faces, 0),
                    COALESCE(e.photos, 0) - COALESCE(u.photos, 0),
                    {COVER}
             FROM persons p
             LEFT JOIN everything e ON e.person = p.id
             LEFT JOIN unreadable u ON u.person = p.id
             WHERE ?1 OR p.hidden = 0"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map([include_hidden], summary)?;
        let mut persons: Vec<PersonSummary> = rows.collect::<rusqlite::Result<_>>()?;
        persons.retain(|p| p.faces > 0 || p.name.is_some());
        persons.sort_by(|a, b| match (&a.name, &b.name) {
            (Some(x), Some(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => b.faces.cmp(&a.faces).then(a.id.cmp(&b.id)),
        });
        Ok(persons)
    }

    /// Every person without the counts and cover, which cost a pass over all faces: cheap
    /// enough to read after every decision.
    pub fn person_briefs(&self) -> Result<Vec<PersonBrief>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id, name, hidden FROM persons ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(PersonBrief {
                id: r.get(0)?,
                name: r.get(1)?,
                hidden: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The face shown for one person (as [`PersonSummary::cover_face`]), without counting faces.
    pub fn cover_face(&self, person: i64) -> Result<Option<i64>> {
        let cover = self
            .conn()
            .query_row(
                &format!("SELECT {COVER} FROM persons p WHERE p.id = ?1"),
                [person],
                |r| r.get(0),
            )
            .optional()?;
        Ok(cover.flatten())
    }

    /// One person as [`Catalog::persons`] lists them (`None` also for an unnamed person left
    /// without faces).
    pub fn person(&self, id: i64) -> Result<Option<PersonSummary>> {
        let sql = format!(
            "SELECT p.id, p.name, p.hidden, COUNT(f.id), COUNT(DISTINCT f.photo_id), {COVER}
             FROM persons p
             LEFT JOIN faces f ON f.person_id = p.id AND f.ignored = 0
                 AND EXISTS (SELECT 1 FROM photos ph WHERE ph.id = f.photo_id AND ph.status = 'ok'
                             AND ph.copy_of IS NULL)
             WHERE p.id = ?1
             GROUP BY p.id"
        );
        let person = self.conn().query_row(&sql, [id], summary).optional()?;
        Ok(person.filter(|p| p.faces > 0 || p.name.is_some()))
    }

    /// Named persons whose name equals `query` or, failing that, starts with it
    /// (case-insensitive), as (id, name). Reads only the persons table, so it stays instant
    /// however many faces there are.
    pub fn find_persons(&self, query: &str) -> Result<Vec<(i64, String)>> {
        let q = query.trim().to_lowercase();
        let mut stmt = self
            .conn()
            .prepare("SELECT id, name FROM persons WHERE name IS NOT NULL ORDER BY id")?;
        let named = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let exact: Vec<_> = named
            .iter()
            .filter(|(_, n)| n.to_lowercase() == q)
            .cloned()
            .collect();
        if !exact.is_empty() {
            return Ok(exact);
        }
        Ok(named
            .into_iter()
            .filter(|(_, n)| n.to_lowercase().starts_with(&q))
            .collect())
    }

    /// Named persons called exactly `name` (case-insensitive), as (id, name): who already has
    /// a name that is about to be given.
    pub fn persons_named(&self, name: &str) -> Result<Vec<(i64, String)>> {
        let q = name.trim().to_lowercase();
        let mut found = self.find_persons(name)?;
        found.retain(|(_, n)| n.to_lowercase() == q);
        Ok(found)
    }

    /// The people clustering alone made: unnamed, holding no face the user placed, and nothing
    /// else the user did about them (hidden, given a cover, told a face is not them, told apart
    /// from another).
    pub fn untouched_persons(&self) -> Result<HashSet<i64>> {
        let sql = format!(
            "{UNTOUCHED} AND id NOT IN (SELECT person_id FROM faces
                 WHERE pinned = 1 AND person_id IS NOT NULL)"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// "Face f is not person p" facts.
    pub fn not_person_facts(&self) -> Result<Vec<(i64, i64)>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT face_id, person_id FROM not_person")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The highest face id so far (0 without faces): the faces a scan adds come after it.
    pub fn last_face_id(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT COALESCE(MAX(id), 0) FROM faces", [], |r| r.get(0))?)
    }

    /// Takes the faces after `face_id` that clustering placed (not the user) out of their people
    /// again, to be placed anew, except in people the user did something about (named, hid,
    /// gave a cover, took a face out of, or told apart from another): those stay as they are.
    /// Returns, for each face taken out of a person it leaves without faces, that person: the
    /// emptied people stay until the next [`Catalog::apply_clustering`], so that a group of
    /// those faces placed again can keep its person (and the window showing it) rather than
    /// become a new one; those given no faces go then. The faces after `face_id` that clustering
    /// left with nobody lose their [`left_alone`](super::FaceRow::left_alone) mark: they are
    /// placed anew too.
    pub fn unplace_faces_after(&mut self, face_id: i64) -> Result<HashMap<i64, i64>> {
        // The faces after `face_id` that clustering put in people nobody touched.
        let taken_from =
            format!("FROM faces WHERE id > ?1 AND pinned = 0 AND person_id IN ({UNTOUCHED})");
        let tx = self.conn_mut().transaction()?;
        let taken: Vec<(i64, i64)> = {
            let mut stmt = tx.prepare(&format!("SELECT id, person_id {taken_from}"))?;
            let rows = stmt.query_map([face_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        tx.execute(
            &format!("UPDATE faces SET person_id = NULL WHERE id IN (SELECT id {taken_from})"),
            [face_id],
        )?;
        // Those left with nobody are placed again too, as new faces are.
        tx.execute(
            "UPDATE faces SET left_alone = 0 WHERE id > ?1 AND left_alone = 1",
            [face_id],
        )?;
        let emptied: HashSet<i64> = {
            let mut stmt =
                tx.prepare("SELECT EXISTS (SELECT 1 FROM faces WHERE person_id = ?1)")?;
            let mut emptied = HashSet::new();
            for person in taken.iter().map(|&(_, p)| p).collect::<HashSet<i64>>() {
                if !stmt.query_row([person], |row| row.get::<_, bool>(0))? {
                    emptied.insert(person);
                }
            }
            emptied
        };
        tx.commit()?;
        Ok(taken
            .into_iter()
            .filter(|(_, person)| emptied.contains(person))
            .collect())
    }

    /// Writes clustering's guesses: `assign` maps unpinned faces to a person (`None`: left with
    /// nobody, marked [`left_alone`](super::FaceRow::left_alone)); `new_persons` groups of faces
    /// become new unnamed persons. Pinned faces are never touched; unnamed persons left without
    /// faces are removed. Not an undoable action: it only re-derives what follows from the faces
    /// and the user's decisions.
    pub fn apply_clustering(
        &mut self,
        assign: &[(i64, Option<i64>)],
        new_persons: &[Vec<i64>],
    ) -> Result<Vec<i64>> {
        let tx = self.conn_mut().transaction()?;
        {
            let mut stmt = tx.prepare(
                "UPDATE faces SET person_id = ?2, left_alone = (?2 IS NULL)
                 WHERE id = ?1 AND pinned = 0 AND ignored = 0",
            )?;
            for (face, person) in assign {
                stmt.execute(params![face, person])?;
            }
        }
        let mut created = Vec::with_capacity(new_persons.len());
        for faces in new_persons {
            let id = insert_person(&tx, None)?;
            let mut stmt = tx.prepare(
                "UPDATE faces SET person_id = ?2, left_alone = 0
                 WHERE id = ?1 AND pinned = 0 AND ignored = 0",
            )?;
            for face in faces {
                stmt.execute(params![face, id])?;
            }
            created.push(id);
        }
        tx.execute(DROP_EMPTY_UNNAMED, [])?;
        tx.commit()?;
        Ok(created)
    }

    /// Names (or renames) a person. Its current faces become the user's: clustering keeps them.
    pub fn name_person(&mut self, person: i64, name: &str) -> Result<()> {
        let name = clean_name(name)?;
        self.require_person(person)?;
        let faces = self.face_ids_of(person)?;
        self.act(
            &format!("name #{person} \"{name}\""),
            &faces,
            &[person],
            |tx| {
                tx.execute(
                    "UPDATE persons SET name = ?2 WHERE id = ?1",
                    params![person, name],
                )?;
                tx.execute("UPDATE faces SET pinned = 1 WHERE person_id = ?1", [person])?;
                Ok(((), vec![]))
            },
        )
    }

    /// Merges `others` into `target`. The name kept is the target's, else the first other's name.
    pub fn merge_persons(&mut self, target: i64, others: &[i64]) -> Result<()> {
        self.require_person(target)?;
        let others: Vec<i64> = others.iter().copied().filter(|&p| p != target).collect();
        if others.is_empty() {
            return Err(CatalogError::Invalid(format!(
                "nothing to merge: give a person other than #{target}"
            )));
        }
        let mut faces = self.face_ids_of(target)?;
        for &p in &others {
            self.require_person(p)?;
            faces.extend(self.face_ids_of(p)?);
        }
        let mut persons = vec![target];
        persons.extend(&others);
        let description = format!(
            "merge {} into #{target}",
            others
                .iter()
                .map(|p| format!("#{p}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        self.act(&description, &faces, &persons, |tx| {
            let target_name: Option<String> =
                tx.query_row("SELECT name FROM persons WHERE id = ?1", [target], |r| {
                    r.get(0)
                })?;
            if target_name.is_none() {
                for &p in &others {
                    let name: Option<String> =
                        tx.query_row("SELECT name FROM persons WHERE id = ?1", [p], |r| r.get(0))?;
                    if name.is_some() {
                        tx.execute(
                            "UPDATE persons SET name = ?2 WHERE id = ?1",
                            params![target, name],
                        )?;
                        break;
                    }
                }
            }
            for &p in &others {
                tx.execute(
                    "UPDATE faces SET person_id = ?2, pinned = 1 WHERE person_id = ?1",
                    params![p, target],
                )?;
                // "Not the merged person" now means "not the target".
                tx.execute(
                    "INSERT OR IGNORE INTO not_person (face_id, person_id)
                     SELECT face_id, ?2 FROM not_person WHERE person_id = ?1",
                    params![p, target],
                )?;
                tx.execute("DELETE FROM persons WHERE id = ?1", [p])?;
            }
            // "Not the target" on a face now in the target contradicts the merge, the later
            // decision, whether copied above or already there on a merged person's face.
            tx.execute(
                "DELETE FROM not_person WHERE person_id = ?1
                 AND face_id IN (SELECT id FROM faces WHERE person_id = ?1)",
                [target],
            )?;
            tx.execute("UPDATE faces SET pinned = 1 WHERE person_id = ?1", [target])?;
            Ok(((), vec![]))
        })
    }

    /// Moves `faces` into a new person (optionally named); returns its id. Each face is remembered
    /// as not being the person it left.
    pub fn split_faces(&mut self, faces: &[i64], name: Option<&str>) -> Result<i64> {
        let name = name.map(clean_name).transpose()?;
        let olds = self.persons_of_faces(faces)?;
        let description = format!(
            "split {} into a new person",
            crate::wording::counted(faces.len(), "face")
        );
        self.act(
            &description,
            faces,
            &olds.values().flatten().copied().collect::<Vec<_>>(),
            |tx| {
                let id = insert_person(tx, name.as_deref())?;
                for &face in faces {
                    pin_face(tx, face, Some(id), olds.get(&face).copied().flatten())?;
                }
                Ok((id, vec![id]))
            },
        )
    }

    /// Names the faces that other apps named in their photos' metadata (see
    /// [`crate::scan::face_tags`]) and the user has not placed, nor said are not that person:
    /// each joins the named person of that name, or a new one, as one action that undo takes back. Copies' faces are left to
    /// their originals'. Every such name is then forgotten, so that it names its face once and
    /// never overrules what the user decides later. Returns how many faces were named.
    pub fn name_tagged_faces(&mut self) -> Result<usize> {
        let mut stmt = self.conn().prepare(
            "SELECT f.id, f.tagged_name, f.person_id FROM faces f JOIN photos p ON p.id = f.photo_id
             WHERE f.tagged_name IS NOT NULL AND f.pinned = 0 AND f.ignored = 0
             AND p.status = 'ok' AND p.copy_of IS NULL ORDER BY f.id",
        )?;
        let mut tagged: Vec<(i64, String, Option<i64>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        for (_, name, _) in &mut tagged {
            *name = tidy_name(name);
        }
        tagged.retain(|(_, name, _)| !name.is_empty());
        // Named persons by their name in lower case, the first of each name as find_persons.
        let mut persons: HashMap<String, i64> = HashMap::new();
        for person in self.person_briefs()? {
            if let Some(name) = person.name {
                persons.entry(name.to_lowercase()).or_insert(person.id);
            }
        }
        // The user's "not this person" outweighs the other app's name.
        if !tagged.is_empty() {
            let refused: HashSet<(i64, i64)> = self.not_person_facts()?.into_iter().collect();
            tagged.retain(|(face, name, _)| {
                persons
                    .get(&name.to_lowercase())
                    .is_none_or(|&person| !refused.contains(&(*face, person)))
            });
        }
        if tagged.is_empty() {
            // Names left on faces the user placed or refused them for, or on copies.
            self.conn().execute(FORGET_TAGGED_NAMES, [])?;
            return Ok(0);
        }
        let faces: Vec<i64> = tagged.iter().map(|(face, _, _)| *face).collect();
        // The persons the faces join, where they exist, and those they leave.
        let mut touched: Vec<i64> = tagged
            .iter()
            .flat_map(|(_, name, old)| [persons.get(&name.to_lowercase()).copied(), *old])
            .flatten()
            .collect();
        touched.sort_unstable();
        touched.dedup();
        let description = format!(
            "named {} faces as the photos' metadata names them",
            faces.len()
        );
        self.act(&description, &faces, &touched, |tx| {
            let mut created = Vec::new();
            for (face, name, old) in &tagged {
                let key = name.to_lowercase();
                let person = match persons.get(&key) {
                    Some(&id) => id,
                    None => {
                        let id = insert_person(tx, Some(name))?;
                        persons.insert(key, id);
                        created.push(id);
                        id
                    }
                };
                pin_face(tx, *face, Some(person), *old)?;
            }
            tx.execute(FORGET_TAGGED_NAMES, [])?;
            Ok((faces.len(), created))
        })
    }

    /// Moves one face to `person` and remembers it is not the person it left.
    pub fn move_face(&mut self, face: i64, person: i64) -> Result<()> {
        self.require_person(person)?;
        let old = self.persons_of_faces(&[face])?.remove(&face).flatten();
        let mut persons = vec![person];
        persons.extend(old);
        self.act(
            &format!("move face {face} to #{person}"),
            &[face],
            &persons,
            |tx| {
                pin_face(tx, face, Some(person), old)?;
                Ok(((), vec![]))
            },
        )
    }

    /// "This face is not its person": remembered as a cannot-link; the face becomes unassigned
    /// and clustering may place it with someone else, never with that person.
    pub fn not_this_person(&mut self, face: i64) -> Result<()> {
        let Some(old) = self.persons_of_faces(&[face])?.remove(&face).flatten() else {
            return Err(CatalogError::Invalid(format!("face {face} has no person")));
        };
        self.reject_person(face, old)
    }

    /// "Face `face` is not `person`" (a "no" to "is this X?"): remembered as a cannot-link, so
    /// that neither clustering nor the review queue puts the two together again. A face that is
    /// with that person leaves it and becomes unassigned; any other face stays where it is.
    pub fn reject_person(&mut self, face: i64, person: i64) -> Result<()> {
        self.require_person(person)?;
        let current = self.persons_of_faces(&[face])?.remove(&face).flatten();
        self.act(
            &format!("face {face} is not #{person}"),
            &[face],
            &[person],
            |tx| {
                rule_out(tx, face, person, current)?;
                Ok(((), vec![]))
            },
        )
    }

    /// "This face is `person`" (a "yes" to "is this X?"): pins the face to the person. Unlike
    /// [`Catalog::move_face`] it records nothing about the group the face leaves: an unnamed group
    /// clustering put it in may well be the same person, not merged yet.
    pub fn confirm_face(&mut self, face: i64, person: i64) -> Result<()> {
        self.require_person(person)?;
        let old = self.persons_of_faces(&[face])?.remove(&face).flatten();
        let mut persons = vec![person];
        persons.extend(old.filter(|&o| o != person));
        self.act(
            &format!("face {face} is #{person}"),
            &[face],
            &persons,
            |tx| {
                pin_face(tx, face, Some(person), None)?;
                Ok(((), vec![]))
            },
        )
    }

    /// Answers "which of these faces are `person`?" at once, as one action that undo takes
    /// back whole: each face of `yes` is confirmed as the person ([`Catalog::confirm_face`]),
    /// each face of `no` is ruled out for them ([`Catalog::reject_person`]).
    pub fn answer_about(&mut self, person: i64, yes: &[i64], no: &[i64]) -> Result<()> {
        self.require_person(person)?;
        if yes.iter().any(|face| no.contains(face)) {
            return Err(CatalogError::Invalid(
                "a face cannot be both yes and no".into(),
            ));
        }
        let faces: Vec<i64> = yes.iter().chain(no).copied().collect();
        let olds = self.persons_of_faces(&faces)?;
        let mut persons = vec![person];
        persons.extend(olds.values().flatten().filter(|&&o| o != person));
        persons.sort_unstable();
        persons.dedup();
        let description = format!(
            "{} #{person}, {} not",
            crate::wording::counted_are(yes.len(), "face"),
            no.len()
        );
        self.act(&description, &faces, &persons, |tx| {
            for &face in yes {
                pin_face(tx, face, Some(person), None)?;
            }
            for &face in no {
                rule_out(tx, face, person, olds.get(&face).copied().flatten())?;
            }
            Ok(((), vec![]))
        })
    }

    /// "These two are different people": a merge suggestion the user turned down, never offered
    /// again.
    pub fn mark_distinct(&mut self, a: i64, b: i64) -> Result<()> {
        self.require_person(a)?;
        self.require_person(b)?;
        let (a, b) = (a.min(b), a.max(b));
        if a == b {
            return Err(CatalogError::Invalid(
                "a person cannot differ from itself".into(),
            ));
        }
        self.act(
            &format!("#{a} and #{b} are different people"),
            &[],
            &[a, b],
            |tx| {
                tx.execute(
                    "INSERT OR IGNORE INTO distinct_persons (a, b) VALUES (?1, ?2)",
                    params![a, b],
                )?;
                Ok(((), vec![]))
            },
        )
    }

    /// Pairs of persons (smaller id first) the user said are different people.
    pub fn distinct_pairs(&self) -> Result<Vec<(i64, i64)>> {
        let mut stmt = self.conn().prepare("SELECT a, b FROM distinct_persons")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Hides or shows a person in lists.
    pub fn hide_person(&mut self, person: i64, hidden: bool) -> Result<()> {
        self.require_person(person)?;
        let verb = if hidden { "hide" } else { "show" };
        self.act(&format!("{verb} #{person}"), &[], &[person], |tx| {
            tx.execute(
                "UPDATE persons SET hidden = ?2 WHERE id = ?1",
                params![person, hidden],
            )?;
            Ok(((), vec![]))
        })
    }

    /// Ignores a face (a stranger, a poster) or takes it back; ignored faces join no person.
    pub fn ignore_face(&mut self, face: i64, ignored: bool) -> Result<()> {
        let old: Vec<i64> = self
            .persons_of_faces(&[face])?
            .into_values()
            .flatten()
            .collect();
        let verb = if ignored { "ignore" } else { "unignore" };
        self.act(&format!("{verb} face {face}"), &[face], &old, |tx| {
            tx.execute(
                "UPDATE faces SET ignored = ?2, person_id = NULL, pinned = 0 WHERE id = ?1",
                params![face, ignored],
            )?;
            Ok(((), vec![]))
        })
    }

    /// Chooses the face shown for a person.
    pub fn set_cover(&mut self, person: i64, face: i64) -> Result<()> {
        self.require_person(person)?;
        if !self.face_ids_of(person)?.contains(&face) {
            return Err(CatalogError::Invalid(format!(
                "face {face} is not one of #{person}'s: a cover is one of the person's own faces"
            )));
        }
        self.act(&format!("cover of #{person}"), &[], &[person], |tx| {
            tx.execute(
                "UPDATE persons SET cover_face = ?2 WHERE id = ?1",
                params![person, face],
            )?;
            Ok(((), vec![]))
        })
    }

    /// Ids of the faces of a person.
    pub fn face_ids_of(&self, person: i64) -> Result<Vec<i64>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id FROM faces WHERE person_id = ?1 ORDER BY id")?;
        let rows = stmt.query_map([person], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn persons_of_faces(&self, faces: &[i64]) -> Result<HashMap<i64, Option<i64>>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT person_id FROM faces WHERE id = ?1")?;
        let mut out = HashMap::new();
        for &face in faces {
            let person: Option<Option<i64>> = stmt.query_row([face], |r| r.get(0)).optional()?;
            match person {
                Some(p) => {
                    out.insert(face, p);
                }
                None => return Err(CatalogError::NotFound(format!("face {face}"))),
            }
        }
        Ok(out)
    }

    fn require_person(&self, person: i64) -> Result<()> {
        let exists: Option<i64> = self
            .conn()
            .query_row("SELECT id FROM persons WHERE id = ?1", [person], |r| {
                r.get(0)
            })
            .optional()?;
        exists
            .map(|_| ())
            .ok_or_else(|| CatalogError::NotFound(format!("person #{person}")))
    }
}

/// Every name read from the photos' metadata has done its work (see
/// [`Catalog::name_tagged_faces`]).
const FORGET_TAGGED_NAMES: &str =
    "UPDATE faces SET tagged_name = NULL WHERE tagged_name IS NOT NULL";

fn insert_person(tx: &Transaction<'_>, name: Option<&str>) -> Result<i64> {
    tx.execute(
        "INSERT INTO persons (name, created_at) VALUES (?1, ?2)",
        params![name, unix_now()],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Remembers that `face` is not `person`; a face that is with them (`current`) leaves them.
fn rule_out(tx: &Transaction<'_>, face: i64, person: i64, current: Option<i64>) -> Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO not_person (face_id, person_id) VALUES (?1, ?2)",
        params![face, person],
    )?;
    if current == Some(person) {
        tx.execute(
            "UPDATE faces SET person_id = NULL, pinned = 0 WHERE id = ?1",
            [face],
        )?;
    }
    Ok(())
}

/// Pins `face` to `person`, remembering it is not `old` (when it leaves one).
fn pin_face(tx: &Transaction<'_>, face: i64, person: Option<i64>, old: Option<i64>) -> Result<()> {
    tx.execute(
        "UPDATE faces SET person_id = ?2, pinned = 1, ignored = 0 WHERE id = ?1",
        params![face, person],
    )?;
    if let Some(old) = old.filter(|&o| Some(o) != person) {
        tx.execute(
            "INSERT OR IGNORE INTO not_person (face_id, person_id) VALUES (?1, ?2)",
            params![face, old],
        )?;
    }
    if let Some(p) = person {
        tx.execute(
            "DELETE FROM not_person WHERE face_id = ?1 AND person_id = ?2",
            params![face, p],
        )?;
    }
    Ok(())
}

/// A name as kept: each run of white space (a line break, a tab) one space, none at the ends, and
/// no other control characters, which would break the lines that list people.
fn tidy_name(name: &str) -> String {
    let words = name
        .split_whitespace()
        .map(|word| word.chars().filter(|c| !c.is_control()).collect::<String>());
    words
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn clean_name(name: &str) -> Result<String> {
    let name = tidy_name(name);
    if name.is_empty() {
        return Err(CatalogError::Invalid("a name cannot be empty".into()));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::catalog::{NewFace, PhotoRecord};

    fn face(score: f32) -> NewFace {
        NewFace {
            tagged_name: None,
            bbox: [score * 100.0, 0.0, 5.0, 5.0],
            score,
            landmarks: [[0.0; 2]; 5],
            embedding: [0.0; 128],
            thumbnail: vec![0; 2000],
        }
    }

    /// Every face's id, in order.
    fn face_ids(catalog: &Catalog) -> Vec<i64> {
        catalog
            .faces()
            .expect("faces")
            .iter()
            .map(|f| f.id)
            .collect()
    }

    /// A catalog of `n` photos with two faces each: returns the photos' ids.
    fn two_faces_per_photo(catalog: &mut Catalog, n: usize) -> Vec<i64> {
        let mut photos = Vec::new();
        for i in 0..n {
            let path = PathBuf::from(format!("/p/{i}.jpg"));
            let record = PhotoRecord::synthetic(&path, 10, 10);
            photos.push(
                catalog
                    .record_photo(&record, &[face(0.9), face(0.8)])
                    .expect("record"),
            );
        }
        photos
    }

    /// A catalog of `n` photos whose two faces are each a person clustering made: returns each
    /// person's faces and the people.
    fn a_person_per_photo(catalog: &mut Catalog, n: usize) -> (Vec<Vec<i64>>, Vec<i64>) {
        two_faces_per_photo(catalog, n);
        let faces = face_ids(catalog);
        let groups: Vec<Vec<i64>> = faces.chunks(2).map(<[i64]>::to_vec).collect();
        let people = catalog.apply_clustering(&[], &groups).expect("people");
        (groups, people)
    }

    /// What the user can do about a person but name it or place a face: person 2 hidden, 3 given
    /// a cover, 4 told a face is not theirs, 5 and 6 told apart.
    fn do_something_about_people_2_to_6(
        catalog: &mut Catalog,
        groups: &[Vec<i64>],
        people: &[i64],
    ) {
        catalog.hide_person(people[2], true).expect("hide");
        catalog.set_cover(people[3], groups[3][1]).expect("cover");
        catalog.reject_person(groups[4][0], people[4]).expect("not");
        catalog
            .mark_distinct(people[5], people[6])
            .expect("distinct");
    }

    #[test]
    fn people_count_only_faces_not_ignored_in_readable_photos() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("open");
        let photos = two_faces_per_photo(&mut catalog, 4);
        // Person a: the first face of every photo; b: the second ones.
        let faces = catalog.faces().expect("faces");
        let (a, b): (Vec<i64>, Vec<i64>) = faces.iter().map(|f| f.id).partition(|id| id % 2 == 1);
        let created = catalog
            .apply_clustering(&[], &[a.clone(), b.clone()])
            .expect("persons");
        let (pa, pb) = (created[0], created[1]);
        // Photo 0 goes missing, one face of a is ignored, all of b's faces but one too.
        catalog.mark_missing(&photos[..1]).expect("missing");
        catalog.ignore_face(a[1], true).expect("ignore");
        for f in &b[1..] {
            catalog.ignore_face(*f, true).expect("ignore");
        }

        let listed = catalog.persons(true).expect("persons");
        let of = |id| listed.iter().find(|p| p.id == id).cloned();
        let a_now = of(pa).expect("a listed");
        // a: 4 faces, one in the missing photo, one ignored.
        assert_eq!((a_now.faces, a_now.photos), (2, 2));
        // Its first most confident face in a readable photo, not ignored, for a cover.
        assert_eq!(a_now.cover_face, Some(a[2]));
        // b's only face left is in the missing photo: not listed (no name, no face).
        assert!(of(pb).is_none());
        assert_eq!(catalog.person(pb).expect("read"), None);
        assert_eq!(catalog.person(pa).expect("read"), Some(a_now));
        catalog.name_person(pb, "B").expect("name");
        let b_now = catalog.person(pb).expect("read").expect("named");
        assert_eq!((b_now.faces, b_now.photos), (0, 0));
        assert!(catalog.persons(true).expect("persons").contains(&b_now));
    }

    #[test]
    fn names_are_kept_on_one_line() {
        assert_eq!(tidy_name("  Anna\n Maria\tSmith \u{7}"), "Anna Maria Smith");
        assert_eq!(tidy_name("Zoë  O'Brien"), "Zoë O'Brien");
        assert!(clean_name(" \n\t ").is_err());
        assert!(clean_name("\u{1b}").is_err());
    }

    #[test]
    fn a_person_is_not_merged_with_itself_nor_given_another_persons_face_as_cover() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("open");
        let (groups, people) = a_person_per_photo(&mut catalog, 2);

        let merged = catalog.merge_persons(people[0], &[people[0]]);
        assert!(
            matches!(&merged, Err(CatalogError::Invalid(m)) if m.contains("nothing to merge")),
            "{merged:?}"
        );
        let covered = catalog.set_cover(people[0], groups[1][0]);
        assert!(
            matches!(&covered, Err(CatalogError::Invalid(m)) if m.contains("not one of")),
            "{covered:?}"
        );
        // Neither left a trace: nothing pinned, no cover, nothing to undo.
        assert!(catalog.faces().expect("faces").iter().all(|f| !f.pinned));
        let first = catalog.person(people[0]).expect("read").expect("person");
        assert_eq!(first.cover_face, Some(groups[0][0]));
        assert_eq!(catalog.undo().expect("undo"), None);

        catalog
            .set_cover(people[0], groups[0][1])
            .expect("own face");
        let first = catalog.person(people[0]).expect("read").expect("person");
        assert_eq!(first.cover_face, Some(groups[0][1]));
    }

    #[test]
    fn unplacing_a_scans_faces_spares_the_people_the_user_did_something_about() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("open");
        // Seven people of two faces: the first from before the scan, the rest from it.
        let (groups, people) = a_person_per_photo(&mut catalog, 7);
        let faces = face_ids(&catalog);
        assert_eq!(catalog.last_face_id().ok(), faces.last().copied());
        // The first photo's faces were there before the scan.
        let before = faces[1];
        do_something_about_people_2_to_6(&mut catalog, &groups, &people);

        let unplaced = catalog.unplace_faces_after(before).expect("unplace");
        // Only the untouched person of the scan lost its faces: no longer listed, but kept for
        // them to come back to until clustering is written next.
        let expected: HashMap<i64, i64> = groups[1].iter().map(|&f| (f, people[1])).collect();
        assert_eq!(unplaced, expected);
        let person = |face: i64| catalog.face(face).expect("read").expect("face").person;
        assert_eq!(person(groups[1][0]), None);
        assert_eq!(catalog.person(people[1]).expect("read"), None);
        assert!(!catalog
            .persons(true)
            .expect("persons")
            .iter()
            .any(|p| p.id == people[1]));
        assert_eq!(
            person(groups[0][0]),
            Some(people[0]),
            "placed before the scan"
        );
        for (i, group) in groups.iter().enumerate().skip(2) {
            // The face taken out of person 4 already has nobody.
            let kept = group
                .iter()
                .filter(|&&f| person(f) == Some(people[i]))
                .count();
            assert!(kept >= 1, "person {i}");
        }
        // Given back its faces, it is the same person; otherwise it goes.
        let back = catalog
            .apply_clustering(&[(groups[1][0], Some(people[1]))], &[])
            .expect("apply");
        assert!(back.is_empty());
        let face = catalog.face(groups[1][0]).expect("read").expect("face");
        assert_eq!(face.person, Some(people[1]));
        catalog
            .apply_clustering(&[(groups[1][0], None)], &[])
            .expect("apply");
        let left: i64 = catalog
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM persons WHERE id = ?1",
                [people[1]],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(left, 0, "an unnamed person without faces goes");
    }

    #[test]
    fn untouched_people_are_those_clustering_alone_made() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("open");
        let (groups, people) = a_person_per_photo(&mut catalog, 9);
        catalog.name_person(people[1], "Anna").expect("name");
        do_something_about_people_2_to_6(&mut catalog, &groups, &people);
        // A face the user moved: 7 holds a face the user placed, and 0 was told it is not its.
        catalog.move_face(groups[0][0], people[7]).expect("move");
        assert_eq!(
            catalog.untouched_persons().expect("untouched"),
            HashSet::from([people[8]])
        );
    }

    #[test]
    fn merging_keeps_no_not_facts_against_the_merged_faces_and_undo_restores_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("open");
        two_faces_per_photo(&mut catalog, 3);
        let faces = face_ids(&catalog);
        let (a, rest) = faces.split_at(2);
        let (b, loose) = rest.split_at(2);
        let created = catalog
            .apply_clustering(&[], &[a.to_vec(), b.to_vec()])
            .expect("persons");
        let (pa, pb) = (created[0], created[1]);
        // A face of A "is not B", a face of B "is not A", and an unassigned face is neither.
        catalog.reject_person(a[0], pb).expect("not b");
        catalog.reject_person(b[0], pa).expect("not a");
        catalog.reject_person(loose[0], pb).expect("not b");
        catalog.reject_person(loose[1], pa).expect("not a");
        let facts = |catalog: &Catalog| {
            let mut facts = catalog.not_person_facts().expect("facts");
            facts.sort();
            facts
        };
        let people = |catalog: &Catalog| -> Vec<(i64, Option<i64>, bool)> {
            let faces = catalog.faces().expect("faces");
            faces.iter().map(|f| (f.id, f.person, f.pinned)).collect()
        };
        let (facts_before, people_before) = (facts(&catalog), people(&catalog));

        catalog.merge_persons(pa, &[pb]).expect("merge");
        let members: Vec<i64> = [a, b].concat();
        assert_eq!(catalog.face_ids_of(pa).expect("faces").len(), members.len());
        // No face of the merged person is marked as not being it; the loose faces still are not.
        let mut expected = vec![(loose[0], pa), (loose[1], pa)];
        expected.sort();
        assert_eq!(facts(&catalog), expected);

        catalog.undo().expect("undo");
        assert_eq!(facts(&catalog), facts_before);
        assert_eq!(people(&catalog), people_before);
    }
}
