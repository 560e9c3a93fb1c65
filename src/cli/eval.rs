//! `kith eval`: quality measures on a folder-per-person tree.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result};
use clap::Subcommand;

use super::Cli;
use kith::catalog::Catalog;
use kith::eval::folder::evaluate;
use kith::people::settings;
use kith::scan::ScanOptions;

#[derive(Subcommand)]
pub enum EvalCommand {
    /// Scan a folder-per-person tree into a throw-away catalog, cluster it, and print pairwise
    /// and BCubed precision/recall/F, NMI and verification measures.
    Eval {
        #[arg(long)]
        truth: PathBuf,
        /// dbscan, agglomerative or complete (default: dbscan with its defaults).
        #[arg(long, default_value = "dbscan")]
        algo: String,
        #[arg(long)]
        eps: Option<f32>,
        #[arg(long)]
        min_points: Option<usize>,
    },
}

pub fn run(cli: &Cli, command: &EvalCommand) -> Result<()> {
    let EvalCommand::Eval {
        truth,
        algo,
        eps,
        min_points,
    } = command;
    let algorithm = settings::algorithm(algo, *eps, *min_points)?;
    let analyzer = cli.analyzer()?;
    let work = tempfile::tempdir().context("cannot create a scratch folder")?;
    let mut catalog = Catalog::open(&work.path().join("eval.sqlite"))?;
    let root = truth
        .canonicalize()
        .with_context(|| format!("cannot open {}", truth.display()))?;
    kith::scan::scan_folder(
        &mut catalog,
        &analyzer,
        &root,
        &ScanOptions::for_device(analyzer.device()),
        &AtomicBool::new(false),
        &mut |_| {},
    )?;
    let report = evaluate(&catalog, &root, &algorithm, analyzer.threshold())?;
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
