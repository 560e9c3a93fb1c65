//! The review queue: every face that is in no named person, put to the user one question at a time,
//! "is this Anna?", about the nearest named person not already ruled out for that face (by a "no",
//! or by another face of the same photo being them), with the distance against the same-person
//! threshold tau.
//!
//! The closest questions come first: they are the likeliest "yes", and every "yes" gives a person
//! one more face to be near, so tagging finishes instead of wandering. A "no" is a cannot-link
//! (`not_person`), so the same face is never asked about the same person again; it may still be
//! asked about the next nearest person.
//!
//! Measuring (each waiting face's nearest faces) needs the face index and is the slow part: it is
//! done once. Ranking only reads who is who now ([`Decisions`]), so the queue follows every
//! decision, undo included, without measuring again; only faces it has never measured (a new scan,
//! a face taken out of a person) call for measuring anew.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::catalog::{person_label, Catalog, CatalogError, PersonBrief};
use crate::people::suggest::FaceSpace;

/// Nearest faces remembered per waiting face. A face whose nearest faces are all in its own
/// unnamed group is better served by naming that group (the people grid, suggested merges).
const NEAREST: usize = 48;

/// A face with nobody (clustering found no group for it) is asked about up to this many times
/// tau: a little past the threshold the answer is still often "yes". A face clustering did group
/// is only asked about within tau: past it, its group is nearly always someone else.
pub const REACH: f32 = 1.15;

/// Who is who now: what the queue reads from the catalog after each decision.
pub struct Decisions {
    /// Every face of a readable photo that is not ignored: its photo and person.
    faces: HashMap<i64, (i64, Option<i64>)>,
    /// Every person, named or not.
    persons: HashMap<i64, PersonBrief>,
    /// (face, person) pairs the user said are not the same.
    rejected: HashSet<(i64, i64)>,
    /// (photo, person) for each person with a face in the photo: one photo never shows someone
    /// twice, so nobody else there is asked about them.
    shown: HashSet<(i64, i64)>,
}

impl Decisions {
    pub fn read(catalog: &Catalog) -> Result<Self, CatalogError> {
        let faces: HashMap<i64, (i64, Option<i64>)> = catalog
            .face_assignments()?
            .into_iter()
            .map(|a| (a.face, (a.photo, a.person)))
            .collect();
        let shown = faces
            .values()
            .filter_map(|&(photo, person)| Some((photo, person?)))
            .collect();
        Ok(Self {
            faces,
            shown,
            persons: catalog
                .person_briefs()?
                .into_iter()
                .map(|p| (p.id, p))
                .collect(),
            rejected: catalog.not_person_facts()?.into_iter().collect(),
        })
    }

    /// A person a face may be suggested as: named and not hidden (a hidden person is one the user
    /// does not want to see).
    fn suggestable(&self, person: i64) -> Option<&PersonBrief> {
        self.persons
            .get(&person)
            .filter(|p| p.name.is_some() && !p.hidden)
    }

    /// Whether a face is with nobody.
    fn ungrouped(&self, face: i64) -> bool {
        matches!(self.faces.get(&face), Some((_, None)))
    }

    /// Whether a face waits for review: with nobody, or in an unnamed group the user did not hide.
    fn waiting(&self, face: i64) -> bool {
        match self.faces.get(&face) {
            Some((_, None)) => true,
            Some((_, Some(p))) => self
                .persons
                .get(p)
                .is_some_and(|p| p.name.is_none() && !p.hidden),
            None => false,
        }
    }

    /// Whether anyone has a name: without, there is nobody to ask about.
    pub fn has_named(&self) -> bool {
        self.persons.values().any(|p| p.name.is_some())
    }
}

/// "Is this `name`?" about one face.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Question {
    pub face: i64,
    /// The photo the face is in.
    pub photo: i64,
    pub person: i64,
    pub name: String,
    /// From the face to the person's nearest face.
    pub distance: f32,
    /// `distance < tau`: the embedder would call them the same person.
    pub within_threshold: bool,
}

/// The measured queue: each waiting face's nearest faces.
pub struct ReviewQueue {
    /// Every face known when measuring; neighbours are positions in this list, so that ranking
    /// reads arrays rather than looking every neighbour up.
    faces: Vec<i64>,
    /// Face -> its nearest faces within reach (position in `faces`, distance), nearest first.
    nearest: HashMap<i64, Vec<(u32, f32)>>,
    tau: f32,
}

impl ReviewQueue {
    /// Measures every face that waits for review in `decisions`.
    pub fn measure(space: &FaceSpace, decisions: &Decisions) -> Self {
        let reach = space.tau() * REACH;
        let mut faces: Vec<i64> = decisions.faces.keys().copied().collect();
        faces.sort_unstable();
        let position: HashMap<i64, u32> = faces
            .iter()
            .enumerate()
            .map(|(i, &f)| (f, i as u32))
            .collect();
        let waiting: Vec<i64> = faces
            .iter()
            .copied()
            .filter(|&f| decisions.waiting(f))
            .collect();
        // A face the index lacks (added since it loaded) is remembered with no neighbours: it is
        // measured at the next rebuild, and never asked about meanwhile.
        let nearest = waiting
            .par_iter()
            .map(|&face| {
                let list = space
                    .neighbours(face, NEAREST)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|n| n.distance < reach)
                    .filter_map(|n| Some((*position.get(&n.face_id)?, n.distance)))
                    .collect();
                (face, list)
            })
            .collect();
        Self {
            faces,
            nearest,
            tau: space.tau(),
        }
    }

    /// Whether `queue` (if any) must be measured (again) to ask about everyone waiting in
    /// `decisions`. Nothing is measured while nobody has a name: there is nobody to ask about.
    pub fn needs_measuring(queue: Option<&ReviewQueue>, decisions: &Decisions) -> bool {
        if !decisions.has_named() {
            return false;
        }
        match queue {
            None => true,
            Some(q) => decisions
                .faces
                .keys()
                .any(|f| decisions.waiting(*f) && !q.nearest.contains_key(f)),
        }
    }

    /// The questions to ask now, most confident (smallest distance) first; the faces in `skipped`
    /// come after all others, in the order they were skipped.
    pub fn questions(&self, decisions: &Decisions, skipped: &[i64]) -> Vec<Question> {
        // Who each measured face may be suggested as, looked up once rather than per neighbour.
        let suggestable: Vec<Option<&PersonBrief>> = self
            .faces
            .iter()
            .map(|f| {
                let &(_, person) = decisions.faces.get(f)?;
                decisions.suggestable(person?)
            })
            .collect();
        let mut out: Vec<Question> = self
            .nearest
            .iter()
            .filter(|(face, _)| decisions.waiting(**face))
            .filter_map(|(&face, list)| self.question(decisions, &suggestable, face, list))
            .collect();
        let rank = |q: &Question| skipped.iter().position(|&s| s == q.face);
        out.sort_by(|a, b| {
            rank(a)
                .is_some()
                .cmp(&rank(b).is_some())
                .then(rank(a).cmp(&rank(b)))
                .then(a.distance.total_cmp(&b.distance))
                .then(a.face.cmp(&b.face))
        });
        out
    }

    /// The question about `face`: its nearest face in a person it may be suggested as and was not
    /// ruled out for.
    fn question(
        &self,
        decisions: &Decisions,
        suggestable: &[Option<&PersonBrief>],
        face: i64,
        list: &[(u32, f32)],
    ) -> Option<Question> {
        let &(photo, _) = decisions.faces.get(&face)?;
        let reach = if decisions.ungrouped(face) {
            self.tau * REACH
        } else {
            self.tau
        };
        list.iter()
            .take_while(|(_, d)| *d < reach)
            .find_map(|&(other, distance)| {
                let person = suggestable[other as usize]?;
                if decisions.rejected.contains(&(face, person.id))
                    || decisions.shown.contains(&(photo, person.id))
                {
                    return None;
                }
                Some(Question {
                    face,
                    photo,
                    person: person.id,
                    name: person_label(person.id, person.name.as_deref()),
                    distance,
                    within_threshold: distance < self.tau,
                })
            })
    }
}

/// The questions for the catalog as it is, measured afresh: what `kith review` lists.
pub fn questions(catalog: &Catalog, tau: f32) -> Result<Vec<Question>, CatalogError> {
    let decisions = Decisions::read(catalog)?;
    if !decisions.has_named() {
        return Ok(Vec::new());
    }
    let space = FaceSpace::load(catalog, tau)?;
    Ok(ReviewQueue::measure(&space, &decisions).questions(&decisions, &[]))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::catalog::{NewFace, PhotoRecord};
    use crate::vision::{Embedding, EMBEDDING_DIM};

    const TAU: f32 = 0.6;

    /// A descriptor at `x` along the first axis (distances are differences in `x`), `y` along the
    /// second, so that every point sits at a known distance from every other.
    fn at(x: f32, y: f32) -> Embedding {
        let mut e = [0.0; EMBEDDING_DIM];
        e[0] = x;
        e[1] = y;
        e
    }

    /// A catalog with one face per photo at each point; returns it and the face ids in order.
    fn catalog_with(dir: &std::path::Path, points: &[Embedding]) -> (Catalog, Vec<i64>) {
        let mut catalog = Catalog::open(&dir.join("review.sqlite")).expect("catalog");
        let mut ids = Vec::new();
        for (i, point) in points.iter().enumerate() {
            let path = PathBuf::from(format!("/review/{i:03}.jpg"));
            let record = PhotoRecord::synthetic(&path, 100, 100);
            let face = NewFace {
                tagged_name: None,
                bbox: [10.0, 10.0, 20.0, 20.0],
                score: 1.0,
                landmarks: [[0.0; 2]; 5],
                embedding: *point,
                thumbnail: Vec::new(),
            };
            let photo = catalog.record_photo(&record, &[face]).expect("photo");
            ids.push(catalog.faces_of_photo(photo).expect("faces")[0].id);
        }
        (catalog, ids)
    }

    fn asked(catalog: &Catalog) -> Vec<(i64, i64)> {
        questions(catalog, TAU)
            .expect("questions")
            .iter()
            .map(|q| (q.face, q.person))
            .collect()
    }

    #[test]
    fn closest_questions_come_first_and_far_faces_are_not_asked() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Anna at 0 and Ben at 10; faces waiting at 0.5, 0.2, 0.65 from Anna, 0.3 from Ben, one
        // at 5, far from both, and one 0.65 from Anna but in an unnamed group.
        let (mut catalog, f) = catalog_with(
            dir.path(),
            &[
                at(0.0, 0.0),
                at(10.0, 0.0),
                at(0.5, 0.0),
                at(0.2, 0.0),
                at(-0.65, 0.0),
                at(10.3, 0.0),
                at(5.0, 0.0),
                at(0.0, -0.65),
            ],
        );
        let anna = catalog.split_faces(&[f[0]], Some("Anna")).expect("anna");
        let ben = catalog.split_faces(&[f[1]], Some("Ben")).expect("ben");
        catalog.apply_clustering(&[], &[vec![f[7]]]).expect("group");

        let all = questions(&catalog, TAU).expect("questions");
        let order: Vec<(i64, i64)> = all.iter().map(|q| (q.face, q.person)).collect();
        assert_eq!(
            order,
            vec![(f[3], anna), (f[5], ben), (f[2], anna), (f[4], anna)]
        );
        assert!((all[0].distance - 0.2).abs() < 1e-5);
        assert!(all[2].within_threshold);
        // 0.65 is past tau but within reach of a face with nobody: asked last, marked as beyond
        // the threshold. The grouped face as far away is not asked.
        assert!(!all[3].within_threshold);
        assert!(all.iter().all(|q| q.face != f[7]));
        assert_eq!(all[0].name, "Anna");
    }

    #[test]
    fn nobody_is_asked_about_a_person_already_in_the_same_photo() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Anna at 0; a face 0.2 from her in a photo of its own, and a group photo holding Anna's
        // face at 0.05 and two faces 0.1 and 0.3 from her.
        let (mut catalog, f) = catalog_with(dir.path(), &[at(0.0, 0.0), at(0.2, 0.0)]);
        let path = PathBuf::from("/review/group.jpg");
        let record = PhotoRecord::synthetic(&path, 300, 100);
        let group: Vec<NewFace> = [0.05, 0.1, 0.3]
            .iter()
            .enumerate()
            .map(|(i, &x)| NewFace {
                tagged_name: None,
                bbox: [10.0 + 100.0 * i as f32, 10.0, 20.0, 20.0],
                score: 1.0,
                landmarks: [[0.0; 2]; 5],
                embedding: at(x, 0.0),
                thumbnail: Vec::new(),
            })
            .collect();
        let photo = catalog.record_photo(&record, &group).expect("group");
        let g: Vec<i64> = catalog
            .photo_faces(photo)
            .expect("faces")
            .iter()
            .map(|face| face.id)
            .collect();
        let anna = catalog.split_faces(&[f[0]], Some("Anna")).expect("anna");
        assert_eq!(
            asked(&catalog),
            vec![(g[0], anna), (g[1], anna), (f[1], anna), (g[2], anna)]
        );

        // Once one face of the group photo is Anna, the others there are not asked about her.
        catalog.confirm_face(g[0], anna).expect("yes");
        assert_eq!(asked(&catalog), vec![(f[1], anna)]);
        catalog.undo().expect("undo");
        assert_eq!(asked(&catalog).len(), 4);
    }

    #[test]
    fn answers_about_many_faces_at_once_are_one_action() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut catalog, f) = catalog_with(
            dir.path(),
            &[at(0.0, 0.0), at(0.1, 0.0), at(0.2, 0.0), at(0.3, 0.0)],
        );
        let anna = catalog.split_faces(&[f[0]], Some("Anna")).expect("anna");
        let all = vec![(f[1], anna), (f[2], anna), (f[3], anna)];
        assert_eq!(asked(&catalog), all);
        assert!(catalog.answer_about(anna, &[f[1]], &[f[1]]).is_err());

        catalog
            .answer_about(anna, &[f[1], f[3]], &[f[2]])
            .expect("answers");
        assert!(asked(&catalog).is_empty());
        for face in [f[1], f[3]] {
            let face = catalog.face(face).expect("read").expect("face");
            assert_eq!((face.person, face.pinned), (Some(anna), true));
        }
        assert_eq!(
            catalog.face(f[2]).expect("read").expect("face").person,
            None
        );
        assert!(catalog
            .not_person_facts()
            .expect("facts")
            .contains(&(f[2], anna)));

        catalog.undo().expect("undo");
        assert_eq!(asked(&catalog), all);
        assert!(catalog.not_person_facts().expect("facts").is_empty());
    }

    #[test]
    fn a_no_is_not_asked_again_and_a_yes_leaves_the_queue() {
        let dir = tempfile::tempdir().expect("tempdir");
        // The waiting face is 0.3 from Anna and 0.4 from Ben.
        let (mut catalog, f) =
            catalog_with(dir.path(), &[at(0.0, 0.0), at(0.3, 0.4), at(0.3, 0.0)]);
        let anna = catalog.split_faces(&[f[0]], Some("Anna")).expect("anna");
        let ben = catalog.split_faces(&[f[1]], Some("Ben")).expect("ben");
        assert_eq!(asked(&catalog), vec![(f[2], anna)]);

        catalog.reject_person(f[2], anna).expect("no");
        assert_eq!(asked(&catalog), vec![(f[2], ben)], "next nearest, not Anna");
        assert_eq!(
            catalog.face(f[2]).expect("read").expect("face").person,
            None
        );

        catalog.confirm_face(f[2], ben).expect("yes");
        assert!(asked(&catalog).is_empty());
        let face = catalog.face(f[2]).expect("read").expect("face");
        assert_eq!(face.person, Some(ben));
        assert!(face.pinned);

        // Undo brings the question back, then the "no" too.
        catalog.undo().expect("undo");
        assert_eq!(asked(&catalog), vec![(f[2], ben)]);
        catalog.undo().expect("undo");
        assert_eq!(asked(&catalog), vec![(f[2], anna)]);
    }

    #[test]
    fn ranking_follows_decisions_without_measuring_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut catalog, f) = catalog_with(
            dir.path(),
            &[at(0.0, 0.0), at(0.1, 0.0), at(0.4, 0.0), at(0.0, 3.0)],
        );
        // Nobody is named: nothing to ask, nothing to measure.
        let decisions = Decisions::read(&catalog).expect("decisions");
        assert!(!ReviewQueue::needs_measuring(None, &decisions));

        let anna = catalog.split_faces(&[f[0]], Some("Anna")).expect("anna");
        let decisions = Decisions::read(&catalog).expect("decisions");
        assert!(ReviewQueue::needs_measuring(None, &decisions));
        let space = FaceSpace::load(&catalog, TAU).expect("space");
        let queue = ReviewQueue::measure(&space, &decisions);
        assert!(!ReviewQueue::needs_measuring(Some(&queue), &decisions));
        let faces = |qs: Vec<Question>| qs.iter().map(|q| q.face).collect::<Vec<_>>();
        assert_eq!(faces(queue.questions(&decisions, &[])), vec![f[1], f[2]]);
        // Skipped faces wait behind the others.
        assert_eq!(
            faces(queue.questions(&decisions, &[f[1]])),
            vec![f[2], f[1]]
        );

        // A yes is seen by the same measured queue.
        catalog.confirm_face(f[1], anna).expect("yes");
        let decisions = Decisions::read(&catalog).expect("decisions");
        assert_eq!(faces(queue.questions(&decisions, &[])), vec![f[2]]);
        assert!(!ReviewQueue::needs_measuring(Some(&queue), &decisions));

        // A face taken out of Anna was never measured: the queue must measure again.
        catalog.not_this_person(f[0]).expect("not");
        let decisions = Decisions::read(&catalog).expect("decisions");
        assert!(ReviewQueue::needs_measuring(Some(&queue), &decisions));
    }
}
