//! Suggested merges: pairs of people whose faces come within the same-person threshold, closest
//! first, side by side with their distances, each answered "Same person" (merge) or "Different"
//! (remembered, never suggested again). Pairs close only at one pair of faces, and apart on
//! average, are mostly two people who look alike in one photo: they wait, folded, below the rest.
//!
//! Finding the pairs means a range query around every face (seconds on a large library), so it
//! runs on a worker once per face index, not in the frame.

use std::sync::Arc;

use crate::gui::app::Action;
use crate::gui::jobs::Task;
use crate::gui::thumbs::face_button;
use crate::gui::views::ViewCtx;
use crate::people::suggest::{FaceSpace, MergeSuggestion};

const THUMB: f32 = 72.0;
const SHOWN: usize = 30;

#[derive(Default)]
pub struct MergesView {
    /// The face index the suggestions below (or the work on them) belong to.
    computed_for: Option<Arc<FaceSpace>>,
    computing: Option<Task<Vec<MergeSuggestion>>>,
    suggestions: Vec<MergeSuggestion>,
}

impl MergesView {
    /// Whether suggestions are being looked for.
    pub fn is_busy(&self) -> bool {
        self.computing.is_some()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let Some(space) = ctx.faces.ready() else {
            ui.label("Measuring distances between people…");
            return;
        };
        if !self
            .computed_for
            .as_ref()
            .is_some_and(|s| Arc::ptr_eq(s, space))
        {
            let worker_space = Arc::clone(space);
            self.computing = Some(Task::spawn(ui.ctx(), move || {
                Ok(worker_space.merge_suggestions(None, SHOWN))
            }));
            self.computed_for = Some(Arc::clone(space));
            self.suggestions.clear();
        }
        if let Some(result) = self.computing.as_ref().and_then(Task::poll) {
            self.computing = None;
            match result {
                Ok(found) => self.suggestions = found,
                Err(err) => tracing::warn!(%err, "merge suggestions failed"),
            }
        }
        if self.computing.is_some() {
            ui.label("Looking for people who may be one person…");
            return;
        }
        let (likely, apart): (Vec<&MergeSuggestion>, Vec<&MergeSuggestion>) =
            self.suggestions.iter().partition(|s| s.likely);
        if self.suggestions.is_empty() {
            ui.label(format!(
                "No two people have faces closer than {:.2}: nothing to merge.",
                ctx.tau
            ));
            return;
        }
        ui.label(if likely.is_empty() {
            format!(
                "No two people are closer than {:.2} on average, the distance below which the \
                 network calls two faces the same person: nothing is likely to need merging.",
                ctx.tau
            )
        } else {
            format!(
                "Pairs of people closer than {:.2} on average, the distance below which the \
                 network calls two faces the same person.",
                ctx.tau
            )
        });
        egui::ScrollArea::vertical().show(ui, |ui| {
            for s in likely {
                suggestion_row(ui, ctx, space, s);
            }
            if !apart.is_empty() {
                egui::CollapsingHeader::new(format!(
                    "Less likely ({}): some of their faces are closer than {:.2}, but on average they are not",
                    apart.len(),
                    ctx.tau
                ))
                .default_open(false)
                .show(ui, |ui| {
                    for s in apart {
                        suggestion_row(ui, ctx, space, s);
                    }
                });
            }
        });
    }
}

/// The two people side by side, their distances, and the two answers.
fn suggestion_row(
    ui: &mut egui::Ui,
    ctx: &mut ViewCtx<'_>,
    space: &FaceSpace,
    s: &MergeSuggestion,
) {
    ui.horizontal(|ui| {
        for (person, label) in [(s.a, &s.a_label), (s.b, &s.b_label)] {
            // From the loaded index: this runs every frame, and the catalog would count all
            // faces to describe one person.
            let cover = space.person(person).and_then(|p| p.cover_face);
            let texture = cover.and_then(|f| ctx.thumbs.get(ui.ctx(), ctx.catalog, f));
            face_button(
                ui,
                texture.as_ref(),
                THUMB,
                false,
                &format!("Cover of {label}"),
            );
            ui.label(label.as_str());
        }
        ui.label(format!(
            "closest faces {:.3}, mean {:.3}",
            s.min_distance, s.mean_distance
        ));
        let pair = format!("{} and {}", s.a_label, s.b_label);
        if ui
            .button("Same person")
            .on_hover_text(format!("Merge {pair}"))
            .clicked()
        {
            ctx.actions.push(Action::Merge {
                target: s.a,
                others: vec![s.b],
            });
        }
        if ui
            .button("Different")
            .on_hover_text(format!("{pair} are different people"))
            .clicked()
        {
            ctx.actions.push(Action::Distinct(s.a, s.b));
        }
    });
    ui.separator();
}
