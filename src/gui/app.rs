//! `KithApp`: the window's state (catalog, current view, background jobs, status line) and the one
//! place where the user's decisions are applied to the catalog. Drawing is in `views`.

use std::path::{Path, PathBuf};

use egui::{Key, Modifiers};

use crate::catalog::{Catalog, CatalogError};
use crate::gui::jobs::{FaceIndex, ScanJob, ScanPoll, ScanSetup, ScanTarget, SidecarKeeper, Task};
use crate::gui::prefs::Prefs;
use crate::gui::thumbs::Thumbnails;
use crate::gui::views::add_folder::AddFolder;
use crate::gui::views::merges::MergesView;
use crate::gui::views::people::PeopleView;
use crate::gui::views::person::PersonView;
use crate::gui::views::photo::{PhotoSource, PhotoView};
use crate::gui::views::picker::Recipient;
use crate::gui::views::problems::ProblemsView;
use crate::gui::views::review::ReviewView;
use crate::gui::views::search::SearchView;
use crate::gui::views::settings::{library_menu, SettingsView};
use crate::gui::views::ungrouped::UngroupedView;
use crate::gui::views::welcome::WelcomeView;
use crate::gui::views::{Order, ViewCtx};
use crate::photo_thumbnails::ThumbnailCache;
use crate::vision::DeviceChoice;
use crate::wording::counted;

/// About the width of "Add folder…", the path field and its Scan button (or of a scan's
/// progress bar and Cancel): less room than this left in the top bar starts a second row.
const FOLDER_GROUP_WIDTH: f32 = 400.0;

/// The screen shown in the central area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum View {
    People,
    Person(i64),
    /// The faces with nobody.
    Ungrouped,
    Search,
    Merges,
    Problems,
    Review,
    Photo {
        photo: i64,
        from: PhotoSource,
    },
    Settings,
}

/// Something the user asked for; views produce these, [`KithApp::apply`] carries them out.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Show(View),
    Rename {
        person: i64,
        name: String,
    },
    Merge {
        target: i64,
        others: Vec<i64>,
    },
    /// A merge suggestion answered "different people".
    Distinct(i64, i64),
    NotThisPerson(Vec<i64>),
    MoveFaces {
        faces: Vec<i64>,
        to: Recipient,
    },
    Split(Vec<i64>),
    Ignore(Vec<i64>),
    Hide {
        person: i64,
        hidden: bool,
    },
    SetCover {
        person: i64,
        face: i64,
    },
    /// "This face is that person": the review queue's yes.
    Confirm {
        face: i64,
        person: i64,
    },
    /// "This face is not that person": the review queue's no.
    Reject {
        face: i64,
        person: i64,
    },
    /// The review, asking about the faces that may be this person, many at once.
    ReviewPerson(i64),
    /// "Which of these faces are that person?", answered for many faces at once.
    Answer {
        person: i64,
        yes: Vec<i64>,
        no: Vec<i64>,
    },
    /// Make the box drawn on a photo (x, y, w, h in its pixels) a face.
    DrawFace {
        photo: i64,
        bbox: [f32; 4],
    },
    /// Take away a face the user drew.
    RemoveDrawnFace(i64),
    Undo,
    Redo,
    StartScan(ScanTarget),
    CancelScan,
    /// Forget a library folder and its photos (the files stay).
    RemoveFolder(PathBuf),
    /// Switch to (or create) the library at this catalog path.
    OpenLibrary(PathBuf),
    /// A worker changed the catalog: show this and read it again.
    Changed(String),
    /// Show this in the status line; nothing changed.
    Say(String),
}

pub struct KithApp {
    catalog: Catalog,
    tau: f32,
    models: Option<PathBuf>,
    device: DeviceChoice,
    view: View,
    people: PeopleView,
    person: PersonView,
    ungrouped: UngroupedView,
    search: SearchView,
    merges: MergesView,
    problems: ProblemsView,
    review: ReviewView,
    photo: PhotoView,
    settings: SettingsView,
    welcome: WelcomeView,
    /// The library has no folders and no photos yet: the people view welcomes instead.
    first_run: bool,
    prefs: Prefs,
    /// The theme last handed to egui, to set it only when it changes.
    applied_theme: Option<egui::ThemePreference>,
    thumbs: Thumbnails,
    faces: FaceIndex,
    scan: Option<ScanJob>,
    /// Scans asked for while another ran: each starts when the one before it ends.
    scans_waiting: Vec<ScanTarget>,
    sidecar_keeper: SidecarKeeper,
    /// A face being made from the box the user drew: its id and a line for the status bar.
    drawing: Option<Task<(i64, String)>>,
    /// The top bar's folder path: the fallback when no folder picker is available.
    folder_input: AddFolder,
    status: String,
}

impl KithApp {
    /// An app on `catalog`; `tau` is the same-person threshold. Needs no window, for tests.
    pub fn new(catalog: Catalog, tau: f32) -> Self {
        let mut app = Self {
            catalog,
            tau,
            models: None,
            device: DeviceChoice::default(),
            view: View::People,
            people: PeopleView::default(),
            person: PersonView::default(),
            ungrouped: UngroupedView::default(),
            search: SearchView::default(),
            merges: MergesView::default(),
            problems: ProblemsView::default(),
            review: ReviewView::default(),
            photo: PhotoView::default(),
            settings: SettingsView::default(),
            welcome: WelcomeView::default(),
            first_run: false,
            prefs: Prefs::default(),
            applied_theme: None,
            thumbs: Thumbnails::default(),
            faces: FaceIndex::Stale,
            scan: None,
            scans_waiting: Vec::new(),
            sidecar_keeper: SidecarKeeper::default(),
            drawing: None,
            folder_input: AddFolder::compact(),
            status: String::new(),
        };
        app.catalog_changed();
        app
    }

    /// Where scans find the models and on which device they run.
    pub fn with_scanner(mut self, models: Option<PathBuf>, device: DeviceChoice) -> Self {
        self.models = models;
        self.device = device;
        self
    }

    /// The remembered preferences: shows their last view, and lists this library first among
    /// the recent ones.
    pub fn with_prefs(mut self, prefs: Prefs) -> Self {
        self.prefs = prefs;
        self.prefs.remember_library(self.catalog.path());
        if self.prefs.view != self.view {
            self.view = self.prefs.view;
            self.reload();
        }
        self
    }

    /// Keeps photo thumbnails in `cache` instead of the platform's cache directory.
    pub fn with_photo_cache(mut self, cache: ThumbnailCache) -> Self {
        self.thumbs.set_photo_cache(cache);
        self
    }

    pub fn prefs(&self) -> &Prefs {
        &self.prefs
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn view(&self) -> View {
        self.view
    }

    /// Whether the welcome screen stands in for the people view (a library with no photos yet).
    pub fn is_first_run(&self) -> bool {
        self.first_run
    }

    /// The status line: the outcome of the last action.
    pub fn status(&self) -> &str {
        &self.status
    }

    pub fn search_view(&self) -> &SearchView {
        &self.search
    }

    pub fn review_view(&self) -> &ReviewView {
        &self.review
    }

    pub fn photo_view(&self) -> &PhotoView {
        &self.photo
    }

    pub fn person_view(&self) -> &PersonView {
        &self.person
    }

    pub fn is_scanning(&self) -> bool {
        self.scan.is_some()
    }

    /// Whether work started by the window is still under way (scan, a person's faces, face index,
    /// thumbnails, merge suggestions, settings jobs): what a benchmark waits for before it
    /// measures.
    pub fn is_busy(&self) -> bool {
        self.scan.is_some()
            || (matches!(self.view, View::Person(_)) && self.person.is_loading())
            || (self.view == View::Ungrouped && self.ungrouped.is_loading())
            || matches!(self.faces, FaceIndex::Loading(_))
            || self.thumbs.pending() > 0
            || self.merges.is_busy()
            || self.settings.is_busy()
            || self.sidecar_keeper.is_running()
            || self.drawing.is_some()
    }

    /// Draws the whole window into `ui` and applies what the user did.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        self.poll_jobs(ui.ctx());
        if self.applied_theme != Some(self.prefs.theme) {
            ui.ctx().set_theme(self.prefs.theme);
            self.applied_theme = Some(self.prefs.theme);
        }
        let mut actions = Vec::new();
        self.settings.poll(&mut actions);
        self.shortcuts(ui, &mut actions);
        self.dropped_folders(ui, &mut actions);

        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar(ui, &mut actions));
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            ui.label(if self.status.is_empty() {
                " "
            } else {
                &self.status
            });
        });
        egui::CentralPanel::default().show(ui, |ui| {
            if matches!(self.view, View::Person(_) | View::Ungrouped | View::Merges)
                && matches!(self.faces, FaceIndex::Stale)
            {
                self.faces = FaceIndex::load(
                    ui.ctx().clone(),
                    self.catalog.path().to_path_buf(),
                    self.tau,
                );
            }
            let questions = self.review.shared_questions();
            let mut ctx = ViewCtx {
                catalog: &self.catalog,
                thumbs: &mut self.thumbs,
                faces: &self.faces,
                tau: self.tau,
                questions: &questions,
                actions: &mut actions,
            };
            match self.view {
                View::People if self.first_run => {
                    let scanning = self.scan.is_some();
                    self.welcome.ui(ui, &mut ctx, &self.prefs.recent, scanning)
                }
                View::People => self.people.ui(ui, &mut ctx),
                View::Person(_) => self.person.ui(ui, &mut ctx),
                View::Ungrouped => self.ungrouped.ui(ui, &mut ctx),
                View::Search => self.search.ui(ui, &mut ctx),
                View::Merges => self.merges.ui(ui, &mut ctx),
                View::Problems => self.problems.ui(ui),
                View::Review => self.review.ui(ui, &mut ctx),
                View::Photo { .. } => self.photo.ui(ui, &mut ctx),
                View::Settings => self.settings.ui(ui, &mut ctx, &mut self.prefs),
            }
        });

        for action in actions {
            self.apply(action, ui.ctx());
        }
    }

    /// Folders dragged from the desktop onto the window are added and scanned, one after another,
    /// as "Add folder…" adds them. While they hover, the window says what dropping them does.
    fn dropped_folders(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let (dropped, hovering) = ui.input(|i| {
            let dropped: Vec<PathBuf> = i
                .raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect();
            (dropped, !i.raw.hovered_files.is_empty())
        });
        for path in dropped {
            if path.is_dir() {
                actions.push(Action::StartScan(ScanTarget::Folder(path)));
            } else {
                self.status = format!(
                    "{} is a file: drop the folder that holds it to add its photos",
                    path.display()
                );
            }
        }
        if hovering {
            let painter = ui.ctx().layer_painter(egui::LayerId::new(
                egui::Order::Foreground,
                egui::Id::unique("dropping folders"),
            ));
            let screen = ui.ctx().content_rect();
            painter.rect_filled(screen, 0.0, egui::Color32::from_black_alpha(180));
            painter.text(
                screen.center(),
                egui::Align2::CENTER_CENTER,
                "Drop folders to add their photos to the library",
                egui::FontId::proportional(24.0),
                egui::Color32::WHITE,
            );
        }
    }

    /// Ctrl+Z / Ctrl+Shift+Z, unless a text field is taking the keys (it has its own undo).
    fn shortcuts(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        if ui.ctx().egui_wants_keyboard_input() {
            return;
        }
        ui.input_mut(|i| {
            if i.consume_key(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z) {
                actions.push(Action::Redo);
            } else if i.consume_key(Modifiers::COMMAND, Key::Z) {
                actions.push(Action::Undo);
            }
        });
    }

    fn top_bar(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        // Wrapped: in a narrow window (or with the "Unreadable files" tab) the folder field and
        // its Scan button go to a second row instead of off the edge.
        ui.horizontal_wrapped(|ui| {
            let on_people = matches!(self.view, View::People | View::Person(_) | View::Ungrouped);
            if ui.selectable_label(on_people, "People").clicked() {
                actions.push(Action::Show(View::People));
            }
            if ui
                .selectable_label(self.view == View::Search, "Search")
                .clicked()
            {
                actions.push(Action::Show(View::Search));
            }
            if ui
                .selectable_label(self.view == View::Merges, "Suggested merges")
                .clicked()
            {
                actions.push(Action::Show(View::Merges));
            }
            let review = format!("Review ({})", self.review.questions().len());
            if ui
                .selectable_label(self.view == View::Review, review)
                .on_hover_text("Faces near a named person, one question at a time")
                .clicked()
            {
                actions.push(Action::Show(View::Review));
            }
            let problems = self.problems.count();
            if problems > 0
                && ui
                    .selectable_label(
                        self.view == View::Problems,
                        format!("Unreadable files ({problems})"),
                    )
                    .clicked()
            {
                actions.push(Action::Show(View::Problems));
            }
            if ui
                .selectable_label(self.view == View::Settings, "Settings")
                .clicked()
            {
                actions.push(Action::Show(View::Settings));
            }
            ui.menu_button("Library", |ui| library_menu(ui, &self.prefs, actions));
            ui.separator();
            if ui.button("Undo").on_hover_text("Ctrl+Z").clicked() {
                actions.push(Action::Undo);
            }
            if ui.button("Redo").on_hover_text("Ctrl+Shift+Z").clicked() {
                actions.push(Action::Redo);
            }
            // The folder field and its button, or the scan's progress, wrap as one group.
            if ui.available_size_before_wrap().x < FOLDER_GROUP_WIDTH {
                ui.end_row();
            } else {
                ui.separator();
            }
            match &self.scan {
                Some(job) => scan_progress(ui, job, actions),
                None => self.add_folder(ui, actions),
            }
        });
    }

    fn add_folder(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        self.folder_input
            .pick(ui, egui::Button::new("Add folder…"), actions);
        self.folder_input.typed(ui, actions);
    }

    fn poll_jobs(&mut self, ctx: &egui::Context) {
        self.faces.poll();
        self.review.poll(ctx, self.catalog.path(), self.tau);
        self.thumbs.poll();
        let idle = self.scan.is_none();
        if let Some(line) = self.sidecar_keeper.poll(ctx, &self.catalog, idle) {
            self.status = line;
        }
        if let Some(result) = self.drawing.as_ref().and_then(Task::poll) {
            self.drawing = None;
            match result {
                Ok((face, line)) => {
                    self.status = line;
                    self.catalog_changed();
                    self.photo.select(face);
                }
                Err(err) => self.status = format!("Could not add the face: {err}"),
            }
        }
        let Some(job) = &mut self.scan else { return };
        let result = match job.poll() {
            ScanPoll::Running { placed: true } => {
                // People found so far, shown while the scan goes on, where nothing moves under
                // the pointer: the user did not ask for the change.
                self.catalog_changed_as(Order::AsShown);
                return;
            }
            ScanPoll::Running { placed: false } => return,
            ScanPoll::Finished(result) => result,
        };
        self.status = match result {
            Ok(summary) => format!("Scan of {}: {summary}", job.target),
            Err(err) => format!("Scan of {} failed: {err}", job.target),
        };
        self.scan = None;
        if !self.scans_waiting.is_empty() {
            let next = self.scans_waiting.remove(0);
            self.status = format!("{}. Scanning {next}", self.status);
            self.launch_scan(next, ctx);
        }
        // The people placed again at the end: those shown stay where they are.
        self.catalog_changed_as(Order::AsShown);
        ctx.request_repaint();
    }

    /// Carries out `action`; changes are written to the catalog at once.
    pub fn apply(&mut self, action: Action, ctx: &egui::Context) {
        let outcome: Result<Option<String>, CatalogError> = match action {
            Action::Show(view) => {
                if let View::Photo { from, .. } = view {
                    if !matches!(self.view, View::Photo { .. }) {
                        let shown = self.photos_shown(from);
                        self.photo.opened_from(from, shown);
                    }
                }
                self.view = view;
                self.reload();
                return;
            }
            Action::ReviewPerson(person) => {
                self.review.focus_on(person);
                self.view = View::Review;
                self.reload();
                return;
            }
            Action::StartScan(target) => {
                self.start_scan(target, ctx);
                return;
            }
            Action::OpenLibrary(path) => {
                self.open_library(&path, ctx);
                return;
            }
            Action::Changed(message) => Ok(Some(message)),
            Action::Say(message) => {
                self.status = message;
                return;
            }
            Action::DrawFace { photo, bbox } => {
                self.start_drawing(photo, bbox, ctx);
                return;
            }
            Action::RemoveDrawnFace(face) => self
                .catalog
                .remove_drawn_face(face)
                .map(|()| Some(format!("Face {face} taken away"))),
            Action::RemoveFolder(folder) => {
                // Face ids of the forgotten photos may be given to new faces later.
                self.thumbs.clear();
                crate::people::copies::forget_folder(&mut self.catalog, &folder).map(|n| {
                    Some(format!(
                        "Forgot {} and its {n} photos (the files are untouched)",
                        folder.display()
                    ))
                })
            }
            Action::CancelScan => {
                if let Some(job) = &self.scan {
                    job.cancel();
                }
                self.scans_waiting.clear();
                return;
            }
            Action::Rename { person, name } => self
                .catalog
                .name_person(person, &name)
                .map(|()| Some(format!("Named {name}"))),
            Action::Merge { target, others } => {
                let n = others.len() + 1;
                self.catalog
                    .merge_persons(target, &others)
                    .map(|()| Some(format!("Merged {n} people")))
            }
            Action::Distinct(a, b) => self
                .catalog
                .mark_distinct(a, b)
                .map(|()| Some("Noted: different people".to_string())),
            Action::NotThisPerson(faces) => faces
                .iter()
                .try_for_each(|f| self.catalog.not_this_person(*f))
                .map(|()| Some(format!("{} taken out", counted(faces.len(), "face")))),
            Action::MoveFaces {
                faces,
                to: Recipient::Person(to),
            } => faces
                .iter()
                .try_for_each(|f| self.catalog.move_face(*f, to))
                .map(|()| Some(format!("{} moved", counted(faces.len(), "face")))),
            Action::MoveFaces {
                faces,
                to: Recipient::NewPerson(name),
            } => self
                .catalog
                .split_faces(&faces, Some(&name))
                .map(|_| Some(format!("{} given to {name}", counted(faces.len(), "face")))),
            Action::Split(faces) => self.catalog.split_faces(&faces, None).map(|id| {
                let faces = counted(faces.len(), "face");
                Some(format!("{faces} split into person #{id}"))
            }),
            Action::Ignore(faces) => faces
                .iter()
                .try_for_each(|f| self.catalog.ignore_face(*f, true))
                .map(|()| Some(format!("{} ignored", counted(faces.len(), "face")))),
            Action::Hide { person, hidden } => self.catalog.hide_person(person, hidden).map(|()| {
                Some(
                    if hidden {
                        "Person hidden"
                    } else {
                        "Person shown again"
                    }
                    .to_string(),
                )
            }),
            Action::SetCover { person, face } => self
                .catalog
                .set_cover(person, face)
                .map(|()| Some("Cover face set".to_string())),
            Action::Confirm { face, person } => self
                .catalog
                .confirm_face(face, person)
                .map(|()| Some(format!("Face {face} confirmed"))),
            Action::Reject { face, person } => self
                .catalog
                .reject_person(face, person)
                .map(|()| Some(format!("Noted: face {face} is someone else"))),
            Action::Answer { person, yes, no } => {
                self.catalog.answer_about(person, &yes, &no).map(|()| {
                    let (yes, no) = (counted(yes.len(), "face"), no.len());
                    Some(format!("Noted: {yes} confirmed, {no} ruled out"))
                })
            }
            Action::Undo => self.catalog.undo().map(|done| {
                Some(done.map_or_else(|| "Nothing to undo".into(), |d| format!("Undone: {d}")))
            }),
            Action::Redo => self.catalog.redo().map(|done| {
                Some(done.map_or_else(|| "Nothing to redo".into(), |d| format!("Redone: {d}")))
            }),
        };
        match outcome {
            Ok(message) => {
                if let Some(message) = message {
                    self.status = message;
                }
            }
            Err(err) => {
                tracing::warn!(%err, "action failed");
                self.status = format!("Could not do that: {err}");
            }
        }
        // Whatever happened (even a partial failure), show the catalog as it now is.
        self.catalog_changed();
    }

    /// After a decision: see [`Self::catalog_changed_as`].
    fn catalog_changed(&mut self) {
        self.catalog_changed_as(Order::Library);
    }

    /// After a decision or a scan: the face index is out of date, the review queue (counted in the
    /// top bar whatever is shown) re-ranks, and the view is read again, in `order`.
    fn catalog_changed_as(&mut self, order: Order) {
        self.faces = FaceIndex::Stale;
        self.sidecar_keeper.want();
        let empty = self
            .catalog
            .folders()
            .and_then(|folders| Ok(folders.is_empty() && !self.catalog.has_photos()?));
        self.first_run = empty.unwrap_or_else(|err| {
            tracing::warn!(%err, "cannot read the library's folders");
            false
        });
        if let Err(err) = self.review.reload(&self.catalog) {
            tracing::warn!(%err, "cannot read the review queue");
        }
        self.reload_in(order);
    }

    /// Starts making a face of the box drawn on `photo`, on a worker: the networks are loaded
    /// and the photo decoded again.
    fn start_drawing(&mut self, photo: i64, bbox: [f32; 4], ctx: &egui::Context) {
        if self.drawing.is_some() {
            self.status = "Wait for the face drawn before to be added".into();
            return;
        }
        self.status = "Looking at the face drawn…".into();
        let catalog_path = self.catalog.path().to_path_buf();
        let models = self.models.clone();
        self.drawing = Some(Task::spawn(ctx, move || {
            crate::gui::jobs::draw_face(&catalog_path, models.as_deref(), photo, bbox)
                .map_err(|err| crate::wording::error_line(err.as_ref()))
        }));
    }

    /// Starts scanning `target` in the background, or once the scans before it have ended.
    fn start_scan(&mut self, target: ScanTarget, ctx: &egui::Context) {
        let Some(running) = &self.scan else {
            self.status = format!("Scanning {target}");
            self.launch_scan(target, ctx);
            return;
        };
        if running.target != target && !self.scans_waiting.contains(&target) {
            self.status = format!(
                "{target} will be scanned when the scan of {} ends",
                running.target
            );
            self.scans_waiting.push(target);
        }
    }

    fn launch_scan(&mut self, target: ScanTarget, ctx: &egui::Context) {
        let setup = ScanSetup {
            models: self.models.clone(),
            device: self.prefs.device.unwrap_or(self.device),
            detect_long_side: self.prefs.detect_long_side(),
            half_on_gpu: self.prefs.half_on_gpu,
        };
        self.scan = Some(ScanJob::start(
            ctx.clone(),
            self.catalog.path().to_path_buf(),
            target,
            setup,
        ));
    }

    /// What opening a library does besides showing it: where the preferences ask for it, a scan
    /// of its folders for the photos added, changed or removed since it was last open.
    pub fn opened(&mut self, ctx: &egui::Context) {
        let has_folders = self.catalog.folders().is_ok_and(|f| !f.is_empty());
        if self.prefs.scan_on_open && has_folders {
            self.start_scan(ScanTarget::Library, ctx);
        }
    }

    /// Replaces the library with the one at `path` (created if new), starting afresh on it.
    fn open_library(&mut self, path: &Path, ctx: &egui::Context) {
        if self.scan.is_some() {
            self.status = "Wait for the scan to finish (or cancel it) before switching".into();
            return;
        }
        match Catalog::open(path) {
            Ok(catalog) => {
                let mut prefs = std::mem::take(&mut self.prefs);
                prefs.view = View::People;
                *self = Self::new(catalog, self.tau)
                    .with_scanner(self.models.take(), self.device)
                    .with_prefs(prefs);
                self.opened(ctx);
                self.status = format!("Opened {}", path.display());
            }
            Err(err) => self.status = format!("Cannot open {}: {err}", path.display()),
        }
    }

    /// The photos the view `from` shows, in the order shown there.
    fn photos_shown(&self, from: PhotoSource) -> Vec<i64> {
        match from {
            PhotoSource::Person(person) => self.person.photos_shown(person),
            PhotoSource::Ungrouped => self.ungrouped.photos_shown(),
            PhotoSource::Search => self.search.results().iter().map(|h| h.photo_id).collect(),
            PhotoSource::Review => Vec::new(),
        }
    }

    /// The scan errors, counted in the top bar whatever is shown.
    fn reload_problems(&mut self) {
        if let Err(err) = self.problems.reload(&self.catalog) {
            tracing::warn!(%err, "cannot read the scan errors");
        }
    }

    /// Re-reads what the current view shows, in the library's order.
    fn reload(&mut self) {
        self.reload_in(Order::Library);
    }

    /// Re-reads what the current view shows, its people or faces in `order`.
    fn reload_in(&mut self, order: Order) {
        self.reload_problems();
        let shown = match self.view {
            View::Search => self
                .search
                .reload(&self.catalog, order)
                .and_then(|()| self.people.reload(&self.catalog, order))
                .map(|()| true),
            View::People | View::Merges | View::Problems | View::Review => {
                self.people.reload(&self.catalog, order).map(|()| true)
            }
            View::Person(id) => self.person.load(&self.catalog, id, order),
            View::Ungrouped => self.ungrouped.load(&self.catalog, order).map(|()| true),
            View::Settings => self.settings.reload(&self.catalog).map(|()| true),
            View::Photo { photo, from } => self.photo.load(&self.catalog, photo, from),
        };
        let result = match shown {
            Ok(true) => Ok(()),
            // Merged away, emptied or gone: back to everyone.
            Ok(false) => {
                self.view = View::People;
                self.people.reload(&self.catalog, Order::Library)
            }
            Err(err) => Err(err),
        };
        if let Err(err) = result {
            tracing::warn!(%err, "cannot read the catalog");
            self.status = format!("Cannot read the catalog: {err}");
        }
    }
}

fn scan_progress(ui: &mut egui::Ui, job: &ScanJob, actions: &mut Vec<Action>) {
    let text = match (job.total, job.time_left()) {
        (Some(total), Some(left)) => format!(
            "{}/{} photos, {} faces, {}",
            job.done,
            total,
            job.faces,
            about(left)
        ),
        (Some(total), None) => format!("{}/{} photos, {} faces", job.done, total, job.faces),
        (None, _) => "Looking for photos…".to_string(),
    };
    let fraction = match job.total {
        Some(total) if total > 0 => job.done as f32 / total as f32,
        _ => 0.0,
    };
    ui.add(
        egui::ProgressBar::new(fraction)
            .text(text)
            .desired_width(260.0),
    );
    let label = if job.is_cancelling() {
        "Cancelling…"
    } else {
        "Cancel"
    };
    if ui
        .add_enabled(!job.is_cancelling(), egui::Button::new(label))
        .clicked()
    {
        actions.push(Action::CancelScan);
    }
}

/// "about 40 s left", "about 12 min left", "about 1 h 20 min left": rounded as a person would.
fn about(left: std::time::Duration) -> String {
    let seconds = left.as_secs();
    match seconds {
        0..60 => format!("about {} s left", (seconds / 10 * 10).max(10)),
        60..3600 => format!("about {} min left", seconds.div_ceil(60)),
        _ => {
            let minutes = seconds.div_ceil(60);
            format!("about {} h {} min left", minutes / 60, minutes % 60)
        }
    }
}

impl eframe::App for KithApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.prefs.view = self.view;
        self.prefs.save(storage);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn time_left_is_said_as_a_person_would() {
        let said = |s: u64| about(Duration::from_secs(s));
        assert_eq!(said(4), "about 10 s left");
        assert_eq!(said(47), "about 40 s left");
        assert_eq!(said(61), "about 2 min left");
        assert_eq!(said(600), "about 10 min left");
        assert_eq!(said(4_800), "about 1 h 20 min left");
    }
}
