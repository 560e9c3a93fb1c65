//! Finding the photos that are copies of another: the same picture in a second folder, saved
//! again as JPEG or HEIC, or exported smaller. Counted twice, a copy would double a person's
//! faces, list the picture twice in search, and make every stranger in it a two-face "person".
//!
//! Two photos are the same picture when they have the same shape, the same capture time (where
//! both have one; or whole hours apart, one moment in two time zones; to the fraction of the
//! second where both recorded it, which tells the shots of a burst apart) and the same faces:
//! each face of the photo with fewer matched one to one to a face whose five landmarks sit at the
//! same place relative to the photo (within [`LANDMARK_SLACK`] of the face's width), at about the
//! same size, with a descriptor within [`COPY_DISTANCE`] and whose pixels at that place of the
//! picture look alike ([`LOOK_ALIKE`]). Descriptors and landmarks alone do not tell copies from
//! other photos of a person facing the camera the same way: on the shared test photos, the 16
//! copies of one picture (other formats, grey, CMYK, 256 colours, smaller) matched faces at
//! distances up to 0.28 and landmark offsets up to 6.7%, and aligned crops of one person in
//! different photos came as close as 0.26 and 2%. The faces' pixels did tell them apart:
//! correlations of at least 0.92 between copies, at most 0.81 between different photos.
//!
//! A copy exported smaller has small faces, whose landmarks the detector puts a few pixels off and
//! whose descriptors drift, and it loses the smallest faces altogether. So the slack on place,
//! size and descriptor grows as a face shrinks below [`SHARP_FACE`], and the other photo's faces
//! left over may be those the detector would miss in the smaller one. The pixels, compared over
//! the same part of the picture rather than of each face's box, still decide: on the shared group
//! photos shrunk to 15–50%, faces 20–70 px wide correlated at 0.996 or more with their
//! originals, while portraits of one person cropped alike and shrunk to 40%, whose small faces
//! passed every other test in 256 pairs, correlated at 0.82 at most.
//!
//! A catalog written before capture times kept their fraction of the second may hold the shots
//! of a burst as copies of one picture: once, the times of its copies and their originals are
//! read again from the files, and the shots stand alone again.
//!
//! Only the faces the detector found are compared: a face the user drew stays with the photo it
//! was drawn on, and a copy made later has only the detector's faces.
//!
//! Candidates are found through the descriptors, so a library of 100,000 faces is searched in
//! about 2 s; a small face's copies in larger photos also by place and size. On a harder case,
//! 100,000 synthetic faces of people packed tightly, 39% of them small, crowding the middle of
//! photos of one shape in three sizes and without capture times, in a test build, that added
//! 30,000 pairs to check and took the search from 22.3 s to 25.5 s (one run each). The search is
//! skipped while no photo or face has come or gone since the last one.
//!
//! A version of a photo edited in Google Photos (`photo-edited.jpg` beside `photo.jpg`) may be
//! cropped or turned, which moves its faces and changes its shape. Told by its name, it is the
//! same picture when each of its faces is a distinct face of the original by its descriptor and
//! its pixels, and the capture times agree. A face's thumbnail shows it with a margin, less of
//! it where the photo's edge cuts the margin (as a close crop does): pixels are compared over the
//! part both thumbnails show.
//!
//! Of each group of copies, the original is, of the photos that are not an edited version of
//! another, the one with the most faces, then the most the user placed, then the most pixels: the
//! fullest version, whose faces are the sharpest. The photo already serving keeps its place where
//! it is as good, and gives it, with the decisions made about its faces, to a better one that
//! comes later only where all its copies are the new one's too. A photo without faces is never a
//! copy: counting it twice changes nothing about people.
//!
//! A photo moved (or renamed) and changed on the way (another app wrote its metadata into the
//! file, or saved it again) is a new file whose content no photo of the catalog has, and the
//! photo it was is missing. Where a new photo is the same picture as a missing one that holds
//! the user's decisions, it takes them, as a copy takes its original's when the original goes.
//! So does one cropped on the way, where both say when they were taken and agree, and its faces
//! are the missing photo's by their descriptors and pixels.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use image::GrayImage;
use rayon::prelude::*;

use crate::catalog::{Catalog, CatalogError, FaceRow, NewCopy, PictureRow};
use crate::people::cluster::UnionFind;
use crate::people::neighbours::NeighbourIndex;
use crate::scan::capture_time;
use crate::scan::face_tags::edited_original;
use crate::scan::thumbnail_window;
use crate::vision::distance;

/// Largest descriptor distance between a face and its copy, where both are at least
/// [`SHARP_FACE`] pixels wide. Re-encoding a 100 px face gives 0.01–0.12 and halving it 0.2; two
/// photos of one person are usually 0.3–0.6 apart.
pub const COPY_DISTANCE: f32 = 0.3;
/// How far each landmark may move between a face and its copy, as a share of the face's width.
pub const LANDMARK_SLACK: f32 = 0.1;
/// The face width, in pixels, from which a copy's landmarks and descriptor are as sure as the
/// original's. Smaller, the detector places the landmarks a few pixels off, and the descriptor
/// of the face aligned by them drifts: on the shared group photos shrunk to 15–30%, faces of
/// 24–52 px were 0.21–0.58 from their originals, and their landmarks up to 7 px off.
const SHARP_FACE: f32 = 80.0;
/// Of a face narrower than [`SHARP_FACE`], how far the landmarks and width may be off, in pixels.
const SMALL_FACE_SLACK_PX: f32 = 8.0;
/// The largest descriptor distance allowed between a face and its copy when one is small; the
/// same-person threshold, since the pixels in place decide then.
const SMALL_COPY_DISTANCE: f32 = 0.6;
/// A face the detector may miss in a copy: narrower than this, in the copy's pixels.
const MISSABLE_FACE: f32 = 64.0;
/// Least correlation between the grey pixels of a face's thumbnail and its copy's, both shrunk
/// to [`LOOK_SIDE`] pixels square.
pub const LOOK_ALIKE: f32 = 0.88;
const LOOK_SIDE: u32 = 32;
/// How much two copies' aspect ratios and a face's widths may differ, relatively.
const SHAPE_SLACK: f32 = 0.02;
const WIDTH_SLACK: f32 = 0.15;
const FINGERPRINT_KEY: &str = "copies.checked";

/// What [`settle`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settled {
    /// Photos newly marked as copies of another.
    pub copies: usize,
    /// Photos found to be missing ones moved and changed, which took the decisions about them.
    pub moved_and_changed: usize,
}

/// Finds the photos that became copies, frees those whose original is no longer readable, and
/// gives photos moved and changed the decisions made about them where they were.
pub fn settle(catalog: &mut Catalog) -> Result<Settled, CatalogError> {
    if catalog.setting(FRACTIONS_KEY)?.is_none() {
        part_bursts_timed_to_the_second(catalog)?;
    }
    let fingerprint = catalog.copies_fingerprint()?;
    if catalog.setting(FINGERPRINT_KEY)?.as_deref() == Some(fingerprint.as_str()) {
        return Ok(Settled::default());
    }
    release_orphans(catalog)?;
    let mut readable = Pictures::load(catalog)?;
    let moved_and_changed = inherit_from_vanished(catalog, &readable)?;
    if moved_and_changed > 0 {
        // The heirs' faces hold decisions now, which choosing an original counts.
        readable = Pictures::load(catalog)?;
    }
    let copies = find_copies(catalog, &readable)?;
    catalog.mark_copies(&copies)?;
    if !copies.is_empty() {
        tracing::info!(copies = copies.len(), "photos found to be copies of others");
    }
    catalog.set_setting(FINGERPRINT_KEY, &catalog.copies_fingerprint()?)?;
    Ok(Settled {
        copies: copies.len(),
        moved_and_changed,
    })
}

/// Set once [`part_bursts_timed_to_the_second`] has run.
const FRACTIONS_KEY: &str = "copies.fractions_read";

/// Shots of one burst share their second, and a catalog written before capture times kept the
/// fraction of the second may have taken them for copies of one picture. Once per catalog, the
/// copies and originals it has times to the second for have their times read again from their
/// files: those with a fraction keep it, and a copy whose fraction differs from its original's
/// stands alone again, its faces to be placed.
fn part_bursts_timed_to_the_second(catalog: &mut Catalog) -> Result<(), CatalogError> {
    let mut read: HashMap<i64, Option<String>> = HashMap::new();
    let mut parted = 0;
    for (copy, original) in catalog.copies_timed_to_the_second()? {
        for photo in [copy, original] {
            if let Entry::Vacant(slot) = read.entry(photo) {
                let finer = finer_taken_at(catalog, photo)?;
                if let Some(time) = &finer {
                    catalog.set_taken_at(photo, time)?;
                }
                slot.insert(finer);
            }
        }
        let fraction = |photo| read[&photo].as_deref().and_then(capture_time::fraction);
        if fraction(copy)
            .zip(fraction(original))
            .is_some_and(|(a, b)| a != b)
        {
            let pairs = face_pairs(catalog, original, copy)?;
            catalog.release_copy(copy, &pairs)?;
            parted += 1;
        }
    }
    if parted > 0 {
        tracing::info!(
            parted,
            "shots of a burst taken for copies stand alone again"
        );
    }
    catalog.set_setting(FRACTIONS_KEY, "1")?;
    Ok(())
}

/// The capture time of `photo` read from its file, where it is the catalog's with the fraction of
/// the second (the file unchanged in that respect, and the camera having recorded one).
fn finer_taken_at(catalog: &Catalog, photo: i64) -> Result<Option<String>, CatalogError> {
    let Some(row) = catalog.photo(photo)? else {
        return Ok(None);
    };
    let Some(known) = row.taken_at else {
        return Ok(None);
    };
    Ok(crate::scan::decode::taken_at_of(&row.path).filter(|time| {
        capture_time::fraction(time).is_some()
            && capture_time::to_the_second(time) == capture_time::to_the_second(&known)
    }))
}

/// Gives each readable photo that is the same picture as a missing one holding the user's
/// decisions, and holds none itself, those decisions (one heir per missing photo). Returns how
/// many photos took decisions.
fn inherit_from_vanished(
    catalog: &mut Catalog,
    readable: &Pictures,
) -> Result<usize, CatalogError> {
    let vanished: HashMap<i64, PictureRow> = catalog
        .vanished_with_decisions()?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    if vanished.is_empty() {
        return Ok(0);
    }
    let mut vanished_faces: HashMap<i64, Vec<FaceRow>> = HashMap::new();
    for face in catalog.faces_of_vanished()? {
        if vanished.contains_key(&face.photo_id) && !face.drawn {
            vanished_faces.entry(face.photo_id).or_default().push(face);
        }
    }
    let refused: HashSet<i64> = catalog
        .not_person_facts()?
        .into_iter()
        .map(|(face, _)| face)
        .collect();
    let undecided = |f: &FaceRow| !f.pinned && !f.ignored && !refused.contains(&f.id);
    // Photos that are not copies, none of whose faces the user decided about.
    let mut photos: Vec<i64> = readable
        .faces_of
        .iter()
        .filter(|(p, faces)| {
            readable.rows[*p].copy_of.is_none()
                && !readable.drawn_on.contains(*p)
                && faces.iter().all(undecided)
        })
        .map(|(&p, _)| p)
        .collect();
    photos.sort_unstable();
    let faces: Vec<&FaceRow> = vanished_faces.values().flatten().collect();
    let index = NeighbourIndex::build(&faces.iter().map(|f| f.embedding).collect::<Vec<_>>());
    let mut looks = Looks::new(catalog);
    let mut heirs = Vec::new();
    let mut taken = HashSet::new();
    for photo in photos {
        let (picture, own) = (&readable.rows[&photo], &readable.faces_of[&photo]);
        let mut candidates: Vec<i64> = own
            .iter()
            .flat_map(|f| index.within(&f.embedding, COPY_DISTANCE))
            .map(|(i, _)| faces[i].photo_id)
            .filter(|v| !taken.contains(v))
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        for v in candidates {
            let was = (&vanished[&v], vanished_faces[&v].as_slice());
            let pairs = match same_picture(was, (picture, own), &mut looks)? {
                Some(pairs) => Some(pairs),
                None => cropped_from(was, (picture, own), &mut looks)?,
            };
            if let Some(pairs) = pairs {
                taken.insert(v);
                heirs.push((photo, pairs));
                break;
            }
        }
    }
    for (photo, pairs) in &heirs {
        catalog.release_copy(*photo, pairs)?;
    }
    if !heirs.is_empty() {
        tracing::info!(
            photos = heirs.len(),
            "photos moved and changed took the decisions made where they were"
        );
    }
    Ok(heirs.len())
}

/// Whether `photo` is the missing photo `was` cropped (or turned) in another app on its way: the
/// pairs of their faces, as (was's, photo's). Both must say when they were taken, and agree: a
/// crop moves the faces and changes the shape, so the moment and the faces are all that is left
/// to tell the same picture by.
fn cropped_from(
    was: (&PictureRow, &[FaceRow]),
    photo: (&PictureRow, &[FaceRow]),
    looks: &mut Looks<'_>,
) -> Result<Option<Vec<(i64, i64)>>, CatalogError> {
    if was.0.taken_at.is_none() || photo.0.taken_at.is_none() {
        return Ok(None);
    }
    let edited = same_edited(photo, was, looks)?;
    Ok(edited.map(|pairs| pairs.into_iter().map(|(now, then)| (then, now)).collect()))
}

/// Copies whose original went missing stand alone again, with the original's decisions.
fn release_orphans(catalog: &mut Catalog) -> Result<(), CatalogError> {
    for (copy, original) in catalog.orphaned_copies()? {
        let pairs = face_pairs(catalog, original, copy)?;
        catalog.release_copy(copy, &pairs)?;
    }
    Ok(())
}

/// Forgets `folder` and the photos only it holds (see [`Catalog::remove_folder`]). An original
/// among them with copies in the folders kept first hands its place, and the names and answers
/// given to its faces, to the first of those copies. Returns how many photos were forgotten.
pub fn forget_folder(catalog: &mut Catalog, folder: &Path) -> Result<usize, CatalogError> {
    let leaving: HashSet<i64> = catalog.photos_only_under(folder)?.into_iter().collect();
    for &original in &leaving {
        let staying: Vec<i64> = catalog
            .copies_of(original)?
            .into_iter()
            .filter(|copy| !leaving.contains(copy))
            .collect();
        let Some((&heir, others)) = staying.split_first() else {
            continue;
        };
        let pairs = face_pairs(catalog, original, heir)?;
        catalog.release_copy(heir, &pairs)?;
        let others: Vec<NewCopy> = others
            .iter()
            .map(|&photo| NewCopy {
                photo,
                original: heir,
                faces: Vec::new(),
            })
            .collect();
        catalog.mark_copies(&others)?;
    }
    catalog.remove_folder(folder)
}

/// The faces of `original` and its `copy` as one picture pairs them: (original's, copy's).
fn face_pairs(
    catalog: &Catalog,
    original: i64,
    copy: i64,
) -> Result<Vec<(i64, i64)>, CatalogError> {
    let (Some(o), Some(c)) = (catalog.picture(original)?, catalog.picture(copy)?) else {
        return Ok(Vec::new());
    };
    let (faces_o, faces_c) = (
        catalog.faces_of_photo(original)?,
        catalog.faces_of_photo(copy)?,
    );
    let mut looks = Looks::new(catalog);
    if let Some(pairs) = same_picture((&o, &faces_o), (&c, &faces_c), &mut looks)? {
        return Ok(pairs);
    }
    // An edited version, cropped or turned.
    let edited = same_edited((&c, &faces_c), (&o, &faces_o), &mut looks)?;
    Ok(edited
        .unwrap_or_default()
        .into_iter()
        .map(|(c, o)| (o, c))
        .collect())
}

/// The readable photos with faces, copies included, with the faces the detector found in them:
/// what both searches of a settling read, once. Faces the user drew are left out of the
/// comparing, since a copy made later has only the detector's faces.
struct Pictures {
    rows: HashMap<i64, PictureRow>,
    faces_of: HashMap<i64, Vec<FaceRow>>,
    /// The photos on which the user drew a face: a decision of theirs.
    drawn_on: HashSet<i64>,
}

impl Pictures {
    fn load(catalog: &Catalog) -> Result<Self, CatalogError> {
        let rows: HashMap<i64, PictureRow> =
            catalog.pictures()?.into_iter().map(|p| (p.id, p)).collect();
        // Every photo has its list, empty where the user drew all its faces.
        let mut faces_of: HashMap<i64, Vec<FaceRow>> =
            rows.keys().map(|&id| (id, Vec::new())).collect();
        let mut drawn_on = HashSet::new();
        for face in catalog.faces_with_copies()? {
            if !rows.contains_key(&face.photo_id) {
                continue;
            }
            if face.drawn {
                drawn_on.insert(face.photo_id);
            } else {
                faces_of.entry(face.photo_id).or_default().push(face);
            }
        }
        Ok(Self {
            rows,
            faces_of,
            drawn_on,
        })
    }
}

/// The photos that are copies of another and not yet marked as such.
fn find_copies(catalog: &Catalog, readable: &Pictures) -> Result<Vec<NewCopy>, CatalogError> {
    let Pictures {
        rows: pictures,
        faces_of,
        ..
    } = readable;
    let faces: Vec<&FaceRow> = faces_of.values().flatten().collect();
    let candidates = candidate_pairs(&faces, pictures);
    let edited = edited_versions(catalog, pictures)?;
    let mut looks = Looks::new(catalog);
    let mut ids: Vec<i64> = pictures.keys().copied().collect();
    ids.sort_unstable();
    let position: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let mut sets = UnionFind::new(ids.len());
    let pairs = candidates
        .into_iter()
        .map(|pair| (pair, Likeness::Copy))
        .chain(edited.iter().map(|(&v, &o)| ((v, o), Likeness::Edited)));
    for ((a, b), likeness) in pairs {
        let (ia, ib) = (position[&a], position[&b]);
        if sets.find(ia) != sets.find(ib) {
            let same = likeness.pairs(
                (&pictures[&a], &faces_of[&a]),
                (&pictures[&b], &faces_of[&b]),
                &mut looks,
            )?;
            if same.is_some() {
                sets.union(ia, ib);
            }
        }
    }
    let mut groups: HashMap<usize, Vec<i64>> = HashMap::new();
    for (i, &id) in ids.iter().enumerate() {
        groups.entry(sets.find(i)).or_default().push(id);
    }
    let mut copies = Vec::new();
    for members in groups.into_values().filter(|g| g.len() >= 2) {
        let group = Group {
            members: &members,
            pictures,
            faces_of,
            edited: &edited,
        };
        let serving = group.serving();
        let best = group.best();
        let mut marked = group.copies_of(best, &mut looks)?;
        if let Some(serving) = serving.filter(|&s| s != best) {
            // The photo serving gives its place to a fuller or larger one only with all its
            // copies, which are then the new one's: otherwise it keeps it.
            let moved = marked
                .iter()
                .filter(|c| pictures[&c.photo].copy_of == Some(serving))
                .count();
            let had = catalog.copies_of(serving)?.len();
            if moved < had || !marked.iter().any(|c| c.photo == serving) {
                marked = group.copies_of(serving, &mut looks)?;
            }
        }
        copies.extend(marked);
    }
    copies.sort_by_key(|c| c.photo);
    Ok(copies)
}

/// Pairs of photos, as (lower id, higher id), with a face each that could be one face copied.
/// They are found by descriptor: a person's faces in other photos are often within the distance,
/// but seldom at the same place in a photo of the same shape and time, which costs nothing to
/// check. A small face in a copy of another size, whose descriptor drifts, is found by its place
/// and size instead ([`PlaceGrid`]).
fn candidate_pairs(faces: &[&FaceRow], pictures: &HashMap<i64, PictureRow>) -> Vec<(i64, i64)> {
    let index = NeighbourIndex::build(&faces.iter().map(|f| f.embedding).collect::<Vec<_>>());
    let grid = PlaceGrid::new(faces, pictures);
    let mut candidates: Vec<(i64, i64)> = (0..faces.len())
        .into_par_iter()
        .flat_map_iter(|i| {
            let (fa, pa) = (faces[i], &pictures[&faces[i].photo_id]);
            let by_descriptor = index
                .within(&fa.embedding, COPY_DISTANCE)
                .into_iter()
                .map(|(j, _)| j);
            let by_place = if fa.bbox[2] < SHARP_FACE {
                grid.in_larger_photos(i)
            } else {
                Vec::new()
            };
            let placed = Placed::of(fa, pa);
            by_descriptor.chain(by_place).filter_map(move |j| {
                let (fb, pb) = (faces[j], &pictures[&faces[j].photo_id]);
                (pa.id != pb.id
                    && same_shape_and_time(pa, pb)
                    && placed.is_copy_of(&Placed::of(fb, pb)))
                .then_some((pa.id.min(pb.id), pa.id.max(pb.id)))
            })
        })
        .collect();
    candidates.sort_unstable();
    candidates.dedup();
    candidates
}

/// The faces by their size and place in their photos (relative to the long side) and the
/// photos' shape, to find a face's copies in photos of another size without its descriptor.
struct PlaceGrid {
    /// Each cell's faces as (their photo's long side, index), sorted.
    cells: HashMap<PlaceCell, Vec<(u32, usize)>>,
    homes: Vec<Home>,
}

/// Where a face sits, as [`PlaceGrid`] files it.
#[derive(Clone, Copy)]
struct Home {
    /// The photo's shape class and the face's size class.
    shape: i32,
    size: i32,
    /// The centre of its landmarks and its width, relative to the photo's long side.
    centre: [f32; 2],
    width: f32,
    /// Its width in pixels, and its photo's long side.
    pixels: f32,
    long: u32,
}

impl Home {
    /// What [`Placed::is_copy_of`] asks of place and size, on the landmarks' centre (which moves
    /// no more than the landmark that moves most): a cheap first test of many faces.
    fn may_be_copy_of(&self, other: &Home) -> bool {
        let (landmarks, widths) = Placed::slack(self.pixels.min(other.pixels));
        let moved = (self.centre[0] - other.centre[0]).hypot(self.centre[1] - other.centre[1]);
        moved <= landmarks * self.width.max(other.width)
            && (self.width / other.width.max(f32::EPSILON) - 1.0).abs() <= widths
    }
}

/// A [`PlaceGrid`] cell: the photo's shape class, the face's size class, and its column and row
/// on a grid whose step grows with the size class.
type PlaceCell = [i32; 4];

/// The step between a [`PlaceGrid`]'s size classes, as a logarithm: a face and its copy differ in
/// width by less than that, so that a copy is in the face's class or a neighbour.
const SIZE_CLASS: f32 = 0.3;

impl PlaceGrid {
    fn new(faces: &[&FaceRow], pictures: &HashMap<i64, PictureRow>) -> Self {
        let homes: Vec<Home> = faces
            .iter()
            .map(|f| {
                let photo = &pictures[&f.photo_id];
                let long = long_side(photo);
                let (width, height) = (photo.size.0.max(1) as f32, photo.size.1.max(1) as f32);
                let centre = f
                    .landmarks
                    .iter()
                    .fold([0.0; 2], |[x, y], [lx, ly]| [x + lx / 5.0, y + ly / 5.0]);
                let relative = f.bbox[2].max(1.0) / long;
                Home {
                    shape: ((width / height).ln() / (2.0 * SHAPE_SLACK)).floor() as i32,
                    size: (relative.ln() / SIZE_CLASS).floor() as i32,
                    centre: [centre[0] / long, centre[1] / long],
                    width: relative,
                    pixels: f.bbox[2],
                    long: long as u32,
                }
            })
            .collect();
        let mut cells: HashMap<PlaceCell, Vec<(u32, usize)>> = HashMap::new();
        for (i, home) in homes.iter().enumerate() {
            cells
                .entry(Self::cell(home.shape, home.size, home.centre))
                .or_default()
                .push((home.long, i));
        }
        for members in cells.values_mut() {
            members.sort_unstable();
        }
        PlaceGrid { cells, homes }
    }

    /// The cell of a face of size class `size` centred at `centre`. Its step is more than a copy's
    /// landmarks move for faces of that size (the slack, 0.8 of the width at most, of the wider
    /// face, one class up at most), so that a copy is in the face's cell or a neighbour.
    fn cell(shape: i32, size: i32, centre: [f32; 2]) -> PlaceCell {
        let step = 0.8 * (SIZE_CLASS * (size + 2) as f32).exp();
        [
            shape,
            size,
            (centre[0] / step).floor() as i32,
            (centre[1] / step).floor() as i32,
        ]
    }

    /// The faces in larger photos that may be face `i` there, by place and size: a copy of
    /// another size is found from its smaller side, and one of the same size is the
    /// descriptor's to find, since its descriptor drifts little.
    fn in_larger_photos(&self, i: usize) -> Vec<usize> {
        let home = self.homes[i];
        let mut near = Vec::new();
        for shape in home.shape - 1..=home.shape + 1 {
            for size in home.size - 1..=home.size + 1 {
                let [_, _, x, y] = Self::cell(shape, size, home.centre);
                for (dx, dy) in (-1..=1).flat_map(|dx| (-1..=1).map(move |dy| (dx, dy))) {
                    let Some(members) = self.cells.get(&[shape, size, x + dx, y + dy]) else {
                        continue;
                    };
                    let larger = members.partition_point(|&(long, _)| long <= home.long);
                    near.extend(
                        members[larger..]
                            .iter()
                            .map(|&(_, j)| j)
                            .filter(|&j| home.may_be_copy_of(&self.homes[j])),
                    );
                }
            }
        }
        near
    }
}

/// Photos found to be one picture: their rows and faces, and which are edited versions.
struct Group<'g> {
    members: &'g [i64],
    pictures: &'g HashMap<i64, PictureRow>,
    faces_of: &'g HashMap<i64, Vec<FaceRow>>,
    edited: &'g HashMap<i64, i64>,
}

impl Group<'_> {
    /// The member serving as the others' original already, if any.
    fn serving(&self) -> Option<i64> {
        let pictures = self.pictures;
        self.members
            .iter()
            .copied()
            .filter(|p| pictures[p].copy_of.is_none())
            .find(|p| self.members.iter().any(|m| pictures[m].copy_of == Some(*p)))
    }

    /// The photo the others are best copies of: one that is neither a copy already nor an
    /// edited version of another (a crop may have lost faces), with the most faces (a smaller
    /// copy may have lost small ones), then the most the user placed, then the most pixels; the
    /// one serving where it is as good, else the first catalogued.
    fn best(&self) -> i64 {
        let candidates: Vec<i64> = self
            .members
            .iter()
            .copied()
            .filter(|p| self.pictures[p].copy_of.is_none())
            .filter(|p| self.edited.get(p).is_none_or(|o| !self.members.contains(o)))
            .collect();
        let rank = |p: &i64| {
            let faces = &self.faces_of[p];
            let (width, height) = self.pictures[p].size;
            (
                faces.len(),
                faces.iter().filter(|f| f.pinned).count(),
                u64::from(width) * u64::from(height),
            )
        };
        let Some(top) = candidates.iter().map(rank).max() else {
            return self.members[0];
        };
        let mut best = candidates.into_iter().filter(|p| rank(p) == top);
        let serving = self.serving();
        match best.clone().find(|&p| Some(p) == serving) {
            Some(serving) => serving,
            None => best.next().unwrap_or(self.members[0]),
        }
    }

    /// The members to mark as copies of `original` (those not marked already), with their faces
    /// paired to its. Every face of a copy must be one of the original's, or it would be lost.
    fn copies_of(
        &self,
        original: i64,
        looks: &mut Looks<'_>,
    ) -> Result<Vec<NewCopy>, CatalogError> {
        let mut marked = Vec::new();
        for &photo in self.members.iter().filter(|&&p| p != original) {
            if self.pictures[&photo].copy_of == Some(original) {
                continue;
            }
            let copy = (&self.pictures[&photo], self.faces_of[&photo].as_slice());
            let of = (
                &self.pictures[&original],
                self.faces_of[&original].as_slice(),
            );
            let likeness = if self.edited.get(&photo) == Some(&original) {
                Likeness::Edited
            } else {
                Likeness::Copy
            };
            let pairs = likeness.pairs(copy, of, looks)?;
            if let Some(faces) = pairs.filter(|pairs| pairs.len() == copy.1.len()) {
                marked.push(NewCopy {
                    photo,
                    original,
                    faces,
                });
            }
        }
        Ok(marked)
    }
}

/// The pictures that are versions of another edited in Google Photos, told by their names (it
/// keeps `photo-edited.jpg` beside `photo.jpg`), each with the picture it was made from.
fn edited_versions(
    catalog: &Catalog,
    pictures: &HashMap<i64, PictureRow>,
) -> Result<HashMap<i64, i64>, CatalogError> {
    let by_path: HashMap<PathBuf, i64> = catalog
        .photos()?
        .into_iter()
        .filter(|p| pictures.contains_key(&p.id))
        .map(|p| (p.path, p.id))
        .collect();
    let mut edited = HashMap::new();
    for (path, &version) in &by_path {
        let name = path.file_name().and_then(|n| n.to_str());
        let original = name
            .and_then(edited_original)
            .and_then(|original| by_path.get(&path.with_file_name(original)));
        if let Some(&original) = original {
            edited.insert(version, original);
        }
    }
    Ok(edited)
}

/// When `a` and `b` are the same picture, each face of `a` with the face of `b` it is, as ids.
fn same_picture(
    (a, faces_a): (&PictureRow, &[FaceRow]),
    (b, faces_b): (&PictureRow, &[FaceRow]),
    looks: &mut Looks<'_>,
) -> Result<Option<Vec<(i64, i64)>>, CatalogError> {
    if !same_shape_and_time(a, b) {
        return Ok(None);
    }
    let pa: Vec<Placed> = faces_a.iter().map(|f| Placed::of(f, a)).collect();
    let pb: Vec<Placed> = faces_b.iter().map(|f| Placed::of(f, b)).collect();
    let Some(pairs) = match_placed((&pa, a), (&pb, b)) else {
        return Ok(None);
    };
    for &(i, j) in &pairs {
        if !looks.alike_in_place((&faces_a[i], a), (&faces_b[j], b))? {
            return Ok(None);
        }
    }
    Ok(Some(
        pairs
            .into_iter()
            .map(|(i, j)| (faces_a[i].id, faces_b[j].id))
            .collect(),
    ))
}

/// How a photo is the same picture as another.
#[derive(Debug, Clone, Copy)]
enum Likeness {
    /// The same picture, faces in the same places ([`same_picture`]).
    Copy,
    /// A version edited from the other, perhaps cropped ([`same_edited`]).
    Edited,
}

impl Likeness {
    /// When `a` is `b` in this way, each face of `a` with the face of `b` it is, as ids.
    fn pairs(
        self,
        a: (&PictureRow, &[FaceRow]),
        b: (&PictureRow, &[FaceRow]),
        looks: &mut Looks<'_>,
    ) -> Result<Option<Vec<(i64, i64)>>, CatalogError> {
        match self {
            Likeness::Copy => same_picture(a, b, looks),
            Likeness::Edited => same_edited(a, b, looks),
        }
    }
}

/// When `version` is `original` edited (cropped, turned, retouched), each face of the version with
/// the original's face it is, as ids. A crop moves the faces and changes the shape, so only the
/// faces themselves are compared: each of the version's must be a distinct face of the original
/// by its descriptor and its pixels. The capture times agree where both have one.
fn same_edited(
    (version, faces_v): (&PictureRow, &[FaceRow]),
    (original, faces_o): (&PictureRow, &[FaceRow]),
    looks: &mut Looks<'_>,
) -> Result<Option<Vec<(i64, i64)>>, CatalogError> {
    if !same_time(version, original) || faces_v.is_empty() || faces_v.len() > faces_o.len() {
        return Ok(None);
    }
    let mut candidates: Vec<(f32, usize, usize)> = Vec::new();
    for (i, v) in faces_v.iter().enumerate() {
        for (j, o) in faces_o.iter().enumerate() {
            let d = distance(&v.embedding, &o.embedding);
            if d <= COPY_DISTANCE && looks.alike((v, version.size), (o, original.size))? {
                candidates.push((d, i, j));
            }
        }
    }
    let pairs = closest_pairs(candidates, faces_v.len(), faces_o.len());
    Ok((pairs.len() == faces_v.len()).then(|| {
        pairs
            .into_iter()
            .map(|(i, j)| (faces_v[i].id, faces_o[j].id))
            .collect()
    }))
}

/// The same aspect ratio, and the same capture time where both photos have one.
fn same_shape_and_time(a: &PictureRow, b: &PictureRow) -> bool {
    let aspect = |p: &PictureRow| p.size.0 as f32 / p.size.1.max(1) as f32;
    let (ra, rb) = (aspect(a), aspect(b));
    (ra - rb).abs() <= SHAPE_SLACK * ra.max(rb) && same_time(a, b)
}

/// The same capture time where both photos have one. Times whole hours apart (14 at most) are
/// one moment in two time zones: a camera's clock, and the local time a date from Google's
/// export is given in. Where both recorded the fraction of the second, it must be the same:
/// shots of one burst share their second, and a copy keeps its original's fraction (or, saved
/// by an app that drops it, has none).
fn same_time(a: &PictureRow, b: &PictureRow) -> bool {
    match (&a.taken_at, &b.taken_at) {
        (Some(ta), Some(tb))
            if capture_time::fraction(ta)
                .zip(capture_time::fraction(tb))
                .is_some_and(|(x, y)| x != y) =>
        {
            false
        }
        (Some(ta), Some(tb)) => match (capture_time::seconds(ta), capture_time::seconds(tb)) {
            (Some(x), Some(y)) => {
                let apart = (x - y).abs();
                apart % 3600 == 0 && apart <= 14 * 3600
            }
            _ => ta == tb,
        },
        _ => true,
    }
}

/// The faces' thumbnails as the pixel check compares them, each read from the catalog once.
struct Looks<'c> {
    catalog: &'c Catalog,
    /// Grey pixels of each face's thumbnail; `None` for a face without a readable one.
    thumbnails: HashMap<i64, Option<GrayImage>>,
}

impl<'c> Looks<'c> {
    fn new(catalog: &'c Catalog) -> Self {
        Looks {
            catalog,
            thumbnails: HashMap::new(),
        }
    }

    /// Whether the two faces' pixels correlate at least [`LOOK_ALIKE`] over the part of them both
    /// thumbnails show (less than all near a photo's edge, where a crop may have cut); each face
    /// with the size of its photo. A face without a thumbnail looks like nothing.
    fn alike(
        &mut self,
        (a, size_a): (&FaceRow, (u32, u32)),
        (b, size_b): (&FaceRow, (u32, u32)),
    ) -> Result<bool, CatalogError> {
        let (wa, wb) = (
            thumbnail_window(a.bbox, size_a),
            thumbnail_window(b.bbox, size_b),
        );
        self.alike_over((a.id, wa), (b.id, wb))
    }

    /// [`Looks::alike`] for two faces of copies of one picture, compared over the same part of
    /// the picture rather than of each face's box: the detector draws a small face's box a few
    /// pixels off, which moves its thumbnail, but not the picture.
    fn alike_in_place(
        &mut self,
        (a, photo_a): (&FaceRow, &PictureRow),
        (b, photo_b): (&FaceRow, &PictureRow),
    ) -> Result<bool, CatalogError> {
        let in_picture = |face: &FaceRow, photo: &PictureRow| {
            let [x, y, w, h] = face.bbox;
            let [left, top, right, bottom] = thumbnail_window(face.bbox, photo.size);
            let long = long_side(photo);
            [
                (x + left * w) / long,
                (y + top * h) / long,
                (x + right * w) / long,
                (y + bottom * h) / long,
            ]
        };
        self.alike_over(
            (a.id, in_picture(a, photo_a)),
            (b.id, in_picture(b, photo_b)),
        )
    }

    /// Whether the thumbnails of faces `a` and `b`, each showing its `window` (in coordinates
    /// both share), correlate at least [`LOOK_ALIKE`] over the part both show.
    fn alike_over(
        &mut self,
        (a, wa): (i64, [f32; 4]),
        (b, wb): (i64, [f32; 4]),
    ) -> Result<bool, CatalogError> {
        let both = [
            wa[0].max(wb[0]),
            wa[1].max(wb[1]),
            wa[2].min(wb[2]),
            wa[3].min(wb[3]),
        ];
        if both[2] <= both[0] || both[3] <= both[1] {
            return Ok(false);
        }
        let pa = self.thumbnail(a)?.and_then(|t| pattern(t, wa, both));
        let pb = self.thumbnail(b)?.and_then(|t| pattern(t, wb, both));
        Ok(match (pa, pb) {
            (Some(pa), Some(pb)) => {
                pa.iter().zip(&pb).map(|(x, y)| x * y).sum::<f32>() >= LOOK_ALIKE
            }
            _ => false,
        })
    }

    fn thumbnail(&mut self, face: i64) -> Result<Option<&GrayImage>, CatalogError> {
        if !self.thumbnails.contains_key(&face) {
            let grey = self
                .catalog
                .face_thumbnail(face)?
                .and_then(|jpeg| image::load_from_memory(&jpeg).ok())
                .map(|image| image.into_luma8());
            self.thumbnails.insert(face, grey);
        }
        Ok(self.thumbnails.get(&face).and_then(Option::as_ref))
    }
}

/// The grey pixels of the `part` of a face that its thumbnail, showing `window` (both in one
/// frame: fractions of the face's box, or of the photo's long side), holds, at [`LOOK_SIDE`] square, less
/// their mean, scaled to unit length, so that the dot product of two is their correlation,
/// whatever the brightness and contrast.
fn pattern(thumbnail: &GrayImage, window: [f32; 4], part: [f32; 4]) -> Option<Vec<f32>> {
    let (tw, th) = (thumbnail.width() as f32, thumbnail.height() as f32);
    let at = |v: f32, from: f32, to: f32, side: f32| ((v - from) / (to - from) * side).round();
    let (x0, x1) = (
        at(part[0], window[0], window[2], tw),
        at(part[2], window[0], window[2], tw),
    );
    let (y0, y1) = (
        at(part[1], window[1], window[3], th),
        at(part[3], window[1], window[3], th),
    );
    let (x0, y0) = (
        x0.clamp(0.0, tw - 1.0) as u32,
        y0.clamp(0.0, th - 1.0) as u32,
    );
    let width = (x1 as u32).clamp(x0 + 1, tw as u32) - x0;
    let height = (y1 as u32).clamp(y0 + 1, th as u32) - y0;
    let shown = image::imageops::crop_imm(thumbnail, x0, y0, width, height).to_image();
    let small = image::imageops::resize(
        &shown,
        LOOK_SIDE,
        LOOK_SIDE,
        image::imageops::FilterType::Triangle,
    );
    let values: Vec<f32> = small.as_raw().iter().map(|&v| v as f32).collect();
    let mean = values.iter().sum::<f32>() / values.len() as f32;
    let centred: Vec<f32> = values.iter().map(|v| v - mean).collect();
    let norm = centred.iter().map(|v| v * v).sum::<f32>().sqrt();
    (norm > 0.0).then(|| centred.iter().map(|v| v / norm).collect())
}

/// A face in coordinates relative to its photo's long side.
struct Placed<'f> {
    landmarks: [[f32; 2]; 5],
    width: f32,
    /// The face's width in its photo's pixels.
    pixels: f32,
    face: &'f FaceRow,
}

impl<'f> Placed<'f> {
    fn of(face: &'f FaceRow, photo: &PictureRow) -> Self {
        let long_side = long_side(photo);
        Placed {
            landmarks: face.landmarks.map(|[x, y]| [x / long_side, y / long_side]),
            width: face.bbox[2] / long_side,
            pixels: face.bbox[2],
            face,
        }
    }

    /// The largest landmark offset from `other`, as a share of the wider face.
    fn offset(&self, other: &Placed<'_>) -> f32 {
        let largest = self
            .landmarks
            .iter()
            .zip(&other.landmarks)
            .map(|(p, q)| (p[0] - q[0]).hypot(p[1] - q[1]))
            .fold(0.0, f32::max);
        largest / self.width.max(other.width).max(f32::EPSILON)
    }

    /// Where a face and its copy may differ, the smaller of the two `pixels` wide: landmarks,
    /// as a share of the width, and widths, relatively, loosened for a small face by
    /// [`SMALL_FACE_SLACK_PX`].
    fn slack(pixels: f32) -> (f32, f32) {
        let loose = SMALL_FACE_SLACK_PX / pixels.max(1.0);
        (LANDMARK_SLACK.max(loose), WIDTH_SLACK.max(loose))
    }

    fn is_copy_of(&self, other: &Placed<'_>) -> bool {
        let smaller = self.pixels.min(other.pixels);
        let (landmarks, widths) = Self::slack(smaller);
        let ratio = self.width / other.width.max(f32::EPSILON);
        self.offset(other) <= landmarks
            && (ratio - 1.0).abs() <= widths
            && distance(&self.face.embedding, &other.face.embedding) <= copy_distance(smaller)
    }
}

/// The largest descriptor distance between a face and its copy, the smaller of the two `pixels`
/// wide: [`COPY_DISTANCE`] for sharp faces, growing to [`SMALL_COPY_DISTANCE`] at half their
/// width.
fn copy_distance(pixels: f32) -> f32 {
    let small = ((SHARP_FACE - pixels) / (SHARP_FACE / 2.0)).clamp(0.0, 1.0);
    COPY_DISTANCE + (SMALL_COPY_DISTANCE - COPY_DISTANCE) * small
}

fn long_side(photo: &PictureRow) -> f32 {
    photo.size.0.max(photo.size.1).max(1) as f32
}

/// Pairs the faces of `a` and `b` that are copies of each other, nearest first, as indices;
/// `None` unless every face of the one with fewer faces (at least one) pairs up, and each of the
/// other's left over is small enough in the smaller photo for the detector to have missed it
/// there.
fn match_placed(
    (a, photo_a): (&[Placed<'_>], &PictureRow),
    (b, photo_b): (&[Placed<'_>], &PictureRow),
) -> Option<Vec<(usize, usize)>> {
    let fewer = a.len().min(b.len());
    if fewer == 0 {
        return None;
    }
    let mut candidates: Vec<(f32, usize, usize)> = Vec::new();
    for (i, p) in a.iter().enumerate() {
        for (j, q) in b.iter().enumerate() {
            if p.is_copy_of(q) {
                candidates.push((p.offset(q), i, j));
            }
        }
    }
    let pairs = closest_pairs(candidates, a.len(), b.len());
    if pairs.len() != fewer {
        return None;
    }
    let (mut paired_a, mut paired_b) = (vec![false; a.len()], vec![false; b.len()]);
    for &(i, j) in &pairs {
        (paired_a[i], paired_b[j]) = (true, true);
    }
    // A face's width in the smaller photo's pixels, from its width relative to the long side.
    let smaller = long_side(photo_a).min(long_side(photo_b));
    let missable = |faces: &[Placed<'_>], paired: &[bool]| {
        faces
            .iter()
            .zip(paired)
            .all(|(face, &paired)| paired || face.width * smaller < MISSABLE_FACE)
    };
    (missable(a, &paired_a) && missable(b, &paired_b)).then_some(pairs)
}

/// Of the `candidates` (how far apart, index in one list of `n_a`, index in the other of `n_b`),
/// the pairs that take each index once, the closest first.
fn closest_pairs(
    mut candidates: Vec<(f32, usize, usize)>,
    n_a: usize,
    n_b: usize,
) -> Vec<(usize, usize)> {
    candidates.sort_by(|x, y| x.0.total_cmp(&y.0));
    let (mut used_a, mut used_b) = (vec![false; n_a], vec![false; n_b]);
    let mut pairs = Vec::new();
    for (_, i, j) in candidates {
        if !used_a[i] && !used_b[j] {
            used_a[i] = true;
            used_b[j] = true;
            pairs.push((i, j));
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken(at: Option<&str>) -> PictureRow {
        PictureRow {
            id: 1,
            size: (4000, 3000),
            taken_at: at.map(str::to_owned),
            copy_of: None,
        }
    }

    #[test]
    fn capture_times_agree_across_time_zones_only() {
        let same = |a, b| same_time(&taken(a), &taken(b));
        assert!(same(
            Some("2017-08-08T17:12:25"),
            Some("2017-08-08T17:12:25")
        ));
        // Across midnight and a month's end, in another zone.
        assert!(same(
            Some("2017-08-31T22:12:25"),
            Some("2017-09-01T07:12:25")
        ));
        assert!(same(Some("2017-08-08T17:12:25"), None));
        assert!(!same(
            Some("2017-08-08T17:12:25"),
            Some("2017-08-08T17:12:26")
        ));
        assert!(!same(
            Some("2017-08-08T17:12:25"),
            Some("2017-08-09T17:12:25")
        ));
    }
}
