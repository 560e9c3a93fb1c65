//! Scan benchmarks: preparing a folder of photos at a chosen size, sampling the GPU's load while
//! the scan runs, and the report `kith bench` prints; and the benchmarks on synthetic catalogs
//! (search latency, placing faces while a scan runs).

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use image::codecs::jpeg::JpegEncoder;
use serde::Serialize;

use crate::scan::decode::decode;
use crate::scan::walk::walk;
use crate::scan::ScanSummary;
use crate::vision::align::align_face;
use crate::vision::analyzer::{BatchCounts, DETECT_BATCH, FIRST_LOOK_LONG_SIDE};
use crate::vision::{FaceAnalyzer, Precision, VisionError};

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("cannot write the benchmark photos to {path}: {source}")]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("no decodable photos in {0}")]
    Empty(std::path::PathBuf),
    #[error("no face found in the photos of {0}")]
    NoFaces(std::path::PathBuf),
    #[error(transparent)]
    Vision(#[from] VisionError),
}

/// What was prepared for the benchmark.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Prepared {
    pub photos: usize,
    pub mean_megapixels: f64,
}

/// Copies the photos under `source` into `target` `copies` times; with `megapixels`, each is
/// resized to about that many megapixels and re-encoded as a JPEG (quality 90), as a camera would.
pub fn prepare_folder(
    source: &Path,
    target: &Path,
    megapixels: Option<f32>,
    copies: usize,
) -> Result<Prepared, BenchError> {
    let write_err = |path: &Path, source| BenchError::Write {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(target).map_err(|e| write_err(target, e))?;
    let (files, _) = walk(source);
    let mut photos = 0usize;
    let mut pixels = 0f64;
    for (index, file) in files.iter().enumerate() {
        let Ok(bytes) = std::fs::read(&file.path) else {
            continue;
        };
        let (data, ext, mp) = match megapixels {
            Some(mp) => {
                let Ok(photo) = decode(&bytes, None) else {
                    continue;
                };
                let (w, h) = photo.pixels.dimensions();
                let k = ((mp as f64 * 1e6) / (w as f64 * h as f64)).sqrt();
                let (nw, nh) = ((w as f64 * k).round() as u32, (h as f64 * k).round() as u32);
                let resized = crate::scan::decode::resize(&photo.pixels, nw, nh);
                let mut out = Vec::new();
                if JpegEncoder::new_with_quality(&mut out, 90)
                    .encode_image(&resized)
                    .is_err()
                {
                    continue;
                }
                (out, "jpg".to_string(), nw as f64 * nh as f64 / 1e6)
            }
            None => {
                let Ok(photo) = decode(&bytes, Some(64)) else {
                    continue;
                };
                let ext = file
                    .path
                    .extension()
                    .map(|e| e.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "jpg".into());
                let (w, h) = photo.full_size;
                (bytes, ext, w as f64 * h as f64 / 1e6)
            }
        };
        for copy in 0..copies {
            let path = target.join(format!("{index:05}-{copy:03}.{ext}"));
            std::fs::write(&path, &data).map_err(|e| write_err(&path, e))?;
            photos += 1;
            pixels += mp;
        }
    }
    if photos == 0 {
        return Err(BenchError::Empty(source.to_path_buf()));
    }
    Ok(Prepared {
        photos,
        mean_megapixels: pixels / photos as f64,
    })
}

/// How busy the GPU was during a benchmark, from `nvidia-smi` samples.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct GpuLoad {
    pub mean_utilisation_percent: f64,
    pub peak_memory_mib: f64,
    pub samples: usize,
}

/// Samples `nvidia-smi` twice a second on its own thread until [`GpuSampler::finish`].
pub struct GpuSampler {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<Vec<(f64, f64)>>,
}

impl GpuSampler {
    /// Starts sampling, or `None` where `nvidia-smi` cannot be run (no NVIDIA driver).
    pub fn start() -> Option<Self> {
        query_gpu()?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let mut samples = Vec::new();
            while let Err(mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(Duration::from_millis(500))
            {
                samples.extend(query_gpu());
            }
            samples
        });
        Some(Self { stop, thread })
    }

    /// Stops sampling; `None` if no sample was taken.
    pub fn finish(self) -> Option<GpuLoad> {
        drop(self.stop);
        let samples = self.thread.join().ok()?;
        if samples.is_empty() {
            return None;
        }
        let n = samples.len() as f64;
        Some(GpuLoad {
            mean_utilisation_percent: samples.iter().map(|s| s.0).sum::<f64>() / n,
            peak_memory_mib: samples.iter().map(|s| s.1).fold(0.0, f64::max),
            samples: samples.len(),
        })
    }
}

/// (utilisation %, memory used MiB) of the busiest GPU, or `None` if `nvidia-smi` fails.
fn query_gpu() -> Option<(f64, f64)> {
    let out = Command::new("nvidia-smi")
        .args([
            "--query-gpu=utilization.gpu,memory.used",
            "--format=csv,noheader,nounits",
        ])
        .output()
        .ok()
        .filter(|out| out.status.success())?;
    busiest_gpu(&String::from_utf8_lossy(&out.stdout))
}

/// The busiest GPU's line of `nvidia-smi` CSV; lines reading `[N/A]` (e.g. MIG slices) are skipped.
fn busiest_gpu(csv: &str) -> Option<(f64, f64)> {
    csv.lines()
        .filter_map(|line| {
            let (util, mem) = line.split_once(',')?;
            Some((util.trim().parse().ok()?, mem.trim().parse().ok()?))
        })
        .max_by(|a: &(f64, f64), b| a.0.total_cmp(&b.0))
}

/// CPU time this process has used so far, all threads, user and system; `None` where the
/// platform does not say.
pub fn process_cpu_seconds() -> Option<f64> {
    #[cfg(unix)]
    {
        let usage = resource_usage()?;
        let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        Some(seconds(usage.ru_utime) + seconds(usage.ru_stime))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The most memory this process has held in RAM at once so far, in MiB; `None` where the
/// platform does not say.
pub fn process_peak_memory_mib() -> Option<f64> {
    #[cfg(unix)]
    {
        // Linux counts in KiB, macOS in bytes.
        let unit = if cfg!(target_os = "macos") {
            1.0
        } else {
            1024.0
        };
        Some(resource_usage()?.ru_maxrss as f64 * unit / (1024.0 * 1024.0))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(unix)]
fn resource_usage() -> Option<libc::rusage> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage only writes the struct it is given, which is large enough.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: getrusage returned 0, so it filled the struct.
    Some(unsafe { usage.assume_init() })
}

/// What the networks ran with.
#[derive(Debug, Clone, Serialize)]
pub struct Setup {
    pub device: String,
    pub precision: Precision,
    /// Long side of the detector's input, in pixels.
    pub detect_size: u32,
    /// Threads reading and analysing photos.
    pub threads: usize,
    /// The networks' batches, where the threads' requests were batched.
    pub batches: Option<BatchCounts>,
}

/// Throughput and per-stage cost of one benchmark scan.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub device: String,
    pub precision: Precision,
    pub detect_size: u32,
    pub threads: usize,
    pub batches: Option<BatchCounts>,
    pub photos: usize,
    pub mean_megapixels: f64,
    pub faces: usize,
    pub errors: usize,
    pub seconds: f64,
    pub photos_per_second: f64,
    pub faces_per_second: f64,
    /// Milliseconds per photo in each stage (decode and detect+align run on several threads at
    /// once, so their sum can exceed the wall time).
    pub read_ms: f64,
    pub decode_ms: f64,
    pub detect_align_ms: f64,
    pub embed_ms: f64,
    pub store_ms: f64,
    /// CPU time per photo over all threads: what the scan costs, however busy the machine was.
    pub cpu_ms_per_photo: Option<f64>,
    pub cores: usize,
    /// The photos/s this CPU cost allows when every core works for the scan alone.
    pub cpu_bound_photos_per_second: Option<f64>,
    /// `None` where `nvidia-smi` is not available.
    pub gpu: Option<GpuLoad>,
    /// The process's peak memory in RAM by the end of the scan (models and photo preparation
    /// included), in MiB: it should not grow with the number of photos.
    pub peak_memory_mib: Option<f64>,
    /// Each network alone, where asked for.
    pub networks: Option<NetworkSpeed>,
}

impl Report {
    pub fn new(
        summary: &ScanSummary,
        prepared: Prepared,
        setup: Setup,
        cpu_seconds: Option<f64>,
        gpu: Option<GpuLoad>,
    ) -> Self {
        let n = summary.photos.max(1) as f64;
        let s = summary.stages;
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        let cpu_ms_per_photo = cpu_seconds.map(|c| c * 1000.0 / n);
        Self {
            device: setup.device,
            precision: setup.precision,
            detect_size: setup.detect_size,
            threads: setup.threads,
            batches: setup.batches,
            photos: summary.photos,
            mean_megapixels: prepared.mean_megapixels,
            faces: summary.faces,
            errors: summary.errors,
            seconds: summary.seconds,
            photos_per_second: summary.photos as f64 / summary.seconds.max(1e-9),
            faces_per_second: summary.faces as f64 / summary.seconds.max(1e-9),
            read_ms: s.read_ms / n,
            decode_ms: s.decode_ms / n,
            detect_align_ms: s.detect_ms / n,
            embed_ms: s.embed_ms / n,
            store_ms: s.store_ms / n,
            cpu_ms_per_photo,
            cores,
            cpu_bound_photos_per_second: cpu_ms_per_photo
                .filter(|&ms| ms > 0.0)
                .map(|ms| cores as f64 * 1000.0 / ms),
            gpu,
            peak_memory_mib: process_peak_memory_mib(),
            networks: None,
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "| measure | value |")?;
        writeln!(f, "|---|---|")?;
        writeln!(f, "| device | {} |", self.device)?;
        writeln!(f, "| precision | {} |", self.precision)?;
        writeln!(f, "| detector input | {} px long side |", self.detect_size)?;
        writeln!(f, "| threads | {} |", self.threads)?;
        match self.batches {
            Some(b) => writeln!(
                f,
                "| batches | detector: {} runs of {:.1} looks at photos; embedder: {} runs of {:.1} photos' faces |",
                b.detect.batches,
                b.detect.mean_size(),
                b.embed.batches,
                b.embed.mean_size()
            )?,
            None => writeln!(f, "| batches | none: each thread runs the networks itself |")?,
        }
        writeln!(
            f,
            "| photos | {} ({:.1} MP mean) |",
            self.photos, self.mean_megapixels
        )?;
        writeln!(f, "| faces | {} |", self.faces)?;
        writeln!(f, "| errors | {} |", self.errors)?;
        writeln!(f, "| wall time | {:.2} s |", self.seconds)?;
        writeln!(f, "| photos/s | {:.2} |", self.photos_per_second)?;
        writeln!(f, "| faces/s | {:.2} |", self.faces_per_second)?;
        writeln!(f, "| read ms/photo | {:.1} |", self.read_ms)?;
        writeln!(f, "| decode ms/photo (parallel) | {:.1} |", self.decode_ms)?;
        writeln!(
            f,
            "| detect+align ms/photo (parallel) | {:.1} |",
            self.detect_align_ms
        )?;
        writeln!(f, "| embed ms/photo | {:.1} |", self.embed_ms)?;
        writeln!(f, "| store ms/photo | {:.1} |", self.store_ms)?;
        if let (Some(ms), Some(rate)) = (self.cpu_ms_per_photo, self.cpu_bound_photos_per_second) {
            writeln!(f, "| CPU ms/photo (all threads) | {ms:.1} |")?;
            writeln!(
                f,
                "| photos/s with {} free cores (from CPU time) | {rate:.2} |",
                self.cores
            )?;
        }
        match self.peak_memory_mib {
            Some(mib) => writeln!(f, "| peak memory (RAM) | {mib:.0} MiB |")?,
            None => writeln!(f, "| peak memory (RAM) | n/a |")?,
        }
        match self.gpu {
            Some(g) => writeln!(
                f,
                "| GPU utilisation (nvidia-smi) | {:.0}% mean, {:.0} MiB peak, {} samples |",
                g.mean_utilisation_percent, g.peak_memory_mib, g.samples
            )?,
            None => writeln!(f, "| GPU utilisation (nvidia-smi) | n/a |")?,
        }
        if let Some(n) = &self.networks {
            writeln!(
                f,
                "| detector alone | {:.1} photos/s in batches of {} at {}x{} |",
                n.detector_photos_per_second,
                n.detector_batch,
                n.detector_input.0,
                n.detector_input.1
            )?;
            writeln!(
                f,
                "| embedder alone | {:.1} faces/s in batches of {} |",
                n.embedder_faces_per_second, n.embedder_batch
            )?;
            writeln!(
                f,
                "| aligner alone | {:.1} faces/s on one CPU thread |",
                n.aligner_faces_per_second
            )?;
        }
        Ok(())
    }
}

/// Each network alone on its device, in batches as wide as a scan gives it at most.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkSpeed {
    pub detector_photos_per_second: f64,
    pub detector_batch: usize,
    /// Width and height of the detector's input: a first look at a 4:3 photo.
    pub detector_input: (u32, u32),
    pub embedder_faces_per_second: f64,
    pub embedder_batch: usize,
    /// The warp that cuts each aligned chip out of its photo, on one CPU thread (a scan runs it
    /// on all of its threads at once).
    pub aligner_faces_per_second: f64,
}

/// Each network is timed for at least this long, after one pass to warm up.
const NETWORK_TIMING: Duration = Duration::from_secs(2);

/// Times the detector on the photos of `folder` (as first looks at 4:3), and the embedder and
/// the aligner on their faces, each fed the same inputs over and over.
pub fn network_speed(analyzer: &FaceAnalyzer, folder: &Path) -> Result<NetworkSpeed, BenchError> {
    let (files, _) = walk(folder);
    let decode_long_side = crate::scan::ScanOptions::for_analyzer(analyzer).decode_long_side;
    let photos: Vec<_> = files
        .iter()
        .filter_map(|file| decode(&std::fs::read(&file.path).ok()?, Some(decode_long_side)).ok())
        .map(|photo| photo.pixels)
        .collect();
    if photos.is_empty() {
        return Err(BenchError::Empty(folder.to_path_buf()));
    }
    let size = (FIRST_LOOK_LONG_SIDE, FIRST_LOOK_LONG_SIDE * 3 / 4);
    let views: Vec<_> = photos
        .iter()
        .cycle()
        .take(DETECT_BATCH)
        .map(|p| crate::scan::decode::resize(p, size.0, size.1))
        .collect();
    let views: Vec<_> = views.iter().collect();
    let detector_photos_per_second =
        per_second(|| Ok(analyzer.detector().detect_batch(&views)?.len()))?;

    let mut chips = Vec::new();
    let mut landmarks = Vec::new();
    for photo in &photos {
        for face in analyzer.locate(photo)? {
            landmarks.push((photo, face.landmarks));
            chips.push(face.chip);
        }
    }
    if chips.is_empty() {
        return Err(BenchError::NoFaces(folder.to_path_buf()));
    }
    let chip_size = analyzer.embedder().chip_size();
    let aligner_faces_per_second = per_second(|| {
        Ok(landmarks
            .iter()
            .filter_map(|(photo, points)| align_face(photo, points, chip_size))
            .count())
    })?;
    let embedder_batch = crate::vision::device::embed_batch(analyzer.device());
    let chips: Vec<_> = chips.into_iter().cycle().take(4 * embedder_batch).collect();
    let embedder_faces_per_second = per_second(|| Ok(analyzer.embedder().embed(&chips)?.len()))?;
    Ok(NetworkSpeed {
        detector_photos_per_second,
        detector_batch: DETECT_BATCH,
        detector_input: size,
        embedder_faces_per_second,
        embedder_batch,
        aligner_faces_per_second,
    })
}

/// Items per second of `pass` (which returns how many it handled), after one pass to warm up.
fn per_second(mut pass: impl FnMut() -> Result<usize, VisionError>) -> Result<f64, VisionError> {
    pass()?;
    let start = std::time::Instant::now();
    let mut items = 0;
    while start.elapsed() < NETWORK_TIMING {
        items += pass()?;
    }
    Ok(items as f64 / start.elapsed().as_secs_f64())
}

/// Search latency on a synthetic catalog: one row per query.
#[derive(Debug, Clone, Serialize)]
pub struct SearchTiming {
    pub query: String,
    pub photos: usize,
    pub mean_ms: f64,
}

/// Builds a catalog of `faces` synthetic faces (two per photo, about 50 per person, every person
/// named `person-NNNNN`) at `path`, then times typical searches, `repeats` times each.
pub fn search_latency(
    path: &Path,
    faces: usize,
    repeats: usize,
) -> Result<Vec<SearchTiming>, crate::people::search::SearchError> {
    use crate::catalog::Catalog;
    use crate::people::search::{search, Query};

    let persons = (faces / 50).max(2);
    let (points, truth) = crate::people::synthetic::gaussian_people(faces, persons, 0.07, 7);
    let mut catalog = Catalog::open(path)?;
    let mut face_ids_by_person: Vec<Vec<i64>> = vec![Vec::new(); persons];
    for (photo, pair) in points.chunks(2).enumerate() {
        let id = record_synthetic_photo(&mut catalog, photo, pair)?;
        let ids: Vec<i64> = catalog.faces_of_photo(id)?.iter().map(|f| f.id).collect();
        for (k, face) in ids.into_iter().enumerate() {
            face_ids_by_person[truth[photo * 2 + k]].push(face);
        }
    }
    let created = catalog.apply_clustering(&[], &face_ids_by_person)?;
    for (i, person) in created.iter().enumerate() {
        catalog.name_person(*person, &format!("person-{i:05}"))?;
    }
    let queries = [
        "person-00001",
        "person-00001 & person-00002",
        "person-00003 -person-00004",
        "PERSON-0001",
    ];
    let mut out = Vec::new();
    for text in queries {
        let query = Query::parse(text)?;
        let start = std::time::Instant::now();
        let mut photos = 0;
        for _ in 0..repeats.max(1) {
            photos = search(&catalog, &query)?.len();
        }
        out.push(SearchTiming {
            query: text.to_string(),
            photos,
            mean_ms: start.elapsed().as_secs_f64() * 1000.0 / repeats.max(1) as f64,
        });
    }
    Ok(out)
}

/// Stores synthetic photo number `index` with `faces` (descriptors only) in `catalog`.
fn record_synthetic_photo(
    catalog: &mut crate::catalog::Catalog,
    index: usize,
    faces: &[crate::vision::Embedding],
) -> Result<i64, crate::catalog::CatalogError> {
    use crate::catalog::{NewFace, PhotoRecord};
    let name = PathBuf::from(format!("/synthetic/{index:07}.jpg"));
    let record = PhotoRecord::synthetic(&name, 100, 100);
    let new: Vec<NewFace> = faces
        .iter()
        .map(|e| NewFace {
            tagged_name: None,
            bbox: [0.0, 0.0, 10.0, 10.0],
            score: 1.0,
            landmarks: [[0.0; 2]; 5],
            embedding: *e,
            thumbnail: Vec::new(),
        })
        .collect();
    catalog.record_photo(&record, &new)
}

/// What placing faces while a scan runs costs ([`crate::people::placing`]).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PlacingCost {
    pub faces: usize,
    /// Typical distance between two faces of one synthetic person.
    pub spread: f32,
    pub photos: usize,
    /// Placings while the photos were stored, as the window's schedule has them (its 20 s
    /// between placings left out: the most placings there could be).
    pub placings: usize,
    /// All of them together.
    pub while_scanning_s: f64,
    /// The placing at the end, which places again what was placed meanwhile: what a scan placed
    /// only at its end would take.
    pub at_end_s: f64,
    /// People (with two faces or more) of the synthetic truth, after the last placing while
    /// scanning (with the faces stored since placed as a scan's end would, incrementally), and
    /// after the placing at the end.
    pub people_true: usize,
    pub people_provisional: usize,
    pub people_at_end: usize,
    /// BCubed F against the synthetic truth of the same two.
    pub bcubed_provisional: f64,
    pub bcubed_at_end: f64,
}

/// Stores `faces` synthetic faces (people whose faces are typically `spread` apart, dlib-like at
/// 0.42; one face a photo, in a shuffled order) in a new catalog at `path` as a scan would,
/// placing them as the window does while it scans, and times those placings and the one at the
/// end.
pub fn placing_cost(
    path: &Path,
    faces: usize,
    spread: f32,
) -> Result<PlacingCost, crate::people::settings::SettingsError> {
    use crate::people::placing::{place_at_end, place_provisionally, Schedule};
    use std::time::Instant;

    let (points, truth) =
        crate::people::synthetic::gaussian_people(faces, (faces / 50).max(2), spread, 11);
    let mut catalog = crate::catalog::Catalog::open(path)?;
    let algorithm = crate::people::settings::load(&catalog)?;
    let schedule = Schedule {
        gap: Duration::ZERO,
        ..Schedule::default()
    };
    let (mut placings, mut while_scanning, mut last) = (0, Duration::ZERO, None);
    // One face a photo: two drawn at random could be one person twice in a photo, which no
    // photo shows and the placing rules out.
    for (photo, face) in points.chunks(1).enumerate() {
        record_synthetic_photo(&mut catalog, photo, face)?;
        let stored = photo + 1;
        let start = Instant::now();
        if schedule.due(stored, last, start) {
            place_provisionally(&mut catalog, &algorithm, 0)?;
            while_scanning += start.elapsed();
            placings += 1;
            last = Some((stored, start));
        }
    }
    let people =
        |catalog: &crate::catalog::Catalog| -> Result<usize, crate::catalog::CatalogError> {
            Ok(catalog.persons(true)?.len())
        };
    // Faces were stored in the order of `truth`, so the catalog's order by id is theirs.
    let bcubed = |catalog: &crate::catalog::Catalog| -> Result<f64, crate::catalog::CatalogError> {
        let predicted: Vec<Option<usize>> = catalog
            .faces()?
            .iter()
            .map(|f| f.person.map(|p| p as usize))
            .collect();
        Ok(crate::eval::clustering::bcubed(&truth, &predicted).f)
    };
    // The provisional people as a scan's end would leave them without placing again.
    let provisional_copy = path.with_extension("provisional.sqlite");
    catalog.copy_to(&provisional_copy)?;
    let mut provisional = crate::catalog::Catalog::open(&provisional_copy)?;
    crate::people::assign::update(&mut provisional, &algorithm)?;
    let start = Instant::now();
    place_at_end(&mut catalog, &algorithm)?;
    let at_end_s = start.elapsed().as_secs_f64();
    let mut sizes = vec![0usize; truth.iter().max().map_or(0, |m| m + 1)];
    for &person in &truth {
        sizes[person] += 1;
    }
    Ok(PlacingCost {
        faces,
        spread,
        photos: points.len(),
        placings,
        while_scanning_s: while_scanning.as_secs_f64(),
        at_end_s,
        people_true: sizes.iter().filter(|&&n| n >= 2).count(),
        people_provisional: people(&provisional)?,
        people_at_end: people(&catalog)?,
        bcubed_provisional: bcubed(&provisional)?,
        bcubed_at_end: bcubed(&catalog)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_busiest_gpu_from_nvidia_smi_csv() {
        let csv = "3, 512\n87, 20313\n[N/A], 1024\n";
        assert_eq!(busiest_gpu(csv), Some((87.0, 20313.0)));
        assert_eq!(busiest_gpu("[N/A], [N/A]\n"), None);
    }

    #[test]
    fn placing_while_scanning_is_timed_and_placed_again_at_the_end() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cost = placing_cost(&dir.path().join("p.sqlite"), 1_000, 0.42).expect("bench");
        // 200, 300, 450, 675 photos.
        assert_eq!(cost.placings, 4);
        assert_eq!(cost.people_at_end, cost.people_true);
        assert!(cost.bcubed_at_end > 0.99, "{cost:?}");
    }
}
