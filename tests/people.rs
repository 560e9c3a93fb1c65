//! People from faces: clustering quality, the user's decisions surviving re-clustering and
//! re-scans, the same-photo rule, search, undo/redo, and learning from the labelled photos (heads
//! measured on people they never saw; adaptation to the user's names), on the shared labelled
//! photos. They share one scan of the photos, which is why the learning tests live here.

mod common;
#[path = "common/dng.rs"]
mod dng;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use common::{copy_into, scan, testdata};
use kith::catalog::{Catalog, NewCopy};
use kith::people::cluster::Algorithm;
use kith::people::search::{search, Query};
use kith::people::suggest::FaceSpace;
use kith::people::{assign, settings};
use kith::train::adapt::{self, AdaptOptions};
use kith::train::oneshot::{one_shot, PersonSplit};
use kith::train::{LabelledFaces, LossKind, TrainConfig};
use kith::vision::distance;

/// faces/ and scenes/ scanned and clustered once; each test works on its own copy.
fn library(dir: &Path) -> Catalog {
    Catalog::open(&common::clustered_library(dir, &["faces", "scenes"])).expect("copy opens")
}

/// The folder (person) a face's photo is in, for photos under faces/.
fn truth_of(path: &Path) -> Option<String> {
    let root = testdata("faces").canonicalize().ok()?;
    let rel = path.strip_prefix(&root).ok()?;
    Some(
        rel.components()
            .next()?
            .as_os_str()
            .to_string_lossy()
            .into_owned(),
    )
}

/// Names every person after the folder most of its faces come from, as a user would.
fn name_everyone(catalog: &mut Catalog) -> HashMap<String, i64> {
    let mut named = HashMap::new();
    for person in catalog.persons(true).expect("persons") {
        let mut votes: HashMap<String, usize> = HashMap::new();
        for f in catalog.faces_of_person(person.id).expect("faces") {
            if let Some(t) = truth_of(&f.photo_path) {
                *votes.entry(t).or_default() += 1;
            }
        }
        if let Some((name, _)) = votes.into_iter().max_by_key(|(n, c)| (*c, n.clone())) {
            if let std::collections::hash_map::Entry::Vacant(slot) = named.entry(name) {
                catalog.name_person(person.id, slot.key()).expect("name");
                slot.insert(person.id);
            }
        }
    }
    named
}

/// Marks the file at `path` changed `minutes` from now, later than anything a scan saw.
fn touch(path: &Path, minutes: u64) {
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60 * minutes);
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(later))
        .expect("touch");
}

fn person_of(catalog: &Catalog, face: i64) -> Option<i64> {
    catalog.face(face).expect("face").and_then(|f| f.person)
}

#[test]
fn default_clustering_has_bcubed_f_of_at_least_0_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = library(dir.path());
    let root = testdata("faces").canonicalize().expect("faces");
    let report = kith::eval::folder::evaluate(
        &catalog,
        &root,
        &settings::load(&catalog).expect("settings"),
        0.6,
    )
    .expect("evaluate");
    eprintln!(
        "BCubed {:?}, pairwise {:?}, NMI {:.4}",
        report.bcubed, report.pairwise, report.nmi
    );
    assert_eq!(report.persons, 15);
    assert!(report.bcubed.f >= 0.90, "{:?}", report.bcubed);
}

#[test]
fn decisions_survive_reclustering_and_rescans() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut catalog = library(dir.path());
    let named = name_everyone(&mut catalog);
    let (sheldon, leonard, penny, amy) = (
        named["sheldon"],
        named["leonard"],
        named["penny"],
        named["amy"],
    );

    // Move one of Sheldon's faces to Leonard (the user knows better), say one of Penny's faces is
    // not Penny, split two of Amy's faces off and merge them back under another name.
    let moved = catalog.face_ids_of(sheldon).expect("faces")[0];
    catalog.move_face(moved, leonard).expect("move");
    let rejected = catalog.face_ids_of(penny).expect("faces")[0];
    catalog.not_this_person(rejected).expect("not");
    let amy_faces = catalog.face_ids_of(amy).expect("faces");
    let split = catalog
        .split_faces(&amy_faces[..2], Some("Amy at work"))
        .expect("split");
    catalog.merge_persons(split, &[amy]).expect("merge");
    let expect = |catalog: &Catalog| {
        assert_eq!(
            person_of(catalog, moved),
            Some(leonard),
            "moved face stays moved"
        );
        assert_ne!(
            person_of(catalog, rejected),
            Some(penny),
            "not-this-person holds"
        );
        for f in &amy_faces {
            assert_eq!(
                person_of(catalog, *f),
                Some(split),
                "merged faces stay together"
            );
        }
        let merged = catalog.person(split).expect("query").expect("exists");
        assert_eq!(
            merged.name.as_deref(),
            Some("Amy at work"),
            "the target's name is kept"
        );
        assert!(
            catalog.person(amy).expect("query").is_none(),
            "merged person is gone"
        );
        for (name, id) in [("sheldon", sheldon), ("leonard", leonard), ("penny", penny)] {
            let p = catalog.person(id).expect("query").expect("exists");
            assert_eq!(p.name.as_deref(), Some(name));
        }
    };
    expect(&catalog);

    // A full re-cluster, with other settings, must not undo any of it.
    for algorithm in [
        Algorithm::Dbscan {
            eps: 0.45,
            min_points: 2,
        },
        settings::algorithm("agglomerative", Some(0.6), None).expect("algo"),
    ] {
        // The preview the settings view shows counts the people the re-cluster then leaves.
        let preview = assign::preview(&catalog, &algorithm).expect("preview");
        assert_eq!(
            preview.people_now,
            catalog.persons(true).expect("persons").len()
        );
        assign::recluster(&mut catalog, &algorithm).expect("recluster");
        assert_eq!(
            preview.people_after,
            catalog.persons(true).expect("persons").len(),
            "{algorithm:?}"
        );
        expect(&catalog);
    }
    // Nor a re-scan followed by the incremental update.
    scan(&mut catalog, &testdata("faces"));
    let saved = settings::load(&catalog).expect("settings");
    assign::update(&mut catalog, &saved).expect("update");
    expect(&catalog);
}

/// Who every face is with, by face id.
fn placings(catalog: &Catalog) -> HashMap<i64, Option<i64>> {
    let faces = catalog.faces().expect("faces");
    faces.into_iter().map(|f| (f.id, f.person)).collect()
}

/// The faces whose person differs between two placings: (face, before, after).
fn moved(
    before: &HashMap<i64, Option<i64>>,
    after: &HashMap<i64, Option<i64>>,
) -> Vec<(i64, Option<i64>, Option<i64>)> {
    let mut moved: Vec<_> = before
        .iter()
        .filter(|(face, person)| after.get(face) != Some(person))
        .map(|(&face, &person)| (face, person, after.get(&face).copied().flatten()))
        .collect();
    moved.sort_unstable();
    moved
}

#[test]
fn a_scan_that_finds_nothing_new_moves_no_face() {
    // The group photos hold faces that clustering leaves with nobody although one face of a
    // person is within its radius: Solvay's small faces chain to that person through faces
    // beside them in their own photo, and the chain is split apart.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    scan(&mut catalog, &testdata("faces"));
    scan(&mut catalog, &testdata("group"));
    let algorithm = settings::load(&catalog).expect("settings");
    assign::update(&mut catalog, &algorithm).expect("place");
    let first = placings(&catalog);
    assert!(
        first.iter().filter(|(_, p)| p.is_none()).count() >= 20,
        "most of Solvay's faces are with nobody"
    );

    // What the end of a scan that found nothing new does.
    assert_eq!(scan(&mut catalog, &testdata("group")).photos, 0);
    let again = assign::update(&mut catalog, &algorithm).expect("place again");
    assert_eq!(moved(&first, &placings(&catalog)), [], "{again:?}");
    assert_eq!(again.assigned, 0, "{again:?}");

    // A re-cluster gives the same people, and a scan after it keeps them.
    assign::recluster(&mut catalog, &algorithm).expect("recluster");
    assert_eq!(moved(&first, &placings(&catalog)), []);
    assign::update(&mut catalog, &algorithm).expect("place after");
    assert_eq!(moved(&first, &placings(&catalog)), []);
}

#[test]
fn a_reanalysed_photo_keeps_the_decisions_about_its_faces() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let files = copy_into(
        &photos,
        &["faces/ian_thorpe/1.jpg", "faces/ian_thorpe/2.jpg"],
    );
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    scan(&mut catalog, &photos);
    let algorithm = settings::load(&catalog).expect("settings");
    assign::update(&mut catalog, &algorithm).expect("cluster");
    let face = catalog.faces().expect("faces")[0].clone();
    let person = catalog.split_faces(&[face.id], Some("Ian")).expect("split");

    // Re-encode the photo: new bytes, same face, so it is analysed again.
    let image = image::open(&face.photo_path).expect("decode");
    image
        .save_with_format(&face.photo_path, image::ImageFormat::Png)
        .expect("re-encode");
    let rescan = scan(&mut catalog, &photos);
    assert_eq!(rescan.photos, 1, "{rescan:?} {files:?}");
    let redone: Vec<_> = catalog
        .faces()
        .expect("faces")
        .into_iter()
        .filter(|f| f.photo_path == face.photo_path)
        .collect();
    assert_eq!(redone.len(), 1);
    assert_ne!(redone[0].id, face.id, "the face was detected anew");
    assert_eq!(redone[0].person, Some(person));
    assert!(redone[0].pinned);
}

#[test]
fn one_photo_never_shows_the_same_person_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).expect("mkdir");
    copy_into(
        &photos,
        &[
            "faces/ian_thorpe/2.jpg",
            "faces/ian_thorpe/3.jpg",
            "faces/ian_thorpe/4.jpg",
        ],
    );
    // The same portrait twice side by side: the closest possible pair of faces in one photo.
    let face = image::open(testdata("faces/ian_thorpe/1.jpg"))
        .expect("decode")
        .to_rgb8();
    let mut twice = image::RgbImage::new(face.width() * 2, face.height());
    image::imageops::replace(&mut twice, &face, 0, 0);
    image::imageops::replace(&mut twice, &face, face.width() as i64, 0);
    let twin = photos.join("twice.png");
    twice.save(&twin).expect("save");

    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    scan(&mut catalog, &photos);
    for algorithm in [
        settings::load(&catalog).expect("settings"),
        settings::algorithm("agglomerative", None, None).expect("algo"),
    ] {
        assign::recluster(&mut catalog, &algorithm).expect("cluster");
        let faces = catalog.faces().expect("faces");
        let twin = twin.canonicalize().expect("exists");
        let pair: Vec<_> = faces.iter().filter(|f| f.photo_path == twin).collect();
        assert_eq!(pair.len(), 2);
        assert!(
            pair[0].person.is_none() || pair[0].person != pair[1].person,
            "both copies in one person: {pair:?}"
        );
        // One of the two still joins the other photos of the same man.
        assert!(pair.iter().any(|f| f.person.is_some()));
    }
}

#[test]
fn search_finds_the_photos_of_named_people() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut catalog = library(dir.path());
    name_everyone(&mut catalog);
    let scenes = testdata("scenes").canonicalize().expect("scenes");
    let in_scenes = |text: &str| -> HashSet<String> {
        search(&catalog, &Query::parse(text).expect("query"))
            .expect("search")
            .into_iter()
            .filter(|h| h.path.starts_with(&scenes))
            .map(|h| {
                h.path
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    };
    let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<HashSet<_>>();
    assert_eq!(
        in_scenes("sheldon"),
        set(&["bbt1.jpg", "bbt2.jpg", "bbt3.jpg", "bbt4.jpg", "bbt5.jpg"])
    );
    assert_eq!(in_scenes("amy & sheldon"), set(&["bbt4.jpg"]));
    assert_eq!(in_scenes("Howard -penny"), set(&["bbt1.jpg"]));
    assert_eq!(in_scenes("stuart"), set(&[]));
    // Prefixes and case do not matter.
    assert_eq!(in_scenes("SHEL"), in_scenes("sheldon"));
    assert!(search(&catalog, &Query::parse("nobody-like-this").expect("query")).is_err());
}

#[test]
fn undo_and_redo_walk_the_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut catalog = library(dir.path());
    let named = name_everyone(&mut catalog);
    let (raj, howard) = (named["raj"], named["howard"]);
    let raj_faces = catalog.face_ids_of(raj).expect("faces");
    let howard_faces = catalog.face_ids_of(howard).expect("faces");

    catalog.merge_persons(raj, &[howard]).expect("merge");
    catalog.name_person(raj, "Raj and Howard").expect("rename");
    catalog.hide_person(raj, true).expect("hide");
    assert!(catalog.person(howard).expect("query").is_none());

    assert!(catalog.undo().expect("undo").is_some()); // hide
    assert!(!catalog.person(raj).expect("query").expect("exists").hidden);
    assert!(catalog.undo().expect("undo").is_some()); // rename
    assert_eq!(
        catalog
            .person(raj)
            .expect("query")
            .expect("exists")
            .name
            .as_deref(),
        Some("raj")
    );
    assert!(catalog.undo().expect("undo").is_some()); // merge
    let restored = catalog
        .person(howard)
        .expect("query")
        .expect("howard is back");
    assert_eq!(restored.name.as_deref(), Some("howard"));
    assert_eq!(catalog.face_ids_of(howard).expect("faces"), howard_faces);
    assert_eq!(catalog.face_ids_of(raj).expect("faces"), raj_faces);

    assert!(catalog.redo().expect("redo").is_some()); // merge again
    assert!(catalog.person(howard).expect("query").is_none());
    let mut all = raj_faces.clone();
    all.extend(&howard_faces);
    all.sort_unstable();
    assert_eq!(catalog.face_ids_of(raj).expect("faces"), all);
    // A new decision drops what was undone and not redone.
    catalog.hide_person(raj, true).expect("hide");
    assert!(catalog.redo().expect("redo").is_none());
    // The history survives closing the catalog.
    let path = catalog.path().to_path_buf();
    drop(catalog);
    let mut reopened = Catalog::open(&path).expect("reopen");
    assert_eq!(
        reopened.undo().expect("undo").as_deref(),
        Some("hide #".to_string() + &raj.to_string()).as_deref()
    );
}

#[test]
fn a_head_trained_on_some_people_is_no_worse_on_people_it_never_saw() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = library(dir.path());
    let root = testdata("faces").canonicalize().expect("faces");
    let data = LabelledFaces::from_truth_folder(&catalog, &root).expect("labelled");
    assert_eq!(data.persons.len(), 15);
    let configs: Vec<TrainConfig> = LossKind::ALL.into_iter().map(TrainConfig::new).collect();
    let (report, heads) = one_shot(
        &data,
        PersonSplit {
            unseen: 0.5,
            seed: 0,
        },
        &configs,
        &Algorithm::default_dbscan(),
        0.6,
        &std::sync::atomic::AtomicBool::new(false),
        &mut |_, _| {},
    )
    .expect("one-shot");
    assert_eq!(heads.len(), LossKind::ALL.len());
    let seen: HashSet<&String> = report.seen_persons.iter().collect();
    assert!(report.unseen_persons.iter().all(|p| !seen.contains(p)));
    let plain = report.rows[0].unseen.clone().expect("unseen measured");
    let mut no_worse = Vec::new();
    for row in &report.rows {
        let u = row.unseen.as_ref().expect("unseen measured");
        eprintln!(
            "{:20} unseen: LFW {:.4} ± {:.4}, AUC {:.4}, accuracy at tau {:.4}, BCubed F {:.4}; seen BCubed F {:.4}",
            row.name, u.lfw.mean_accuracy, u.lfw.std_accuracy, u.auc, u.accuracy_at_tau, u.bcubed.f,
            row.seen.bcubed.f
        );
        assert!(row.final_loss.is_none_or(f32::is_finite), "{}", row.name);
        if row.loss.is_some()
            && u.lfw.mean_accuracy >= plain.lfw.mean_accuracy
            && u.auc >= plain.auc
            && u.accuracy_at_tau >= plain.accuracy_at_tau
            && u.bcubed.f >= plain.bcubed.f
        {
            no_worse.push(row.name.clone());
        }
    }
    assert!(
        !no_worse.is_empty(),
        "every head got worse on unseen people"
    );
}

#[test]
fn adaptation_to_the_users_names_is_used_only_where_it_helps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut catalog = library(dir.path());
    name_everyone(&mut catalog);
    let algorithm = settings::load(&catalog).expect("settings");
    // Ten validation splits: what is held out decides what there is to improve.
    let mut accepted = None;
    let mut improved = 0;
    let (mut plain_sum, mut adapted_sum, mut used_sum) = (0.0, 0.0, 0.0);
    for seed in 0..10 {
        let mut options = AdaptOptions {
            seed,
            ..AdaptOptions::default()
        };
        options.train.seed = seed;
        let adaptation = adapt::validate(
            &catalog,
            &algorithm,
            0.6,
            &options,
            &std::sync::atomic::AtomicBool::new(false),
            &mut |_| {},
        )
        .expect("adapt");
        let r = &adaptation.report;
        eprintln!(
            "split {seed}: known BCubed F {:.4} -> {:.4}, accuracy {:.4} -> {:.4}; with strangers BCubed F {:.4} -> {:.4}; accepted {}",
            r.plain.bcubed.f,
            r.adapted.bcubed.f,
            r.plain.accuracy_at_tau,
            r.adapted.accuracy_at_tau,
            r.plain_mixed.as_ref().map_or(f64::NAN, |m| m.bcubed.f),
            r.adapted_mixed.as_ref().map_or(f64::NAN, |m| m.bcubed.f),
            r.accepted
        );
        assert!(r.stranger_persons >= 1 && r.held_out_faces > 0);
        plain_sum += r.plain.bcubed.f;
        adapted_sum += r.adapted.bcubed.f;
        used_sum += if r.accepted {
            r.adapted.bcubed.f
        } else {
            r.plain.bcubed.f
        };
        if r.accepted {
            let mixed = r.adapted_mixed.as_ref().expect("strangers");
            let plain_mixed = r.plain_mixed.as_ref().expect("strangers");
            assert!(r.adapted.bcubed.f >= r.plain.bcubed.f);
            assert!(mixed.bcubed.f >= plain_mixed.bcubed.f);
            assert!(mixed.accuracy_at_tau >= plain_mixed.accuracy_at_tau);
            if r.adapted.bcubed.f > r.plain.bcubed.f
                || r.adapted.accuracy_at_tau > r.plain.accuracy_at_tau
                || mixed.bcubed.f > plain_mixed.bcubed.f
                || mixed.accuracy_at_tau > plain_mixed.accuracy_at_tau
            {
                improved += 1;
            }
            accepted.get_or_insert(adaptation);
        }
    }
    // A head helps on some splits and hurts on others, and their mean moves with the last bits of
    // the embeddings: what must hold is that the validation gate puts in use only heads that
    // group or tell apart the held-out faces better, and never one that makes things worse.
    eprintln!(
        "mean held-out BCubed F {:.4} with the heads, {:.4} without, {:.4} as used",
        adapted_sum / 10.0,
        plain_sum / 10.0,
        used_sum / 10.0
    );
    assert!(used_sum >= plain_sum, "a head in use grouped worse");
    assert!(improved > 0, "no head in use did better on anything");
    let adaptation = accepted.expect("a split whose head passed validation");

    // Kept, the head is what suggestions and clustering measure distances with.
    adapt::keep(&catalog, &adaptation).expect("keep");
    assert!(adapt::active_head(&catalog).expect("read").is_some());
    let face = catalog.faces().expect("faces")[0].clone();
    let space = FaceSpace::load(&catalog, 0.6).expect("space");
    let nearest = &space.neighbours(face.id, 1).expect("face")[0];
    let other = catalog.face(nearest.face_id).expect("query").expect("face");
    let through = |e| adaptation.head.apply(e);
    let want = distance(&through(&face.embedding), &through(&other.embedding));
    assert!(
        (nearest.distance - want).abs() < 1e-5,
        "{} vs {want}",
        nearest.distance
    );
    assert!((nearest.distance - distance(&face.embedding, &other.embedding)).abs() > 1e-4);
    assign::recluster(&mut catalog, &algorithm).expect("recluster");
    assert_eq!(
        catalog
            .persons(false)
            .expect("persons")
            .iter()
            .filter(|p| p.name.is_some())
            .count(),
        15,
        "named people survive clustering with the head"
    );

    // Dropped, distances are the plain embedder's again; the stored descriptors never changed.
    assert!(catalog.clear_adaptation().expect("clear"));
    let space = FaceSpace::load(&catalog, 0.6).expect("space");
    let nearest = &space.neighbours(face.id, 1).expect("face")[0];
    let other = catalog.face(nearest.face_id).expect("query").expect("face");
    assert_eq!(
        catalog
            .face(face.id)
            .expect("query")
            .expect("face")
            .embedding,
        face.embedding
    );
    assert!((nearest.distance - distance(&face.embedding, &other.embedding)).abs() < 1e-6);
}

/// The same picture in a second folder, saved again as PNG, or exported at half size (without
/// its EXIF date) is one picture: its people are counted once, search lists it once, and the
/// five strangers in it do not become "people" of several faces. Another photo of someone in it
/// is no copy. When the original goes, a copy stands in for it with the user's names.
#[test]
fn copies_of_a_picture_are_counted_once_and_stand_in_when_the_original_goes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (album, backup) = (dir.path().join("album"), dir.path().join("backup"));
    std::fs::create_dir_all(&album).expect("mkdir");
    std::fs::create_dir_all(&backup).expect("mkdir");
    let original = copy_into(&album, &["group/sample5.jpg", "faces/ian_thorpe/1.jpg"]).remove(0);
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let algorithm = settings::load(&catalog).expect("settings");
    scan(&mut catalog, &album);
    assert_eq!(
        assign::update(&mut catalog, &algorithm)
            .expect("place")
            .copies,
        0
    );
    let original = original.canonicalize().expect("path");
    let group: Vec<_> = catalog
        .faces()
        .expect("faces")
        .into_iter()
        .filter(|f| f.photo_path == original)
        .collect();
    assert_eq!(group.len(), 5);
    let anna = catalog
        .split_faces(&[group[0].id], Some("Anna"))
        .expect("name");
    // Anna, and one person for Ian once he is in two photos: the strangers stay nobody.
    assert_eq!(person_sizes(&catalog), [1]);

    std::fs::copy(&original, backup.join("copy.jpg")).expect("copy");
    let picture = image::open(&original).expect("decode");
    picture.save(backup.join("copy.png")).expect("png");
    picture
        .resize(960, 960, image::imageops::FilterType::Triangle)
        .save(backup.join("half.jpg"))
        .expect("half size");
    // The camera's RAW file beside its JPEG, as cameras set to save both leave them.
    let preview = common::jpeg(&picture.to_rgb8());
    let raw = dng::Dng {
        orientation: 1,
        preview: Some(&preview),
        taken: "2014:08:09 23:31:09",
    };
    std::fs::write(backup.join("raw.dng"), dng::dng(&picture.to_rgb8(), &raw)).expect("dng");
    copy_into(&backup, &["faces/ian_thorpe/2.jpg"]);
    scan(&mut catalog, &backup);
    let report = assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(report.copies, 4, "{report:?}");
    let original_id = group[0].photo_id;
    let mut elsewhere = catalog.other_copies(original_id).expect("copies");
    elsewhere.sort();
    let names: Vec<_> = elsewhere
        .iter()
        .map(|p| {
            Path::new(p)
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["copy.jpg", "copy.png", "half.jpg", "raw.dng"]);
    // Ian's second photo is his, not a copy.
    assert_eq!(person_sizes(&catalog), [1, 2], "{report:?}");
    let anna_now = catalog.person(anna).expect("person").expect("Anna");
    assert_eq!((anna_now.faces, anna_now.photos), (1, 1));
    let photos_of_anna = |catalog: &Catalog| {
        search(catalog, &Query::parse("Anna").expect("query"))
            .expect("search")
            .into_iter()
            .map(|hit| hit.path)
            .collect::<Vec<_>>()
    };
    assert_eq!(photos_of_anna(&catalog), std::slice::from_ref(&original));
    assert_eq!(catalog.faces().expect("faces").len(), 7);

    // The original is deleted: one copy takes its place, Anna's face in it pinned to her.
    std::fs::remove_file(&original).expect("delete");
    scan(&mut catalog, &album);
    assign::update(&mut catalog, &algorithm).expect("place");
    let found = photos_of_anna(&catalog);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with(backup.canonicalize().expect("path")),
        "{found:?}"
    );
    let in_copy = catalog.faces_of_person(anna).expect("faces");
    assert_eq!(in_copy.len(), 1);
    assert!(in_copy[0].pinned);
    assert_eq!(person_sizes(&catalog), [1, 2]);
    assert_eq!(catalog.faces().expect("faces").len(), 7);
}

/// A group photo exported smaller keeps fewer faces (the detector misses the smallest), and
/// those it keeps are a few pixels wide, their descriptors far from the original's: it is still
/// a copy. Scanned before the original, it hands its place, and the name given in it, over.
#[test]
fn a_smaller_export_that_lost_faces_is_a_copy_and_gives_way_to_its_original() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (album, export) = (dir.path().join("album"), dir.path().join("export"));
    std::fs::create_dir_all(&export).expect("mkdir");
    std::fs::create_dir_all(&album).expect("mkdir");
    for (name, tenths) in [("solvay-1927.png", 5), ("sample1.jpg", 2)] {
        let exported = export.join(name).with_extension("jpg");
        save_shrunk(&testdata(&format!("group/{name}")), &exported, (tenths, 10));
    }
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let algorithm = settings::load(&catalog).expect("settings");
    scan(&mut catalog, &export);
    assign::update(&mut catalog, &algorithm).expect("place");
    let exported = common::faces_per_file(&catalog);
    assert!(exported["solvay-1927.jpg"] < 29, "{exported:?}");
    assert!(exported["sample1.jpg"] < 3, "{exported:?}");
    // The user names the first face of the small sample1 before the original is there.
    let mut small: Vec<_> = catalog
        .faces()
        .expect("faces")
        .into_iter()
        .filter(|f| f.photo_path.ends_with("sample1.jpg"))
        .collect();
    small.sort_by(|a, b| a.bbox[0].total_cmp(&b.bbox[0]));
    let anna = catalog
        .split_faces(&[small[0].id], Some("Anna"))
        .expect("name");

    let [solvay, sample1] = [
        copy_into(&album, &["group/solvay-1927.png"]),
        copy_into(&album, &["group/sample1.jpg"]),
    ]
    .map(|copied| copied[0].canonicalize().expect("path"));
    scan(&mut catalog, &album);
    assign::update(&mut catalog, &algorithm).expect("place");
    let mut groups = catalog.copy_groups().expect("groups");
    groups.sort_by(|a, b| a.original.cmp(&b.original));
    let originals: Vec<_> = groups.iter().map(|g| Path::new(&g.original)).collect();
    assert_eq!(originals, [&sample1, &solvay], "{groups:?}");
    assert!(groups.iter().all(|g| g.copies.len() == 1), "{groups:?}");
    // Each face is counted once, in the original; Anna's is there, still hers.
    assert_eq!(catalog.faces().expect("faces").len(), 29 + 3);
    let hers = catalog.faces_of_person(anna).expect("faces");
    assert_eq!(hers.len(), 1, "{hers:?}");
    assert_eq!(hers[0].photo_path, sample1);
    assert!(hers[0].pinned);
}

/// Saves the picture at `from` shrunk to `share` (numerator, denominator) of its size at `to`, as
/// an app exporting it smaller would.
fn save_shrunk(from: &Path, to: &Path, (num, den): (u32, u32)) {
    let picture = image::open(from).expect("decode");
    picture
        .resize(
            picture.width() * num / den,
            picture.height() * num / den,
            image::imageops::FilterType::Lanczos3,
        )
        .to_rgb8()
        .save(to)
        .expect("save shrunk");
}

/// Portraits of one person cropped alike and shrunk, to two sizes: small faces at the same place
/// in photos of the same shape, their descriptors close enough to pass for those of a copy
/// exported smaller; their pixels there tell them apart.
#[test]
fn shrunk_portraits_of_one_person_are_not_copies_of_each_other() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shrunk = dir.path().join("shrunk");
    std::fs::create_dir_all(&shrunk).expect("mkdir");
    for person in ["abdullah_gul", "ian_thorpe", "mark_philippoussis"] {
        let folder = std::fs::read_dir(testdata(&format!("faces/{person}"))).expect("folder");
        for (k, entry) in folder.enumerate() {
            let (path, fifths) = (entry.expect("entry").path(), 2 + k as u32 % 2);
            let name = format!(
                "{person}-{}.jpg",
                path.file_stem().expect("stem").to_string_lossy()
            );
            save_shrunk(&path, &shrunk.join(name), (fifths, 5));
        }
    }
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let algorithm = settings::load(&catalog).expect("settings");
    scan(&mut catalog, &shrunk);
    assign::update(&mut catalog, &algorithm).expect("place");
    let faces = catalog.faces().expect("faces");
    assert!(faces.len() >= 25, "{}", faces.len());
    assert!(faces.iter().all(|f| f.bbox[2] < 80.0));
    let groups = catalog.copy_groups().expect("groups");
    assert!(groups.is_empty(), "{groups:?}");
}

/// Forgetting the folder of an original keeps what the user said about its faces: a copy in a
/// folder kept takes its place, with the names, and the other copies become its copies.
#[test]
fn forgetting_the_folder_of_an_original_hands_its_names_to_a_copy_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (album, backup) = (dir.path().join("album"), dir.path().join("backup"));
    std::fs::create_dir_all(&album).expect("mkdir");
    std::fs::create_dir_all(&backup).expect("mkdir");
    let original = copy_into(&album, &["group/sample5.jpg"]).remove(0);
    std::fs::copy(&original, backup.join("copy.jpg")).expect("copy");
    image::open(&original)
        .expect("decode")
        .save(backup.join("copy.png"))
        .expect("png");
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let algorithm = settings::load(&catalog).expect("settings");
    for folder in [&album, &backup] {
        catalog.add_folder(folder).expect("add");
        scan(&mut catalog, folder);
    }
    assert_eq!(
        assign::update(&mut catalog, &algorithm)
            .expect("place")
            .copies,
        2
    );
    let faces = catalog.faces().expect("faces");
    assert_eq!(faces.len(), 5);
    let anna = catalog
        .split_faces(&[faces[0].id], Some("Anna"))
        .expect("name");
    let other = catalog
        .split_faces(&[faces[1].id], Some("Ben"))
        .expect("name");
    catalog.reject_person(faces[2].id, anna).expect("not Anna");

    let forgotten =
        kith::people::copies::forget_folder(&mut catalog, &album.canonicalize().expect("path"))
            .expect("forget");
    assert_eq!(forgotten, 1);
    assign::update(&mut catalog, &algorithm).expect("place");
    let backup = backup.canonicalize().expect("path");
    for (person, name) in [(anna, "Anna"), (other, "Ben")] {
        let kept = catalog.faces_of_person(person).expect("faces");
        assert_eq!(kept.len(), 1, "{name}");
        assert!(
            kept[0].pinned && kept[0].photo_path.starts_with(&backup),
            "{name}"
        );
    }
    // One picture still: the two copies count once, their strangers nobody.
    assert_eq!(catalog.faces().expect("faces").len(), 5);
    let pictures = catalog.pictures().expect("pictures");
    let originals = pictures.iter().filter(|p| p.copy_of.is_none()).count();
    assert_eq!((pictures.len(), originals), (2, 1));
    // The "not Anna" answer went with the face it was given about, to the copy's.
    let facts = catalog.not_person_facts().expect("facts");
    let in_backup: Vec<_> = catalog
        .faces()
        .expect("faces")
        .into_iter()
        .filter(|f| facts.contains(&(f.id, anna)))
        .collect();
    assert_eq!(in_backup.len(), 1);
    assert!(in_backup[0].photo_path.starts_with(&backup));
}

/// An XMP region list as digiKam or Lightroom write them (Metadata Working Group), naming the
/// face in each `(name, [left, top, width, height])`, as fractions of the photo.
fn mwg_regions(regions: &[(&str, [f32; 4])]) -> String {
    xmp_naming(regions, &[])
}

/// An XMP document naming `regions` (MWG) and listing `people` as shown in the photo (IPTC).
fn xmp_naming(regions: &[(&str, [f32; 4])], people: &[&str]) -> String {
    let shown: String = people
        .iter()
        .map(|name| format!("<rdf:li>{name}</rdf:li>"))
        .collect();
    let items: String = regions
        .iter()
        .map(|(name, [l, t, w, h])| {
            format!(
                r#"<rdf:li><rdf:Description mwg-rs:Name="{name}" mwg-rs:Type="Face">
                 <mwg-rs:Area stArea:x="{}" stArea:y="{}" stArea:w="{w}" stArea:h="{h}"
                  stArea:unit="normalized"/></rdf:Description></rdf:li>"#,
                l + w / 2.0,
                t + h / 2.0
            )
        })
        .collect();
    format!(
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
         xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description
         xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
         xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#"
         xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"><mwg-rs:Regions
         rdf:parseType="Resource"><mwg-rs:RegionList><rdf:Bag>{items}</rdf:Bag>
         </mwg-rs:RegionList></mwg-rs:Regions><Iptc4xmpExt:PersonInImage><rdf:Bag>{shown}
         </rdf:Bag></Iptc4xmpExt:PersonInImage></rdf:Description></rdf:RDF></x:xmpmeta>"#
    )
}

/// `jpeg` with an APP1 segment holding `body` (XMP or EXIF) right after the start marker.
fn with_app1(jpeg: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// `jpeg` with `xmp` embedded where JPEGs keep it.
fn with_xmp(jpeg: &[u8], xmp: &str) -> Vec<u8> {
    let mut body = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    body.extend_from_slice(xmp.as_bytes());
    with_app1(jpeg, &body)
}

/// A portrait stored on its side at `path`, as phones do (EXIF orientation 6: a quarter turn
/// clockwise to show it), his face off centre (in the top left corner of a wider frame), where
/// the two readings of a region differ. Returns where the scan finds the face (in the pixels as
/// shown), and a region around it drawn on the stored pixels, as some apps draw them.
fn turned_portrait(path: &Path) -> ([f32; 4], [f32; 4]) {
    let mut john = image::RgbImage::from_pixel(800, 500, image::Rgb([128, 128, 128]));
    let face = image::open(testdata("faces/john_mccain/1.jpg")).expect("decode");
    image::imageops::overlay(&mut john, &face.to_rgb8(), 0, 0);
    let (jw, jh) = (john.width() as f32, john.height() as f32);
    let stored = common::jpeg(&image::imageops::rotate270(&john));
    let exif_6 = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0";
    let file = with_app1(&stored, exif_6);
    std::fs::write(path, &file).expect("write");
    let shown = kith::scan::locate::locate_faces(common::analyzer(), &file, 1000).expect("faces");
    assert_eq!(shown.photo.pixels.dimensions(), (jw as u32, jh as u32));
    let [x, y, bw, bh] = shown.faces[0].bbox;
    // Shown (u, v) is stored (1 - v, u): stored u is shown v, stored v is 1 - shown u.
    let on_stored = [y / jh, 1.0 - (x + bw) / jw, bh / jh, bw / jw];
    (shown.faces[0].bbox, on_stored)
}

/// Faces other apps named in the photos' metadata (a sidecar, or XMP in the file) arrive named,
/// one action that undo takes back; a name that exists gets the face, whatever its case. The
/// name is read once: a face the user moves later stays where the user put it.
/// Where the scan finds the faces of the photo at `path` (in its pixels; the photo is small
/// enough to be looked at whole), each with a region drawn around it in fractions of the photo,
/// with some margin as people draw them.
fn faces_and_regions(path: &Path) -> Vec<([f32; 4], [f32; 4])> {
    let located = kith::scan::locate::locate_faces(
        common::analyzer(),
        &std::fs::read(path).expect("read"),
        1000,
    )
    .expect("faces");
    let (w, h) = located.photo.pixels.dimensions();
    let (w, h) = (w as f32, h as f32);
    located
        .faces
        .iter()
        .map(|f| {
            let [x, y, bw, bh] = f.bbox;
            let region = [
                (x - bw * 0.2) / w,
                (y - bh * 0.2) / h,
                bw * 1.4 / w,
                bh * 1.4 / h,
            ];
            (f.bbox, region)
        })
        .collect()
}

#[test]
fn names_other_apps_wrote_into_the_photos_name_their_faces_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let group = copy_into(&photos, &["group/sample5.jpg"]).remove(0);
    let located = faces_and_regions(&group);
    let region = |i: usize| located[i].1;
    let (anna_box, ben_box) = (located[0].0, located[1].0);
    std::fs::write(
        photos.join("group_sample5.xmp"),
        mwg_regions(&[("Anna Lee", region(0)), ("Ben", region(1))]),
    )
    .expect("sidecar");
    let whole = [0.05, 0.05, 0.9, 0.9];
    for (file, name) in [("1.jpg", "Ian Thorpe"), ("2.jpg", "ian thorpe")] {
        let jpeg = std::fs::read(testdata(&format!("faces/ian_thorpe/{file}"))).expect("read");
        let tagged = with_xmp(&jpeg, &mwg_regions(&[(name, whole)]));
        std::fs::write(photos.join(format!("ian-{file}")), tagged).expect("write");
    }

    let (john_box, on_stored) = turned_portrait(&photos.join("turned.jpg"));
    std::fs::write(
        photos.join("turned.xmp"),
        mwg_regions(&[("John", on_stored)]),
    )
    .expect("xmp");

    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let algorithm = settings::load(&catalog).expect("settings");
    scan(&mut catalog, &photos);
    let report = assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(report.tagged, 5, "{report:?}");
    let named = |catalog: &Catalog, name: &str| {
        let found = catalog.find_persons(name).expect("find");
        let (id, _) = found.first().cloned().unwrap_or_else(|| panic!("{name}"));
        (id, catalog.faces_of_person(id).expect("faces"))
    };
    let near = |a: [f32; 4], b: [f32; 4]| a.iter().zip(b).all(|(p, q)| (p - q).abs() < 2.0);
    let (anna, anna_faces) = named(&catalog, "Anna Lee");
    assert_eq!(anna_faces.len(), 1);
    assert!(anna_faces[0].pinned && near(anna_faces[0].bbox, anna_box));
    let (ben, ben_faces) = named(&catalog, "Ben");
    assert!(ben_faces.len() == 1 && near(ben_faces[0].bbox, ben_box));
    let (_, ian_faces) = named(&catalog, "Ian Thorpe");
    assert_eq!(ian_faces.len(), 2);
    let (_, john_faces) = named(&catalog, "John");
    assert!(john_faces.len() == 1 && near(john_faces[0].bbox, john_box));

    // One action: undo takes every name back, redo gives them again.
    let undone = catalog.undo().expect("undo").expect("an action");
    assert!(undone.contains("metadata"), "{undone}");
    assert!(catalog.find_persons("Anna Lee").expect("find").is_empty());
    catalog.redo().expect("redo");
    assert_eq!(named(&catalog, "Anna Lee").0, anna);

    // The user says Anna's face is Ben's; the photo is edited, so it is read again.
    catalog.move_face(anna_faces[0].id, ben).expect("move");
    let mut edited = std::fs::read(&group).expect("read");
    edited.extend_from_slice(b"edited");
    std::fs::write(&group, edited).expect("write");
    scan(&mut catalog, &photos);
    let again = assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(again.tagged, 0, "{again:?}");
    let (_, ben_faces) = named(&catalog, "Ben");
    assert_eq!(ben_faces.len(), 2);
    assert!(catalog.faces_of_person(anna).expect("faces").is_empty());

    // A name added to the sidecar later, in the other app, is read by the next scan: only
    // that one, as the others' faces were placed.
    let sidecar = photos.join("group_sample5.xmp");
    let regions = [
        ("Anna Lee", region(0)),
        ("Ben", region(1)),
        ("Carl", region(2)),
    ];
    std::fs::write(&sidecar, mwg_regions(&regions)).expect("sidecar");
    touch(&sidecar, 1);
    scan(&mut catalog, &photos);
    let third = assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(third.tagged, 1, "{third:?}");
    let (_, carl_faces) = named(&catalog, "Carl");
    assert!(carl_faces.len() == 1 && near(carl_faces[0].bbox, located[2].0));
    assert_eq!(named(&catalog, "Ben").1.len(), 2);
    assert!(catalog.faces_of_person(anna).expect("faces").is_empty());
    // Unchanged since, nothing is read again.
    let settled = scan(&mut catalog, &photos);
    assert_eq!(settled.photos, 0, "{settled:?}");

    // The user says that face is not Carl; the sidecar, changed again, still says it is: the
    // user's answer stands.
    let (carl, _) = named(&catalog, "Carl");
    catalog
        .reject_person(carl_faces[0].id, carl)
        .expect("not Carl");
    touch(&sidecar, 2);
    scan(&mut catalog, &photos);
    let fourth = assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(fourth.tagged, 0, "{fourth:?}");
    assert!(catalog.faces_of_person(carl).expect("faces").is_empty());
}

/// IPTC's "person shown" lists who is in a photo without places: with regions naming four of
/// its five faces, the fifth person listed is the face left.
#[test]
fn people_shown_in_xmp_are_found_as_listed_people_are() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let group = copy_into(&photos, &["group/sample5.jpg"]).remove(0);
    let located = faces_and_regions(&group);
    assert_eq!(located.len(), 5);
    let names = ["Anna", "Ben", "Carl", "Dora"];
    let regions: Vec<(&str, [f32; 4])> = names
        .iter()
        .zip(&located)
        .map(|(name, (_, region))| (*name, *region))
        .collect();
    let sidecar = xmp_naming(&regions, &["Anna", "Ben", "Carl", "Dora", "Eve Adams"]);
    std::fs::write(photos.join("group_sample5.xmp"), sidecar).expect("sidecar");

    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let algorithm = settings::load(&catalog).expect("settings");
    scan(&mut catalog, &photos);
    let report = assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(report.tagged, 5, "{report:?}");
    let (eve, _) = catalog.find_persons("Eve Adams").expect("find")[0].clone();
    let faces = catalog.faces_of_person(eve).expect("faces");
    assert_eq!(faces.len(), 1);
    let near = |a: [f32; 4], b: [f32; 4]| a.iter().zip(b).all(|(p, q)| (p - q).abs() < 2.0);
    assert!(near(faces[0].bbox, located[4].0), "{:?}", faces[0].bbox);
}

/// Picasa kept the faces of a folder's photos in one file in the folder: those it names arrive
/// named, and a name added there later is read by the next scan, for that photo only.
#[test]
fn names_picasa_kept_in_its_folder_file_name_their_faces() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("2009");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let group = photos.join("dsc_0042.jpg");
    std::fs::copy(testdata("group/sample5.jpg"), &group).expect("copy");
    std::fs::copy(testdata("faces/ian_thorpe/1.jpg"), photos.join("other.jpg")).expect("copy");
    let located = faces_and_regions(&group);
    // Left, top, right and bottom in 65536ths of the photo, in 16 hex digits.
    let rect64 = |i: usize| {
        let [l, t, w, h] = located[i].1;
        let part = |v: f32| ((v.clamp(0.0, 1.0) * 65536.0) as u64).min(0xffff);
        let bits = part(l) << 48 | part(t) << 32 | part(l + w) << 16 | part(t + h);
        format!("rect64({bits:x})")
    };
    let picasa_file = |faces: &[(usize, &str)]| {
        let faces: Vec<String> = faces
            .iter()
            .map(|(i, contact)| format!("{},{contact}", rect64(*i)))
            .collect();
        let ini = format!(
            "[Picasa]\nname=2009\n[DSC_0042.JPG]\nfaces={}\nbackuphash=1234\n\
             [other.jpg]\nstar=yes\n[Contacts2]\n3f1a=Anna Lee;;\n5b2c=Ben;;\n7d3e=Carl;;\n",
            faces.join(";")
        );
        std::fs::write(photos.join(".picasa.ini"), ini).expect("ini");
    };
    picasa_file(&[(0, "3f1a"), (1, "5b2c"), (2, "ffffffffffffffff")]);

    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let algorithm = settings::load(&catalog).expect("settings");
    scan(&mut catalog, &photos);
    let report = assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(report.tagged, 2, "{report:?}");
    let near = |a: [f32; 4], b: [f32; 4]| a.iter().zip(b).all(|(p, q)| (p - q).abs() < 2.0);
    for (i, name) in [(0, "Anna Lee"), (1, "Ben")] {
        let (id, _) = catalog.find_persons(name).expect("find")[0].clone();
        let faces = catalog.faces_of_person(id).expect("faces");
        assert!(faces.len() == 1 && faces[0].pinned, "{name}");
        assert!(near(faces[0].bbox, located[i].0), "{name}");
    }
    assert!(catalog.find_persons("Carl").expect("find").is_empty());
    assert_eq!(scan(&mut catalog, &photos).photos, 0);

    // Carl named in Picasa later: the next scan reads his photo again, not the other one.
    picasa_file(&[(0, "3f1a"), (1, "5b2c"), (2, "7d3e")]);
    touch(&photos.join(".picasa.ini"), 1);
    assert_eq!(scan(&mut catalog, &photos).photos, 1);
    let report = assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(report.tagged, 1, "{report:?}");
    let (carl, _) = catalog.find_persons("Carl").expect("find")[0].clone();
    let carl_faces = catalog.faces_of_person(carl).expect("faces");
    assert!(carl_faces.len() == 1 && near(carl_faces[0].bbox, located[2].0));
}

/// Google Takeout's JSON lists who is in a photo but not where: the name goes to the face of a
/// photo with one face, and to nobody in a photo of five.
#[test]
fn people_google_listed_name_the_face_of_a_photo_of_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("Takeout");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let [ian, group] = ["faces/ian_thorpe/1.jpg", "group/sample5.jpg"]
        .map(|file| copy_into(&photos, &[file]).remove(0));
    let listed = |name: &str| format!(r#"{{"title": "photo", "people": [{{"name": "{name}"}}]}}"#);
    // Ian's photo has no date of its own; his JSON gives one (2017-08-08 17:12:25 UTC).
    let dated =
        r#"{"people": [{"name": "Ian Thorpe"}], "photoTakenTime": {"timestamp": "1502212345"}}"#;
    std::fs::write(format!("{}.json", ian.display()), dated).expect("json");
    let newer = format!("{}.supplemental-metadata.json", group.display());
    std::fs::write(newer, listed("Anna")).expect("json");

    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let algorithm = settings::load(&catalog).expect("settings");
    scan(&mut catalog, &photos);
    let report = assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(report.tagged, 1, "{report:?}");
    let (id, _) = catalog.find_persons("Ian Thorpe").expect("find")[0].clone();
    let faces = catalog.faces_of_person(id).expect("faces");
    assert!(faces.len() == 1 && faces[0].pinned);
    assert_eq!(faces[0].photo_path, ian.canonicalize().expect("path"));
    assert!(catalog.find_persons("Anna").expect("find").is_empty());
    let taken = catalog
        .photo(faces[0].photo_id)
        .expect("photo")
        .and_then(|p| p.taken_at)
        .expect("a date from the JSON");
    assert!(taken.starts_with("2017-08-0"), "{taken}");
}

/// The names of the faces of the photo at `path` from left to right, as the labels of their
/// persons (`None` for a face with nobody).
/// The faces of the photo at `path`, from left to right.
fn photo_faces_left_to_right(catalog: &Catalog, path: &Path) -> Vec<kith::catalog::PhotoFace> {
    let canonical = path.canonicalize().expect("path");
    let (photo, _) = catalog
        .photo_status(&canonical)
        .expect("status")
        .expect("catalogued");
    let mut faces = catalog.photo_faces(photo).expect("faces");
    faces.sort_by(|a, b| a.bbox[0].total_cmp(&b.bbox[0]));
    faces
}

fn faces_left_to_right(catalog: &Catalog, path: &Path) -> Vec<i64> {
    let faces = photo_faces_left_to_right(catalog, path);
    faces.iter().map(|f| f.id).collect()
}

fn names_left_to_right(catalog: &Catalog, path: &Path) -> Vec<Option<String>> {
    let faces = photo_faces_left_to_right(catalog, path);
    faces.iter().map(|f| f.person_name.clone()).collect()
}

/// Google Takeout lists who is in each photo, not where. The portraits name their people, who
/// are recognised in a group photo, where the one person left is the one face left; that person
/// is then recognised in the next group photo.
#[test]
fn people_google_listed_in_group_photos_are_found_by_recognition_then_elimination() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("Takeout");
    std::fs::create_dir_all(&photos).expect("mkdir");
    // Takeout's JSON for the photo called `title` in Google Photos, named `json`.
    let takeout = |json: &str, title: &str, names: &[&str]| {
        let people: Vec<_> = names
            .iter()
            .map(|n| serde_json::json!({"name": n}))
            .collect();
        let json_text = serde_json::json!({"title": title, "people": people}).to_string();
        std::fs::write(photos.join(json), json_text).expect("json");
    };
    let list = |photo: &Path, names: &[&str]| {
        let name = photo.file_name().expect("name").to_string_lossy();
        takeout(&format!("{name}.json"), &name, names);
    };
    let (sheldon, leonard, howard, raj) = (
        "Sheldon Cooper",
        "Leonard Hofstadter",
        "Howard Wolowitz",
        "Raj Koothrappali",
    );
    for (folder, name) in [("sheldon", sheldon), ("leonard", leonard)] {
        let portrait = copy_into(&photos, &[&format!("faces/{folder}/1.png")]).remove(0);
        list(&portrait, &[name]);
    }
    // A name Takeout cut short for its JSON, beside another photo whose name starts the same
    // (its JSON, named the same, was written over); and a photo edited in Google Photos, which
    // shares the original's JSON.
    let long = "Screenshot_2024-01-14-14-13-33-16_948cd9899890cbd5.png";
    std::fs::copy(testdata("faces/howard/1.png"), photos.join(long)).expect("copy");
    takeout(
        "Screenshot_2024-01-14-14-13-33-16_948cd9899890.json",
        long,
        &[howard],
    );
    let alike = photos.join("Screenshot_2024-01-14-14-13-33-16_948cd9899890ffff.png");
    std::fs::copy(testdata("faces/penny/1.png"), &alike).expect("copy");
    std::fs::copy(
        testdata("faces/raj/1.png"),
        photos.join("IMG_0007-edited.png"),
    )
    .expect("copy");
    takeout(
        "IMG_0007.png.supplemental-metadata.json",
        "IMG_0007.png",
        &[raj],
    );
    // Listed in another order than they stand, as Google lists them.
    let [bbt3, bbt5] =
        ["scenes/bbt3.jpg", "scenes/bbt5.jpg"].map(|file| copy_into(&photos, &[file]).remove(0));
    list(&bbt3, &["Penny", leonard, raj, sheldon, howard]);
    list(&bbt5, &[howard, "Penny", leonard, sheldon, raj]);
    // Edited versions of both, copies that share their JSONs: everyone is listed twice for
    // each picture, and must still be found once, Penny by elimination.
    edit_in_google_photos(&bbt3);
    edit_in_google_photos(&bbt5);
    // One face and two people listed, neither known: nobody can tell.
    let amy = copy_into(&photos, &["faces/amy/1.png"]).remove(0);
    list(&amy, &["Amy Farrah Fowler", "Bernadette"]);

    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let algorithm = settings::load(&catalog).expect("settings");
    scan(&mut catalog, &photos);
    let report = assign::update(&mut catalog, &algorithm).expect("place");

    let named = |n: &str| Some(n.to_owned());
    assert_eq!(
        names_left_to_right(&catalog, &bbt3),
        [
            named(sheldon),
            named(howard),
            named("Penny"),
            named(raj),
            named(leonard)
        ]
    );
    assert_eq!(
        names_left_to_right(&catalog, &bbt5),
        [
            named(raj),
            named("Penny"),
            named(sheldon),
            named(leonard),
            named(howard)
        ]
    );
    assert_eq!(names_left_to_right(&catalog, &amy), [None]);
    // Penny's portrait joins her by clustering, not Howard by his JSON.
    assert_eq!(names_left_to_right(&catalog, &alike), [named("Penny")]);
    assert_eq!(report.tagged, 4 + 5 + 5, "{report:?}");
    let (penny, _) = catalog.find_persons("penny").expect("find")[0].clone();
    // Named from the listings (pinned) in the two group photos; her portrait by clustering.
    let pinned: Vec<bool> = catalog
        .faces_of_person(penny)
        .expect("faces")
        .iter()
        .map(|f| f.pinned)
        .collect();
    assert_eq!(pinned.iter().filter(|p| **p).count(), 2, "{pinned:?}");
    assert_eq!(pinned.len(), 3);

    // The user says the face in bbt5 is not Penny; the photo's JSON, read again, names nobody
    // else Penny, and the listing does not come back for the face either.
    let bbt5_penny = catalog
        .faces_of_person(penny)
        .expect("faces")
        .into_iter()
        .find(|f| f.photo_path == bbt5.canonicalize().expect("path"))
        .expect("Penny in bbt5");
    catalog
        .reject_person(bbt5_penny.id, penny)
        .expect("not Penny");
    touch(Path::new(&format!("{}.json", bbt5.display())), 1);
    scan(&mut catalog, &photos);
    assign::update(&mut catalog, &algorithm).expect("place");
    let after = names_left_to_right(&catalog, &bbt5);
    assert_ne!(after[1], named("Penny"), "{after:?}");
    assert_eq!(after.iter().filter(|n| *n == &named("Penny")).count(), 0);
    assert_eq!(after[0], named(raj));
}

/// A photo listing one person, where Kith found one face that is not them (it missed theirs),
/// must not give the stranger the name: photos of someone not yet seen are named only where
/// they agree on what that person looks like, and later faces must look like them.
#[test]
fn a_stranger_left_alone_in_a_listed_photo_is_not_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("Takeout");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let list_sheldon = |photo: &Path| {
        let json = r#"{"people": [{"name": "Sheldon Cooper"}]}"#;
        std::fs::write(format!("{}.json", photo.display()), json).expect("json");
    };
    let [amy, first] =
        ["faces/amy/3.png", "faces/sheldon/1.png"].map(|f| copy_into(&photos, &[f]).remove(0));
    list_sheldon(&amy);
    list_sheldon(&first);
    let algorithm = settings::load(&Catalog::open(&dir.path().join("c.sqlite")).expect("catalog"))
        .expect("settings");
    // Three photos listing him, each with a stranger of its own: nobody is named.
    let strangers = dir.path().join("strangers");
    std::fs::create_dir_all(&strangers).expect("mkdir");
    for face in [
        "faces/stuart/1.png",
        "faces/bernadette/1.png",
        "faces/penny/1.png",
    ] {
        list_sheldon(&copy_into(&strangers, &[face]).remove(0));
    }
    let mut elsewhere = Catalog::open(&dir.path().join("strangers.sqlite")).expect("catalog");
    scan(&mut elsewhere, &strangers);
    let report = assign::update(&mut elsewhere, &algorithm).expect("place");
    assert_eq!(report.tagged, 0, "{report:?}");

    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    scan(&mut catalog, &photos);
    // Two photos, two faces far apart: either could be him.
    let report = assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(report.tagged, 0, "{report:?}");

    // A third photo of him: two of three agree.
    let second = copy_into(&photos, &["faces/sheldon/3.png"]).remove(0);
    list_sheldon(&second);
    scan(&mut catalog, &photos);
    let report = assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(report.tagged, 2, "{report:?}");
    for photo in [&first, &second] {
        assert_eq!(
            names_left_to_right(&catalog, photo),
            [Some("Sheldon Cooper".to_owned())]
        );
    }
    assert_eq!(names_left_to_right(&catalog, &amy), [None]);
}

/// A catalog from a Kith that read less beside photos (it kept no lists of people): the photos
/// with sidecars are read again by the next scan, once, and the others are not.
#[test]
fn photos_with_sidecars_are_read_again_once_kith_reads_more_beside_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("Takeout");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let [ian, group, _plain] = [
        "faces/ian_thorpe/1.jpg",
        "scenes/bbt3.jpg",
        "faces/john_mccain/1.jpg",
    ]
    .map(|file| copy_into(&photos, &[file]).remove(0));
    for (photo, people) in [
        (&ian, r#"[{"name": "Ian"}]"#),
        (&group, r#"[{"name": "Penny"}]"#),
    ] {
        let json = format!(r#"{{"people": {people}}}"#);
        std::fs::write(format!("{}.json", photo.display()), json).expect("json");
    }
    let path = dir.path().join("c.sqlite");
    let mut catalog = Catalog::open(&path).expect("catalog");
    assert_eq!(scan(&mut catalog, &photos).photos, 3);
    let listed = |path: &Path| -> i64 {
        let db = rusqlite::Connection::open(path).expect("open");
        db.query_row("SELECT COUNT(*) FROM listed_people", [], |r| r.get(0))
            .expect("count")
    };
    assert_eq!(listed(&path), 2);

    // As an older Kith left it.
    let db = rusqlite::Connection::open(&path).expect("open");
    db.execute_batch("UPDATE photos SET sidecars_read = 0; DELETE FROM listed_people;")
        .expect("older");
    drop(db);
    let again = scan(&mut catalog, &photos);
    assert_eq!((again.photos, again.skipped), (2, 1), "{again:?}");
    assert_eq!(listed(&path), 2);
    assert_eq!(scan(&mut catalog, &photos).photos, 0);
}

/// Where nobody listed can be told apart yet, the names the user gives let the next placing
/// find the rest: the one person left by elimination, and that person elsewhere by recognition.
#[test]
fn people_google_listed_are_found_once_the_user_names_the_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("Takeout");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let names = ["Sheldon", "Howard", "Penny", "Raj", "Leonard"];
    let [bbt3, bbt5] =
        ["scenes/bbt3.jpg", "scenes/bbt5.jpg"].map(|file| copy_into(&photos, &[file]).remove(0));
    for photo in [&bbt3, &bbt5] {
        let people: Vec<_> = names
            .iter()
            .map(|n| serde_json::json!({"name": n}))
            .collect();
        let json = serde_json::json!({"people": people}).to_string();
        std::fs::write(format!("{}.json", photo.display()), json).expect("json");
    }
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let algorithm = settings::load(&catalog).expect("settings");
    scan(&mut catalog, &photos);
    assert_eq!(
        assign::update(&mut catalog, &algorithm)
            .expect("place")
            .tagged,
        0
    );
    assert!(names_left_to_right(&catalog, &bbt3)
        .iter()
        .all(Option::is_none));

    // The user names everyone in bbt3 but Penny, each face alone.
    let faces = photo_faces_left_to_right(&catalog, &bbt3);
    for (face, name) in faces.iter().zip(names) {
        if name != "Penny" {
            catalog.split_faces(&[face.id], Some(name)).expect("name");
        }
    }
    let report = assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(
        names_left_to_right(&catalog, &bbt3)[2].as_deref(),
        Some("Penny")
    );
    let bbt5_names = names_left_to_right(&catalog, &bbt5);
    assert_eq!(bbt5_names[1].as_deref(), Some("Penny"), "{bbt5_names:?}");
    assert!(report.tagged >= 2, "{report:?}");
}

/// Writes `photo-edited.jpg` beside `photo.jpg` as Google Photos' export would after an edit
/// there: cropped close to the right of a face (whose thumbnail the crop then cuts), the faces
/// kept whole, and brightened.
fn edit_in_google_photos(photo: &Path) {
    let mut boxes: Vec<[f32; 4]> = faces_and_regions(photo)
        .into_iter()
        .map(|(b, _)| b)
        .collect();
    boxes.sort_by(|a, b| a[0].total_cmp(&b[0]));
    let cut = boxes
        .windows(2)
        .skip(1)
        .find(|pair| pair[0][0] + pair[0][2] * 1.2 < pair[1][0])
        .map(|pair| (pair[0][0] + pair[0][2] * 1.1) as u32)
        .unwrap_or_else(|| panic!("no gap between faces: {boxes:?}"));
    let picture = image::open(photo).expect("decode").to_rgb8();
    let cropped = image::imageops::crop_imm(&picture, 0, 0, cut, picture.height()).to_image();
    let edited = image::imageops::colorops::brighten(&cropped, 12);
    let stem = photo.file_stem().expect("name").to_string_lossy();
    let path = photo.with_file_name(format!("{stem}-edited.jpg"));
    std::fs::write(path, common::jpeg(&edited)).expect("edit");
}

/// Google Photos keeps a photo edited there beside the original (`photo-edited.jpg`): cropped
/// and retouched, it is still the same picture, counted once; another photo that only has such
/// a name is not.
#[test]
fn versions_edited_in_google_photos_are_copies_even_when_cropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("Photos from 2019");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let original = photos.join("IMG_0042.jpg");
    std::fs::copy(testdata("group/sample5.jpg"), &original).expect("copy");
    edit_in_google_photos(&original);
    // Two photos of Ian, one named as if edited from the other.
    std::fs::copy(
        testdata("faces/ian_thorpe/1.jpg"),
        photos.join("IMG_0050.jpg"),
    )
    .expect("copy");
    std::fs::copy(
        testdata("faces/ian_thorpe/2.jpg"),
        photos.join("IMG_0050-edited.jpg"),
    )
    .expect("copy");

    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let algorithm = settings::load(&catalog).expect("settings");
    scan(&mut catalog, &photos);
    let report = assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(report.copies, 1, "{report:?}");
    let groups = catalog.copy_groups().expect("groups");
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert!(groups[0].original.ends_with("IMG_0042.jpg"), "{groups:?}");
    assert!(groups[0].copies[0].ends_with("IMG_0042-edited.jpg"));
    // Counted twice, each face kept by the crop would be a person of two faces; Ian is one.
    let sizes: Vec<usize> = catalog
        .persons(true)
        .expect("persons")
        .iter()
        .map(|p| p.faces)
        .collect();
    assert_eq!(sizes, [2]);
}

/// None of the shared labelled photos is a copy of another, though some are aligned crops of one
/// person facing the camera the same way.
#[test]
fn different_photos_of_a_person_are_not_taken_for_copies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = library(dir.path());
    let pictures = catalog.pictures().expect("pictures");
    assert!(pictures.len() > 90, "{}", pictures.len());
    let copies: Vec<_> = pictures.iter().filter(|p| p.copy_of.is_some()).collect();
    assert!(copies.is_empty(), "{copies:?}");
}

/// The names of the face regions and the people shown in an XMP sidecar.
fn sidecar_names(path: &Path) -> (Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string(path).expect("sidecar");
    let doc = roxmltree::Document::parse(&text).expect("XML");
    let mwg = "http://www.metadataworkinggroup.com/schemas/regions/";
    let regions = doc
        .descendants()
        .filter_map(|n| n.attribute((mwg, "Name")))
        .map(str::to_owned)
        .collect();
    let people = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "PersonInImage")
        .flat_map(|n| n.descendants().filter(|li| li.tag_name().name() == "li"))
        .filter_map(|li| li.text())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    (regions, people)
}

/// The names given in Kith go into XMP sidecars, where another library reads them back; another
/// app's sidecar keeps what it held; the photos are never touched and nothing is analysed again.
#[test]
fn names_written_into_sidecars_are_read_back_and_keep_what_other_apps_wrote() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("photos");
    // The copy's folder comes last, so that the copy is catalogued after its original.
    std::fs::create_dir_all(photos.join("zcopy")).expect("mkdir");
    let [howard, leonard, group] = [
        "faces/howard/1.png",
        "faces/leonard/1.png",
        "scenes/bbt3.jpg",
    ]
    .map(|file| copy_into(&photos, &[file]).remove(0));
    let copy = photos.join("zcopy/leonard.png");
    std::fs::copy(&leonard, &copy).expect("copy");
    // darktable's sidecar for the group photo, with a face Kith does not see (in a corner), and
    // Lightroom's for Howard's portrait, named by the stem.
    let darktable = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:darktable="http://darktable.sf.net/"
    xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
    xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#" darktable:xmp_version="5">
   <darktable:history><rdf:Seq><rdf:li darktable:operation="exposure"/></rdf:Seq></darktable:history>
   <mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:RegionList><rdf:Bag>
    <rdf:li><rdf:Description mwg-rs:Name="Grandpa" mwg-rs:Type="Face">
     <mwg-rs:Area stArea:x="0.02" stArea:y="0.02" stArea:w="0.03" stArea:h="0.03" stArea:unit="normalized"/>
    </rdf:Description></rdf:li>
   </rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"#;
    let group_sidecar = PathBuf::from(format!("{}.xmp", group.display()));
    std::fs::write(&group_sidecar, darktable).expect("sidecar");
    let lightroom = howard.with_extension("xmp");
    std::fs::write(
        &lightroom,
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="4"/></rdf:RDF></x:xmpmeta>"#,
    )
    .expect("sidecar");
    // One a crash left empty.
    let empty = PathBuf::from(format!("{}.xmp", leonard.display()));
    std::fs::write(&empty, "").expect("sidecar");
    let bytes = |paths: &[&PathBuf]| -> Vec<Vec<u8>> {
        paths
            .iter()
            .map(|p| std::fs::read(p).expect("read"))
            .collect()
    };
    let photo_bytes = bytes(&[&howard, &leonard, &group, &copy]);

    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let algorithm = settings::load(&catalog).expect("settings");
    assert_eq!(scan(&mut catalog, &photos).photos, 4);
    assign::update(&mut catalog, &algorithm).expect("place");
    let cast = ["Sheldon", "Howard", "Penny", "Raj", "Leonard"];
    let mut persons = HashMap::new();
    for (face, name) in faces_left_to_right(&catalog, &group).into_iter().zip(cast) {
        persons.insert(
            name,
            catalog.split_faces(&[face], Some(name)).expect("name"),
        );
    }
    catalog
        .move_face(faces_left_to_right(&catalog, &howard)[0], persons["Howard"])
        .expect("move");
    catalog
        .move_face(
            faces_left_to_right(&catalog, &leonard)[0],
            persons["Leonard"],
        )
        .expect("move");
    let write = |catalog: &mut Catalog, dry_run: bool| {
        kith::name_sidecars::write(catalog, dry_run, &mut |_, _| {}).expect("writes")
    };
    let canonical = |p: &Path| p.canonicalize().expect("path");
    let sidecar_of = |p: &Path| PathBuf::from(format!("{}.xmp", canonical(p).display()));

    let dry = write(&mut catalog, true);
    let mut expected = vec![
        sidecar_of(&copy),
        sidecar_of(&leonard),
        canonical(&lightroom),
        sidecar_of(&group),
    ];
    expected.sort();
    let mut written = dry.written.clone();
    written.sort();
    assert_eq!(written, expected, "{dry:?}");
    assert!(!sidecar_of(&copy).exists(), "a dry run writes nothing");
    assert_eq!(std::fs::read(&empty).expect("read"), b"");
    assert_eq!(
        std::fs::read_to_string(&group_sidecar).expect("read"),
        darktable
    );

    let report = write(&mut catalog, false);
    assert_eq!((report.written.len(), report.faces), (4, 8), "{report:?}");
    assert_eq!(bytes(&[&howard, &leonard, &group, &copy]), photo_bytes);
    let (regions, people) = sidecar_names(&group_sidecar);
    assert_eq!(regions[0], "Grandpa", "another app's face stays first");
    let mut sorted: Vec<&str> = regions[1..].iter().map(String::as_str).collect();
    sorted.sort();
    assert_eq!(sorted, ["Howard", "Leonard", "Penny", "Raj", "Sheldon"]);
    assert!(people.contains(&"Penny".to_string()), "{people:?}");
    let edited = std::fs::read_to_string(&group_sidecar).expect("read");
    assert!(
        edited.contains(r#"<darktable:history><rdf:Seq><rdf:li darktable:operation="exposure"/>"#)
    );
    assert_eq!(sidecar_names(&lightroom).0, ["Howard"]);
    assert!(std::fs::read_to_string(&lightroom)
        .expect("read")
        .contains(r#"xmp:Rating="4""#));
    assert_eq!(
        sidecar_names(&sidecar_of(&copy)).0,
        ["Leonard"],
        "a copy gets its original's names"
    );

    // Nothing is analysed again, and nothing is new to write.
    let again = scan(&mut catalog, &photos);
    assert_eq!((again.photos, again.skipped), (0, 4), "{again:?}");
    let same = write(&mut catalog, false);
    assert_eq!((same.written.len(), same.unchanged), (0, 4), "{same:?}");

    // Another library reads the names back.
    let mut other = Catalog::open(&dir.path().join("other.sqlite")).expect("catalog");
    scan(&mut other, &photos);
    assign::update(&mut other, &algorithm).expect("place");
    let expected: Vec<Option<String>> = cast.iter().map(|n| Some(n.to_string())).collect();
    assert_eq!(names_left_to_right(&other, &group), expected);
    assert_eq!(
        names_left_to_right(&other, &howard),
        [Some("Howard".to_string())]
    );

    // A rename and a "not this person" are written over Kith's old regions.
    catalog
        .name_person(persons["Howard"], "Howard Wolowitz")
        .expect("rename");
    catalog
        .not_this_person(faces_left_to_right(&catalog, &leonard)[0])
        .expect("not");
    let changed = write(&mut catalog, false);
    assert_eq!(changed.written.len(), 4, "{changed:?}");
    assert_eq!(
        sidecar_names(&lightroom),
        (
            vec!["Howard Wolowitz".to_string()],
            vec!["Howard Wolowitz".to_string()]
        )
    );
    assert_eq!(sidecar_names(&sidecar_of(&leonard)), (vec![], vec![]));
    assert!(!sidecar_names(&group_sidecar)
        .1
        .contains(&"Howard".to_string()));

    // Another app edits a sidecar: it is left alone until a scan has read it.
    let edited = std::fs::read_to_string(&group_sidecar)
        .expect("read")
        .replace(">Penny<", ">Penny Hofstadter<");
    std::fs::write(&group_sidecar, &edited).expect("edit");
    touch(&group_sidecar, 2);
    let waiting = write(&mut catalog, false);
    assert_eq!(
        (waiting.not_scanned, waiting.written.len()),
        (1, 0),
        "{waiting:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&group_sidecar).expect("read"),
        edited
    );
    scan(&mut catalog, &photos);
    assert_eq!(write(&mut catalog, false).not_scanned, 0);
}

/// The cast of scenes/bbt3.jpg, left to right.
const CAST: [&str; 5] = ["Sheldon", "Howard", "Penny", "Raj", "Leonard"];

/// A library whose folder `dir/album` holds copies of scenes/bbt3.jpg and of `other`, scanned
/// and placed, the group's faces named as [`CAST`] (one person each); and an empty folder
/// `dir/<elsewhere>` to move photos into.
struct Album {
    catalog: Catalog,
    algorithm: Algorithm,
    album: PathBuf,
    elsewhere: PathBuf,
    group: PathBuf,
    other: PathBuf,
    /// The group's faces and their persons, left to right.
    group_faces: Vec<i64>,
    cast: Vec<i64>,
}

fn album_with_the_cast(dir: &Path, other: &str, elsewhere: &str) -> Album {
    let (album, elsewhere) = (dir.join("album"), dir.join(elsewhere));
    for folder in [&album, &elsewhere] {
        std::fs::create_dir_all(folder).expect("mkdir");
    }
    let [group, other] =
        ["scenes/bbt3.jpg", other].map(|file| copy_into(&album, &[file]).remove(0));
    let mut catalog = Catalog::open(&dir.join("c.sqlite")).expect("catalog");
    let algorithm = settings::load(&catalog).expect("settings");
    assert_eq!(scan(&mut catalog, &album).photos, 2);
    assign::update(&mut catalog, &algorithm).expect("place");
    let group_faces = faces_left_to_right(&catalog, &group);
    let cast = group_faces
        .iter()
        .zip(CAST)
        .map(|(&face, name)| catalog.split_faces(&[face], Some(name)).expect("name"))
        .collect();
    Album {
        catalog,
        algorithm,
        album,
        elsewhere,
        group,
        other,
        group_faces,
        cast,
    }
}

/// A photo renamed, or moved into another folder, is the same photo: not analysed again, with its
/// faces and what the user decided about them. One copied, its original still there, is not.
#[test]
fn photos_moved_or_renamed_keep_their_faces_and_the_users_decisions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Album {
        mut catalog,
        algorithm,
        album,
        elsewhere: other,
        group,
        other: howard,
        group_faces,
        cast,
    } = album_with_the_cast(dir.path(), "faces/howard/1.png", "other");
    let sheldon = cast[0];
    let portrait = faces_left_to_right(&catalog, &howard)[0];
    catalog
        .reject_person(portrait, sheldon)
        .expect("not Sheldon");

    // Sorted into a year's folder under a new name, and into the library's other folder.
    std::fs::create_dir_all(album.join("2019")).expect("mkdir");
    let party = album.join("2019/party.jpg");
    std::fs::rename(&group, &party).expect("rename");
    let howard_moved = other.join("howard.png");
    std::fs::rename(&howard, &howard_moved).expect("move");
    let first = scan(&mut catalog, &album);
    assert_eq!(
        (first.photos, first.moved, first.missing),
        (0, 1, 1),
        "{first:?}"
    );
    let second = scan(&mut catalog, &other);
    assert_eq!((second.photos, second.moved), (0, 1), "{second:?}");
    assign::update(&mut catalog, &algorithm).expect("place");

    assert_eq!(faces_left_to_right(&catalog, &party), group_faces);
    let expected: Vec<Option<String>> = CAST.iter().map(|n| Some(n.to_string())).collect();
    assert_eq!(names_left_to_right(&catalog, &party), expected);
    assert_eq!(faces_left_to_right(&catalog, &howard_moved), [portrait]);
    assert!(catalog
        .not_person_facts()
        .expect("facts")
        .contains(&(portrait, sheldon)));
    let ok = catalog.readable_photos().expect("photos").len();
    assert_eq!(
        ok, 2,
        "no photo is left behind as missing, none counted twice"
    );

    // A copy is a new file, its original still where the catalog has it.
    std::fs::copy(&party, other.join("copy.jpg")).expect("copy");
    let third = scan(&mut catalog, &other);
    assert_eq!((third.photos, third.moved), (1, 0), "{third:?}");
}

/// A library that keeps its sidecars up to date writes, after each change, only the photos whose
/// names changed; until it is asked to, it writes nothing.
#[test]
fn sidecars_kept_up_to_date_are_written_only_where_names_changed() {
    use kith::name_sidecars::{keep_up, set_keeping};
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let [group, howard] =
        ["scenes/bbt3.jpg", "faces/howard/1.png"].map(|file| copy_into(&photos, &[file]).remove(0));
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    scan(&mut catalog, &photos);
    let cast = ["Sheldon", "Howard", "Penny", "Raj", "Leonard"];
    let mut persons = HashMap::new();
    for (face, name) in faces_left_to_right(&catalog, &group).into_iter().zip(cast) {
        persons.insert(
            name,
            catalog.split_faces(&[face], Some(name)).expect("name"),
        );
    }
    let sidecar = |photo: &Path| PathBuf::from(format!("{}.xmp", photo.display()));
    let written = |catalog: &mut Catalog| -> Vec<PathBuf> {
        let report = keep_up(catalog).expect("keeps").expect("kept");
        let names = report
            .written
            .iter()
            .map(|p| p.file_name().expect("name").into());
        names.collect()
    };
    assert_eq!(keep_up(&mut catalog).expect("keeps"), None);
    assert!(!sidecar(&group).exists());

    set_keeping(&catalog, true).expect("keep");
    assert_eq!(
        written(&mut catalog),
        [PathBuf::from("scenes_bbt3.jpg.xmp")]
    );
    assert_eq!(
        written(&mut catalog),
        Vec::<PathBuf>::new(),
        "nothing changed"
    );
    catalog
        .move_face(faces_left_to_right(&catalog, &howard)[0], persons["Howard"])
        .expect("move");
    assert_eq!(
        written(&mut catalog),
        [PathBuf::from("faces_howard_1.png.xmp")]
    );
    catalog
        .name_person(persons["Penny"], "Penny Hofstadter")
        .expect("rename");
    assert_eq!(
        written(&mut catalog),
        [PathBuf::from("scenes_bbt3.jpg.xmp")]
    );
    assert_eq!(sidecar_names(&sidecar(&group)).0[2], "Penny Hofstadter");
    // Undone, the name goes back into the sidecar too.
    catalog.undo().expect("undo");
    assert_eq!(
        written(&mut catalog),
        [PathBuf::from("scenes_bbt3.jpg.xmp")]
    );
    assert_eq!(sidecar_names(&sidecar(&group)).0[2], "Penny");
    // Hidden, a person's region stays as it is, in its place: nothing to write either way.
    let nothing: Vec<PathBuf> = Vec::new();
    catalog.hide_person(persons["Penny"], true).expect("hide");
    assert_eq!(written(&mut catalog), nothing);
    catalog.hide_person(persons["Penny"], false).expect("show");
    assert_eq!(written(&mut catalog), nothing);

    set_keeping(&catalog, false).expect("stop");
    catalog
        .name_person(persons["Raj"], "Rajesh")
        .expect("rename");
    assert_eq!(keep_up(&mut catalog).expect("keeps"), None);
    assert_eq!(sidecar_names(&sidecar(&group)).0[3], "Raj");
}

/// The shared library with everyone named, and `folder/far.jpg` beside it: Amy's and Leonard's
/// faces shrunk into a 5000 x 3750 frame (see [`common::far_faces`]), not scanned yet. Returns
/// the catalog, the people by folder name, the photo's path and its pixels.
fn far_off_amy_and_leonard(
    dir: &Path,
    folder: &str,
) -> (Catalog, HashMap<String, i64>, PathBuf, image::RgbImage) {
    let mut catalog = library(dir);
    let named = name_everyone(&mut catalog);
    let photos = dir.join(folder);
    std::fs::create_dir_all(&photos).expect("mkdir");
    let far = photos.join("far.jpg");
    let frame = common::far_faces(&[
        ("faces/amy/5.png", 1200, 1500),
        ("faces/leonard/5.png", 3500, 1500),
    ]);
    std::fs::write(&far, common::jpeg(&frame)).expect("write");
    (catalog, named, far, frame)
}

#[test]
fn faces_the_scan_missed_are_drawn_placed_and_kept_through_rescans() {
    use kith::scan::drawn::{draw_face, DrawError};
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut catalog, named, far, frame) = far_off_amy_and_leonard(dir.path(), "far");
    let photos = dir.path().join("far");
    let first = scan(&mut catalog, &photos);
    assert_eq!((first.photos, first.faces), (1, 0), "the scan misses both");
    let (photo, _) = catalog
        .photo_status(&far.canonicalize().expect("path"))
        .expect("status")
        .expect("catalogued");

    let analyzer = common::analyzer();
    let amy = draw_face(&mut catalog, analyzer, photo, [1200.0, 1500.0, 50.0, 50.0]).expect("amy");
    // Drawn from its bottom right corner: the same box.
    let leonard = draw_face(
        &mut catalog,
        analyzer,
        photo,
        [3550.0, 1550.0, -50.0, -50.0],
    )
    .expect("leonard");
    // A box around no face at all is the user's word too: aligned by the box alone.
    let nothing =
        draw_face(&mut catalog, analyzer, photo, [400.0, 400.0, 60.0, 60.0]).expect("nothing");
    for drawn in [&amy, &leonard] {
        let score = drawn.score.expect("found up close");
        assert!(score > 0.9, "{drawn:?}");
        let [x, y, w, h] = drawn.bbox;
        assert!(w > 20.0 && h > 20.0 && w <= 60.0, "{drawn:?}");
        assert!((x + w / 2.0 - (1225.0 + if drawn == &amy { 0.0 } else { 2300.0 })).abs() < 15.0);
        assert!((y + h / 2.0 - 1525.0).abs() < 15.0, "{drawn:?}");
    }
    assert_eq!(nothing.score, None);
    assert_eq!(nothing.bbox, [400.0, 400.0, 60.0, 60.0]);
    let again = draw_face(&mut catalog, analyzer, photo, [1195.0, 1495.0, 55.0, 55.0]);
    assert!(again.is_err_and(|e| e.to_string().contains("already there")));
    let tiny = draw_face(&mut catalog, analyzer, photo, [10.0, 10.0, 12.0, 30.0]);
    assert!(matches!(tiny, Err(DrawError::TooSmall(..))), "{tiny:?}");

    // Placed like any new face: each with their person, the box around nothing with nobody.
    let algorithm = settings::load(&catalog).expect("settings");
    assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(person_of(&catalog, amy.face), Some(named["amy"]));
    assert_eq!(person_of(&catalog, leonard.face), Some(named["leonard"]));
    assert_eq!(person_of(&catalog, nothing.face), None);
    catalog
        .move_face(nothing.face, named["howard"])
        .expect("the user says who");

    // Saved again at the same size, the photo is analysed again: the drawn faces stay, with
    // their people, and the scan still finds none of its own there.
    std::fs::write(&far, {
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 75)
            .encode_image(&frame)
            .expect("encode");
        jpeg
    })
    .expect("re-encode");
    touch(&far, 5);
    let rescan = scan(&mut catalog, &photos);
    assert_eq!((rescan.photos, rescan.faces), (1, 0));
    assign::update(&mut catalog, &algorithm).expect("place");
    let faces = catalog.photo_faces(photo).expect("faces");
    assert_eq!(
        faces.iter().map(|f| (f.id, f.drawn)).collect::<Vec<_>>(),
        vec![(nothing.face, true), (amy.face, true), (leonard.face, true)]
    );
    assert_eq!(person_of(&catalog, amy.face), Some(named["amy"]));
    assert_eq!(person_of(&catalog, nothing.face), Some(named["howard"]));

    // Taken away by the user; a face the scan found is ignored instead.
    catalog.remove_drawn_face(nothing.face).expect("remove");
    assert!(catalog.face(nothing.face).expect("face").is_none());
    let detected = catalog
        .faces_of_person(named["amy"])
        .expect("faces")
        .iter()
        .find(|f| !f.drawn)
        .expect("a face the scan found")
        .id;
    assert!(catalog.remove_drawn_face(detected).is_err());

    // Cropped, the photo's boxes no longer fit it: the drawn faces go with the old pixels.
    let cropped = image::imageops::crop_imm(&frame, 1000, 0, 4000, 3750).to_image();
    std::fs::write(&far, common::jpeg(&cropped)).expect("crop");
    touch(&far, 10);
    scan(&mut catalog, &photos);
    assert!(catalog.photo_faces(photo).expect("faces").is_empty());
}

/// `jpeg` with an EXIF block saying it was taken at 2019-07-14 18:03:22.
fn taken_on_a_summer_evening(jpeg: &[u8]) -> Vec<u8> {
    // One IFD entry: DateTime (0x0132), 20 ASCII bytes at offset 26 of the TIFF block.
    let mut exif =
        b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x32\0\x02\0\0\0\x14\0\0\0\x1a\0\0\0\0".to_vec();
    exif.extend_from_slice(b"2019:07:14 18:03:22\0");
    with_app1(jpeg, &exif)
}

/// `jpeg` with EXIF saying it was taken at 18:03:22 and `fraction` of that second (SubSecTime
/// digits), where given, as cameras and phones write it.
fn shot_at(jpeg: &[u8], fraction: Option<&str>) -> Vec<u8> {
    use exif::{Field, In, Tag, Value};
    let ascii = |tag, text: &str| Field {
        tag,
        ifd_num: In::PRIMARY,
        value: Value::Ascii(vec![text.as_bytes().to_vec()]),
    };
    let taken = ascii(Tag::DateTimeOriginal, "2019:07:14 18:03:22");
    let sub_second = fraction.map(|digits| ascii(Tag::SubSecTimeOriginal, digits));
    let mut writer = exif::experimental::Writer::new();
    writer.push_field(&taken);
    if let Some(field) = &sub_second {
        writer.push_field(field);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, false).expect("exif");
    let mut body = b"Exif\0\0".to_vec();
    body.extend_from_slice(&tiff.into_inner());
    with_app1(jpeg, &body)
}

/// Shots of one burst share their second and their faces' places, as copies of one picture do;
/// the fraction of the second the camera recorded tells them apart. A copy keeps its fraction,
/// or loses it in an app that drops it, and is still the copy it is.
#[test]
fn shots_of_one_burst_are_not_copies_of_each_other() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picture = image::open(testdata("scenes/bbt3.jpg"))
        .expect("decode")
        .to_rgb8();
    // The next shot, a tenth of a second on: the same people where they were, a shade lighter.
    let next = image::ImageBuffer::from_fn(picture.width(), picture.height(), |x, y| {
        image::Rgb(picture.get_pixel(x, y).0.map(|v| v.saturating_add(6)))
    });
    let burst = dir.path().join("burst");
    std::fs::create_dir_all(&burst).expect("mkdir");
    let first = shot_at(&common::jpeg(&picture), Some("10"));
    std::fs::write(burst.join("IMG_0001.jpg"), &first).expect("write");
    std::fs::write(
        burst.join("IMG_0002.jpg"),
        shot_at(&common::jpeg(&next), Some("20")),
    )
    .expect("write");
    let copies = |folders: &[&Path]| {
        let mut catalog = Catalog::open(&folders[0].with_extension("sqlite")).expect("catalog");
        let algorithm = settings::load(&catalog).expect("settings");
        for folder in folders {
            scan(&mut catalog, folder);
        }
        assign::update(&mut catalog, &algorithm).expect("place");
        catalog.copy_groups().expect("groups")
    };
    assert!(copies(&[&burst]).is_empty(), "two shots, not one picture");

    // A catalog written before the fraction was kept took them for one picture. Its next placing
    // reads their times again from the files, once: the shots come apart, and the faces of the
    // second join the people of the first's again.
    let mut old = Catalog::open(&burst.with_extension("sqlite")).expect("catalog");
    let shots: Vec<i64> = ["IMG_0001.jpg", "IMG_0002.jpg"]
        .iter()
        .map(|name| {
            let path = burst.join(name).canonicalize().expect("path");
            old.photo_status(&path).expect("read").expect("scanned").0
        })
        .collect();
    for &shot in &shots {
        old.set_taken_at(shot, "2019-07-14T18:03:22").expect("time");
    }
    let from_the_left = |catalog: &Catalog, photo| {
        let mut faces = catalog.faces_of_photo(photo).expect("faces");
        faces.sort_by(|a, b| a.bbox[0].total_cmp(&b.bbox[0]));
        faces
    };
    let pairs: Vec<(i64, i64)> = from_the_left(&old, shots[1])
        .iter()
        .zip(&from_the_left(&old, shots[0]))
        .map(|(copy, original)| (copy.id, original.id))
        .collect();
    old.mark_copies(&[NewCopy {
        photo: shots[1],
        original: shots[0],
        faces: pairs,
    }])
    .expect("mark");
    old.remove_setting("copies.fractions_read")
        .expect("as before");
    assert_eq!(old.copy_groups().expect("groups").len(), 1);
    let algorithm = settings::load(&old).expect("settings");
    assign::update(&mut old, &algorithm).expect("place");
    assert!(old.copy_groups().expect("groups").is_empty());
    let taken = |photo| old.photo(photo).expect("read").expect("photo").taken_at;
    assert_eq!(taken(shots[1]).as_deref(), Some("2019-07-14T18:03:22.2"));
    let people_in = |photo| -> Vec<Option<i64>> {
        from_the_left(&old, photo)
            .iter()
            .map(|f| f.person)
            .collect()
    };
    assert!(people_in(shots[0]).iter().all(Option::is_some));
    assert_eq!(people_in(shots[1]), people_in(shots[0]));

    // The first shot saved again elsewhere, keeping its fraction or losing it: a copy.
    for fraction in [Some("10"), None] {
        let saved = dir.path().join(format!("saved-{fraction:?}"));
        std::fs::create_dir_all(&saved).expect("mkdir");
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 70)
            .encode_image(&picture)
            .expect("encode");
        std::fs::write(saved.join("IMG_0001.jpg"), shot_at(&jpeg, fraction)).expect("write");
        let first_only = dir.path().join(format!("first-{fraction:?}"));
        std::fs::create_dir_all(&first_only).expect("mkdir");
        std::fs::write(first_only.join("IMG_0001.jpg"), &first).expect("write");
        let groups = copies(&[&first_only, &saved]);
        assert_eq!(groups.len(), 1, "{fraction:?}: {groups:?}");
        assert_eq!(groups[0].copies.len(), 1, "{fraction:?}: {groups:?}");
    }
}

/// A photo cropped in another app and moved on the way is the missing photo it was, when both
/// say when they were taken: it takes the decisions made about that one's faces.
#[test]
fn photos_cropped_and_moved_keep_the_users_decisions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (album, sorted) = (dir.path().join("album"), dir.path().join("sorted"));
    for folder in [&album, &sorted] {
        std::fs::create_dir_all(folder).expect("mkdir");
    }
    let picture = image::open(testdata("scenes/bbt3.jpg"))
        .expect("decode")
        .to_rgb8();
    let group = album.join("bbt3.jpg");
    std::fs::write(&group, taken_on_a_summer_evening(&common::jpeg(&picture))).expect("write");
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let algorithm = settings::load(&catalog).expect("settings");
    assert_eq!(scan(&mut catalog, &album).faces, 5);
    assign::update(&mut catalog, &algorithm).expect("place");
    let faces = faces_left_to_right(&catalog, &group);
    for (&face, name) in faces.iter().zip(CAST) {
        catalog.split_faces(&[face], Some(name)).expect("name");
    }
    catalog
        .ignore_face(faces[3], true)
        .expect("the user's word");

    // Cropped to the faces' band, saved again with its date, moved; the original is gone.
    let (w, h) = picture.dimensions();
    let cropped = image::imageops::crop_imm(&picture, 0, 0, w, h * 2 / 3).to_image();
    let moved = sorted.join("party.jpg");
    std::fs::write(&moved, taken_on_a_summer_evening(&common::jpeg(&cropped))).expect("write");
    std::fs::remove_file(&group).expect("moved away");
    assert_eq!(scan(&mut catalog, &album).missing, 1);
    assert_eq!(scan(&mut catalog, &sorted).faces, 5);
    let report = assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(report.moved_and_changed, 1, "{report:?}");

    let now = photo_faces_left_to_right(&catalog, &moved);
    assert_eq!(now.len(), 5);
    assert!(
        now.iter().enumerate().all(|(i, f)| f.pinned == (i != 3)),
        "{now:?}"
    );
    assert!(now[3].ignored, "{now:?}");
    let mut expected: Vec<Option<String>> = CAST.iter().map(|n| Some(n.to_string())).collect();
    expected[3] = None;
    assert_eq!(names_left_to_right(&catalog, &moved), expected);
}

/// A photo on which the user drew a face, saved again elsewhere later: the copy has only the
/// faces the detector finds, and is still known as the same picture.
#[test]
fn a_copy_made_later_of_a_photo_with_a_drawn_face_is_known_as_a_copy() {
    use kith::scan::drawn::draw_face;
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut catalog, named, far, mut frame) = far_off_amy_and_leonard(dir.path(), "far");
    // Sheldon near the camera as well: a face the scan finds.
    let sheldon = image::open(testdata("faces/sheldon/1.png"))
        .expect("portrait")
        .to_rgb8();
    let sheldon =
        image::imageops::resize(&sheldon, 600, 600, image::imageops::FilterType::Triangle);
    image::imageops::overlay(&mut frame, &sheldon, 300, 300);
    std::fs::write(&far, common::jpeg(&frame)).expect("write");
    let photos = dir.path().join("far");
    assert_eq!(scan(&mut catalog, &photos).faces, 1);
    let path = far.canonicalize().expect("path");
    let (photo, _) = catalog
        .photo_status(&path)
        .expect("status")
        .expect("catalogued");
    let amy = draw_face(
        &mut catalog,
        common::analyzer(),
        photo,
        [1200.0, 1500.0, 50.0, 50.0],
    )
    .expect("amy");
    let algorithm = settings::load(&catalog).expect("settings");
    assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(person_of(&catalog, amy.face), Some(named["amy"]));
    let sheldons = catalog
        .person(named["sheldon"])
        .expect("read")
        .expect("sheldon")
        .faces;

    // Exported later at another quality into another folder.
    let exported = dir.path().join("exported");
    std::fs::create_dir(&exported).expect("mkdir");
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 70)
        .encode_image(&frame)
        .expect("encode");
    std::fs::write(exported.join("far.jpg"), jpeg).expect("copy");
    assert_eq!(scan(&mut catalog, &exported).faces, 1);
    assign::update(&mut catalog, &algorithm).expect("place");

    let groups = catalog.copy_groups().expect("groups");
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert!(groups[0].original.ends_with("far/far.jpg"), "{groups:?}");
    assert_eq!(groups[0].copies.len(), 1, "{groups:?}");
    // Counted once: Sheldon has no second face from the copy, and Amy keeps her drawn one.
    let now = catalog
        .person(named["sheldon"])
        .expect("read")
        .expect("sheldon");
    assert_eq!(now.faces, sheldons);
    assert_eq!(person_of(&catalog, amy.face), Some(named["amy"]));
}

/// Faces another app's user drew and named where Kith's detector finds none (people far off)
/// arrive as faces with those names, made as the user's own drawn faces are.
#[test]
fn named_regions_over_no_face_found_become_faces() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut catalog, named, far, _) = far_off_amy_and_leonard(dir.path(), "digikam");
    let photos = dir.path().join("digikam");
    // Loose boxes, as people draw them, in fractions of the 5000 x 3750 photo; and one too small
    // to be a face.
    let region = |x: f32, y: f32, side: f32| [x / 5000.0, y / 3750.0, side / 5000.0, side / 3750.0];
    let xmp = mwg_regions(&[
        ("AMY", region(1185.0, 1485.0, 80.0)),
        ("leonard", region(3490.0, 1490.0, 70.0)),
        ("Speck", region(100.0, 100.0, 8.0)),
    ]);
    std::fs::write(photos.join("far.jpg.xmp"), xmp).expect("sidecar");

    let scanned = scan(&mut catalog, &photos);
    assert_eq!(scanned.faces, 2, "{scanned:?}");
    let algorithm = settings::load(&catalog).expect("settings");
    assign::update(&mut catalog, &algorithm).expect("place");
    let faces = photo_faces_left_to_right(&catalog, &far);
    assert_eq!(
        faces.iter().map(|f| f.person).collect::<Vec<_>>(),
        vec![Some(named["amy"]), Some(named["leonard"])]
    );
    for (face, centre_x) in faces.iter().zip([1225.0, 3525.0]) {
        let [x, y, w, h] = face.bbox;
        assert!(
            w < 60.0 && (x + w / 2.0 - centre_x).abs() < 15.0,
            "{face:?}"
        );
        assert!((y + h / 2.0 - 1525.0).abs() < 15.0, "{face:?}");
        assert!(!face.drawn, "the sidecar keeps them, not the catalog");
    }
    let amy = catalog.face(faces[0].id).expect("face").expect("amy");
    assert!(amy.score > 0.9, "found up close: {}", amy.score);
}

/// A region another app drew on a turned photo's stored pixels is known as over Kith's face when
/// names are written back: Kith's region takes its place instead of standing beside it. Photos
/// catalogued before their orientation was kept have it read from the file when it is needed.
#[test]
fn names_written_for_a_turned_photo_replace_regions_drawn_on_its_stored_pixels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let photo = photos.join("turned.jpg");
    let (_, on_stored) = turned_portrait(&photo);
    let sidecar = photos.join("turned.xmp");
    std::fs::write(&sidecar, mwg_regions(&[("John", on_stored)])).expect("xmp");
    let path = dir.path().join("c.sqlite");
    let mut catalog = Catalog::open(&path).expect("catalog");
    scan(&mut catalog, &photos);
    let algorithm = settings::load(&catalog).expect("settings");
    assign::update(&mut catalog, &algorithm).expect("place");
    let turned = catalog.readable_photos().expect("photos")[0].turned;
    assert_eq!(turned, Some(6));

    let (john, _) = catalog.find_persons("John").expect("find")[0].clone();
    for (rename, forget_turn) in [("John McCain", false), ("Senator McCain", true)] {
        if forget_turn {
            // The other app's sidecar again, read by a scan, in a catalog from an older Kith.
            std::fs::write(&sidecar, mwg_regions(&[("John", on_stored)])).expect("xmp");
            touch(&sidecar, 1);
            scan(&mut catalog, &photos);
            let db = rusqlite::Connection::open(&path).expect("open");
            db.execute("UPDATE photos SET turned = NULL", [])
                .expect("as an older Kith left it");
        }
        catalog.name_person(john, rename).expect("rename");
        let report =
            kith::name_sidecars::write(&mut catalog, false, &mut |_, _| {}).expect("write");
        assert_eq!(report.written, std::slice::from_ref(&sidecar), "{report:?}");
        let (regions, people) = sidecar_names(&sidecar);
        assert_eq!(regions, [rename], "one region for his one face");
        assert_eq!(people, [rename]);
        assert_eq!(
            catalog.readable_photos().expect("photos")[0].turned,
            Some(6)
        );
    }
}

/// A photo moved and also changed on the way (another app wrote its metadata into the file) is
/// a new file whose content the catalog does not know: it is found to be the same picture as the
/// missing photo, and takes the names and answers given there. A photo of other people does not.
#[test]
fn photos_moved_and_changed_keep_the_users_decisions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Album {
        mut catalog,
        algorithm,
        album,
        elsewhere: sorted,
        group,
        other,
        group_faces,
        cast: persons,
    } = album_with_the_cast(dir.path(), "group/sample5.jpg", "sorted");
    let stranger = faces_left_to_right(&catalog, &other)[0];
    let raj = persons[3];
    let rajs_face = group_faces[3];
    catalog
        .not_this_person(rajs_face)
        .expect("not Raj after all");
    catalog
        .move_face(stranger, persons[0])
        .expect("the user's word");

    // Moved into another folder, with a comment written into the file on the way; and the other
    // photo deleted.
    let bytes = std::fs::read(&group).expect("read");
    let moved = sorted.join("party.jpg");
    std::fs::write(&moved, with_app1(&bytes, b"Exif\0\0written by another app")).expect("write");
    std::fs::remove_file(&group).expect("moved away");
    std::fs::remove_file(&other).expect("deleted");
    let newcomer = copy_into(&sorted, &["group/sample1.jpg"]).remove(0);
    let rescan = scan(&mut catalog, &album);
    assert_eq!(rescan.missing, 2, "{rescan:?}");
    let found = scan(&mut catalog, &sorted);
    assert_eq!((found.photos, found.moved), (2, 0), "new files: {found:?}");
    let report = assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(report.moved_and_changed, 1, "{report:?}");

    let mut expected: Vec<Option<String>> = CAST.iter().map(|n| Some(n.to_string())).collect();
    expected[3] = None;
    assert_eq!(names_left_to_right(&catalog, &moved), expected);
    let faces = photo_faces_left_to_right(&catalog, &moved);
    assert!(faces.iter().enumerate().all(|(i, f)| f.pinned == (i != 3)));
    let facts = catalog.not_person_facts().expect("facts");
    assert!(facts.contains(&(faces[3].id, raj)), "{facts:?}");

    let strangers = photo_faces_left_to_right(&catalog, &newcomer);
    assert!(strangers.iter().all(|f| !f.pinned), "{strangers:?}");
    // Nothing more to find the next time.
    let again = assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(again.moved_and_changed, 0);
}

/// Drawn faces written into their photo's sidecar reach another library with their names; the
/// same library, analysing the photo again, finds the regions over its drawn faces, which take
/// their places and names, none twice. (A library of copies: sidecars are written beside the
/// photos.)
#[test]
fn drawn_faces_written_to_a_sidecar_reach_another_library_and_come_back_once() {
    use kith::scan::drawn::draw_face;
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let [amy, leonard] = ["faces/amy/1.png", "faces/leonard/1.png"]
        .map(|file| copy_into(&photos, &[file]).remove(0));
    let far = photos.join("far.jpg");
    let frame = common::far_faces(&[
        ("faces/amy/5.png", 1200, 1500),
        ("faces/leonard/5.png", 3500, 1500),
    ]);
    std::fs::write(&far, common::jpeg(&frame)).expect("write");
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    scan(&mut catalog, &photos);
    let mut drawn = Vec::new();
    let (photo, _) = catalog
        .photo_status(&far.canonicalize().expect("path"))
        .expect("status")
        .expect("catalogued");
    for (portrait, name, x) in [(&amy, "Amy", 1200.0), (&leonard, "Leonard", 3500.0)] {
        let face = faces_left_to_right(&catalog, portrait)[0];
        let person = catalog.split_faces(&[face], Some(name)).expect("name");
        let made = draw_face(
            &mut catalog,
            common::analyzer(),
            photo,
            [x, 1500.0, 50.0, 50.0],
        )
        .expect("drawn");
        catalog
            .move_face(made.face, person)
            .expect("the user's word");
        drawn.push(made.face);
    }
    let both = ["Amy", "Leonard"].map(|n| Some(n.to_string()));
    assert_eq!(names_left_to_right(&catalog, &far), both);

    let report = kith::name_sidecars::write(&mut catalog, false, &mut |_, _| {}).expect("write");
    assert_eq!(report.written.len(), 3, "{report:?}");
    let algorithm = settings::load(&catalog).expect("settings");
    let mut elsewhere = Catalog::open(&dir.path().join("elsewhere.sqlite")).expect("catalog");
    scan(&mut elsewhere, &photos);
    assign::update(&mut elsewhere, &algorithm).expect("place");
    assert_eq!(names_left_to_right(&elsewhere, &far), both);

    touch(&far, 5);
    assert_eq!(scan(&mut catalog, &photos).photos, 1);
    assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(names_left_to_right(&catalog, &far), both);
    let faces = photo_faces_left_to_right(&catalog, &far);
    assert!(
        faces.iter().all(|f| f.pinned && !drawn.contains(&f.id)),
        "{faces:?}"
    );
}

#[test]
fn a_persons_faces_come_in_the_order_their_photos_are_stepped_through() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut catalog = library(dir.path());
    // Dated photos come first, oldest first; the grid and the viewer's stepping agree.
    let named = name_everyone(&mut catalog);
    let penny = named["penny"];
    let faces = catalog.faces_of_person(penny).expect("faces");
    let photo = image::open(&faces.last().expect("a face").photo_path)
        .expect("decode")
        .to_rgb8();
    // Narrowed, so that it is another picture of her rather than a copy of that one.
    let (w, h) = photo.dimensions();
    let narrower = image::imageops::crop_imm(&photo, 0, 0, w * 4 / 5, h).to_image();
    let new_folder = dir.path().join("new");
    std::fs::create_dir_all(&new_folder).expect("mkdir");
    let dated = new_folder.join("dated.jpg");
    std::fs::write(&dated, taken_on_a_summer_evening(&common::jpeg(&narrower))).expect("write");
    scan(&mut catalog, &new_folder);
    let algorithm = settings::load(&catalog).expect("settings");
    assign::update(&mut catalog, &algorithm).expect("place");
    let dated_face = catalog
        .faces()
        .expect("faces")
        .into_iter()
        .find(|f| f.photo_path.ends_with("dated.jpg"))
        .expect("the dated photo's face");
    assert_eq!(dated_face.person, Some(penny));

    for &person in named.values() {
        let mut from_faces: Vec<i64> = catalog
            .faces_of_person(person)
            .expect("faces")
            .iter()
            .map(|f| f.photo_id)
            .collect();
        from_faces.dedup();
        let stepped: Vec<i64> = catalog
            .photos_with_persons(&[vec![person]], &[], None, None)
            .expect("photos")
            .iter()
            .map(|h| h.photo_id)
            .collect();
        assert_eq!(from_faces, stepped);
    }
    assert_eq!(
        catalog.faces_of_person(penny).expect("faces")[0].id,
        dated_face.id,
        "the one dated photo leads"
    );
}

#[test]
fn a_person_split_in_two_is_a_likely_merge_and_lookalikes_are_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut catalog = library(dir.path());
    let named = name_everyone(&mut catalog);
    // Each person with enough faces split in half: what clustering does to someone who changed.
    let mut halves: HashMap<i64, &str> = HashMap::new();
    for (name, &id) in &named {
        let faces = catalog.faces_of_person(id).expect("faces");
        if faces.len() < 4 {
            continue;
        }
        let later: Vec<i64> = faces[faces.len() / 2..].iter().map(|f| f.id).collect();
        halves.insert(catalog.split_faces(&later, None).expect("split"), name);
    }
    assert!(halves.len() >= 10, "{} people split", halves.len());
    let who = |p: i64| {
        halves.get(&p).copied().or_else(|| {
            named
                .iter()
                .find(|(_, &id)| id == p)
                .map(|(n, _)| n.as_str())
        })
    };
    let space = FaceSpace::load(&catalog, 0.6).expect("space");
    let suggestions = space.merge_suggestions(None, usize::MAX);
    for (&half, name) in &halves {
        let theirs = suggestions
            .iter()
            .find(|s| {
                s.a.min(s.b) == half.min(named[*name]) && s.a.max(s.b) == half.max(named[*name])
            })
            .unwrap_or_else(|| panic!("{name}'s halves are not suggested"));
        assert!(theirs.likely, "{name}: mean {}", theirs.mean_distance);
    }
    let lookalikes: Vec<_> = suggestions
        .iter()
        .filter(|s| who(s.a).zip(who(s.b)).is_some_and(|(a, b)| a != b))
        .collect();
    // Different people whose closest faces come within tau are there to be folded away.
    assert!(!lookalikes.is_empty(), "no different people came close");
    for s in lookalikes {
        assert!(
            !s.likely,
            "{:?} and {:?}: mean {}",
            who(s.a),
            who(s.b),
            s.mean_distance
        );
    }
    let first_apart = suggestions.iter().position(|s| !s.likely);
    assert!(
        suggestions[first_apart.unwrap_or(suggestions.len())..]
            .iter()
            .all(|s| !s.likely),
        "the likely ones lead"
    );
}

/// How many faces each person has, smallest first.
fn person_sizes(catalog: &Catalog) -> Vec<usize> {
    let mut sizes: Vec<usize> = catalog
        .persons(true)
        .expect("persons")
        .iter()
        .map(|p| p.faces)
        .collect();
    sizes.sort_unstable();
    sizes
}

/// `folder` scanned into a catalog of its own in `dir`, its faces placed once at the end.
fn placed_in_one_go(dir: &Path, folder: &Path, algorithm: &Algorithm) -> Catalog {
    let mut once = Catalog::open(&dir.join("once.sqlite")).expect("catalog");
    scan(&mut once, folder);
    assign::update(&mut once, algorithm).expect("placed once");
    once
}

fn catalog_setting(path: &Path, key: &str) -> Option<String> {
    Catalog::open(path)
        .expect("catalog")
        .setting(key)
        .expect("setting")
}

/// People appear while a long scan runs: the faces stored so far are placed now and then, on a
/// connection of their own, and the people in the end are as good as those of one placing.
#[test]
fn people_appear_while_a_scan_runs_and_are_placed_again_after_a_kill() {
    use kith::people::placing::{place_at_end, scan_placing_meanwhile, Schedule};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("c.sqlite");
    let mut catalog = Catalog::open(&path).expect("catalog");
    let stored = AtomicUsize::new(0);
    let schedule = Schedule {
        first: 10,
        growth: 1.5,
        gap: std::time::Duration::ZERO,
    };
    let faces = testdata("faces");
    let mut placings = Vec::new();
    scan_placing_meanwhile(
        &path,
        0,
        schedule,
        &mut |event| {
            if matches!(event, kith::scan::ScanEvent::Analysed { .. }) {
                stored.fetch_add(1, Ordering::Relaxed);
            }
        },
        &mut |report| placings.push((stored.load(Ordering::Relaxed), report)),
        |on_event| {
            kith::scan::scan_folder(
                &mut catalog,
                common::analyzer(),
                &faces,
                &kith::scan::ScanOptions::default(),
                &AtomicBool::new(false),
                on_event,
            )
        },
    )
    .expect("scan");
    let total = stored.load(Ordering::Relaxed);
    let (first_at, first) = placings.first().expect("placed while scanning");
    assert!(*first_at < total, "first placed at {first_at} of {total}");
    assert!(first.new_persons > 0, "{first:?}");

    // Killed before its end, the scan leaves the placings provisional; the next scan's end
    // (here one that found nothing new) places those faces again, all at once: the people of a
    // scan placed only at its end.
    drop(catalog);
    let mut catalog = Catalog::open(&path).expect("reopened");
    let provisional = || catalog_setting(&path, "placing.provisional_after");
    assert_eq!(provisional(), Some("0".to_string()));
    assert_eq!(scan(&mut catalog, &faces).photos, 0);
    let algorithm = settings::load(&catalog).expect("settings");
    let person_before: HashMap<i64, i64> = catalog
        .faces()
        .expect("faces")
        .iter()
        .filter_map(|f| Some((f.id, f.person?)))
        .collect();
    let at_end = place_at_end(&mut catalog, &algorithm).expect("place at the end");
    assert_eq!(provisional(), None);
    // Every person is the scan's own, those taken back included.
    assert_eq!(
        at_end.new_persons,
        catalog.persons(true).expect("persons").len()
    );

    // Placed again, a group keeps the person most of its faces were in (the largest group, where
    // placing as it went had split a person), so that the window showing it goes on.
    let mut people_after = catalog.persons(true).expect("persons");
    people_after.sort_by_key(|p| std::cmp::Reverse(p.faces));
    let mut kept = HashSet::new();
    for person in &people_after {
        let mut votes: HashMap<i64, usize> = HashMap::new();
        for face in catalog.face_ids_of(person.id).expect("faces") {
            if let Some(&before) = person_before.get(&face) {
                *votes.entry(before).or_default() += 1;
            }
        }
        let before = votes
            .into_iter()
            .max_by_key(|&(p, n)| (n, std::cmp::Reverse(p)));
        if let Some((before, _)) = before.filter(|(p, _)| !kept.contains(p)) {
            assert_eq!(person.id, before, "{} faces", person.faces);
            kept.insert(before);
        }
    }
    assert!(kept.len() >= 10, "{} people kept their ids", kept.len());
    let once = placed_in_one_go(dir.path(), &faces, &algorithm);
    let groups = |catalog: &Catalog| -> HashSet<Vec<PathBuf>> {
        catalog
            .persons(true)
            .expect("persons")
            .iter()
            .map(|p| {
                let mut photos: Vec<PathBuf> = catalog
                    .faces_of_person(p.id)
                    .expect("faces")
                    .into_iter()
                    .map(|f| f.photo_path)
                    .collect();
                photos.sort();
                photos
            })
            .collect()
    };
    assert_eq!(
        groups(&catalog),
        groups(&once),
        "{} placings",
        placings.len()
    );
}

/// A scan stopped early and run again leaves the people of one that ran through: the faces of
/// the stopped scan are placed provisionally, and again with the rest when the work ends.
#[test]
fn a_scan_stopped_and_resumed_places_its_faces_as_one() {
    use kith::people::placing::place_when_stopped;
    use std::sync::atomic::AtomicBool;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("c.sqlite");
    let mut catalog = Catalog::open(&path).expect("catalog");
    let algorithm = settings::load(&catalog).expect("settings");
    let faces = testdata("faces");
    let stop = AtomicBool::new(false);
    let mut stored = 0;
    let first = kith::scan::scan_folder(
        &mut catalog,
        common::analyzer(),
        &faces,
        &kith::scan::ScanOptions::default(),
        &stop,
        &mut |event| {
            if matches!(event, kith::scan::ScanEvent::Analysed { .. }) {
                stored += 1;
                stop.store(stored >= 40, std::sync::atomic::Ordering::Relaxed);
            }
        },
    )
    .expect("scan");
    assert!(first.cancelled && first.photos < 98, "{first:?}");
    place_when_stopped(&mut catalog, &algorithm, 0, true).expect("placed");
    assert!(!catalog.persons(true).expect("persons").is_empty());
    assert_eq!(
        catalog_setting(&path, "placing.provisional_after").as_deref(),
        Some("0")
    );

    let last_face = catalog.last_face_id().expect("last face");
    let rest = scan(&mut catalog, &faces);
    assert!(!rest.cancelled && rest.photos + first.photos == 98);
    let at_end = place_when_stopped(&mut catalog, &algorithm, last_face, false).expect("placed");
    assert_eq!(catalog_setting(&path, "placing.provisional_after"), None);
    let people = catalog.persons(true).expect("persons");
    // All of them the work's own: the end of the scan that finished it says so.
    assert_eq!(at_end.new_persons, people.len());

    let once = placed_in_one_go(dir.path(), &faces, &algorithm);
    assert_eq!(person_sizes(&catalog), person_sizes(&once));
}

/// Four people of `faces/` whose faces, shrunk to 40% (40-55 px wide), come close to another's:
/// written into `dir` as `person~name.jpg`, in order of name.
fn four_close_people_shrunk(dir: &Path) -> Vec<PathBuf> {
    let mut written = Vec::new();
    for person in ["abdullah_gul", "jean-pierre_raffarin", "sheldon", "stuart"] {
        let folder = std::fs::read_dir(testdata(&format!("faces/{person}"))).expect("folder");
        for entry in folder {
            let path = entry.expect("entry").path();
            let name = format!(
                "{person}~{}",
                path.file_name().expect("name").to_string_lossy()
            );
            let to = dir.join(name).with_extension("jpg");
            save_shrunk(&path, &to, (2, 5));
            written.push(to);
        }
    }
    written.sort();
    written
}

/// Asserts that every person of the catalog holds faces of one real person (the part of the
/// file name before `~`), and each real person's faces are mostly in one person.
fn assert_each_person_is_one_of_four(catalog: &Catalog) {
    assert_each_person_is_one_of(catalog, 4);
}

/// [`assert_each_person_is_one_of_four`] for `real` real people.
fn assert_each_person_is_one_of(catalog: &Catalog, real: usize) {
    // Per real person, the people their faces are in (None: nobody), with counts.
    let mut people_of: HashMap<String, HashMap<Option<i64>, usize>> = HashMap::new();
    let mut truths_in: HashMap<i64, HashSet<String>> = HashMap::new();
    for face in catalog.faces().expect("faces") {
        let name = face.photo_path.file_name().expect("name").to_string_lossy();
        let truth = name.split('~').next().expect("person").to_string();
        *people_of
            .entry(truth.clone())
            .or_default()
            .entry(face.person)
            .or_default() += 1;
        if let Some(person) = face.person {
            truths_in.entry(person).or_default().insert(truth);
        }
    }
    assert_eq!(people_of.len(), real, "every person's faces are found");
    for (person, truths) in &truths_in {
        assert_eq!(truths.len(), 1, "person {person} mixes {truths:?}");
    }
    // A face may be left with nobody, but not a person split in two.
    for (truth, people) in &people_of {
        let faces: usize = people.values().sum();
        let placed: Vec<_> = people.iter().filter(|(p, _)| p.is_some()).collect();
        assert_eq!(placed.len(), 1, "{truth} is in {people:?}");
        assert!(*placed[0].1 * 2 > faces, "{truth} is in {people:?}");
    }
}

/// Faces shrunk to 40% (40-55 px wide) come closer to everyone's: DBSCAN alone chained Abdullah
/// Gul with Raffarin and Sheldon with Stuart, each through one close pair of faces. Cut again by
/// average linkage, each person is one person of their own.
#[test]
fn small_faces_of_different_people_are_not_chained_into_one_person() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shrunk = dir.path().join("shrunk");
    std::fs::create_dir_all(&shrunk).expect("mkdir");
    four_close_people_shrunk(&shrunk);
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    scan(&mut catalog, &shrunk);
    assign::update(&mut catalog, &Algorithm::default_dbscan()).expect("cluster");
    assert_each_person_is_one_of_four(&catalog);
}

/// The same faces scanned in three parts, each placed when its scan ends: a new face near a
/// person is judged by the person's faces near it on average and with the other new faces, as a
/// re-cluster judges it. Placed one by one by their nearest placed neighbours, faces of Raffarin
/// joined Abdullah Gul.
#[test]
fn small_faces_scanned_in_parts_join_only_their_own_person() {
    const PARTS: usize = 3;
    let dir = tempfile::tempdir().expect("tempdir");
    let shrunk = dir.path().join("shrunk");
    std::fs::create_dir_all(&shrunk).expect("mkdir");
    let photos = four_close_people_shrunk(&shrunk);
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    for part in 0..PARTS {
        let folder = dir.path().join(format!("part{part}"));
        std::fs::create_dir_all(&folder).expect("mkdir");
        for photo in photos.iter().skip(part).step_by(PARTS) {
            let name = photo.file_name().expect("name");
            std::fs::rename(photo, folder.join(name)).expect("move");
        }
        scan(&mut catalog, &folder);
        assign::update(&mut catalog, &Algorithm::default_dbscan()).expect("place");
    }
    assert_each_person_is_one_of_four(&catalog);
}

/// Abdullah Gul and Raffarin shrunk to 30% (about 30 px faces): three photos of one and four of
/// the other are close enough on average to make one person, which all their photos tell apart.
/// Scanned first, those seven make that person; when the rest come, the person, which clustering
/// alone made, is clustered again with them and parts in two, as a re-cluster would part it.
#[test]
fn a_person_formed_from_a_few_small_faces_parts_when_more_faces_come() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (first, rest) = (dir.path().join("first"), dir.path().join("rest"));
    for (person, first_photos) in [
        ("abdullah_gul", ["1", "3", "7"].as_slice()),
        ("jean-pierre_raffarin", ["1", "2", "4", "7"].as_slice()),
    ] {
        let folder = std::fs::read_dir(testdata(&format!("faces/{person}"))).expect("folder");
        for entry in folder {
            let path = entry.expect("entry").path();
            let stem = path
                .file_stem()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            let part = if first_photos.contains(&stem.as_str()) {
                &first
            } else {
                &rest
            };
            std::fs::create_dir_all(part).expect("mkdir");
            save_shrunk(&path, &part.join(format!("{person}~{stem}.jpg")), (3, 10));
        }
    }
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let algorithm = Algorithm::default_dbscan();
    scan(&mut catalog, &first);
    assign::update(&mut catalog, &algorithm).expect("place");
    let people = catalog.persons(true).expect("persons");
    assert_eq!(
        people.len(),
        1,
        "the first seven make one person: {people:?}"
    );

    scan(&mut catalog, &rest);
    assign::update(&mut catalog, &algorithm).expect("place");
    assert_each_person_is_one_of(&catalog, 2);
}
