//! Capture times as the catalog keeps them: the local date and time the photo was taken,
//! `YYYY-MM-DDTHH:MM:SS`, as a camera's clock shows it, and `.ff` after it where the camera
//! recorded the fraction of the second (EXIF's SubSecTime): what tells shots of one burst
//! apart. Written here from EXIF dates and from instants, and read back here to compare two.
//! Stored times still sort and compare as text.

/// The stored form of a date and time.
pub fn written(date: [u32; 3], clock: [u32; 3]) -> String {
    let ([year, month, day], [hour, minute, second]) = (date, clock);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}")
}

/// `time` with the fraction of its second, from EXIF's digits (`"45"`: 0.45 s), where they are
/// digits; trailing zeros are dropped, so that `"450"` and `"45"` are one fraction.
pub fn with_fraction(time: String, digits: &[u8]) -> String {
    let digits = digits.trim_ascii();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return time;
    }
    let kept = match digits.iter().rposition(|&d| d != b'0') {
        Some(last) => &digits[..=last],
        None => b"0",
    };
    format!("{time}.{}", String::from_utf8_lossy(kept))
}

/// The fraction of the second in a stored time (`"45"` of `…:22.45`), where one was recorded.
pub fn fraction(time: &str) -> Option<&str> {
    time.split_once('.').map(|(_, digits)| digits)
}

/// A stored time to the second, for showing: `YYYY-MM-DD HH:MM:SS`.
pub fn to_the_second(time: &str) -> String {
    time.split('.').next().unwrap_or(time).replace('T', " ")
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

/// `YYYY-MM-DDTHH:MM:SS` as whole seconds since 1970-01-01T00:00:00 of the same clock; a
/// fraction of a second is left out.
pub fn seconds(time: &str) -> Option<i64> {
    let (date, clock) = time.split_once('T')?;
    let clock = clock.split('.').next().unwrap_or(clock);
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
        assert_eq!(seconds("2017-08-08T17:12:25.45"), Some(1_502_212_345));
    }

    #[test]
    fn fractions_of_a_second_are_kept_as_digits() {
        let at = || "2017-08-08T17:12:25".to_string();
        assert_eq!(with_fraction(at(), b"450 "), "2017-08-08T17:12:25.45");
        assert_eq!(with_fraction(at(), b"000"), "2017-08-08T17:12:25.0");
        assert_eq!(with_fraction(at(), b""), "2017-08-08T17:12:25");
        assert_eq!(with_fraction(at(), b"4a"), "2017-08-08T17:12:25");
        assert_eq!(fraction("2017-08-08T17:12:25.45"), Some("45"));
        assert_eq!(fraction("2017-08-08T17:12:25"), None);
        assert_eq!(
            to_the_second("2017-08-08T17:12:25.45"),
            "2017-08-08 17:12:25"
        );
        // Still in order as text: the fraction sorts after the whole second.
        assert!("2017-08-08T17:12:25" < "2017-08-08T17:12:25.45");
        assert!("2017-08-08T17:12:25.45" < "2017-08-08T17:12:26");
    }
}
