//! Records the git commit the binary was built from, for `kith --version`, and on Windows embeds
//! the icon and version resource into kith.exe.

fn main() {
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=KITH_GIT_COMMIT={commit}");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");

    #[cfg(windows)]
    windows_resources();
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
