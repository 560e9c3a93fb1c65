//! How counts, distances and errors read in what Kith tells the user, in the window and on the
//! command line alike.

/// "1 face", "2 faces": a count with its noun, singular for one.
pub fn counted(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// "1 face is", "2 faces are": a count as the subject of a sentence.
pub fn counted_are(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun} is"),
        n => format!("{n} {noun}s are"),
    }
}

/// "1 new person", "2 new people": people of a kind, counted.
pub fn counted_people(n: usize, kind: &str) -> String {
    match n {
        1 => format!("1 {kind} person"),
        n => format!("{n} {kind} people"),
    }
}

/// A distance between faces as shown beside the same-person threshold `tau`: two decimals, or
/// as many more as it takes not to read as `tau` itself. 0.598 shown as "0.60" beside "closer
/// than 0.60" would contradict the words next to it.
pub fn distance(d: f32, tau: f32) -> String {
    for decimals in 2..4 {
        let shown = format!("{d:.decimals$}");
        if shown != format!("{tau:.decimals$}") {
            return shown;
        }
    }
    format!("{d:.4}")
}

/// An error and its causes as one line: "cannot read a.jpg: permission denied". Kith's own
/// errors say their cause in their message too, for the logs that print the message alone, so a
/// cause already said is not said again.
pub fn error_line(err: &(dyn std::error::Error + 'static)) -> String {
    let mut line = err.to_string();
    let mut cause = err.source();
    while let Some(error) = cause {
        let said = error.to_string();
        if !line.contains(&said) {
            line = format!("{line}: {said}");
        }
        cause = error.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(counted(0, "face"), "0 faces");
        assert_eq!(counted(1, "face"), "1 face");
        assert_eq!(counted(2, "named face"), "2 named faces");
        assert_eq!(counted_are(1, "face"), "1 face is");
        assert_eq!(counted_are(3, "face"), "3 faces are");
        assert_eq!(counted_people(1, "new"), "1 new person");
        assert_eq!(counted_people(0, "new"), "0 new people");
    }

    #[test]
    fn a_distance_never_reads_as_the_threshold_it_is_on_one_side_of() {
        assert_eq!(distance(0.4321, 0.6), "0.43");
        assert_eq!(distance(0.598, 0.6), "0.598");
        assert_eq!(distance(0.6021, 0.6), "0.602");
        assert_eq!(distance(0.59996, 0.6), "0.6000");
        assert_eq!(distance(0.551, 0.55), "0.551");
    }

    #[derive(Debug, thiserror::Error)]
    #[error("{path} is not a folder that can be read: {source}")]
    struct Unreadable {
        path: String,
        source: std::io::Error,
    }

    #[test]
    fn an_error_says_each_cause_once() {
        let gone = || std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let err = anyhow::Error::new(Unreadable {
            path: "/photos".into(),
            source: gone(),
        });
        assert_eq!(
            error_line(err.as_ref()),
            "/photos is not a folder that can be read: no such file"
        );
        // A cause its message does not say is added after it.
        let err = anyhow::Error::new(gone()).context("scanning /photos");
        assert_eq!(error_line(err.as_ref()), "scanning /photos: no such file");
    }
}
