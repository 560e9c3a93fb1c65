//! The founding idea made visible: for any face, its nearest faces and their distances against the
//! same-person threshold tau; for any person, the closest other people (merge suggestions) and its
//! least typical faces ("check these"); for an unassigned face, "is this X?" with distances.
//!
//! With an adaptation head in use (`kith adapt`) every distance is measured in the head's space:
//! the catalog's faces are passed through it when loaded, and so is every query descriptor.

use std::collections::HashMap;

use crate::catalog::{Catalog, CatalogError, FaceRow, PersonSummary};
use crate::people::neighbours::NeighbourIndex;
use crate::train::adapt::active_head;
use crate::train::Head;
use crate::vision::{distance, Embedding};

/// A face near another, and what that distance means.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Neighbour {
    pub face_id: i64,
    pub distance: f32,
    pub person: Option<i64>,
    pub person_label: Option<String>,
    /// `distance < tau`: the embedder would call them the same person.
    pub within_threshold: bool,
}

/// "Is this X?": a person and how far the face is from their closest face.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PersonGuess {
    pub person: i64,
    pub label: String,
    pub distance: f32,
    pub within_threshold: bool,
}

/// Two people who may be one.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MergeSuggestion {
    pub a: i64,
    pub b: i64,
    pub a_label: String,
    pub b_label: String,
    /// The closest pair of faces between them.
    pub min_distance: f32,
    /// Mean over face pairs (up to 100 faces of each).
    pub mean_distance: f32,
    /// The mean is below tau as well: the two are close as wholes, not only at one pair of
    /// faces. On the shared labelled photos, each person split in two had a mean of 0.38-0.54,
    /// while the different people whose closest faces came within tau (0.6) had 0.70-0.72.
    pub likely: bool,
}

/// The catalog's faces, indexed for distance questions.
pub struct FaceSpace {
    /// The faces as stored (raw descriptors).
    faces: Vec<FaceRow>,
    /// Each face's descriptor in the space distances are measured in (through the head, if any).
    points: Vec<Embedding>,
    head: Option<Head>,
    index: NeighbourIndex,
    position: HashMap<i64, usize>,
    persons: HashMap<i64, PersonSummary>,
    /// Pairs the user said are different people: never suggested for merging.
    distinct: std::collections::HashSet<(i64, i64)>,
    tau: f32,
}

impl FaceSpace {
    /// Indexes the catalog's faces (ignored ones left out); `tau` is the same-person threshold.
    pub fn load(catalog: &Catalog, tau: f32) -> Result<Self, CatalogError> {
        let faces: Vec<FaceRow> = catalog
            .faces()?
            .into_iter()
            .filter(|f| !f.ignored)
            .collect();
        let head = active_head(catalog)?;
        let points: Vec<Embedding> = faces
            .iter()
            .map(|f| match &head {
                Some(h) => h.apply(&f.embedding),
                None => f.embedding,
            })
            .collect();
        let index = NeighbourIndex::build(&points);
        let position = faces.iter().enumerate().map(|(i, f)| (f.id, i)).collect();
        let persons = catalog
            .persons(true)?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let distinct = catalog.distinct_pairs()?.into_iter().collect();
        Ok(Self {
            faces,
            points,
            head,
            index,
            position,
            persons,
            distinct,
            tau,
        })
    }

    pub fn tau(&self) -> f32 {
        self.tau
    }

    /// A person as it was when the index was loaded.
    pub fn person(&self, person: i64) -> Option<&PersonSummary> {
        self.persons.get(&person)
    }

    pub fn face(&self, face_id: i64) -> Option<&FaceRow> {
        self.position.get(&face_id).map(|&i| &self.faces[i])
    }

    fn label(&self, person: i64) -> String {
        self.persons
            .get(&person)
            .map(PersonSummary::label)
            .unwrap_or_else(|| format!("#{person}"))
    }

    /// A descriptor from the embedder in the space of this index.
    fn project(&self, raw: &Embedding) -> Embedding {
        match &self.head {
            Some(h) => h.apply(raw),
            None => *raw,
        }
    }

    /// The `k` faces nearest to the descriptor `query` (as the embedder gave it), leaving out
    /// `exclude`.
    pub fn nearest_faces(
        &self,
        query: &Embedding,
        k: usize,
        exclude: Option<i64>,
    ) -> Vec<Neighbour> {
        self.nearest_points(&self.project(query), k, exclude)
    }

    fn nearest_points(&self, point: &Embedding, k: usize, exclude: Option<i64>) -> Vec<Neighbour> {
        self.index
            .nearest(point, k + usize::from(exclude.is_some()))
            .into_iter()
            .map(|(i, d)| (&self.faces[i], d))
            .filter(|(f, _)| Some(f.id) != exclude)
            .take(k)
            .map(|(f, d)| Neighbour {
                face_id: f.id,
                distance: d,
                person: f.person,
                person_label: f.person.map(|p| self.label(p)),
                within_threshold: d < self.tau,
            })
            .collect()
    }

    /// The distance between two catalogued faces, measured as neighbours are: the Siamese
    /// comparison, d(f(a), f(b)), that calls them one person below tau.
    pub fn distance_between(&self, a: i64, b: i64) -> Option<f32> {
        let (&i, &j) = (self.position.get(&a)?, self.position.get(&b)?);
        Some(crate::vision::distance(&self.points[i], &self.points[j]))
    }

    /// The `k` nearest faces of a catalogued face.
    pub fn neighbours(&self, face_id: i64, k: usize) -> Option<Vec<Neighbour>> {
        let &i = self.position.get(&face_id)?;
        Some(self.nearest_points(&self.points[i], k, Some(face_id)))
    }

    /// People ranked by the distance from `query` to their closest face ("is this X?").
    pub fn guesses(
        &self,
        query: &Embedding,
        limit: usize,
        exclude_face: Option<i64>,
    ) -> Vec<PersonGuess> {
        // Look at enough neighbours to see several people, nearest first.
        let mut best: Vec<(i64, f32)> = Vec::new();
        for n in self.nearest_points(&self.project(query), 64, exclude_face) {
            if let Some(p) = n.person {
                if !best.iter().any(|(q, _)| *q == p) {
                    best.push((p, n.distance));
                }
            }
            if best.len() >= limit {
                break;
            }
        }
        best.into_iter()
            .map(|(person, d)| PersonGuess {
                person,
                label: self.label(person),
                distance: d,
                within_threshold: d < self.tau,
            })
            .collect()
    }

    /// The person `query` most likely is: the owner of the nearest face, if within tau.
    pub fn identify(&self, query: &Embedding) -> Option<PersonGuess> {
        self.guesses(query, 1, None)
            .into_iter()
            .find(|g| g.within_threshold)
    }

    /// A person's faces furthest from the person's mean descriptor, with that distance: `k` of
    /// them, and no more than [`worth_checking`] allows.
    pub fn least_typical(&self, person: i64, k: usize) -> Vec<(i64, f32)> {
        let members: Vec<usize> = (0..self.faces.len())
            .filter(|&i| self.faces[i].person == Some(person))
            .collect();
        let k = k.min(worth_checking(members.len()));
        let Some(centre) = mean(members.iter().map(|&i| &self.points[i])) else {
            return Vec::new();
        };
        let mut far: Vec<(i64, f32)> = members
            .iter()
            .map(|&i| (self.faces[i].id, distance(&self.points[i], &centre)))
            .collect();
        far.sort_by(|a, b| b.1.total_cmp(&a.1));
        far.truncate(k);
        far
    }

    /// Pairs of people whose closest faces are within tau, closest (by mean distance) first, so
    /// the [`MergeSuggestion::likely`] ones lead; only pairs involving `person` when given; never
    /// pairs the user said are different people.
    pub fn merge_suggestions(&self, person: Option<i64>, limit: usize) -> Vec<MergeSuggestion> {
        let mut closest: HashMap<(i64, i64), f32> = HashMap::new();
        for (f, point) in self.faces.iter().zip(&self.points) {
            let Some(p) = f.person else { continue };
            if person.is_some_and(|only| only != p) {
                continue;
            }
            for (j, d) in self.index.within(point, self.tau) {
                let Some(q) = self.faces[j].person else {
                    continue;
                };
                if q == p {
                    continue;
                }
                let key = (p.min(q), p.max(q));
                if self.distinct.contains(&key) {
                    continue;
                }
                let entry = closest.entry(key).or_insert(f32::INFINITY);
                *entry = entry.min(d);
            }
        }
        let mut out: Vec<MergeSuggestion> = closest
            .into_iter()
            .map(|((a, b), min_distance)| {
                let mean_distance = self.mean_distance(a, b);
                MergeSuggestion {
                    a,
                    b,
                    a_label: self.label(a),
                    b_label: self.label(b),
                    min_distance,
                    mean_distance,
                    likely: mean_distance < self.tau,
                }
            })
            .collect();
        out.sort_by(|x, y| x.mean_distance.total_cmp(&y.mean_distance));
        out.truncate(limit);
        out
    }

    fn mean_distance(&self, a: i64, b: i64) -> f32 {
        const SAMPLE: usize = 100;
        let of = |p: i64| -> Vec<&Embedding> {
            self.faces
                .iter()
                .zip(&self.points)
                .filter(|(f, _)| f.person == Some(p))
                .take(SAMPLE)
                .map(|(_, point)| point)
                .collect()
        };
        let (xs, ys) = (of(a), of(b));
        let n = (xs.len() * ys.len()).max(1) as f32;
        xs.iter()
            .flat_map(|x| ys.iter().map(move |y| distance(x, y)))
            .sum::<f32>()
            / n
    }
}

/// How many of a person's `faces` are worth checking as least typical: a third at most, since
/// more would repeat the person's own faces; none under three, where each is as typical as the
/// others.
pub fn worth_checking(faces: usize) -> usize {
    faces / 3
}

fn mean<'a>(embeddings: impl Iterator<Item = &'a Embedding>) -> Option<Embedding> {
    let mut sum = [0f32; crate::vision::EMBEDDING_DIM];
    let mut n = 0usize;
    for e in embeddings {
        for (s, v) in sum.iter_mut().zip(e) {
            *s += v;
        }
        n += 1;
    }
    (n > 0).then(|| sum.map(|s| s / n as f32))
}
