//! The adaptation head in use, if any: opaque weights and the report that justified them. The
//! catalog only keeps the bytes; `train::adapt` knows what they mean. The faces' own embeddings
//! are never changed: the head is applied when they are read for clustering and suggestions.

use rusqlite::{params, OptionalExtension};

use super::{unix_now, Catalog, Result};

/// The stored head.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAdaptation {
    pub weights: Vec<u8>,
    /// JSON, as the trainer wrote it.
    pub report: String,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
}

impl Catalog {
    pub fn adaptation(&self) -> Result<Option<StoredAdaptation>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT weights, report, created_at FROM adaptation WHERE id = 1",
                [],
                |r| {
                    Ok(StoredAdaptation {
                        weights: r.get(0)?,
                        report: r.get(1)?,
                        created_at: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Puts a head in use, replacing any other.
    pub fn set_adaptation(&self, weights: &[u8], report: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO adaptation (id, weights, report, created_at) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT(id) DO UPDATE SET weights = excluded.weights, report = excluded.report,
                 created_at = excluded.created_at",
            params![weights, report, unix_now()],
        )?;
        Ok(())
    }

    /// Goes back to the plain embedding; true if a head was in use.
    pub fn clear_adaptation(&self) -> Result<bool> {
        Ok(self.conn().execute("DELETE FROM adaptation", [])? > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_is_stored_replaced_and_cleared() {
        let dir = tempfile::tempdir().expect("tempdir");
        let catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
        assert_eq!(catalog.adaptation().expect("read"), None);
        catalog.set_adaptation(b"one", "{}").expect("set");
        catalog
            .set_adaptation(b"two", "{\"a\":1}")
            .expect("replace");
        let stored = catalog.adaptation().expect("read").expect("stored");
        assert_eq!(
            (stored.weights.as_slice(), stored.report.as_str()),
            (&b"two"[..], "{\"a\":1}")
        );
        assert!(catalog.clear_adaptation().expect("clear"));
        assert!(!catalog.clear_adaptation().expect("clear again"));
        assert_eq!(catalog.adaptation().expect("read"), None);
    }
}
