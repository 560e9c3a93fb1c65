//! Settings: switching libraries, the library's folders (add, forget), the clustering (algorithm
//! and parameters, with a live count of the people a re-cluster would leave), adapting distances
//! to the user's names, writing the names for other apps ([`SidecarsSection`]), the device scans
//! run on, and the theme.
//!
//! Everything slow (counting, re-clustering, adapting, probing GPUs) runs as a [`Task`] on a worker
//! thread with its own catalog connection; when one changes the catalog the view reports
//! [`Action::Changed`] and the app reads the catalog again.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use egui::ThemePreference;

use crate::catalog::{Catalog, CatalogError};
use crate::gui::app::Action;
use crate::gui::jobs::{ScanTarget, Task};
use crate::gui::prefs::Prefs;
use crate::gui::views::add_folder::AddFolder;
use crate::gui::views::sidecars::SidecarsSection;
use crate::gui::views::{path_field, ViewCtx};
use crate::people::assign::{self, AssignReport, Preview};
use crate::people::cluster::{Algorithm, Linkage};
use crate::people::settings::{self, SettingsError};
use crate::train::adapt::{self, AdaptOptions, AdaptOutcome};
use crate::vision::device::{self, Backend};
use crate::vision::DeviceChoice;

/// The clustering choices as the form edits them.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Form {
    method: Method,
    /// DBSCAN's eps or the agglomerative cut.
    radius: f32,
    /// DBSCAN only.
    min_points: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Dbscan,
    Average,
    Complete,
}

impl Form {
    fn of(algorithm: &Algorithm) -> Self {
        let defaults = Algorithm::default_dbscan();
        let default_min_points = match defaults {
            Algorithm::Dbscan { min_points, .. } => min_points,
            Algorithm::Agglomerative { .. } => 2,
        };
        match *algorithm {
            Algorithm::Dbscan { eps, min_points } => Self {
                method: Method::Dbscan,
                radius: eps,
                min_points,
            },
            Algorithm::Agglomerative { linkage, cut } => Self {
                method: match linkage {
                    Linkage::Average => Method::Average,
                    Linkage::Complete => Method::Complete,
                },
                radius: cut,
                min_points: default_min_points,
            },
        }
    }

    fn algorithm(&self) -> Algorithm {
        match self.method {
            Method::Dbscan => Algorithm::Dbscan {
                eps: self.radius,
                min_points: self.min_points.max(1),
            },
            Method::Average | Method::Complete => Algorithm::Agglomerative {
                linkage: if self.method == Method::Average {
                    Linkage::Average
                } else {
                    Linkage::Complete
                },
                cut: self.radius,
            },
        }
    }
}

/// A library folder as listed.
struct Folder {
    path: PathBuf,
    /// Still there on disk (an unplugged drive is not).
    present: bool,
}

/// An adaptation in progress: its progress in training steps, and its cancel flag.
struct Adapting {
    task: Task<AdaptOutcome>,
    step: Arc<AtomicUsize>,
    steps: Arc<AtomicUsize>,
    cancel: Arc<AtomicBool>,
}

pub struct SettingsView {
    folders: Vec<Folder>,
    /// A folder whose removal waits for the user's confirmation, and the photos it would forget.
    confirm_remove: Option<(PathBuf, usize)>,
    add_folder: AddFolder,
    library_input: String,
    /// CUDA and Metal as probed on a worker the first time the view is drawn.
    backends: Option<Vec<Backend>>,
    probing: Option<Task<Vec<Backend>>>,
    /// The libheif that reads HEIC and AVIF photos, if one was found.
    libheif: Option<crate::scan::heif::Support>,
    /// The version of the LibRaw that reads camera RAW photos, if one was found.
    libraw: Option<String>,
    form: Form,
    /// The clustering stored in the catalog.
    saved: Option<Algorithm>,
    /// The last count, and the algorithm it is for.
    preview: Option<(Algorithm, Result<Preview, String>)>,
    previewing: Option<(Algorithm, Task<Preview>)>,
    applying: Option<Task<AssignReport>>,
    /// A one-line account of the adaptation head in use, if any.
    head_in_use: Option<String>,
    adapting: Option<Adapting>,
    adapted: Option<Result<AdaptOutcome, String>>,
    resetting: Option<Task<Option<AssignReport>>>,
    sidecars: SidecarsSection,
}

impl Default for SettingsView {
    fn default() -> Self {
        Self {
            folders: Vec::new(),
            confirm_remove: None,
            add_folder: AddFolder::default(),
            library_input: String::new(),
            backends: None,
            probing: None,
            libheif: crate::scan::heif::support(),
            libraw: crate::scan::raw::version(),
            form: Form::of(&Algorithm::default_dbscan()),
            saved: None,
            preview: None,
            previewing: None,
            applying: None,
            head_in_use: None,
            adapting: None,
            adapted: None,
            resetting: None,
            sidecars: SidecarsSection::default(),
        }
    }
}

impl SettingsView {
    /// Reads the folders, the stored clustering and the adaptation state; counts again.
    pub fn reload(&mut self, catalog: &Catalog) -> Result<(), CatalogError> {
        self.folders = catalog
            .folders()?
            .into_iter()
            .map(|path| Folder {
                present: path.is_dir(),
                path,
            })
            .collect();
        let saved = settings::load(catalog).map_err(|err| match err {
            SettingsError::Catalog(err) => err,
            other => CatalogError::Invalid(other.to_string()),
        })?;
        // A form the user is editing stays as it is unless the stored choice itself changed.
        if self.saved != Some(saved) {
            self.form = Form::of(&saved);
            self.saved = Some(saved);
        }
        self.head_in_use = adapt::active_report(catalog)?.map(|r| {
            format!(
                "A head learned from your names is in use: on held-out faces BCubed F {} -> {}, \
                 accuracy at τ {} -> {}.",
                r["plain"]["bcubed"]["f"],
                r["adapted"]["bcubed"]["f"],
                r["plain"]["accuracy_at_tau"],
                r["adapted"]["accuracy_at_tau"]
            )
        });
        self.sidecars.reload(catalog)?;
        // The catalog may have changed since the last count.
        self.preview = None;
        self.previewing = None;
        Ok(())
    }

    /// Whether a count, re-cluster, adaptation or device probe is running.
    pub fn is_busy(&self) -> bool {
        self.previewing.is_some()
            || self.applying.is_some()
            || self.adapting.is_some()
            || self.resetting.is_some()
            || self.probing.is_some()
            || self.sidecars.is_busy()
    }

    /// Takes in the re-cluster, adaptation or reset that finished: called every frame, whichever
    /// view is shown, since the user may have left the settings while one ran.
    pub fn poll(&mut self, actions: &mut Vec<Action>) {
        self.sidecars.poll(actions);
        if let Some(result) = self.applying.as_ref().and_then(Task::poll) {
            self.applying = None;
            actions.push(Action::Changed(match result {
                Ok(r) => format!("Re-clustered: {}", r.said()),
                Err(err) => format!("Re-clustering failed: {err}"),
            }));
        }
        if let Some(adapting) = &self.adapting {
            if let Some(result) = adapting.task.poll() {
                let message = match &result {
                    Ok(outcome) if outcome.report.accepted => {
                        "Adapted: the head learned from your names is in use".to_string()
                    }
                    Ok(_) => "Not adapted: the plain distances stay in use".to_string(),
                    Err(err) => format!("Adaptation failed: {err}"),
                };
                self.adapted = Some(result);
                self.adapting = None;
                actions.push(Action::Changed(message));
            }
        }
        if let Some(result) = self.resetting.as_ref().and_then(Task::poll) {
            self.resetting = None;
            self.adapted = None;
            actions.push(Action::Changed(match result {
                Ok(Some(_)) => "Back to the plain distances; people re-clustered".to_string(),
                Ok(None) => "No adaptation was in use".to_string(),
                Err(err) => format!("Reset failed: {err}"),
            }));
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>, prefs: &mut Prefs) {
        self.refresh(ui.ctx(), ctx);
        egui::ScrollArea::vertical()
            .auto_shrink(false)
            .show(ui, |ui| {
                section(ui, "Library", |ui| self.library(ui, ctx, prefs));
                section(ui, "Folders", |ui| self.folders(ui, ctx, prefs));
                section(ui, "People", |ui| self.clustering(ui, ctx));
                section(ui, "Learning from your names", |ui| {
                    self.adaptation(ui, ctx)
                });
                section(ui, "Names in other apps", |ui| self.sidecars.ui(ui, ctx));
                section(ui, "Scanning", |ui| self.device(ui, prefs));
                section(ui, "Appearance", |ui| theme(ui, prefs));
            });
    }

    /// Takes in the device probe and the count, and starts the count for the form if it has none.
    fn refresh(&mut self, egui_ctx: &egui::Context, ctx: &ViewCtx<'_>) {
        if let Some(result) = self.probing.as_ref().and_then(Task::poll) {
            self.backends = Some(result.unwrap_or_default());
            self.probing = None;
        }
        if self.backends.is_none() && self.probing.is_none() {
            self.probing = Some(Task::spawn(egui_ctx, || Ok(device::gpu_backends())));
        }

        if let Some((algorithm, task)) = &self.previewing {
            if let Some(result) = task.poll() {
                self.preview = Some((*algorithm, result));
                self.previewing = None;
            }
        }
        let wanted = self.form.algorithm();
        let counted = self.preview.as_ref().map(|(a, _)| *a);
        if self.previewing.is_none() && counted != Some(wanted) {
            let path = ctx.catalog.path().to_path_buf();
            let task = Task::spawn(egui_ctx, move || {
                let catalog = Catalog::open(&path).map_err(|e| e.to_string())?;
                assign::preview(&catalog, &wanted).map_err(|e| e.to_string())
            });
            self.previewing = Some((wanted, task));
        }
    }

    fn library(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>, prefs: &Prefs) {
        ui.label(format!("This library: {}", ctx.catalog.path().display()));
        // The first is the library in use.
        let others = prefs.recent.get(1..).unwrap_or_default();
        if !others.is_empty() {
            ui.label("Recent libraries:");
            for path in others {
                ui.horizontal(|ui| {
                    if ui.button("Open").clicked() {
                        ctx.actions.push(Action::OpenLibrary(path.clone()));
                    }
                    ui.label(path.display().to_string());
                });
            }
        }
        ui.horizontal(|ui| {
            pick_library_buttons(ui, ctx.actions);
            let typed = path_field(
                ui,
                &mut self.library_input,
                "or a library file path",
                "Library path",
                320.0,
                "Open library",
            );
            if let Some(library) = typed {
                ctx.actions.push(Action::OpenLibrary(library));
            }
        });
    }

    fn folders(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>, prefs: &mut Prefs) {
        if self.folders.is_empty() {
            ui.weak("No folders yet.");
        }
        let mut remove = None;
        for folder in &self.folders {
            ui.horizontal(|ui| {
                if ui
                    .button("Remove…")
                    .on_hover_text("Forget this folder's photos; the files stay")
                    .accessible_name(format!("Remove {}", folder.path.display()))
                    .clicked()
                {
                    remove = Some(folder.path.clone());
                }
                ui.label(folder.path.display().to_string());
                if !folder.present {
                    ui.weak("(not found: unplugged, moved or deleted)");
                }
            });
        }
        if let Some(path) = remove {
            match ctx.catalog.photos_only_under(&path) {
                Ok(photos) => self.confirm_remove = Some((path, photos.len())),
                Err(err) => {
                    ui.colored_label(ui.visuals().error_fg_color, err.to_string());
                }
            }
        }
        if let Some((path, photos)) = self.confirm_remove.clone() {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.label(format!(
                    "Forget {} and its {photos} photos? Their faces, and what you decided about \
                     them, leave the library. The files on disk are not touched.",
                    path.display()
                ));
                ui.horizontal(|ui| {
                    if ui.button("Forget folder").clicked() {
                        ctx.actions.push(Action::RemoveFolder(path.clone()));
                        self.confirm_remove = None;
                    }
                    if ui.button("Keep it").clicked() {
                        self.confirm_remove = None;
                    }
                });
            });
        }
        ui.horizontal(|ui| {
            self.add_folder
                .pick(ui, egui::Button::new("Add folder…"), ctx.actions);
            self.add_folder.typed(ui, ctx.actions);
        });
        ui.horizontal(|ui| {
            let any_found = self.folders.iter().any(|f| f.present);
            if ui
                .add_enabled(any_found, egui::Button::new("Scan all folders again"))
                .on_hover_text(
                    "Looks for photos added, changed or removed since; unchanged ones are skipped",
                )
                .clicked()
            {
                ctx.actions.push(Action::StartScan(ScanTarget::Library));
            }
            ui.checkbox(
                &mut prefs.scan_on_open,
                "and each time Kith opens this library",
            );
        });
    }

    fn clustering(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        ui.label(format!(
            "Two faces closer than τ = {:.2} look like the same person to the network. Clustering \
             groups faces into people with a distance of its own, usually a little under τ, so \
             that a chain of look-alikes does not join two people into one.",
            ctx.tau
        ));
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.form.method, Method::Dbscan, "DBSCAN")
                .on_hover_text(
                    "Faces with close neighbours form people; lone faces stay unplaced. A group \
                     is then split where its faces are on average farther apart than eps + 0.05, \
                     so that one close pair of look-alikes does not join two people",
                );
            ui.radio_value(
                &mut self.form.method,
                Method::Average,
                "Agglomerative (average)",
            )
            .on_hover_text(
                "Merges groups while their mean distance is under the cut: one close pair does \
                 not join two people. Every face is placed with the group nearest it, when under \
                 the cut",
            );
            ui.radio_value(
                &mut self.form.method,
                Method::Complete,
                "Agglomerative (complete)",
            )
            .on_hover_text("Merges groups while their farthest faces are under the cut");
        });
        let name = if self.form.method == Method::Dbscan {
            "eps: faces this close are neighbours"
        } else {
            "cut: merge groups closer than this"
        };
        ui.add(
            egui::Slider::new(&mut self.form.radius, 0.2..=0.9)
                .step_by(0.01)
                .fixed_decimals(2)
                .text(name),
        )
        .accessible_name("Clustering distance");
        if self.form.method == Method::Dbscan {
            ui.add(
                egui::Slider::new(&mut self.form.min_points, 1..=10).text(
                    "min points: faces (itself included) a face needs nearby to start a person",
                ),
            )
            .accessible_name("Minimum faces");
        }

        let wanted = self.form.algorithm();
        let counting = self.previewing.as_ref().is_some_and(|(a, _)| *a == wanted);
        match &self.preview {
            Some((algorithm, Ok(p))) if *algorithm == wanted => {
                ui.label(format!(
                    "Re-clustering would leave {} people (now {}; {} new).",
                    p.people_after, p.people_now, p.new_persons
                ));
            }
            Some((algorithm, Err(err))) if *algorithm == wanted => {
                ui.colored_label(ui.visuals().error_fg_color, format!("Cannot count: {err}"));
            }
            _ if counting => {
                ui.weak("Counting the people this would give…");
            }
            _ => {}
        }
        ui.horizontal(|ui| {
            let busy = self.applying.is_some() || self.adapting.is_some();
            let unchanged = self.saved == Some(wanted);
            if ui
                .add_enabled(!busy, egui::Button::new("Apply"))
                .on_hover_text("Save these settings and re-cluster the faces you have not placed")
                .clicked()
            {
                let path = ctx.catalog.path().to_path_buf();
                self.applying = Some(Task::spawn(ui.ctx(), move || {
                    let mut catalog = Catalog::open(&path).map_err(|e| e.to_string())?;
                    settings::save(&catalog, &wanted).map_err(|e| e.to_string())?;
                    assign::recluster(&mut catalog, &wanted).map_err(|e| e.to_string())
                }));
            }
            if self.applying.is_some() {
                ui.weak("Re-clustering…");
            } else if !unchanged {
                if let Some(saved) = self.saved {
                    if ui.button("Revert").clicked() {
                        self.form = Form::of(&saved);
                    }
                }
            }
        });
    }

    fn adaptation(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        ui.label(
            "Kith can learn from the faces you named, merged and moved: it trains a small \
             correction of the distances on part of them and keeps it only if it groups the rest \
             better, and strangers no worse.",
        );
        match &self.head_in_use {
            Some(summary) => ui.label(summary),
            None => ui.weak("The network's own distances are in use."),
        };
        ui.horizontal(|ui| {
            let busy =
                self.adapting.is_some() || self.resetting.is_some() || self.applying.is_some();
            if ui
                .add_enabled(!busy, egui::Button::new("Adapt to my names"))
                .clicked()
            {
                self.adapting = Some(start_adapting(ui.ctx(), ctx.catalog.path(), ctx.tau));
            }
            if ui
                .add_enabled(
                    !busy && self.head_in_use.is_some(),
                    egui::Button::new("Reset"),
                )
                .on_hover_text("Go back to the network's own distances")
                .clicked()
            {
                let path = ctx.catalog.path().to_path_buf();
                self.resetting = Some(Task::spawn(ui.ctx(), move || {
                    let mut catalog = Catalog::open(&path).map_err(|e| e.to_string())?;
                    let algorithm = settings::load(&catalog).map_err(|e| e.to_string())?;
                    adapt::reset(&mut catalog, &algorithm).map_err(|e| e.to_string())
                }));
            }
            if let Some(adapting) = &self.adapting {
                let (step, steps) = (
                    adapting.step.load(Ordering::Relaxed),
                    adapting.steps.load(Ordering::Relaxed),
                );
                let fraction = if steps > 0 {
                    step as f32 / steps as f32
                } else {
                    0.0
                };
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .text(format!("training, step {step}/{steps}"))
                        .desired_width(220.0),
                );
                let cancelling = adapting.cancel.load(Ordering::Relaxed);
                if ui
                    .add_enabled(!cancelling, egui::Button::new("Cancel"))
                    .clicked()
                {
                    adapting.cancel.store(true, Ordering::Relaxed);
                }
            }
            if self.resetting.is_some() {
                ui.weak("Re-clustering…");
            }
        });
        match &self.adapted {
            Some(Ok(outcome)) => adapt_report(ui, outcome),
            Some(Err(err)) => {
                ui.colored_label(ui.visuals().error_fg_color, err);
            }
            None => {}
        }
    }

    fn device(&mut self, ui: &mut egui::Ui, prefs: &mut Prefs) {
        ui.label("Where the next scans run the networks:");
        let mut choice = prefs.device.unwrap_or_default();
        let before = choice;
        ui.radio_value(&mut choice, DeviceChoice::Auto, "Automatic")
            .on_hover_text("A GPU when one is built in and works, else the CPU");
        ui.radio_value(&mut choice, DeviceChoice::Cpu, "CPU");
        match &self.backends {
            None => {
                ui.weak("Looking for GPUs…");
            }
            Some(backends) => {
                for b in backends {
                    ui.horizontal(|ui| {
                        ui.add_enabled_ui(b.unavailable.is_none(), |ui| {
                            ui.radio_value(&mut choice, b.choice, b.name);
                        });
                        match (&b.unavailable, b.compiled) {
                            (None, _) => ui.weak("built in, available"),
                            (Some(_), false) => ui.weak("not built into this Kith"),
                            (Some(why), true) => ui.weak(format!("built in, not usable: {why}")),
                        };
                    });
                }
            }
        }
        if choice != before {
            prefs.device = Some(choice);
        }
        ui.add_enabled(
            choice != DeviceChoice::Cpu,
            egui::Checkbox::new(
                &mut prefs.half_on_gpu,
                "On a GPU, compute in half precision (f16)",
            ),
        )
        .on_hover_text(
            "Faster on a GPU; descriptors stay within 0.01 of f32. A CPU always computes in f32.",
        );
        ui.checkbox(
            &mut prefs.far_faces,
            "Also find people far off, with faces under ~80 px in a 12 MP photo",
        )
        .on_hover_text(
            "Searches each photo at 2048 px instead of 1024: photos with people take about a \
             fifth longer, photos without anyone about four times as long",
        );
        let libheif = crate::scan::heif::describe(self.libheif.as_ref());
        match &self.libheif {
            Some(s) if s.heic && s.avif => ui.weak(libheif),
            _ => ui.label(libheif),
        };
        let libraw = crate::scan::raw::describe(self.libraw.as_deref());
        match self.libraw {
            Some(_) => ui.weak(libraw),
            None => ui.label(libraw),
        };
    }
}

/// A heading and its contents, with space after.
fn section(ui: &mut egui::Ui, title: &str, contents: impl FnOnce(&mut egui::Ui)) {
    ui.heading(title);
    contents(ui);
    ui.add_space(8.0);
    ui.separator();
}

fn theme(ui: &mut egui::Ui, prefs: &mut Prefs) {
    ui.horizontal(|ui| {
        ui.radio_value(
            &mut prefs.theme,
            ThemePreference::System,
            "Follow the system",
        );
        ui.radio_value(&mut prefs.theme, ThemePreference::Light, "Light");
        ui.radio_value(&mut prefs.theme, ThemePreference::Dark, "Dark");
    });
}

fn start_adapting(egui_ctx: &egui::Context, catalog: &Path, tau: f32) -> Adapting {
    let step = Arc::new(AtomicUsize::new(0));
    let steps = Arc::new(AtomicUsize::new(0));
    let cancel = Arc::new(AtomicBool::new(false));
    let path = catalog.to_path_buf();
    let (worker_step, worker_steps, worker_cancel) = (step.clone(), steps.clone(), cancel.clone());
    let repaint = egui_ctx.clone();
    let task = Task::spawn(egui_ctx, move || {
        let mut catalog = Catalog::open(&path).map_err(|e| e.to_string())?;
        let algorithm = settings::load(&catalog).map_err(|e| e.to_string())?;
        adapt::run(
            &mut catalog,
            &algorithm,
            tau,
            &AdaptOptions::default(),
            false,
            &worker_cancel,
            &mut |p| {
                worker_step.store(p.step, Ordering::Relaxed);
                worker_steps.store(p.steps, Ordering::Relaxed);
                repaint.request_repaint();
            },
        )
        .map_err(|e| e.to_string())
    });
    Adapting {
        task,
        step,
        steps,
        cancel,
    }
}

/// The validation report of an adaptation, as `kith adapt` prints it.
fn adapt_report(ui: &mut egui::Ui, outcome: &AdaptOutcome) {
    let r = &outcome.report;
    ui.label(format!(
        "{} faces of {} people placed by you; trained on {}, checked on {} held-out faces and \
         {} faces of {} people held out as strangers ({:.1} s).",
        r.labelled_faces,
        r.persons,
        r.train_faces,
        r.held_out_faces,
        r.stranger_faces,
        r.stranger_persons,
        r.seconds
    ));
    egui::Grid::new("adapt_report")
        .striped(true)
        .num_columns(4)
        .show(ui, |ui| {
            for heading in ["check", "distances", "BCubed F", "accuracy at τ"] {
                ui.strong(heading);
            }
            ui.end_row();
            for (check, name, m) in r.rows() {
                if let Some(m) = m {
                    ui.label(check);
                    ui.label(name);
                    ui.label(format!("{:.4}", m.bcubed.f));
                    ui.label(format!("{:.4}", m.accuracy_at_tau));
                    ui.end_row();
                }
            }
        });
    ui.label(if r.accepted {
        "Kept: the adapted distances group your people better and nowhere worse."
    } else {
        "Not kept: the adapted distances were not better without being worse somewhere."
    });
}

/// The "Library" menu of the top bar: recent libraries to switch to, and opening another.
pub fn library_menu(ui: &mut egui::Ui, prefs: &Prefs, actions: &mut Vec<Action>) {
    // The library in use is first in the list (it was remembered when opened).
    for (i, path) in prefs.recent.iter().enumerate() {
        let here = i == 0;
        let label = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let button = ui
            .add_enabled(!here, egui::Button::new(label))
            .on_hover_text(path.display().to_string());
        if button.clicked() {
            actions.push(Action::OpenLibrary(path.clone()));
            ui.close();
        }
    }
    if !prefs.recent.is_empty() {
        ui.separator();
    }
    if pick_library_buttons(ui, actions) {
        ui.close();
    }
    if ui.button("Library settings…").clicked() {
        actions.push(Action::Show(crate::gui::View::Settings));
        ui.close();
    }
}

/// "Open library…" and "New library…" through the desktop's file dialogs; true if one was
/// clicked. Without a desktop portal the dialogs return None at once (the settings view has a
/// path field for that).
fn pick_library_buttons(ui: &mut egui::Ui, actions: &mut Vec<Action>) -> bool {
    let dialog = || {
        rfd::FileDialog::new()
            .add_filter("Kith library", &["sqlite"])
            .set_file_name("library.kith.sqlite")
    };
    let open = ui.button("Open library…").clicked();
    let create = ui.button("New library…").clicked();
    let chosen = if open {
        dialog().set_title("Open a Kith library").pick_file()
    } else if create {
        dialog().set_title("Create a Kith library").save_file()
    } else {
        return false;
    };
    actions.push(match chosen {
        Some(path) => Action::OpenLibrary(path),
        None => Action::Say(
            "No library chosen: type its path in Settings, under Library, and press Open library"
                .into(),
        ),
    });
    true
}
