//! `kith bench --gui`: how long the window's frames take on a large library, with no window.
//!
//! A synthetic library (descriptors from `people::synthetic`, a few generated face crops as
//! thumbnails) is opened by the real [`KithApp`] inside a bare `egui::Context`. Each frame is
//! `Context::run_ui` on synthetic input (the pointer over the grid, the mouse wheel turning)
//! followed by tessellation: all the CPU work of a frame except handing the triangles to the GPU,
//! which needs a renderer this does without.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui::{Event, MouseWheelUnit, Pos2, RawInput, Rect, TouchPhase, Vec2};
use image::codecs::jpeg::JpegEncoder;
use serde::Serialize;

use crate::catalog::{Catalog, CatalogError, NewFace, PhotoRecord};
use crate::gui::{Action, KithApp, View};
use crate::people::synthetic::gaussian_people;

/// The window the frames are laid out in, in points.
const SCREEN: Vec2 = Vec2::new(1280.0, 800.0);
/// Distinct generated face crops the thumbnails cycle through.
const CROPS: usize = 8;
/// Faces per photo.
const PER_PHOTO: usize = 2;
/// How long to wait for the window's background work (face index, thumbnails) to settle.
const SETTLE: Duration = Duration::from_secs(120);
/// Frames are paced at 60 per second, as a display would, so that thumbnails arrive from their
/// worker at the rate they would in the window.
const FRAME: Duration = Duration::from_nanos(16_666_667);

/// One synthetic person in this many is left with nobody, as clustering leaves the people seen
/// once and strangers: their faces fill the view of faces with nobody.
const UNGROUPED_EVERY: usize = 10;

/// The synthetic library's shape.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LibraryShape {
    pub faces: usize,
    pub persons: usize,
    /// Faces of the largest person, the one the person view is timed on.
    pub largest: usize,
    /// Faces with nobody.
    pub ungrouped: usize,
    pub build_seconds: f64,
}

/// Frame times of one scene.
#[derive(Debug, Clone, Serialize)]
pub struct FrameStats {
    pub scene: String,
    pub frames: usize,
    pub mean_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
}

impl FrameStats {
    fn of(scene: &str, times: &[Duration]) -> Self {
        let mut ms: Vec<f64> = times.iter().map(|t| t.as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        let n = ms.len().max(1);
        let p95 = ms
            .get(((n as f64 * 0.95).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(0.0);
        Self {
            scene: scene.to_string(),
            frames: ms.len(),
            mean_ms: ms.iter().sum::<f64>() / n as f64,
            p95_ms: p95,
            max_ms: ms.last().copied().unwrap_or(0.0),
        }
    }
}

/// Writes a library of `faces` synthetic faces at `path`: one person with `largest` faces, the
/// rest in groups of about 50, two faces per photo. One group in ten is left with nobody; of the
/// persons the others become, every tenth is named.
pub fn synthetic_library(
    path: &Path,
    faces: usize,
    largest: usize,
) -> Result<(LibraryShape, i64), CatalogError> {
    let started = Instant::now();
    let largest = largest.min(faces);
    let rest = faces - largest;
    let others = (rest / 50).max(1);
    let (big, _) = gaussian_people(largest, 1, 0.42, 1);
    let (small, truth) = gaussian_people(rest, others, 0.42, 2);
    let crops = face_crops();
    let mut catalog = Catalog::open(path)?;
    let mut groups: Vec<Vec<i64>> = vec![Vec::new(); others + 1];
    // Person 0 is the large one; the others follow.
    let all: Vec<(usize, [f32; 128])> = big
        .into_iter()
        .map(|e| (0, e))
        .chain(truth.into_iter().map(|t| t + 1).zip(small))
        .collect();
    for (photo, chunk) in all.chunks(PER_PHOTO).enumerate() {
        let name = PathBuf::from(format!("/synthetic/{:03}/{photo:07}.jpg", photo / 1000));
        let record = PhotoRecord::synthetic(&name, 4000, 3000);
        let new: Vec<NewFace> = chunk
            .iter()
            .enumerate()
            .map(|(k, (_, embedding))| NewFace {
                tagged_name: None,
                bbox: [k as f32 * 500.0, 0.0, 400.0, 400.0],
                score: 1.0,
                landmarks: [[0.0; 2]; 5],
                embedding: *embedding,
                thumbnail: crops[(photo * PER_PHOTO + k) % CROPS].clone(),
            })
            .collect();
        let id = catalog.record_photo(&record, &new)?;
        for (face, (person, _)) in catalog.faces_of_photo(id)?.iter().zip(chunk) {
            groups[*person].push(face.id);
        }
    }
    groups.retain(|g| !g.is_empty());
    // The large person (group 0) is always kept.
    let (left, groups): (Vec<_>, Vec<_>) = groups
        .into_iter()
        .enumerate()
        .partition(|(i, _)| i % UNGROUPED_EVERY == UNGROUPED_EVERY / 2);
    let groups: Vec<Vec<i64>> = groups.into_iter().map(|(_, g)| g).collect();
    let created = catalog.apply_clustering(&[], &groups)?;
    for (i, person) in created.iter().enumerate().skip(1).step_by(10) {
        catalog.name_person(*person, &format!("Person {i:04}"))?;
    }
    let shape = LibraryShape {
        faces,
        persons: created.len(),
        largest,
        ungrouped: left.iter().map(|(_, g)| g.len()).sum(),
        build_seconds: started.elapsed().as_secs_f64(),
    };
    Ok((shape, created[0]))
}

/// Generated 128x128 face-crop stand-ins (smooth colour fields with a disc), as stored JPEGs.
fn face_crops() -> Vec<Vec<u8>> {
    (0..CROPS)
        .map(|i| {
            let img = image::RgbImage::from_fn(128, 128, |x, y| {
                let (dx, dy) = (x as f32 - 64.0, y as f32 - 60.0);
                let inside = dx * dx / 1600.0 + dy * dy / 2500.0 < 1.0;
                let base = (i * 30) as u8;
                if inside {
                    image::Rgb([200u8.wrapping_sub(base / 2), 160, 130 + base / 3])
                } else {
                    image::Rgb([base.wrapping_add(x as u8 / 2), 90 + y as u8 / 3, 120])
                }
            });
            let mut out = Vec::new();
            // Encoding a small in-memory image cannot fail; an empty crop would be drawn grey.
            let _ = JpegEncoder::new_with_quality(&mut out, 85).encode_image(&img);
            out
        })
        .collect()
}

/// Drives `app` frame by frame with no window.
struct Driver {
    ctx: egui::Context,
    app: KithApp,
    time: f64,
}

impl Driver {
    /// One frame with `events`; returns its CPU time (UI code and tessellation).
    fn frame(&mut self, events: Vec<Event>) -> Duration {
        self.time += 1.0 / 60.0;
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, SCREEN)),
            time: Some(self.time),
            predicted_dt: 1.0 / 60.0,
            events,
            ..Default::default()
        };
        let app = &mut self.app;
        let started = Instant::now();
        let mut output = self.ctx.run_ui(input, |ui| app.show(ui));
        // No renderer takes the new textures: dropped on purpose (epaint checks that in debug).
        output.textures_delta.clear();
        let primitives = self.ctx.tessellate(output.shapes, output.pixels_per_point);
        let took = started.elapsed();
        drop(primitives);
        took
    }

    /// Runs idle frames until the window's background work is done.
    fn settle(&mut self) {
        let started = Instant::now();
        self.frame(Vec::new());
        while self.app.is_busy() && started.elapsed() < SETTLE {
            std::thread::sleep(Duration::from_millis(5));
            self.frame(Vec::new());
        }
        if self.app.is_busy() {
            tracing::warn!("background work still running after {SETTLE:?}");
        }
        tracing::info!(
            seconds = started.elapsed().as_secs_f64(),
            "background work done"
        );
    }

    /// `frames` frames of the wheel turning by `step` points each, the pointer in the grid;
    /// the direction turns round when the grid stops moving at an end.
    fn scroll(&mut self, frames: usize, step: f32) -> Vec<Duration> {
        let textures = self.textures();
        let pointer = Pos2::new(SCREEN.x / 2.0, SCREEN.y * 0.7);
        let mut times = Vec::with_capacity(frames);
        let started = Instant::now();
        times.push(self.frame(vec![Event::PointerMoved(pointer)]));
        for i in 1..frames {
            if let Some(wait) = (started + FRAME * i as u32).checked_duration_since(Instant::now())
            {
                std::thread::sleep(wait);
            }
            times.push(self.frame(vec![Event::MouseWheel {
                unit: MouseWheelUnit::Point,
                delta: Vec2::new(0.0, -step),
                phase: TouchPhase::Move,
                modifiers: egui::Modifiers::NONE,
                source: egui::MouseWheelSource::Unknown,
            }]));
        }
        // Scrolling shows new faces: their thumbnails are loaded as they come into view.
        tracing::info!(
            before = textures,
            after = self.textures(),
            "face textures while scrolling"
        );
        times
    }

    fn textures(&self) -> usize {
        self.ctx.tex_manager().read().num_allocated()
    }
}

/// Times the people grid and the largest person's view on `catalog`, `frames` frames each.
pub fn frame_times(catalog: Catalog, largest_person: i64, frames: usize) -> Vec<FrameStats> {
    let mut driver = Driver {
        ctx: egui::Context::default(),
        app: KithApp::new(catalog, crate::gui::FALLBACK_TAU),
        time: 0.0,
    };
    let mut out = Vec::new();

    let first = driver.frame(Vec::new());
    out.push(FrameStats::of("people grid, first frame", &[first]));
    driver.settle();
    let still: Vec<Duration> = (0..frames.min(60))
        .map(|_| driver.frame(Vec::new()))
        .collect();
    out.push(FrameStats::of("people grid, still", &still));
    out.push(FrameStats::of(
        "people grid, scrolling",
        &driver.scroll(frames, 60.0),
    ));

    let ctx = driver.ctx.clone();
    let opened = Instant::now();
    driver
        .app
        .apply(Action::Show(View::Person(largest_person)), &ctx);
    out.push(FrameStats::of(
        "person view, opening (its faces are read on a worker)",
        &[opened.elapsed()],
    ));
    let mut loading = Vec::new();
    while driver.app.person_view().is_loading() && opened.elapsed() < SETTLE {
        let frame_start = Instant::now();
        loading.push(driver.frame(Vec::new()));
        if let Some(wait) = FRAME.checked_sub(frame_start.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    out.push(FrameStats::of(
        "person view, frames while its faces are read",
        &loading,
    ));
    out.push(FrameStats::of(
        "person view, opened until its faces are shown",
        &[opened.elapsed()],
    ));
    driver.settle();
    out.push(FrameStats::of(
        "person view, scrolling",
        &driver.scroll(frames, 60.0),
    ));

    let opened = Instant::now();
    driver.app.apply(Action::Show(View::Ungrouped), &ctx);
    out.push(FrameStats::of(
        "faces with nobody, opening (read on a worker)",
        &[opened.elapsed()],
    ));
    while driver.app.is_busy() && opened.elapsed() < SETTLE {
        let frame_start = Instant::now();
        driver.frame(Vec::new());
        if let Some(wait) = FRAME.checked_sub(frame_start.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    out.push(FrameStats::of(
        "faces with nobody, opened until they are shown",
        &[opened.elapsed()],
    ));
    out.push(FrameStats::of(
        "faces with nobody, scrolling",
        &driver.scroll(frames, 60.0),
    ));

    driver.app.apply(Action::Show(View::Merges), &ctx);
    let waiting: Vec<Duration> = (0..frames.min(60))
        .map(|_| driver.frame(Vec::new()))
        .collect();
    out.push(FrameStats::of(
        "suggested merges, while they are looked for",
        &waiting,
    ));
    driver.settle();
    let still: Vec<Duration> = (0..frames.min(60))
        .map(|_| driver.frame(Vec::new()))
        .collect();
    out.push(FrameStats::of("suggested merges, shown", &still));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_frame_times() {
        let times: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let stats = FrameStats::of("t", &times);
        assert_eq!(stats.frames, 100);
        assert!((stats.mean_ms - 50.5).abs() < 1e-9);
        assert!((stats.p95_ms - 95.0).abs() < 1e-9);
        assert!((stats.max_ms - 100.0).abs() < 1e-9);
    }

    #[test]
    fn the_synthetic_library_has_one_large_person() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bench.sqlite");
        let (shape, largest) = synthetic_library(&path, 600, 200).expect("library");
        let catalog = Catalog::open(&path).expect("open");
        assert_eq!(catalog.faces().expect("faces").len(), 600);
        let big = catalog.person(largest).expect("read").expect("person");
        assert_eq!(big.faces, 200);
        assert_eq!(shape.persons, catalog.persons(true).expect("persons").len());
        assert!(shape.ungrouped > 0);
        assert_eq!(
            catalog.count_ungrouped_faces().expect("count"),
            shape.ungrouped
        );
        assert_eq!(
            600,
            200 + shape.ungrouped + grouped_besides(&catalog, largest)
        );
        // Every face has a decodable crop.
        let face = catalog.faces_of_person(largest).expect("faces")[0].id;
        let bytes = catalog.face_thumbnail(face).expect("read").expect("thumb");
        assert_eq!(image::load_from_memory(&bytes).expect("jpeg").width(), 128);
    }

    /// The faces in persons other than `largest`.
    fn grouped_besides(catalog: &Catalog, largest: i64) -> usize {
        let persons = catalog.persons(true).expect("persons");
        persons
            .iter()
            .filter(|p| p.id != largest)
            .map(|p| p.faces)
            .sum()
    }
}
