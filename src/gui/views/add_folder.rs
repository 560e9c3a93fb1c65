//! Adding a photo folder to the library, as the settings and the welcome screen offer it: the
//! desktop's folder picker, and a typed path for systems where no picker is available.

use crate::gui::app::Action;
use crate::gui::jobs::ScanTarget;

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
                actions.push(Action::StartScan(ScanTarget::Folder(folder)));
            }
        }
    }

    /// The path field and its "Add and scan" button.
    pub fn typed(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let typed = super::path_field(
            ui,
            &mut self.input,
            "or a folder path",
            "New folder path",
            320.0,
            "Add and scan",
        );
        if let Some(folder) = typed {
            // A path that is no folder stays, to be corrected once the scan has said why.
            if folder.is_dir() {
                self.input.clear();
            }
            actions.push(Action::StartScan(ScanTarget::Folder(folder)));
        }
    }
}
