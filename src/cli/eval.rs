//! `kith eval`: quality measures on a folder-per-person tree: clustering (`kith eval --truth DIR`)
//! and verification in the LFW protocol's style for the plain embedder and trained heads
//! (`kith eval verify`).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use super::Cli;
use kith::catalog::Catalog;
use kith::eval::folder::evaluate;
use kith::eval::labelled::{measure, Measures, FOLDS};
use kith::people::settings;
use kith::scan::{ScanEvent, ScanOptions};
use kith::train::{Head, LabelledFaces};

#[derive(Subcommand)]
pub enum EvalCommand {
    /// Scan a folder-per-person tree into a throw-away catalog, cluster it, and print pairwise
    /// and BCubed precision/recall/F, NMI and verification measures.
    #[command(args_conflicts_with_subcommands = true)]
    Eval {
        #[command(subcommand)]
        what: Option<EvalWhat>,
        #[arg(long)]
        truth: Option<PathBuf>,
        /// dbscan, agglomerative or complete (default: dbscan with its defaults).
        #[arg(long, default_value = "dbscan")]
        algo: String,
        #[arg(long)]
        eps: Option<f32>,
        #[arg(long)]
        min_points: Option<usize>,
    },
}

#[derive(Subcommand)]
pub enum EvalWhat {
    /// Verification on a folder-per-person tree, LFW style (10 folds of balanced same/different
    /// pairs; threshold chosen on 9, accuracy on the 10th; mean and std), with AUC, TAR at FAR and
    /// BCubed F, for the plain embedder and each --head.
    Verify {
        #[arg(long)]
        truth: PathBuf,
        /// A head written by `kith train --out` (repeat for several).
        #[arg(long = "head", value_name = "FILE")]
        heads: Vec<PathBuf>,
        /// Draws the different-person pairs of the folds.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

pub fn run(cli: &Cli, command: &EvalCommand) -> Result<()> {
    let EvalCommand::Eval {
        what,
        truth,
        algo,
        eps,
        min_points,
    } = command;
    if let Some(EvalWhat::Verify { truth, heads, seed }) = what {
        return verify(cli, truth, heads, *seed);
    }
    let Some(truth) = truth else {
        bail!("give --truth DIR (a folder with one sub-folder of photos per person), or `kith eval verify`");
    };
    let algorithm = settings::algorithm(algo, *eps, *min_points)?;
    let tau = cli.model_dir()?.same_person_threshold()?;
    let scanned = scan_truth(cli, truth)?;
    let report = evaluate(&scanned.catalog, &scanned.root, &algorithm, tau)?;
    cli.emit(&report, |r| {
        println!("{} ({} photos, {} with faces)", settings::describe(&algorithm), r.photos, r.photos_with_faces);
        println!("faces scored {}, persons {}, clusters {}, singletons {}", r.faces, r.persons, r.clusters, r.singletons);
        println!("| measure | precision | recall | F |");
        println!("|---|---|---|---|");
        for (name, m) in [("pairwise", r.pairwise), ("BCubed", r.bcubed)] {
            println!("| {name} | {:.4} | {:.4} | {:.4} |", m.precision, m.recall, m.f);
        }
        println!("NMI {:.4}", r.nmi);
        let v = r.verification;
        println!(
            "verification: accuracy {:.4} at tau {}, AUC {:.4}, best threshold {:.3} ({:.4}), TAR@FAR=1e-3 {:.4}",
            v.accuracy_at_tau, v.tau, v.auc, v.best_threshold, v.best_accuracy, v.tar_at_far_1e_3
        );
    })
}

/// A folder-per-person tree scanned into a catalog that lives as long as this value.
pub struct ScannedTruth {
    _dir: tempfile::TempDir,
    pub catalog: Catalog,
    pub root: PathBuf,
}

impl ScannedTruth {
    pub fn labelled(&self) -> Result<LabelledFaces> {
        Ok(LabelledFaces::from_truth_folder(&self.catalog, &self.root)?)
    }
}

/// Scans `truth` into a throw-away catalog, with a progress bar unless `--json`.
pub fn scan_truth(cli: &Cli, truth: &Path) -> Result<ScannedTruth> {
    let analyzer = cli.analyzer()?;
    let dir = tempfile::tempdir().context("cannot create a scratch folder")?;
    let mut catalog = Catalog::open(&dir.path().join("truth.sqlite"))?;
    let root = truth
        .canonicalize()
        .with_context(|| format!("cannot open {}", truth.display()))?;
    let bar = super::progress_bar(!cli.json, "scanning {bar:40} {pos}/{len} photos  ETA {eta}");
    kith::scan::scan_folder(
        &mut catalog,
        &analyzer,
        &root,
        &ScanOptions::for_analyzer(&analyzer),
        &AtomicBool::new(false),
        &mut |event| match event {
            ScanEvent::Planned { to_analyse, .. } => bar.set_length(to_analyse as u64),
            ScanEvent::Analysed { .. } | ScanEvent::Failed { .. } => bar.inc(1),
        },
    )?;
    bar.finish_and_clear();
    Ok(ScannedTruth {
        _dir: dir,
        catalog,
        root,
    })
}

#[derive(serde::Serialize)]
struct VerifyRow {
    name: String,
    measures: Measures,
}

fn verify(cli: &Cli, truth: &Path, head_files: &[PathBuf], seed: u64) -> Result<()> {
    let mut heads = Vec::new();
    for path in head_files {
        let head = Head::load(path).with_context(|| format!("cannot load {}", path.display()))?;
        heads.push((path.display().to_string(), head));
    }
    let tau = cli.model_dir()?.same_person_threshold()?;
    let scanned = scan_truth(cli, truth)?;
    let data = scanned.labelled()?;
    let algorithm = settings::load(&scanned.catalog)?;
    let mut rows = vec![VerifyRow {
        name: "plain".into(),
        measures: measure(&data.embeddings, &data.labels, &algorithm, tau, seed),
    }];
    for (name, head) in &heads {
        rows.push(VerifyRow {
            name: name.clone(),
            measures: measure(
                &head.apply_all(&data.embeddings),
                &data.labels,
                &algorithm,
                tau,
                seed,
            ),
        });
    }
    cli.emit(&rows, |rows| {
        if let Some(first) = rows.first() {
            let m = &first.measures;
            println!(
                "{} faces of {} persons: {} same-person pairs, {} different; {FOLDS} folds of balanced pairs",
                m.faces, m.persons, m.same_pairs, m.different_pairs
            );
        }
        println!("| embedding | LFW accuracy (mean ± std) | AUC | TAR@FAR=1e-2 | TAR@FAR=1e-3 | accuracy at tau | BCubed F |");
        println!("|---|---|---|---|---|---|---|");
        for r in rows {
            let m = &r.measures;
            println!(
                "| {} | {:.4} ± {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} |",
                r.name, m.lfw.mean_accuracy, m.lfw.std_accuracy, m.auc, m.tar_at_far_1e_2,
                m.tar_at_far_1e_3, m.accuracy_at_tau, m.bcubed.f
            );
        }
    })
}
