//! Adding a photo folder to the library, as the settings and the welcome screen offer it: the
//! desktop's folder picker, and a typed path for systems where no picker is available.

use crate::gui::app::Action;
use crate::gui::jobs::ScanTarget;

pub struct AddFolder {
    /// Typed folder path: the fallback when no folder picker is available.
    input: String,
    look: FieldLook,
}

/// How the path field is drawn where it is.
#[derive(Clone, Copy)]
struct FieldLook {
    /// The field's accessible name.
    name: &'static str,
    width: f32,
    /// The label of the button that starts the scan.
    button: &'static str,
}

impl Default for AddFolder {
    /// The field of a view: the settings, the welcome screen.
    fn default() -> Self {
        Self {
            input: String::new(),
            look: FieldLook {
                name: "New folder path",
                width: 320.0,
                button: "Add and scan",
            },
        }
    }
}

impl AddFolder {
    /// The field of the top bar, narrower.
    pub fn compact() -> Self {
        Self {
            input: String::new(),
            look: FieldLook {
                name: "Folder path",
                width: 220.0,
                button: "Scan",
            },
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
                    self.look.button
                )),
            };
            actions.push(action);
        }
    }

    /// The path field and its "Add and scan" button.
    pub fn typed(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let FieldLook {
            name,
            width,
            button,
        } = self.look;
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
