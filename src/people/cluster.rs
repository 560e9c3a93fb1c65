//! Clustering faces into persons: DBSCAN and agglomerative (average or complete linkage), both
//! fast on 100,000 faces, cannot-link constraints, and the clustering benchmark.
//!
//! DBSCAN runs on the eps-neighbourhoods of the [`NeighbourIndex`] and returns exactly what
//! linfa-clustering's `Dbscan` returns (same labels, same numbering), which
//! [`dbscan_reference`] wraps for tests; [`cluster`] then cuts each DBSCAN cluster again with
//! average linkage, so that one close pair of faces does not join two people. Agglomerative
//! clustering uses kodama inside each connected component of the graph "distance <= cut", which
//! is what makes it fit in memory; a component too large for an exact run is clustered by a
//! sample.

use std::time::Instant;

use kodama::Method;
use rayon::prelude::*;
use serde::Serialize;

use super::neighbours::{Blocks, NeighbourIndex, LANES};
use super::synthetic::gaussian_people;
use crate::vision::{Embedding, EMBEDDING_DIM};

/// How two clusters' distance is measured when merging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linkage {
    /// Mean of all pairwise distances (UPGMA).
    Average,
    /// Largest pairwise distance.
    Complete,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Algorithm {
    /// A point with at least `min_points` points (itself included) within `eps` is a core point;
    /// clusters are the connected core points plus the points within `eps` of them.
    Dbscan { eps: f32, min_points: usize },
    /// Merge clusters while their linkage distance is at most `cut`. Every face gets a cluster,
    /// singletons included.
    Agglomerative { linkage: Linkage, cut: f32 },
}

impl Algorithm {
    /// eps 0.55 is tau (0.6) less a margin: on the labelled test faces, DBSCAN alone at eps 0.50
    /// split two people (BCubed F 0.986), 0.55 was exact (F 1.000) and 0.60 merged two (F 0.974).
    /// Merged people are worse for a user than split ones, which merge suggestions repair.
    pub fn default_dbscan() -> Self {
        Self::Dbscan {
            eps: 0.55,
            min_points: 2,
        }
    }

    /// Average linkage is less sensitive to one close pair than DBSCAN's chaining, so it can cut
    /// at tau itself: cuts 0.55 and 0.60 were both exact on the labelled test faces.
    pub fn default_agglomerative() -> Self {
        Self::Agglomerative {
            linkage: Linkage::Average,
            cut: 0.6,
        }
    }

    /// Distance at which [`resplit`] cuts, and the smallest piece kept as a cluster.
    fn split_parameters(&self) -> (f32, usize) {
        match *self {
            Self::Dbscan { eps, min_points } => (eps + CHAIN_MARGIN, min_points.max(1)),
            Self::Agglomerative { cut, .. } => (cut, 1),
        }
    }
}

/// How far below tau DBSCAN's eps sits for its chaining, which average linkage does not need:
/// DBSCAN's clusters are cut again by average linkage at eps plus this. On the labelled test faces
/// shrunk to 40% (faces 40-55 px), DBSCAN at 0.55 alone joined two pairs of people (BCubed F
/// 0.925); cut again at 0.55 it split a few faces off (0.983), at 0.60 it was exact, as it was on
/// the faces as they are, grey, at 50% and 30%, and grey at 40%.
const CHAIN_MARGIN: f32 = 0.05;

/// Faces that must never share a cluster (same photo, user's "not this person").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constraints {
    pub cannot_link: Vec<(usize, usize)>,
}

/// Cluster label per point (0..n_clusters, numbered by decreasing size), None = noise/unclustered.
pub fn cluster(
    points: &[Embedding],
    algorithm: &Algorithm,
    constraints: &Constraints,
) -> Vec<Option<usize>> {
    let (labels, scope) = match *algorithm {
        Algorithm::Dbscan { eps, min_points } => (
            dbscan(&NeighbourIndex::build(points), eps, min_points),
            Resplit::Every,
        ),
        Algorithm::Agglomerative { linkage, cut } => (
            agglomerative(points, linkage, cut)
                .into_iter()
                .map(Some)
                .collect(),
            Resplit::Violated,
        ),
    };
    let (split_cut, min_size) = algorithm.split_parameters();
    let labels = resplit(
        points,
        labels,
        &constraints.cannot_link,
        scope,
        split_cut,
        min_size,
    );
    number_by_size(&labels)
}

// ---------------------------------------------------------------------------------------------
// DBSCAN
// ---------------------------------------------------------------------------------------------

/// DBSCAN over the index's points, numbered as linfa-clustering numbers them.
///
/// linfa visits points in index order and grows a cluster from each unlabelled core point, breadth
/// first, labelling every unlabelled point it reaches. Hence (and this is what is computed here):
/// clusters are the connected components of core points under "within eps", numbered by their
/// lowest core index; a border point (not core, within eps of a core point) belongs to the
/// lowest-numbered cluster with a core point within eps of it, since that cluster reached it first;
/// everything else is noise. `min_points` counts the point itself, as in linfa; 0 acts as 1.
pub fn dbscan(index: &NeighbourIndex, eps: f32, min_points: usize) -> Vec<Option<usize>> {
    let min_points = min_points.max(1);
    let (core, mut components, border_links) = if min_points <= 2 {
        // Here a point is core exactly when it has any neighbour at all (or always, at 1), which
        // connecting every point finds out on the way: no separate counting pass.
        let (mut components, _) = connect_core_points(index, eps, &vec![true; index.len()]);
        let core: Vec<bool> = (0..index.len())
            .map(|i| min_points == 1 || components.component_size(i) > 1)
            .collect();
        (core, components, vec![Vec::new(); index.len()])
    } else {
        let core = core_points(index, eps, min_points);
        let (components, border_links) = connect_core_points(index, eps, &core);
        (core, components, border_links)
    };
    let numbers = number_components(&mut components, &core);
    (0..index.len())
        .map(|i| {
            if core[i] {
                Some(numbers[components.find(i)])
            } else {
                // The border point joins the first cluster linfa grew that reaches it.
                border_links[i]
                    .iter()
                    .map(|&j| numbers[components.find(j as usize)])
                    .min()
            }
        })
        .collect()
}

/// DBSCAN by linfa-clustering (KD-tree, L2), the reference implementation.
///
/// linfa refuses `min_points < 2`. With `min_points = 1` every point is core, which differs from
/// `min_points = 2` only in that isolated points (noise at 2) become singleton clusters; they are
/// numbered in index order among the others, as linfa's visiting order would.
pub fn dbscan_reference(points: &[Embedding], eps: f32, min_points: usize) -> Vec<Option<usize>> {
    use linfa::traits::Transformer;
    use linfa::ParamGuard;

    if points.is_empty() {
        return Vec::new();
    }
    let records =
        ndarray::Array2::from_shape_fn((points.len(), EMBEDDING_DIM), |(i, j)| points[i][j]);
    let params = linfa_clustering::Dbscan::params(min_points.max(2)).tolerance(eps);
    let labels: Vec<Option<usize>> = match params.check() {
        Ok(valid) => valid.transform(&records).to_vec(),
        // Only a non-positive eps is refused here: then no point has a neighbour but itself.
        Err(_) => vec![None; points.len()],
    };
    if min_points >= 2 {
        return labels;
    }
    singletons_as_clusters(&labels)
}

/// Relabels so that noise points become their own clusters, all numbered by first appearance.
fn singletons_as_clusters(labels: &[Option<usize>]) -> Vec<Option<usize>> {
    let mut renumber: Vec<Option<usize>> = Vec::new();
    let mut next = 0;
    labels
        .iter()
        .map(|label| {
            let number = match *label {
                Some(l) => {
                    if renumber.len() <= l {
                        renumber.resize(l + 1, None);
                    }
                    *renumber[l].get_or_insert_with(|| {
                        next += 1;
                        next - 1
                    })
                }
                None => {
                    next += 1;
                    next - 1
                }
            };
            Some(number)
        })
        .collect()
}

/// Whether each point has at least `min_points` points within `eps`, itself included.
fn core_points(index: &NeighbourIndex, eps: f32, min_points: usize) -> Vec<bool> {
    (0..index.len())
        .into_par_iter()
        .map(|i| index.count_within(i, eps, min_points) >= min_points)
        .collect()
}

/// Unions core points within `eps` of each other; returns the union-find and, for each non-core
/// point, its core neighbours (fewer than `min_points` by definition).
///
/// Works on pairs of index cells, not on one neighbourhood per point: in a photo library most
/// neighbours of a face are faces of the same person, found again and again from both ends.
/// Cells are joined nearest pair first, and a pair whose members are all core and already in one
/// component is skipped outright, so a person of thousands of faces costs about one pass over
/// its cells rather than all its pairs. Pairs are handled in parallel rounds against a snapshot
/// of the components; components only ever grow, so a skip decided on a snapshot stays right.
fn connect_core_points(
    index: &NeighbourIndex,
    eps: f32,
    core: &[bool],
) -> (UnionFind, Vec<Vec<u32>>) {
    let n = index.len();
    let mut components = UnionFind::new(n);
    let mut border_links = vec![Vec::new(); n];
    let t = std::time::Instant::now();
    let pairs = index.cell_pairs_within(eps);
    let bounding = t.elapsed();
    let mut join = |pairs: &[(u32, u32)]| {
        let snapshot = Snapshot::take(index, core, &mut components);
        let links: Vec<Vec<(u32, u32)>> = pairs
            .par_iter()
            .map(|&(a, b)| snapshot.new_links(index, eps, core, a as usize, b as usize))
            .collect();
        for (i, j) in links.into_iter().flatten() {
            let (i, j) = (i as usize, j as usize);
            match (core[i], core[j]) {
                (true, true) => components.union(i, j),
                (false, true) => border_links[i].push(j as u32),
                (true, false) => border_links[j].push(i as u32),
                (false, false) => {}
            }
        }
    };
    // Cells whose centroids are within eps of each other are mostly cells of one person: where
    // components form. Their pairs go first, nearest first, in rounds that let later pairs skip.
    let near =
        pairs.partition_point(|&(a, b)| a == b || index.centre_gap(a as usize, b as usize) <= eps);
    let mut start = 0;
    let mut round = FIRST_ROUND;
    while start < near {
        let end = (start + round).min(near);
        join(&pairs[start..end]);
        start = end;
        round = (round * 2).min(LAST_ROUND);
    }
    // The rest rarely join anything but are most of the work, and comparing two cells reads
    // all their members: in order of tiles of cells, the cells a thread compares are still in
    // cache, where nearest-first order fetched two cells from memory for every pair.
    let mut far = pairs[near..].to_vec();
    far.par_sort_unstable_by_key(|&(a, b)| (a / CACHE_TILE, b / CACHE_TILE, a, b));
    join(&far);
    tracing::debug!(
        cell_pairs = pairs.len(),
        ?bounding,
        joining = ?(t.elapsed() - bounding),
        "points within eps connected"
    );
    (components, border_links)
}

/// Cells per side of a tile of cell pairs visited together: 64 cells of about 48 members are
/// 1.5 MiB of embeddings.
const CACHE_TILE: u32 = 32;

/// Cell pairs in the first round of [`connect_core_points`]; rounds double up to [`LAST_ROUND`].
/// Small early rounds let components form before the bulk of the pairs is looked at.
const FIRST_ROUND: usize = 256;
const LAST_ROUND: usize = 16_384;

/// The components as they stood at the start of a round.
struct Snapshot {
    /// Component root per point.
    root: Vec<u32>,
    /// Per cell, the root shared by all its members when they are all core and all in one
    /// component: nothing inside such a cell can join anything.
    cell_root: Vec<Option<u32>>,
}

impl Snapshot {
    fn take(index: &NeighbourIndex, core: &[bool], components: &mut UnionFind) -> Self {
        let root: Vec<u32> = (0..index.len())
            .map(|i| components.find(i) as u32)
            .collect();
        let cell_root = (0..index.cell_count())
            .map(|c| {
                let mut members = index.cell_points(c);
                let first = members.next()?;
                let shared = root[first];
                (core[first] && members.all(|m| core[m] && root[m] == shared)).then_some(shared)
            })
            .collect();
        Self { root, cell_root }
    }

    /// Point pairs within `eps` between cells `a` and `b` that may change the components or
    /// are border links; pairs of core points already in one component are left out.
    fn new_links(
        &self,
        index: &NeighbourIndex,
        eps: f32,
        core: &[bool],
        a: usize,
        b: usize,
    ) -> Vec<(u32, u32)> {
        let mut links = Vec::new();
        if self.cell_root[a].is_some() && self.cell_root[a] == self.cell_root[b] {
            return links;
        }
        let joined = |i: usize, j: usize| core[i] && core[j] && self.root[i] == self.root[j];
        index.for_each_pair_within(
            a,
            b,
            eps,
            |i| core[i] && self.cell_root[b] == Some(self.root[i]),
            |i, j| {
                if !joined(i, j) {
                    links.push((i as u32, j as u32));
                }
            },
        );
        links
    }
}

/// Number per union-find root, by the lowest core index of each component (linfa's order).
fn number_components(components: &mut UnionFind, core: &[bool]) -> Vec<usize> {
    let mut numbers = vec![usize::MAX; core.len()];
    let mut next = 0;
    for i in (0..core.len()).filter(|&i| core[i]) {
        let root = components.find(i);
        if numbers[root] == usize::MAX {
            numbers[root] = next;
            next += 1;
        }
    }
    numbers
}

// ---------------------------------------------------------------------------------------------
// Agglomerative
// ---------------------------------------------------------------------------------------------

/// Agglomerative clustering cut at `cut`, run per connected component of "distance <= cut".
/// Labels are numbered by lowest member index.
///
/// Why the split is exact: a merge at level <= cut never joins two components. Between points of
/// different components every distance is > cut, and both the complete linkage (the largest
/// cross distance) and the average linkage (their mean) of two clusters from different components
/// are then > cut too. By induction every cluster formed at or below the cut lies inside one
/// component, and within a component kodama sees the same distances as on the whole set.
pub fn agglomerative(points: &[Embedding], linkage: Linkage, cut: f32) -> Vec<usize> {
    let index = NeighbourIndex::build(points);
    let components = dbscan(&index, cut, 1);
    let groups = groups_of(&components);
    let pieces: Vec<Vec<usize>> = groups
        .par_iter()
        .map(|members| cut_members(points, members, linkage, cut, &[]))
        .collect();
    let mut labels = vec![0; points.len()];
    let mut offset = 0; // local labels are < group size, so offsets keep groups apart
    for (members, local) in groups.iter().zip(pieces) {
        for (&m, l) in members.iter().zip(local) {
            labels[m] = offset + l;
        }
        offset += members.len();
    }
    number_by_first_appearance(&labels)
}

/// Agglomerative clustering of all points at once with kodama, O(n²) memory: the reference the
/// component split is checked against.
pub fn agglomerative_unsplit(points: &[Embedding], linkage: Linkage, cut: f32) -> Vec<usize> {
    let all: Vec<usize> = (0..points.len()).collect();
    let local = cut_members(points, &all, linkage, cut, &[]);
    number_by_first_appearance(&local)
}

/// Distance given to cannot-linked pairs: effectively infinite but finite, as kodama requires.
/// Even averaged over 10^5 x 10^5 pairs it stays far above any cut.
const CANNOT_LINK_DISTANCE: f32 = 1e30;

/// Hierarchical clustering of `members` (indices into `points`) cut at `cut`, with the pairs in
/// `apart` (positions in `members`) at [`CANNOT_LINK_DISTANCE`]. Returns a piece label per member,
/// numbered by first appearance.
fn cut_members(
    points: &[Embedding],
    members: &[usize],
    linkage: Linkage,
    cut: f32,
    apart: &[(usize, usize)],
) -> Vec<usize> {
    cut_members_within(points, members, linkage, cut, apart, EXACT_MAX)
}

/// Most faces clustered together exactly: their distance matrix takes 4·m²/2 bytes, 128 MiB.
const EXACT_MAX: usize = 8_192;

/// [`cut_members`] with the bound on exact clustering as a parameter. A larger group (a person
/// with very many faces, or people chained together) would need gigabytes, so an even sample of
/// it is clustered, every face of a cannot-link pair included, and each other face joins the
/// piece of its nearest sampled face. Those faces have no cannot-link pair here, so every pair
/// still ends in different pieces.
fn cut_members_within(
    points: &[Embedding],
    members: &[usize],
    linkage: Linkage,
    cut: f32,
    apart: &[(usize, usize)],
    exact_max: usize,
) -> Vec<usize> {
    let m = members.len();
    if m <= exact_max {
        return cut_exactly(points, members, linkage, cut, apart);
    }
    let mut sampled = vec![false; m];
    for &(a, b) in apart {
        sampled[a] = true;
        sampled[b] = true;
    }
    let stride = m.div_ceil((exact_max / 2).max(1));
    (0..m).step_by(stride).for_each(|i| sampled[i] = true);
    let sample: Vec<usize> = (0..m).filter(|&i| sampled[i]).collect();
    // Each member's place in the sample, if it is in it.
    let mut position = vec![None; m];
    for (k, &i) in sample.iter().enumerate() {
        position[i] = Some(k);
    }
    let sample_apart: Vec<(usize, usize)> = apart
        .iter()
        .filter_map(|&(a, b)| Some((position[a]?, position[b]?)))
        .collect();
    let sample_members: Vec<usize> = sample.iter().map(|&i| members[i]).collect();
    tracing::debug!(
        faces = m,
        sampled = sample.len(),
        "clustered a large group by a sample"
    );
    let sample_pieces = cut_exactly(points, &sample_members, linkage, cut, &sample_apart);
    let sample_points: Vec<Embedding> = sample_members.iter().map(|&i| points[i]).collect();
    let index = NeighbourIndex::build(&sample_points);
    let pieces: Vec<usize> = (0..m)
        .into_par_iter()
        .map(|i| match position[i] {
            Some(k) => sample_pieces[k],
            None => index
                .nearest(&points[members[i]], 1)
                .first()
                .map_or(0, |&(k, _)| sample_pieces[k]),
        })
        .collect();
    number_by_first_appearance(&pieces)
}

/// Hierarchical clustering of all of `members` at once with kodama (see [`cut_members`]).
fn cut_exactly(
    points: &[Embedding],
    members: &[usize],
    linkage: Linkage,
    cut: f32,
    apart: &[(usize, usize)],
) -> Vec<usize> {
    let m = members.len();
    if m <= 1 {
        return vec![0; m];
    }
    let mut condensed = condensed_distances(points, members);
    for &(a, b) in apart {
        let (a, b) = (a.min(b), a.max(b));
        if a != b {
            condensed[condensed_position(m, a, b)] = CANNOT_LINK_DISTANCE;
        }
    }
    let method = match linkage {
        Linkage::Average => Method::Average,
        Linkage::Complete => Method::Complete,
    };
    let dendrogram = kodama::linkage(&mut condensed, m, method);
    cut_dendrogram(&dendrogram, m, cut)
}

/// Position of pair (a, b), a < b, in a condensed matrix of m observations.
fn condensed_position(m: usize, a: usize, b: usize) -> usize {
    a * m - a * (a + 1) / 2 + (b - a - 1)
}

/// Upper triangle of the members' distance matrix, row by row (kodama's condensed layout), with
/// the same bit-exact distances as the index.
fn condensed_distances(points: &[Embedding], members: &[usize]) -> Vec<f32> {
    let m = members.len();
    let blocks = Blocks::from_points(members.iter().map(|&i| &points[i]));
    let rows: Vec<Vec<f32>> = (0..m)
        .into_par_iter()
        .map(|a| {
            // Blocks from the one holding member a + 1 on; lanes before it are dropped.
            let range = (a + 1) / LANES..blocks.len();
            let first = range.start * LANES;
            let mut squared = vec![0.0f32; range.len() * LANES];
            blocks.squared_distances(&points[members[a]], range, f32::INFINITY, &mut squared);
            squared[a + 1 - first..m - first]
                .iter()
                .map(|s| s.sqrt())
                .collect::<Vec<f32>>()
        })
        .collect();
    rows.concat()
}

/// Unions the merges at dissimilarity <= cut (average and complete linkage are monotone, so these
/// are exactly the clusters below the cut) and labels the observations by first appearance.
fn cut_dendrogram(dendrogram: &kodama::Dendrogram<f32>, m: usize, cut: f32) -> Vec<usize> {
    let mut sets = UnionFind::new(m);
    // An observation of each dendrogram cluster: labels 0..m are observations, m + i is step i.
    let mut representative: Vec<usize> = (0..m).collect();
    for step in dendrogram.steps() {
        let (a, b) = (representative[step.cluster1], representative[step.cluster2]);
        if step.dissimilarity <= cut {
            sets.union(a, b);
        }
        representative.push(a);
    }
    let roots: Vec<usize> = (0..m).map(|i| sets.find(i)).collect();
    number_by_first_appearance(&roots)
}

// ---------------------------------------------------------------------------------------------
// Re-splitting: chains and cannot-link constraints
// ---------------------------------------------------------------------------------------------

/// Which clusters [`resplit`] cuts again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resplit {
    /// Every cluster: DBSCAN joins two people through a single close pair of faces (small and
    /// blurred faces come closer to everyone), which average linkage does not.
    Every,
    /// Only the clusters holding a cannot-link pair.
    Violated,
}

/// Re-cuts clusters with average linkage at `cut`, cannot-link pairs at an effectively infinite
/// distance. Any merge joining the two sides of a pair has an average above the cut, so each pair
/// ends in different pieces, and one pass suffices. Pieces smaller than `min_size` become noise.
/// Pairs out of range or with noise are ignored.
fn resplit(
    points: &[Embedding],
    mut labels: Vec<Option<usize>>,
    cannot_link: &[(usize, usize)],
    scope: Resplit,
    cut: f32,
    min_size: usize,
) -> Vec<Option<usize>> {
    let groups = groups_of(&labels);
    let mut group_of = vec![None; labels.len()];
    for (g, members) in groups.iter().enumerate() {
        members.iter().for_each(|&m| group_of[m] = Some(g));
    }
    // The cannot-link pairs inside each group, as positions in its (ascending) members.
    let mut apart: Vec<Vec<(usize, usize)>> = vec![Vec::new(); groups.len()];
    for &(a, b) in cannot_link {
        if let (Some(Some(x)), Some(Some(y))) = (group_of.get(a), group_of.get(b)) {
            if x == y && a != b {
                let members = &groups[*x];
                if let (Ok(a), Ok(b)) = (members.binary_search(&a), members.binary_search(&b)) {
                    apart[*x].push((a, b));
                }
            }
        }
    }
    let chosen: Vec<usize> = (0..groups.len())
        .filter(|&g| scope == Resplit::Every || !apart[g].is_empty())
        .collect();
    let pieces: Vec<Vec<usize>> = chosen
        .par_iter()
        .map(|&g| cut_members(points, &groups[g], Linkage::Average, cut, &apart[g]))
        .collect();
    let mut next = labels.iter().flatten().max().map_or(0, |&l| l + 1);
    for (&g, pieces) in chosen.iter().zip(pieces) {
        let members = &groups[g];
        let mut sizes = vec![0usize; members.len()];
        pieces.iter().for_each(|&p| sizes[p] += 1);
        if sizes.iter().filter(|&&n| n > 0).count() > 1 {
            tracing::debug!(size = members.len(), ?scope, "re-split a cluster");
        }
        for (&m, &p) in members.iter().zip(&pieces) {
            labels[m] = (sizes[p] >= min_size).then_some(next + p);
        }
        next += members.len();
    }
    labels
}

// ---------------------------------------------------------------------------------------------
// Labels
// ---------------------------------------------------------------------------------------------

/// Renumbers clusters 0.. by decreasing size, ties by lowest member index; noise stays None.
fn number_by_size(labels: &[Option<usize>]) -> Vec<Option<usize>> {
    let dense = number_by_first_appearance_opt(labels);
    let count = dense.iter().flatten().max().map_or(0, |&l| l + 1);
    let mut sizes = vec![0usize; count];
    dense.iter().flatten().for_each(|&l| sizes[l] += 1);
    // Dense labels are already in order of lowest member, so a stable sort breaks ties by it.
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by_key(|&l| std::cmp::Reverse(sizes[l]));
    let mut rank = vec![0; count];
    for (r, &l) in order.iter().enumerate() {
        rank[l] = r;
    }
    dense.iter().map(|l| l.map(|l| rank[l])).collect()
}

fn number_by_first_appearance_opt(labels: &[Option<usize>]) -> Vec<Option<usize>> {
    let mut map = std::collections::HashMap::new();
    labels
        .iter()
        .map(|l| {
            l.map(|l| {
                let next = map.len();
                *map.entry(l).or_insert(next)
            })
        })
        .collect()
}

fn number_by_first_appearance(labels: &[usize]) -> Vec<usize> {
    let wrapped: Vec<Option<usize>> = labels.iter().copied().map(Some).collect();
    number_by_first_appearance_opt(&wrapped)
        .into_iter()
        .flatten()
        .collect()
}

/// Member indices of each cluster (noise left out), clusters in order of lowest member.
pub(super) fn groups_of(labels: &[Option<usize>]) -> Vec<Vec<usize>> {
    let dense = number_by_first_appearance_opt(labels);
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, label) in dense.iter().enumerate() {
        if let Some(l) = *label {
            if groups.len() <= l {
                groups.resize(l + 1, Vec::new());
            }
            groups[l].push(i);
        }
    }
    groups
}

/// Disjoint sets with path halving and union by size.
pub(crate) struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
            size: vec![1; n],
        }
    }

    pub(crate) fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn component_size(&mut self, x: usize) -> usize {
        let root = self.find(x);
        self.size[root]
    }

    pub(crate) fn union(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
    }
}

// ---------------------------------------------------------------------------------------------
// Benchmark
// ---------------------------------------------------------------------------------------------

/// Timings of one benchmark size, in milliseconds. `dbscan_ms` and `agglomerative_ms` are whole
/// [`cluster`] calls with the default parameters (index build included).
#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    pub n: usize,
    pub index_build_ms: f64,
    pub dbscan_ms: f64,
    pub agglomerative_ms: f64,
    /// linfa-clustering's DBSCAN on the same data, only up to [`LINFA_MAX`] points (it is
    /// quadratic in 128 dimensions).
    pub linfa_ms: Option<f64>,
    /// Clusters found by the fast DBSCAN, and whether linfa's labels were identical.
    pub dbscan_clusters: usize,
    pub linfa_identical: Option<bool>,
}

/// Largest size at which the benchmark also runs linfa.
pub const LINFA_MAX: usize = 10_000;
/// Faces per synthetic person, on average.
const BENCH_FACES_PER_PERSON: usize = 40;
const BENCH_SPREAD: f32 = 0.42;

/// Clusters synthetic libraries of the given sizes ([`gaussian_people`], about 40 faces a person,
/// Zipf-like sizes) and times each stage.
pub fn benchmark(sizes: &[usize]) -> Vec<BenchRow> {
    sizes.iter().map(|&n| benchmark_one(n)).collect()
}

fn benchmark_one(n: usize) -> BenchRow {
    let persons = (n / BENCH_FACES_PER_PERSON).max(1);
    let (points, _) = gaussian_people(n, persons, BENCH_SPREAD, n as u64);
    let none = Constraints::default();

    let (index, index_build_ms) = timed(|| NeighbourIndex::build(&points));
    drop(index);
    let (dbscan_labels, dbscan_ms) =
        timed(|| cluster(&points, &Algorithm::default_dbscan(), &none));
    let (_, agglomerative_ms) =
        timed(|| cluster(&points, &Algorithm::default_agglomerative(), &none));
    let dbscan_clusters = dbscan_labels.iter().flatten().max().map_or(0, |&l| l + 1);

    let (linfa_ms, linfa_identical) = if n <= LINFA_MAX {
        let Algorithm::Dbscan { eps, min_points } = Algorithm::default_dbscan() else {
            unreachable!("default_dbscan is DBSCAN")
        };
        let (reference, ms) = timed(|| dbscan_reference(&points, eps, min_points));
        let fast = dbscan(&NeighbourIndex::build(&points), eps, min_points);
        (Some(ms), Some(reference == fast))
    } else {
        (None, None)
    };
    BenchRow {
        n,
        index_build_ms,
        dbscan_ms,
        agglomerative_ms,
        linfa_ms,
        dbscan_clusters,
        linfa_identical,
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed().as_secs_f64() * 1e3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, persons: usize, seed: u64) -> Vec<Embedding> {
        gaussian_people(n, persons, 0.42, seed).0
    }

    #[test]
    fn dbscan_equals_linfa_on_synthetic_data() {
        // Small: linfa is slow in debug builds; tests/clustering.rs checks 3,000 points.
        let points = data(500, 20, 11);
        let index = NeighbourIndex::build(&points);
        for eps in [0.42, 0.5, 0.6] {
            for min_points in [1, 2, 3, 12] {
                let fast = dbscan(&index, eps, min_points);
                let reference = dbscan_reference(&points, eps, min_points);
                assert_eq!(fast, reference, "eps {eps} min_points {min_points}");
            }
        }
    }

    #[test]
    fn dbscan_border_points_follow_linfa_order() {
        // Two core groups on a line, a border point between them, reachable from both.
        let xs = [0.0, 0.05, 0.1, 0.15, 0.75, 1.35, 1.4, 1.45, 1.5];
        let mut points = vec![[0.0f32; 128]; xs.len()];
        for (p, x) in points.iter_mut().zip(xs) {
            p[0] = x;
        }
        let orders = [
            vec![0, 1, 2, 3, 4, 5, 6, 7, 8],
            vec![8, 7, 6, 5, 4, 3, 2, 1, 0],
            vec![4, 6, 0, 5, 1, 8, 2, 3, 7],
        ];
        for order in orders {
            let shuffled: Vec<Embedding> = order.iter().map(|&i| points[i]).collect();
            let index = NeighbourIndex::build(&shuffled);
            assert_eq!(
                dbscan(&index, 0.61, 4),
                dbscan_reference(&shuffled, 0.61, 4),
                "order {order:?}"
            );
        }
    }

    #[test]
    fn agglomerative_split_equals_unsplit() {
        let points = data(600, 20, 12);
        for linkage in [Linkage::Average, Linkage::Complete] {
            for cut in [0.4, 0.55, 0.7] {
                assert_eq!(
                    agglomerative(&points, linkage, cut),
                    agglomerative_unsplit(&points, linkage, cut),
                    "{linkage:?} {cut}"
                );
            }
        }
    }

    #[test]
    fn labels_are_numbered_by_size() {
        let labels = number_by_size(&[Some(7), None, Some(3), Some(3), Some(9), Some(7), Some(3)]);
        assert_eq!(
            labels,
            vec![Some(1), None, Some(0), Some(0), Some(2), Some(1), Some(0)]
        );
    }

    #[test]
    fn cannot_link_splits_merged_groups() {
        // Two tight groups 0.45 apart: DBSCAN at eps 0.5 merges them.
        let mut points = Vec::new();
        for group in 0..2 {
            for k in 0..8 {
                let mut p = [0.0f32; 128];
                p[0] = 0.45 * group as f32;
                p[1 + k] = 0.05;
                points.push(p);
            }
        }
        let algorithm = Algorithm::default_dbscan();
        let merged = cluster(&points, &algorithm, &Constraints::default());
        assert!(merged.iter().all(|&l| l == Some(0)));

        let constraints = Constraints {
            cannot_link: vec![(2, 12)],
        };
        let split = cluster(&points, &algorithm, &constraints);
        assert_ne!(split[2], split[12]);
        assert!(split[..8].iter().all(|&l| l == split[0] && l.is_some()));
        assert!(split[8..].iter().all(|&l| l == split[8] && l.is_some()));

        let agglomerative = Algorithm::Agglomerative {
            linkage: Linkage::Average,
            cut: 0.6,
        };
        let split = cluster(&points, &agglomerative, &constraints);
        assert_ne!(split[2], split[12]);
        assert_eq!(split.iter().flatten().max(), Some(&1));
    }

    #[test]
    fn dbscan_clusters_joined_by_one_close_pair_are_cut_apart() {
        // Two tight groups 1.0 apart, each with one face reaching 0.25 towards the other: those
        // two are 0.5 apart, within eps, and DBSCAN alone chains the groups into one.
        let mut points = Vec::new();
        for (x, reach) in [(0.0f32, 0.25f32), (1.0, -0.25)] {
            for k in 0..8 {
                let mut p = [0.0f32; 128];
                p[0] = x;
                p[1 + k] = 0.05;
                points.push(p);
            }
            if let Some(last) = points.last_mut() {
                last[0] += reach;
            }
        }
        let Algorithm::Dbscan { eps, min_points } = Algorithm::default_dbscan() else {
            unreachable!("default_dbscan is DBSCAN")
        };
        let chained = dbscan(&NeighbourIndex::build(&points), eps, min_points);
        assert!(chained.iter().all(|&l| l == Some(0)));

        let labels = cluster(
            &points,
            &Algorithm::default_dbscan(),
            &Constraints::default(),
        );
        assert!(labels[..8].iter().all(|&l| l == labels[0] && l.is_some()));
        assert!(labels[8..].iter().all(|&l| l == labels[8] && l.is_some()));
        assert_ne!(labels[0], labels[8]);
    }

    #[test]
    fn a_group_too_large_for_an_exact_run_is_clustered_by_a_sample() {
        let points = data(2_000, 25, 13);
        let members: Vec<usize> = (0..points.len()).collect();
        let exact = cut_exactly(&points, &members, Linkage::Average, 0.6, &[]);
        let sampled = cut_members_within(&points, &members, Linkage::Average, 0.6, &[], 300);
        assert_eq!(sampled, exact);
        assert!(exact.iter().max() >= Some(&20), "the people are found");

        // Faces of a cannot-link pair are kept apart, though most faces are not in the sample.
        let apart: Vec<(usize, usize)> = (0..points.len())
            .flat_map(|a| ((a + 1)..points.len()).map(move |b| (a, b)))
            .filter(|&(a, b)| exact[a] == exact[b])
            .step_by(997)
            .take(10)
            .collect();
        assert_eq!(apart.len(), 10);
        let split = cut_members_within(&points, &members, Linkage::Average, 0.6, &apart, 300);
        for (a, b) in apart {
            assert_ne!(split[a], split[b], "pair {a} {b}");
        }
    }

    #[test]
    fn empty_and_single() {
        for algorithm in [
            Algorithm::default_dbscan(),
            Algorithm::default_agglomerative(),
        ] {
            assert!(cluster(&[], &algorithm, &Constraints::default()).is_empty());
        }
        let one = [[0.1f32; 128]];
        assert_eq!(
            cluster(&one, &Algorithm::default_dbscan(), &Constraints::default()),
            vec![None]
        );
        assert_eq!(
            cluster(
                &one,
                &Algorithm::default_agglomerative(),
                &Constraints::default()
            ),
            vec![Some(0)]
        );
    }
}
