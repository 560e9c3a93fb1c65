//! One person: all their faces in a grid, inline renaming, face selection and the decisions on
//! selected faces (not this person, move, split, ignore, cover), a "check these" strip of the least
//! typical faces, and the nearest-faces panel for a single selected face. A face's photo opens with
//! "View photo" or a double-click. A person's faces (thousands, for some) are read on a worker, so
//! opening one never holds up the window.

use crate::catalog::{Catalog, CatalogError, FaceRow, PersonSummary};
use crate::gui::app::{Action, View};
use crate::gui::jobs::Task;
use crate::gui::thumbs::face_button;
use crate::gui::views::neighbours::NeighboursPanel;
use crate::gui::views::photo::PhotoSource;
use crate::gui::views::picker::PersonPicker;
use crate::gui::views::{is_multi_click, submitted, toggle, ViewCtx};

const THUMB: f32 = 96.0;
const CHECK_THUMB: f32 = 56.0;
const CHECK_COUNT: usize = 8;

#[derive(Default)]
pub struct PersonView {
    person: Option<PersonSummary>,
    /// The faces last read for `person` (still those of the previous read while a new one runs).
    faces: Vec<FaceRow>,
    /// Which faces to read next: `load` asks, the next frame starts the worker.
    wanted: Option<i64>,
    /// The worker reading the faces of a person. Replacing it drops its result unread, so a
    /// person opened after another never shows the first one's faces.
    reading: Option<(i64, Task<Vec<FaceRow>>)>,
    /// Selected face ids in click order.
    selected: Vec<i64>,
    name: String,
    move_to: PersonPicker,
    /// Least typical faces, computed once the face index is ready.
    check_these: Option<Vec<(i64, f32)>>,
    neighbours: NeighboursPanel,
}

impl PersonView {
    /// Shows person `id`; false when it no longer exists (merged away, or all faces moved out).
    /// Their faces are read on a worker from the next frame on; meanwhile a person opened anew
    /// shows "Loading…", and the person shown already keeps the faces read before.
    pub fn load(&mut self, catalog: &Catalog, id: i64) -> Result<bool, CatalogError> {
        let Some(person) = catalog.person(id)? else {
            self.person = None;
            return Ok(false);
        };
        let same_person = self.person.as_ref().is_some_and(|p| p.id == id);
        if !same_person {
            self.selected.clear();
            self.move_to.clear();
            self.faces.clear();
        }
        self.name = person.name.clone().unwrap_or_default();
        self.wanted = Some(id);
        self.reading = None;
        self.check_these = None;
        self.neighbours.clear();
        // The summary counts the same faces as `faces_of_person`: not ignored, readable photos.
        let any = person.faces > 0;
        self.person = Some(person);
        Ok(any)
    }

    /// Whether the shown person's faces are still being read.
    pub fn is_loading(&self) -> bool {
        self.wanted.is_some() || self.reading.is_some()
    }

    /// Starts the read `load` asked for, and takes in its faces once they are read.
    fn poll(&mut self, egui_ctx: &egui::Context, catalog: &Catalog) {
        if let Some(id) = self.wanted.take() {
            let path = catalog.path().to_path_buf();
            let task = Task::spawn(egui_ctx, move || {
                Catalog::open(&path)
                    .and_then(|catalog| catalog.faces_of_person(id))
                    .map_err(|err| err.to_string())
            });
            self.reading = Some((id, task));
        }
        let Some((id, task)) = &self.reading else {
            return;
        };
        let Some(result) = task.poll() else { return };
        let id = *id;
        self.reading = None;
        if self.person.as_ref().map(|p| p.id) != Some(id) {
            return;
        }
        match result {
            Ok(faces) => {
                self.faces = faces;
                let faces = &self.faces;
                self.selected
                    .retain(|f| faces.iter().any(|face| face.id == *f));
            }
            Err(err) => tracing::warn!(%err, person = id, "cannot read the person's faces"),
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let Some(person) = self.person.clone() else {
            ctx.actions.push(Action::Show(View::People));
            return;
        };
        self.poll(ui.ctx(), ctx.catalog);
        self.header(ui, ctx, &person);
        ui.separator();
        self.face_actions(ui, ctx, &person);
        ui.separator();

        if let [face] = self.selected[..] {
            egui::Panel::right("nearest_faces")
                .default_size(300.0)
                .show(ui, |ui| self.neighbours.ui(ui, ctx, face));
        }
        self.check_strip(ui, ctx);
        self.grid(ui, ctx);
    }

    fn header(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>, person: &PersonSummary) {
        ui.horizontal(|ui| {
            if ui.button("Back").clicked() {
                ctx.actions.push(Action::Show(View::People));
            }
            let field = ui
                .add(egui::TextEdit::singleline(&mut self.name).hint_text("Name this person"))
                .accessible_name("Name");
            let typed = self.name.trim().to_string();
            let changed = !typed.is_empty() && Some(&typed) != person.name.as_ref();
            let save = ui.add_enabled(changed, egui::Button::new("Save name"));
            if changed && (submitted(ui, &field) || save.clicked()) {
                ctx.actions.push(Action::Rename {
                    person: person.id,
                    name: typed,
                });
            }
            ui.label(format!(
                "{} in {}",
                super::counted(person.faces, "face"),
                super::counted(person.photos, "photo")
            ));
            let (label, hint) = if person.hidden {
                ("Show again", "List this person among everyone again")
            } else {
                ("Hide person", "Leave this person out of the people list")
            };
            if ui.button(label).on_hover_text(hint).clicked() {
                ctx.actions.push(Action::Hide {
                    person: person.id,
                    hidden: !person.hidden,
                });
            }
        });
    }

    fn face_actions(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>, person: &PersonSummary) {
        let any = !self.selected.is_empty();
        ui.horizontal_wrapped(|ui| {
            ui.label(match self.selected.len() {
                0 => "Click a face to select it (ctrl-click for more)".to_string(),
                n => format!("{n} selected:"),
            });
            let faces = self.selected.clone();
            if ui
                .add_enabled(any, egui::Button::new("Not this person"))
                .clicked()
            {
                ctx.actions.push(Action::NotThisPerson(faces.clone()));
            }
            if ui
                .add_enabled(any, egui::Button::new("Split into new person"))
                .clicked()
            {
                ctx.actions.push(Action::Split(faces.clone()));
            }
            if ui
                .add_enabled(any, egui::Button::new("Ignore"))
                .on_hover_text("Not a face worth keeping")
                .clicked()
            {
                ctx.actions.push(Action::Ignore(faces.clone()));
            }
            if ui
                .add_enabled(faces.len() == 1, egui::Button::new("Set as cover"))
                .clicked()
            {
                if let [face] = faces[..] {
                    ctx.actions.push(Action::SetCover {
                        person: person.id,
                        face,
                    });
                }
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
                    ctx.actions.push(show_photo(photo, person.id));
                }
            }
            ui.separator();
            if let Some(to) = self
                .move_to
                .ui(ui, ctx.catalog, "Move to", any, Some(person.id))
            {
                ctx.actions.push(Action::MoveFaces { faces, to });
            }
        });
    }

    fn check_strip(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let Some(person) = &self.person else { return };
        let count = person.faces;
        if self.check_these.is_none() {
            if let Some(space) = ctx.faces.ready() {
                self.check_these = Some(space.least_typical(person.id, CHECK_COUNT));
            }
        }
        ui.horizontal(|ui| {
            ui.label("Check these:")
                .on_hover_text("The faces least like the rest of this person");
            // Static text, not a spinner: the worker wakes the UI when the index is ready.
            let Some(check) = &self.check_these else {
                ui.weak("loading the face index…");
                return;
            };
            // One face is its own centre: nothing to check.
            if count < 3 {
                ui.weak("(too few faces)");
                return;
            }
            let mut clicked = None;
            for (face, distance) in check {
                let texture = ctx.thumbs.get(ui.ctx(), ctx.catalog, *face);
                let selected = self.selected.contains(face);
                let response = face_button(
                    ui,
                    texture.as_ref(),
                    CHECK_THUMB,
                    selected,
                    &format!("Check face {face}"),
                )
                .on_hover_text(format!("{distance:.2} from this person's average face"));
                if response.clicked() {
                    clicked = Some((*face, is_multi_click(ui, &response)));
                }
            }
            if let Some((face, multi)) = clicked {
                self.click_face(face, multi);
            }
        });
        ui.separator();
    }

    fn grid(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        if self.faces.is_empty() && self.is_loading() {
            // Static text, not a spinner: the worker wakes the UI when the faces are read.
            ui.weak("Loading…");
            return;
        }
        let cell = THUMB + 8.0;
        let columns = ((ui.available_width() / cell).floor() as usize).max(1);
        let rows = self.faces.len().div_ceil(columns);
        let mut clicked = None;
        let mut opened = None;
        // show_rows lays out only the visible rows, so thousands of faces stay smooth.
        egui::ScrollArea::vertical()
            .auto_shrink(false)
            .show_rows(ui, cell, rows, |ui, range| {
                for row in range {
                    ui.horizontal(|ui| {
                        for face in self.faces.iter().skip(row * columns).take(columns) {
                            let texture = ctx.thumbs.get(ui.ctx(), ctx.catalog, face.id);
                            let selected = self.selected.contains(&face.id);
                            let name = face
                                .photo_path
                                .file_name()
                                .map(|n| n.to_string_lossy())
                                .unwrap_or_default();
                            let response = face_button(
                                ui,
                                texture.as_ref(),
                                THUMB,
                                selected,
                                &format!("Face {}", face.id),
                            )
                            .on_hover_text(format!(
                                "{name}{}",
                                if face.pinned { " (confirmed)" } else { "" }
                            ));
                            if response.double_clicked() {
                                opened = Some(face.photo_id);
                            } else if response.clicked() {
                                clicked = Some((face.id, is_multi_click(ui, &response)));
                            }
                        }
                    });
                }
            });
        if let Some((face, multi)) = clicked {
            self.click_face(face, multi);
        }
        if let (Some(photo), Some(person)) = (opened, &self.person) {
            ctx.actions.push(show_photo(photo, person.id));
        }
    }

    fn photo_of(&self, face: i64) -> Option<i64> {
        self.faces.iter().find(|f| f.id == face).map(|f| f.photo_id)
    }

    /// A plain click selects just this face (or clears it); ctrl-click adds or removes it.
    fn click_face(&mut self, face: i64, multi: bool) {
        if multi {
            toggle(&mut self.selected, face);
        } else if self.selected == [face] {
            self.selected.clear();
        } else {
            self.selected = vec![face];
        }
    }
}

/// Opens `photo`, stepping through the photos of `person`.
fn show_photo(photo: i64, person: i64) -> Action {
    Action::Show(View::Photo {
        photo,
        from: PhotoSource::Person(person),
    })
}
