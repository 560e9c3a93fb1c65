//! What Kith last wrote into each photo's XMP sidecar, as a digest of the names (see
//! [`crate::name_sidecars`]): a photo whose names still have that digest needs no write.

use std::collections::HashMap;

use rusqlite::params;

use super::{Catalog, Result};

impl Catalog {
    /// The digest of the names last written for each photo, by photo id.
    pub fn sidecar_digests(&self) -> Result<HashMap<i64, String>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT photo_id, digest FROM sidecar_names")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Remembers that the sidecars of these photos say what the names with these digests say.
    pub fn record_sidecar_digests(&mut self, written: &[(i64, String)]) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO sidecar_names (photo_id, digest) VALUES (?1, ?2)
                 ON CONFLICT(photo_id) DO UPDATE SET digest = excluded.digest",
            )?;
            for (photo, digest) in written {
                stmt.execute(params![photo, digest])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
