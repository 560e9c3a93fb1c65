//! People while a scan runs. A first scan of a large library takes an hour or more on a laptop,
//! and faces get people only when a scan ends: until then the window would show nobody. While
//! a long scan goes on, [`place_while_scanning`] places the faces stored so far now and then, on
//! a connection of its own, so that people appear and fill up as the photos are read.
//!
//! Each placing is the incremental one every finished scan makes ([`assign::update`]): the new
//! faces are clustered with the placed faces around them, and join the people they cluster with.
//! Placed early, with few faces, a person can come out as two groups that later faces would have
//! joined: on the shared photos, three crops of each, 309 photos, one of 16 people did. So what is
//! placed meanwhile is provisional: when the scan ends, [`place_at_end`] places the faces it stored
//! all at once, as if nothing had been placed before, keeping what the user decided meanwhile: a
//! face the user placed, and every person the user did something about (named, hid, gave a cover,
//! took a face out of, told apart from another), stay as they are. A group placed again keeps the
//! person most of its faces were in, so that a person open in the window stays open. The catalog
//! notes when placings are provisional, so that those of a scan stopped or killed before its end
//! are placed again at the end of the next ([`place_when_stopped`]). The placings come further
//! apart as the library grows ([`Schedule`]), so that their cost stays a small multiple of one
//! placing.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::catalog::{Catalog, CatalogError};
use crate::people::assign::{self, AssignReport};
use crate::people::cluster::Algorithm;
use crate::people::settings;
use crate::scan::ScanEvent;

/// When the faces stored so far are worth placing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    /// Photos stored before the first placing: a short scan is placed once, at its end.
    pub first: usize,
    /// Each later placing waits until the photos stored have grown by this factor...
    pub growth: f32,
    /// ...and this long has passed since the last.
    pub gap: Duration,
}

impl Default for Schedule {
    /// First after 200 photos (8 s of a 2-core scan), then each time the photos stored have
    /// grown by half, 20 s apart at least.
    fn default() -> Self {
        Self {
            first: 200,
            growth: 1.5,
            gap: Duration::from_secs(20),
        }
    }
}

impl Schedule {
    /// Whether to place now, with `stored` photos stored and the last placing at `last` (the
    /// photos stored then, and when), if any.
    pub fn due(&self, stored: usize, last: Option<(usize, Instant)>, now: Instant) -> bool {
        match last {
            None => stored >= self.first,
            Some((then, at)) => {
                stored as f32 >= then as f32 * self.growth && now.duration_since(at) >= self.gap
            }
        }
    }
}

/// The catalog setting that says faces were placed while a scan ran, and from which face on:
/// written before the first such placing, removed by [`place_at_end`]. A scan stopped or killed
/// meanwhile leaves it, and the next scan's end places those faces again.
const PROVISIONAL_AFTER: &str = "placing.provisional_after";

/// The placing when a scan ends (any scan: from the window, the command line, or after one that
/// was stopped or killed). Where faces were placed while a scan ran, the faces it stored that
/// clustering placed are placed again, all at once, with those of this scan; then every new face
/// is placed.
pub fn place_at_end(
    catalog: &mut Catalog,
    algorithm: &Algorithm,
) -> Result<AssignReport, CatalogError> {
    place_again(catalog, algorithm, true)
}

/// The placing when a scan stops, whose faces are those after `last_face_before`: when it ran
/// to its end, [`place_at_end`]. Stopped early (cancelled, to be run again), its faces are placed
/// the same way, all at once, but provisionally, so that the scan that ends the work places them
/// again with its own: a scan stopped and resumed leaves the people of one that ran through.
pub fn place_when_stopped(
    catalog: &mut Catalog,
    algorithm: &Algorithm,
    last_face_before: i64,
    stopped_early: bool,
) -> Result<AssignReport, CatalogError> {
    if stopped_early {
        note_provisional(catalog, last_face_before)?;
    }
    place_again(catalog, algorithm, !stopped_early)
}

/// Places the faces noted as provisional again, with every face that has no person, all at once;
/// when the scan's work is `done`, they are provisional no longer.
fn place_again(
    catalog: &mut Catalog,
    algorithm: &Algorithm,
    done: bool,
) -> Result<AssignReport, CatalogError> {
    let provisional = catalog.setting(PROVISIONAL_AFTER)?;
    let earlier = match provisional.as_deref().and_then(|v| v.parse::<i64>().ok()) {
        Some(after) => catalog.unplace_faces_after(after)?,
        None => HashMap::new(),
    };
    let report = assign::update_taking_back(catalog, algorithm, &earlier)?;
    if done && provisional.is_some() {
        catalog.remove_setting(PROVISIONAL_AFTER)?;
    }
    Ok(report)
}

/// A placing while a scan runs, of the faces stored so far, noted as provisional (see
/// [`note_provisional`]), so that [`place_at_end`] places them again.
pub fn place_provisionally(
    catalog: &mut Catalog,
    algorithm: &Algorithm,
    last_face_before: i64,
) -> Result<AssignReport, CatalogError> {
    note_provisional(catalog, last_face_before)?;
    assign::update(catalog, algorithm)
}

/// Notes the faces after `last_face_before` as placed provisionally, unless faces of an earlier
/// scan, stopped or killed before its end, are noted already.
fn note_provisional(catalog: &mut Catalog, last_face_before: i64) -> Result<(), CatalogError> {
    let noted = catalog
        .setting(PROVISIONAL_AFTER)?
        .and_then(|v| v.parse::<i64>().ok());
    if noted.is_none_or(|earlier| last_face_before < earlier) {
        catalog.set_setting(PROVISIONAL_AFTER, &last_face_before.to_string())?;
    }
    Ok(())
}

/// Runs `scan`, which stores photos in the catalog at `catalog_path` (faces after
/// `last_face_before`) and tells what happens to the closure it is given, with
/// [`place_while_scanning`] beside it on a thread of its own. Each event goes on to `on_event`,
/// each placing to `on_placed`. The placing at the end ([`place_at_end`]) is the caller's.
pub fn scan_placing_meanwhile<T>(
    catalog_path: &Path,
    last_face_before: i64,
    schedule: Schedule,
    on_event: &mut dyn FnMut(ScanEvent),
    on_placed: &mut (dyn FnMut(AssignReport) + Send),
    scan: impl FnOnce(&mut dyn FnMut(ScanEvent)) -> T,
) -> T {
    let (stored, scan_over) = (AtomicUsize::new(0), AtomicBool::new(false));
    std::thread::scope(|scope| {
        let placer = scope.spawn(|| {
            place_while_scanning(
                catalog_path,
                last_face_before,
                schedule,
                &stored,
                &scan_over,
                on_placed,
            )
        });
        // Set however the scan ends, a panic included, so that the placer stops and is joined.
        let over = Over(&scan_over);
        let result = scan(&mut |event| {
            if matches!(event, ScanEvent::Analysed { .. }) {
                stored.fetch_add(1, Ordering::Relaxed);
            }
            on_event(event);
        });
        drop(over);
        match placer.join() {
            Ok(Err(err)) => tracing::warn!(%err, "no placing while scanning"),
            Err(_) => tracing::warn!("placing while scanning stopped unexpectedly"),
            Ok(Ok(())) => {}
        }
        result
    })
}

/// Says the scan is over when dropped.
struct Over<'a>(&'a AtomicBool);

impl Drop for Over<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// How often [`place_while_scanning`] looks whether a placing is due.
const LOOK: Duration = Duration::from_millis(250);

/// Places the faces of the catalog at `catalog_path` as `schedule` says while the scan writing
/// to it runs: the scan stores faces after `last_face_before`, `stored` counts the photos it
/// stored, `scan_over` is set when it ends. Each placing is told to `on_placed`. A placing that
/// fails (the catalog busy for long) is logged and tried again at the next one due; the placing
/// at the scan's end ([`place_at_end`]) is the one that counts.
fn place_while_scanning(
    catalog_path: &Path,
    last_face_before: i64,
    schedule: Schedule,
    stored: &AtomicUsize,
    scan_over: &AtomicBool,
    on_placed: &mut (dyn FnMut(AssignReport) + Send),
) -> Result<(), CatalogError> {
    let mut catalog = Catalog::open(catalog_path)?;
    let mut last = None;
    while !scan_over.load(Ordering::Relaxed) {
        std::thread::sleep(LOOK);
        let now_stored = stored.load(Ordering::Relaxed);
        if scan_over.load(Ordering::Relaxed) || !schedule.due(now_stored, last, Instant::now()) {
            continue;
        }
        last = Some((now_stored, Instant::now()));
        let placed = settings::load(&catalog)
            .map_err(|err| err.to_string())
            .and_then(|algorithm| {
                place_provisionally(&mut catalog, &algorithm, last_face_before)
                    .map_err(|err| err.to_string())
            });
        match placed {
            Ok(report) => {
                tracing::info!(photos = now_stored, ?report, "faces placed while scanning");
                on_placed(report);
            }
            Err(err) => tracing::warn!(%err, "faces not placed while scanning; tried again later"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placings_start_after_the_first_photos_and_spread_out() {
        let schedule = Schedule::default();
        let start = Instant::now();
        let later = |s: u64| start + Duration::from_secs(s);
        assert!(!schedule.due(199, None, start));
        assert!(schedule.due(200, None, start));
        // Half as many photos again, and 20 s on.
        assert!(!schedule.due(299, Some((200, start)), later(60)));
        assert!(!schedule.due(300, Some((200, start)), later(19)));
        assert!(schedule.due(300, Some((200, start)), later(20)));
        assert!(!schedule.due(10_000, Some((9_000, start)), later(600)));
        assert!(schedule.due(13_500, Some((9_000, start)), later(600)));
    }
}
