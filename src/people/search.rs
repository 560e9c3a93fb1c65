//! "Photos of Anna": parsing search queries and finding the photos that match.
//!
//! A query is names joined by `&` (all of them in the photo) with `-name` for people who must not
//! be in it: `Anna`, `Anna & Ben`, `Anna -Ben`. Names match case-insensitively, whole or by prefix;
//! a prefix that fits several people matches any of them. An optional date range applies to the
//! EXIF capture time.

use std::path::PathBuf;

use crate::catalog::{Catalog, CatalogError};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("empty search: give at least one name, e.g. \"Anna\" or \"Anna & Ben\"")]
    Empty,
    #[error("nobody is called {0:?}")]
    UnknownName(String),
    #[error("{0:?} is not a date: write a year (2019), a month (2019-06) or a day (2019-06-30)")]
    BadDate(String),
    #[error("the dates are the wrong way round: {from} comes after {to}")]
    DatesReversed { from: String, to: String },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// A parsed query: names that must all appear, names that must not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub with: Vec<String>,
    pub without: Vec<String>,
    /// Inclusive bounds on the capture date, `YYYY-MM-DD` or any ISO 8601 prefix.
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Query {
    pub fn parse(text: &str) -> Result<Self, SearchError> {
        let mut query = Query::default();
        for part in text.split('&') {
            // Within a part: `Anna -Ben -Carl`: the first words are a name, each `-...` excludes.
            let mut pieces = part.split(" -");
            let head = pieces.next().unwrap_or_default().trim();
            if let Some(name) = head.strip_prefix('-') {
                push_name(&mut query.without, name);
            } else {
                push_name(&mut query.with, head);
            }
            for excluded in pieces {
                push_name(&mut query.without, excluded);
            }
        }
        if query.with.is_empty() {
            return Err(SearchError::Empty);
        }
        Ok(query)
    }
}

/// A bound on the capture date as typed: a year, a month or a day (`2019`, `2019-06`,
/// `2019-06-30`); `None` when blank. Dates compare as text, so a bound that is not one of these
/// would silently match the wrong photos.
pub fn date_bound(text: &str) -> Result<Option<String>, SearchError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = text.split('-').collect();
    let digits =
        |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
    let within = |part: &str, high: u32| part.parse::<u32>().is_ok_and(|n| (1..=high).contains(&n));
    // The year, then the month and the day where given, each within its range.
    let valid = match parts.as_slice() {
        [year, rest @ ..] if digits(year, 4) && rest.len() <= 2 => rest
            .iter()
            .zip([12, 31])
            .all(|(part, high)| digits(part, 2) && within(part, high)),
        _ => false,
    };
    if !valid {
        return Err(SearchError::BadDate(text.to_string()));
    }
    Ok(Some(text.to_string()))
}

/// The capture-date range from the bounds as typed, each optional.
pub fn date_range(from: &str, to: &str) -> Result<(Option<String>, Option<String>), SearchError> {
    let (from, to) = (date_bound(from)?, date_bound(to)?);
    if let (Some(start), Some(end)) = (&from, &to) {
        // The end covers all of its year, month or day.
        if start.as_str() > end.as_str() && !start.starts_with(end.as_str()) {
            return Err(SearchError::DatesReversed {
                from: start.clone(),
                to: end.clone(),
            });
        }
    }
    Ok((from, to))
}

fn push_name(list: &mut Vec<String>, name: &str) {
    let name = name.trim();
    if !name.is_empty() {
        list.push(name.to_string());
    }
}

/// A photo in the results.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PhotoHit {
    pub photo_id: i64,
    pub path: PathBuf,
    pub taken_at: Option<String>,
}

/// The photos matching `query`, oldest first (undated last), then by path.
pub fn search(catalog: &Catalog, query: &Query) -> Result<Vec<PhotoHit>, SearchError> {
    let resolve = |name: &String| -> Result<Vec<i64>, SearchError> {
        let persons = catalog.find_persons(name)?;
        if persons.is_empty() {
            return Err(SearchError::UnknownName(name.clone()));
        }
        Ok(persons.into_iter().map(|(id, _)| id).collect())
    };
    let with = query
        .with
        .iter()
        .map(resolve)
        .collect::<Result<Vec<_>, _>>()?;
    let without = query
        .without
        .iter()
        .map(resolve)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(catalog.photos_with_persons(
        &with,
        &without.concat(),
        query.from.as_deref(),
        query.to.as_deref(),
    )?)
}

/// The photos `p` that are readable, not copies, and have no face.
const WITHOUT_FACES: &str = "p.status = 'ok' AND p.copy_of IS NULL
    AND NOT EXISTS (SELECT 1 FROM faces WHERE photo_id = p.id)";

impl Catalog {
    /// Photos holding, for every group in `with`, a face of one of its persons, and no face of
    /// the persons in `without`; within the inclusive capture-date range when given.
    pub fn photos_with_persons(
        &self,
        with: &[Vec<i64>],
        without: &[i64],
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<PhotoHit>, CatalogError> {
        let ids = |list: &[i64]| {
            list.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        // Person ids are integers from the catalog itself, so formatting them into the SQL is safe.
        let mut sql =
            String::from("SELECT p.id, p.path, p.taken_at FROM photos p WHERE p.status = 'ok' AND p.copy_of IS NULL");
        for group in with {
            sql += &format!(
                " AND p.id IN (SELECT photo_id FROM faces WHERE ignored = 0 AND person_id IN ({}))",
                ids(group)
            );
        }
        if !without.is_empty() {
            sql += &format!(
                " AND p.id NOT IN (SELECT photo_id FROM faces WHERE ignored = 0 AND person_id IN ({}))",
                ids(without)
            );
        }
        self.dated_hits(sql, from, to)
    }

    /// Photos in which the scans found no face (landscapes, and people the detector missed:
    /// faces to add by hand), within the inclusive capture-date range when given. Copies are
    /// left out, as in every search.
    pub fn photos_without_faces(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<PhotoHit>, CatalogError> {
        let sql = format!("SELECT p.id, p.path, p.taken_at FROM photos p WHERE {WITHOUT_FACES}");
        self.dated_hits(sql, from, to)
    }

    /// How many photos [`Catalog::photos_without_faces`] lists, whenever taken.
    pub fn count_photos_without_faces(&self) -> Result<usize, CatalogError> {
        let n: i64 = self.conn().query_row(
            &format!("SELECT COUNT(*) FROM photos p WHERE {WITHOUT_FACES}"),
            [],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }

    /// The photos `sql` selects (id, path, capture time, as `p`) taken between `from` and `to`,
    /// oldest first, those without a date last.
    fn dated_hits(
        &self,
        mut sql: String,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<PhotoHit>, CatalogError> {
        // Dates compare as text: ISO 8601 orders lexically; `to` is padded so that a bare day
        // includes all of that day.
        sql += " AND (?1 IS NULL OR p.taken_at >= ?1) AND (?2 IS NULL OR p.taken_at <= ?2 || '~')";
        sql += &crate::catalog::listing_order("p");
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params![from, to], |r| {
            Ok(PhotoHit {
                photo_id: r.get(0)?,
                path: crate::catalog::path_from_key(&r.get::<_, Vec<u8>>(1)?),
                taken_at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(with: &[&str], without: &[&str]) -> Query {
        Query {
            with: with.iter().map(|s| s.to_string()).collect(),
            without: without.iter().map(|s| s.to_string()).collect(),
            ..Query::default()
        }
    }

    #[test]
    fn parses_and_not_and_plain_names() {
        assert_eq!(Query::parse("Anna").ok(), Some(q(&["Anna"], &[])));
        assert_eq!(
            Query::parse("Anna & Ben").ok(),
            Some(q(&["Anna", "Ben"], &[]))
        );
        assert_eq!(Query::parse("Anna -Ben").ok(), Some(q(&["Anna"], &["Ben"])));
        assert_eq!(
            Query::parse(" anna maria & ben -carl -dora ").ok(),
            Some(q(&["anna maria", "ben"], &["carl", "dora"]))
        );
        assert_eq!(
            Query::parse("anna & -ben").ok(),
            Some(q(&["anna"], &["ben"]))
        );
    }

    #[test]
    fn a_query_needs_someone_to_look_for() {
        assert!(matches!(Query::parse("  "), Err(SearchError::Empty)));
        assert!(matches!(Query::parse("-ben"), Err(SearchError::Empty)));
    }

    #[test]
    fn dates_are_a_year_a_month_or_a_day() {
        assert_eq!(date_bound(" 2019 ").ok(), Some(Some("2019".into())));
        assert_eq!(date_bound("2019-06").ok(), Some(Some("2019-06".into())));
        assert_eq!(
            date_bound("2019-06-30").ok(),
            Some(Some("2019-06-30".into()))
        );
        assert_eq!(date_bound("").ok(), Some(None));
        for bad in [
            "19",
            "2019-6",
            "2019-13",
            "2019-06-32",
            "2019-06-30-1",
            "June",
            "20x9",
            "2019-",
        ] {
            assert!(
                matches!(date_bound(bad), Err(SearchError::BadDate(_))),
                "{bad}"
            );
        }
        assert!(
            date_range("2019-06", "2019").is_ok(),
            "June 2019 is within 2019"
        );
        assert!(matches!(
            date_range("2020", "2019-12-31"),
            Err(SearchError::DatesReversed { .. })
        ));
    }

    #[test]
    fn hyphenated_names_stay_whole() {
        assert_eq!(
            Query::parse("Jean-Pierre").ok(),
            Some(q(&["Jean-Pierre"], &[]))
        );
    }
}
