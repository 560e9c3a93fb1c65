//! Commands that learn: `kith train` (heads on a folder-per-person tree, measured on people they
//! never saw) and `kith adapt` (a head from the user's own decisions, used only if it helps).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use indicatif::ProgressBar;

use super::eval::scan_truth;
use super::Cli;
use kith::eval::labelled::Measures;
use kith::people::settings;
use kith::train::adapt::{self, AdaptOptions, AdaptReport};
use kith::train::oneshot::{one_shot, OneShotReport, PersonSplit};
use kith::train::{LossKind, OptimiserKind, Progress, Schedule, TrainConfig};

#[derive(Subcommand)]
pub enum LearnCommand {
    /// Train heads on top of the frozen embedder on a folder-per-person tree, holding some people
    /// out, and compare them with the plain embedder on the people they saw and on those they
    /// never saw (verification LFW-style, AUC, TAR at FAR, BCubed F).
    Train {
        /// A folder with one sub-folder of photos per person.
        folder: PathBuf,
        /// triplet-batch-hard, triplet-batch-all, triplet-semi-hard, contrastive, center,
        /// siamese; several separated by commas, or "all".
        #[arg(long, default_value = "triplet-batch-hard")]
        loss: String,
        /// Share of the people held out of training, to measure on (0: train on everyone).
        #[arg(long, default_value_t = 0.5)]
        unseen: f32,
        /// Write each head to DIR/LOSS.safetensors (for `kith eval verify --head`).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Write checkpoints to DIR/LOSS/ every 10 epochs.
        #[arg(long, value_name = "DIR")]
        checkpoints: Option<PathBuf>,
        #[arg(long)]
        epochs: Option<usize>,
        #[arg(long)]
        lr: Option<f64>,
        /// adamw or sgd.
        #[arg(long, default_value = "adamw")]
        optimiser: String,
        /// cosine (with warm-up) or constant.
        #[arg(long, default_value = "cosine")]
        schedule: String,
        /// Identities per batch.
        #[arg(long)]
        p: Option<usize>,
        /// Faces per identity per batch.
        #[arg(long)]
        k: Option<usize>,
        /// Triplet margin on squared distances.
        #[arg(long)]
        alpha: Option<f32>,
        /// Contrastive margin.
        #[arg(long)]
        margin: Option<f32>,
        /// Weight of ||W - I||^2, the pull back to the plain embedding.
        #[arg(long)]
        identity_weight: Option<f64>,
        /// Seeds the split, the batches and the initial weights.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Learn from your decisions (names, merges, moves, "not this person"): train a head on part of
    /// your labelled faces, check it on the rest, and use it for clustering and suggestions only if
    /// it does better there. Re-clusters afterwards.
    Adapt {
        /// Stop using the head and go back to the plain embedding.
        #[arg(long, conflicts_with = "status")]
        reset: bool,
        /// Show whether a head is in use and how it was validated.
        #[arg(long)]
        status: bool,
        /// Share of each person's labelled faces held out for the check.
        #[arg(long, default_value_t = 0.3)]
        held_out: f32,
        #[arg(long)]
        epochs: Option<usize>,
        /// The loss to train with (default: triplet-batch-hard; `kith train --help` lists them).
        #[arg(long)]
        loss: Option<String>,
        /// Seeds the held-out choice and the training.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Train and check, but change nothing in the library.
        #[arg(long)]
        dry_run: bool,
    },
}

pub fn run(cli: &Cli, command: &LearnCommand) -> Result<()> {
    match command {
        LearnCommand::Train {
            folder,
            loss,
            unseen,
            out,
            checkpoints,
            epochs,
            lr,
            optimiser,
            schedule,
            p,
            k,
            alpha,
            margin,
            identity_weight,
            seed,
        } => {
            let losses = parse_losses(loss)?;
            let optimiser = match optimiser.to_ascii_lowercase().as_str() {
                "adamw" => OptimiserKind::AdamW,
                "sgd" => OptimiserKind::Sgd,
                other => bail!("unknown optimiser {other:?}: use adamw or sgd"),
            };
            let schedule = match schedule.to_ascii_lowercase().as_str() {
                "cosine" => Schedule::Cosine,
                "constant" => Schedule::Constant,
                other => bail!("unknown schedule {other:?}: use cosine or constant"),
            };
            if !(0.0..1.0).contains(unseen) {
                bail!("--unseen must be in [0, 1), got {unseen}");
            }
            let configs: Vec<TrainConfig> = losses
                .iter()
                .map(|&kind| {
                    let mut c = TrainConfig::new(kind);
                    c.optimiser = optimiser;
                    c.schedule = schedule;
                    c.seed = *seed;
                    c.epochs = epochs.unwrap_or(c.epochs);
                    c.learning_rate = lr.unwrap_or(c.learning_rate);
                    c.p = p.unwrap_or(c.p);
                    c.k = k.unwrap_or(c.k);
                    c.loss.alpha = alpha.unwrap_or(c.loss.alpha);
                    c.loss.margin = margin.unwrap_or(c.loss.margin);
                    c.identity_weight = identity_weight.unwrap_or(c.identity_weight);
                    c.checkpoints = checkpoints.as_ref().map(|d| d.join(kind.name()));
                    c
                })
                .collect();
            train(cli, folder, *unseen, *seed, &configs, out.as_ref())
        }
        LearnCommand::Adapt {
            reset,
            status,
            held_out,
            epochs,
            loss,
            seed,
            dry_run,
        } => {
            if *status {
                return adapt_status(cli);
            }
            if *reset {
                return adapt_reset(cli);
            }
            let mut options = AdaptOptions {
                held_out: *held_out,
                seed: *seed,
                ..AdaptOptions::default()
            };
            options.train.seed = *seed;
            options.train.epochs = epochs.unwrap_or(options.train.epochs);
            if let Some(name) = loss {
                let kind: LossKind = name.parse()?;
                // The other settings were chosen for the default loss; keep them, change the loss.
                options.train.loss = kith::train::LossConfig {
                    kind,
                    ..options.train.loss
                };
            }
            adapt_command(cli, &options, *dry_run)
        }
    }
}

fn parse_losses(text: &str) -> Result<Vec<LossKind>> {
    if text.trim().eq_ignore_ascii_case("all") {
        return Ok(LossKind::ALL.to_vec());
    }
    text.split(',')
        .map(|name| name.parse::<LossKind>().map_err(anyhow::Error::from))
        .collect()
}

fn progress_bar(cli: &Cli) -> ProgressBar {
    super::progress_bar(!cli.json, "{prefix:>20} {bar:30} {pos}/{len} steps  {msg}")
}

fn show_progress(bar: &ProgressBar, p: &Progress) {
    bar.set_length(p.steps as u64);
    bar.set_position(p.step as u64);
    let active = p
        .active
        .map(|a| format!("  active {:.0}%", a * 100.0))
        .unwrap_or_default();
    bar.set_message(format!("epoch {}  loss {:.4}{active}", p.epoch + 1, p.loss));
}

fn train(
    cli: &Cli,
    folder: &std::path::Path,
    unseen: f32,
    seed: u64,
    configs: &[TrainConfig],
    out: Option<&PathBuf>,
) -> Result<()> {
    let tau = cli.model_dir()?.same_person_threshold()?;
    let scanned = scan_truth(cli, folder)?;
    let data = scanned.labelled()?;
    let algorithm = settings::load(&scanned.catalog)?;
    let bar = progress_bar(cli);
    let (report, heads) = one_shot(
        &data,
        PersonSplit { unseen, seed },
        configs,
        &algorithm,
        tau,
        &AtomicBool::new(false),
        &mut |index, p| {
            bar.set_prefix(configs[index].loss.kind.name());
            show_progress(&bar, p);
        },
    )?;
    bar.finish_and_clear();
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for (config, head) in configs.iter().zip(&heads) {
            head.save(&dir.join(format!("{}.safetensors", config.loss.kind.name())))?;
        }
    }
    cli.emit(&report, print_one_shot)
}

fn print_one_shot(r: &OneShotReport) {
    println!(
        "{} faces; trained on {} faces of {} people, tested on {} faces of {} people never seen in training",
        r.faces,
        r.seen_faces,
        r.seen_persons.len(),
        r.unseen_faces,
        r.unseen_persons.len()
    );
    if !r.unseen_persons.is_empty() {
        println!("unseen: {}", r.unseen_persons.join(", "));
    }
    println!("| head | unseen LFW accuracy | unseen AUC | unseen TAR@FAR=1e-2 | unseen acc. at tau | unseen BCubed F | seen LFW accuracy | seen BCubed F | steps | train s |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let cell = |m: Option<&Measures>, f: fn(&Measures) -> String| m.map_or("-".into(), f);
    for row in &r.rows {
        let u = row.unseen.as_ref();
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.4} ± {:.4} | {:.4} | {} | {:.2} |",
            row.name,
            cell(u, |m| format!(
                "{:.4} ± {:.4}",
                m.lfw.mean_accuracy, m.lfw.std_accuracy
            )),
            cell(u, |m| format!("{:.4}", m.auc)),
            cell(u, |m| format!("{:.4}", m.tar_at_far_1e_2)),
            cell(u, |m| format!("{:.4}", m.accuracy_at_tau)),
            cell(u, |m| format!("{:.4}", m.bcubed.f)),
            row.seen.lfw.mean_accuracy,
            row.seen.lfw.std_accuracy,
            row.seen.bcubed.f,
            row.steps,
            row.seconds
        );
    }
}

fn adapt_command(cli: &Cli, options: &AdaptOptions, dry_run: bool) -> Result<()> {
    let mut catalog = cli.catalog()?;
    let tau = cli.model_dir()?.same_person_threshold()?;
    let algorithm = settings::load(&catalog)?;
    let bar = progress_bar(cli);
    bar.set_prefix("adapting");
    let outcome = adapt::run(
        &mut catalog,
        &algorithm,
        tau,
        options,
        dry_run,
        &AtomicBool::new(false),
        &mut |p| show_progress(&bar, p),
    )?;
    bar.finish_and_clear();
    super::people::keep_sidecars(&mut catalog)?;
    cli.emit(
        &serde_json::json!({ "report": outcome.report, "recluster": outcome.reclustered }),
        |_| {
            print_adapt(&outcome.report);
            if dry_run {
                println!("(dry run: the library is unchanged)");
            }
            if let Some(c) = outcome.reclustered {
                println!("re-clustered: {}", c.said());
            }
        },
    )
}

fn print_adapt(r: &AdaptReport) {
    println!(
        "{} faces of {} people placed by you, {} \"not this person\" faces as negatives",
        r.labelled_faces, r.persons, r.negatives
    );
    println!(
        "trained on {} faces; checked on {} held-out faces of those people, and with {} faces of {} people held out whole as strangers",
        r.train_faces, r.held_out_faces, r.stranger_faces, r.stranger_persons
    );
    println!(
        "{} epochs of {} ({} steps) in {:.2} s; the head moved {:.3} from the identity",
        r.epochs, r.loss, r.steps, r.seconds, r.drift
    );
    println!("| check | embedding | BCubed F | accuracy at tau | AUC | LFW accuracy |");
    println!("|---|---|---|---|---|---|");
    for (check, name, m) in r.rows() {
        if let Some(m) = m {
            println!(
                "| {check} | {name} | {:.4} | {:.4} | {:.4} | {:.4} |",
                m.bcubed.f, m.accuracy_at_tau, m.auc, m.lfw.mean_accuracy
            );
        }
    }
    if r.accepted {
        println!("the adapted head does better and nowhere worse: it is used for clustering and suggestions");
    } else {
        println!("the adapted head does not do better without doing worse somewhere: the plain embedding is used");
    }
}

fn adapt_status(cli: &Cli) -> Result<()> {
    let catalog = cli.catalog()?;
    let report = adapt::active_report(&catalog)?;
    cli.emit(&serde_json::json!({ "active": report.is_some(), "report": report }), |_| {
        match &report {
            None => println!("no adaptation head in use: distances are the plain embedder's"),
            Some(r) => println!(
                "an adaptation head is in use: on {} held-out faces of known people BCubed F {} -> {}, accuracy at tau {} -> {}",
                r["held_out_faces"], r["plain"]["bcubed"]["f"], r["adapted"]["bcubed"]["f"],
                r["plain"]["accuracy_at_tau"], r["adapted"]["accuracy_at_tau"]
            ),
        }
    })
}

fn adapt_reset(cli: &Cli) -> Result<()> {
    let mut catalog = cli.catalog()?;
    let algorithm = settings::load(&catalog)?;
    let clustered = adapt::reset(&mut catalog, &algorithm)?;
    super::people::keep_sidecars(&mut catalog)?;
    cli.emit(
        &serde_json::json!({ "dropped": clustered.is_some(), "recluster": clustered }),
        |_| match clustered {
            Some(c) => println!("back to the plain embedding; re-clustered: {}", c.said()),
            None => println!("no adaptation head was in use"),
        },
    )
}
