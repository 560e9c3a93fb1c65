//! The desktop GUI (eframe/egui): a thin shell over the library, like the CLI.
//!
//! `app` owns the state and applies the user's decisions to the catalog; `views` draw one screen
//! each and report what the user asked for as [`Action`]s; `jobs` runs scans, loads the face
//! index and other slow work on worker threads; `thumbs` turns stored face thumbnails into
//! textures; `desktop` hands a photo file to the system's viewer.

mod app;
pub mod desktop;
pub mod jobs;
pub mod thumbs;
pub mod views;

use std::path::PathBuf;

use anyhow::Context as _;

pub use app::{Action, KithApp, View};
pub use views::photo::PhotoSource;

use crate::catalog::Catalog;
use crate::models::ModelDir;
use crate::vision::DeviceChoice;

/// The same-person threshold used when the models (and their cards) cannot be found: the GUI
/// still opens so that an existing library can be browsed.
pub const FALLBACK_TAU: f32 = 0.6;

/// The window and taskbar icon, rendered from `assets/icon/kith.svg` by `assets/icon/generate`.
const WINDOW_ICON_PNG: &[u8] = include_bytes!("../../assets/icon/kith-128.png");

/// Opens the main window on the catalog at `catalog_path` and runs until it is closed.
pub fn run(
    catalog_path: PathBuf,
    models: Option<PathBuf>,
    device: DeviceChoice,
) -> anyhow::Result<()> {
    let catalog = Catalog::open(&catalog_path)
        .with_context(|| format!("cannot open the library {}", catalog_path.display()))?;
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
    eframe::run_native(
        "Kith",
        options,
        Box::new(move |_cc| {
            Ok(Box::new(
                KithApp::new(catalog, tau).with_scanner(models, device),
            ))
        }),
    )
    .map_err(|err| anyhow::anyhow!("the window could not be opened: {err}"))
}
