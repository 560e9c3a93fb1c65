//! The `kith` command line. Every command is a thin shell over the library.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use kith::catalog::Catalog;
use kith::models::ModelDir;
use kith::scan::{ScanEvent, ScanOptions, ScanSummary};
use kith::vision::{self, DeviceChoice, FaceAnalyzer};

#[derive(Parser)]
#[command(name = "kith", version = kith::build_info::LONG_VERSION, about = "Finds the people in your photos, privately, on your own machine")]
struct Cli {
    /// The catalog file (default: library.kith.sqlite in the platform's data directory).
    #[arg(long, global = true, value_name = "PATH")]
    library: Option<PathBuf>,
    /// Folder holding the converted models (default: searched; see README).
    #[arg(long, global = true, value_name = "DIR")]
    models: Option<PathBuf>,
    /// Where the networks run: auto, cpu, cuda, cuda:N or metal.
    #[arg(long, global = true, default_value = "auto")]
    device: DeviceChoice,
    /// Print results as JSON for scripts.
    #[arg(long, global = true)]
    json: bool,
    /// More log output (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Find and describe every face in the photos under FOLDER (incremental).
    Scan {
        folder: PathBuf,
        /// Decoding threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Show the faces found in one photo (boxes, scores, landmarks in original pixels).
    Faces { photo: PathBuf },
    /// Are these two photos of the same person? Compares the largest face of each.
    Compare { a: PathBuf, b: PathBuf },
    /// Files in the catalog that could not be read, with the reasons.
    Errors,
    /// Measure scan speed on a folder: photos/s, faces/s and time per stage.
    Bench {
        folder: PathBuf,
        /// Re-encode every photo as a JPEG of about this many megapixels first.
        #[arg(long)]
        megapixels: Option<f32>,
        /// Use each photo this many times.
        #[arg(long, default_value_t = 1)]
        copies: usize,
    },
}

fn main() {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    if let Err(err) = run(cli) {
        eprintln!("kith: {err:#}");
        std::process::exit(1);
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("KITH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Scan { folder, threads } => {
            let mut options = ScanOptions::default();
            if let Some(n) = threads {
                options.decode_threads = *n;
            }
            cmd_scan(&cli, folder, &options)
        }
        Command::Faces { photo } => cmd_faces(&cli, photo),
        Command::Compare { a, b } => cmd_compare(&cli, a, b),
        Command::Errors => cmd_errors(&cli),
        Command::Bench {
            folder,
            megapixels,
            copies,
        } => cmd_bench(&cli, folder, *megapixels, *copies),
    }
}

fn catalog_path(cli: &Cli) -> Result<PathBuf> {
    match &cli.library {
        Some(path) => Ok(path.clone()),
        None => kith::paths::default_catalog()
            .context("no data directory on this system: pass --library PATH"),
    }
}

fn load_analyzer(cli: &Cli) -> Result<FaceAnalyzer> {
    let models = ModelDir::locate(cli.models.as_deref())?;
    let device = vision::device::open(cli.device)?;
    tracing::info!(device = %vision::device::describe(&device), "networks on");
    Ok(FaceAnalyzer::load(&models, &device)?)
}

/// Ctrl-C sets the flag; the scan then finishes the photo at hand, commits and stops.
fn cancel_on_ctrl_c() -> Arc<AtomicBool> {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    if let Err(err) = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed)) {
        tracing::warn!(%err, "Ctrl-C will stop the scan abruptly");
    }
    cancel
}

fn scan_with_progress(
    catalog: &mut Catalog,
    analyzer: &FaceAnalyzer,
    folder: &Path,
    options: &ScanOptions,
    cancel: &AtomicBool,
    show: bool,
) -> Result<ScanSummary> {
    let bar = if show {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} photos  {per_sec}  ETA {eta}  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut faces = 0usize;
    let summary = kith::scan::scan_folder(
        catalog,
        analyzer,
        folder,
        options,
        cancel,
        &mut |event| match event {
            ScanEvent::Planned { to_analyse, .. } => bar.set_length(to_analyse as u64),
            ScanEvent::Analysed { faces: n, .. } => {
                faces += n;
                bar.set_message(format!("{faces} faces"));
                bar.inc(1);
            }
            ScanEvent::Failed { .. } => bar.inc(1),
        },
    )?;
    bar.finish_and_clear();
    Ok(summary)
}

fn cmd_scan(cli: &Cli, folder: &Path, options: &ScanOptions) -> Result<()> {
    let analyzer = load_analyzer(cli)?;
    let mut catalog = Catalog::open(&catalog_path(cli)?)?;
    let cancel = cancel_on_ctrl_c();
    let summary = scan_with_progress(&mut catalog, &analyzer, folder, options, &cancel, !cli.json)?;
    if cli.json {
        println!("{}", serde_json::to_string(&summary)?);
        return Ok(());
    }
    println!(
        "{} photos analysed ({} with faces), {} faces, {} unchanged skipped, {} errors, {} missing, in {:.1} s{}",
        summary.photos,
        summary.photos_with_faces,
        summary.faces,
        summary.skipped,
        summary.errors,
        summary.missing,
        summary.seconds,
        if summary.cancelled { " (stopped early; run again to resume)" } else { "" }
    );
    for (path, kind, message) in &summary.failures {
        println!("  {kind:>13}  {}: {message}", path.display());
    }
    Ok(())
}

/// Faces of one photo with their descriptors, in original-photo pixels.
fn analyse_photo(
    analyzer: &FaceAnalyzer,
    path: &Path,
) -> Result<Vec<(vision::LocatedFace, vision::Embedding)>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let photo = kith::scan::decode::decode(&bytes, Some(ScanOptions::default().decode_long_side))
        .with_context(|| format!("cannot decode {}", path.display()))?;
    let faces = analyzer.locate(&photo.pixels)?;
    let chips: Vec<_> = faces.iter().map(|f| f.chip.clone()).collect();
    let embeddings = analyzer.embed(&chips)?;
    let k = photo.scale();
    Ok(faces
        .into_iter()
        .map(|f| f.scaled(k))
        .zip(embeddings)
        .collect())
}

fn cmd_faces(cli: &Cli, photo: &Path) -> Result<()> {
    let analyzer = load_analyzer(cli)?;
    let faces = analyse_photo(&analyzer, photo)?;
    if cli.json {
        let faces: Vec<_> = faces
            .iter()
            .map(|(f, _)| {
                serde_json::json!({"box": f.bbox, "score": f.score, "landmarks": f.landmarks})
            })
            .collect();
        println!("{}", serde_json::json!({ "faces": faces }));
        return Ok(());
    }
    println!("{} faces in {}", faces.len(), photo.display());
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
    Ok(())
}

fn cmd_compare(cli: &Cli, a: &Path, b: &Path) -> Result<()> {
    let analyzer = load_analyzer(cli)?;
    let largest = |path: &Path| -> Result<vision::Embedding> {
        let faces = analyse_photo(&analyzer, path)?;
        faces
            .into_iter()
            .max_by(|(x, _), (y, _)| (x.bbox[2] * x.bbox[3]).total_cmp(&(y.bbox[2] * y.bbox[3])))
            .map(|(_, e)| e)
            .with_context(|| format!("no face found in {}", path.display()))
    };
    let (ea, eb) = (largest(a)?, largest(b)?);
    let distance = vision::distance(&ea, &eb);
    let tau = analyzer.threshold();
    let same = distance < tau;
    if cli.json {
        println!(
            "{}",
            serde_json::json!({"distance": distance, "threshold": tau, "same_person": same})
        );
    } else {
        println!(
            "distance {distance:.3}: {} (same-person threshold {tau:.2})",
            if same {
                "same person"
            } else {
                "different people"
            }
        );
    }
    Ok(())
}

fn cmd_errors(cli: &Cli) -> Result<()> {
    let catalog = Catalog::open(&catalog_path(cli)?)?;
    let errors = catalog.scan_errors()?;
    if cli.json {
        let rows: Vec<_> = errors
            .iter()
            .map(|e| serde_json::json!({"path": e.display, "kind": e.kind, "message": e.message}))
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    if errors.is_empty() {
        println!("no unreadable files");
    }
    for e in errors {
        println!("{:>13}  {}: {}", e.kind, e.display, e.message);
    }
    Ok(())
}

fn cmd_bench(cli: &Cli, folder: &Path, megapixels: Option<f32>, copies: usize) -> Result<()> {
    if copies == 0 {
        bail!("--copies must be at least 1");
    }
    let analyzer = load_analyzer(cli)?;
    let work = tempfile::tempdir().context("cannot create a scratch folder")?;
    let photos_dir = work.path().join("photos");
    let prepared = kith::bench::prepare_folder(folder, &photos_dir, megapixels, copies)?;
    let mut catalog = Catalog::open(&work.path().join("bench.sqlite"))?;
    let cancel = AtomicBool::new(false);
    let summary = scan_with_progress(
        &mut catalog,
        &analyzer,
        &photos_dir,
        &ScanOptions::default(),
        &cancel,
        !cli.json,
    )?;
    let report = kith::bench::Report::new(
        &summary,
        prepared,
        vision::device::describe(analyzer.device()),
    );
    if cli.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}
