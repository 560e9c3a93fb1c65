//! Which face is whom in a photo whose metadata lists the people in it without saying where
//! (Google Takeout's JSON, IPTC's people shown; see [`crate::scan::face_tags`]): recognition,
//! then elimination.
//!
//! For each photo with people listed:
//! - a listed person who already has a face in the photo is found (named by the user, by another
//!   app's region, or by an earlier round of this);
//! - a listed person who has faces elsewhere is the face of the photo nearest to one of them,
//!   within the clustering radius, each face going to one person at most, nearest pairs first;
//! - when one listed person and one face are left, and every other face of the photo is a listed
//!   person, that face is the one left (a portrait listing one person is the simplest case),
//!   unless the person has faces elsewhere and all are farther than [`ELIMINATION_REACH`] from
//!   it: the face is then someone the other app did not list, and the person one Kith missed.
//!   A person with no face yet has nothing to compare with, so the faces that a round's photos
//!   leave for them are taken only where they agree: each within the clustering radius of at
//!   least half of the others (a sample of them). One photo whose listed person Kith missed
//!   cannot give its stranger the name, nor many photos each with another stranger, since
//!   different people are seldom that close (on the shared labelled faces, none of 4,542 pairs
//!   of different people were within 0.55, and 92% of the pairs of one person's faces were).
//!
//! A face is never found to be someone the user placed it elsewhere from, or said it is not.
//! Rounds repeat while they name faces, since a face named in one photo helps recognise that
//! person in the next: the portraits of a Takeout library name their people, who are then found
//! in the group photos, where the last one left is found by elimination. The faces found are named
//! as other apps' regions are ([`Catalog::name_tagged_faces`]), in one undoable action, and each
//! listing is forgotten once found; a listed person not found waits for a later scan or a name
//! the user gives.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap, HashSet};

use crate::catalog::{Catalog, CatalogError, FaceRow, ListedPerson};
use crate::people::neighbours::NeighbourIndex;
use crate::vision::distance;

/// Farthest a face found by elimination may be from the nearest face of its person elsewhere: a
/// bound on plain mistakes, as elimination is there for the faces recognition missed. On the
/// shared labelled faces, two faces of one person were at most 0.84 apart, while 40% of the
/// pairs of different people were farther than 0.85.
pub const ELIMINATION_REACH: f32 = 0.85;

/// How many of the other faces left to a person not seen yet each is compared with.
const AGREEMENT_SAMPLE: usize = 64;

/// Where the catalog's state at the last search is kept: while it is unchanged, searching
/// again would find nothing new.
const FINGERPRINT_KEY: &str = "listed.checked";

/// Finds and names the faces of the listed people, with `radius` the clustering radius. Returns
/// how many faces were named.
pub fn settle(catalog: &mut Catalog, radius: f32) -> Result<usize, CatalogError> {
    let listed = catalog.listed_people()?;
    if listed.is_empty() {
        return Ok(0);
    }
    let fingerprint = format!("{radius}:{}", catalog.listed_fingerprint()?);
    if catalog.setting(FINGERPRINT_KEY)?.as_deref() == Some(&fingerprint) {
        return Ok(0);
    }
    let named = find(catalog, listed, radius)?;
    let fingerprint = format!("{radius}:{}", catalog.listed_fingerprint()?);
    catalog.set_setting(FINGERPRINT_KEY, &fingerprint)?;
    Ok(named)
}

/// [`settle`] once it is known to have work.
fn find(
    catalog: &mut Catalog,
    listed: Vec<ListedPerson>,
    radius: f32,
) -> Result<usize, CatalogError> {
    let faces = super::assign::placeable_faces(catalog)?;
    let mut names: HashMap<i64, String> = HashMap::new();
    let mut persons: HashMap<String, i64> = HashMap::new();
    for person in catalog.person_briefs()? {
        if let Some(name) = person.name {
            let key = name.to_lowercase();
            persons.entry(key.clone()).or_insert(person.id);
            names.insert(person.id, key);
        }
    }
    let who: Vec<Option<String>> = faces
        .iter()
        .map(|f| f.person.and_then(|p| names.get(&p).cloned()))
        .collect();
    let mut faces_of: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, name) in who.iter().enumerate() {
        if let Some(name) = name {
            faces_of.entry(name.clone()).or_default().push(i);
        }
    }
    let mut photos = Photos {
        who,
        faces_of,
        refused: catalog.not_person_facts()?.into_iter().collect(),
        persons,
        index: OnceCell::new(),
        near: HashMap::new(),
        faces,
    };
    let mut by_photo: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, f) in photos.faces.iter().enumerate() {
        by_photo.entry(f.photo_id).or_default().push(i);
    }
    let mut lists: BTreeMap<i64, Vec<ListedPerson>> = BTreeMap::new();
    for person in listed {
        lists.entry(person.photo).or_default().push(person);
    }

    let mut outcome = Outcome::default();
    loop {
        let before = outcome.named.len();
        // Faces found by elimination to be someone with no face yet, by name: taken where the
        // round's photos agree on what that person looks like.
        let mut first_sights: HashMap<String, Vec<(i64, usize, usize)>> = HashMap::new();
        for (photo, list) in &mut lists {
            let here = by_photo.get(photo).map_or(&[][..], Vec::as_slice);
            for listed in list.iter_mut().filter(|l| !l.found) {
                if photos.has_face_of(here, &listed.name.to_lowercase()) {
                    listed.found = true;
                    outcome.found.push(listed.clone());
                }
            }
            let (matches, first_sight) = photos.find(here, list, radius);
            for (face, at) in matches {
                photos.record(face, list, at, &mut outcome);
            }
            if let Some((face, at)) = first_sight {
                let key = list[at].name.to_lowercase();
                first_sights
                    .entry(key)
                    .or_default()
                    .push((*photo, face, at));
            }
        }
        for sights in first_sights.values() {
            for &(photo, face, at) in sights {
                // Against a sample of the others, as a person may have thousands of portraits.
                let others: Vec<usize> = sights
                    .iter()
                    .map(|&(_, other, _)| other)
                    .filter(|&other| other != face)
                    .take(AGREEMENT_SAMPLE)
                    .collect();
                let agreeing = others
                    .iter()
                    .filter(|&&o| photos.within(face, o, radius))
                    .count();
                if 2 * agreeing >= others.len() {
                    if let Some(list) = lists.get_mut(&photo) {
                        photos.record(face, list, at, &mut outcome);
                    }
                }
            }
        }
        if outcome.named.len() == before {
            break;
        }
    }
    if outcome.found.is_empty() {
        return Ok(0);
    }
    catalog.settle_listed(&outcome.named, &outcome.found)?;
    if outcome.named.is_empty() {
        return Ok(0);
    }
    catalog.name_tagged_faces()
}

/// A face, and the position in a photo's list of the person it is.
type Match = (usize, usize);

/// What the rounds found.
#[derive(Default)]
struct Outcome {
    /// Faces to name, by id, with the name.
    named: Vec<(i64, String)>,
    /// Listings found.
    found: Vec<ListedPerson>,
}

/// The faces and who each is, as the rounds go.
struct Photos {
    faces: Vec<FaceRow>,
    /// Each face's named person, by name in lower case.
    who: Vec<Option<String>>,
    /// The faces of each named person, by name in lower case.
    faces_of: HashMap<String, Vec<usize>>,
    /// Named persons by name in lower case, the first of each name as names are looked up.
    persons: HashMap<String, i64>,
    refused: HashSet<(i64, i64)>,
    /// Built when first needed: no listed person may have faces to recognise them by.
    index: OnceCell<NeighbourIndex>,
    /// The faces within the radius of each face looked at, nearest first.
    near: HashMap<usize, Vec<(usize, f32)>>,
}

impl Photos {
    /// Face `i` is the person `list[at]`: it is named so, and every listing of that name in
    /// `list` (the photo and its copies may each list the person) is found.
    fn record(&mut self, i: usize, list: &mut [ListedPerson], at: usize, outcome: &mut Outcome) {
        let key = list[at].name.to_lowercase();
        outcome
            .named
            .push((self.faces[i].id, list[at].name.clone()));
        for listed in list.iter_mut().filter(|l| l.name.to_lowercase() == key) {
            if !listed.found {
                listed.found = true;
                outcome.found.push(listed.clone());
            }
        }
        self.faces_of.entry(key.clone()).or_default().push(i);
        self.who[i] = Some(key);
    }

    /// Whether faces `a` and `b` are within `reach` of each other.
    fn within(&self, a: usize, b: usize, reach: f32) -> bool {
        distance(&self.faces[a].embedding, &self.faces[b].embedding) <= reach
    }

    fn has_face_of(&self, here: &[usize], name: &str) -> bool {
        here.iter().any(|&i| self.who[i].as_deref() == Some(name))
    }

    /// Whether face `i` may be found to be the person called `name` (lower case): the user has
    /// not placed it, it is nobody named yet, and the user did not say it is not that person.
    fn may_be(&self, i: usize, name: &str) -> bool {
        let face = &self.faces[i];
        !face.pinned
            && self.who[i].is_none()
            && self
                .persons
                .get(name)
                .is_none_or(|&p| !self.refused.contains(&(face.id, p)))
    }

    /// Which of the faces `here` are which of the people `list` not found yet (none of whom has
    /// a face here), as (face, position in `list`), each person once however often listed; and
    /// apart, the face found by elimination to be someone with no face anywhere yet, whom
    /// nothing tells the face from.
    fn find(
        &mut self,
        here: &[usize],
        list: &[ListedPerson],
        radius: f32,
    ) -> (Vec<Match>, Option<Match>) {
        let keys: Vec<String> = list.iter().map(|l| l.name.to_lowercase()).collect();
        let open: Vec<usize> = (0..list.len())
            .filter(|&at| !list[at].found && !keys[..at].contains(&keys[at]))
            .collect();
        if open.is_empty() {
            return (Vec::new(), None);
        }
        // Only people with faces elsewhere can be recognised.
        let known: Vec<usize> = open
            .iter()
            .copied()
            .filter(|&at| self.faces_of.get(&keys[at]).is_some_and(|f| !f.is_empty()))
            .collect();
        let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
        for &face in here {
            if !known.iter().any(|&at| self.may_be(face, &keys[at])) {
                continue;
            }
            let faces = &self.faces;
            let index = self.index.get_or_init(|| {
                NeighbourIndex::build(&faces.iter().map(|f| f.embedding).collect::<Vec<_>>())
            });
            let near = self.near.entry(face).or_insert_with(|| {
                index
                    .within(&faces[face].embedding, radius)
                    .into_iter()
                    .filter(|&(j, _)| j != face)
                    .collect()
            });
            for &at in &known {
                let nearest = near
                    .iter()
                    .find(|&&(j, _)| self.who[j].as_deref() == Some(keys[at].as_str()));
                if let Some(&(_, d)) = nearest {
                    pairs.push((d, face, at));
                }
            }
        }
        pairs.retain(|&(_, face, at)| self.may_be(face, &keys[at]));
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut found: Vec<Match> = Vec::new();
        for (_, face, at) in pairs {
            if found.iter().all(|&(f, a)| f != face && a != at) {
                found.push((face, at));
            }
        }
        // Elimination: the one person left is the one face left, when every other face here is
        // someone listed.
        let left: Vec<usize> = open
            .into_iter()
            .filter(|at| found.iter().all(|&(_, a)| a != *at))
            .collect();
        let unknown: Vec<usize> = here
            .iter()
            .copied()
            .filter(|&i| found.iter().all(|&(f, _)| f != i))
            .filter(|&i| self.who[i].as_ref().is_none_or(|w| !keys.contains(w)))
            .collect();
        let mut first_sight = None;
        if let (&[at], &[face]) = (left.as_slice(), unknown.as_slice()) {
            if self.may_be(face, &keys[at]) {
                match self
                    .faces_of
                    .get(&keys[at])
                    .filter(|known| !known.is_empty())
                {
                    None => first_sight = Some((face, at)),
                    Some(known)
                        if known
                            .iter()
                            .any(|&j| self.within(face, j, ELIMINATION_REACH)) =>
                    {
                        found.push((face, at));
                    }
                    Some(_) => {}
                }
            }
        }
        (found, first_sight)
    }
}
