//! Adding a photo folder to the library, as the settings and the welcome screen offer it: the
//! desktop's folder picker, and a typed path for systems where no picker is available.

use std::path::PathBuf;

use crate::gui::app::Action;
use crate::gui::views::submitted;

#[derive(Default)]
pub struct AddFolder {
    /// Typed folder path: the fallback when no folder picker is available.
    input: String,
}

impl AddFolder {
    /// `button` ("Add folder…", sized for where it is drawn) opens the folder picker; the chosen
    /// folder is scanned.
    pub fn pick(&mut self, ui: &mut egui::Ui, button: egui::Button<'_>, actions: &mut Vec<Action>) {
        if ui.add(button).clicked() {
            // Without a desktop portal the picker returns None at once: the path field remains.
            if let Some(folder) = rfd::FileDialog::new()
                .set_title("Add a photo folder")
                .pick_folder()
            {
                actions.push(Action::StartScan(folder));
            }
        }
    }

    /// The path field and its "Add and scan" button.
    pub fn typed(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut self.input)
                    .hint_text("or a folder path")
                    .desired_width(320.0),
            )
            .accessible_name("New folder path");
        let typed = self.input.trim();
        if (ui
            .add_enabled(!typed.is_empty(), egui::Button::new("Add and scan"))
            .clicked()
            || submitted(ui, &field))
            && !typed.is_empty()
        {
            actions.push(Action::StartScan(PathBuf::from(typed)));
            self.input.clear();
        }
    }
}
