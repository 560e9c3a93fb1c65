//! The library's clustering settings, saved in the catalog so that every scan's incremental update
//! uses what the user last chose.

use crate::catalog::{Catalog, CatalogError};
use crate::people::cluster::{Algorithm, Linkage};

const KEY: &str = "clustering";

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("unknown clustering algorithm {0:?}: use dbscan or agglomerative")]
    UnknownAlgorithm(String),
    #[error("{0} must be more than 0 and at most 2 (2 puts every face near every other), got {1}")]
    OutOfRange(&'static str, f32),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// Builds an algorithm from its name and optional radius (eps or cut) and min_points.
pub fn algorithm(
    name: &str,
    radius: Option<f32>,
    min_points: Option<usize>,
) -> Result<Algorithm, SettingsError> {
    if let Some(r) = radius.filter(|r| !(r.is_finite() && *r > 0.0 && *r <= 2.0)) {
        return Err(SettingsError::OutOfRange("the distance", r));
    }
    match name.to_ascii_lowercase().as_str() {
        "dbscan" => {
            let Algorithm::Dbscan { eps, min_points: m } = Algorithm::default_dbscan() else {
                unreachable!("default_dbscan is DBSCAN")
            };
            Ok(Algorithm::Dbscan {
                eps: radius.unwrap_or(eps),
                min_points: min_points.unwrap_or(m).max(1),
            })
        }
        "agglomerative" | "average" | "complete" => {
            let Algorithm::Agglomerative { cut, .. } = Algorithm::default_agglomerative() else {
                unreachable!("default_agglomerative is agglomerative")
            };
            let linkage = if name.eq_ignore_ascii_case("complete") {
                Linkage::Complete
            } else {
                Linkage::Average
            };
            Ok(Algorithm::Agglomerative {
                linkage,
                cut: radius.unwrap_or(cut),
            })
        }
        other => Err(SettingsError::UnknownAlgorithm(other.to_string())),
    }
}

/// A one-line description, also the stored form: `dbscan 0.5 2` or `agglomerative average 0.55`.
pub fn describe(algorithm: &Algorithm) -> String {
    match algorithm {
        Algorithm::Dbscan { eps, min_points } => format!("dbscan {eps} {min_points}"),
        Algorithm::Agglomerative { linkage, cut } => {
            let l = match linkage {
                Linkage::Average => "average",
                Linkage::Complete => "complete",
            };
            format!("agglomerative {l} {cut}")
        }
    }
}

fn parse(stored: &str) -> Option<Algorithm> {
    let words: Vec<&str> = stored.split_whitespace().collect();
    match words.as_slice() {
        ["dbscan", eps, m] => algorithm("dbscan", eps.parse().ok(), m.parse().ok()).ok(),
        ["agglomerative", linkage, cut] => algorithm(linkage, cut.parse().ok(), None).ok(),
        _ => None,
    }
}

/// The saved algorithm, or DBSCAN with the defaults.
pub fn load(catalog: &Catalog) -> Result<Algorithm, SettingsError> {
    Ok(catalog
        .setting(KEY)?
        .and_then(|s| parse(&s))
        .unwrap_or_else(Algorithm::default_dbscan))
}

pub fn save(catalog: &Catalog, algorithm: &Algorithm) -> Result<(), SettingsError> {
    catalog.set_setting(KEY, &describe(algorithm))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_round_trip() {
        for a in [
            Algorithm::Dbscan {
                eps: 0.47,
                min_points: 3,
            },
            Algorithm::Agglomerative {
                linkage: Linkage::Complete,
                cut: 0.5,
            },
            Algorithm::Agglomerative {
                linkage: Linkage::Average,
                cut: 0.61,
            },
        ] {
            assert_eq!(parse(&describe(&a)), Some(a));
        }
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(algorithm("kmeans", None, None).is_err());
        assert!(algorithm("dbscan", Some(-1.0), None).is_err());
        assert!(algorithm("dbscan", Some(f32::NAN), None).is_err());
        assert!(algorithm("dbscan", Some(5.0), None).is_err());
        assert!(algorithm("agglomerative", Some(2.0), None).is_ok());
    }
}
