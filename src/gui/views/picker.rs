//! The name picker: a field in which typing part of a name offers the named people it fits, as
//! buttons, and a new person of that name where nobody has it. Wherever faces are given to
//! someone (move to, "someone else…", naming a face with nobody) it is this one.

use crate::catalog::Catalog;
use crate::gui::views::submitted;

/// Most people offered at once.
const OFFERED: usize = 5;

/// Named people (id, name) that typed text fits, or why they could not be looked up.
type Matches = Result<Vec<(i64, String)>, String>;

/// Whom the picker gave the faces to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Person(i64),
    /// A person to make, with this name: nobody had it.
    NewPerson(String),
}

#[derive(Default)]
pub struct PersonPicker {
    query: String,
    /// The lookup for the text as last typed: the catalog is asked when the text changes, not in
    /// every frame.
    matches: Option<(String, Matches)>,
    /// Put the keyboard in the field at the next frame.
    focus: bool,
}

impl PersonPicker {
    pub fn clear(&mut self) {
        self.query.clear();
        self.matches = None;
    }

    /// Puts the keyboard in the field when it is next drawn.
    pub fn focus(&mut self) {
        self.focus = true;
    }

    /// Draws the field (named `verb`, e.g. "Move to") and, for what is typed, a "`verb` Name"
    /// button per named person it fits, `exclude` left out, then "`verb` new person" where
    /// nobody has the name typed. Returns the choice clicked, or the first one offered when
    /// Enter is pressed in the field.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        catalog: &Catalog,
        verb: &str,
        enabled: bool,
        exclude: Option<i64>,
    ) -> Option<Recipient> {
        let field = ui
            .add_enabled(
                enabled,
                egui::TextEdit::singleline(&mut self.query)
                    .hint_text(format!("{verb}…"))
                    .desired_width(140.0),
            )
            .accessible_name(verb);
        if std::mem::take(&mut self.focus) {
            field.request_focus();
        }
        let typed = self.query.trim().to_string();
        if !enabled || typed.is_empty() {
            return None;
        }
        if self.matches.as_ref().map(|(q, _)| q) != Some(&self.query) {
            let found = catalog
                .find_persons(&self.query)
                .map_err(|err| err.to_string());
            self.matches = Some((self.query.clone(), found));
        }
        let matches = match self.matches.as_ref().map(|(_, found)| found) {
            Some(Ok(matches)) => matches,
            None => return None,
            Some(Err(err)) => {
                ui.label(format!("Cannot look up names: {err}"));
                return None;
            }
        };
        // Somebody who has the very name (even the person excluded) takes it: no second one.
        let taken = matches
            .iter()
            .any(|(_, name)| name.to_lowercase() == typed.to_lowercase());
        let mut offered: Vec<(Recipient, String)> = matches
            .iter()
            .filter(|(id, _)| Some(*id) != exclude)
            .take(OFFERED)
            .map(|(id, name)| (Recipient::Person(*id), format!("{verb} {name}")))
            .collect();
        if !taken {
            let label = format!("{verb} new person \u{201c}{typed}\u{201d}");
            offered.push((Recipient::NewPerson(typed), label));
        }
        if offered.is_empty() {
            ui.weak("nobody else is called that");
            return None;
        }
        let mut chosen = None;
        for (recipient, label) in &offered {
            if ui.button(label).clicked() {
                chosen = Some(recipient.clone());
            }
        }
        if chosen.is_none() && submitted(ui, &field) {
            chosen = offered.first().map(|(recipient, _)| recipient.clone());
        }
        if chosen.is_some() {
            self.clear();
        }
        chosen
    }
}
