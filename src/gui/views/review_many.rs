//! The review queue answered many faces at a time: every face the queue would ask about one named
//! person, in a grid, closest first, and "which of these are Anna?". The faces the network calls
//! her (closer than tau) start ticked, the others not, and so do all but the closest of one
//! photo's faces; a click flips a tick, and one answer confirms the ticked faces and rules the
//! others out, as a single undoable action.

use std::collections::HashSet;

use egui::{Key, Modifiers};

use crate::gui::app::Action;
use crate::gui::thumbs::face_button;
use crate::gui::views::ViewCtx;
use crate::people::review::Question;
use crate::wording;

const THUMB: f32 = 112.0;
/// Most faces asked about at once: more would not fit a screen to look over.
const AT_ONCE: usize = 48;

#[derive(Default)]
pub struct ManyAnswers {
    /// The person the ticks below are about.
    person: Option<i64>,
    /// Faces whose tick the user flipped from its default.
    flipped: HashSet<i64>,
}

impl ManyAnswers {
    /// Draws the faces `questions` ask about `focus` while any wait for them, else about the
    /// person of the first question; returns the faces to skip when the user skips them all.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &mut ViewCtx<'_>,
        questions: &[Question],
        focus: Option<i64>,
    ) -> Option<Vec<i64>> {
        let first = questions
            .iter()
            .find(|q| Some(q.person) == focus)
            .or(questions.first())?;
        let (person, name) = (first.person, first.name.clone());
        if self.person != Some(person) {
            self.person = Some(person);
            self.flipped.clear();
        }
        let asked: Vec<&Question> = questions
            .iter()
            .filter(|q| q.person == person)
            .take(AT_ONCE)
            .collect();
        let by_default = ticked_at_first(&asked);
        let ticked = |q: &Question| by_default.contains(&q.face) != self.flipped.contains(&q.face);
        ui.heading(format!("Which of these are {name}?"));
        ui.weak(format!(
            "Closest first. The faces closer than {:.2} to {name}, which the network calls the \
             same person, start ticked; click a face to flip its tick. The ticked faces become \
             {name}, and the others are never asked about {name} again.",
            ctx.tau
        ));
        let (yes, no): (Vec<&Question>, Vec<&Question>) = asked.iter().partition(|q| ticked(q));
        let yes: Vec<i64> = yes.iter().map(|q| q.face).collect();
        let no: Vec<i64> = no.iter().map(|q| q.face).collect();
        let enter = !ui.ctx().egui_wants_keyboard_input()
            && ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Enter));
        let mut skip = None;
        ui.horizontal(|ui| {
            let answer = ui
                .button(format!(
                    "Confirm: {} {name}, {} not (Enter)",
                    are(yes.len()),
                    are(no.len())
                ))
                .clicked();
            if answer || enter {
                ctx.actions.push(Action::Answer {
                    person,
                    yes: yes.clone(),
                    no: no.clone(),
                });
            }
            if ui.button(format!("None is {name}")).clicked() {
                ctx.actions.push(Action::Answer {
                    person,
                    yes: Vec::new(),
                    no: asked.iter().map(|q| q.face).collect(),
                });
            }
            if ui
                .button("Skip these")
                .on_hover_text("Ask later; nothing is changed")
                .clicked()
            {
                skip = Some(asked.iter().map(|q| q.face).collect());
            }
        });
        ui.separator();
        let mut clicked = None;
        egui::ScrollArea::vertical()
            .auto_shrink(false)
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    for q in &asked {
                        let texture = ctx.thumbs.get(ui.ctx(), ctx.catalog, q.face);
                        let response = face_button(
                            ui,
                            texture.as_ref(),
                            THUMB,
                            ticked(q),
                            &format!("Asked face {}", q.face),
                        )
                        .on_hover_text(format!(
                            "{} from {name}",
                            wording::distance(q.distance, ctx.tau)
                        ));
                        mark(ui, response.rect, ticked(q));
                        if response.clicked() {
                            clicked = Some(q.face);
                        }
                    }
                });
            });
        if let Some(face) = clicked {
            if !self.flipped.remove(&face) {
                self.flipped.insert(face);
            }
        }
        skip
    }
}

/// The faces of `asked` (closest first) that start ticked: those the network calls the person,
/// the closest of a photo's only, since one photo never shows someone twice.
fn ticked_at_first(asked: &[&Question]) -> HashSet<i64> {
    let mut photos = HashSet::new();
    asked
        .iter()
        .filter(|q| q.within_threshold && photos.insert(q.photo))
        .map(|q| q.face)
        .collect()
}

/// "1 is", "2 are".
fn are(n: usize) -> String {
    match n {
        1 => "1 is".into(),
        n => format!("{n} are"),
    }
}

/// A tick in the corner of a ticked face; an unticked one is dimmed, so that the answer shows
/// at a glance.
fn mark(ui: &egui::Ui, rect: egui::Rect, ticked: bool) {
    let painter = ui.painter();
    if ticked {
        let centre = rect.right_top() + egui::vec2(-14.0, 14.0);
        painter.circle_filled(centre, 10.0, egui::Color32::from_rgb(60, 150, 60));
        // Drawn, not a glyph: the default fonts have no check mark.
        let stroke = egui::Stroke::new(2.5, egui::Color32::WHITE);
        let at = |x: f32, y: f32| centre + egui::vec2(x, y);
        painter.line_segment([at(-5.0, 0.0), at(-1.5, 4.0)], stroke);
        painter.line_segment([at(-1.5, 4.0), at(5.0, -4.0)], stroke);
    } else {
        painter.rect_filled(rect, 2.0, egui::Color32::from_black_alpha(150));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(face: i64, photo: i64, distance: f32) -> Question {
        Question {
            face,
            photo,
            person: 1,
            name: "Anna".into(),
            distance,
            within_threshold: distance < 0.6,
        }
    }

    #[test]
    fn only_the_closest_face_of_a_photo_starts_ticked() {
        let asked = [
            question(10, 1, 0.3),
            question(11, 2, 0.4),
            question(12, 1, 0.45),
            question(13, 3, 0.65),
        ];
        let asked: Vec<&Question> = asked.iter().collect();
        assert_eq!(ticked_at_first(&asked), HashSet::from([10, 11]));
    }
}
