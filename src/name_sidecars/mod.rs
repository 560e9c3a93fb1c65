//! Writing the names given in Kith into XMP sidecars beside the photos, where apps that read
//! face regions from sidecars find them (digiKam, Immich, Lightroom Classic for RAW photos,
//! another Kith library): each face of a named person as a face region, and the people as IPTC's
//! people shown. The photos themselves
//! are never touched.
//!
//! The sidecar is the one beside the photo that apps read: `photo.jpg.xmp` where it exists, else
//! `photo.xmp` where it exists and no other photo of the folder has that stem (Lightroom's
//! for a RAW file), else a new `photo.jpg.xmp`. A sidecar another app wrote is edited in place
//! ([`packet`]), and one with nothing new is left untouched. Hidden people are not written, and
//! nor are faces the user ignored. A copy of a picture (another folder, format or size) gets the
//! names of the original's matching faces.
//!
//! A library may keep its sidecars up to date ([`keep_up`], after each change of names): then
//! only the photos whose names changed since they were last written are looked at, told by a
//! digest of the names kept in the catalog.
//!
//! Only photos as the last scan saw them are written: a sidecar changed since may hold names
//! Kith has not read yet. A scan counts a sidecar's change as the photo's, so after a write the
//! catalog's record of the photo moves on with its sidecar, and the next scan does not analyse
//! it again.

pub mod packet;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use image::metadata::Orientation;

use crate::catalog::{Catalog, CatalogError, FaceRow, ReadablePhoto};
use crate::people::copies::COPY_DISTANCE;
use crate::scan::decode;
use crate::scan::face_tags::{xmp, Sidecars};
use crate::scan::walk::found_file;
use packet::{NamedArea, PhotoNames};

/// What writing the sidecars did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SidecarReport {
    /// Sidecars written, created or edited.
    pub written: Vec<PathBuf>,
    /// Named faces in the sidecars written.
    pub faces: usize,
    /// Sidecars that already said what Kith would write.
    pub unchanged: usize,
    /// Photos whose file is not there now (a drive not plugged in).
    pub not_found: usize,
    /// Photos changed since the last scan, or whose sidecar did: left for the scan to read first.
    pub not_scanned: usize,
    /// Sidecars left as they were, with the reason.
    pub failed: Vec<(PathBuf, String)>,
}

/// Writes the names into the sidecars of the photos with faces: a new sidecar where Kith names
/// someone, and any sidecar there brought in line with Kith. With `dry_run`, only says what it
/// would write. `on_progress` is told how many photos are done, of how many.
pub fn write(
    catalog: &mut Catalog,
    dry_run: bool,
    on_progress: &mut dyn FnMut(usize, usize),
) -> Result<SidecarReport, CatalogError> {
    let pass = if dry_run { Pass::DryRun } else { Pass::Full };
    run(catalog, pass, on_progress)
}

/// The setting that keeps sidecars up to date.
const KEEP_KEY: &str = "sidecars.keep";

/// Whether the library keeps its photos' sidecars up to date as names change.
pub fn keeping(catalog: &Catalog) -> Result<bool, CatalogError> {
    Ok(catalog.setting(KEEP_KEY)?.as_deref() == Some("on"))
}

pub fn set_keeping(catalog: &Catalog, on: bool) -> Result<(), CatalogError> {
    catalog.set_setting(KEEP_KEY, if on { "on" } else { "off" })
}

/// Where the library keeps its sidecars up to date: writes those of the photos whose names
/// changed since they were last written (all of them the first time). `None` where it does not.
pub fn keep_up(catalog: &mut Catalog) -> Result<Option<SidecarReport>, CatalogError> {
    if !keeping(catalog)? {
        return Ok(None);
    }
    run(catalog, Pass::Changed, &mut |_, _| {}).map(Some)
}

/// Which photos a pass looks at, and whether it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Every photo, each sidecar read and compared; nothing written.
    DryRun,
    /// Every photo, each sidecar read and compared.
    Full,
    /// The photos whose names changed since they were last written.
    Changed,
}

fn run(
    catalog: &mut Catalog,
    pass: Pass,
    on_progress: &mut dyn FnMut(usize, usize),
) -> Result<SidecarReport, CatalogError> {
    let dry_run = pass == Pass::DryRun;
    let photos = catalog.readable_photos()?;
    let stems = shared_stems(photos.iter().map(|p| p.path.as_path()));
    let names = photo_names(catalog, &photos)?;
    let written_before = match pass {
        Pass::Changed => catalog.sidecar_digests()?,
        Pass::DryRun | Pass::Full => HashMap::new(),
    };
    let todo: Vec<_> = photos
        .iter()
        .filter_map(|photo| {
            let names = names.get(&photo.id)?;
            let digest = digest(names);
            let same = written_before.get(&photo.id) == Some(&digest);
            (!same).then_some((photo, names, digest))
        })
        .collect();
    let mut report = SidecarReport::default();
    let mut sidecars = Sidecars::default();
    let mut settled = Vec::new();
    for (done, (photo, names, digest)) in todo.iter().enumerate() {
        on_progress(done, todo.len());
        let Ok(meta) = std::fs::metadata(&photo.path) else {
            report.not_found += 1;
            continue;
        };
        // A sidecar changed since the last scan may hold names Kith has not read: the scan
        // reads it first.
        if found_file(&photo.path, &meta, &mut sidecars).stamp != photo.stamp {
            report.not_scanned += 1;
            continue;
        }
        let target = sidecar_of(&photo.path, &stems);
        // Read from the photo only where a sidecar's regions need it, and then kept.
        let mut learned = None;
        let turned = || match photo.turned {
            Some(code) => Orientation::from_exif(code).unwrap_or(Orientation::NoTransforms),
            None => *learned.insert(turned_of(&photo.path)),
        };
        let outcome = update(&target, names, turned, dry_run);
        if let (Some(turned), false) = (learned, dry_run) {
            catalog.record_turned(photo.id, turned.to_exif())?;
        }
        match outcome {
            Ok(Outcome::Written) => {
                report.faces += names.named.len();
                report.written.push(target);
                if !dry_run {
                    if let Ok(meta) = std::fs::metadata(&photo.path) {
                        let now = found_file(&photo.path, &meta, &mut sidecars);
                        catalog.refresh_stamp(photo.id, now.stamp)?;
                    }
                }
            }
            Ok(Outcome::Unchanged) => report.unchanged += 1,
            Ok(Outcome::NothingToWrite) => {}
            Err(reason) => {
                tracing::warn!(sidecar = %target.display(), %reason, "sidecar left as it was");
                report.failed.push((target, reason));
                continue;
            }
        }
        settled.push((photo.id, digest.clone()));
    }
    on_progress(todo.len(), todo.len());
    if !dry_run {
        catalog.record_sidecar_digests(&settled)?;
    }
    Ok(report)
}

/// A short fingerprint of what Kith says of a photo's faces.
fn digest(names: &PhotoNames) -> String {
    let hash = blake3::hash(format!("{names:?}").as_bytes()).to_hex();
    hash[..32].to_string()
}

enum Outcome {
    Written,
    Unchanged,
    /// No sidecar there, and no name to write into a new one.
    NothingToWrite,
}

/// How the stored pixels of the photo at `path` are turned to be upright, as a scan finds it
/// (the photo is decoded small); as stored where it cannot be read.
fn turned_of(path: &Path) -> Orientation {
    let decoded = std::fs::read(path)
        .map_err(|err| err.to_string())
        .and_then(|bytes| decode::decode(&bytes, Some(1)).map_err(|err| err.to_string()));
    match decoded {
        Ok(photo) => photo.turned,
        Err(err) => {
            tracing::warn!(photo = %path.display(), %err, "orientation not read");
            Orientation::NoTransforms
        }
    }
}

/// Writes `names` into the sidecar at `target`, for a photo whose stored pixels are `turned`
/// to be upright (asked only where a sidecar is there to merge with).
fn update(
    target: &Path,
    names: &PhotoNames,
    turned: impl FnOnce() -> Orientation,
    dry_run: bool,
) -> Result<Outcome, String> {
    let old = match std::fs::read(target) {
        Ok(bytes) => {
            Some(String::from_utf8(bytes).map_err(|_| "it is not text (UTF-8)".to_string())?)
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(format!("it cannot be read: {err}")),
    };
    // An empty file (one a crash left half made) is written anew like a missing one.
    let Some(old) = old.filter(|text| !text.trim().is_empty()) else {
        if names.named.is_empty() {
            return Ok(Outcome::NothingToWrite);
        }
        if !dry_run {
            let text = packet::fresh(names);
            let written = if target.exists() {
                replace(target, &text)
            } else {
                create(target, &text)
            };
            written.map_err(|e| format!("it cannot be written: {e}"))?;
        }
        return Ok(Outcome::Written);
    };
    let new = packet::merge(&old, names, turned()).map_err(|e| e.to_string())?;
    if new == old {
        return Ok(Outcome::Unchanged);
    }
    if !dry_run {
        replace(target, &new).map_err(|e| format!("it cannot be written: {e}"))?;
    }
    Ok(Outcome::Written)
}

/// Writes a new file, never over one that appeared meanwhile.
fn create(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Replaces a file whole or not at all: written beside it, then renamed over it, with its
/// permissions.
fn replace(path: &Path, text: &str) -> std::io::Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let permissions = std::fs::metadata(path)?.permissions();
    let mut file = tempfile::Builder::new()
        .prefix(".kith-")
        .suffix(".xmp")
        .tempfile_in(folder)?;
    file.write_all(text.as_bytes())?;
    file.as_file().sync_all()?;
    std::fs::set_permissions(file.path(), permissions)?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The sidecar Kith writes for the photo at `path`: see the module's comment.
fn sidecar_of(path: &Path, shared: &HashMap<PathBuf, usize>) -> PathBuf {
    let [by_stem, added] = xmp::sidecars(path);
    if added.exists() {
        return added;
    }
    let alone = shared.get(&path.with_extension("")).is_none_or(|&n| n < 2);
    if alone && by_stem.exists() {
        return by_stem;
    }
    added
}

/// How many photos share each path without its extension.
fn shared_stems<'a>(paths: impl Iterator<Item = &'a Path>) -> HashMap<PathBuf, usize> {
    let mut counts = HashMap::new();
    for path in paths {
        *counts.entry(path.with_extension("")).or_insert(0) += 1;
    }
    counts
}

/// What Kith says of the faces of each photo, by photo id.
fn photo_names(
    catalog: &Catalog,
    photos: &[ReadablePhoto],
) -> Result<HashMap<i64, PhotoNames>, CatalogError> {
    let persons = catalog.person_briefs()?;
    let hidden: HashSet<i64> = persons.iter().filter(|p| p.hidden).map(|p| p.id).collect();
    let named: HashMap<i64, String> = persons
        .into_iter()
        .filter(|p| !p.hidden)
        .filter_map(|p| Some((p.id, p.name?)))
        .collect();
    let mut refused: HashMap<i64, Vec<i64>> = HashMap::new();
    for (face, person) in catalog.not_person_facts()? {
        refused.entry(face).or_default().push(person);
    }
    let mut faces_of: HashMap<i64, Vec<FaceRow>> = HashMap::new();
    for face in catalog.faces_with_copies()? {
        if !face.ignored {
            faces_of.entry(face.photo_id).or_default().push(face);
        }
    }
    let mut all = HashMap::new();
    for photo in photos {
        let Some(size) = photo.size else { continue };
        let own = faces_of
            .get(&photo.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        // A face's box may reach past the photo's edge; its region stops there.
        let area = |face: &FaceRow| {
            let [x, y, w, h] = face.bbox;
            let (width, height) = (size.0 as f32, size.1 as f32);
            let (left, top) = ((x / width).max(0.0), (y / height).max(0.0));
            let (right, bottom) = (((x + w) / width).min(1.0), ((y + h) / height).min(1.0));
            [left, top, right - left, bottom - top]
        };
        let mut names = PhotoNames {
            size,
            ..PhotoNames::default()
        };
        let original = photo.copy_of.and_then(|o| faces_of.get(&o));
        for (face, shown) in own.iter().zip(originals_shown(own, original)) {
            // A copy's face says what its original's face says.
            let subject = if photo.copy_of.is_some() {
                match shown {
                    Some(shown) => shown,
                    None => continue,
                }
            } else {
                face
            };
            match subject.person {
                Some(person) if hidden.contains(&person) => {}
                Some(person) if named.contains_key(&person) => names.named.push(NamedArea {
                    name: named[&person].clone(),
                    area: area(face),
                }),
                _ => names.unnamed.push(area(face)),
            }
            for person in refused.get(&subject.id).into_iter().flatten() {
                if let Some(name) = named.get(person) {
                    names.refused.push(NamedArea {
                        name: name.clone(),
                        area: area(face),
                    });
                }
            }
        }
        names.named.sort_by(|a, b| a.area[0].total_cmp(&b.area[0]));
        all.insert(photo.id, names);
    }
    Ok(all)
}

/// For each face of a copy, the original's face it shows: the nearest by descriptor, within the
/// distance that tells copies, each original face once. Nothing for a photo that is not a copy.
fn originals_shown<'a>(
    copy: &[FaceRow],
    original: Option<&'a Vec<FaceRow>>,
) -> Vec<Option<&'a FaceRow>> {
    let mut shown = vec![None; copy.len()];
    let Some(original) = original else {
        return shown;
    };
    let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
    for (c, face) in copy.iter().enumerate() {
        for (o, other) in original.iter().enumerate() {
            let distance = crate::vision::distance(&face.embedding, &other.embedding);
            if distance <= COPY_DISTANCE {
                pairs.push((distance, c, o));
            }
        }
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut used = vec![false; original.len()];
    for (_, c, o) in pairs {
        if shown[c].is_none() && !used[o] {
            used[o] = true;
            shown[c] = Some(&original[o]);
        }
    }
    shown
}
