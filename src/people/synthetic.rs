//! Synthetic face descriptors with dlib-like geometry, for benchmarks and tests of clustering.
//!
//! Each person is an isotropic Gaussian cloud around a random centre. In 128 dimensions such clouds
//! are thin shells, so distances concentrate: two draws from one cloud of per-axis deviation `s`
//! are about `s * sqrt(2 * 128)` apart, and two centres drawn with per-axis deviation `t` are about
//! `t * sqrt(2 * 128)` apart. The parameters are chosen from those two facts:
//!
//! - `spread` is the typical distance between two faces of one person (dlib: 0.35-0.5); each
//!   person's own spread is `spread` times a factor in [0.85, 1.15], so persons differ as they do
//!   in real libraries (more or less varied photos).
//! - Centres are spaced so that faces of different persons are typically [`INTER_PERSON`] apart
//!   (dlib: 0.8-1.0): a face-to-face distance across persons is the centre distance combined in
//!   quadrature with the spread.
//! - Person sizes follow a Zipf-like law (a few persons with many faces, a long tail with few), as
//!   in a real photo library; every person gets at least one face when there are enough faces.
//! - Faces are shuffled, so indices say nothing about persons.
//!
//! Everything is drawn from a small seeded generator (SplitMix64), so the output is a pure function
//! of the arguments on every platform.

use crate::vision::{Embedding, EMBEDDING_DIM};

/// Typical distance between faces of two different persons.
pub const INTER_PERSON: f32 = 0.9;
/// Per-axis deviation of the shared mean of all descriptors (dlib descriptors are not centred);
/// distances do not depend on it, it only keeps the coordinates dlib-like.
const MEAN_DEVIATION: f64 = 0.08;
/// Exponent of the person-size law: person `k` (from 1) gets a share proportional to `k^-ZIPF`.
const ZIPF: f64 = 0.7;
/// Range of the per-person factor on `spread`.
const SPREAD_FACTOR: (f64, f64) = (0.85, 1.15);

/// `n_faces` descriptors of `n_people` persons, and each face's person (0..n_people).
///
/// `spread` is the typical same-person distance (0.42 is dlib-like). Deterministic under `seed`.
pub fn gaussian_people(
    n_faces: usize,
    n_people: usize,
    spread: f32,
    seed: u64,
) -> (Vec<Embedding>, Vec<usize>) {
    let mut rng = SplitMix64::new(seed);
    let n_people = n_people.max(1);
    let spread = f64::from(spread.max(0.0));
    let mean = gaussian_vector(&mut rng, &[0.0; EMBEDDING_DIM], MEAN_DEVIATION);
    let centre_deviation = axis_deviation(centre_distance(spread));

    let mut faces = Vec::with_capacity(n_faces);
    let mut persons = Vec::with_capacity(n_faces);
    for (person, size) in person_sizes(n_faces, n_people).into_iter().enumerate() {
        let centre = gaussian_vector(&mut rng, &mean, centre_deviation);
        let factor = rng.uniform(SPREAD_FACTOR.0, SPREAD_FACTOR.1);
        let deviation = axis_deviation(spread * factor);
        for _ in 0..size {
            faces.push(gaussian_vector(&mut rng, &centre, deviation));
            persons.push(person);
        }
    }
    shuffle_together(&mut rng, &mut faces, &mut persons);
    (faces, persons)
}

/// Distance between two person centres such that faces of different persons end up
/// [`INTER_PERSON`] apart: across persons, squared distances add up as centre² + spread².
fn centre_distance(spread: f64) -> f64 {
    let inter = f64::from(INTER_PERSON);
    (inter * inter - spread * spread).max(0.01).sqrt()
}

/// Per-axis deviation that puts two independent draws `distance` apart on average.
fn axis_deviation(distance: f64) -> f64 {
    distance / ((2 * EMBEDDING_DIM) as f64).sqrt()
}

/// Faces per person: one each while they last, the rest shared out by the Zipf-like law
/// (largest remainders, so the sizes add up exactly).
fn person_sizes(n_faces: usize, n_people: usize) -> Vec<usize> {
    let mut sizes = vec![0usize; n_people];
    let base = n_faces.min(n_people);
    sizes[..base].iter_mut().for_each(|s| *s = 1);
    let rest = n_faces - base;
    if rest == 0 {
        return sizes;
    }
    let weights: Vec<f64> = (1..=n_people).map(|k| (k as f64).powf(-ZIPF)).collect();
    let total: f64 = weights.iter().sum();
    let shares: Vec<f64> = weights.iter().map(|w| w / total * rest as f64).collect();
    let mut given = 0;
    for (size, share) in sizes.iter_mut().zip(&shares) {
        let whole = share.floor() as usize;
        *size += whole;
        given += whole;
    }
    let mut by_remainder: Vec<usize> = (0..n_people).collect();
    by_remainder.sort_by(|&a, &b| {
        let (ra, rb) = (shares[a].fract(), shares[b].fract());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &person in by_remainder.iter().cycle().take(rest - given) {
        sizes[person] += 1;
    }
    sizes
}

fn gaussian_vector(rng: &mut SplitMix64, centre: &Embedding, deviation: f64) -> Embedding {
    let mut v = [0.0f32; EMBEDDING_DIM];
    for (x, &c) in v.iter_mut().zip(centre) {
        *x = (f64::from(c) + deviation * rng.normal()) as f32;
    }
    v
}

/// Fisher-Yates, applying the same permutation to both vectors.
fn shuffle_together(rng: &mut SplitMix64, faces: &mut [Embedding], persons: &mut [usize]) {
    for i in (1..faces.len()).rev() {
        let j = rng.below(i + 1);
        faces.swap(i, j);
        persons.swap(i, j);
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast and good enough for test data.
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// Uniform in 0..n (n > 0); the modulo bias is negligible for the sizes used here.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Standard normal by Box-Muller (one of the pair is dropped: simplicity over speed).
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit(); // in (0, 1], so ln is finite
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vision::distance;

    fn mean_distance(faces: &[Embedding], persons: &[usize], same: bool) -> f32 {
        let (mut sum, mut count) = (0.0, 0);
        for i in 0..faces.len().min(300) {
            for j in i + 1..faces.len().min(300) {
                if (persons[i] == persons[j]) == same {
                    sum += distance(&faces[i], &faces[j]);
                    count += 1;
                }
            }
        }
        sum / count.max(1) as f32
    }

    #[test]
    fn distances_are_dlib_like() {
        let (faces, persons) = gaussian_people(2000, 20, 0.42, 1);
        let intra = mean_distance(&faces, &persons, true);
        let inter = mean_distance(&faces, &persons, false);
        assert!((0.35..0.5).contains(&intra), "intra {intra}");
        assert!((0.8..1.0).contains(&inter), "inter {inter}");
    }

    #[test]
    fn deterministic_and_sized() {
        let a = gaussian_people(500, 30, 0.42, 9);
        let b = gaussian_people(500, 30, 0.42, 9);
        assert_eq!(a, b);
        assert_eq!(a.0.len(), 500);
        let mut sizes = [0; 30];
        a.1.iter().for_each(|&p| sizes[p] += 1);
        assert!(sizes.iter().all(|&s| s >= 1));
        assert!(sizes[0] > sizes[29]);
        assert_eq!(gaussian_people(0, 5, 0.4, 1).0.len(), 0);
        assert_eq!(gaussian_people(3, 5, 0.4, 1).0.len(), 3);
    }
}
