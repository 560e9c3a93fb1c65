//! Command-line parsing and dispatch. Each submodule holds the commands of one area; all of them
//! only call the library and format its answers (`--json` for scripts).

mod eval;
mod learn;
mod people;
mod photos;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use kith::catalog::Catalog;
use kith::models::ModelDir;
use kith::vision::{self, DeviceChoice, FaceAnalyzer, Precision};

#[derive(Parser)]
#[command(
    name = "kith",
    about = "Finds the people in your photos, privately, on your own machine",
    disable_version_flag = true
)]
pub struct Cli {
    /// Print the version, commit, compiled-in back-ends and the models' SHA-256.
    #[arg(short = 'V', long)]
    version: bool,
    /// The catalog file (default: library.kith.sqlite in the platform's data directory).
    #[arg(long, global = true, value_name = "PATH")]
    library: Option<PathBuf>,
    /// Folder holding the converted models (default: searched; see README).
    #[arg(long, global = true, value_name = "DIR")]
    models: Option<PathBuf>,
    /// Where the networks run: auto, cpu, cuda, cuda:N or metal.
    #[arg(long, global = true, default_value = "auto")]
    device: DeviceChoice,
    /// What the networks compute in: f32, or f16 (for GPUs: faster there, slower on the CPU;
    /// descriptors stay within 1e-2 of f32).
    #[arg(long, global = true, default_value = "f32")]
    precision: Precision,
    /// Long side, in pixels, of the copy of each photo the face detector searches. Smaller is
    /// faster and misses smaller faces: a face needs about 16 px at this size to be found.
    #[arg(long, global = true, value_name = "PIXELS", default_value_t = vision::analyzer::DEFAULT_DETECT_LONG_SIDE)]
    detect_size: u32,
    /// Print results as JSON for scripts.
    #[arg(long, global = true)]
    json: bool,
    /// More log output (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Without a command, the desktop window opens.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    #[command(flatten)]
    Photos(photos::PhotoCommand),
    #[command(flatten)]
    People(people::PeopleCommand),
    #[command(flatten)]
    Eval(eval::EvalCommand),
    #[command(flatten)]
    Learn(learn::LearnCommand),
}

pub fn main() {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    if cli.command.is_some() {
        end_quietly_when_output_closes();
    }
    let result = match &cli.command {
        _ if cli.version => print_version(&cli),
        Some(Command::Photos(c)) => photos::run(&cli, c),
        Some(Command::People(c)) => people::run(&cli, c),
        Some(Command::Eval(c)) => eval::run(&cli, c),
        Some(Command::Learn(c)) => learn::run(&cli, c),
        None => kith::gui::run(cli.library.clone(), cli.models.clone(), cli.device),
    };
    if let Err(err) = result {
        eprintln!("kith: {}", kith::wording::error_line(err.as_ref()));
        std::process::exit(1);
    }
}

/// A command piped into a program that stops reading (`kith export | head`) ends there, quietly,
/// as other Unix tools do, rather than with a panic at its next line printed. Not for the window,
/// whose sockets (X11, D-Bus) must see a closed peer as an error, not be killed by it.
#[cfg(unix)]
fn end_quietly_when_output_closes() {
    // SAFETY: gives SIGPIPE back its default action, which the Rust runtime set to "ignore".
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn end_quietly_when_output_closes() {}

/// `--version`: what this binary is and which weights it would run, so a bug report says both.
fn print_version(cli: &Cli) -> Result<()> {
    let models = cli.model_dir().ok();
    let cards: Vec<(&str, Option<String>)> = [kith::models::DETECTOR, kith::models::EMBEDDER]
        .into_iter()
        .map(|name| {
            let hash = models
                .as_ref()
                .and_then(|m| m.card(name).ok())
                .map(|c| c.sha256);
            (name, hash)
        })
        .collect();
    let libheif = kith::scan::heif::support();
    let libraw = kith::scan::raw::version();
    let value = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": kith::build_info::GIT_COMMIT,
        "backends": vision::device::compiled_backends(),
        "libheif": libheif.as_ref().map(|l| serde_json::json!({"version": l.version, "heic": l.heic, "avif": l.avif})),
        "libraw": libraw.as_ref().map(|version| serde_json::json!({"version": version})),
        "models_dir": models.as_ref().map(|m| m.root().display().to_string()),
        "models": cards.iter().map(|(n, h)| serde_json::json!({"name": n, "sha256": h})).collect::<Vec<_>>(),
    });
    cli.emit(&value, |_| {
        println!("kith {}", kith::build_info::LONG_VERSION);
        println!("{}", kith::scan::heif::describe(libheif.as_ref()));
        println!("{}", kith::scan::raw::describe(libraw.as_deref()));
        match &models {
            Some(m) => println!("models: {}", m.root().display()),
            None => println!("models: not found (see `kith scan` for where Kith looks)"),
        }
        for (name, hash) in &cards {
            println!("  {name:<20} sha256 {}", hash.as_deref().unwrap_or("-"));
        }
    })
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

/// A progress bar drawn with `template` (indicatif's), or a hidden one where `show` is false
/// (`--json`, whose output scripts read).
fn progress_bar(show: bool, template: &str) -> indicatif::ProgressBar {
    let bar = if show {
        indicatif::ProgressBar::new(0)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

impl Cli {
    fn catalog_path(&self) -> Result<PathBuf> {
        match &self.library {
            Some(path) => Ok(path.clone()),
            None => kith::paths::default_catalog()
                .context("no data directory on this system: pass --library PATH"),
        }
    }

    fn catalog(&self) -> Result<Catalog> {
        Ok(Catalog::open(&self.catalog_path()?)?)
    }

    fn model_dir(&self) -> Result<ModelDir> {
        Ok(ModelDir::locate(self.models.as_deref())?)
    }

    fn analyzer(&self) -> Result<FaceAnalyzer> {
        let device = vision::device::open(self.device)?;
        tracing::info!(device = %vision::device::describe(&device), precision = %self.precision, "networks on");
        Ok(
            FaceAnalyzer::load_in(&self.model_dir()?, &device, self.precision)?
                .with_detect_long_side(self.detect_size),
        )
    }

    /// Prints `value` as JSON when `--json` was given, else runs `human`.
    fn emit<T: serde::Serialize>(&self, value: &T, human: impl FnOnce(&T)) -> Result<()> {
        if self.json {
            println!("{}", serde_json::to_string(value)?);
        } else {
            human(value);
        }
        Ok(())
    }
}
