//! Records the git commit the binary was built from, for `kith --version`, and on Windows embeds
//! the icon and version resource into kith.exe.

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=KITH_GIT_COMMIT={commit}");
    // Rerun when HEAD moves. Git says where HEAD and its branch live (in a worktree `.git` is a
    // file); a watched path that does not exist would rerun this script, and so rebuild Kith, on
    // every build.
    let mut watched = vec!["HEAD".to_string()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in &watched {
        if let Some(path) = git(&["rev-parse", "--git-path", name])
            .filter(|path| std::path::Path::new(path).exists())
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");

    #[cfg(windows)]
    windows_resources();
}

/// One line of git's output, or None outside a git checkout (e.g. a source tarball).
fn git(args: &[&str]) -> Option<String> {
    std::process::Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Explorer shows this icon and the version (from Cargo.toml) in the file's properties. Only
/// Windows hosts have the resource compiler this needs, so the build-dependency is Windows-only
/// and other platforms never compile it.
#[cfg(windows)]
fn windows_resources() {
    // A Windows host may still build for another target.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    println!("cargo:rerun-if-changed=assets/icon/kith.ico");
    let mut res = winresource::WindowsResource::new();
    res.set_icon("assets/icon/kith.ico")
        .set("ProductName", "Kith")
        .set(
            "FileDescription",
            "Kith: finds the people in your photo library",
        );
    if let Err(err) = res.compile() {
        panic!("cannot embed the Windows icon and version resource: {err}");
    }
}
