//! The people grid: everyone with a cover face, name and counts, a filter, hidden people on
//! request, ctrl-click multi-selection with "Merge selected", a click to open a person, and the
//! way to the faces with nobody.

use crate::catalog::{Catalog, CatalogError, PersonSummary};
use crate::gui::app::{Action, View};
use crate::gui::thumbs::face_button;
use crate::gui::views::{is_multi_click, toggle, Order, ViewCtx};

const CARD_WIDTH: f32 = 140.0;
const THUMB: f32 = 112.0;
const CARD_HEIGHT: f32 = THUMB + 52.0;

#[derive(Default)]
pub struct PeopleView {
    /// In the library's order (named first, then unnamed by size), or as shown before a scan
    /// placed faces ([`Order::AsShown`]).
    persons: Vec<PersonSummary>,
    filter: String,
    /// Selected person ids in click order; the first named one is the merge target.
    selected: Vec<i64>,
    /// Also list the people the user hid.
    show_hidden: bool,
    /// How many faces are with nobody.
    ungrouped: usize,
}

impl PeopleView {
    pub fn reload(&mut self, catalog: &Catalog, order: Order) -> Result<(), CatalogError> {
        let mut persons = catalog.persons(self.show_hidden)?;
        order.apply(&mut persons, &self.persons, |p| p.id);
        self.persons = persons;
        self.ungrouped = catalog.count_ungrouped_faces()?;
        self.selected
            .retain(|id| self.persons.iter().any(|p| p.id == *id));
        Ok(())
    }

    pub fn persons(&self) -> &[PersonSummary] {
        &self.persons
    }

    /// Where "Merge selected" merges into: the first selected person with a name, else the first.
    fn merge_target(&self) -> Option<i64> {
        let named = |id: &&i64| {
            self.persons
                .iter()
                .any(|p| p.id == **id && p.name.is_some())
        };
        self.selected
            .iter()
            .find(named)
            .or(self.selected.first())
            .copied()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        ui.horizontal(|ui| {
            ui.add(egui::TextEdit::singleline(&mut self.filter).hint_text("Filter by name"))
                .accessible_name("Filter people");
            ui.label(format!("{} people", self.persons.len()));
            if ui
                .checkbox(&mut self.show_hidden, "Show hidden people")
                .changed()
            {
                ctx.actions.push(Action::Show(View::People));
            }
            if self.ungrouped > 0
                && ui
                    .button(format!("Faces with nobody ({})", self.ungrouped))
                    .on_hover_text(
                        "Faces in no group: mostly people seen in a single photo. \
                         Name them here.",
                    )
                    .clicked()
            {
                ctx.actions.push(Action::Show(View::Ungrouped));
            }
            ui.separator();
            let can_merge = self.selected.len() >= 2;
            let merge = ui
                .add_enabled(can_merge, egui::Button::new("Merge selected"))
                .on_hover_text("Ctrl-click people to select them");
            if merge.clicked() {
                if let Some(target) = self.merge_target() {
                    let others = self
                        .selected
                        .iter()
                        .copied()
                        .filter(|id| *id != target)
                        .collect();
                    ctx.actions.push(Action::Merge { target, others });
                    self.selected.clear();
                }
            }
            if !self.selected.is_empty() && ui.button("Clear selection").clicked() {
                self.selected.clear();
            }
        });
        ui.separator();
        if !self.persons.is_empty() && self.persons.iter().all(|p| p.name.is_none()) {
            ui.weak(
                "No one is named yet. Open a group of faces and type who it is: from then on Kith \
                 knows them wherever they are, in the photos here and in those added later.",
            );
        }

        let filter = self.filter.trim().to_lowercase();
        let shown: Vec<&PersonSummary> = self
            .persons
            .iter()
            .filter(|p| filter.is_empty() || p.label().to_lowercase().contains(&filter))
            .collect();
        if shown.is_empty() {
            ui.label(if self.persons.is_empty() && self.ungrouped > 0 {
                "Nobody is seen twice yet: the faces found are under \"Faces with nobody\"."
            } else if self.persons.is_empty() {
                "No people yet: add a folder of photos with \"Add folder…\"."
            } else {
                "Nobody matches the filter."
            });
            return;
        }
        let columns = ((ui.available_width() / CARD_WIDTH).floor() as usize).max(1);
        let rows = shown.len().div_ceil(columns);
        let mut clicked: Option<(i64, bool)> = None;
        egui::ScrollArea::vertical().auto_shrink(false).show_rows(
            ui,
            CARD_HEIGHT,
            rows,
            |ui, range| {
                for row in range {
                    ui.horizontal(|ui| {
                        for person in shown.iter().skip(row * columns).take(columns) {
                            let selected = self.selected.contains(&person.id);
                            if let Some(multi) = card(ui, ctx, person, selected) {
                                clicked = Some((person.id, multi));
                            }
                        }
                    });
                }
            },
        );
        match clicked {
            Some((id, true)) => toggle(&mut self.selected, id),
            Some((id, false)) => ctx.actions.push(Action::Show(View::Person(id))),
            None => {}
        }
    }
}

/// One person's card; `Some(multi)` when clicked (multi: ctrl-click).
fn card(
    ui: &mut egui::Ui,
    ctx: &mut ViewCtx<'_>,
    person: &PersonSummary,
    selected: bool,
) -> Option<bool> {
    let label = if person.hidden {
        format!("{} (hidden)", person.label())
    } else {
        person.label()
    };
    let inner = ui.allocate_ui(egui::vec2(CARD_WIDTH, CARD_HEIGHT), |ui| {
        ui.set_width(CARD_WIDTH - 8.0);
        ui.vertical_centered(|ui| {
            let texture = person
                .cover_face
                .and_then(|f| ctx.thumbs.get(ui.ctx(), ctx.catalog, f));
            let face = face_button(
                ui,
                texture.as_ref(),
                THUMB,
                selected,
                &format!("Cover of {label}"),
            );
            let name = ui.selectable_label(selected, label.as_str());
            ui.small(format!(
                "{}, {}",
                crate::wording::counted(person.faces, "face"),
                crate::wording::counted(person.photos, "photo")
            ));
            [face, name]
                .iter()
                .find(|r| r.clicked())
                .map(|r| is_multi_click(ui, r))
        })
        .inner
    });
    inner.inner
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::views::synthetic_catalog;

    fn ids(view: &PeopleView) -> Vec<i64> {
        view.persons.iter().map(|p| p.id).collect()
    }

    #[test]
    fn a_scans_placings_leave_the_cards_where_they_are_and_add_new_people_after_them() {
        let (_dir, mut catalog, largest) = synthetic_catalog(600, 200);
        let mut view = PeopleView::default();
        view.reload(&catalog, Order::Library).expect("reload");
        let shown = ids(&view);
        // The smallest person takes the largest's faces, and faces with nobody become someone.
        let smallest = *shown.last().expect("people");
        let moved: Vec<(i64, Option<i64>)> = catalog
            .face_ids_of(largest)
            .expect("faces")
            .into_iter()
            .map(|f| (f, Some(smallest)))
            .collect();
        let nobody: Vec<i64> = catalog
            .faces()
            .expect("faces")
            .iter()
            .filter(|f| f.person.is_none())
            .map(|f| f.id)
            .collect();
        let new = catalog.apply_clustering(&moved, &[nobody]).expect("placed")[0];

        view.reload(&catalog, Order::AsShown).expect("as shown");
        let kept: Vec<i64> = shown.iter().copied().filter(|&p| p != largest).collect();
        assert_eq!(ids(&view), [kept, vec![new]].concat());
        // Put in order again by the next reload: the grown person leads the unnamed.
        view.reload(&catalog, Order::Library).expect("reload");
        let in_order: Vec<i64> = catalog
            .persons(false)
            .expect("persons")
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(ids(&view), in_order);
        assert_ne!(in_order.last(), Some(&smallest));
    }
}
