//! Search: "Anna & Ben", "Anna -Ben", optionally taken within dates (a year, a month or a day
//! each); Enter runs the library's search and shows the matching photos as a grid of thumbnails
//! with their dates, each opening in the photo viewer. A bad query (unknown name, a date that is
//! not one) is shown inline. The people named so far are listed under the field, one click
//! each, so that what can be searched for is in sight. "No face found" lists the photos in
//! which the scans found nobody, to look through for faces to add by hand. The photos found can
//! be copied into a folder as an album (see [`crate::album`]), on a worker. The results are
//! found again whenever the view is read again, so that they stay true to the library: a scan's
//! placings add the photos they find after those shown, and a face moved away takes its photo out.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::album::{copy_into, AlbumReport};
use crate::catalog::{Catalog, CatalogError};
use crate::gui::app::{Action, View};
use crate::gui::desktop::{self, Handover};
use crate::gui::jobs::Task;
use crate::gui::views::photo::PhotoSource;
use crate::gui::views::{submitted, Order, ViewCtx};
use crate::people::search::{date_range, search, PhotoHit, Query, SearchError};

/// A thumbnail's square cell in points; its date goes under it.
const THUMB: f32 = 160.0;
const GAP: f32 = 8.0;
const DATE_LINE: f32 = 20.0;
/// Named people listed under the field at most; the rest are typed.
const NAMES_SHOWN: usize = 40;

#[derive(Default)]
pub struct SearchView {
    query: String,
    /// The capture-date bounds as typed: a year, a month or a day, or blank.
    from: String,
    to: String,
    results: Vec<PhotoHit>,
    error: Option<String>,
    /// The query the results belong to, so an empty result says what was searched.
    searched: Option<String>,
    /// What the results were found by, to find them again.
    sought: Option<Sought>,
    /// The people named so far (hidden ones too: they can still be searched for), by name.
    names: Vec<String>,
    /// How many photos have no face found.
    without_faces: usize,
    /// The album folder as typed.
    album_folder: String,
    /// The photos found being copied into an album.
    copying: Option<AlbumCopy>,
    /// What the last copy did, or why it could not.
    album_message: Option<String>,
    /// The folder the last copy went into, to open.
    album_done: Option<std::path::PathBuf>,
    /// Opening that folder in the desktop's file manager, and what went wrong doing so.
    handover: Handover,
}

impl SearchView {
    pub fn results(&self) -> &[PhotoHit] {
        &self.results
    }

    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Reads the names of the people named so far, and finds the results shown again, in
    /// `order`.
    pub fn reload(&mut self, catalog: &Catalog, order: Order) -> Result<(), CatalogError> {
        self.names = catalog
            .persons(true)?
            .into_iter()
            .filter_map(|p| p.name)
            .collect();
        self.names.sort_by_key(|n| n.to_lowercase());
        self.without_faces = catalog.count_photos_without_faces()?;
        if let Some(sought) = &self.sought {
            match sought.find(catalog) {
                Ok(mut hits) => {
                    order.apply(&mut hits, &self.results, |hit| hit.photo_id);
                    self.results = hits;
                    self.error = None;
                }
                // A name searched for may be gone: renamed, or merged into someone else.
                Err(err) => {
                    self.results.clear();
                    self.error = Some(err.to_string());
                }
            }
        }
        Ok(())
    }

    /// Runs the typed query against the catalog.
    pub fn run(&mut self, catalog: &Catalog) {
        self.run_query(catalog, Query::parse(&self.query));
    }

    /// Lists the photos without faces, within the dates typed.
    fn without_faces(&mut self, catalog: &Catalog) {
        let sought =
            date_range(&self.from, &self.to).map(|(from, to)| Sought::WithoutFaces { from, to });
        self.searched = Some("no face found".into());
        self.find(catalog, sought);
    }

    /// Runs `query` within the dates typed.
    fn run_query(&mut self, catalog: &Catalog, query: Result<Query, SearchError>) {
        let dated = query.and_then(|mut q| {
            (q.from, q.to) = date_range(&self.from, &self.to)?;
            Ok(q)
        });
        let when = match &dated {
            Ok(Query {
                from: Some(from),
                to: Some(to),
                ..
            }) => format!(", taken {from} to {to}"),
            Ok(Query {
                from: Some(from), ..
            }) => format!(", taken from {from} on"),
            Ok(Query { to: Some(to), .. }) => format!(", taken up to {to}"),
            _ => String::new(),
        };
        self.searched = Some(format!("{}{when}", self.query.trim()));
        self.find(catalog, dated.map(Sought::People));
    }

    /// Shows what `sought` finds, or why it cannot be found.
    fn find(&mut self, catalog: &Catalog, sought: Result<Sought, SearchError>) {
        self.sought = sought.as_ref().ok().cloned();
        self.show(sought.and_then(|sought| sought.find(catalog)));
    }

    /// "Copy to folder…": the photos found, copied into a folder picked or typed.
    fn album_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(result) = self.copying.as_ref().and_then(|copy| copy.task.poll()) {
            self.copying = None;
            self.album_message = Some(match result {
                Ok(report) => {
                    let summary = album_summary(&report);
                    self.album_done = Some(report.folder);
                    summary
                }
                Err(err) => err,
            });
        }
        if let Some(AlbumCopy {
            done, total, stop, ..
        }) = &self.copying
        {
            ui.label(format!(
                "Copying… {} of {total}",
                done.load(Ordering::Relaxed)
            ));
            if ui.button("Stop copying").clicked() {
                stop.store(true, Ordering::Relaxed);
            }
            return;
        }
        let mut chosen = None;
        if ui
            .button("Copy to folder…")
            .on_hover_text(
                "Copy these photos into a folder of their own, to share or print; the originals \
                 stay where they are",
            )
            .clicked()
        {
            // Without a desktop portal the picker returns None at once: the field remains.
            chosen = rfd::FileDialog::new()
                .set_title("Copy the photos found into")
                .pick_folder();
            if chosen.is_none() {
                self.album_message =
                    Some("No folder chosen: type its path in the field and press Copy".into());
            }
        }
        let typed = crate::gui::views::path_field(
            ui,
            &mut self.album_folder,
            "or a folder path",
            "Album folder",
            200.0,
            "Copy",
        );
        if let Some(folder) = chosen.or(typed) {
            let photos: Vec<_> = self.results.iter().map(|h| h.path.clone()).collect();
            let photos_count = photos.len();
            (self.album_message, self.album_done) = (None, None);
            let (done, stop) = (
                Arc::new(AtomicUsize::new(0)),
                Arc::new(AtomicBool::new(false)),
            );
            let (progress, stopped, repaint) = (done.clone(), stop.clone(), ui.ctx().clone());
            let task = Task::spawn(ui.ctx(), move || {
                copy_into(&photos, &folder, |n| {
                    progress.store(n, Ordering::Relaxed);
                    repaint.request_repaint();
                    !stopped.load(Ordering::Relaxed)
                })
                .map_err(|e| e.to_string())
            });
            self.copying = Some(AlbumCopy {
                task,
                done,
                total: photos_count,
                stop,
            });
        }
        if let Some(message) = &self.album_message {
            ui.label(message);
        }
        if let Some(folder) = &self.album_done {
            if ui.button("Open the folder").clicked() {
                self.handover.start(ui.ctx(), folder, desktop::open_file);
            }
            if let Some(failed) = self.handover.failed() {
                ui.label(failed);
            }
        }
    }

    /// Takes in the photos found, or why there are none.
    fn show(&mut self, outcome: Result<Vec<PhotoHit>, SearchError>) {
        // What was copied belongs to the photos found before.
        self.album_message = None;
        self.album_done = None;
        self.handover.forget();
        match outcome {
            Ok(hits) => {
                self.results = hits;
                self.error = None;
            }
            Err(err) => {
                self.results.clear();
                self.error = Some(err.to_string());
            }
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        ui.horizontal(|ui| {
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut self.query)
                        .hint_text("Anna & Ben -Carl")
                        .desired_width(320.0),
                )
                .accessible_name("Search people");
            ui.label("taken from");
            let from = date_field(ui, &mut self.from, "2019", "Taken from");
            ui.label("to");
            let to = date_field(ui, &mut self.to, "2019-06-30", "Taken up to");
            let entered = [&field, &from, &to].iter().any(|f| submitted(ui, f));
            if entered || ui.button("Find photos").clicked() {
                self.run(ctx.catalog);
            }
            ui.separator();
            if ui
                .button(format!("No face found ({})", self.without_faces))
                .on_hover_text(
                    "The photos in which no face was found: open one and use \"Add a face\" \
                     for anyone Kith missed",
                )
                .clicked()
            {
                self.without_faces(ctx.catalog);
            }
        });
        if let Some(name) = self.named_people(ui) {
            // The name as it is, not parsed: a name may hold "&" or " -".
            let query = Query {
                with: vec![name.clone()],
                ..Query::default()
            };
            self.query = name;
            self.run_query(ctx.catalog, Ok(query));
        }
        if let Some(err) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, err);
            return;
        }
        let Some(searched) = &self.searched else {
            ui.weak(
                "Names joined by & must all be in the photo; -Name leaves a person out. \
                 Dates are a year, a month (2019-06) or a day, and take in all of it.",
            );
            return;
        };
        let found = format!(
            "{} with {searched}",
            crate::wording::counted(self.results.len(), "photo")
        );
        ui.horizontal(|ui| {
            ui.label(found);
            if !self.results.is_empty() {
                ui.separator();
                self.album_ui(ui);
            }
        });
        ui.separator();
        let cell = THUMB + GAP;
        let columns = ((ui.available_width() / cell).floor() as usize).max(1);
        let rows = self.results.len().div_ceil(columns);
        let mut opened = None;
        // show_rows lays out only the visible rows: only their thumbnails are asked for.
        egui::ScrollArea::vertical().auto_shrink(false).show_rows(
            ui,
            THUMB + DATE_LINE + GAP,
            rows,
            |ui, range| {
                for row in range {
                    ui.horizontal_top(|ui| {
                        for hit in self.results.iter().skip(row * columns).take(columns) {
                            if photo_cell(ui, ctx, hit).clicked() {
                                opened = Some(hit.photo_id);
                            }
                        }
                    });
                }
            },
        );
        if let Some(photo) = opened {
            ctx.actions.push(Action::Show(View::Photo {
                photo,
                from: PhotoSource::Search,
            }));
        }
    }

    /// The named people as buttons; the one clicked, if any.
    fn named_people(&self, ui: &mut egui::Ui) -> Option<String> {
        if self.names.is_empty() {
            ui.weak("Nobody is named yet: name people in People, then find their photos here.");
            return None;
        }
        let mut chosen = None;
        ui.horizontal_wrapped(|ui| {
            ui.label("Named:");
            for name in self.names.iter().take(NAMES_SHOWN) {
                if ui.small_button(name).clicked() {
                    chosen = Some(name.clone());
                }
            }
            let more = self.names.len().saturating_sub(NAMES_SHOWN);
            if more > 0 {
                ui.weak(format!("and {more} more: type a name"));
            }
        });
        chosen
    }
}

/// The photos found being copied into an album, on a worker.
struct AlbumCopy {
    task: Task<AlbumReport>,
    /// How many are copied so far, of `total`.
    done: Arc<AtomicUsize>,
    total: usize,
    /// Set to stop before the next photo.
    stop: Arc<AtomicBool>,
}

/// What results were found by: a search for people, or the photos without faces, with the dates.
#[derive(Debug, Clone)]
enum Sought {
    People(Query),
    WithoutFaces {
        from: Option<String>,
        to: Option<String>,
    },
}

impl Sought {
    fn find(&self, catalog: &Catalog) -> Result<Vec<PhotoHit>, SearchError> {
        match self {
            Sought::People(query) => search(catalog, query),
            Sought::WithoutFaces { from, to } => {
                Ok(catalog.photos_without_faces(from.as_deref(), to.as_deref())?)
            }
        }
    }
}

/// A field for a date bound, labelled `name` for screen readers.
fn date_field(ui: &mut egui::Ui, text: &mut String, hint: &str, name: &str) -> egui::Response {
    ui.add(
        egui::TextEdit::singleline(text)
            .hint_text(hint)
            .desired_width(90.0),
    )
    .accessible_name(name)
}

/// One search result: its thumbnail (a placeholder until loaded) with its date under it.
fn photo_cell(ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>, hit: &PhotoHit) -> egui::Response {
    let name = hit
        .path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let date = hit
        .taken_at
        .as_deref()
        .map_or_else(|| "no date".to_string(), display_date);
    let texture = ctx
        .thumbs
        .photo(ui.ctx(), ctx.catalog, hit.photo_id, &hit.path);
    ui.vertical(|ui| {
        ui.set_width(THUMB);
        let (rect, response) =
            ui.allocate_exact_size(egui::vec2(THUMB, THUMB), egui::Sense::click());
        match &texture {
            Some(texture) => {
                // The whole photo, fitted into the square cell.
                let size = texture.size_vec2();
                let fit = (THUMB / size.x.max(1.0)).min(THUMB / size.y.max(1.0));
                let shown = egui::Rect::from_center_size(rect.center(), size * fit);
                let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
                ui.painter()
                    .image(texture.id(), shown, uv, egui::Color32::WHITE);
            }
            None => {
                ui.painter()
                    .rect_filled(rect, 4.0, ui.visuals().faint_bg_color);
            }
        }
        if response.hovered() {
            let stroke = egui::Stroke::new(2.0, ui.visuals().selection.stroke.color);
            ui.painter()
                .rect_stroke(rect, 4.0, stroke, egui::StrokeKind::Inside);
        }
        ui.add(egui::Label::new(egui::RichText::new(date.as_str()).small()).truncate());
        response
            .accessible_name(format!("{name}, {date}"))
            .on_hover_text(hit.path.display().to_string())
    })
    .inner
}

/// `YYYY-MM-DDTHH:MM:SS` (the catalog's EXIF date) as `YYYY-MM-DD HH:MM`.
fn display_date(taken_at: &str) -> String {
    let date = taken_at.get(..10).unwrap_or(taken_at);
    match taken_at.get(11..16) {
        Some(time) => format!("{date} {time}"),
        None => date.to_string(),
    }
}

/// "12 photos copied into /x (3 there already; 1 could not be: …)".
fn album_summary(report: &AlbumReport) -> String {
    let mut line = format!(
        "{} copied into {}",
        crate::wording::counted(report.copied.len(), "photo"),
        report.folder.display()
    );
    if report.already_there > 0 {
        line += &format!(", {} there already", report.already_there);
    }
    if report.stopped {
        line += "; stopped before the rest";
    }
    if let Some((photo, reason)) = report.failed.first() {
        line += &format!(
            "; {} could not be ({}: {reason})",
            report.failed.len(),
            photo.display()
        );
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::views::synthetic_catalog;

    fn found(view: &SearchView) -> Vec<i64> {
        view.results().iter().map(|hit| hit.photo_id).collect()
    }

    #[test]
    fn results_are_found_again_with_photos_placed_since_after_those_shown() {
        let (_dir, mut catalog, anna) = synthetic_catalog(400, 100);
        catalog.name_person(anna, "Anna").expect("name");
        let mut view = SearchView {
            query: "anna".into(),
            ..SearchView::default()
        };
        view.run(&catalog);
        let library = found(&view);
        assert!(library.len() > 10, "{library:?}");
        // As if shown in another order than the library's.
        view.results.reverse();
        let shown = found(&view);

        // A scan places a face of another photo with her, and she says a photo is not hers.
        let faces = catalog.faces().expect("faces");
        let placed = faces
            .iter()
            .find(|f| !shown.contains(&f.photo_id))
            .expect("a face of another photo");
        catalog
            .apply_clustering(&[(placed.id, Some(anna))], &[])
            .expect("placed");
        let first = shown[0];
        for face in faces.iter().filter(|f| f.photo_id == first) {
            catalog.ignore_face(face.id, true).expect("ignore");
        }

        view.reload(&catalog, Order::AsShown).expect("reload");
        assert_eq!(found(&view), [&shown[1..], &[placed.photo_id]].concat());
        // Read again in the library's order, all are in that order.
        view.reload(&catalog, Order::Library).expect("reload");
        let mut in_order: Vec<i64> = library.iter().copied().filter(|&p| p != first).collect();
        in_order.push(placed.photo_id);
        assert_eq!(found(&view), in_order);

        // Renamed, she is no longer found by the old name, and the view says so.
        catalog.name_person(anna, "Hanna").expect("rename");
        view.reload(&catalog, Order::Library).expect("reload");
        assert!(view.results().is_empty());
        assert!(
            view.error().is_some_and(|e| e.contains("anna")),
            "{:?}",
            view.error()
        );
        // Undone, she is found again.
        catalog.name_person(anna, "Anna").expect("rename");
        view.reload(&catalog, Order::Library).expect("reload");
        assert_eq!(found(&view), in_order);
        assert!(view.error().is_none());
    }
}
