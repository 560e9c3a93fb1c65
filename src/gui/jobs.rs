//! Work too slow for the UI thread: scanning a folder or the whole library, loading the face
//! index, keeping sidecars up to date ([`SidecarKeeper`]), and any other one-off [`Task`]
//! (re-clustering, adaptation, measuring the review queue, decoding a photo).
//! Each runs on a worker thread (with its own catalog connection where it needs one: SQLite WAL
//! lets the UI read meanwhile) and reports over an mpsc channel that the UI polls once per frame.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::catalog::Catalog;
use crate::models::ModelDir;
use crate::name_sidecars::{self, SidecarReport};
use crate::people::placing::{place_when_stopped, scan_placing_meanwhile, Schedule};
use crate::people::suggest::FaceSpace;
use crate::scan::{ScanEvent, ScanOptions};
use crate::vision::{self, DeviceChoice, FaceAnalyzer, Precision};
use crate::wording::counted;

/// What a scan worker reports.
enum ScanMsg {
    Event(ScanEvent),
    /// The faces stored so far were given people while the scan goes on.
    Placed,
    /// The scan (and the assignment of new faces to people) ended: a summary, or the error.
    Finished(Result<String, String>),
}

/// What a scan looks through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanTarget {
    /// A folder, added to the library's folders if new.
    Folder(PathBuf),
    /// Every folder of the library, for what was added, changed or removed since.
    Library,
}

impl std::fmt::Display for ScanTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Folder(folder) => write!(f, "{}", folder.display()),
            Self::Library => f.write_str("the library's folders"),
        }
    }
}

/// How the window's scans run.
#[derive(Debug, Clone)]
pub struct ScanSetup {
    /// Where the models are; `None` to look in the usual places.
    pub models: Option<PathBuf>,
    pub device: DeviceChoice,
    /// The long side of the copy of each photo the detector searches.
    pub detect_long_side: u32,
    /// On a GPU, the networks compute in half precision (f16); a CPU always computes in f32.
    pub half_on_gpu: bool,
}

impl ScanSetup {
    /// What the networks compute in on `device`.
    fn precision_on(&self, device: &candle_core::Device) -> Precision {
        if self.half_on_gpu && !device.is_cpu() {
            Precision::F16
        } else {
            Precision::F32
        }
    }
}

/// A running scan, as the progress bar sees it.
pub struct ScanJob {
    pub target: ScanTarget,
    pub total: Option<usize>,
    pub done: usize,
    pub faces: usize,
    pub failed: usize,
    /// When the first photo was done, and how many were done then: the pace is measured from
    /// there, past loading the networks and walking the folders.
    pace_from: Option<(Instant, usize)>,
    cancel: Arc<AtomicBool>,
    rx: Receiver<ScanMsg>,
}

/// What polling a scan found.
pub enum ScanPoll {
    /// `placed`: faces were given people since the last poll, so the people shown are out of date.
    Running {
        placed: bool,
    },
    Finished(Result<String, String>),
}

impl ScanJob {
    /// Starts scanning `target` into the catalog at `catalog_path`, as `setup` says.
    pub fn start(
        ctx: egui::Context,
        catalog_path: PathBuf,
        target: ScanTarget,
        setup: ScanSetup,
    ) -> Self {
        let (tx, rx) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let worker_cancel = Arc::clone(&cancel);
        let worker_target = target.clone();
        std::thread::spawn(move || {
            let send = |msg: ScanMsg| {
                // A closed channel means the window is gone; nothing is left to tell.
                let _ = tx.send(msg);
                ctx.request_repaint();
            };
            let result = scan(
                &catalog_path,
                &worker_target,
                &setup,
                &worker_cancel,
                &mut |event| send(ScanMsg::Event(event)),
                &|| send(ScanMsg::Placed),
            )
            .map_err(|err| crate::wording::error_line(err.as_ref()));
            send(ScanMsg::Finished(result));
        });
        Self {
            target,
            total: None,
            done: 0,
            faces: 0,
            failed: 0,
            pace_from: None,
            cancel,
            rx,
        }
    }

    /// About how long the photos left will take at the pace so far; `None` until it is known.
    pub fn time_left(&self) -> Option<Duration> {
        let (since, done_then) = self.pace_from?;
        time_left(
            self.done.saturating_sub(done_then),
            since.elapsed(),
            self.total?.saturating_sub(self.done),
        )
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelling(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Takes in what the worker reported since the last frame.
    pub fn poll(&mut self) -> ScanPoll {
        let mut placed = false;
        loop {
            match self.rx.try_recv() {
                // Each folder of the library is planned when its walk ends.
                Ok(ScanMsg::Event(ScanEvent::Planned { to_analyse, .. })) => {
                    self.total = Some(self.done + to_analyse)
                }
                Ok(ScanMsg::Event(ScanEvent::Analysed { faces, .. })) => {
                    self.pace_from.get_or_insert((Instant::now(), self.done));
                    self.done += 1;
                    self.faces += faces;
                }
                Ok(ScanMsg::Event(ScanEvent::Failed { .. })) => {
                    self.done += 1;
                    self.failed += 1;
                }
                Ok(ScanMsg::Placed) => placed = true,
                Ok(ScanMsg::Finished(result)) => return ScanPoll::Finished(result),
                Err(TryRecvError::Empty) => return ScanPoll::Running { placed },
                Err(TryRecvError::Disconnected) => {
                    return ScanPoll::Finished(Err("the scan stopped unexpectedly".into()))
                }
            }
        }
    }
}

/// The time `left` photos take at the pace of `done` photos in `elapsed`; `None` while too few
/// were done, or too briefly, to tell.
fn time_left(done: usize, elapsed: Duration, left: usize) -> Option<Duration> {
    const FEWEST: usize = 10;
    const SHORTEST: Duration = Duration::from_secs(3);
    if done < FEWEST || elapsed < SHORTEST {
        return None;
    }
    Some(elapsed.mul_f64(left as f64 / done as f64))
}

/// Scans `target`, placing the faces stored so far now and then meanwhile (each placing told to
/// `on_placed`), and all of them at the end.
fn scan(
    catalog_path: &Path,
    target: &ScanTarget,
    setup: &ScanSetup,
    cancel: &AtomicBool,
    on_event: &mut (dyn FnMut(ScanEvent) + Send),
    on_placed: &(dyn Fn() + Sync),
) -> anyhow::Result<String> {
    let mut catalog = Catalog::open(catalog_path)?;
    let models = ModelDir::locate(setup.models.as_deref())?;
    let device = vision::device::open(setup.device)?;
    let precision = setup.precision_on(&device);
    tracing::info!(device = %vision::device::describe(&device), %precision, "scan networks on");
    let analyzer = FaceAnalyzer::load_in(&models, &device, precision)?
        .with_detect_long_side(setup.detect_long_side);
    let options = ScanOptions::for_analyzer(&analyzer);
    let last_face_before = catalog.last_face_id()?;
    let summary = scan_placing_meanwhile(
        catalog_path,
        last_face_before,
        Schedule::default(),
        on_event,
        &mut |_| on_placed(),
        |on_event| match target {
            ScanTarget::Folder(folder) => crate::scan::scan_folder(
                &mut catalog,
                &analyzer,
                folder,
                &options,
                cancel,
                on_event,
            ),
            ScanTarget::Library => {
                crate::scan::scan_library(&mut catalog, &analyzer, &options, cancel, on_event)
            }
        },
    )?;
    // Even a cancelled scan committed its photos: give their faces people.
    let algorithm = crate::people::settings::load(&catalog)?;
    let placed = place_when_stopped(
        &mut catalog,
        &algorithm,
        last_face_before,
        summary.cancelled,
    )?;
    let not_found = match summary.folders_not_found.len() {
        0 => String::new(),
        1 => ", 1 folder not found".to_string(),
        n => format!(", {n} folders not found"),
    };
    let moved = match summary.moved + placed.moved_and_changed {
        0 => String::new(),
        n => format!(", {} moved or renamed (names kept)", counted(n, "photo")),
    };
    let copies = match placed.copies {
        0 => String::new(),
        1 => ", 1 copy of another photo (counted once)".to_string(),
        n => format!(", {n} copies of other photos (counted once)"),
    };
    let tagged = match placed.tagged {
        0 => String::new(),
        n => format!(
            ", {} named as the photos' metadata names them",
            counted(n, "face")
        ),
    };
    Ok(format!(
        "{} analysed, {}, {} unchanged, {}{moved}{tagged}{copies}{not_found}{}",
        counted(summary.photos, "photo"),
        counted(summary.faces, "face"),
        summary.skipped,
        counted(summary.errors, "error"),
        if summary.cancelled {
            " (cancelled)"
        } else {
            ""
        }
    ))
}

/// Makes the box the user drew on photo `photo` a face (see [`crate::scan::drawn`]) and places
/// it among the people; returns the face and a line for the status bar. On the CPU whatever
/// the scans use: one face of a 12 MP JPEG takes about 0.1 s there, and a GPU would first
/// have to start.
pub fn draw_face(
    catalog_path: &Path,
    models: Option<&Path>,
    photo: i64,
    bbox: [f32; 4],
) -> anyhow::Result<(i64, String)> {
    let mut catalog = Catalog::open(catalog_path)?;
    let models = ModelDir::locate(models)?;
    let analyzer = FaceAnalyzer::load(&models, &candle_core::Device::Cpu)?;
    let drawn = crate::scan::drawn::draw_face(&mut catalog, &analyzer, photo, bbox)?;
    let algorithm = crate::people::settings::load(&catalog)?;
    crate::people::assign::update(&mut catalog, &algorithm)?;
    catalog.record_drawing(drawn.face)?;
    let person = catalog.face(drawn.face)?.and_then(|f| f.person);
    let with = match person.map(|p| catalog.person(p)).transpose()?.flatten() {
        Some(person) => format!("placed with {}", person.label()),
        None => "with nobody yet: \"Move to\" names it".to_string(),
    };
    let how = match drawn.score {
        Some(_) => "",
        None => " (no face was found in the box, so it is compared less surely)",
    };
    Ok((
        drawn.face,
        format!("Face {} added, {with}{how}", drawn.face),
    ))
}

/// One piece of work on a worker thread whose result the UI picks up when it is ready.
pub struct Task<T> {
    rx: Receiver<Result<T, String>>,
}

impl<T: Send + 'static> Task<T> {
    /// Runs `work` on a new thread; the window is woken when it ends.
    pub fn spawn(
        ctx: &egui::Context,
        work: impl FnOnce() -> Result<T, String> + Send + 'static,
    ) -> Self {
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            // A closed channel means nobody waits for the answer any more.
            let _ = tx.send(work());
            ctx.request_repaint();
        });
        Self { rx }
    }

    /// The result once the work has ended (given once), `None` while it runs.
    pub fn poll(&self) -> Option<Result<T, String>> {
        match self.rx.try_recv() {
            Ok(result) => Some(result),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err("the work stopped unexpectedly".into())),
        }
    }
}

/// The face index behind the nearest-faces panel and "check these", loaded on a worker.
pub enum FaceIndex {
    /// Not loaded, or out of date since the catalog changed.
    Stale,
    Loading(Task<FaceSpace>),
    /// Shared, so that work on it (merge suggestions) can run on a worker too.
    Ready(Arc<FaceSpace>),
    Failed(String),
}

impl FaceIndex {
    /// Starts loading the index from the catalog at `catalog_path`.
    pub fn load(ctx: egui::Context, catalog_path: PathBuf, tau: f32) -> Self {
        FaceIndex::Loading(Task::spawn(&ctx, move || {
            Catalog::open(&catalog_path)
                .and_then(|catalog| FaceSpace::load(&catalog, tau))
                .map_err(|err| err.to_string())
        }))
    }

    /// Moves a finished load into place.
    pub fn poll(&mut self) {
        if let FaceIndex::Loading(task) = self {
            match task.poll() {
                Some(Ok(space)) => *self = FaceIndex::Ready(Arc::new(space)),
                Some(Err(err)) => *self = FaceIndex::Failed(err),
                None => {}
            }
        }
    }

    pub fn ready(&self) -> Option<&Arc<FaceSpace>> {
        match self {
            FaceIndex::Ready(space) => Some(space),
            _ => None,
        }
    }
}

/// Keeping the photos' sidecars up to date after changes ([`name_sidecars::keep_up`], a no-op
/// unless the library asks for it), on a worker, one run at a time: a change while one runs asks
/// for another after it.
#[derive(Default)]
pub struct SidecarKeeper {
    running: Option<Task<Option<SidecarReport>>>,
    wanted: bool,
}

impl SidecarKeeper {
    /// The catalog changed: the sidecars may need writing.
    pub fn want(&mut self) {
        self.wanted = true;
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Takes in a run that ended, and starts one where wanted and `may_start` (no scan is
    /// changing the photos). Returns a line for the status bar where a run wrote or failed.
    pub fn poll(
        &mut self,
        ctx: &egui::Context,
        catalog: &Catalog,
        may_start: bool,
    ) -> Option<String> {
        let mut said = None;
        if let Some(result) = self.running.as_ref().and_then(Task::poll) {
            self.running = None;
            said = match result {
                Ok(Some(report)) if !report.written.is_empty() || !report.failed.is_empty() => {
                    Some(format!(
                        "Sidecars kept up to date: {} written{}",
                        report.written.len(),
                        match report.failed.len() {
                            0 => String::new(),
                            n => format!(
                                ", {n} left as they were (\"Write names to sidecars…\" in the \
                                 Settings says why)"
                            ),
                        }
                    ))
                }
                Ok(_) => None,
                Err(err) => Some(format!("Keeping the sidecars up to date failed: {err}")),
            };
        }
        if self.wanted && self.running.is_none() && may_start {
            self.wanted = false;
            match name_sidecars::keeping(catalog) {
                Ok(true) => {}
                Ok(false) => return said,
                Err(err) => return Some(format!("Cannot read the sidecar setting: {err}")),
            }
            let catalog = catalog.path().to_path_buf();
            self.running = Some(Task::spawn(ctx, move || {
                let mut catalog = Catalog::open(&catalog).map_err(|e| e.to_string())?;
                name_sidecars::keep_up(&mut catalog).map_err(|e| e.to_string())
            }));
        }
        said
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cpu_computes_in_f32_even_where_half_precision_is_asked_for() {
        let setup = ScanSetup {
            models: None,
            device: DeviceChoice::Cpu,
            detect_long_side: 1024,
            half_on_gpu: true,
        };
        assert_eq!(
            setup.precision_on(&candle_core::Device::Cpu),
            Precision::F32
        );
    }

    #[test]
    fn time_left_follows_the_pace_once_it_is_known() {
        let minute = Duration::from_secs(60);
        // 100 photos in a minute: 500 more take five.
        assert_eq!(time_left(100, minute, 500), Some(minute * 5));
        assert_eq!(time_left(100, minute, 0), Some(Duration::ZERO));
        // Too few photos, or too short a time, to tell.
        assert_eq!(time_left(9, minute, 500), None);
        assert_eq!(time_left(100, Duration::from_secs(2), 500), None);
    }
}
