//! Face and photo thumbnails as egui textures, made on a worker thread and cached by id, so a
//! grid only pays for what it actually shows and scrolling never waits for SQLite, a file or a
//! JPEG decoder: what is not loaded yet is drawn as a placeholder for a frame or two.
//!
//! Face thumbnails are the catalog's 128x128 JPEGs (read through the worker's own catalog
//! connection); photo thumbnails come from the photo files through the library's disk cache
//! ([`ThumbnailCache`]), so a photo is decoded once, not each time the window shows it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};

use egui::{ColorImage, TextureHandle, TextureOptions};

use crate::catalog::Catalog;
use crate::photo_thumbnails::{self, ThumbnailCache};

/// Face textures kept at most (64 KiB each); past this the cache starts over, which only costs
/// re-decoding the faces on screen.
const MAX_FACES: usize = 4096;
/// Photo textures kept at most (up to 400 KiB each).
const MAX_PHOTOS: usize = 512;

#[derive(Default)]
pub struct Thumbnails {
    faces: HashMap<i64, Slot>,
    photos: HashMap<i64, Slot>,
    /// Where photo thumbnails are cached; the platform's cache directory unless set.
    photo_cache: Option<ThumbnailCache>,
    loader: Option<Loader>,
}

enum Slot {
    /// Asked of the worker, not back yet.
    Loading,
    /// `None`: not available (no thumbnail stored, unreadable or undecodable).
    Ready(Option<TextureHandle>),
}

/// What the worker is asked to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Face(i64),
    Photo(i64),
}

/// The worker that reads thumbnails from the catalog at `catalog`.
struct Loader {
    catalog: PathBuf,
    requests: Sender<(Key, Option<PathBuf>)>,
    results: Receiver<(Key, Option<TextureHandle>)>,
}

impl Thumbnails {
    /// Keeps photo thumbnails in `cache` instead of the platform's cache directory.
    pub fn set_photo_cache(&mut self, cache: ThumbnailCache) {
        self.photo_cache = Some(cache);
        self.loader = None;
        self.photos.clear();
    }

    /// The texture of `face_id` if it is loaded; otherwise asks the worker for it and returns
    /// `None` (the window is woken when it arrives).
    pub fn get(
        &mut self,
        ctx: &egui::Context,
        catalog: &Catalog,
        face_id: i64,
    ) -> Option<TextureHandle> {
        self.request(ctx, catalog, Key::Face(face_id), None)
    }

    /// The thumbnail of photo `photo_id`, whose file is at `path`, like [`Thumbnails::get`].
    pub fn photo(
        &mut self,
        ctx: &egui::Context,
        catalog: &Catalog,
        photo_id: i64,
        path: &Path,
    ) -> Option<TextureHandle> {
        self.request(ctx, catalog, Key::Photo(photo_id), Some(path))
    }

    fn request(
        &mut self,
        ctx: &egui::Context,
        catalog: &Catalog,
        key: Key,
        path: Option<&Path>,
    ) -> Option<TextureHandle> {
        self.poll();
        let (cache, limit) = match key {
            Key::Face(id) => (&self.faces, (id, MAX_FACES)),
            Key::Photo(id) => (&self.photos, (id, MAX_PHOTOS)),
        };
        let (id, max) = limit;
        match cache.get(&id) {
            Some(Slot::Ready(texture)) => return texture.clone(),
            Some(Slot::Loading) => return None,
            None => {}
        }
        let full = cache.len() >= max;
        let loader = self.loader_for(ctx, catalog.path());
        let slot = match loader.requests.send((key, path.map(Path::to_path_buf))) {
            Ok(()) => Slot::Loading,
            // The worker is gone (it could not open the catalog): draw placeholders.
            Err(_) => Slot::Ready(None),
        };
        let cache = match key {
            Key::Face(_) => &mut self.faces,
            Key::Photo(_) => &mut self.photos,
        };
        if full {
            cache.clear();
        }
        cache.insert(id, slot);
        None
    }

    /// Thumbnails asked for and not loaded yet (as of the last [`Thumbnails::poll`]).
    pub fn pending(&self) -> usize {
        self.faces
            .values()
            .chain(self.photos.values())
            .filter(|s| matches!(s, Slot::Loading))
            .count()
    }

    /// Forgets every texture, e.g. after faces were deleted (their ids may be used again).
    pub fn clear(&mut self) {
        self.faces.clear();
        self.photos.clear();
    }

    fn loader_for(&mut self, ctx: &egui::Context, catalog: &Path) -> &Loader {
        if self.loader.as_ref().is_some_and(|l| l.catalog != catalog) {
            self.clear();
            self.loader = None;
        }
        let photo_cache = self
            .photo_cache
            .clone()
            .or_else(ThumbnailCache::default_location);
        self.loader
            .get_or_insert_with(|| Loader::spawn(ctx.clone(), catalog.to_path_buf(), photo_cache))
    }

    /// Takes in what the worker finished since the last call; the window calls it every frame, so
    /// that what arrives after a view stopped drawing thumbnails is not left waiting.
    pub fn poll(&mut self) {
        let Some(loader) = &self.loader else { return };
        loop {
            match loader.results.try_recv() {
                Ok((Key::Face(id), texture)) => {
                    self.faces.insert(id, Slot::Ready(texture));
                }
                Ok((Key::Photo(id), texture)) => {
                    self.photos.insert(id, Slot::Ready(texture));
                }
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => {
                    for slot in self.faces.values_mut().chain(self.photos.values_mut()) {
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
    fn spawn(ctx: egui::Context, catalog_path: PathBuf, photos: Option<ThumbnailCache>) -> Self {
        let (requests, inbox) = mpsc::channel::<(Key, Option<PathBuf>)>();
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
            let mut pending = Vec::new();
            loop {
                if pending.is_empty() {
                    match inbox.recv() {
                        Ok(request) => pending.push(request),
                        // The window dropped its thumbnails: nothing more to do.
                        Err(_) => return,
                    }
                }
                pending.extend(inbox.try_iter());
                // Newest first: after a fast scroll, what is on screen now comes before what
                // scrolled past.
                let Some((key, file)) = pending.pop() else {
                    continue;
                };
                let texture = match (key, file) {
                    (Key::Face(id), _) => load_face(&ctx, &catalog, id),
                    (Key::Photo(id), Some(file)) => load_photo(&ctx, photos.as_ref(), id, &file),
                    (Key::Photo(_), None) => None,
                };
                if outbox.send((key, texture)).is_err() {
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

/// The thumbnail of the photo file at `file`, through the disk cache when there is one.
fn load_photo(
    ctx: &egui::Context,
    cache: Option<&ThumbnailCache>,
    photo_id: i64,
    file: &Path,
) -> Option<TextureHandle> {
    let made = match cache {
        Some(cache) => cache.get(file),
        None => std::fs::read(file)
            .map_err(|source| photo_thumbnails::ThumbnailError::Read {
                path: file.to_path_buf(),
                source,
            })
            .and_then(|bytes| photo_thumbnails::make(&bytes)),
    };
    match made {
        Ok(jpeg) => texture(ctx, &format!("photo-{photo_id}"), &jpeg),
        Err(err) => {
            tracing::warn!(photo_id, %err, "cannot make a photo thumbnail");
            None
        }
    }
}

fn load_face(ctx: &egui::Context, catalog: &Catalog, face_id: i64) -> Option<TextureHandle> {
    match catalog.face_thumbnail(face_id) {
        Ok(Some(bytes)) => texture(ctx, &format!("face-{face_id}"), &bytes),
        Ok(None) => None,
        Err(err) => {
            tracing::warn!(face_id, %err, "cannot read face thumbnail");
            None
        }
    }
}

/// The texture of an encoded image (JPEG), or `None` if it does not decode.
fn texture(ctx: &egui::Context, name: &str, bytes: &[u8]) -> Option<TextureHandle> {
    let rgb = match image::load_from_memory(bytes) {
        Ok(img) => img.to_rgb8(),
        Err(err) => {
            tracing::warn!(name, %err, "cannot decode a thumbnail");
            return None;
        }
    };
    let size = [rgb.width() as usize, rgb.height() as usize];
    let pixels = ColorImage::from_rgb(size, rgb.as_raw());
    Some(ctx.load_texture(name, pixels, TextureOptions::LINEAR))
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
