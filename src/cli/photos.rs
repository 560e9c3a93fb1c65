//! Commands about photos and faces: scan, faces, compare, errors, copies, bench.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use indicatif::ProgressBar;

use super::Cli;
use kith::catalog::Catalog;
use kith::people::placing;
use kith::scan::{ScanEvent, ScanOptions, ScanSummary};
use kith::vision::{self, FaceAnalyzer};
use kith::wording::{counted, counted_people};

#[derive(Subcommand)]
pub enum PhotoCommand {
    /// Find and describe every face in the photos under each FOLDER (incremental), then place new
    /// faces with people. With no FOLDER, every folder of the library is looked through again.
    Scan {
        folders: Vec<PathBuf>,
        /// Threads reading and analysing photos (default: one per core; two per core on a GPU).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Show the faces found in one photo (boxes, scores, landmarks in original pixels).
    Faces { photo: PathBuf },
    /// Are these two photos of the same person? Compares the largest face of each.
    Compare { a: PathBuf, b: PathBuf },
    /// Files in the catalog that could not be read, with the reasons.
    Errors,
    /// Pictures kept in more than one file (another folder, format or size), each with its
    /// copies: the copies' faces are counted once, with the original's.
    Copies,
    /// Photos in which another app (Google Photos' export, XMP's people shown) lists people whom
    /// no face of the photo is yet, with their names: faces left to look for.
    Listed,
    /// Measure speed: a folder's scan (photos/s, faces/s, time per stage), clustering at
    /// 1k/10k/100k synthetic faces (--clustering), search latency (--search N faces), training
    /// a head (--train N faces), or placing faces while a scan runs (--placing N faces).
    Bench {
        folder: Option<PathBuf>,
        /// Time clustering on synthetic faces instead: at 1k/10k/100k faces, or at the sizes given.
        #[arg(long, num_args = 0.., value_name = "FACES")]
        clustering: Option<Vec<usize>>,
        /// Time searches on a synthetic catalog of this many faces instead.
        #[arg(long, value_name = "FACES")]
        search: Option<usize>,
        /// Time training a head with each loss on this many synthetic faces instead.
        #[arg(long, value_name = "FACES")]
        train: Option<usize>,
        /// Time placing faces while a scan runs (as the window does) on this many synthetic
        /// faces instead, against placing them once at the end.
        #[arg(long, value_name = "FACES")]
        placing: Option<usize>,
        /// Time the desktop window's frames (no window is opened) on a synthetic library of
        /// 50,000 faces instead.
        #[arg(long)]
        gui: bool,
        /// Re-encode every photo as a JPEG of about this many megapixels first.
        #[arg(long)]
        megapixels: Option<f32>,
        /// Use each photo this many times.
        #[arg(long, default_value_t = 1)]
        copies: usize,
        /// Threads reading and analysing photos (default: one per core; two per core on a GPU).
        #[arg(long)]
        threads: Option<usize>,
        /// Gather the threads' requests to the networks into batches (default: on a GPU only).
        #[arg(long, value_name = "BOOL")]
        batching: Option<bool>,
        /// Also time each network alone (the detector in batches of first looks, the embedder
        /// in batches of faces) and the aligner on one thread.
        #[arg(long)]
        networks: bool,
    },
}

pub fn run(cli: &Cli, command: &PhotoCommand) -> Result<()> {
    match command {
        PhotoCommand::Scan { folders, threads } => scan(cli, folders, *threads),
        PhotoCommand::Faces { photo } => faces(cli, photo),
        PhotoCommand::Compare { a, b } => compare(cli, a, b),
        PhotoCommand::Errors => errors(cli),
        PhotoCommand::Copies => copies(cli),
        PhotoCommand::Listed => listed(cli),
        PhotoCommand::Bench {
            clustering: Some(sizes),
            ..
        } => bench_clustering(cli, sizes),
        PhotoCommand::Bench {
            search: Some(faces),
            ..
        } => bench_search(cli, *faces),
        PhotoCommand::Bench {
            train: Some(faces), ..
        } => bench_train(cli, *faces),
        PhotoCommand::Bench {
            placing: Some(faces),
            ..
        } => bench_placing(cli, *faces),
        PhotoCommand::Bench { gui: true, .. } => bench_gui(cli),
        PhotoCommand::Bench {
            folder: Some(folder),
            megapixels,
            copies,
            threads,
            batching,
            networks,
            ..
        } => bench(
            cli,
            folder,
            *megapixels,
            *copies,
            ScanTuning {
                threads: *threads,
                batching: *batching,
            },
            *networks,
        ),
        PhotoCommand::Bench { .. } => {
            bail!("give a FOLDER, --clustering, --search N, --train N, --placing N or --gui")
        }
    }
}

/// Ctrl-C sets the flag; a scan then commits what it has and stops, a copy stops between photos.
pub(super) fn cancel_on_ctrl_c() -> Arc<AtomicBool> {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    if let Err(err) = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed)) {
        tracing::warn!(%err, "Ctrl-C will stop abruptly");
    }
    cancel
}

/// The progress bar of a scan, unless `show` is false; the folders of one scan share it.
struct ScanProgress {
    bar: ProgressBar,
    faces: AtomicUsize,
    /// People the placings while scanning found (see [`placing::scan_placing_meanwhile`]).
    new_people: AtomicUsize,
}

impl ScanProgress {
    fn new(show: bool) -> Self {
        let bar = super::progress_bar(
            show,
            "{bar:40} {pos}/{len} photos  {per_sec}  ETA {eta}  {msg}",
        );
        Self {
            bar,
            faces: AtomicUsize::new(0),
            new_people: AtomicUsize::new(0),
        }
    }

    fn on_event(&self, event: ScanEvent) {
        match event {
            // Each folder is planned when its walk ends: what it adds comes after what is done.
            ScanEvent::Planned { to_analyse, .. } => {
                self.bar.set_length(self.bar.position() + to_analyse as u64)
            }
            ScanEvent::Analysed { faces, .. } => {
                let faces = self.faces.fetch_add(faces, Ordering::Relaxed) + faces;
                let people = match self.new_people.load(Ordering::Relaxed) {
                    0 => String::new(),
                    n => format!(", {}", counted_people(n, "new")),
                };
                self.bar
                    .set_message(format!("{}{people}", counted(faces, "face")));
                self.bar.inc(1);
            }
            ScanEvent::Failed { .. } => self.bar.inc(1),
        }
    }
}

impl Drop for ScanProgress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

fn scan_with_progress(
    catalog: &mut Catalog,
    analyzer: &FaceAnalyzer,
    folder: &Path,
    options: &ScanOptions,
    cancel: &AtomicBool,
    show: bool,
) -> Result<ScanSummary> {
    let progress = ScanProgress::new(show);
    Ok(kith::scan::scan_folder(
        catalog,
        analyzer,
        folder,
        options,
        cancel,
        &mut |event| progress.on_event(event),
    )?)
}

/// What `--threads` and `--batching` change from the defaults for the device.
#[derive(Default)]
struct ScanTuning {
    threads: Option<usize>,
    batching: Option<bool>,
}

impl ScanTuning {
    fn options(&self, analyzer: &FaceAnalyzer) -> ScanOptions {
        let mut options = ScanOptions::for_analyzer(analyzer);
        if let Some(n) = self.threads {
            options.decode_threads = n;
        }
        options
    }
}

fn scan(cli: &Cli, folders: &[PathBuf], threads: Option<usize>) -> Result<()> {
    let mut catalog = cli.catalog()?;
    if folders.is_empty() && catalog.folders()?.is_empty() {
        bail!("this library has no folders yet: give one to scan (kith scan FOLDER)");
    }
    for folder in folders {
        if !folder.is_dir() {
            bail!("{} is not a folder that can be read", folder.display());
        }
    }
    let analyzer = cli.analyzer()?;
    let options = ScanTuning {
        threads,
        ..ScanTuning::default()
    }
    .options(&analyzer);
    let cancel = cancel_on_ctrl_c();
    let progress = ScanProgress::new(!cli.json);
    // People so far, for `kith people` and the window while a long scan runs.
    let catalog_path = catalog.path().to_path_buf();
    let last_face_before = catalog.last_face_id()?;
    let summary = placing::scan_placing_meanwhile(
        &catalog_path,
        last_face_before,
        placing::Schedule::default(),
        &mut |event| progress.on_event(event),
        &mut |report| {
            tracing::info!(?report, "people so far");
            progress
                .new_people
                .fetch_add(report.new_persons, Ordering::Relaxed);
        },
        |on_event| {
            if folders.is_empty() {
                kith::scan::scan_library(&mut catalog, &analyzer, &options, &cancel, on_event)
            } else {
                kith::scan::scan_folders(
                    &mut catalog,
                    &analyzer,
                    folders,
                    &options,
                    &cancel,
                    on_event,
                )
            }
        },
    )?;
    drop(progress);
    let algorithm = kith::people::settings::load(&catalog)?;
    let placed = placing::place_when_stopped(
        &mut catalog,
        &algorithm,
        last_face_before,
        summary.cancelled,
    )?;
    super::people::keep_sidecars(&mut catalog)?;
    cli.emit(&summary, |s| {
        println!(
            "{} analysed ({} with faces), {}, {} unchanged skipped, {}, {} missing, in {:.1} s{}",
            counted(s.photos, "photo"),
            s.photos_with_faces,
            counted(s.faces, "face"),
            s.skipped,
            counted(s.errors, "error"),
            s.missing,
            s.seconds,
            if s.cancelled { " (stopped early; run again to resume)" } else { "" }
        );
        if s.moved > 0 {
            println!(
                "{} moved or renamed: they keep their faces and names",
                counted(s.moved, "photo")
            );
        }
        for (path, kind, message) in &s.failures {
            println!("  {kind:>13}  {}: {message}", path.display());
        }
        for folder in &s.folders_not_found {
            println!(
                "  not found, its photos left as they were (unplugged, moved or deleted?): {}",
                folder.display()
            );
        }
        println!(
            "people: {} placed, {}",
            counted(placed.assigned, "new face"),
            counted_people(placed.new_persons, "new")
        );
        if placed.moved_and_changed > 0 {
            println!(
                "{} moved and changed (another app wrote into them): the same pictures as photos gone from where they were, they keep their names",
                counted(placed.moved_and_changed, "photo")
            );
        }
        if placed.tagged > 0 {
            println!(
                "faces named as other apps named them in the photos' metadata: {}",
                placed.tagged
            );
        }
        match placed.copies {
            0 => {}
            1 => println!(
                "1 photo is a copy of another (the same picture in another folder, format or edit): \
                 its faces are counted once (kith copies lists them)"
            ),
            n => println!(
                "{n} photos are copies of others (the same picture in another folder, format or edit): \
                 their faces are counted once (kith copies lists them)"
            ),
        }
    })
}

/// Faces of one photo with their descriptors, in original-photo pixels.
pub fn analyse_photo(
    analyzer: &FaceAnalyzer,
    path: &Path,
) -> Result<Vec<(vision::LocatedFace, vision::Embedding)>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let located = kith::scan::locate::locate_faces(
        analyzer,
        &bytes,
        ScanOptions::for_analyzer(analyzer).decode_long_side,
    )
    .with_context(|| format!("cannot analyse {}", path.display()))?;
    let (photo, faces) = (located.photo, located.faces);
    let chips: Vec<_> = faces.iter().map(|f| f.chip.clone()).collect();
    let embeddings = analyzer.embed(&chips)?;
    let k = photo.scale();
    Ok(faces
        .into_iter()
        .map(|f| f.scaled(k))
        .zip(embeddings)
        .collect())
}

/// The descriptor of the largest face in a photo.
pub fn largest_face(analyzer: &FaceAnalyzer, path: &Path) -> Result<vision::Embedding> {
    analyse_photo(analyzer, path)?
        .into_iter()
        .max_by(|(x, _), (y, _)| (x.bbox[2] * x.bbox[3]).total_cmp(&(y.bbox[2] * y.bbox[3])))
        .map(|(_, e)| e)
        .with_context(|| format!("no face found in {}", path.display()))
}

fn faces(cli: &Cli, photo: &Path) -> Result<()> {
    let analyzer = cli.analyzer()?;
    let faces = analyse_photo(&analyzer, photo)?;
    let json: Vec<_> = faces
        .iter()
        .map(
            |(f, _)| serde_json::json!({"box": f.bbox, "score": f.score, "landmarks": f.landmarks}),
        )
        .collect();
    cli.emit(&serde_json::json!({ "faces": json }), |_| {
        println!("{} in {}", counted(faces.len(), "face"), photo.display());
        for (i, (f, _)) in faces.iter().enumerate() {
            let [x, y, w, h] = f.bbox;
            println!(
                "  face {}: box x={x:.0} y={y:.0} w={w:.0} h={h:.0}  score {:.3}  eyes ({:.0},{:.0}) ({:.0},{:.0})",
                i + 1,
                f.score,
                f.landmarks[0][0],
                f.landmarks[0][1],
                f.landmarks[1][0],
                f.landmarks[1][1]
            );
        }
    })
}

fn compare(cli: &Cli, a: &Path, b: &Path) -> Result<()> {
    let analyzer = cli.analyzer()?;
    let distance = vision::distance(&largest_face(&analyzer, a)?, &largest_face(&analyzer, b)?);
    let tau = analyzer.threshold();
    let same = distance < tau;
    let value = serde_json::json!({"distance": distance, "threshold": tau, "same_person": same});
    cli.emit(&value, |_| {
        println!(
            "distance {distance:.3}: {} (same-person threshold {tau:.2})",
            if same {
                "same person"
            } else {
                "different people"
            }
        );
    })
}

fn errors(cli: &Cli) -> Result<()> {
    let errors = cli.catalog()?.scan_errors()?;
    let rows: Vec<_> = errors
        .iter()
        .map(|e| serde_json::json!({"path": e.display, "kind": e.kind, "message": e.message}))
        .collect();
    cli.emit(&rows, |_| {
        if errors.is_empty() {
            println!("no unreadable files");
        }
        for e in &errors {
            println!("{:>13}  {}: {}", e.kind, e.display, e.message);
        }
    })
}

fn copies(cli: &Cli) -> Result<()> {
    let groups = cli.catalog()?.copy_groups()?;
    cli.emit(&groups, |groups| {
        if groups.is_empty() {
            println!("no picture is kept in more than one file");
        }
        for group in groups {
            println!("{}", group.original);
            for copy in &group.copies {
                println!("  same picture: {copy}");
            }
        }
    })
}

fn listed(cli: &Cli) -> Result<()> {
    let photos = cli.catalog()?.photos_with_unfound_listed()?;
    cli.emit(&photos, |photos| {
        if photos.is_empty() {
            println!("every person other apps list in a photo is one of its faces");
        }
        for photo in photos {
            println!("{}: {}", photo.path, photo.people.join(", "));
        }
    })
}

fn bench(
    cli: &Cli,
    folder: &Path,
    megapixels: Option<f32>,
    copies: usize,
    tuning: ScanTuning,
    networks: bool,
) -> Result<()> {
    if copies == 0 {
        bail!("--copies must be at least 1");
    }
    let mut analyzer = cli.analyzer()?;
    if let Some(on) = tuning.batching {
        analyzer = analyzer.with_batching(on);
    }
    let options = tuning.options(&analyzer);
    let work = tempfile::tempdir().context("cannot create a scratch folder")?;
    let photos_dir = work.path().join("photos");
    let prepared = kith::bench::prepare_folder(folder, &photos_dir, megapixels, copies)?;
    let mut catalog = Catalog::open(&work.path().join("bench.sqlite"))?;
    let cancel = AtomicBool::new(false);
    let sampler = kith::bench::GpuSampler::start();
    let cpu_before = kith::bench::process_cpu_seconds();
    let summary = scan_with_progress(
        &mut catalog,
        &analyzer,
        &photos_dir,
        &options,
        &cancel,
        !cli.json,
    )?;
    let cpu_seconds = cpu_before
        .zip(kith::bench::process_cpu_seconds())
        .map(|(before, after)| after - before);
    let mut report = kith::bench::Report::new(
        &summary,
        prepared,
        kith::bench::Setup {
            device: vision::device::describe(analyzer.device()),
            precision: analyzer.precision(),
            detect_size: cli.detect_size,
            threads: options.decode_threads,
            batches: analyzer.batch_counts(),
        },
        cpu_seconds,
        sampler.and_then(kith::bench::GpuSampler::finish),
    );
    if networks {
        report.networks = Some(kith::bench::network_speed(&analyzer, folder)?);
    }
    cli.emit(&report, |r| print!("{r}"))
}

fn bench_clustering(cli: &Cli, sizes: &[usize]) -> Result<()> {
    let sizes = if sizes.is_empty() {
        &[1_000, 10_000, 100_000][..]
    } else {
        sizes
    };
    let rows = kith::people::cluster::benchmark(sizes);
    cli.emit(&rows, |rows| {
        println!("| faces | index ms | DBSCAN ms | agglomerative ms | linfa DBSCAN ms | clusters | same as linfa |");
        println!("|---|---|---|---|---|---|---|");
        for r in rows {
            println!(
                "| {} | {:.0} | {:.0} | {:.0} | {} | {} | {} |",
                r.n,
                r.index_build_ms,
                r.dbscan_ms,
                r.agglomerative_ms,
                r.linfa_ms.map_or("-".into(), |ms| format!("{ms:.0}")),
                r.dbscan_clusters,
                r.linfa_identical.map_or("-", |same| if same { "yes" } else { "NO" })
            );
        }
    })
}

fn bench_train(cli: &Cli, faces: usize) -> Result<()> {
    let rows = kith::train::bench::timing(faces)?;
    cli.emit(&rows, |rows| {
        if let Some(r) = rows.first() {
            println!(
                "training a head on {} synthetic faces of {} people, {} epochs each, on the CPU",
                r.faces, r.persons, r.epochs
            );
        }
        println!("| loss | steps | seconds | first epoch loss | last epoch loss |");
        println!("|---|---|---|---|---|");
        for r in rows {
            println!(
                "| {} | {} | {:.2} | {:.4} | {:.4} |",
                r.loss, r.steps, r.seconds, r.first_loss, r.last_loss
            );
        }
    })
}

fn bench_search(cli: &Cli, faces: usize) -> Result<()> {
    let work = tempfile::tempdir().context("cannot create a scratch folder")?;
    let rows = kith::bench::search_latency(&work.path().join("search.sqlite"), faces, 20)?;
    cli.emit(&rows, |rows| {
        println!("search latency on {faces} synthetic faces");
        println!("| query | photos | mean ms |");
        println!("|---|---|---|");
        for r in rows {
            println!("| {} | {} | {:.2} |", r.query, r.photos, r.mean_ms);
        }
    })
}

fn bench_placing(cli: &Cli, faces: usize) -> Result<()> {
    let work = tempfile::tempdir().context("cannot create a scratch folder")?;
    // dlib-like people, and people whose faces vary more (closer to the threshold).
    let costs = [0.42, 0.5]
        .into_iter()
        .map(|spread| {
            let path = work.path().join(format!("placing-{spread}.sqlite"));
            kith::bench::placing_cost(&path, faces, spread)
        })
        .collect::<Result<Vec<_>, _>>()?;
    cli.emit(&costs, |costs| {
        println!("{faces} synthetic faces, one a photo, stored as a scan stores them");
        println!("| spread | placings while scanning | their time, s | placing at the end, s | ratio | people: true / provisional / at the end | BCubed F: provisional / at the end |");
        println!("|---|---|---|---|---|---|---|");
        for c in costs {
            println!(
            "| {:.2} | {} | {:.2} | {:.2} | {:.1} | {} / {} / {} | {:.4} / {:.4} |",
            c.spread,
            c.placings,
            c.while_scanning_s,
            c.at_end_s,
            c.while_scanning_s / c.at_end_s.max(f64::EPSILON),
            c.people_true,
            c.people_provisional,
            c.people_at_end,
            c.bcubed_provisional,
            c.bcubed_at_end
        );
        }
    })
}

fn bench_gui(cli: &Cli) -> Result<()> {
    const FACES: usize = 50_000;
    const LARGEST: usize = 5_000;
    const FRAMES: usize = 300;
    let work = tempfile::tempdir().context("cannot create a scratch folder")?;
    let path = work.path().join("gui.sqlite");
    if !cli.json {
        eprintln!("building a synthetic library of {FACES} faces…");
    }
    let (shape, largest) = kith::gui::bench::synthetic_library(&path, FACES, LARGEST)?;
    let rows = kith::gui::bench::frame_times(Catalog::open(&path)?, largest, FRAMES);
    cli.emit(
        &serde_json::json!({ "library": shape, "scenes": rows }),
        |_| {
            println!(
                "time per frame on the UI thread (egui layout + tessellation, 1280x800 points, \
                 60 frames/s), {} faces, {} people, the largest with {} faces, {} with nobody \
                 (library built in {:.1} s)",
                shape.faces, shape.persons, shape.largest, shape.ungrouped, shape.build_seconds
            );
            println!("| scene | frames | mean ms | p95 ms | max ms |");
            println!("|---|---|---|---|---|");
            for r in &rows {
                println!(
                    "| {} | {} | {:.2} | {:.2} | {:.2} |",
                    r.scene, r.frames, r.mean_ms, r.p95_ms, r.max_ms
                );
            }
        },
    )
}
