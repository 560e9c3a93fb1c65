//! From clusters to persons, honouring what the user decided.
//!
//! Faces the user placed (named, merged, moved, split) are pinned and never move. Clustering only
//! places the others:
//! - a cluster holding pinned faces of one person joins that person; holding several persons'
//!   pinned faces, each of its other faces joins the person of its nearest pinned face;
//! - a cluster with no pinned face keeps the person most of its faces already had (so unnamed
//!   people do not get new ids at every re-cluster), or becomes a new unnamed person;
//! - a face never joins a person it was marked "not this person" for, nor a person who already
//!   has a face in the same photo (one photo never shows someone twice).
//!
//! After a scan only new faces are placed (`update`): the new faces are clustered together with
//! the placed faces around them, as a re-cluster would cluster them there. A new face in a cluster
//! with placed faces joins the person of the nearest of them; a cluster of new faces alone becomes
//! a new person. A face clustering left with nobody before is offered again only when a new face
//! lies within the clustering radius of it: seen without the rest of the library, it could be
//! placed where a re-cluster would not place it, so offering it at every scan would move faces on
//! scans that found nothing new. Placed faces stay where they are, but for one case: a person
//! that clustering alone made (unnamed, untouched by the user) and that new faces join is
//! clustered again with them, and parts that more faces tell apart become people of their own.
//! Formed early from a few small faces, a person can hold two people a re-cluster would part.
//!
//! When `kith adapt` has put a head in use, distances are measured between the faces' descriptors
//! passed through it.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::catalog::{Catalog, CatalogError, FaceRow};
use crate::people::cluster::{cluster, groups_of, Algorithm, Constraints};
use crate::people::neighbours::NeighbourIndex;
use crate::people::{copies, listed};
use crate::train::adapt::apply_active;
use crate::vision::distance;
use crate::wording::{counted, counted_people};

/// What a clustering pass changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct AssignReport {
    /// Faces that were considered (not pinned, not ignored).
    pub faces: usize,
    /// Of those, faces now with a person.
    pub assigned: usize,
    pub new_persons: usize,
    /// Photos found to be copies of another (see [`crate::people::copies`]), whose faces no
    /// longer count.
    pub copies: usize,
    /// Faces named as other apps named them in the photos' metadata (see
    /// [`crate::scan::face_tags`]).
    pub tagged: usize,
    /// Photos found to be missing ones moved and changed, which kept the decisions about them.
    pub moved_and_changed: usize,
}

impl AssignReport {
    /// "120 faces considered, 118 with a person, 3 new people": what a placing did, for the user.
    pub fn said(&self) -> String {
        format!(
            "{} considered, {} with a person, {}",
            counted(self.faces, "face"),
            self.assigned,
            counted_people(self.new_persons, "new")
        )
    }
}

/// What the people would be after a re-cluster, without changing anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Preview {
    /// People listed now (hidden ones included, as `Catalog::persons(true)` lists them).
    pub people_now: usize,
    /// People listed after re-clustering with the algorithm.
    pub people_after: usize,
    /// Of those, people the re-cluster would create.
    pub new_persons: usize,
}

/// A re-cluster worked out but not written: the faces it looked at and where each goes.
struct Plan {
    faces: Vec<FaceRow>,
    assign: Vec<(i64, Option<i64>)>,
    new_persons: Vec<Vec<i64>>,
}

/// Re-clusters every face that the user has not placed.
pub fn recluster(
    catalog: &mut Catalog,
    algorithm: &Algorithm,
) -> Result<AssignReport, CatalogError> {
    let (tagged, settled) = settle(catalog, algorithm)?;
    let plan = plan_recluster(catalog, algorithm)?;
    let report = finish(catalog, &plan.faces, plan.assign, plan.new_persons)?;
    Ok(AssignReport {
        copies: settled.copies,
        moved_and_changed: settled.moved_and_changed,
        tagged,
        ..report
    })
}

/// How many people [`recluster`] with `algorithm` would leave, computed without writing: the
/// settings view shows it live while the user tries parameters.
pub fn preview(catalog: &Catalog, algorithm: &Algorithm) -> Result<Preview, CatalogError> {
    let plan = plan_recluster(catalog, algorithm)?;
    // A person is listed while it has a name or a face (not ignored, in a readable photo): the
    // placeable faces are exactly those faces.
    let named: Vec<i64> = catalog
        .persons(true)?
        .into_iter()
        .filter(|p| p.name.is_some())
        .map(|p| p.id)
        .collect();
    let moved: HashMap<i64, Option<i64>> = plan.assign.iter().copied().collect();
    let mut now: HashSet<i64> = named.iter().copied().collect();
    let mut after = now.clone();
    for f in &plan.faces {
        now.extend(f.person);
        after.extend(moved.get(&f.id).copied().unwrap_or(f.person));
    }
    Ok(Preview {
        people_now: now.len(),
        people_after: after.len() + plan.new_persons.len(),
        new_persons: plan.new_persons.len(),
    })
}

fn plan_recluster(catalog: &Catalog, algorithm: &Algorithm) -> Result<Plan, CatalogError> {
    let faces = placeable_faces(catalog)?;
    let not_person: HashSet<(i64, i64)> = catalog.not_person_facts()?.into_iter().collect();
    let points: Vec<_> = faces.iter().map(|f| f.embedding).collect();
    let labels = cluster(&points, algorithm, &same_photo_constraints(&faces));

    let mut photos_of = PersonPhotos::from_pinned(&faces);
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, label) in labels.iter().enumerate() {
        if let Some(l) = label {
            members.entry(*l).or_default().push(i);
        }
    }
    let mut labels_by_size: Vec<_> = members.into_iter().collect();
    labels_by_size.sort_by_key(|(l, m)| (std::cmp::Reverse(m.len()), *l));

    let mut assign: Vec<(i64, Option<i64>)> = Vec::new();
    let mut new_persons: Vec<Vec<i64>> = Vec::new();
    let mut claimed: HashSet<i64> = HashSet::new();
    let mut placed: HashSet<usize> = HashSet::new();
    for (_, group) in &labels_by_size {
        let pinned: Vec<usize> = group.iter().copied().filter(|&i| faces[i].pinned).collect();
        let unpinned = group.iter().copied().filter(|&i| !faces[i].pinned);
        if pinned.is_empty() {
            let previous = most_common(group.iter().filter_map(|&i| faces[i].person))
                .filter(|p| !claimed.contains(p));
            let mut fresh = Vec::new();
            for i in unpinned {
                let f = &faces[i];
                placed.insert(i);
                match previous {
                    Some(p) if photos_of.accepts(p, f, &not_person) => {
                        photos_of.add(p, f.photo_id);
                        assign.push((f.id, Some(p)));
                    }
                    Some(_) => assign.push((f.id, None)),
                    None => fresh.push(f.id),
                }
            }
            if let Some(p) = previous {
                claimed.insert(p);
            }
            if fresh.len() >= 2 {
                new_persons.push(fresh);
            } else {
                assign.extend(fresh.into_iter().map(|id| (id, None)));
            }
            continue;
        }
        for i in unpinned {
            let f = &faces[i];
            placed.insert(i);
            // The person of the nearest pinned face in the cluster (the only one when there is one).
            match nearest_person(f, pinned.iter().map(|&j| &faces[j])) {
                Some(p) if photos_of.accepts(p, f, &not_person) => {
                    photos_of.add(p, f.photo_id);
                    claimed.insert(p);
                    assign.push((f.id, Some(p)));
                }
                _ => assign.push((f.id, None)),
            }
        }
    }
    for (i, f) in faces.iter().enumerate() {
        if !f.pinned && !placed.contains(&i) {
            assign.push((f.id, None));
        }
    }
    Ok(Plan {
        faces,
        assign,
        new_persons,
    })
}

/// Places the faces that have no person yet (after a scan), leaving everything placed alone but
/// the people that [`split_grown`] parts.
/// Copies of photos already in the catalog are found first, so that their faces are not placed.
pub fn update(catalog: &mut Catalog, algorithm: &Algorithm) -> Result<AssignReport, CatalogError> {
    update_taking_back(catalog, algorithm, &HashMap::new())
}

/// [`update`], where `earlier` gives some faces without a person the person they were in before
/// (one with no faces now, as [`Catalog::unplace_faces_after`] leaves it): a group of them that
/// is still a group takes back the person most of its faces were in, rather than a new one, so
/// that the window showing that person goes on showing it. Such people count as new.
pub fn update_taking_back(
    catalog: &mut Catalog,
    algorithm: &Algorithm,
    earlier: &HashMap<i64, i64>,
) -> Result<AssignReport, CatalogError> {
    let (tagged, settled) = settle(catalog, algorithm)?;
    let faces = placeable_faces(catalog)?;
    let not_person: HashSet<(i64, i64)> = catalog.not_person_facts()?.into_iter().collect();
    let (placed, fresh) = placed_and_fresh(&faces, density(algorithm).0);
    let NewPlacing {
        mut assign,
        mut groups,
    } = place_new(&faces, &placed, &fresh, algorithm, &not_person);
    // Largest first, so that a person split in two goes on as its larger part.
    groups.sort_by_key(|g| (std::cmp::Reverse(g.len()), g.clone()));
    let mut new_persons = Vec::new();
    let mut taken_back = HashSet::new();
    for group in groups {
        let before = most_common(group.iter().filter_map(|f| earlier.get(f).copied()))
            .filter(|p| taken_back.insert(*p));
        match before {
            Some(p) => assign.extend(group.into_iter().map(|id| (id, Some(p)))),
            None => new_persons.push(group),
        }
    }
    let untouched = catalog.untouched_persons()?;
    let Parted { pieces, alone } = split_grown(&faces, &assign, &untouched, algorithm);
    let leaving: HashSet<i64> = pieces.iter().flatten().chain(&alone).copied().collect();
    assign.retain(|(face, _)| !leaving.contains(face));
    assign.extend(alone.into_iter().map(|face| (face, None)));
    new_persons.extend(pieces);
    new_persons.sort();
    let report = finish(catalog, &faces, assign, new_persons)?;
    Ok(AssignReport {
        // A person taken back is as new as the faces it was made of.
        new_persons: report.new_persons + taken_back.len(),
        copies: settled.copies,
        moved_and_changed: settled.moved_and_changed,
        tagged,
        ..report
    })
}

/// Where the new faces go: faces joining a person (or nobody), and groups of new faces with
/// nobody yet, each to become a person.
#[derive(Default)]
struct NewPlacing {
    assign: Vec<(i64, Option<i64>)>,
    groups: Vec<Vec<i64>>,
}

/// Places the new faces (`fresh`) as a re-cluster would: they are clustered together with the
/// placed faces near them (within the radius, and those within the radius of these, so that a
/// person is judged by more than the one face a newcomer happens to be close to). A new face in
/// a cluster with placed faces joins the person of the nearest of them; a cluster of new faces
/// alone is a group of its own. So several new faces of someone not yet placed are seen as one
/// person, not each taken by whoever one of them comes close to, and a newcomer joins a person
/// only if it is close to the person's faces on average, not at a single pair.
fn place_new(
    faces: &[FaceRow],
    placed: &[usize],
    fresh: &[usize],
    algorithm: &Algorithm,
    not_person: &HashSet<(i64, i64)>,
) -> NewPlacing {
    if fresh.is_empty() {
        return NewPlacing::default();
    }
    let mut local = fresh.to_vec();
    local.extend(placed_context(faces, placed, fresh, density(algorithm).0));
    local.sort_unstable();
    let rows: Vec<FaceRow> = local.iter().map(|&i| faces[i].clone()).collect();
    let points: Vec<_> = rows.iter().map(|f| f.embedding).collect();
    // As in a re-cluster, "not this person" is not a constraint of the clustering but a refusal
    // after it: kept apart from the person's faces, the face would take new faces near it along.
    let labels = cluster(&points, algorithm, &same_photo_constraints(&rows));
    let mut photos_of = PersonPhotos::default();
    for f in placed.iter().map(|&i| &faces[i]) {
        if let Some(p) = f.person {
            photos_of.add(p, f.photo_id);
        }
    }
    let mut assign = Vec::new();
    let mut groups = Vec::new();
    for (k, f) in rows.iter().enumerate() {
        if labels[k].is_none() && f.person.is_none() {
            assign.push((f.id, None));
        }
    }
    // Largest first (ties by lowest member), which makes the order of the photo rule's refusals
    // stable.
    let mut clusters = groups_of(&labels);
    clusters.sort_by_key(|c| std::cmp::Reverse(c.len()));
    for cluster in clusters {
        let (known, new): (Vec<usize>, Vec<usize>) =
            cluster.into_iter().partition(|&k| rows[k].person.is_some());
        if known.is_empty() {
            match new.as_slice() {
                [one] => assign.push((rows[*one].id, None)),
                _ => groups.push(new.iter().map(|&k| rows[k].id).collect()),
            }
            continue;
        }
        for k in new {
            let f = &rows[k];
            match nearest_person(f, known.iter().map(|&c| &rows[c])) {
                Some(p) if photos_of.accepts(p, f, not_person) => {
                    photos_of.add(p, f.photo_id);
                    assign.push((f.id, Some(p)));
                }
                _ => assign.push((f.id, None)),
            }
        }
    }
    NewPlacing { assign, groups }
}

/// The largest person [`split_grown`] clusters again. The people it is for were formed from few
/// faces; one of thousands is settled, and clustering it again at every placing would cost the
/// square of its faces.
const MOST_FACES_PARTED: usize = 1_000;

/// What leaves the people that [`split_grown`] clusters again.
#[derive(Debug, Default, PartialEq)]
struct Parted {
    /// Groups of faces, each to become a person.
    pieces: Vec<Vec<i64>>,
    /// Faces clustered with no one, to be left with nobody.
    alone: Vec<i64>,
}

/// The people clustering alone made (`untouched`) that new faces join in `assign`, clustered
/// again with them: formed from few faces, a person can hold two people that more faces tell
/// apart, or a face that more faces show to be no one's, as a re-cluster would. The largest group
/// stays the person; the others leave it, each to become a person, and the faces clustered with
/// no one are left with nobody.
fn split_grown(
    faces: &[FaceRow],
    assign: &[(i64, Option<i64>)],
    untouched: &HashSet<i64>,
    algorithm: &Algorithm,
) -> Parted {
    let joining: HashMap<i64, i64> = assign
        .iter()
        .filter_map(|&(face, person)| Some((face, person.filter(|p| untouched.contains(p))?)))
        .collect();
    let grown: HashSet<i64> = joining.values().copied().collect();
    let mut members: HashMap<i64, Vec<FaceRow>> = HashMap::new();
    for f in faces {
        let person = joining.get(&f.id).copied().or(f.person);
        if let Some(p) = person.filter(|p| grown.contains(p)) {
            members.entry(p).or_default().push(f.clone());
        }
    }
    let mut members: Vec<(i64, Vec<FaceRow>)> = members
        .into_iter()
        .filter(|(_, rows)| rows.len() <= MOST_FACES_PARTED)
        .collect();
    members.sort_unstable_by_key(|(p, _)| *p);
    let parted: Vec<Parted> = members
        .par_iter()
        .map(|(_, rows)| {
            let points: Vec<_> = rows.iter().map(|f| f.embedding).collect();
            let labels = cluster(&points, algorithm, &same_photo_constraints(rows));
            let (mut pieces, singles): (Vec<Vec<usize>>, Vec<Vec<usize>>) =
                groups_of(&labels).into_iter().partition(|g| g.len() >= 2);
            pieces.sort_by_key(|piece| (std::cmp::Reverse(piece.len()), piece.clone()));
            let ids = |group: Vec<usize>| group.into_iter().map(|k| rows[k].id);
            let unlabelled = (0..rows.len()).filter(|&k| labels[k].is_none());
            Parted {
                pieces: pieces
                    .into_iter()
                    .skip(1)
                    .map(|p| ids(p).collect())
                    .collect(),
                alone: singles
                    .into_iter()
                    .flat_map(ids)
                    .chain(unlabelled.map(|k| rows[k].id))
                    .collect(),
            }
        })
        .collect();
    let mut all = Parted::default();
    for p in parted {
        all.pieces.extend(p.pieces);
        all.alone.extend(p.alone);
    }
    all
}

/// The person of the face among `others` nearest to `face` (nobody if that face has nobody).
fn nearest_person<'a>(face: &FaceRow, others: impl Iterator<Item = &'a FaceRow>) -> Option<i64> {
    others
        .map(|o| (distance(&face.embedding, &o.embedding), o.person))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .and_then(|(_, p)| p)
}

/// The placed faces a placing of `fresh` looks at: those within `radius` of a new face, and those
/// within `radius` of these. Positions in `faces`, in no order.
fn placed_context(
    faces: &[FaceRow],
    placed: &[usize],
    fresh: &[usize],
    radius: f32,
) -> HashSet<usize> {
    let index = NeighbourIndex::build(
        &placed
            .iter()
            .map(|&i| faces[i].embedding)
            .collect::<Vec<_>>(),
    );
    let near = |from: &[usize]| -> HashSet<usize> {
        from.par_iter()
            .flat_map_iter(|&i| index.within(&faces[i].embedding, radius))
            .map(|(j, _)| placed[j])
            .collect()
    };
    let contacts = near(fresh);
    let mut context = near(&contacts.iter().copied().collect::<Vec<_>>());
    context.extend(contacts);
    context
}

/// Positions in `faces`, ascending: the faces with a person, and those to place (the faces with
/// nobody that clustering has not looked at yet, and those it left alone that such a face has
/// come within `radius` of). The other faces left alone stay so.
fn placed_and_fresh(faces: &[FaceRow], radius: f32) -> (Vec<usize>, Vec<usize>) {
    let (placed, unplaced): (Vec<usize>, Vec<usize>) =
        (0..faces.len()).partition(|&i| faces[i].person.is_some());
    let (alone, mut fresh): (Vec<usize>, Vec<usize>) =
        unplaced.into_iter().partition(|&i| faces[i].left_alone);
    if alone.is_empty() {
        return (placed, fresh);
    }
    // Indexed are the faces left alone, usually fewer than the new ones while a scan runs.
    let index = NeighbourIndex::build(
        &alone
            .iter()
            .map(|&i| faces[i].embedding)
            .collect::<Vec<_>>(),
    );
    let mut near = vec![false; alone.len()];
    for &i in &fresh {
        for (j, _) in index.within(&faces[i].embedding, radius) {
            near[j] = true;
        }
    }
    fresh.extend(
        alone
            .into_iter()
            .zip(near)
            .filter(|(_, near)| *near)
            .map(|(i, _)| i),
    );
    fresh.sort_unstable();
    (placed, fresh)
}

/// The clustering radius and the minimum group size the rules above use.
fn density(algorithm: &Algorithm) -> (f32, usize) {
    match algorithm {
        Algorithm::Dbscan { eps, min_points } => (*eps, *min_points),
        Algorithm::Agglomerative { cut, .. } => (*cut, 2),
    }
}

fn finish(
    catalog: &mut Catalog,
    faces: &[FaceRow],
    assign: Vec<(i64, Option<i64>)>,
    new_persons: Vec<Vec<i64>>,
) -> Result<AssignReport, CatalogError> {
    let considered = faces.iter().filter(|f| !f.pinned).count();
    let assigned = assign.iter().filter(|(_, p)| p.is_some()).count()
        + new_persons.iter().map(Vec::len).sum::<usize>();
    let created = catalog.apply_clustering(&assign, &new_persons)?;
    Ok(AssignReport {
        faces: considered,
        assigned,
        new_persons: created.len(),
        copies: 0,
        tagged: 0,
        moved_and_changed: 0,
    })
}

/// What every placing starts with: the names other apps wrote into the photos, then the copies
/// (in that order, so that a name read from a copy goes on to its original), then the people
/// other apps listed in photos, found among their originals' faces. Returns how many faces were
/// named, and what was found of copies.
fn settle(
    catalog: &mut Catalog,
    algorithm: &Algorithm,
) -> Result<(usize, copies::Settled), CatalogError> {
    let tagged = catalog.name_tagged_faces()?;
    let settled = copies::settle(catalog)?;
    let listed = listed::settle(catalog, density(algorithm).0)?;
    Ok((tagged + listed, settled))
}

/// The faces clustering may look at, their embeddings through the adaptation head in use.
pub(super) fn placeable_faces(catalog: &Catalog) -> Result<Vec<FaceRow>, CatalogError> {
    let mut faces: Vec<FaceRow> = catalog
        .faces()?
        .into_iter()
        .filter(|f| !f.ignored)
        .collect();
    apply_active(catalog, &mut faces)?;
    Ok(faces)
}

/// Every pair of faces that share a photo: one photo never shows the same person twice.
pub fn same_photo_constraints(faces: &[FaceRow]) -> Constraints {
    let mut by_photo: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, f) in faces.iter().enumerate() {
        by_photo.entry(f.photo_id).or_default().push(i);
    }
    let mut cannot_link = Vec::new();
    for group in by_photo.values() {
        for (a, &i) in group.iter().enumerate() {
            for &j in &group[a + 1..] {
                cannot_link.push((i, j));
            }
        }
    }
    Constraints { cannot_link }
}

fn most_common(persons: impl Iterator<Item = i64>) -> Option<i64> {
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for p in persons {
        *counts.entry(p).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|&(p, n)| (n, std::cmp::Reverse(p)))
        .map(|(p, _)| p)
}

/// The photos each person already appears in, to keep one person per photo at most once.
#[derive(Default)]
struct PersonPhotos(HashMap<i64, HashSet<i64>>);

impl PersonPhotos {
    fn from_pinned(faces: &[FaceRow]) -> Self {
        let mut this = Self::default();
        for f in faces.iter().filter(|f| f.pinned) {
            if let Some(p) = f.person {
                this.add(p, f.photo_id);
            }
        }
        this
    }

    fn add(&mut self, person: i64, photo: i64) {
        self.0.entry(person).or_default().insert(photo);
    }

    fn accepts(&self, person: i64, face: &FaceRow, not_person: &HashSet<(i64, i64)>) -> bool {
        !not_person.contains(&(face.id, person))
            && !self
                .0
                .get(&person)
                .is_some_and(|photos| photos.contains(&face.photo_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vision::EMBEDDING_DIM;

    /// A face of photo `id` at `x` along the first axis, with `person` or left alone.
    fn face(id: i64, x: f32, person: Option<i64>, left_alone: bool) -> FaceRow {
        let mut embedding = [0.0; EMBEDDING_DIM];
        embedding[0] = x;
        FaceRow {
            id,
            photo_id: id,
            photo_path: format!("{id}.jpg").into(),
            bbox: [0.0, 0.0, 100.0, 100.0],
            score: 1.0,
            landmarks: [[0.0; 2]; 5],
            embedding,
            person,
            pinned: false,
            ignored: false,
            drawn: false,
            left_alone,
        }
    }

    #[test]
    fn a_face_left_alone_is_offered_again_only_when_a_new_face_comes_near() {
        let faces = [
            face(1, 0.0, Some(7), false),
            face(2, 0.5, None, true),
            face(3, 3.0, None, true),
            face(4, 3.4, None, false),
            face(5, 9.0, None, false),
        ];
        let (placed, fresh) = placed_and_fresh(&faces, 0.55);
        assert_eq!(placed, [0]);
        // Face 3 has new face 4 within the radius; face 2 has nothing new near it.
        assert_eq!(fresh, [2, 3, 4]);
    }

    /// `face` at (x, y).
    fn face_at(id: i64, (x, y): (f32, f32), person: Option<i64>, left_alone: bool) -> FaceRow {
        let mut f = face(id, x, person, left_alone);
        f.embedding[1] = y;
        f
    }

    /// Where `place_new` puts the new faces among a person of three faces (7) and, left alone,
    /// two faces 0.56 apart (just beyond the radius).
    fn placed_among(new: &[(i64, (f32, f32))]) -> NewPlacing {
        placed_among_refusing(new, &HashSet::new())
    }

    /// [`placed_among`], with "this face is not that person" facts.
    fn placed_among_refusing(
        new: &[(i64, (f32, f32))],
        not_person: &HashSet<(i64, i64)>,
    ) -> NewPlacing {
        let mut faces = vec![
            face_at(1, (0.0, 0.0), Some(7), false),
            face_at(2, (-0.3, 0.3), Some(7), false),
            face_at(3, (-0.3, -0.3), Some(7), false),
            face_at(4, (0.85, 0.28), None, true),
            face_at(5, (0.85, -0.28), None, true),
        ];
        faces.extend(new.iter().map(|&(id, at)| face_at(id, at, None, false)));
        let algorithm = Algorithm::default_dbscan();
        let (placed, fresh) = placed_and_fresh(&faces, 0.55);
        let mut placing = place_new(&faces, &placed, &fresh, &algorithm, not_person);
        placing.assign.sort_unstable();
        placing
    }

    #[test]
    fn new_faces_join_a_person_only_when_close_to_their_faces_on_average() {
        // Among the person's faces: it joins them.
        assert_eq!(placed_among(&[(6, (-0.1, 0.05))]).assign, [(6, Some(7))]);
        // 0.5 from one of the person's faces, 0.61 and 0.92 from the others: one close pair is
        // not enough.
        assert_eq!(placed_among(&[(6, (0.3, -0.4))]).assign, [(6, None)]);
    }

    #[test]
    fn a_new_face_never_joins_a_person_it_was_said_not_to_be() {
        let refused = HashSet::from([(6, 7)]);
        let placing = placed_among_refusing(&[(6, (-0.1, 0.05))], &refused);
        assert_eq!(placing.assign, [(6, None)]);
        // Nor does it take a second new face near it away from that person with it.
        let placing = placed_among_refusing(&[(6, (-0.1, 0.05)), (8, (-0.15, 0.0))], &refused);
        assert_eq!(placing.assign, [(6, None), (8, Some(7))]);
    }

    #[test]
    fn new_faces_of_someone_not_placed_yet_become_a_group_of_their_own() {
        // 0.5 from one of the person's faces, but 0.45 from each of the two faces left alone:
        // with them it is someone else, whom the three make a person.
        let NewPlacing { assign, groups } = placed_among(&[(6, (0.5, 0.0))]);
        assert!(assign.is_empty(), "{assign:?}");
        assert_eq!(groups.len(), 1);
        let mut group = groups[0].clone();
        group.sort_unstable();
        assert_eq!(group, [4, 5, 6]);
    }

    #[test]
    fn a_person_made_by_clustering_alone_splits_when_new_faces_tell_two_people_apart() {
        // Person 7 holds two pairs 0.62 apart and person 8 one pair; new faces 5 and 6 join them.
        let faces = [
            face_at(1, (0.0, 0.0), Some(7), false),
            face_at(2, (0.0, 0.1), Some(7), false),
            face_at(3, (0.62, 0.0), Some(7), false),
            face_at(4, (0.62, 0.1), Some(7), false),
            face_at(5, (0.05, 0.05), None, false),
            face_at(6, (3.0, 0.0), None, false),
            face_at(9, (3.0, 0.1), Some(8), false),
        ];
        let assign = [(5, Some(7)), (6, Some(8))];
        let algorithm = Algorithm::default_dbscan();
        let untouched = HashSet::from([7, 8]);
        // The larger part stays the person; the other leaves it whole.
        let parted = split_grown(&faces, &assign, &untouched, &algorithm);
        assert_eq!(parted.pieces, [vec![3, 4]]);
        assert!(parted.alone.is_empty());
        // A person the user did something about, or that no new face joined, stays as it is.
        let nothing = Parted::default();
        assert_eq!(
            split_grown(&faces, &assign, &HashSet::from([8]), &algorithm),
            nothing
        );
        assert_eq!(
            split_grown(&faces, &[(6, Some(8))], &untouched, &algorithm),
            nothing
        );
        // A face clustered with no one is left with nobody.
        let faces: Vec<FaceRow> = faces.iter().filter(|f| f.id != 4).cloned().collect();
        let parted = split_grown(&faces, &assign, &untouched, &algorithm);
        assert_eq!(
            parted,
            Parted {
                pieces: vec![],
                alone: vec![3]
            }
        );
    }
}
