//! One person: all their faces in a grid, inline renaming, face selection and the decisions on
//! selected faces (not this person, move, split, ignore, cover), a "check these" strip of the least
//! typical faces, and the nearest-faces panel for a single selected face. A face's photo opens with
//! "View photo" or a double-click. A person's faces (thousands, for some) are read on a worker, so
//! opening one never holds up the window.

use crate::catalog::{Catalog, CatalogError, PersonSummary};
use crate::gui::app::{Action, View};
use crate::gui::thumbs::face_button;
use crate::gui::views::face_grid::{FaceGrid, FaceSet};
use crate::gui::views::picker::PersonPicker;
use crate::gui::views::{click_modifiers, submitted, Order, ViewCtx};
use crate::people::suggest::worth_checking;

const THUMB: f32 = 96.0;
const CHECK_THUMB: f32 = 56.0;
/// The most faces "Check these" shows.
const CHECK_COUNT: usize = 8;

#[derive(Default)]
pub struct PersonView {
    person: Option<PersonSummary>,
    grid: FaceGrid,
    name: String,
    /// The name last typed and the other person already called that, if any.
    namesake: Option<(String, Option<i64>)>,
    move_to: PersonPicker,
    /// Least typical faces, computed once the face index is ready.
    check_these: Option<Vec<(i64, f32)>>,
}

impl PersonView {
    /// Shows person `id`; false when it no longer exists (merged away, or all faces moved out).
    /// Their faces are read on a worker from the next frame on; meanwhile a person opened anew
    /// shows "Loading…", and the person shown already keeps the faces read before.
    pub fn load(&mut self, catalog: &Catalog, id: i64, order: Order) -> Result<bool, CatalogError> {
        let Some(person) = catalog.person(id)? else {
            self.person = None;
            return Ok(false);
        };
        let shown = self.person.as_ref().filter(|p| p.id == id);
        if shown.is_none() {
            self.move_to.clear();
        }
        // A name being typed stays while the person and their name do: the person is read again
        // after every change, a scan's placings among them.
        if shown.is_none_or(|p| p.name != person.name) {
            self.name = person.name.clone().unwrap_or_default();
        }
        // Who else has the name typed is looked up again: that may have changed too.
        self.namesake = None;
        self.grid.load(FaceSet::Person(id), order);
        self.check_these = None;
        // The summary counts the same faces as `faces_of_person`: not ignored, readable photos.
        let any = person.faces > 0;
        self.person = Some(person);
        Ok(any)
    }

    /// The photos of person `id`'s faces as the grid shows them (none if another is shown).
    pub fn photos_shown(&self, id: i64) -> Vec<i64> {
        self.grid.photos_shown(FaceSet::Person(id))
    }

    /// Whether the shown person's faces are still being read.
    pub fn is_loading(&self) -> bool {
        self.grid.is_loading()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let Some(person) = self.person.clone() else {
            ctx.actions.push(Action::Show(View::People));
            return;
        };
        self.header(ui, ctx, &person);
        ui.separator();
        self.face_actions(ui, ctx, &person);
        ui.separator();

        self.grid.distances_panel(ui, ctx);
        self.check_strip(ui, ctx);
        self.grid.ui(ui, ctx, THUMB);
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
            match self
                .namesake(ctx.catalog, person.id, &typed)
                .filter(|_| changed)
            {
                // Someone else has the name: the same person, most likely, but asked.
                Some(other) => {
                    ui.label(format!("Someone is called {typed} already:"));
                    if ui
                        .button("Same person: merge")
                        .on_hover_text(format!("Make these faces {typed}'s"))
                        .clicked()
                    {
                        ctx.actions.push(Action::Merge {
                            target: other,
                            others: vec![person.id],
                        });
                        ctx.actions.push(Action::Show(View::Person(other)));
                    }
                    if ui
                        .button(format!("Another {typed}"))
                        .on_hover_text("Two people with one name")
                        .clicked()
                    {
                        ctx.actions.push(Action::Rename {
                            person: person.id,
                            name: typed,
                        });
                    }
                }
                None => {
                    let save = ui.add_enabled(changed, egui::Button::new("Save name"));
                    if changed && (submitted(ui, &field) || save.clicked()) {
                        ctx.actions.push(Action::Rename {
                            person: person.id,
                            name: typed,
                        });
                    }
                }
            }
            ui.label(format!(
                "{} in {}",
                crate::wording::counted(person.faces, "face"),
                crate::wording::counted(person.photos, "photo")
            ));
            let waiting = ctx
                .questions
                .iter()
                .filter(|q| q.person == person.id)
                .count();
            if let (true, Some(name)) = (waiting > 0, &person.name) {
                if ui
                    .button(format!(
                        "{} may be {name}…",
                        crate::wording::counted(waiting, "more face")
                    ))
                    .on_hover_text("Look them over in Review, many at once")
                    .clicked()
                {
                    ctx.actions.push(Action::ReviewPerson(person.id));
                }
            }
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

    /// Another person called `name` (whatever the case), looked up when the name typed changes.
    fn namesake(&mut self, catalog: &Catalog, person: i64, name: &str) -> Option<i64> {
        if self.namesake.as_ref().map(|(typed, _)| typed.as_str()) != Some(name) {
            let found = catalog.persons_named(name).unwrap_or_else(|err| {
                tracing::warn!(%err, "cannot look up names");
                Vec::new()
            });
            let other = found
                .into_iter()
                .find(|(id, _)| *id != person)
                .map(|(id, _)| id);
            self.namesake = Some((name.to_string(), other));
        }
        self.namesake.as_ref().and_then(|(_, other)| *other)
    }

    fn face_actions(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>, person: &PersonSummary) {
        let faces = self.grid.selected().to_vec();
        let any = !faces.is_empty();
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(any, egui::Button::new("Not this person"))
                .clicked()
            {
                ctx.actions.push(Action::NotThisPerson(faces.clone()));
            }
            self.grid
                .selection_buttons(ui, ctx, "Split into new person");
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
            ui.separator();
            if let Some(to) = self
                .move_to
                .ui(ui, ctx.catalog, "Move to", any, Some(person.id))
            {
                ctx.actions.push(Action::MoveFaces { faces, to });
            }
            self.grid.selection_label(ui);
        });
    }

    fn check_strip(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let Some(person) = &self.person else { return };
        if worth_checking(person.faces) == 0 {
            return;
        }
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
            let mut clicked = None;
            for (face, distance) in check {
                let texture = ctx.thumbs.get(ui.ctx(), ctx.catalog, *face);
                let selected = self.grid.selected().contains(face);
                let response = face_button(
                    ui,
                    texture.as_ref(),
                    CHECK_THUMB,
                    selected,
                    &format!("Check face {face}"),
                )
                .on_hover_text(format!("{distance:.2} from this person's average face"));
                if let Some(keys) = click_modifiers(ui, &response) {
                    clicked = Some((*face, keys));
                }
            }
            if let Some((face, keys)) = clicked {
                self.grid.click(face, keys);
            }
        });
        ui.separator();
    }
}
