//! The nearest-faces panel: for one face, its closest faces in the catalog with their distance,
//! written out and drawn as a bar against the same-person threshold tau, which is the whole idea
//! of Kith. For two faces, the distance between them and what the network makes of it.

use crate::gui::thumbs::face_button;
use crate::gui::views::ViewCtx;
use crate::people::suggest::Neighbour;
use crate::wording;

const K: usize = 8;
const THUMB: f32 = 40.0;
const BAR_WIDTH: f32 = 150.0;
const PAIR_THUMB: f32 = 96.0;

#[derive(Default)]
pub struct NeighboursPanel {
    /// The face the list belongs to, and the list; recomputed when the face changes.
    cached: Option<(i64, Vec<Neighbour>)>,
}

impl NeighboursPanel {
    pub fn clear(&mut self) {
        self.cached = None;
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>, face: i64) {
        ui.heading("Nearest faces");
        let Some(space) = ctx.faces.ready() else {
            ui.weak("Loading the face index…");
            return;
        };
        if self.cached.as_ref().is_none_or(|(f, _)| *f != face) {
            let list = space.neighbours(face, K).unwrap_or_default();
            self.cached = Some((face, list));
        }
        let Some((_, list)) = &self.cached else {
            return;
        };
        ui.label(format!(
            "Below {:.2}: the network calls these the same person.",
            ctx.tau
        ));
        if list.is_empty() {
            ui.label("This face is not in the index (ignored?).");
            return;
        }
        // Bars share one scale so that they compare; tau always fits with room to spare.
        let scale = list
            .iter()
            .map(|n| n.distance)
            .fold(ctx.tau * 1.5, f32::max);
        egui::ScrollArea::vertical().show(ui, |ui| {
            for n in list {
                ui.horizontal(|ui| {
                    let texture = ctx.thumbs.get(ui.ctx(), ctx.catalog, n.face_id);
                    face_button(
                        ui,
                        texture.as_ref(),
                        THUMB,
                        false,
                        &format!("Neighbour face {}", n.face_id),
                    );
                    ui.vertical(|ui| {
                        ui.label(n.person_label.as_deref().unwrap_or("No person"));
                        ui.horizontal(|ui| {
                            distance_bar(ui, n.distance, ctx.tau, scale);
                            ui.monospace(wording::distance(n.distance, ctx.tau));
                        });
                    });
                });
            }
        });
    }
}

/// The panel for two selected faces: both, side by side, the distance between them against
/// tau, and the verdict it gives.
pub fn pair_ui(ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>, a: i64, b: i64) {
    ui.heading("These two faces");
    let Some(space) = ctx.faces.ready() else {
        ui.weak("Loading the face index…");
        return;
    };
    ui.horizontal(|ui| {
        for face in [a, b] {
            let texture = ctx.thumbs.get(ui.ctx(), ctx.catalog, face);
            face_button(
                ui,
                texture.as_ref(),
                PAIR_THUMB,
                false,
                &format!("Compared face {face}"),
            );
        }
    });
    let Some(distance) = space.distance_between(a, b) else {
        ui.label("One of them is not in the index (ignored?).");
        return;
    };
    ui.horizontal(|ui| {
        distance_bar(ui, distance, ctx.tau, ctx.tau * 2.0);
        ui.monospace(wording::distance(distance, ctx.tau));
    });
    ui.label(if distance < ctx.tau {
        format!(
            "Below {:.2}: the network calls them the same person.",
            ctx.tau
        )
    } else {
        format!(
            "Not below {:.2}: the network calls them different people.",
            ctx.tau
        )
    });
}

/// A bar as long as `distance` on a `scale` as long as the bar, with a vertical line at tau;
/// green when the distance is below tau (the embedder's "same person").
pub fn distance_bar(ui: &mut egui::Ui, distance: f32, tau: f32, scale: f32) {
    let (rect, response) =
        ui.allocate_exact_size(egui::vec2(BAR_WIDTH, 12.0), egui::Sense::hover());
    let painter = ui.painter();
    painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
    let length = (distance / scale).clamp(0.0, 1.0) * rect.width();
    let colour = if distance < tau {
        egui::Color32::from_rgb(90, 170, 90)
    } else {
        egui::Color32::from_rgb(150, 150, 150)
    };
    let bar = egui::Rect::from_min_size(rect.min, egui::vec2(length, rect.height()));
    painter.rect_filled(bar, 2.0, colour);
    let x = rect.left() + (tau / scale) * rect.width();
    painter.vline(
        x,
        rect.y_range(),
        egui::Stroke::new(2.0, ui.visuals().strong_text_color()),
    );
    response.on_hover_text(format!("distance {distance:.3} (tau {tau:.2})"));
}
