//! Adding a photo folder to the library, as the settings and the welcome screen offer it: the
//! desktop's folder picker, and a typed path for systems where no picker is available.

use crate::gui::app::Action;
use crate::gui::jobs::ScanTarget;

pub struct AddFolder {
    /// Typed folder path: the fallback when no folder picker is available.
    input: String,
    /// The path field's accessible name, its width and its button's label.
    look: (&'static str, f32, &'static str),
}

impl Default for AddFolder {
    /// The field of a view: the settings, the welcome screen.
    fn default() -> Self {
        Self {
            input: String::new(),
            look: ("New folder path", 320.0, "Add and scan"),
        }
    }
}

impl AddFolder {
    /// The field of the top bar, narrower.
    pub fn compact() -> Self {
        Self {
            input: String::new(),
            look: ("Folder path", 220.0, "Scan"),
        }
    }

    /// `button` ("Add folder…", sized for where it is drawn) opens the folder picker; the chosen
    /// folder is scanned.
    pub fn pick(&mut self, ui: &mut egui::Ui, button: egui::Button<'_>, actions: &mut Vec<Action>) {
        if ui.add(button).clicked() {
            // Without a desktop portal the picker returns None at once: the path field remains.
            let action = match rfd::FileDialog::new()
                .set_title("Add a photo folder")
                .pick_folder()
            {
                Some(folder) => Action::StartScan(ScanTarget::Folder(folder)),
                None => Action::Say(format!(
                    "No folder chosen: type its path in the field and press {}",
                    self.look.2
                )),
            };
            actions.push(action);
        }
    }

    /// The path field and its "Add and scan" button.
    pub fn typed(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let (name, width, button) = self.look;
        let typed = super::path_field(ui, &mut self.input, "or a folder path", name, width, button);
        if let Some(folder) = typed {
            // A path that is no folder stays, to be corrected once the scan has said why.
            if folder.is_dir() {
                self.input.clear();
            }
            actions.push(Action::StartScan(ScanTarget::Folder(folder)));
        }
    }
}
