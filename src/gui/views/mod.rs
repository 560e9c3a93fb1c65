//! One struct per screen (welcome, people, person, faces with nobody, search, suggested merges,
//! review, photo, unreadable files, settings) plus the shared pieces: the face grid, the
//! nearest-faces panel, the name picker and adding a folder. Views read the catalog to draw and
//! report what the user asked for as [`Action`]s; the app applies them.

pub mod add_folder;
pub mod face_grid;
pub mod merges;
pub mod neighbours;
pub mod people;
pub mod person;
pub mod photo;
pub mod picker;
pub mod problems;
pub mod review;
pub mod review_many;
pub mod search;
pub mod settings;
pub mod sidecars;
pub mod ungrouped;
pub mod welcome;

use std::collections::HashMap;

use crate::catalog::Catalog;
use crate::gui::app::Action;
use crate::gui::jobs::FaceIndex;
use crate::gui::thumbs::Thumbnails;
use crate::people::review::Question;

/// What a view may use while drawing.
pub struct ViewCtx<'a> {
    pub catalog: &'a Catalog,
    pub thumbs: &'a mut Thumbnails,
    pub faces: &'a FaceIndex,
    pub tau: f32,
    /// The review queue's questions, closest first: "is this face Anna?".
    pub questions: &'a [Question],
    pub actions: &'a mut Vec<Action>,
}

/// Whether the click that `response` just got was a ctrl/cmd-click (add to the selection).
pub fn is_multi_click(ui: &egui::Ui, response: &egui::Response) -> bool {
    click_modifiers(ui, response).is_some_and(|m| m.command || m.ctrl)
}

/// The keys held for the click that `response` just got; `None` when it got none.
///
/// Read from the click event itself: the modifier state may already be released in the frame
/// that sees the click (as when a test harness sends the whole click at once).
pub fn click_modifiers(ui: &egui::Ui, response: &egui::Response) -> Option<egui::Modifiers> {
    if !response.clicked() {
        return None;
    }
    Some(ui.input(|i| {
        let from_event = i.events.iter().find_map(|e| match e {
            egui::Event::PointerButton {
                pressed: false,
                modifiers,
                ..
            } => Some(*modifiers),
            _ => None,
        });
        // Either may know of a key the other missed.
        from_event.map_or(i.modifiers, |m| m | i.modifiers)
    }))
}

/// A single-line path field beside a button: the trimmed path when the button is clicked or Enter
/// is pressed in the field, and it is not empty.
pub fn path_field(
    ui: &mut egui::Ui,
    text: &mut String,
    hint: &str,
    accessible_name: &str,
    width: f32,
    button: &str,
) -> Option<std::path::PathBuf> {
    let field = ui
        .add(
            egui::TextEdit::singleline(text)
                .hint_text(hint)
                .desired_width(width),
        )
        .accessible_name(accessible_name);
    let typed = text.trim();
    let clicked = ui
        .add_enabled(!typed.is_empty(), egui::Button::new(button))
        .clicked();
    ((clicked || submitted(ui, &field)) && !typed.is_empty()).then(|| typed.into())
}

/// Whether Enter was pressed to leave the single-line field `response`.
pub fn submitted(ui: &egui::Ui, response: &egui::Response) -> bool {
    response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))
}

/// Toggles `id` in a selection kept in click order.
pub fn toggle(selection: &mut Vec<i64>, id: i64) {
    if let Some(pos) = selection.iter().position(|s| *s == id) {
        selection.remove(pos);
    } else {
        selection.push(id);
    }
}

/// How a view read again orders what it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// The library's order: people named first, then by size; faces as search lists photos.
    Library,
    /// What is shown stays where it is, what is new comes after it in the library's order: for
    /// changes the user did not make (a scan placing faces), which must not move anything under
    /// the pointer. The next read in the library's order puts everything in place.
    AsShown,
}

impl Order {
    /// Puts `items`, read in the library's order, in this order, given the items `shown` before.
    pub fn apply<T>(self, items: &mut [T], shown: &[T], id: impl Fn(&T) -> i64) {
        if self == Order::Library {
            return;
        }
        let at: HashMap<i64, usize> = shown.iter().enumerate().map(|(i, s)| (id(s), i)).collect();
        // A stable sort: those not shown keep the library's order among themselves.
        items.sort_by_key(|item| at.get(&id(item)).copied().unwrap_or(usize::MAX));
    }
}

/// A synthetic library of `faces` faces for the views' tests (see
/// [`crate::gui::bench::synthetic_library`]): the folder holding it, to keep while the test
/// runs, its catalog, and its largest person, of `largest` faces.
#[cfg(test)]
pub fn synthetic_catalog(faces: usize, largest: usize) -> (tempfile::TempDir, Catalog, i64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("c.sqlite");
    let (_, person) = crate::gui::bench::synthetic_library(&path, faces, largest).expect("library");
    let catalog = Catalog::open(&path).expect("open");
    (dir, catalog, person)
}
