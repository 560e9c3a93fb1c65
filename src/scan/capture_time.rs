//! Capture times as the catalog keeps them: the local date and time the photo was taken,
//! `YYYY-MM-DDTHH:MM:SS`, as a camera's clock shows it.

/// The local date and time of `seconds` since 1970 (UTC), in this computer's time zone; `None`
/// for a time not after 1970, and on Windows, where the C library's local time is not used.
#[cfg(unix)]
pub fn local(seconds: i64) -> Option<String> {
    if seconds <= 0 {
        return None;
    }
    let timestamp = libc::time_t::try_from(seconds).ok()?;
    // SAFETY: `tm` is plain data, filled by localtime_r, which is thread-safe.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&timestamp, &mut tm).as_ref()?;
        tm
    };
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    ))
}

#[cfg(not(unix))]
pub fn local(_seconds: i64) -> Option<String> {
    None
}
