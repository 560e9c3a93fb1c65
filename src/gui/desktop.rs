//! Handing a photo to the desktop: opening it in the default viewer, or showing its folder, with
//! the platform's own opener (`xdg-open`, `open`, `explorer`) rather than another crate. Both wait
//! for the opener, so they run on a worker; what went wrong comes back as text to show.

use std::path::Path;
use std::process::Command;

use crate::gui::jobs::Task;

/// A file or folder being handed to the desktop on a worker, and why the last one failed.
#[derive(Default)]
pub struct Handover {
    running: Option<Task<()>>,
    failed: Option<String>,
}

impl Handover {
    /// Hands `path` to the desktop with `how` ([`open_file`] or [`show_in_folder`]).
    pub fn start(
        &mut self,
        ctx: &egui::Context,
        path: &Path,
        how: fn(&Path) -> Result<(), String>,
    ) {
        let path = path.to_path_buf();
        self.failed = None;
        self.running = Some(Task::spawn(ctx, move || how(&path)));
    }

    /// Why the last hand-over failed, once the opener has said so; `None` while it runs.
    pub fn failed(&mut self) -> Option<&str> {
        if let Some(result) = self.running.as_ref().and_then(Task::poll) {
            self.running = None;
            self.failed = result.err();
        }
        self.failed.as_deref()
    }

    /// Forgets the last hand-over, and whether it fails: it was about something no longer shown.
    pub fn forget(&mut self) {
        self.running = None;
        self.failed = None;
    }
}

/// Opens `path` in the desktop's default application for it.
pub fn open_file(path: &Path) -> Result<(), String> {
    require(path)?;
    run(opener(path))
}

/// Shows the folder holding `path`, with the file selected where the platform can do that.
pub fn show_in_folder(path: &Path) -> Result<(), String> {
    require(path)?;
    run(folder_opener(path))
}

fn require(path: &Path) -> Result<(), String> {
    if path.exists() {
        Ok(())
    } else {
        Err(format!("{} is not there any more", path.display()))
    }
}

#[cfg(target_os = "macos")]
fn opener(path: &Path) -> Command {
    let mut command = Command::new("open");
    command.arg(path);
    command
}

#[cfg(target_os = "macos")]
fn folder_opener(path: &Path) -> Command {
    let mut command = Command::new("open");
    command.arg("-R").arg(path);
    command
}

#[cfg(windows)]
fn opener(path: &Path) -> Command {
    let mut command = Command::new("explorer");
    command.arg(path);
    command
}

#[cfg(windows)]
fn folder_opener(path: &Path) -> Command {
    use std::os::windows::process::CommandExt as _;
    // explorer parses its own command line: the path is quoted after the comma, as it expects.
    let mut command = Command::new("explorer");
    command.raw_arg(format!("/select,\"{}\"", path.display()));
    command
}

#[cfg(all(unix, not(target_os = "macos")))]
fn opener(path: &Path) -> Command {
    let mut command = Command::new("xdg-open");
    command.arg(path);
    command
}

/// The freedesktop opener has no "select this file": it opens the folder.
#[cfg(all(unix, not(target_os = "macos")))]
fn folder_opener(path: &Path) -> Command {
    let mut command = Command::new("xdg-open");
    command.arg(path.parent().unwrap_or(path));
    command
}

fn run(mut command: Command) -> Result<(), String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let status = command.status().map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => {
            format!("The desktop has no way to open it here: {program} is not installed")
        }
        _ => format!("cannot run {program}: {err}"),
    })?;
    // explorer reports failure even when it opened the window; its status says nothing.
    if status.success() || cfg!(windows) {
        Ok(())
    } else {
        Err(format!("{program} failed ({status})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_reported_not_opened() {
        let dir = tempfile::tempdir().expect("tempdir");
        let gone = dir.path().join("gone.jpg");
        let err = open_file(&gone).expect_err("missing");
        assert!(err.contains("gone.jpg"), "{err}");
        assert!(show_in_folder(&gone).is_err());
    }
}
