//! How counts read in what Kith tells the user, in the window and on the command line alike.

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
}
