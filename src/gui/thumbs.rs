//! Face thumbnails as egui textures. The catalog's 128x128 JPEGs are read and decoded on a worker
//! thread (its own catalog connection) the first time a face is drawn, and cached by face id, so a
//! grid only pays for the faces it actually shows and scrolling never waits for SQLite or a JPEG
//! decoder: a face not loaded yet is drawn as a placeholder for a frame or two.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};

use egui::{ColorImage, TextureHandle, TextureOptions};

use crate::catalog::Catalog;

/// Textures kept at most (64 KiB each); past this the cache starts over, which only costs
/// re-decoding the faces on screen.
const MAX_CACHED: usize = 4096;

#[derive(Default)]
pub struct Thumbnails {
    cache: HashMap<i64, Slot>,
    loader: Option<Loader>,
}

enum Slot {
    /// Asked of the worker, not back yet.
    Loading,
    /// `None`: not available (no thumbnail stored, or undecodable).
    Ready(Option<TextureHandle>),
}

/// The worker that reads thumbnails from the catalog at `catalog`.
struct Loader {
    catalog: PathBuf,
    requests: Sender<i64>,
    results: Receiver<(i64, Option<TextureHandle>)>,
}

impl Thumbnails {
    /// The texture of `face_id` if it is loaded; otherwise asks the worker for it and returns
    /// `None` (the window is woken when it arrives).
    pub fn get(
        &mut self,
        ctx: &egui::Context,
        catalog: &Catalog,
        face_id: i64,
    ) -> Option<TextureHandle> {
        self.poll();
        match self.cache.get(&face_id) {
            Some(Slot::Ready(texture)) => return texture.clone(),
            Some(Slot::Loading) => return None,
            None => {}
        }
        if self.cache.len() >= MAX_CACHED {
            self.cache.clear();
        }
        let loader = self.loader_for(ctx, catalog.path());
        let slot = match loader.requests.send(face_id) {
            Ok(()) => Slot::Loading,
            // The worker is gone (it could not open the catalog): draw placeholders.
            Err(_) => Slot::Ready(None),
        };
        self.cache.insert(face_id, slot);
        None
    }

    /// Faces asked for and not loaded yet (as of the last [`Thumbnails::poll`]).
    pub fn pending(&self) -> usize {
        self.cache
            .values()
            .filter(|s| matches!(s, Slot::Loading))
            .count()
    }

    /// Forgets every texture, e.g. after faces were deleted (their ids may be used again).
    pub fn clear(&mut self) {
        self.cache.clear();
    }

    fn loader_for(&mut self, ctx: &egui::Context, catalog: &Path) -> &Loader {
        if self.loader.as_ref().is_some_and(|l| l.catalog != catalog) {
            self.cache.clear();
            self.loader = None;
        }
        self.loader
            .get_or_insert_with(|| Loader::spawn(ctx.clone(), catalog.to_path_buf()))
    }

    /// Takes in what the worker finished since the last call; the window calls it every frame, so
    /// that what arrives after a view stopped drawing faces is not left waiting.
    pub fn poll(&mut self) {
        let Some(loader) = &self.loader else { return };
        loop {
            match loader.results.try_recv() {
                Ok((face_id, texture)) => {
                    self.cache.insert(face_id, Slot::Ready(texture));
                }
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => {
                    for slot in self.cache.values_mut() {
                        if matches!(slot, Slot::Loading) {
                            *slot = Slot::Ready(None);
                        }
                    }
                    return;
                }
            }
        }
    }
}

impl Loader {
    fn spawn(ctx: egui::Context, catalog_path: PathBuf) -> Self {
        let (requests, inbox) = mpsc::channel::<i64>();
        let (outbox, results) = mpsc::channel();
        let path = catalog_path.clone();
        std::thread::spawn(move || {
            let catalog = match Catalog::open(&path) {
                Ok(catalog) => catalog,
                Err(err) => {
                    tracing::warn!(%err, "cannot open the catalog to read thumbnails");
                    return;
                }
            };
            let mut pending: Vec<i64> = Vec::new();
            loop {
                if pending.is_empty() {
                    match inbox.recv() {
                        Ok(id) => pending.push(id),
                        // The window dropped its thumbnails: nothing more to do.
                        Err(_) => return,
                    }
                }
                pending.extend(inbox.try_iter());
                // Newest first: after a fast scroll, what is on screen now comes before what
                // scrolled past.
                let Some(face_id) = pending.pop() else {
                    continue;
                };
                let texture = load(&ctx, &catalog, face_id);
                if outbox.send((face_id, texture)).is_err() {
                    return;
                }
                ctx.request_repaint();
            }
        });
        Self {
            catalog: catalog_path,
            requests,
            results,
        }
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
