//! Labelled faces to learn from and to measure on: descriptors with an identity each, from a
//! folder-per-person tree or from the user's decisions, and the splits the protocols need.
//!
//! Labels are dense (0..persons) and index `persons`, the identities' names.

use std::collections::HashMap;
use std::path::Path;

use crate::catalog::{Catalog, CatalogError};
use crate::eval::folder::labelled_faces;
use crate::people::synthetic::SplitMix64;
use crate::vision::Embedding;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelledFaces {
    pub embeddings: Vec<Embedding>,
    pub labels: Vec<usize>,
    /// The catalog's id of each face.
    pub face_ids: Vec<i64>,
    /// Each identity's name, by label.
    pub persons: Vec<String>,
}

impl LabelledFaces {
    /// The largest face of each photo under `root` (scanned into `catalog`), labelled with its
    /// top folder, as `kith eval --truth` scores them. Ordered by person and photo path, so that
    /// labels and seeded splits do not depend on the order the scan happened to store faces in.
    pub fn from_truth_folder(catalog: &Catalog, root: &Path) -> Result<Self, CatalogError> {
        let faces = catalog.faces()?;
        let mut labelled = labelled_faces(&faces, root);
        labelled
            .sort_by(|(p, i), (q, j)| (p, &faces[*i].photo_path).cmp(&(q, &faces[*j].photo_path)));
        let mut out = Self::default();
        for (person, i) in labelled {
            out.push(&person, faces[i].id, faces[i].embedding);
        }
        Ok(out)
    }

    /// Adds a face of the identity called `person` (a new label if the name is new).
    pub fn push(&mut self, person: &str, face_id: i64, embedding: Embedding) {
        let label = match self.persons.iter().position(|p| p == person) {
            Some(l) => l,
            None => {
                self.persons.push(person.to_string());
                self.persons.len() - 1
            }
        };
        self.embeddings.push(embedding);
        self.labels.push(label);
        self.face_ids.push(face_id);
    }

    /// Appends the faces of `other`, joining identities by name.
    pub fn extend(&mut self, other: &LabelledFaces) {
        for i in 0..other.len() {
            self.push(
                &other.persons[other.labels[i]],
                other.face_ids[i],
                other.embeddings[i],
            );
        }
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Faces per label.
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = vec![0; self.persons.len()];
        self.labels.iter().for_each(|&l| sizes[l] += 1);
        sizes
    }

    /// The faces whose index passes `keep`, relabelled densely (identities left without faces go).
    pub fn select(&self, keep: impl Fn(usize) -> bool) -> Self {
        let mut out = Self::default();
        for i in (0..self.len()).filter(|&i| keep(i)) {
            out.push(
                &self.persons[self.labels[i]],
                self.face_ids[i],
                self.embeddings[i],
            );
        }
        out
    }

    /// Splits the identities: about `unseen` of them (at least one, never all) go to the second
    /// set, chosen by `seed`. For one-shot evaluation: train on the first, test on the second.
    /// With fewer than two identities there is nothing to split: all stay in the first.
    pub fn split_persons(&self, unseen: f32, seed: u64) -> (Self, Self) {
        let n = self.persons.len();
        if n < 2 {
            return (self.clone(), Self::default());
        }
        let mut order: Vec<usize> = (0..n).collect();
        shuffle(&mut SplitMix64::new(seed), &mut order);
        let count = ((n as f32 * unseen).round() as usize).clamp(1, n - 1);
        let unseen: Vec<usize> = order[..count].to_vec();
        (
            self.select(|i| !unseen.contains(&self.labels[i])),
            self.select(|i| unseen.contains(&self.labels[i])),
        )
    }

    /// Splits each identity's faces: about `held_out` of them go to the second set, chosen by
    /// `seed`, always leaving at least one in the first; identities with a single face stay whole
    /// in the first. For validation on faces of people the training saw.
    pub fn split_faces(&self, held_out: f32, seed: u64) -> (Self, Self) {
        let mut rng = SplitMix64::new(seed);
        let mut by_label: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, &l) in self.labels.iter().enumerate() {
            by_label.entry(l).or_default().push(i);
        }
        let mut labels: Vec<usize> = by_label.keys().copied().collect();
        labels.sort_unstable();
        let mut out = vec![false; self.len()];
        for l in labels {
            let mut faces = by_label[&l].clone();
            if faces.len() < 2 {
                continue;
            }
            shuffle(&mut rng, &mut faces);
            let count =
                ((faces.len() as f32 * held_out).round() as usize).clamp(1, faces.len() - 1);
            faces[..count].iter().for_each(|&i| out[i] = true);
        }
        (self.select(|i| !out[i]), self.select(|i| out[i]))
    }
}

fn shuffle(rng: &mut SplitMix64, v: &mut [usize]) {
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> LabelledFaces {
        let mut s = LabelledFaces::default();
        for (i, p) in ["a", "a", "a", "b", "b", "c", "d", "d", "d", "d"]
            .iter()
            .enumerate()
        {
            s.push(p, i as i64, [i as f32; 128]);
        }
        s
    }

    #[test]
    fn person_split_keeps_identities_whole() {
        let s = set();
        let (seen, unseen) = s.split_persons(0.5, 3);
        assert_eq!(seen.persons.len() + unseen.persons.len(), 4);
        assert_eq!(unseen.persons.len(), 2);
        assert!(seen.persons.iter().all(|p| !unseen.persons.contains(p)));
        assert_eq!(seen.len() + unseen.len(), s.len());
        assert_eq!(s.split_persons(0.5, 3), (seen, unseen));
        let alone = s.select(|i| s.labels[i] == 0);
        assert_eq!(
            alone.split_persons(0.5, 3),
            (alone.clone(), LabelledFaces::default())
        );
    }

    #[test]
    fn face_split_holds_out_part_of_each_identity() {
        let s = set();
        let (train, held) = s.split_faces(0.3, 1);
        // a: 3 -> 1 held out; b: 2 -> 1; c alone stays; d: 4 -> 1.
        assert_eq!(held.len(), 3);
        assert_eq!(held.persons.len(), 3);
        assert!(!held.persons.contains(&"c".to_string()));
        assert_eq!(train.len(), 7);
        assert_eq!(train.sizes().iter().sum::<usize>(), 7);
        let mut ids: Vec<i64> = train
            .face_ids
            .iter()
            .chain(&held.face_ids)
            .copied()
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, (0..10).collect::<Vec<_>>());
    }
}
