//! Face thumbnails as egui textures: the catalog's 128x128 JPEGs decoded on first use and cached
//! by face id, so that a grid only pays for the faces it actually shows.

use std::collections::HashMap;

use egui::{ColorImage, TextureHandle, TextureOptions};

use crate::catalog::Catalog;

/// Textures kept at most (64 KiB each); past this the cache starts over, which only costs
/// re-decoding the faces on screen.
const MAX_CACHED: usize = 4096;

#[derive(Default)]
pub struct Thumbnails {
    /// `None`: looked up once and not available (no thumbnail stored, or undecodable).
    cache: HashMap<i64, Option<TextureHandle>>,
}

impl Thumbnails {
    /// The texture of `face_id`, loading it now if needed.
    pub fn get(
        &mut self,
        ctx: &egui::Context,
        catalog: &Catalog,
        face_id: i64,
    ) -> Option<TextureHandle> {
        if self.cache.len() >= MAX_CACHED && !self.cache.contains_key(&face_id) {
            self.cache.clear();
        }
        self.cache
            .entry(face_id)
            .or_insert_with(|| load(ctx, catalog, face_id))
            .clone()
    }
}

fn load(ctx: &egui::Context, catalog: &Catalog, face_id: i64) -> Option<TextureHandle> {
    let bytes = match catalog.face_thumbnail(face_id) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return None,
        Err(err) => {
            tracing::warn!(face_id, %err, "cannot read face thumbnail");
            return None;
        }
    };
    let rgb = match image::load_from_memory(&bytes) {
        Ok(img) => img.to_rgb8(),
        Err(err) => {
            tracing::warn!(face_id, %err, "cannot decode face thumbnail");
            return None;
        }
    };
    let size = [rgb.width() as usize, rgb.height() as usize];
    let pixels = ColorImage::from_rgb(size, rgb.as_raw());
    Some(ctx.load_texture(format!("face-{face_id}"), pixels, TextureOptions::LINEAR))
}

/// Draws a face thumbnail (or a grey placeholder) of `side` points; clickable.
pub fn face_button(
    ui: &mut egui::Ui,
    texture: Option<&TextureHandle>,
    side: f32,
    selected: bool,
    alt: &str,
) -> egui::Response {
    let size = egui::vec2(side, side);
    let response = match texture {
        Some(tex) => ui.add(
            egui::Image::new((tex.id(), size))
                .alt_text(alt)
                .sense(egui::Sense::click()),
        ),
        None => {
            let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click());
            ui.painter()
                .rect_filled(rect, 4.0, ui.visuals().faint_bg_color);
            response.accessible_name(alt)
        }
    };
    if selected {
        let stroke = egui::Stroke::new(3.0, ui.visuals().selection.stroke.color);
        ui.painter()
            .rect_stroke(response.rect, 4.0, stroke, egui::StrokeKind::Inside);
    }
    response
}
