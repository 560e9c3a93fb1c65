//! The desktop GUI (eframe/egui): a thin shell over the library, like the CLI.
//!
//! `app` owns the state and applies the user's decisions to the catalog; `views` draw one screen
//! each and report what the user asked for as [`Action`]s; `jobs` runs scans, loads the face
//! index and does other slow work on worker threads; `thumbs` turns stored face thumbnails into
//! textures off the UI thread; `desktop` hands a photo file to the system's viewer; `prefs` is
//! what the window remembers between runs; `bench` drives the window headless to time its frames
//! (`kith bench --gui`).

mod app;
pub mod bench;
pub mod desktop;
pub mod jobs;
pub mod prefs;
pub mod thumbs;
pub mod views;

use std::path::PathBuf;

use anyhow::Context as _;

pub use app::{Action, KithApp, View};
pub use prefs::Prefs;
pub use views::photo::PhotoSource;

use crate::catalog::Catalog;
use crate::models::ModelDir;
use crate::vision::DeviceChoice;

/// The same-person threshold used when the models (and their cards) cannot be found: the GUI
/// still opens so that an existing library can be browsed.
pub const FALLBACK_TAU: f32 = 0.6;

/// The window and taskbar icon, rendered from `assets/icon/kith.svg` by `assets/icon/generate`.
const WINDOW_ICON_PNG: &[u8] = include_bytes!("../../assets/icon/kith-128.png");

/// Opens the main window and runs until it is closed. The library is `library` when given, else
/// the one used last, else the default one in the platform's data directory.
pub fn run(
    library: Option<PathBuf>,
    models: Option<PathBuf>,
    device: DeviceChoice,
) -> anyhow::Result<()> {
    let tau = match ModelDir::locate(models.as_deref()).and_then(|m| m.same_person_threshold()) {
        Ok(tau) => tau,
        Err(err) => {
            tracing::warn!(%err, "models not found; using the default same-person threshold");
            FALLBACK_TAU
        }
    };
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Kith")
        .with_inner_size([1100.0, 750.0]);
    match eframe::icon_data::from_png_bytes(WINDOW_ICON_PNG) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        // A missing icon is cosmetic: open the window with the desktop's default one.
        Err(err) => tracing::warn!(%err, "the window icon could not be decoded"),
    }
    let options = eframe::NativeOptions {
        viewport,
        // Window size and position are remembered by eframe's persistence.
        persist_window: true,
        ..Default::default()
    };
    // The remembered library is only known once eframe has read its storage, in the closure.
    let mut opened: anyhow::Result<()> = Ok(());
    let result = eframe::run_native(
        "Kith",
        options,
        Box::new(|cc| {
            let prefs = Prefs::load(cc.storage);
            let catalog = match open_library(library, &prefs) {
                Ok(catalog) => catalog,
                Err(err) => {
                    let message = crate::wording::error_line(err.as_ref());
                    opened = Err(err);
                    return Err(message.into());
                }
            };
            let mut app = KithApp::new(catalog, tau)
                .with_scanner(models, device)
                .with_prefs(prefs);
            app.opened(&cc.egui_ctx);
            Ok(Box::new(app))
        }),
    );
    opened?;
    result.map_err(|err| anyhow::anyhow!("the window could not be opened: {err}"))
}

/// The catalog the window opens on (see [`run`]). A remembered library that cannot be opened any
/// more (a drive not plugged in) gives way to the default one.
fn open_library(library: Option<PathBuf>, prefs: &Prefs) -> anyhow::Result<Catalog> {
    let open = |path: &std::path::Path| {
        Catalog::open(path).with_context(|| format!("cannot open the library {}", path.display()))
    };
    if let Some(path) = library {
        return open(&path);
    }
    if let Some(last) = prefs.last_library() {
        match open(last) {
            Ok(catalog) => return Ok(catalog),
            Err(err) => tracing::warn!(
                "{}; opening the default library",
                crate::wording::error_line(err.as_ref())
            ),
        }
    }
    let default = crate::paths::default_catalog()
        .context("no data directory on this system: pass --library PATH")?;
    open(&default)
}
