//! PK sampling (Hermans, Beyer and Leibe): each batch holds P identities with K faces each, so
//! that every anchor has positives and negatives in its own batch, which the miners need.
//!
//! Identities are visited in a shuffled order, P at a time, the order reshuffled each time it
//! runs out; each identity's faces are visited in a shuffled order too, K at a time (reshuffled when fewer
//! than K are left), so over the epochs every face is used about equally. An identity with fewer than K faces gives all of them.
//! An epoch is as many batches as it takes to draw about as many faces as the dataset has.
//! Everything comes from one seeded generator: the batches are a pure function of the seed.

use crate::people::synthetic::SplitMix64;

pub struct PkSampler {
    /// Dataset indices of each identity's faces, in the current visiting order.
    faces: Vec<Vec<usize>>,
    /// Next position in each identity's order.
    cursor: Vec<usize>,
    order: Vec<usize>,
    next: usize,
    p: usize,
    k: usize,
    total: usize,
    rng: SplitMix64,
}

impl PkSampler {
    /// A sampler over faces with the given identity `labels` (any values; faces of one identity
    /// share one). P and K are at least 1; P is at most the number of identities.
    pub fn new(labels: &[usize], p: usize, k: usize, seed: u64) -> Self {
        let mut ids: Vec<usize> = labels.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut faces = vec![Vec::new(); ids.len()];
        for (i, l) in labels.iter().enumerate() {
            if let Ok(slot) = ids.binary_search(l) {
                faces[slot].push(i);
            }
        }
        let mut rng = SplitMix64::new(seed);
        for f in &mut faces {
            shuffle(&mut rng, f);
        }
        let mut order: Vec<usize> = (0..faces.len()).collect();
        shuffle(&mut rng, &mut order);
        Self {
            cursor: vec![0; faces.len()],
            p: p.clamp(1, faces.len().max(1)),
            k: k.max(1),
            total: labels.len(),
            faces,
            order,
            next: 0,
            rng,
        }
    }

    /// Batches per epoch: enough to draw about every face once.
    pub fn batches_per_epoch(&self) -> usize {
        let per_batch = self.p * self.k;
        self.total.div_ceil(per_batch).max(1)
    }

    /// The next batch: dataset indices, the faces of one identity together.
    pub fn batch(&mut self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.p * self.k);
        if self.faces.is_empty() {
            return out;
        }
        let mut chosen = Vec::with_capacity(self.p);
        while chosen.len() < self.p {
            if self.next == self.order.len() {
                shuffle(&mut self.rng, &mut self.order);
                self.next = 0;
            }
            let id = self.order[self.next];
            self.next += 1;
            // After a reshuffle an identity may come round again within the same batch.
            if !chosen.contains(&id) {
                chosen.push(id);
            }
        }
        for id in chosen {
            let take = self.k.min(self.faces[id].len());
            // Reshuffle before running past the end, never midway, so no face comes twice.
            if self.cursor[id] + take > self.faces[id].len() {
                shuffle(&mut self.rng, &mut self.faces[id]);
                self.cursor[id] = 0;
            }
            let start = self.cursor[id];
            out.extend_from_slice(&self.faces[id][start..start + take]);
            self.cursor[id] += take;
        }
        out
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
    use std::collections::HashMap;

    /// 10 identities with 1..=10 faces each.
    fn labels() -> Vec<usize> {
        (0..10)
            .flat_map(|id| std::iter::repeat_n(id * 3, id + 1))
            .collect()
    }

    #[test]
    fn batches_have_p_identities_with_up_to_k_faces() {
        let labels = labels();
        let mut s = PkSampler::new(&labels, 4, 3, 1);
        assert_eq!(s.batches_per_epoch(), labels.len().div_ceil(12));
        for _ in 0..50 {
            let batch = s.batch();
            let mut per: HashMap<usize, usize> = HashMap::new();
            for &i in &batch {
                *per.entry(labels[i]).or_default() += 1;
            }
            assert_eq!(per.len(), 4, "{batch:?}");
            for (&l, &n) in &per {
                let available = labels.iter().filter(|&&x| x == l).count();
                assert_eq!(n, available.min(3));
            }
            let mut unique = batch.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), batch.len(), "a face twice in one batch");
        }
    }

    #[test]
    fn every_face_comes_round_and_the_seed_decides_everything() {
        let labels = labels();
        let mut s = PkSampler::new(&labels, 5, 4, 9);
        let mut seen = vec![0usize; labels.len()];
        let first: Vec<Vec<usize>> = (0..40).map(|_| s.batch()).collect();
        for b in &first {
            b.iter().for_each(|&i| seen[i] += 1);
        }
        assert!(seen.iter().all(|&n| n > 0));
        let mut again = PkSampler::new(&labels, 5, 4, 9);
        assert_eq!((0..40).map(|_| again.batch()).collect::<Vec<_>>(), first);
        let mut other = PkSampler::new(&labels, 5, 4, 10);
        assert_ne!((0..40).map(|_| other.batch()).collect::<Vec<_>>(), first);
    }

    #[test]
    fn p_is_capped_by_the_identities() {
        let mut s = PkSampler::new(&[1, 1, 2], 8, 4, 0);
        let mut batch = s.batch();
        batch.sort_unstable();
        assert_eq!(batch, vec![0, 1, 2]);
        assert!(PkSampler::new(&[], 4, 4, 0).batch().is_empty());
    }
}
