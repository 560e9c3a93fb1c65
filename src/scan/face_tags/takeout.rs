//! What Google Photos says of a photo in the JSON it exports beside it (Google Takeout): the
//! people in it, with no places given, and when it was taken.

use std::path::{Path, PathBuf};

use super::with_suffix;
use crate::scan::capture_time;

/// What a photo's Takeout JSON says of it; nothing when it has none.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Takeout {
    pub people: Vec<String>,
    /// When it was taken, in local time (see [`capture_time`]).
    pub taken_at: Option<String>,
}

/// What the Takeout JSON of the photo at `path` says of it.
pub(super) fn read(path: &Path) -> Takeout {
    sidecars(path)
        .into_iter()
        .find_map(|(sidecar, title)| {
            let json = std::fs::read(sidecar).ok()?;
            parse(&json, title.as_deref())
        })
        .unwrap_or_default()
}

/// Where Google Takeout may have put a photo's JSON, most likely first: `.json` added, or (since
/// 2024) `.supplemental-metadata.json`. Takeout cuts the JSON's name before `.json` to
/// [`NAME_CHARS`] characters; it numbers a second photo of one name after the extension
/// (`photo(1).jpg` has `photo.jpg(1).json`); and a photo edited in Google Photos
/// (`photo-edited.jpg`) shares the original's JSON. A name cut short may be the cut name of
/// other photos too: with it comes the title the JSON must give (the photo's name in Google
/// Photos) to be this photo's.
pub(super) fn sidecars(path: &Path) -> Vec<(PathBuf, Option<String>)> {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return [".json", ".supplemental-metadata.json"]
            .iter()
            .map(|suffix| (with_suffix(path, suffix), None))
            .collect();
    };
    let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
    let with_extension = |stem: &str| match extension {
        "" => stem.to_owned(),
        _ => format!("{stem}.{extension}"),
    };
    // Each name a JSON may be named after, with the number Takeout puts after it.
    let mut names = vec![(name.to_owned(), String::new())];
    if let Some((base, n)) = stem.strip_suffix(')').and_then(|s| s.rsplit_once('(')) {
        if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
            names.push((with_extension(base), format!("({n})")));
        }
    }
    if let Some(original) = edited_original(name) {
        names.push((original, String::new()));
    }
    let mut sidecars: Vec<(PathBuf, Option<String>)> = Vec::new();
    for (name, counter) in names {
        for kind in ["", ".supplemental-metadata"] {
            let full = format!("{name}{kind}");
            let cut: String = full.chars().take(NAME_CHARS).collect();
            let title = (cut.len() < full.len()).then(|| name.clone());
            let sidecar = path.with_file_name(format!("{cut}{counter}.json"));
            if sidecars.iter().all(|(known, _)| *known != sidecar) {
                sidecars.push((sidecar, title));
            }
        }
    }
    sidecars
}

/// The file name of the photo that the photo called `name` is a version of, edited in Google
/// Photos (`photo-edited.jpg` is made from `photo.jpg`).
pub fn edited_original(name: &str) -> Option<String> {
    let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
    let original = EDITED.iter().find_map(|edited| stem.strip_suffix(edited))?;
    Some(match extension {
        "" => original.to_owned(),
        _ => format!("{original}.{extension}"),
    })
}

/// How long Takeout lets a JSON's name be before `.json`.
const NAME_CHARS: usize = 46;
/// What Google Photos adds to the name of a photo edited there, in the languages seen.
const EDITED: [&str; 6] = [
    "-edited",
    "-bearbeitet",
    "-modifié",
    "-editado",
    "-modificato",
    "-bewerkt",
];

/// What a Takeout JSON says; `None` when it is not the photo's: where a `title` is asked for, it
/// gives another, or none can be read.
fn parse(json: &[u8], title: Option<&str>) -> Option<Takeout> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Json {
        title: Option<String>,
        #[serde(default)]
        people: Vec<Person>,
        photo_taken_time: Option<Time>,
    }
    #[derive(serde::Deserialize)]
    struct Person {
        name: String,
    }
    /// Seconds since 1970, written as a string.
    #[derive(serde::Deserialize)]
    struct Time {
        timestamp: String,
    }
    match serde_json::from_slice::<Json>(json) {
        Ok(json) => {
            if title.is_some_and(|wanted| json.title.as_deref() != Some(wanted)) {
                return None;
            }
            let people = json
                .people
                .into_iter()
                .map(|p| p.name.trim().to_owned())
                .filter(|name| !name.is_empty())
                .collect();
            let taken_at = json
                .photo_taken_time
                .and_then(|t| t.timestamp.trim().parse::<i64>().ok())
                .and_then(capture_time::local);
            Some(Takeout { people, taken_at })
        }
        Err(err) => {
            tracing::debug!("unreadable Takeout JSON: {err}");
            title.is_none().then(Takeout::default)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_people_google_lists_are_read_from_its_json() {
        let json = br#"{"title": "IMG_1.JPG", "people": [{"name": " Anna Lee"}, {"name": ""},
            {"name": "Ben"}], "photoTakenTime": {"timestamp": "1502212345"}}"#;
        let read = parse(json, None).expect("the photo's");
        assert_eq!(read.people, ["Anna Lee", "Ben"]);
        // 2017-08-08 17:12:25 UTC, in this computer's time zone (a day either side at most).
        let taken = read.taken_at.clone().expect("a capture time");
        assert!(
            ["2017-08-08T", "2017-08-09T", "2017-08-07T"]
                .iter()
                .any(|day| taken.starts_with(day)),
            "{taken}"
        );
        assert_eq!(parse(json, Some("IMG_1.JPG")), Some(read));
        // A JSON found under a name cut short is another photo's when its title differs.
        assert_eq!(parse(json, Some("IMG_2.JPG")), None);
        let none = parse(
            b"{\"title\": \"none\", \"photoTakenTime\": {\"timestamp\": \"0\"}}",
            None,
        );
        assert_eq!(none, Some(Takeout::default()));
        assert_eq!(parse(b"not json", None), Some(Takeout::default()));
        assert_eq!(parse(b"not json", Some("IMG_1.JPG")), None);
    }

    #[test]
    fn takeouts_json_is_looked_for_under_the_names_google_gives_it() {
        let names = |photo: &str| -> Vec<(String, Option<String>)> {
            sidecars(&Path::new("/t").join(photo))
                .into_iter()
                .map(|(path, title)| (path.to_string_lossy().into_owned(), title))
                .collect()
        };
        let plain = |p: &str| (p.to_owned(), None);
        assert_eq!(
            names("IMG_1.jpg"),
            [
                plain("/t/IMG_1.jpg.json"),
                plain("/t/IMG_1.jpg.supplemental-metadata.json")
            ]
        );
        // Cut to 46 characters before ".json", with the title that tells whose it is.
        let long = "Screenshot_2024-01-14-14-13-33-16_948cd9899890cbd5c2798760b2b95377.jpg";
        let cut = |p: &str| (p.to_owned(), Some(long.to_owned()));
        assert_eq!(
            names(long),
            [cut(
                "/t/Screenshot_2024-01-14-14-13-33-16_948cd9899890.json"
            ),]
        );
        let medium = "PXL_20240512_183355123.PORTRAIT.jpg";
        assert_eq!(
            names(medium)[1],
            (
                "/t/PXL_20240512_183355123.PORTRAIT.jpg.supplement.json".to_owned(),
                Some(medium.to_owned())
            )
        );
        // The second photo of a name, and a photo edited in Google Photos.
        assert_eq!(
            names("image(1).png")[2..],
            [
                plain("/t/image.png(1).json"),
                plain("/t/image.png.supplemental-metadata(1).json")
            ]
        );
        assert_eq!(
            names("IMG_2-edited.jpg")[2..],
            [
                plain("/t/IMG_2.jpg.json"),
                plain("/t/IMG_2.jpg.supplemental-metadata.json")
            ]
        );
    }
}
