//! The photo viewer: the whole photo, decoded on a worker (upright, scaled to the screen), with every
//! face's box (dashed for faces the user added) and its person's name drawn on it. A side panel
//! of one width lists who is in the photo; clicking a box, or a face in that list, selects the
//! face, to correct it (move it to someone, not this person); Left/Right step
//! through the photos it was opened from;
//! the file opens in the desktop's viewer, or its folder does. It says where else the same
//! picture is, and whom another app lists in the photo that no face of it is yet. "Add a face"
//! lets the user drag a box around a face the scan missed (see [`crate::scan::drawn`]). The
//! mouse wheel (or a pinch) zooms about the pointer and a drag pans, with the photo decoded
//! again at full size once zoomed in. The photos
//! before and after the one shown are decoded ahead, so stepping shows them at once (a 12 MP HEIC
//! takes half a second).

use std::path::{Path, PathBuf};

use egui::{
    pos2, vec2, Align2, Color32, ColorImage, FontId, Key, Modifiers, Rect, Role, Sense, Stroke,
    StrokeKind, TextureHandle, TextureOptions, WidgetInfo,
};

use crate::catalog::{Catalog, CatalogError, PhotoFace, PhotoRow};
use crate::gui::app::{Action, View};
use crate::gui::desktop::{self, Handover};
use crate::gui::jobs::Task;
use crate::gui::views::picker::PersonPicker;
use crate::gui::views::{Order, ViewCtx};
use crate::scan::decode;
use crate::wording;

const SIDE_PANEL: f32 = 260.0;
/// Side of a face's thumbnail in the list of the photo's faces.
const LISTED_FACE: f32 = 40.0;
/// Where else a picture is, named in full up to this many places.
const COPIES_NAMED: usize = 3;

/// Where the viewer was opened from: what Left/Right step through and where Back returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PhotoSource {
    /// A person's photos (from their face grid).
    Person(i64),
    /// The search results.
    Search,
    /// One face's photo (from the review queue).
    Review,
    /// The photos of the faces with nobody.
    Ungrouped,
}

impl PhotoSource {
    fn back(self) -> View {
        match self {
            PhotoSource::Person(p) => View::Person(p),
            PhotoSource::Search => View::Search,
            PhotoSource::Review => View::Review,
            PhotoSource::Ungrouped => View::Ungrouped,
        }
    }
}

enum Picture {
    Loading(Task<ColorImage>),
    Ready(TextureHandle),
    Failed(String),
}

#[derive(Default)]
pub struct PhotoView {
    photo: Option<PhotoRow>,
    from: Option<PhotoSource>,
    faces: Vec<PhotoFace>,
    /// The photos Left/Right step through, in order.
    sequence: Vec<i64>,
    selected: Option<i64>,
    move_to: PersonPicker,
    /// The pixels of the photo shown and of its neighbours in `sequence`, by photo id.
    pictures: Vec<(i64, Picture)>,
    /// The photos before and after the one shown, to decode ahead.
    neighbours: Vec<(i64, PathBuf)>,
    /// Opening the file or its folder, and what went wrong doing so.
    handover: Handover,
    /// Where else the same picture is (copies, or the original of a copy), counted once.
    copies: Vec<String>,
    /// People another app lists in the photo whom no face of it is.
    unfound: Vec<String>,
    /// "Add a face" is on: a drag on the photo draws a face's box.
    adding_face: bool,
    /// Where the drag drawing a face's box started, in screen points.
    drag_from: Option<egui::Pos2>,
    zoom: Zoom,
    /// A sharper decode of the photo shown, for the zoom: its photo and long side.
    sharper: Option<(i64, u32, Task<ColorImage>)>,
    /// A zoom asked for from the keyboard this frame, about the view's centre.
    key_zoom: Option<f32>,
}

/// How far the photo is zoomed in, and where.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Zoom {
    /// Times the size at which the whole photo fits (1: fitted).
    factor: f32,
    /// The point of the photo at the centre of the view, in its pixels; `None`: its centre.
    focus: Option<egui::Vec2>,
}

impl Default for Zoom {
    fn default() -> Self {
        Self {
            factor: 1.0,
            focus: None,
        }
    }
}

/// Zoomed in no further than this many screen points per pixel of the photo.
const MOST_POINTS_PER_PIXEL: f32 = 4.0;

/// Where the photo lies on the screen: the view's rectangle, and the photo's own, zoomed.
struct Placement {
    view: Rect,
    photo: Rect,
    /// Screen points per pixel of the photo.
    scale: f32,
}

impl Placement {
    fn to_screen(&self, [x, y]: [f32; 2]) -> egui::Pos2 {
        self.photo.min + vec2(x, y) * self.scale
    }

    fn to_photo(&self, at: egui::Pos2) -> egui::Vec2 {
        (at - self.photo.min) / self.scale
    }
}

impl PhotoView {
    /// Opens the viewer from a view showing `shown` photos, in that order: Left/Right step
    /// through them as they were shown, which after a scan's placings need not be the library's.
    pub fn opened_from(&mut self, from: PhotoSource, shown: Vec<i64>) {
        self.from = Some(from);
        self.sequence = shown;
    }

    /// Shows photo `photo`, opened from `from`; false when the photo is not in the catalog.
    /// The photos stepped through are read again, but keep the order they had: a photo added
    /// since (by a scan, or by a face moved here) comes after them.
    pub fn load(
        &mut self,
        catalog: &Catalog,
        photo: i64,
        from: PhotoSource,
    ) -> Result<bool, CatalogError> {
        let Some(row) = catalog.photo(photo)? else {
            self.photo = None;
            return Ok(false);
        };
        if self.photo.as_ref().map(|p| p.id) != Some(photo) {
            self.selected = None;
            self.move_to.clear();
            self.handover.forget();
            self.adding_face = false;
            self.drag_from = None;
            self.zoom = Zoom::default();
        }
        self.faces = catalog.photo_faces(photo)?;
        self.copies = catalog.other_copies(photo)?;
        self.unfound = catalog.unfound_listed(photo)?;
        self.selected = self
            .selected
            .filter(|s| self.faces.iter().any(|f| f.id == *s));
        if self.from != Some(from) {
            self.sequence.clear();
        }
        let mut sequence = match from {
            PhotoSource::Person(person) => catalog
                .photos_with_persons(&[vec![person]], &[], None, None)?
                .into_iter()
                .map(|hit| hit.photo_id)
                .collect(),
            // The results the viewer was opened from: a search is not run again by itself.
            PhotoSource::Search => self.sequence.clone(),
            PhotoSource::Review => vec![photo],
            PhotoSource::Ungrouped => catalog.photos_of_ungrouped_faces()?,
        };
        Order::AsShown.apply(&mut sequence, &self.sequence, |&p| p);
        // A correction can take the person out of this very photo: then keep stepping from here.
        if sequence.contains(&photo) || self.from != Some(from) {
            self.sequence = sequence;
        }
        self.from = Some(from);
        let position = self.sequence.iter().position(|&p| p == photo);
        let around = position.map_or(vec![], |i| {
            [i.checked_sub(1), Some(i + 1)]
                .into_iter()
                .flatten()
                .filter_map(|j| self.sequence.get(j).copied())
                .collect()
        });
        self.neighbours = around
            .into_iter()
            .filter_map(|id| catalog.photo(id).transpose())
            .map(|row| row.map(|r| (r.id, r.path)))
            .collect::<Result<_, _>>()?;
        self.photo = Some(row);
        Ok(true)
    }

    /// The photos whose pixels are ready to show: the one shown and those decoded ahead.
    pub fn decoded(&self) -> Vec<i64> {
        self.pictures
            .iter()
            .filter(|(_, p)| matches!(p, Picture::Ready(_)))
            .map(|(id, _)| *id)
            .collect()
    }

    pub fn photo(&self) -> Option<&PhotoRow> {
        self.photo.as_ref()
    }

    /// The faces drawn on the photo, left to right.
    pub fn faces(&self) -> &[PhotoFace] {
        &self.faces
    }

    /// Selects face `face` (one just drawn), to name it.
    pub fn select(&mut self, face: i64) {
        if self.faces.iter().any(|f| f.id == face) {
            self.selected = Some(face);
            self.move_to.clear();
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let (Some(photo), Some(from)) = (self.photo.clone(), self.from) else {
            ctx.actions.push(Action::Show(View::People));
            return;
        };
        self.poll(ui.ctx(), &photo);
        let position = self.sequence.iter().position(|&p| p == photo.id);
        let previous = position
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| self.sequence.get(i))
            .copied();
        let next = position.and_then(|i| self.sequence.get(i + 1)).copied();

        // Arrow keys and Escape, unless the name picker is taking the keys.
        let [mut go_back, mut go_previous, mut go_next] = if ui.ctx().egui_wants_keyboard_input() {
            [false; 3]
        } else {
            ui.input_mut(|i| {
                [Key::Escape, Key::ArrowLeft, Key::ArrowRight]
                    .map(|k| i.consume_key(Modifiers::NONE, k))
            })
        };
        // Escape first leaves "Add a face".
        if go_back && self.adding_face {
            go_back = false;
            self.adding_face = false;
            self.drag_from = None;
        }
        self.keys(ui);
        ui.horizontal(|ui| {
            go_back |= ui.button("Back").clicked();
            go_previous |= ui
                .add_enabled(previous.is_some(), egui::Button::new("Previous"))
                .on_hover_text("Left arrow")
                .clicked();
            if let Some(i) = position {
                ui.label(format!("{} of {}", i + 1, self.sequence.len()));
            }
            go_next |= ui
                .add_enabled(next.is_some(), egui::Button::new("Next"))
                .on_hover_text("Right arrow")
                .clicked();
            ui.separator();
            let name = photo
                .path
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            ui.strong(name.as_ref())
                .on_hover_text(photo.path.display().to_string());
            if let Some(date) = &photo.taken_at {
                ui.label(crate::scan::capture_time::to_the_second(date));
            }
            ui.separator();
            if ui.button("Open file").clicked() {
                self.handover
                    .start(ui.ctx(), &photo.path, desktop::open_file);
            }
            if ui.button("Show in folder").clicked() {
                self.handover
                    .start(ui.ctx(), &photo.path, desktop::show_in_folder);
            }
            ui.separator();
            if ui
                .selectable_label(self.adding_face, "Add a face")
                .on_hover_text("Drag a box around a face Kith missed (A; Escape stops)")
                .clicked()
            {
                self.adding_face = !self.adding_face;
                self.drag_from = None;
            }
            if self.zoom != Zoom::default() {
                ui.separator();
                ui.label(format!("{:.0}%", self.zoom.factor * 100.0));
                if ui
                    .button("Fit")
                    .on_hover_text("The whole photo again (0; the wheel, + and - zoom)")
                    .clicked()
                {
                    self.zoom = Zoom::default();
                }
            }
        });
        if self.adding_face {
            ui.weak(
                "Drag a box around the face, from brow to chin. Kith looks closely at it, \
                 and places it with the person it resembles; you can name it then",
            );
        }
        if let Some(failed) = self.handover.failed() {
            ui.colored_label(ui.visuals().error_fg_color, failed);
        }
        if !self.copies.is_empty() {
            ui.weak(format!(
                "The same picture is also at {} (its faces are counted once)",
                listed_briefly(&self.copies)
            ))
            .on_hover_text(self.copies.join("\n"));
        }
        if !self.unfound.is_empty() {
            ui.weak(format!(
                "Another app lists {} in this photo, and no face here is them yet",
                self.unfound.join(", ")
            ))
            .on_hover_text(
                "Their faces may be here, unrecognised: select one to move it to them or name \
                 it; a face Kith missed can be added (\"Add a face\")",
            );
        }
        ui.separator();

        // Always there at one width: opening it on a click shrank the photo under the pointer.
        let selected = self
            .selected
            .and_then(|s| self.faces.iter().find(|f| f.id == s))
            .cloned();
        egui::Panel::right("photo_face")
            .resizable(false)
            .exact_size(SIDE_PANEL)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| match &selected {
                    Some(face) => self.face_panel(ui, ctx, face),
                    None => self.faces_list(ui, ctx),
                })
            });
        match self.picture_ui(ui, &photo) {
            Some(OnPicture::Clicked(face)) => {
                self.selected = if self.selected == Some(face) {
                    None
                } else {
                    Some(face)
                };
                self.move_to.clear();
            }
            Some(OnPicture::Drawn(bbox)) => {
                self.adding_face = false;
                ctx.actions.push(Action::DrawFace {
                    photo: photo.id,
                    bbox,
                });
            }
            None => {}
        }

        let target = match (go_back, go_previous, go_next) {
            (true, _, _) => Some(from.back()),
            (_, true, _) => previous.map(|photo| View::Photo { photo, from }),
            (_, _, true) => next.map(|photo| View::Photo { photo, from }),
            _ => None,
        };
        if let Some(view) = target {
            ctx.actions.push(Action::Show(view));
        }
    }

    /// Starts decoding the photo when it is new, then its neighbours, and takes in finished
    /// decodes and openers.
    fn poll(&mut self, ctx: &egui::Context, photo: &PhotoRow) {
        // Physical pixels of the window's long side: more would only be scaled away. Nor may a
        // texture be larger than the graphics driver takes (egui refuses it).
        let limit = (ctx.content_rect().size().max_elem() * ctx.pixels_per_point()).ceil();
        let largest = ctx.input(|i| i.max_texture_side) as f32;
        let limit = limit.min(largest).max(1.0) as u32;
        let wanted = |id: i64| id == photo.id || self.neighbours.iter().any(|(n, _)| *n == id);
        self.pictures.retain(|(id, _)| wanted(*id));
        let shown_started = self.pictures.iter().any(|(id, _)| *id == photo.id);
        if !shown_started {
            let path = photo.path.clone();
            let pending = Task::spawn(ctx, move || for_screen(&path, limit));
            self.pictures.push((photo.id, Picture::Loading(pending)));
        }
        for (id, picture) in &mut self.pictures {
            if let Picture::Loading(pending) = picture {
                match pending.poll() {
                    Some(Ok(image)) => {
                        let texture =
                            ctx.load_texture(format!("photo-{id}"), image, TextureOptions::LINEAR);
                        *picture = Picture::Ready(texture);
                    }
                    Some(Err(err)) => *picture = Picture::Failed(err),
                    None => {}
                }
            }
        }
        // The neighbours wait for the photo shown, so as not to slow it down.
        let shown_loading = self
            .pictures
            .iter()
            .any(|(id, p)| *id == photo.id && matches!(p, Picture::Loading(_)));
        if !shown_loading {
            for (id, path) in &self.neighbours {
                if !self.pictures.iter().any(|(p, _)| p == id) {
                    let path = path.clone();
                    let pending = Task::spawn(ctx, move || for_screen(&path, limit));
                    self.pictures.push((*id, Picture::Loading(pending)));
                }
            }
        }
        self.sharpen(ctx, photo, limit);
    }

    /// Once the photo shown is zoomed in, decodes it again at full size (at most the largest
    /// texture), and takes the sharper pixels in once decoded. All at once rather than as much
    /// as each step of the zoom shows: a wheel turned on would start a decode at every step.
    fn sharpen(&mut self, ctx: &egui::Context, photo: &PhotoRow, fitted: u32) {
        if self.zoom.factor <= 1.0 {
            return;
        }
        let largest = ctx.input(|i| i.max_texture_side) as f32;
        let full = photo.width.zip(photo.height).map(|(w, h)| w.max(h) as f32);
        let wanted = full
            .unwrap_or(largest)
            .min(largest)
            .max(fitted as f32)
            .ceil() as u32;
        let shown = self.pictures.iter_mut().find(|(id, _)| *id == photo.id);
        let Some((_, Picture::Ready(texture))) = shown else {
            return;
        };
        let held = texture.size().into_iter().max().unwrap_or(0) as u32;
        if let Some((id, long_side, pending)) = &self.sharper {
            if *id != photo.id || *long_side < wanted {
                self.sharper = None;
            } else {
                match pending.poll() {
                    Some(Ok(image)) => {
                        *texture =
                            ctx.load_texture(format!("photo-{id}"), image, TextureOptions::LINEAR);
                        self.sharper = None;
                    }
                    Some(Err(_)) => {} // Kept: the fitted pixels stay, and no retry each frame.
                    None => {}
                }
                return;
            }
        }
        // A quarter more than held is worth a decode; less is not seen.
        if wanted * 4 > held * 5 {
            let path = photo.path.clone();
            let pending = Task::spawn(ctx, move || for_screen(&path, wanted));
            self.sharper = Some((photo.id, wanted, pending));
        }
    }

    /// Draws the photo as large as fits, with the faces' boxes; returns the face whose box was
    /// clicked, or the box a drag drew while adding a face.
    fn picture_ui(&mut self, ui: &mut egui::Ui, photo: &PhotoRow) -> Option<OnPicture> {
        let picture = self.pictures.iter().find(|(id, _)| *id == photo.id);
        let (texture, status) = match picture {
            Some((_, Picture::Ready(texture))) => (Some((texture.id(), texture.size_vec2())), None),
            Some((_, Picture::Failed(err))) => (None, Some(err.clone())),
            _ => (None, Some("Loading the photo…".to_string())),
        };
        // The catalog's size places the boxes before the pixels arrive, and if they never do.
        let size = match (photo.width, photo.height) {
            (Some(w), Some(h)) if w > 0 && h > 0 => vec2(w as f32, h as f32),
            _ => texture.map_or(vec2(4.0, 3.0), |(_, size)| size),
        };
        let available = ui.available_size();
        let fit = (available.x / size.x).min(available.y / size.y).max(0.0);
        // All the room there is, the photo fitted in its middle: zooming then keeps its place.
        let (rect, area) = ui.allocate_exact_size(available, Sense::drag());
        area.widget_info(|| WidgetInfo::labeled(Role::Image, true, "Photo"));
        self.zoom_and_pan(ui, &area, rect, size, fit);
        let at = self.placement(rect, size, fit);
        let painter = ui.painter_at(rect);
        match texture {
            Some((texture, _)) => {
                painter.image(
                    texture,
                    at.photo,
                    Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
                    Color32::WHITE,
                );
            }
            None => {
                painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
                painter.text(
                    rect.center(),
                    Align2::CENTER_CENTER,
                    status.unwrap_or_default(),
                    FontId::proportional(15.0),
                    ui.visuals().weak_text_color(),
                );
            }
        }
        let mut clicked = None;
        if self.adding_face {
            clicked = self.drawing(ui, &painter, &area, &at);
        }
        for face in &self.faces {
            let [x, y, w, h] = face.bbox;
            let area = Rect::from_min_max(at.to_screen([x, y]), at.to_screen([x + w, y + h]))
                .intersect(at.photo)
                .intersect(rect);
            // Out of the zoomed view.
            if !area.is_positive() {
                continue;
            }
            let name = face_name(face);
            let label = format!("Face {}: {name}", face.id);
            // While adding a face, the boxes let drags through to the photo.
            let sense = if self.adding_face {
                Sense::hover()
            } else {
                Sense::click()
            };
            let response = ui.interact(area, ui.scope_id().with(("face box", face.id)), sense);
            response.widget_info(|| WidgetInfo::labeled(Role::Button, true, &label));
            // Named: done; in an unnamed group or with nobody: still to name.
            let colour = if face.ignored {
                Color32::GRAY
            } else if face.person_name.is_some() {
                Color32::from_rgb(90, 200, 90)
            } else {
                Color32::from_rgb(230, 180, 40)
            };
            let width = if self.selected == Some(face.id) {
                4.0
            } else {
                2.0
            };
            if face.drawn {
                // Dashed: a face the user added, not one the scan found.
                let around = area.expand(width / 2.0);
                let corners = [
                    around.left_top(),
                    around.right_top(),
                    around.right_bottom(),
                    around.left_bottom(),
                    around.left_top(),
                ];
                painter.extend(egui::Shape::dashed_line(
                    &corners,
                    Stroke::new(width, colour),
                    6.0,
                    4.0,
                ));
            } else {
                painter.rect_stroke(area, 2.0, Stroke::new(width, colour), StrokeKind::Outside);
            }
            // The name on a dark band under the box (inside it at the photo's bottom edge), so
            // that it reads on any photo.
            let galley = painter.layout_no_wrap(name, FontId::proportional(14.0), Color32::WHITE);
            let below = area.bottom() + 4.0;
            let y = if below + galley.size().y <= rect.bottom() {
                below
            } else {
                area.bottom() - galley.size().y - 4.0
            };
            let at = pos2(area.left() + 2.0, y);
            painter.rect_filled(
                Rect::from_min_size(at, galley.size()).expand(2.0),
                2.0,
                Color32::from_black_alpha(170),
            );
            painter.galley(at, galley, Color32::WHITE);
            if response.clicked() {
                clicked = Some(OnPicture::Clicked(face.id));
            }
        }
        clicked
    }

    /// The viewer's keys, unless a text field takes them: + and - zoom, 0 fits the photo, A
    /// starts or stops adding a face.
    fn keys(&mut self, ui: &egui::Ui) {
        if ui.ctx().egui_wants_keyboard_input() {
            return;
        }
        let [zoom_in, equals, zoom_out, fit, add] = ui.input_mut(|i| {
            [Key::Plus, Key::Equals, Key::Minus, Key::Num0, Key::A]
                .map(|k| i.consume_key(Modifiers::NONE, k))
        });
        if zoom_in || equals {
            self.key_zoom = Some(1.25);
        } else if zoom_out {
            self.key_zoom = Some(0.8);
        }
        if fit {
            self.zoom = Zoom::default();
        }
        if add {
            self.adding_face = !self.adding_face;
            self.drag_from = None;
        }
    }

    /// Zooms about the pointer by the wheel or a pinch over the photo, and pans it by a drag
    /// (unless the drag draws a face's box). `rect` is the view, `size` the photo's in pixels,
    /// `fit` the scale at which it fits.
    fn zoom_and_pan(
        &mut self,
        ui: &egui::Ui,
        area: &egui::Response,
        rect: Rect,
        size: egui::Vec2,
        fit: f32,
    ) {
        if fit <= 0.0 {
            return;
        }
        let before = self.placement(rect, size, fit);
        let key_zoom = self.key_zoom.take();
        let pointer = match key_zoom {
            Some(_) => Some(rect.center()),
            None => area.hover_pos(),
        };
        if let Some(pointer) = pointer {
            let (pinch, wheel) = match key_zoom {
                Some(step) => (step, 0.0),
                None => ui.input(|i| (i.zoom_delta(), i.smooth_scroll_delta.y)),
            };
            let most = (MOST_POINTS_PER_PIXEL / fit).max(1.0);
            let factor = (self.zoom.factor * pinch * (wheel / 400.0).exp()).clamp(1.0, most);
            if factor != self.zoom.factor {
                // The pixel under the pointer stays under it; zooming out, the photo also comes
                // back to fill the view (or to its middle, where smaller).
                let under = before.to_photo(pointer);
                let scale = fit * factor;
                let mut focus = under - (pointer - rect.center()) / scale;
                if factor < self.zoom.factor {
                    let half = rect.size() / (2.0 * scale);
                    let settle = |f: f32, half: f32, side: f32| {
                        if 2.0 * half >= side {
                            side / 2.0
                        } else {
                            f.clamp(half, side - half)
                        }
                    };
                    focus = vec2(
                        settle(focus.x, half.x, size.x),
                        settle(focus.y, half.y, size.y),
                    );
                }
                self.zoom = Zoom {
                    factor,
                    focus: Some(focus),
                };
            }
        }
        if !self.adding_face && area.dragged() && self.zoom.factor > 1.0 {
            let focus = self.placement(rect, size, fit).to_photo(rect.center());
            self.zoom.focus = Some(focus - area.drag_delta() / (fit * self.zoom.factor));
        }
        if self.zoom.factor <= 1.0 {
            self.zoom = Zoom::default();
        }
    }

    /// Where the photo of `size` pixels lies in the view `rect` at the zoom, kept over the view's
    /// centre. (Held more tightly, covering the view, it would slide away from the pointer
    /// zooming about a face near its edge.)
    fn placement(&self, rect: Rect, size: egui::Vec2, fit: f32) -> Placement {
        let scale = fit * self.zoom.factor;
        let focus = self.zoom.focus.unwrap_or(size / 2.0);
        let focus = vec2(focus.x.clamp(0.0, size.x), focus.y.clamp(0.0, size.y));
        let min = rect.center() - focus * scale;
        Placement {
            view: rect,
            photo: Rect::from_min_size(min, size * scale),
            scale,
        }
    }

    /// The box being dragged over the photo while adding a face; once let go, in the photo's
    /// pixels.
    fn drawing(
        &mut self,
        ui: &egui::Ui,
        painter: &egui::Painter,
        area: &egui::Response,
        at: &Placement,
    ) -> Option<OnPicture> {
        if area.drag_started() {
            self.drag_from = area.interact_pointer_pos();
        }
        let from = self.drag_from?;
        let to = area
            .interact_pointer_pos()
            .or_else(|| ui.input(|i| i.pointer.latest_pos()))?;
        let drawn = Rect::from_two_pos(from, to)
            .intersect(at.view)
            .intersect(at.photo);
        painter.rect_stroke(
            drawn,
            2.0,
            Stroke::new(2.0, ui.visuals().selection.stroke.color),
            StrokeKind::Outside,
        );
        if !area.drag_stopped() {
            return None;
        }
        self.drag_from = None;
        // A slip of the hand, not a box.
        if drawn.width() < 4.0 || drawn.height() < 4.0 || at.scale <= 0.0 {
            return None;
        }
        let min = at.to_photo(drawn.min);
        let size = drawn.size() / at.scale;
        Some(OnPicture::Drawn([min.x, min.y, size.x, size.y]))
    }

    /// Who is in the photo, each face a click away from its corrections.
    fn faces_list(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        if self.faces.is_empty() {
            ui.label("No face was found in this photo.");
            ui.weak("\"Add a face\" draws one the scan missed.");
            return;
        }
        ui.heading("In this photo");
        for face in &self.faces {
            let name = face_name(face);
            let texture = ctx.thumbs.get(ui.ctx(), ctx.catalog, face.id);
            let clicked = ui
                .horizontal(|ui| {
                    let thumb = crate::gui::thumbs::face_button(
                        ui,
                        texture.as_ref(),
                        LISTED_FACE,
                        false,
                        &format!("Listed face {}: {name}", face.id),
                    );
                    let label = ui.add(egui::Label::new(name.as_str()).sense(Sense::click()));
                    // The review's guess, where it has one: a click away from Yes or No.
                    if let Some(q) = ctx.questions.iter().find(|q| q.face == face.id) {
                        ui.weak(format!(
                            "{}? ({})",
                            q.name,
                            wording::distance(q.distance, ctx.tau)
                        ));
                    }
                    thumb.clicked() || label.clicked()
                })
                .inner;
            if clicked {
                self.selected = Some(face.id);
                self.move_to.clear();
            }
        }
        ui.add_space(8.0);
        ui.weak("Select a face, here or on the photo, to name it or correct it.");
    }

    /// The selected face: who it is, and the corrections.
    fn face_panel(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>, face: &PhotoFace) {
        if ui
            .button("All faces of this photo")
            .on_hover_text("The list of this photo's faces")
            .clicked()
        {
            self.selected = None;
            self.move_to.clear();
        }
        let texture = ctx.thumbs.get(ui.ctx(), ctx.catalog, face.id);
        crate::gui::thumbs::face_button(
            ui,
            texture.as_ref(),
            128.0,
            true,
            &format!("Selected face {}", face.id),
        );
        ui.heading(face_name(face));
        if face.pinned {
            ui.weak("confirmed by you");
        } else if face.person.is_some() {
            ui.weak("placed by clustering");
        }
        if face.drawn {
            ui.weak("added by you");
            if ui
                .button("Remove this face")
                .on_hover_text("Take away the face you added")
                .clicked()
            {
                ctx.actions.push(Action::RemoveDrawnFace(face.id));
            }
        }
        if let Some(q) = ctx.questions.iter().find(|q| q.face == face.id) {
            ui.separator();
            ui.label(format!(
                "Is this {}? ({})",
                q.name,
                wording::distance(q.distance, ctx.tau)
            ))
            .on_hover_text(format!(
                "The nearest named person; below {:.2} the network calls them the same",
                ctx.tau
            ));
            ui.horizontal(|ui| {
                if ui.button("Yes").clicked() {
                    ctx.actions.push(Action::Confirm {
                        face: face.id,
                        person: q.person,
                    });
                }
                if ui.button("No").clicked() {
                    ctx.actions.push(Action::Reject {
                        face: face.id,
                        person: q.person,
                    });
                }
            });
            ui.separator();
        }
        if let Some(person) = face.person {
            if ui.button("Open person").clicked() {
                ctx.actions.push(Action::Show(View::Person(person)));
            }
            if ui
                .button("Not this person")
                .on_hover_text("Take the face out; it never goes back to this person")
                .clicked()
            {
                ctx.actions.push(Action::NotThisPerson(vec![face.id]));
            }
        }
        // A face with nobody is named; one with someone is moved.
        let verb = if face.person.is_some() {
            "Move to"
        } else {
            "Name as"
        };
        ui.horizontal_wrapped(|ui| {
            if let Some(to) = self.move_to.ui(ui, ctx.catalog, verb, true, face.person) {
                ctx.actions.push(Action::MoveFaces {
                    faces: vec![face.id],
                    to,
                });
            }
        });
    }
}

/// What the pointer did on the photo.
enum OnPicture {
    /// Clicked a face's box.
    Clicked(i64),
    /// Drew a face's box (x, y, w, h in the photo's pixels).
    Drawn([f32; 4]),
}

/// Who a face is, for its box.
fn face_name(face: &PhotoFace) -> String {
    if face.ignored {
        return "ignored".into();
    }
    face.person_label().unwrap_or_else(|| "nobody".into())
}

/// Up to [`COPIES_NAMED`] of `copies`, then how many more (all of them on hover): a picture
/// saved in dozens of places would fill the view with its paths.
fn listed_briefly(copies: &[String]) -> String {
    match copies.len().checked_sub(COPIES_NAMED) {
        Some(more) if more > 0 => {
            format!("{} and {more} more", copies[..COPIES_NAMED].join(", "))
        }
        _ => copies.join(", "),
    }
}

/// The photo at `path`, upright and no longer on its long side than `limit`, as egui pixels.
fn for_screen(path: &Path, limit: u32) -> Result<ColorImage, String> {
    let bytes =
        std::fs::read(path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    let decoded = decode::decode(&bytes, Some(limit)).map_err(|err| err.to_string())?;
    let pixels = decode::fit_within(decoded.pixels, limit);
    let size = [pixels.width() as usize, pixels.height() as usize];
    Ok(ColorImage::from_rgb(size, pixels.as_raw()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::views::synthetic_catalog;

    #[test]
    fn the_viewer_steps_in_the_order_it_was_opened_with_and_puts_photos_added_after() {
        let (_dir, mut catalog, largest) = synthetic_catalog(400, 100);
        let photos_of = |catalog: &Catalog, person: i64| -> Vec<i64> {
            catalog
                .photos_with_persons(&[vec![person]], &[], None, None)
                .expect("photos")
                .iter()
                .map(|hit| hit.photo_id)
                .collect()
        };
        let library = photos_of(&catalog, largest);
        assert!(library.len() > 10);
        // As a grid kept in another order than the library's shows them.
        let shown: Vec<i64> = library.iter().rev().copied().collect();
        let from = PhotoSource::Person(largest);
        let mut view = PhotoView::default();
        view.opened_from(from, shown.clone());
        assert!(view.load(&catalog, shown[0], from).expect("load"));
        assert_eq!(view.sequence, shown);

        // A scan places a face of another photo with this person: it comes after, not between.
        let face = catalog
            .faces()
            .expect("faces")
            .into_iter()
            .find(|f| !library.contains(&f.photo_id))
            .expect("a face of another photo");
        catalog
            .apply_clustering(&[(face.id, Some(largest))], &[])
            .expect("placed");
        assert!(photos_of(&catalog, largest).contains(&face.photo_id));
        assert!(view.load(&catalog, shown[1], from).expect("step"));
        assert_eq!(view.sequence, [shown.clone(), vec![face.photo_id]].concat());

        // Opened again from a grid in the library's order, it steps in that order.
        let library = photos_of(&catalog, largest);
        view.opened_from(from, library.clone());
        assert!(view.load(&catalog, library[0], from).expect("load"));
        assert_eq!(view.sequence, library);
    }

    #[test]
    fn many_copies_are_counted_past_the_first_few() {
        let places = |n: usize| (1..=n).map(|i| format!("/p/{i}.jpg")).collect::<Vec<_>>();
        assert_eq!(listed_briefly(&places(2)), "/p/1.jpg, /p/2.jpg");
        assert_eq!(listed_briefly(&places(3)), "/p/1.jpg, /p/2.jpg, /p/3.jpg");
        assert_eq!(
            listed_briefly(&places(40)),
            "/p/1.jpg, /p/2.jpg, /p/3.jpg and 37 more"
        );
    }
}
