//! The settings' "Names in other apps": writing the names into XMP sidecars beside the photos
//! ([`crate::name_sidecars`], as `kith write-xmp` does). A dry run first says how many sidecars
//! would be written, and nothing is written until the user says yes. Both run as a [`Task`].
//! Or the library keeps them up to date, after each change (`kith write-xmp --keep on`), which
//! the app's [`crate::gui::jobs::SidecarKeeper`] does.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::catalog::{Catalog, CatalogError};
use crate::gui::app::Action;
use crate::gui::jobs::Task;
use crate::gui::views::ViewCtx;
use crate::name_sidecars::{self, SidecarReport};
use crate::wording::counted;

/// How far a write has got, in photos.
#[derive(Default)]
struct Progress {
    done: AtomicUsize,
    total: AtomicUsize,
}

#[derive(Default)]
pub struct SidecarsSection {
    /// The library keeps its sidecars up to date after each change of names.
    keeping: bool,
    counting: Option<Task<SidecarReport>>,
    /// The dry run's answer, waiting for the user's yes.
    planned: Option<SidecarReport>,
    writing: Option<(Task<SidecarReport>, Arc<Progress>)>,
    outcome: Option<Result<SidecarReport, String>>,
}

impl SidecarsSection {
    /// Reads whether the library keeps its sidecars up to date.
    pub fn reload(&mut self, catalog: &Catalog) -> Result<(), CatalogError> {
        self.keeping = name_sidecars::keeping(catalog)?;
        Ok(())
    }

    pub fn is_busy(&self) -> bool {
        self.counting.is_some() || self.writing.is_some()
    }

    /// Takes in a dry run or a write that finished.
    pub fn poll(&mut self, actions: &mut Vec<Action>) {
        if let Some(result) = self.counting.as_ref().and_then(Task::poll) {
            self.counting = None;
            match result {
                Ok(report) => self.planned = Some(report),
                Err(err) => self.outcome = Some(Err(err)),
            }
        }
        if let Some(result) = self.writing.as_ref().and_then(|(task, _)| task.poll()) {
            self.writing = None;
            actions.push(Action::Changed(match &result {
                Ok(report) => summary(report),
                Err(err) => format!("Writing the sidecars failed: {err}"),
            }));
            self.outcome = Some(result);
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let catalog = ctx.catalog;
        ui.label(
            "Kith can write the names you gave into XMP sidecars beside your photos \
             (photo.jpg.xmp), where digiKam, Immich and Lightroom Classic (for RAW photos) \
             read them: each face of a named person as a face region. The photos themselves \
             are never changed, and a sidecar another app wrote keeps everything else it holds.",
        );
        let mut keeping = self.keeping;
        if ui
            .checkbox(
                &mut keeping,
                "Keep them up to date: write them now, and again after each change of names",
            )
            .changed()
        {
            match name_sidecars::set_keeping(catalog, keeping) {
                Ok(()) => {
                    self.keeping = keeping;
                    ctx.actions.push(Action::Changed(
                        if keeping {
                            "Sidecars are kept up to date from now on"
                        } else {
                            "Sidecars are no longer kept up to date (those written stay)"
                        }
                        .to_string(),
                    ));
                }
                Err(err) => self.outcome = Some(Err(err.to_string())),
            }
        }
        if let Some((_, progress)) = &self.writing {
            let (done, total) = (
                progress.done.load(Ordering::Relaxed),
                progress.total.load(Ordering::Relaxed),
            );
            ui.add(
                egui::ProgressBar::new(done as f32 / total.max(1) as f32)
                    .text(format!("writing sidecars, photo {done}/{total}"))
                    .desired_width(260.0),
            );
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(200));
            return;
        }
        if let Some(planned) = &self.planned {
            failures(ui, planned);
            if planned.written.is_empty() {
                ui.label(format!(
                    "Nothing to write: {} already {} what Kith would write.",
                    counted(planned.unchanged, "sidecar"),
                    if planned.unchanged == 1 {
                        "says"
                    } else {
                        "say"
                    }
                ));
                if ui.button("OK").clicked() {
                    self.planned = None;
                }
                return;
            }
            ui.label(format!(
                "This writes {} ({}) beside the photos; {} already up to date.",
                counted(planned.written.len(), "sidecar"),
                counted(planned.faces, "named face"),
                planned.unchanged
            ));
            ui.horizontal(|ui| {
                if ui.button("Write them").clicked() {
                    self.planned = None;
                    self.outcome = None;
                    self.writing = Some(start(ui.ctx(), catalog.path().to_path_buf(), false));
                }
                if ui.button("Cancel").clicked() {
                    self.planned = None;
                }
            });
            return;
        }
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    self.counting.is_none(),
                    egui::Button::new("Write names to sidecars…"),
                )
                .clicked()
            {
                self.outcome = None;
                self.counting = Some(start(ui.ctx(), catalog.path().to_path_buf(), true).0);
            }
            if self.counting.is_some() {
                ui.spinner();
                ui.weak("Counting what would be written…");
            }
        });
        match &self.outcome {
            Some(Ok(report)) => {
                ui.label(summary(report));
                failures(ui, report);
            }
            Some(Err(err)) => {
                ui.colored_label(ui.visuals().error_fg_color, err);
            }
            None => {}
        }
    }
}

/// The sidecars a write left as they were, with why (the first few).
fn failures(ui: &mut egui::Ui, report: &SidecarReport) {
    for (path, reason) in report.failed.iter().take(5) {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!("Left as it was: {}: {reason}", path.display()),
        );
    }
    if report.failed.len() > 5 {
        ui.weak(format!("… and {} more", report.failed.len() - 5));
    }
}

/// Writes (or, with `dry_run`, counts) on a worker with its own catalog connection.
fn start(
    ctx: &egui::Context,
    catalog: PathBuf,
    dry_run: bool,
) -> (Task<SidecarReport>, Arc<Progress>) {
    let progress = Arc::new(Progress::default());
    let shared = Arc::clone(&progress);
    let task = Task::spawn(ctx, move || {
        let mut catalog = Catalog::open(&catalog).map_err(|e| e.to_string())?;
        name_sidecars::write(&mut catalog, dry_run, &mut |done, total| {
            shared.done.store(done, Ordering::Relaxed);
            shared.total.store(total, Ordering::Relaxed);
        })
        .map_err(|e| e.to_string())
    });
    (task, progress)
}

/// One line on what a write did.
fn summary(report: &SidecarReport) -> String {
    let mut line = format!(
        "Wrote {} ({}); {} already up to date",
        counted(report.written.len(), "sidecar"),
        counted(report.faces, "named face"),
        report.unchanged
    );
    if report.not_found > 0 {
        line.push_str(&format!(
            "; {} not there now",
            counted(report.not_found, "photo")
        ));
    }
    if report.not_scanned > 0 {
        line.push_str(&format!(
            "; {} changed since the last scan left for it",
            counted(report.not_scanned, "photo")
        ));
    }
    if !report.failed.is_empty() {
        line.push_str(&format!("; {} left as they were", report.failed.len()));
    }
    line
}
