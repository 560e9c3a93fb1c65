//! A grid of faces read on a worker, with a selection: a person's faces, or the faces with
//! nobody. Thousands of faces stay smooth, since only the rows in view are laid out, and a set
//! opened after another never shows the first one's faces. Also what goes with such a grid
//! wherever it is shown: the buttons that act on the selection, and the distances panel.

use std::collections::HashSet;

use crate::catalog::{Catalog, CatalogError, FaceRow};
use crate::gui::app::{Action, View};
use crate::gui::jobs::Task;
use crate::gui::thumbs::face_button;
use crate::gui::views::neighbours::{pair_ui, NeighboursPanel};
use crate::gui::views::photo::PhotoSource;
use crate::gui::views::{click_modifiers, toggle, Order, ViewCtx};

/// Which faces a grid shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceSet {
    Person(i64),
    /// The faces in no person (see [`Catalog::ungrouped_faces`]).
    Ungrouped,
}

impl FaceSet {
    fn read(self, catalog: &Catalog) -> Result<Vec<FaceRow>, CatalogError> {
        match self {
            FaceSet::Person(id) => catalog.faces_of_person(id),
            FaceSet::Ungrouped => catalog.ungrouped_faces(),
        }
    }

    /// Where the photo viewer steps, and goes back to, from a face of this set.
    fn photo_source(self) -> PhotoSource {
        match self {
            FaceSet::Person(id) => PhotoSource::Person(id),
            FaceSet::Ungrouped => PhotoSource::Ungrouped,
        }
    }
}

#[derive(Default)]
pub struct FaceGrid {
    set: Option<FaceSet>,
    /// The faces last read for `set` (still those of the previous read while a new one runs).
    faces: Vec<FaceRow>,
    /// A read `load` asked for, and how to order what it reads: the next frame starts the worker.
    wanted: Option<Order>,
    /// The worker reading the faces. Replacing it drops its result unread.
    reading: Option<(FaceSet, Order, Task<Vec<FaceRow>>)>,
    /// Selected face ids in click order.
    selected: Vec<i64>,
    neighbours: NeighboursPanel,
}

impl FaceGrid {
    /// Reads `set`'s faces again from the next frame on. Another set than the one shown starts
    /// empty, with nothing selected; the same set keeps its faces until the read ends.
    pub fn load(&mut self, set: FaceSet, order: Order) {
        if self.set != Some(set) {
            self.selected.clear();
            self.faces.clear();
        }
        self.set = Some(set);
        self.wanted = Some(order);
        self.reading = None;
        // Who the neighbours are may have changed with whatever made the set be read again.
        self.neighbours.clear();
    }

    /// Whether the faces are still being read.
    pub fn is_loading(&self) -> bool {
        self.wanted.is_some() || self.reading.is_some()
    }

    /// The selected faces, in the order they were clicked.
    pub fn selected(&self) -> &[i64] {
        &self.selected
    }

    /// The photos of the faces shown for `set`, in the grid's order, each once.
    pub fn photos_shown(&self, set: FaceSet) -> Vec<i64> {
        if self.set != Some(set) {
            return Vec::new();
        }
        let mut seen = HashSet::new();
        self.faces
            .iter()
            .map(|f| f.photo_id)
            .filter(|&p| seen.insert(p))
            .collect()
    }

    /// The photo of face `face`, if it is in the grid.
    pub fn photo_of(&self, face: i64) -> Option<i64> {
        self.faces.iter().find(|f| f.id == face).map(|f| f.photo_id)
    }

    /// A plain click selects just this face (or clears it); ctrl-click adds or removes it;
    /// shift-click adds the run of faces from the one clicked before to this one.
    pub fn click(&mut self, face: i64, keys: egui::Modifiers) {
        if keys.shift {
            self.select_run_to(face);
        } else if keys.command || keys.ctrl {
            toggle(&mut self.selected, face);
        } else if self.selected == [face] {
            self.selected.clear();
        } else {
            self.selected = vec![face];
        }
    }

    /// Adds the faces from the last one selected to `face`, in the grid's order, `face` last,
    /// so that the next run starts from it.
    fn select_run_to(&mut self, face: i64) {
        let position = |id: i64| self.faces.iter().position(|f| f.id == id);
        let from = self.selected.last().and_then(|&last| position(last));
        let (Some(from), Some(to)) = (from, position(face)) else {
            self.selected = vec![face];
            return;
        };
        let mut chosen: HashSet<i64> = self.selected.iter().copied().collect();
        let run = &self.faces[from.min(to)..=from.max(to)];
        for f in run.iter().filter(|f| f.id != face) {
            if chosen.insert(f.id) {
                self.selected.push(f.id);
            }
        }
        self.selected.retain(|&f| f != face);
        self.selected.push(face);
    }

    /// Starts the read `load` asked for, and takes in its faces once they are read.
    fn poll(&mut self, egui_ctx: &egui::Context, catalog: &Catalog) {
        let Some(set) = self.set else { return };
        if let Some(order) = self.wanted.take() {
            let path = catalog.path().to_path_buf();
            let task = Task::spawn(egui_ctx, move || {
                Catalog::open(&path)
                    .and_then(|catalog| set.read(&catalog))
                    .map_err(|err| err.to_string())
            });
            self.reading = Some((set, order, task));
        }
        let Some((read, order, task)) = &self.reading else {
            return;
        };
        let Some(result) = task.poll() else { return };
        let (read, order) = (*read, *order);
        self.reading = None;
        if read != set {
            return;
        }
        match result {
            Ok(mut faces) => {
                order.apply(&mut faces, &self.faces, |f| f.id);
                self.faces = faces;
                let faces = &self.faces;
                self.selected
                    .retain(|f| faces.iter().any(|face| face.id == *f));
            }
            Err(err) => tracing::warn!(%err, ?set, "cannot read the faces"),
        }
    }

    /// Draws the faces, `thumb` points square; a double-click opens a face's photo.
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>, thumb: f32) {
        self.poll(ui.ctx(), ctx.catalog);
        if self.faces.is_empty() && self.is_loading() {
            // Static text, not a spinner: the worker wakes the UI when the faces are read.
            ui.weak("Loading…");
            return;
        }
        let cell = thumb + 8.0;
        let columns = ((ui.available_width() / cell).floor() as usize).max(1);
        let rows = self.faces.len().div_ceil(columns);
        let mut clicked = None;
        let mut opened = None;
        egui::ScrollArea::vertical()
            .auto_shrink(false)
            .show_rows(ui, cell, rows, |ui, range| {
                for row in range {
                    ui.horizontal(|ui| {
                        for face in self.faces.iter().skip(row * columns).take(columns) {
                            let texture = ctx.thumbs.get(ui.ctx(), ctx.catalog, face.id);
                            let selected = self.selected.contains(&face.id);
                            let response = face_button(
                                ui,
                                texture.as_ref(),
                                thumb,
                                selected,
                                &format!("Face {}", face.id),
                            )
                            .on_hover_text(hover_text(face));
                            if response.double_clicked() {
                                opened = Some(face.photo_id);
                            } else if let Some(keys) = click_modifiers(ui, &response) {
                                clicked = Some((face.id, keys));
                            }
                        }
                    });
                }
            });
        if let Some((face, keys)) = clicked {
            self.click(face, keys);
        }
        if let Some(photo) = opened {
            self.show_photo(ctx, photo);
        }
    }

    /// "`split`" (the selection into a new person), "Ignore" and "View photo": what every grid
    /// can do with its selection.
    pub fn selection_buttons(&self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>, split: &str) {
        let faces = self.selected.clone();
        let any = !faces.is_empty();
        if ui.add_enabled(any, egui::Button::new(split)).clicked() {
            ctx.actions.push(Action::Split(faces.clone()));
        }
        if ui
            .add_enabled(any, egui::Button::new("Ignore"))
            .on_hover_text("Not a face worth keeping")
            .clicked()
        {
            ctx.actions.push(Action::Ignore(faces.clone()));
        }
        let photo = match faces[..] {
            [face] => self.photo_of(face),
            _ => None,
        };
        if ui
            .add_enabled(photo.is_some(), egui::Button::new("View photo"))
            .on_hover_text("The whole photo, with everyone in it (or double-click a face)")
            .clicked()
        {
            if let Some(photo) = photo {
                self.show_photo(ctx, photo);
            }
        }
    }

    /// Beside the grid: the nearest faces of one selected face, or the distance between two.
    /// Always there, so that selecting a face never moves the others under the pointer.
    pub fn distances_panel(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        egui::Panel::right("distances")
            .resizable(false)
            .exact_size(300.0)
            .show(ui, |ui| match self.selected[..] {
                [face] => self.neighbours.ui(ui, ctx, face),
                [a, b] => pair_ui(ui, ctx, a, b),
                _ => {
                    ui.heading("Distances");
                    ui.weak(
                        "Select a face to see the faces nearest to it, or two faces \
                         (ctrl-click) to see how far apart they are.",
                    );
                }
            });
    }

    /// How many faces are selected, or how to select them. Drawn after the buttons, so that its
    /// changing width never moves them under the pointer.
    pub fn selection_label(&self, ui: &mut egui::Ui) {
        ui.weak(match self.selected.len() {
            0 => "Click a face to select it (ctrl-click: one more, shift-click: a run)".to_string(),
            n => format!("{n} selected"),
        });
    }

    /// Opens `photo`, stepping through the photos of the faces shown.
    fn show_photo(&self, ctx: &mut ViewCtx<'_>, photo: i64) {
        if let Some(set) = self.set {
            ctx.actions.push(Action::Show(View::Photo {
                photo,
                from: set.photo_source(),
            }));
        }
    }
}

/// The face's file, its size, and whether the user placed it.
fn hover_text(face: &FaceRow) -> String {
    let name = face
        .photo_path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let confirmed = if face.pinned { " (confirmed)" } else { "" };
    format!("{name}, {:.0} px{confirmed}", face.bbox[2])
}
