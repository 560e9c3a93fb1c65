//! The faces with nobody: those clustering put with no person, mostly people seen in one photo
//! and strangers in the background. One face is enough to know someone by, so each can be named
//! here (a new person, or someone named already), made a person with others, or ignored, with the
//! nearest-faces panel for a single selected face.

use crate::catalog::{Catalog, CatalogError};
use crate::gui::app::{Action, View};
use crate::gui::views::face_grid::{FaceGrid, FaceSet};
use crate::gui::views::picker::PersonPicker;
use crate::gui::views::{Order, ViewCtx};

const THUMB: f32 = 96.0;

#[derive(Default)]
pub struct UngroupedView {
    /// How many faces have nobody, as of the last change.
    count: usize,
    grid: FaceGrid,
    name_as: PersonPicker,
}

impl UngroupedView {
    /// Counts the faces with nobody and reads them again on a worker from the next frame on.
    pub fn load(&mut self, catalog: &Catalog, order: Order) -> Result<(), CatalogError> {
        self.count = catalog.count_ungrouped_faces()?;
        self.grid.load(FaceSet::Ungrouped, order);
        Ok(())
    }

    /// The photos of the faces with nobody, as the grid shows them.
    pub fn photos_shown(&self) -> Vec<i64> {
        self.grid.photos_shown(FaceSet::Ungrouped)
    }

    pub fn is_loading(&self) -> bool {
        self.grid.is_loading()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        ui.horizontal(|ui| {
            if ui.button("Back").clicked() {
                ctx.actions.push(Action::Show(View::People));
            }
            ui.heading("Faces with nobody");
            ui.label(crate::wording::counted(self.count, "face"));
        });
        ui.weak(
            "Clustering put these with no one: mostly people seen in a single photo, and \
             strangers. One face is enough to know someone by: name it, and Kith places their \
             faces in photos added later with them, and asks in Review about faces that may be \
             them.",
        );
        ui.separator();
        if self.count == 0 && !self.grid.is_loading() {
            ui.label("Every face is with someone (or ignored).");
            return;
        }
        self.face_actions(ui, ctx);
        ui.separator();
        self.grid.distances_panel(ui, ctx);
        self.grid.ui(ui, ctx, THUMB);
    }

    fn face_actions(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let faces = self.grid.selected().to_vec();
        let any = !faces.is_empty();
        ui.horizontal_wrapped(|ui| {
            if let Some(to) = self.name_as.ui(ui, ctx.catalog, "Name as", any, None) {
                ctx.actions.push(Action::MoveFaces { faces, to });
            }
            ui.separator();
            self.grid.selection_buttons(ui, ctx, "Make them one person");
            self.grid.selection_label(ui);
        });
    }
}
