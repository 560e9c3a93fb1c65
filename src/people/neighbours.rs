//! The exact neighbour index over face embeddings: range (`within`) and k-nearest queries.
//!
//! Points are partitioned into small cells (about [`CELL_SIZE`] points) by k-means on a sample,
//! seeded so that every person gets a seed; points still far from their centroid get cells of
//! their own and cells much wider than the median are split by 2-means, since a cell spanning
//! several persons defeats pruning. Point-to-centroid distances for the partition come from
//! matrix products; every distance a result depends on is computed exactly. Each cell keeps its centroid, its radius (largest
//! member-centroid distance) and its members sorted by distance to the centroid. Three bounds then
//! skip work without losing anything:
//! - triangle: a cell can only hold a point within `r` of `q` if `d(q, c) - radius <= r`;
//! - ring: a member `p` only if `|d(q, c) - d(p, c)| <= r`, a binary search in the sorted members;
//! - hyperplane: the distance along the line between the query's home centroid and the cell's
//!   (see [`hyperplane_bound`]), using how far the cell's members reach towards every other
//!   centroid along that line, measured per cell pair when the index is built. In 128 dimensions persons sit "side by side": typical distances
//!   (0.8-1.0) are barely above radius + eps, so the triangle bound alone prunes little, while
//!   the hyperplane bound separates most cells of different persons.
//!
//! Cost per query: one centroid distance per cell (so cells ~ n/48: this is the dominant term at
//! 100k points) plus the members of the cells no bound excludes. Clustering does not query point
//! by point: it walks pairs of cells ([`NeighbourIndex::cell_pairs_within`]), bounding each pair
//! as a whole and each member by its measured position along the line between the centroids.
//!
//! Exactness is bit-for-bit, not approximate. Members are stored "structure of arrays" in blocks
//! of [`LANES`] points, and the kernel gives each point its own SIMD lane, summing `(q_i - p_i)²`
//! over dimensions 0..128 in order. That is the very sum [`crate::vision::distance`] and linfa's
//! L2 distance compute, so "within `r`" (`squared distance <= r * r`, as linfa decides) agrees with
//! a brute-force scan on every pair, ties included. Only the pruning bounds use rounded distances,
//! and they carry a slack far above the rounding error.

use std::collections::BinaryHeap;
use std::ops::{ControlFlow, Range};

use rayon::prelude::*;

use super::synthetic::SplitMix64;
use crate::vision::{Embedding, EMBEDDING_DIM};

/// Points per block: one SIMD lane each (two AVX registers). The kernel works on up to [`RUN`]
/// blocks at once to have enough independent sums in flight.
pub const LANES: usize = 16;
const BLOCK: usize = EMBEDDING_DIM * LANES;
/// The kernel checks every this many dimensions whether all lanes already exceed the limit
/// (partial sums of squares only grow, also in floating point).
const EXIT_STRIDE: usize = 32;
/// Slot id of padding lanes.
const PAD: u32 = u32::MAX;
/// Cells wider than this many times the median cell radius are split in two ...
const SPLIT_WIDTH: f32 = 1.25;
/// ... up to this many times.
const SPLIT_ROUNDS: usize = 3;
const TWO_MEANS_ROUNDS: usize = 4;
/// Target points per cell.
const CELL_SIZE: usize = 48;
/// Rounds of k-means on the sample.
const KMEANS_ROUNDS: usize = 2;
/// Sample size for k-means, per cell.
const SAMPLE_PER_CELL: usize = 4;
const SEED: u64 = 0x6b69_7468; // "kith"
/// Radius within which one k-means seed covers the faces around it: the same-person threshold
/// of the embedding's scale. Only affects speed.
const LEADER_RADIUS: f32 = 0.6;

/// Most cells a partition has, which keeps the two cell x cell matrices within 2 x 64 MiB.
const MAX_MATRIX_CELLS: usize = 4096;
/// Relative slack on pruning bounds. Distances computed in f32 are within ~1e-5 (relative) of the
/// true ones; a bound that is off by less than this never wrongly discards a point.
const PRUNE_SLACK: f32 = 1e-4;

/// The exact sum of squares the index, [`crate::vision::distance`] and linfa all compute:
/// `(a_i - b_i)²` added in dimension order, starting from zero.
pub fn squared_distance(a: &Embedding, b: &Embedding) -> f32 {
    let mut sum = 0.0f32;
    for (x, y) in a.iter().zip(b) {
        let d = x - y;
        sum += d * d;
    }
    sum
}

/// Points stored in blocks of [`LANES`], dimension-major inside a block, so that one kernel step
/// loads dimension `i` of 16 points at once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Blocks {
    data: Vec<f32>,
}

impl Blocks {
    /// Blocks holding `points` in order; the last block is padded with infinitely far points.
    pub(crate) fn from_points<'a>(points: impl IntoIterator<Item = &'a Embedding>) -> Self {
        let mut blocks = Self::default();
        let mut lane = 0;
        for point in points {
            if lane == 0 {
                blocks.push_padding_block();
            }
            blocks.set(blocks.len() - 1, lane, point);
            lane = (lane + 1) % LANES;
        }
        blocks
    }

    pub(crate) fn len(&self) -> usize {
        self.data.len() / BLOCK
    }

    fn push_padding_block(&mut self) {
        self.data.extend(std::iter::repeat_n(f32::INFINITY, BLOCK));
    }

    fn set(&mut self, block: usize, lane: usize, point: &Embedding) {
        let start = block * BLOCK;
        for (i, &x) in point.iter().enumerate() {
            self.data[start + i * LANES + lane] = x;
        }
    }

    fn get(&self, block: usize, lane: usize) -> Embedding {
        let start = block * BLOCK;
        std::array::from_fn(|i| self.data[start + i * LANES + lane])
    }

    /// Squared distances from `query` to every point of the blocks in `blocks`, bit-exact, into
    /// `out` (`LANES` per block). Blocks are computed [`RUN`] at a time; a run stops early once all
    /// its lanes exceed `limit`, leaving partial sums that exceed it too (sums of squares only
    /// grow, also in floating point).
    pub(crate) fn squared_distances(
        &self,
        query: &Embedding,
        blocks: Range<usize>,
        limit: f32,
        out: &mut [f32],
    ) {
        let data = &self.data[blocks.start * BLOCK..blocks.end * BLOCK];
        for (run, out) in data.chunks(RUN * BLOCK).zip(out.chunks_mut(RUN * LANES)) {
            run_kernel(query, run, limit, out);
        }
    }

    /// squared_distances() over all blocks, square-rooted, padding lanes cut off: distances to
    /// the first `count` points.
    fn distances(&self, query: &Embedding, count: usize) -> Vec<f32> {
        let mut out = vec![0.0; self.len() * LANES];
        self.squared_distances(query, 0..self.len(), f32::INFINITY, &mut out);
        out.truncate(count);
        out.iter_mut().for_each(|s| *s = s.sqrt());
        out
    }
}

/// Blocks that one kernel call works on side by side. Each lane's sum is a strict chain of
/// additions (to stay bit-exact), so a single block keeps the CPU waiting on its adder; several
/// independent blocks fill the gap.
pub(crate) const RUN: usize = 4;

/// Dispatches to the widest vector unit the CPU has; the arithmetic is the same in both.
fn run_kernel(query: &Embedding, run: &[f32], limit: f32, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { run_kernel_avx2(query, run, limit, out) };
    }
    run_kernel_portable(query, run, limit, out)
}

/// AVX2 build of the kernel. Only additions, subtractions and multiplications: Rust never fuses
/// them into FMAs, so the results are bit-identical to the portable build.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn run_kernel_avx2(query: &Embedding, run: &[f32], limit: f32, out: &mut [f32]) {
    run_kernel_portable(query, run, limit, out)
}

#[inline(always)]
fn run_kernel_portable(query: &Embedding, run: &[f32], limit: f32, out: &mut [f32]) {
    match run.len() / BLOCK {
        0 => {}
        1 => blocks_kernel::<1>(query, run, limit, out),
        2 => blocks_kernel::<2>(query, run, limit, out),
        3 => blocks_kernel::<3>(query, run, limit, out),
        _ => blocks_kernel::<RUN>(query, run, limit, out),
    }
}

/// `N` blocks at once: per lane, `(q_i - p_i)²` summed over dimensions in order.
#[inline(always)]
fn blocks_kernel<const N: usize>(query: &Embedding, run: &[f32], limit: f32, out: &mut [f32]) {
    let run = &run[..N * BLOCK];
    let mut acc = [[0.0f32; LANES]; N];
    for (stride, q_stride) in query.chunks_exact(EXIT_STRIDE).enumerate() {
        for (offset, &q) in q_stride.iter().enumerate() {
            let dim = stride * EXIT_STRIDE + offset;
            for (n, acc) in acc.iter_mut().enumerate() {
                let row = &run[n * BLOCK + dim * LANES..][..LANES];
                for (a, &p) in acc.iter_mut().zip(row) {
                    let d = q - p;
                    *a += d * d;
                }
            }
        }
        if acc.iter().flatten().all(|&a| a > limit) {
            break;
        }
    }
    for (out, acc) in out.chunks_exact_mut(LANES).zip(&acc) {
        out.copy_from_slice(acc);
    }
}

/// One cell of the partition: members occupy slots `first..first + len` (first is a multiple of
/// [`LANES`]), sorted by distance to the centroid.
#[derive(Debug, Clone)]
struct Cell {
    first: usize,
    len: usize,
    /// Largest member-centroid distance.
    radius: f32,
}

/// Exact range and k-NN index; see the module documentation.
#[derive(Debug, Clone, Default)]
pub struct NeighbourIndex {
    cells: Vec<Cell>,
    centroids: Blocks,
    members: Blocks,
    /// Point index per slot, [`PAD`] for padding.
    slot_point: Vec<u32>,
    /// Member-centroid distance per slot (+inf for padding), ascending inside each cell.
    slot_centre_distance: Vec<f32>,
    /// Slot of each point.
    point_slot: Vec<u32>,
    /// Cell of each point.
    point_cell: Vec<u32>,
    /// Centroid-centroid distances, row-major, cells x cells.
    centre_gaps: Vec<f32>,
    /// `reaches[a * cells + b]`: how far the members of cell b reach towards centroid a, the
    /// largest `d(p, b)² - d(p, a)²` over members p, rounded up. Row a is what a query whose home
    /// is a reads, so it is contiguous.
    reaches: Vec<f32>,
}

impl NeighbourIndex {
    pub fn build(points: &[Embedding]) -> Self {
        Self::build_with_cells(points, cell_count(points.len()))
    }

    /// build() with about `cells` cells (a tuning knob; results never depend on it), at most
    /// [`MAX_MATRIX_CELLS`].
    pub fn build_with_cells(points: &[Embedding], cells: usize) -> Self {
        if points.is_empty() {
            return Self::default();
        }
        let t = std::time::Instant::now();
        let mut centroids = kmeans_centroids(
            points,
            cells.clamp(1, points.len()).min(MAX_MATRIX_CELLS * 3 / 4),
        );
        let mut assignment = assign(points, &centroids);
        adopt_strays(points, &mut centroids, &mut assignment);
        for _ in 0..SPLIT_ROUNDS {
            split_wide_cells(points, &mut centroids, &mut assignment);
        }
        let partition = t.elapsed();
        let index = Self::from_assignment(points, &centroids, &assignment);
        tracing::debug!(
            points = points.len(),
            cells = index.cells.len(),
            ?partition,
            bounds = ?(t.elapsed() - partition),
            "neighbour index built"
        );
        index
    }

    pub fn len(&self) -> usize {
        self.point_slot.len()
    }

    pub fn is_empty(&self) -> bool {
        self.point_slot.is_empty()
    }

    /// Number of cells of the partition (for diagnostics).
    pub fn cell_count(&self) -> usize {
        self.cells.len()
    }

    /// The indexed point `index` (panics if out of range, like slice indexing).
    pub fn point(&self, index: usize) -> Embedding {
        let slot = self.point_slot[index] as usize;
        self.members.get(slot / LANES, slot % LANES)
    }

    /// All points within `radius` of `query` (inclusive), as (index, distance), sorted by distance.
    pub fn within(&self, query: &Embedding, radius: f32) -> Vec<(usize, f32)> {
        let mut found = Vec::new();
        self.visit_within(query, radius, None, |point, squared| {
            found.push((point, squared));
            ControlFlow::Continue(())
        });
        sorted_with_distances(found)
    }

    /// The k nearest points, sorted by distance (exclude nothing; callers skip the query itself).
    /// Equal distances are ordered by index.
    pub fn nearest(&self, query: &Embedding, k: usize) -> Vec<(usize, f32)> {
        if k == 0 || self.is_empty() {
            return Vec::new();
        }
        let centre_distances = self.centre_distances(query);
        let home = position_of_least(&centre_distances);
        let to_home = centre_distances[home];
        let mut order: Vec<(f32, usize)> = self
            .cells
            .iter()
            .zip(&centre_distances)
            .enumerate()
            .map(|(c, (cell, &d))| {
                let plane = self.plane_bound(c, d, home, to_home);
                ((d - cell.radius).max(plane).max(0.0), c)
            })
            .collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));

        // Max-heap of the best k so far, keyed by (distance bits, index): for non-negative floats
        // the bit pattern orders like the value, which gives a total order with ties by index.
        // Keyed by the distance, not its square, since two squares can round to one distance.
        let mut best: BinaryHeap<(u32, u32)> = BinaryHeap::with_capacity(k + 1);
        for (lower_bound, c) in order {
            let bound = worst_distance(&best, k);
            if lower_bound > bound + slack(centre_distances[c], bound) {
                break;
            }
            // Every square whose root rounds to `bound` or less is below this.
            let limit = bound * bound * (1.0 + 1e-5);
            // The visitor never breaks, so the scan always runs to the end of the cell.
            let _ = self.scan_cell(
                query,
                c,
                centre_distances[c],
                bound,
                limit,
                |point, squared| {
                    let key = (squared.sqrt().to_bits(), point as u32);
                    if best.len() < k {
                        best.push(key);
                    } else if best.peek().is_some_and(|&top| key < top) {
                        best.pop();
                        best.push(key);
                    }
                    ControlFlow::Continue(())
                },
            );
        }
        let mut result: Vec<(u32, u32)> = best.into_vec();
        result.sort_unstable();
        result
            .into_iter()
            .map(|(bits, point)| (point as usize, f32::from_bits(bits)))
            .collect()
    }

    /// within() for every indexed point, in parallel.
    pub fn all_within(&self, radius: f32) -> Vec<Vec<(usize, f32)>> {
        (0..self.len())
            .into_par_iter()
            .map(|i| self.within(&self.point(i), radius))
            .collect()
    }

    /// Number of points within `radius` of point `index` (itself included), counting stops at `cap`.
    pub(crate) fn count_within(&self, index: usize, radius: f32, cap: usize) -> usize {
        let mut count = 0;
        self.visit_within(
            &self.point(index),
            radius,
            Some(self.first_cell(index)),
            |_, _| {
                count += 1;
                if count >= cap {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        );
        count
    }

    /// Visits every point within `radius` of `query` until `visit` breaks; `first_cell` is
    /// scanned first (the query's own cell, where early exits are likeliest).
    fn visit_within(
        &self,
        query: &Embedding,
        radius: f32,
        first_cell: Option<FirstCell>,
        mut visit: impl FnMut(usize, f32) -> ControlFlow<()>,
    ) {
        if self.is_empty() || radius.is_nan() || radius < 0.0 {
            return;
        }
        let limit = radius * radius;
        // The own cell goes first, before the centroid distances are even computed: with a
        // `visit` that stops early (counting to min_points) they are often never needed.
        if let Some(first) = first_cell {
            let d = first.centre_distance;
            if self
                .scan_cell(query, first.cell, d, radius, limit, &mut visit)
                .is_break()
            {
                return;
            }
        }
        let centre_distances = self.centre_distances(query);
        let home = first_cell.map_or_else(|| position_of_least(&centre_distances), |f| f.cell);
        let to_home = centre_distances[home];
        for (c, (cell, &d)) in self.cells.iter().zip(&centre_distances).enumerate() {
            if first_cell.is_some_and(|first| first.cell == c)
                || cannot_reach(cell, d, radius)
                || self.plane_bound(c, d, home, to_home) > radius
            {
                continue;
            }
            if self
                .scan_cell(query, c, d, radius, limit, &mut visit)
                .is_break()
            {
                return;
            }
        }
    }

    /// [`hyperplane_bound`] between cell `c` and the query's home cell.
    fn plane_bound(&self, c: usize, to_c: f32, home: usize, to_home: f32) -> f32 {
        let k = self.cells.len();
        if c == home {
            return 0.0;
        }
        let gap = self.centre_gaps[home * k + c];
        hyperplane_bound(self.reaches[home * k + c], to_c, to_home, gap)
    }

    /// The cell of indexed point `index`, to scan first.
    fn first_cell(&self, index: usize) -> FirstCell {
        FirstCell {
            cell: self.point_cell[index] as usize,
            centre_distance: self.slot_centre_distance[self.point_slot[index] as usize],
        }
    }

    /// Distances from `query` to every centroid (rounded; only used for bounds).
    fn centre_distances(&self, query: &Embedding) -> Vec<f32> {
        self.centroids.distances(query, self.cells.len())
    }

    /// Checks the members of cell `c` that the ring bound for `radius` leaves, calling `visit` on
    /// those whose exact squared distance is at most `limit` (radius², kept exact by the caller).
    fn scan_cell(
        &self,
        query: &Embedding,
        c: usize,
        centre_distance: f32,
        radius: f32,
        limit: f32,
        mut visit: impl FnMut(usize, f32) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let cell = &self.cells[c];
        let members = &self.slot_centre_distance[cell.first..cell.first + cell.len];
        let margin = radius + slack(centre_distance, radius);
        let low = members.partition_point(|&d| d < centre_distance - margin);
        let high = members.partition_point(|&d| d <= centre_distance + margin);
        if low >= high {
            return ControlFlow::Continue(());
        }
        let (start, end) = (cell.first + low, cell.first + high);
        let (first, last) = (start / LANES, end.div_ceil(LANES));
        let mut buffer = [0.0f32; RUN * LANES];
        for run in (first..last).step_by(RUN) {
            let blocks = run..(run + RUN).min(last);
            let lanes = &mut buffer[..blocks.len() * LANES];
            self.members.squared_distances(query, blocks, limit, lanes);
            for (k, &squared) in lanes.iter().enumerate() {
                let slot = run * LANES + k;
                if slot < start || slot >= end || squared > limit {
                    continue;
                }
                visit(self.slot_point[slot] as usize, squared)?;
            }
        }
        ControlFlow::Continue(())
    }

    fn from_assignment(
        points: &[Embedding],
        centroids: &[Embedding],
        assignment: &[Assigned],
    ) -> Self {
        let mut by_cell: Vec<Vec<(f32, u32)>> = vec![Vec::new(); centroids.len()];
        for (i, a) in assignment.iter().enumerate() {
            by_cell[a.cell as usize].push((a.distance, i as u32));
        }
        let mut index = Self {
            point_slot: vec![0; points.len()],
            point_cell: vec![0; points.len()],
            ..Self::default()
        };
        let mut kept_centroids = Vec::new();
        let mut kept_members = Vec::new();
        for (mut members, centroid) in by_cell.into_iter().zip(centroids) {
            if members.is_empty() {
                continue;
            }
            members.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            index.push_cell(points, &members);
            kept_centroids.push(*centroid);
            kept_members.push(members);
        }
        index.centroids = Blocks::from_points(&kept_centroids);
        index.centre_gaps = centre_gaps(&kept_centroids, &index.centroids);
        index.reaches = reaches(points, &kept_members, &kept_centroids);
        index
    }

    /// Appends a cell, its slots padded to whole blocks.
    fn push_cell(&mut self, points: &[Embedding], members: &[(f32, u32)]) {
        let first = self.slot_point.len();
        let c = self.cells.len() as u32;
        for (k, &(distance, point)) in members.iter().enumerate() {
            let slot = first + k;
            if slot.is_multiple_of(LANES) {
                self.members.push_padding_block();
            }
            self.members
                .set(slot / LANES, slot % LANES, &points[point as usize]);
            self.slot_point.push(point);
            self.slot_centre_distance.push(distance);
            self.point_slot[point as usize] = slot as u32;
            self.point_cell[point as usize] = c;
        }
        let padded = self.slot_point.len().div_ceil(LANES) * LANES;
        self.slot_point.resize(padded, PAD);
        self.slot_centre_distance.resize(padded, f32::INFINITY);
        self.cells.push(Cell {
            first,
            len: members.len(),
            radius: members.last().map_or(0.0, |m| m.0),
        });
    }

    /// The points of cell `c`.
    pub(crate) fn cell_points(&self, c: usize) -> impl Iterator<Item = usize> + '_ {
        let cell = &self.cells[c];
        self.slot_point[cell.first..cell.first + cell.len]
            .iter()
            .map(|&p| p as usize)
    }

    /// Cell pairs `(a, b)`, `a <= b`, whose members may lie within `radius` of each other: every
    /// cell with itself first, then the others nearest first (by centroid distance), so that a
    /// caller joining neighbours sees the pairs most likely to matter early.
    pub(crate) fn cell_pairs_within(&self, radius: f32) -> Vec<(u32, u32)> {
        let k = self.cells.len();
        let mut cross: Vec<(f32, u32, u32)> = (0..k)
            .into_par_iter()
            .flat_map_iter(|a| {
                (a + 1..k)
                    .filter(move |&b| self.pair_bound(a, b) <= radius)
                    .map(move |b| (self.centre_gaps[a * k + b], a as u32, b as u32))
            })
            .collect();
        cross.par_sort_unstable_by(|x, y| x.0.total_cmp(&y.0).then((x.1, x.2).cmp(&(y.1, y.2))));
        (0..k as u32)
            .map(|c| (c, c))
            .chain(cross.into_iter().map(|(_, a, b)| (a, b)))
            .collect()
    }

    /// Distance between the centroids of cells `a` and `b`, rounded.
    pub(crate) fn centre_gap(&self, a: usize, b: usize) -> f32 {
        self.centre_gaps[a * self.cells.len() + b]
    }

    /// A lower bound on the distance between any member of cell `a` and any member of cell `b`:
    /// the better of the triangle bound between the two balls and the hyperplane bound along the
    /// line through both centroids (see [`hyperplane_bound`]), with rounding allowances.
    fn pair_bound(&self, a: usize, b: usize) -> f32 {
        let k = self.cells.len();
        let gap = self.centre_gaps[a * k + b];
        let (ra, rb) = (self.cells[a].radius, self.cells[b].radius);
        let triangle = gap - ra - rb - slack(gap, ra + rb);
        if gap <= 0.0 {
            return triangle;
        }
        // Along the line between the centroids, a's members lie no nearer b than -reach(b, a)
        // and b's no nearer a than reach(a, b) (see [`hyperplane_bound`]).
        let (a_reach, b_reach) = (self.reaches[b * k + a], self.reaches[a * k + b]);
        let separation = (-a_reach - b_reach) / (2.0 * gap);
        let rounding = PRUNE_SLACK * (a_reach.abs() + b_reach.abs()) / (2.0 * gap) + 1e-6;
        triangle.max(separation - rounding)
    }

    /// Calls `visit(i, j)` for every pair of points within `radius` (inclusive, bit-exact), `i` in
    /// cell `a` and `j` in cell `b`, each unordered pair once (inside one cell, `i` is the member
    /// nearer the centroid). Points `i` for which `skip(i)` holds are left out.
    pub(crate) fn for_each_pair_within(
        &self,
        a: usize,
        b: usize,
        radius: f32,
        skip: impl Fn(usize) -> bool,
        mut visit: impl FnMut(usize, usize),
    ) {
        if radius.is_nan() || radius < 0.0 {
            return;
        }
        let limit = radius * radius;
        let cell_a = &self.cells[a];
        if a == b {
            for slot in cell_a.first..cell_a.first + cell_a.len {
                let i = self.slot_point[slot] as usize;
                if skip(i) {
                    continue;
                }
                let query = self.members.get(slot / LANES, slot % LANES);
                let to_a = self.slot_centre_distance[slot];
                let _ = self.scan_cell(&query, a, to_a, radius, limit, |j, _| {
                    if self.point_slot[j] as usize > slot {
                        visit(i, j);
                    }
                    ControlFlow::Continue(())
                });
            }
            return;
        }
        // Coordinates along the line between the two centroids, h(x) = (d(x, cb)² - d(x, ca)²) /
        // (2 gap), give d(p, q) >= h(p) - h(q) (see [`hyperplane_bound`]). Here both sides are
        // measured, not bounded: the largest h over b's members against each member of a.
        let gap = self.centre_gaps[a * self.cells.len() + b];
        let cell_b = &self.cells[b];
        let a_to_b = self.member_distances(a, b);
        let b_to_a = self.member_distances(b, a);
        let b_to_b = &self.slot_centre_distance[cell_b.first..cell_b.first + cell_b.len];
        let (mut top, mut scale) = (f32::NEG_INFINITY, 0.0f32);
        for (&to_b, &to_a) in b_to_b.iter().zip(&b_to_a) {
            let (sb, sa) = (to_b * to_b, to_a * to_a);
            top = top.max(sb - sa);
            scale = scale.max(sb + sa);
        }
        for (offset, &to_b) in a_to_b.iter().enumerate() {
            let slot = cell_a.first + offset;
            let i = self.slot_point[slot] as usize;
            if skip(i) || cannot_reach(cell_b, to_b, radius) {
                continue;
            }
            let to_a = self.slot_centre_distance[slot];
            if gap > 0.0 {
                let (sb, sa) = (to_b * to_b, to_a * to_a);
                let separation = ((sb - sa) - top) / (2.0 * gap);
                let rounding = PRUNE_SLACK * (sb + sa + scale) / (2.0 * gap) + 1e-6;
                if separation - rounding > radius {
                    continue;
                }
            }
            let query = self.members.get(slot / LANES, slot % LANES);
            let _ = self.scan_cell(&query, b, to_b, radius, limit, |j, _| {
                visit(i, j);
                ControlFlow::Continue(())
            });
        }
    }

    /// Distances from the members of cell `c` to the centroid of cell `to`, 16 at a time (cells
    /// start on a block boundary), rounded: for bounds only.
    fn member_distances(&self, c: usize, to: usize) -> Vec<f32> {
        let cell = &self.cells[c];
        let centre = self.centroids.get(to / LANES, to % LANES);
        let blocks = cell.first / LANES..(cell.first + cell.len).div_ceil(LANES);
        let mut out = vec![0.0; blocks.len() * LANES];
        self.members
            .squared_distances(&centre, blocks, f32::INFINITY, &mut out);
        out.truncate(cell.len);
        out.iter_mut().for_each(|s| *s = s.sqrt());
        out
    }
}

#[derive(Debug, Clone, Copy)]
struct FirstCell {
    cell: usize,
    centre_distance: f32,
}

/// Triangle bound: every member of `cell` is farther than `radius` from a query at `centre_distance`.
fn cannot_reach(cell: &Cell, centre_distance: f32, radius: f32) -> bool {
    centre_distance - cell.radius > radius + slack(centre_distance, radius)
}

/// Hyperplane bound. For centroids `a` (the query's home) and `b` (this cell's) at distance `gap`,
/// `h(x) = (d(x, b)² - d(x, a)²) / (2 gap)` is x's coordinate along the unit vector from b to a, so
/// `d(q, p) >= h(q) - h(p)`. Every member p of cell b has `h(p) <= reach / (2 gap)`, where `reach`
/// is measured over b's members when the index is built. In high dimensions this is much tighter
/// than the triangle bound: persons sit "side by side", not behind each other. Returns the bound
/// on `d(q, p)` less a rounding allowance (0 when the centroids coincide).
fn hyperplane_bound(reach: f32, to_b: f32, to_a: f32, gap: f32) -> f32 {
    if gap <= 0.0 {
        return 0.0;
    }
    let (qb, qa) = (to_b * to_b, to_a * to_a);
    let separation = ((qb - qa) - reach) / (2.0 * gap);
    let rounding = PRUNE_SLACK * (qb + qa + reach.abs()) / (2.0 * gap) + 1e-6;
    separation - rounding
}

/// Per centroid a and cell b, the largest `d(p, b)² - d(p, a)²` over the members p of b (see
/// [`NeighbourIndex::reaches`]). Both squared distances come from one matrix product, as
/// `|p|² + key`, so `|p|²` cancels; the result is raised by an allowance for the products'
/// rounding so that it stays an upper bound.
fn reaches(points: &[Embedding], members: &[Vec<(f32, u32)>], centroids: &[Embedding]) -> Vec<f32> {
    let k = members.len();
    let product = CentroidProduct::new(centroids);
    let cells_per_product = PRODUCT_ROWS / CELL_SIZE;
    // Several cells per product, so that packing the centroids is paid for by many rows.
    let rows: Vec<Vec<f32>> = members
        .par_chunks(cells_per_product)
        .enumerate()
        .flat_map_iter(|(chunk, cells)| {
            let cell_points: Vec<Embedding> = cells
                .iter()
                .flatten()
                .map(|&(_, p)| points[p as usize])
                .collect();
            let keys = product.keys(&cell_points);
            let mut key_rows = cell_points.iter().zip(keys.rows());
            cells
                .iter()
                .enumerate()
                .map(|(offset, cell)| {
                    let own = chunk * cells_per_product + offset;
                    let mut most = vec![f32::NEG_INFINITY; k];
                    let mut largest_norm = 0.0f32;
                    for (point, keys) in key_rows.by_ref().take(cell.len()) {
                        largest_norm = largest_norm.max(squared_norm(point));
                        let keys = keys.as_slice().expect("rows of a standard-layout matrix");
                        let own_key = keys[own];
                        // Written as a select so that it compiles to packed maximums.
                        for (m, &key) in most.iter_mut().zip(keys) {
                            let reach = own_key - key;
                            *m = if reach > *m { reach } else { *m };
                        }
                    }
                    let own_norm = product.norms[own];
                    most.iter()
                        .zip(&product.norms)
                        .map(|(&reach, &c_norm)| {
                            // 129-term products are within ~1e-5 (relative) of exact; two of them.
                            reach + PRODUCT_ROUNDING * (2.0 * largest_norm + c_norm + own_norm)
                        })
                        .collect::<Vec<f32>>()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    // rows[b][a] -> reaches[a * k + b]
    (0..k * k).map(|i| rows[i % k][i / k]).collect()
}

/// Relative rounding allowance for squared distances from matrix products.
const PRODUCT_ROUNDING: f32 = 1e-5;

/// Centroid-centroid distance matrix.
fn centre_gaps(centroids: &[Embedding], blocks: &Blocks) -> Vec<f32> {
    let k = centroids.len();
    let rows: Vec<Vec<f32>> = centroids
        .par_iter()
        .map(|c| blocks.distances(c, k))
        .collect();
    rows.concat()
}

/// Allowance for rounding in a bound that involves distances up to `a + b`.
fn slack(a: f32, b: f32) -> f32 {
    PRUNE_SLACK * (a.abs() + b.abs()) + 1e-6
}

/// Distance of the k-th best so far, or infinity while fewer than k are known.
fn worst_distance(best: &BinaryHeap<(u32, u32)>, k: usize) -> f32 {
    match best.peek() {
        Some(&(bits, _)) if best.len() >= k => f32::from_bits(bits),
        _ => f32::INFINITY,
    }
}

/// Takes square roots of (index, squared distance) and sorts by (distance, index).
fn sorted_with_distances(found: Vec<(usize, f32)>) -> Vec<(usize, f32)> {
    let mut found: Vec<(usize, f32)> = found.into_iter().map(|(i, s)| (i, s.sqrt())).collect();
    found.sort_unstable_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    found
}

/// About one cell per [`CELL_SIZE`] points. Pruning works when cells are about one person each
/// (then the hyperplane bound separates cells of different persons), so cells are small; the
/// price is one centroid distance per cell and query.
fn cell_count(n: usize) -> usize {
    (n / CELL_SIZE).clamp(1, MAX_MATRIX_CELLS * 3 / 4)
}

#[derive(Debug, Clone, Copy)]
struct Assigned {
    cell: u32,
    /// Distance to the cell's centroid (bit-exact sum, rounded square root).
    distance: f32,
}

/// Splits in two (2-means) every cell much wider than the median cell. Random-sample k-means
/// leaves some cells spanning several persons, and those defeat pruning; after splitting, members
/// need not sit in their nearest cell, which no bound relies on.
fn split_wide_cells(
    points: &[Embedding],
    centroids: &mut Vec<Embedding>,
    assignment: &mut [Assigned],
) {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); centroids.len()];
    let mut radii = vec![0.0f32; centroids.len()];
    for (i, a) in assignment.iter().enumerate() {
        members[a.cell as usize].push(i);
        radii[a.cell as usize] = radii[a.cell as usize].max(a.distance);
    }
    let mut sorted: Vec<f32> = (0..radii.len())
        .filter(|&c| !members[c].is_empty())
        .map(|c| radii[c])
        .collect();
    sorted.sort_by(f32::total_cmp);
    let Some(&median) = sorted.get(sorted.len() / 2) else {
        return;
    };
    // Widest first, and never past the size of the cell x cell matrices.
    let mut wide: Vec<usize> = (0..centroids.len())
        .filter(|&c| radii[c] > SPLIT_WIDTH * median && members[c].len() >= 4)
        .collect();
    wide.sort_by(|&a, &b| radii[b].total_cmp(&radii[a]));
    wide.truncate(MAX_MATRIX_CELLS.saturating_sub(centroids.len()));
    let halves: Vec<Option<[Half; 2]>> = wide
        .par_iter()
        .map(|&c| two_means(points, &members[c], &centroids[c]))
        .collect();
    for (&c, halves) in wide.iter().zip(halves) {
        let Some([(first, first_members), (second, second_members)]) = halves else {
            continue;
        };
        centroids[c] = first;
        centroids.push(second);
        let new = (centroids.len() - 1) as u32;
        for (cell, group, centre) in [
            (c as u32, first_members, first),
            (new, second_members, second),
        ] {
            for i in group {
                assignment[i] = Assigned {
                    cell,
                    distance: squared_distance(&points[i], &centre).sqrt(),
                };
            }
        }
    }
}

/// One side of a split cell: its centroid and members.
type Half = (Embedding, Vec<usize>);

/// 2-means of `members`, seeded with the member farthest from `centre` and the one farthest from
/// that; None if one side ends empty.
fn two_means(points: &[Embedding], members: &[usize], centre: &Embedding) -> Option<[Half; 2]> {
    let farthest = |from: &Embedding| {
        members.iter().copied().max_by(|&a, &b| {
            squared_distance(&points[a], from).total_cmp(&squared_distance(&points[b], from))
        })
    };
    let a = farthest(centre)?;
    let b = farthest(&points[a])?;
    let mut centres = [points[a], points[b]];
    let mut sides: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..TWO_MEANS_ROUNDS {
        sides = [Vec::new(), Vec::new()];
        for &i in members {
            let side = usize::from(
                squared_distance(&points[i], &centres[1])
                    < squared_distance(&points[i], &centres[0]),
            );
            sides[side].push(i);
        }
        if sides.iter().any(Vec::is_empty) {
            return None;
        }
        centres = [mean_of(points, &sides[0]), mean_of(points, &sides[1])];
    }
    let [s0, s1] = sides;
    Some([(centres[0], s0), (centres[1], s1)])
}

fn mean_of(points: &[Embedding], members: &[usize]) -> Embedding {
    let mut sum = [0.0f64; EMBEDDING_DIM];
    for &i in members {
        for (s, &x) in sum.iter_mut().zip(&points[i]) {
            *s += f64::from(x);
        }
    }
    std::array::from_fn(|d| (sum[d] / members.len().max(1) as f64) as f32)
}

/// Each point's nearest centroid, with the bit-exact distance to it. The choice is made on
/// rounded distances from a matrix product (a near-tie may go either way, which only changes
/// the partition, never a result); the distance kept is then computed exactly, since the ring
/// bound relies on it.
fn assign(points: &[Embedding], centroids: &[Embedding]) -> Vec<Assigned> {
    let product = CentroidProduct::new(centroids);
    points
        .par_chunks(PRODUCT_ROWS)
        .flat_map_iter(|chunk| {
            let keys = product.keys(chunk);
            chunk
                .iter()
                .zip(keys.rows())
                .map(|(point, keys)| {
                    let keys = keys.as_slice().expect("rows of a standard-layout matrix");
                    let cell = position_of_least(keys);
                    Assigned {
                        cell: cell as u32,
                        distance: squared_distance(point, &centroids[cell]).sqrt(),
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Index of the smallest value (the first of equals; 0 if empty or all NaN). The minimum is
/// found in lanes of eight, which vectorises, and then located.
fn position_of_least(values: &[f32]) -> usize {
    let mut lanes = [f32::INFINITY; 8];
    let chunks = values.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (m, &v) in lanes.iter_mut().zip(chunk) {
            *m = if v < *m { v } else { *m };
        }
    }
    let least = lanes
        .iter()
        .chain(tail)
        .fold(f32::INFINITY, |m, &v| if v < m { v } else { m });
    values.iter().position(|&v| v == least).unwrap_or(0)
}

fn squared_norm(point: &Embedding) -> f32 {
    point.iter().map(|x| x * x).sum()
}

/// Rows of points per matrix product.
const PRODUCT_ROWS: usize = 512;

/// Centroids laid out for matrix products with points: `|c|² - 2 p·c` for many p and c at once,
/// by ndarray's blocked SIMD kernel, several times faster than one distance at a time. Adding
/// `|p|²` gives the squared distance; comparing centroids for one point does not need it.
struct CentroidProduct {
    /// (dims + 1) x centroids: `-2 c` over `|c|²`, so that a point extended by a 1 gives the key.
    extended: ndarray::Array2<f32>,
    norms: Vec<f32>,
}

impl CentroidProduct {
    fn new(centroids: &[Embedding]) -> Self {
        let norms: Vec<f32> = centroids.iter().map(squared_norm).collect();
        let extended =
            ndarray::Array2::from_shape_fn((EMBEDDING_DIM + 1, centroids.len()), |(i, c)| {
                if i < EMBEDDING_DIM {
                    -2.0 * centroids[c][i]
                } else {
                    norms[c]
                }
            });
        Self { extended, norms }
    }

    /// `rows x centroids` keys `|c|² - 2 p·c`.
    fn keys(&self, rows: &[Embedding]) -> ndarray::Array2<f32> {
        let flat: Vec<f32> = rows
            .iter()
            .flat_map(|row| row.iter().copied().chain([1.0]))
            .collect();
        let rows = ndarray::ArrayView2::from_shape((rows.len(), EMBEDDING_DIM + 1), &flat)
            .expect("a row per embedding");
        rows.dot(&self.extended)
    }
}

/// A few rounds of Lloyd's k-means on a random sample ("k-means-lite"): the partition only has to
/// be good enough to prune; correctness never depends on it.
fn kmeans_centroids(points: &[Embedding], k: usize) -> Vec<Embedding> {
    let sample = sample_points(points, (k * SAMPLE_PER_CELL).max(k));
    let mut centroids: Vec<Embedding> = seeds(points, &sample, k)
        .into_iter()
        .map(|i| points[i])
        .collect();
    for _ in 0..KMEANS_ROUNDS {
        let members: Vec<Embedding> = sample.iter().map(|&i| points[i]).collect();
        let assigned = assign(&members, &centroids);
        update_means(points, &sample, &assigned, &mut centroids);
    }
    centroids
}

/// New centroids as member means (in f64); a cell that lost all members keeps its centroid.
fn update_means(
    points: &[Embedding],
    sample: &[usize],
    assigned: &[Assigned],
    centroids: &mut [Embedding],
) {
    let mut sums = vec![[0.0f64; EMBEDDING_DIM]; centroids.len()];
    let mut counts = vec![0usize; centroids.len()];
    for (&i, a) in sample.iter().zip(assigned) {
        let c = a.cell as usize;
        counts[c] += 1;
        for (s, &x) in sums[c].iter_mut().zip(&points[i]) {
            *s += f64::from(x);
        }
    }
    for ((centroid, sum), &count) in centroids.iter_mut().zip(&sums).zip(&counts) {
        if count > 0 {
            for (x, s) in centroid.iter_mut().zip(sum) {
                *x = (s / count as f64) as f32;
            }
        }
    }
}

/// `k` seeds for k-means from `sample`: first "leaders", each sampled point farther than
/// [`LEADER_RADIUS`] from every leader so far, so that every person gets a seed however few faces
/// it has (random seeds land on persons in proportion to their faces, leaving small persons to
/// share a cell with a neighbour, and mixed cells defeat pruning); then the other sampled points
/// in order, which go mostly to the large persons, in proportion to their size.
fn seeds(points: &[Embedding], sample: &[usize], k: usize) -> Vec<usize> {
    let mut leaders = Leaders::default();
    let mut chosen = Vec::with_capacity(k);
    let mut is_leader = vec![false; sample.len()];
    for (position, &i) in sample.iter().enumerate() {
        if chosen.len() >= k {
            break;
        }
        if leaders.near(&points[i]).is_none() {
            leaders.push(&points[i]);
            chosen.push(i);
            is_leader[position] = true;
        }
    }
    let rest = sample
        .iter()
        .zip(&is_leader)
        .filter(|(_, &leader)| !leader)
        .map(|(&i, _)| i);
    chosen.extend(rest.take(k - chosen.len()));
    chosen
}

/// Gives cells of their own to points farther than [`LEADER_RADIUS`] from their centroid: faces of
/// persons the k-means sample missed, which would otherwise widen a neighbour's cell. Each such
/// point joins the first new cell whose first member is within the radius, or starts one.
fn adopt_strays(points: &[Embedding], centroids: &mut Vec<Embedding>, assignment: &mut [Assigned]) {
    let first_new = centroids.len();
    let mut leaders = Leaders::default();
    for (i, assigned) in assignment.iter_mut().enumerate() {
        if assigned.distance <= LEADER_RADIUS {
            continue;
        }
        let point = &points[i];
        let cell = match leaders.near(point) {
            Some(leader) => first_new + leader,
            None if centroids.len() < MAX_MATRIX_CELLS => {
                leaders.push(point);
                centroids.push(*point);
                centroids.len() - 1
            }
            None => continue,
        };
        *assigned = Assigned {
            cell: cell as u32,
            distance: squared_distance(point, &centroids[cell]).sqrt(),
        };
    }
}

/// Points chosen so far, each covering the ball of [`LEADER_RADIUS`] around it.
#[derive(Default)]
struct Leaders {
    blocks: Blocks,
    count: usize,
}

impl Leaders {
    /// The first leader within [`LEADER_RADIUS`] of `point` (padding lanes are infinitely far).
    fn near(&self, point: &Embedding) -> Option<usize> {
        let limit = LEADER_RADIUS * LEADER_RADIUS;
        let mut buffer = [0.0f32; RUN * LANES];
        (0..self.blocks.len()).step_by(RUN).find_map(|run| {
            let blocks = run..(run + RUN).min(self.blocks.len());
            let lanes = &mut buffer[..blocks.len() * LANES];
            // Partial sums left by an early exit all exceed the limit too.
            self.blocks.squared_distances(point, blocks, limit, lanes);
            lanes
                .iter()
                .position(|&s| s <= limit)
                .map(|lane| run * LANES + lane)
        })
    }

    fn push(&mut self, point: &Embedding) {
        if self.count.is_multiple_of(LANES) {
            self.blocks.push_padding_block();
        }
        self.blocks
            .set(self.count / LANES, self.count % LANES, point);
        self.count += 1;
    }
}

/// `size` distinct point indices (all of them if fewer), in a seeded random order.
fn sample_points(points: &[Embedding], size: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    let mut rng = SplitMix64::new(SEED);
    let size = size.min(points.len());
    // Partial Fisher-Yates: only the first `size` positions need shuffling.
    for i in 0..size {
        let j = i + rng.below(points.len() - i);
        order.swap(i, j);
    }
    order.truncate(size);
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::synthetic::gaussian_people;
    use crate::vision::distance;

    fn brute_within(points: &[Embedding], q: &Embedding, r: f32) -> Vec<(usize, f32)> {
        let mut found: Vec<(usize, f32)> = points
            .iter()
            .enumerate()
            .filter(|(_, p)| squared_distance(q, p) <= r * r)
            .map(|(i, p)| (i, distance(q, p)))
            .collect();
        found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        found
    }

    fn brute_nearest(points: &[Embedding], q: &Embedding, k: usize) -> Vec<(usize, f32)> {
        let mut all: Vec<(usize, f32)> = points
            .iter()
            .enumerate()
            .map(|(i, p)| (i, distance(q, p)))
            .collect();
        all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        all.truncate(k);
        all
    }

    /// Equality with a short report (the lists are long).
    fn assert_same(got: &[(usize, f32)], want: &[(usize, f32)], context: &str) {
        if got == want {
            return;
        }
        let first = got.iter().zip(want).position(|(a, b)| a != b);
        panic!(
            "{context}: {} found, {} expected, first difference at {first:?}: {:?} vs {:?}",
            got.len(),
            want.len(),
            first.map(|i| got[i]),
            first.map(|i| want[i]),
        );
    }

    fn data() -> Vec<Embedding> {
        gaussian_people(1500, 60, 0.42, 3).0
    }

    #[test]
    fn block_runs_give_the_exact_sums_and_stop_only_above_the_limit() {
        let points = data();
        let query = points[0];
        // 9 blocks: runs of 4, 4 and 1; the last block is part padding.
        let stored = &points[1..1 + 8 * LANES + 5];
        let blocks = Blocks::from_points(stored);
        for range in [0..1, 0..4, 1..4, 2..9, 0..9] {
            let mut out = vec![0.0; range.len() * LANES];
            blocks.squared_distances(&query, range.clone(), f32::INFINITY, &mut out);
            for (k, &sum) in out.iter().enumerate() {
                let slot = range.start * LANES + k;
                match stored.get(slot) {
                    Some(p) => assert_eq!(sum, squared_distance(&query, p), "slot {slot}"),
                    None => assert_eq!(sum, f32::INFINITY, "padding slot {slot}"),
                }
            }
        }
        // With a limit, every sum at or below it is exact and every other one stays above it.
        let limit = 0.3;
        let mut out = vec![0.0; blocks.len() * LANES];
        blocks.squared_distances(&query, 0..blocks.len(), limit, &mut out);
        for (p, &sum) in stored.iter().zip(&out) {
            let exact = squared_distance(&query, p);
            if exact <= limit {
                assert_eq!(sum, exact);
            } else {
                assert!(sum > limit && sum <= exact, "{sum} vs {exact}");
            }
        }
    }

    #[test]
    fn squared_distance_matches_vision_distance() {
        let points = data();
        for p in &points[..50] {
            assert_eq!(
                squared_distance(&points[0], p).sqrt(),
                distance(&points[0], p)
            );
        }
    }

    #[test]
    fn within_equals_brute_force() {
        let points = data();
        let index = NeighbourIndex::build(&points);
        assert_eq!(index.len(), points.len());
        for r in [0.0, 0.3, 0.45, 0.5, 0.6, 0.9, 2.0] {
            for q in points.iter().step_by(37) {
                assert_same(
                    &index.within(q, r),
                    &brute_within(&points, q, r),
                    &format!("r {r}"),
                );
            }
            let all = index.all_within(r);
            for i in (0..points.len()).step_by(101) {
                assert_same(&all[i], &brute_within(&points, &points[i], r), "all_within");
            }
        }
    }

    #[test]
    fn within_on_the_boundary_is_inclusive() {
        let points = data();
        let index = NeighbourIndex::build(&points);
        // Radii whose square equals a pair's squared distance exactly (as f32): the pair is in.
        for j in [1usize, 17, 400, 999] {
            let squared = squared_distance(&points[0], &points[j]);
            let mut r = squared.sqrt();
            while r * r < squared {
                r = r.next_up();
            }
            let found = index.within(&points[0], r);
            assert!(found.iter().any(|&(i, _)| i == j));
            assert_same(&found, &brute_within(&points, &points[0], r), "boundary");
        }
    }

    #[test]
    fn nearest_equals_brute_force() {
        let points = data();
        let index = NeighbourIndex::build(&points);
        for k in [1, 2, 5, 30, 200, 1500, 2000] {
            for q in points.iter().step_by(53) {
                assert_same(
                    &index.nearest(q, k),
                    &brute_nearest(&points, q, k),
                    &format!("k {k}"),
                );
            }
        }
        let outside = [0.5f32; EMBEDDING_DIM];
        assert_eq!(
            index.nearest(&outside, 7),
            brute_nearest(&points, &outside, 7)
        );
        assert_eq!(
            index.within(&outside, 5.5),
            brute_within(&points, &outside, 5.5)
        );
    }

    #[test]
    fn empty_index() {
        let index = NeighbourIndex::build(&[]);
        assert_eq!(index.len(), 0);
        let q = [0.0f32; EMBEDDING_DIM];
        assert!(index.within(&q, 1.0).is_empty());
        assert!(index.nearest(&q, 3).is_empty());
        assert!(index.all_within(1.0).is_empty());
    }

    #[test]
    fn duplicates_and_tiny_inputs() {
        let (mut points, _) = gaussian_people(40, 3, 0.42, 5);
        let copy = points[7];
        points.extend(std::iter::repeat_n(copy, 50));
        let index = NeighbourIndex::build(&points);
        let found = index.within(&copy, 0.0);
        assert_eq!(found.len(), 51);
        assert_eq!(found, brute_within(&points, &copy, 0.0));
        assert_eq!(index.nearest(&copy, 60), brute_nearest(&points, &copy, 60));

        let one = NeighbourIndex::build(&points[..1]);
        assert_eq!(one.within(&points[0], 0.0), vec![(0, 0.0)]);
        assert_eq!(one.nearest(&points[3], 5).len(), 1);
    }
}
