//! The files a scan could not read, each with its reason (corrupt, truncated, unsupported, too
//! large, unreadable), so that nothing is skipped silently.

use crate::catalog::{Catalog, CatalogError, ScanErrorRow};

#[derive(Default)]
pub struct ProblemsView {
    rows: Vec<ScanErrorRow>,
}

impl ProblemsView {
    pub fn reload(&mut self, catalog: &Catalog) -> Result<(), CatalogError> {
        self.rows = catalog.scan_errors()?;
        Ok(())
    }

    pub fn count(&self) -> usize {
        self.rows.len()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui) {
        ui.heading(format!("{} files could not be read", self.rows.len()));
        ui.label(
            "Kith left these files as they are and found no faces in them. \
             The next scan reads a file again once its size or modification time has changed, \
             or once Kith can read more formats (HEIC and AVIF after libheif is installed, camera \
             RAW after LibRaw is).",
        );
        ui.separator();
        egui::ScrollArea::vertical()
            .auto_shrink(false)
            .show(ui, |ui| {
                egui::Grid::new("unreadable_files")
                    .striped(true)
                    .num_columns(3)
                    .show(ui, |ui| {
                        ui.strong("File");
                        ui.strong("Problem");
                        ui.strong("Details");
                        ui.end_row();
                        for row in &self.rows {
                            ui.label(&row.display)
                                .on_hover_text(row.path.display().to_string());
                            ui.label(&row.kind);
                            ui.label(&row.message);
                            ui.end_row();
                        }
                    });
            });
    }
}
