//! Search: "Anna & Ben", "Anna -Ben"; Enter runs the library's search and lists the matching
//! photos with their dates, each opening in the photo viewer. A bad query (unknown name) is shown
//! inline.

use crate::catalog::Catalog;
use crate::gui::app::{Action, View};
use crate::gui::views::photo::PhotoSource;
use crate::gui::views::{submitted, ViewCtx};
use crate::people::search::{search, PhotoHit, Query};

const ROW: f32 = 20.0;

#[derive(Default)]
pub struct SearchView {
    query: String,
    results: Vec<PhotoHit>,
    error: Option<String>,
    /// The query the results belong to, so an empty result says what was searched.
    searched: Option<String>,
}

impl SearchView {
    pub fn results(&self) -> &[PhotoHit] {
        &self.results
    }

    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Runs the typed query against the catalog.
    pub fn run(&mut self, catalog: &Catalog) {
        let outcome = Query::parse(&self.query).and_then(|q| search(catalog, &q));
        self.searched = Some(self.query.trim().to_string());
        match outcome {
            Ok(hits) => {
                self.results = hits;
                self.error = None;
            }
            Err(err) => {
                self.results.clear();
                self.error = Some(err.to_string());
            }
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        ui.horizontal(|ui| {
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut self.query)
                        .hint_text("Anna & Ben, Anna -Ben")
                        .desired_width(320.0),
                )
                .accessible_name("Search people");
            if submitted(ui, &field) || ui.button("Find photos").clicked() {
                self.run(ctx.catalog);
            }
        });
        if let Some(err) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, err);
            return;
        }
        let Some(searched) = &self.searched else {
            ui.weak("Names joined by & must all be in the photo; -Name leaves a person out.");
            return;
        };
        ui.label(format!("{} photos with {searched}", self.results.len()));
        ui.separator();
        egui::ScrollArea::vertical().auto_shrink(false).show_rows(
            ui,
            ROW,
            self.results.len(),
            |ui, range| {
                for hit in &self.results[range] {
                    let name = hit
                        .path
                        .file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default();
                    let date = hit.taken_at.as_deref().unwrap_or("no date");
                    if ui
                        .link(format!("{name}  {date}"))
                        .on_hover_text(hit.path.display().to_string())
                        .clicked()
                    {
                        ctx.actions.push(Action::Show(View::Photo {
                            photo: hit.photo_id,
                            from: PhotoSource::Search,
                        }));
                    }
                }
            },
        );
    }
}
