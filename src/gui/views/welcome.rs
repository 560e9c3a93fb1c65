//! The first screen of a library with no photos yet: what Kith does, a large "Add folder…" (with
//! the typed-path fallback), and the libraries opened before, each one click away.

use std::path::{Path, PathBuf};

use crate::gui::app::Action;
use crate::gui::views::add_folder::AddFolder;
use crate::gui::views::ViewCtx;

#[derive(Default)]
pub struct WelcomeView {
    add: AddFolder,
}

impl WelcomeView {
    /// `recent`: the libraries opened before, most recent first (the one in use is left out);
    /// `scanning`: a first folder is being scanned already.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &mut ViewCtx<'_>,
        recent: &[PathBuf],
        scanning: bool,
    ) {
        ui.add_space(32.0);
        ui.heading("Welcome to Kith");
        ui.add_space(8.0);
        ui.label(
            "Kith finds the faces in your photos and groups them into people, so that you can \
             name them and find the photos they are in.",
        );
        ui.label(
            "Everything stays on this computer: your photos are only read, never changed or \
             uploaded.",
        );
        ui.add_space(24.0);
        ui.add_enabled_ui(!scanning, |ui| {
            let button = egui::Button::new(egui::RichText::new("Add folder…").size(22.0))
                .min_size(egui::vec2(240.0, 56.0));
            self.add.pick(ui, button, ctx.actions);
            ui.horizontal(|ui| self.add.typed(ui, ctx.actions));
        });
        if scanning {
            ui.weak("Scanning: the people appear as it finds them.");
        } else {
            ui.weak("Add as many folders as you like, now or later in the settings.");
        }

        let here = canonical(ctx.catalog.path());
        // A library on a drive not plugged in is left out: opening it would start an empty one.
        let others: Vec<&PathBuf> = recent
            .iter()
            .filter(|p| **p != here && p.is_file())
            .collect();
        if others.is_empty() {
            return;
        }
        ui.add_space(32.0);
        ui.label("Or open a library used before:");
        for path in others {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string());
            ui.horizontal(|ui| {
                if ui
                    .button(name)
                    .on_hover_text(path.display().to_string())
                    .clicked()
                {
                    ctx.actions.push(Action::OpenLibrary(path.clone()));
                }
                if let Some(folder) = path.parent() {
                    ui.weak(folder.display().to_string());
                }
            });
        }
    }
}

/// The spelling the recent list uses (see `Prefs::remember_library`).
fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}
