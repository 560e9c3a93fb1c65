//! Capture times as the catalog keeps them: the local date and time the photo was taken,
//! `YYYY-MM-DDTHH:MM:SS`, as a camera's clock shows it. Written here from EXIF dates and from
//! instants, and read back here to compare two.

/// The stored form of a date and time.
pub fn written(date: [u32; 3], clock: [u32; 3]) -> String {
    let ([year, month, day], [hour, minute, second]) = (date, clock);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}")
}

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
    let number = |v: libc::c_int| u32::try_from(v).ok();
    Some(written(
        [
            number(tm.tm_year + 1900)?,
            number(tm.tm_mon + 1)?,
            number(tm.tm_mday)?,
        ],
        [number(tm.tm_hour)?, number(tm.tm_min)?, number(tm.tm_sec)?],
    ))
}

#[cfg(not(unix))]
pub fn local(_seconds: i64) -> Option<String> {
    None
}

/// `YYYY-MM-DDTHH:MM:SS` as seconds since 1970-01-01T00:00:00 of the same clock.
pub fn seconds(time: &str) -> Option<i64> {
    let (date, clock) = time.split_once('T')?;
    let numbers = |text: &str, sep: char| -> Option<Vec<i64>> {
        text.split(sep).map(|n| n.parse().ok()).collect()
    };
    let (date, clock) = (numbers(date, '-')?, numbers(clock, ':')?);
    let (&[year, month, day], &[hour, minute, second]) = (date.as_slice(), clock.as_slice()) else {
        return None;
    };
    // Days since 1970 of a date of the proleptic Gregorian calendar, counting years from March
    // so that the leap day comes last.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_are_read_back_as_seconds() {
        assert_eq!(written([2017, 8, 8], [17, 12, 25]), "2017-08-08T17:12:25");
        assert_eq!(seconds("1970-01-01T00:00:00"), Some(0));
        assert_eq!(seconds("2000-03-01T00:00:01"), Some(951_868_801));
        assert_eq!(seconds("2017-08-08T17:12:25"), Some(1_502_212_345));
        assert_eq!(seconds("2017-08-08 17:12:25"), None);
    }
}
