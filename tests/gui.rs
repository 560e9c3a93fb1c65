//! The desktop GUI driven headless with egui_kittest (no rendering): widgets are found by their
//! accessible labels, and every test checks what the catalog holds afterwards, read back from the
//! catalog file, not only what is drawn.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::testdata;
use egui::{Key, Modifiers};
use egui_kittest::kittest::{by, NodeT, Queryable};
use egui_kittest::Harness;
use kith::catalog::{Catalog, PhotoStatus};
use kith::gui::{KithApp, PhotoSource, View};
use kith::models::ModelDir;
use kith::people::review;
use kith::photo_thumbnails::ThumbnailCache;
use kith::vision::DeviceChoice;
use kith::wording;

/// faces/ scanned and clustered once; each test works on its own copy, returned as its path.
fn library(dir: &Path) -> PathBuf {
    common::clustered_library(dir, &["faces"])
}

fn tau() -> f32 {
    ModelDir::at(Path::new(env!("CARGO_MANIFEST_DIR")).join("models"))
        .same_person_threshold()
        .expect("model card")
}

/// The app on the catalog at `path`, in a window tall enough to show every person of the test set.
/// Worker threads (the face index, scans) ask for a repaint whenever they finish, which can land
/// in the middle of any `run`, so a run may take a few more frames than the UI alone needs.
fn harness(path: &Path) -> Harness<'static, KithApp> {
    // Photo thumbnails are cached beside the test's catalog, not in the user's cache directory.
    let app = KithApp::new(Catalog::open(path).expect("catalog"), tau())
        .with_photo_cache(ThumbnailCache::at(path.with_file_name("thumbnails")));
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 2400.0))
        .with_max_steps(64)
        .build_ui_state(|ui, app: &mut KithApp| app.show(ui), app);
    harness.run();
    harness
}

/// The person holding most faces from `faces/<folder>/`.
fn person_of(catalog: &Catalog, folder: &str) -> i64 {
    let root = testdata("faces")
        .join(folder)
        .canonicalize()
        .expect("folder");
    catalog
        .persons(true)
        .expect("persons")
        .iter()
        .map(|p| {
            let n = catalog
                .faces_of_person(p.id)
                .expect("faces")
                .iter()
                .filter(|f| f.photo_path.starts_with(&root))
                .count();
            (n, p.id)
        })
        .max()
        .map(|(_, id)| id)
        .expect("someone")
}

/// The ids of a person's faces, in the order their view shows them.
fn face_ids(catalog: &Catalog, person: i64) -> Vec<i64> {
    let faces = catalog.faces_of_person(person).expect("faces");
    faces.iter().map(|f| f.id).collect()
}

fn reopen(path: &Path) -> Catalog {
    Catalog::open(path).expect("reopen")
}

/// Opens a person from the people grid and waits for their faces (read on a worker thread).
fn open_person(harness: &mut Harness<'static, KithApp>, label: &str) {
    harness.get_by_label(label).click();
    harness.run();
    wait_for_faces(harness);
}

/// Waits until the person view has read its faces again (after opening it, or after a decision
/// on its faces), so that a click lands on the grid as it will stay.
fn wait_for_faces(harness: &mut Harness<'static, KithApp>) {
    wait_until(harness, "the person's faces", |h| {
        !h.state().person_view().is_loading()
    });
}

#[test]
fn naming_a_person_is_saved_and_undo_restores_the_old_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let sheldon = person_of(&reopen(&path), "sheldon");
    let mut harness = harness(&path);
    let hint = "No one is named yet";
    assert!(harness.query_by_label_contains(hint).is_some());

    open_person(&mut harness, &format!("Unnamed #{sheldon}"));
    assert_eq!(harness.state().view(), View::Person(sheldon));
    let field = harness.get_by_label("Name");
    field.focus();
    field.type_text("Sheldon");
    harness.run();
    harness.key_press(Key::Enter);
    harness.run();
    let named = reopen(&path)
        .person(sheldon)
        .expect("read")
        .expect("person");
    assert_eq!(named.name.as_deref(), Some("Sheldon"));

    // Ctrl+Z once the field has let go of the keyboard.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run();
    let undone = reopen(&path)
        .person(sheldon)
        .expect("read")
        .expect("person");
    assert_eq!(undone.name, None, "status: {}", harness.state().status());

    harness.get_by_label("Redo").click();
    harness.run();
    let redone = reopen(&path)
        .person(sheldon)
        .expect("read")
        .expect("person");
    assert_eq!(redone.name.as_deref(), Some("Sheldon"));
    harness.get_by_label("Back").click();
    harness.run();
    assert!(harness.query_by_label_contains(hint).is_none());
}

#[test]
fn a_name_someone_has_already_asks_whether_they_are_the_same_person() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let mut catalog = reopen(&path);
    let (sheldon, stuart) = (
        person_of(&catalog, "sheldon"),
        person_of(&catalog, "stuart"),
    );
    catalog.name_person(sheldon, "Sheldon").expect("name");
    let before = catalog
        .person(sheldon)
        .expect("read")
        .expect("person")
        .faces;
    let stuarts = catalog.person(stuart).expect("read").expect("person").faces;
    let mut harness = harness(&path);
    let type_name = |harness: &mut Harness<'static, KithApp>| {
        let field = harness.get_by_label("Name");
        field.focus();
        field.type_text("sheldon");
        harness.run();
    };

    // A second Sheldon, when the user says so.
    open_person(&mut harness, &format!("Unnamed #{stuart}"));
    type_name(&mut harness);
    assert!(harness.query_by_label("Save name").is_none());
    harness.get_by_label("Another sheldon").click();
    harness.run();
    let named = reopen(&path).person(stuart).expect("read").expect("person");
    assert_eq!(named.name.as_deref(), Some("sheldon"));
    assert_eq!(
        reopen(&path).find_persons("Sheldon").expect("find").len(),
        2
    );

    // Or the same one: merged into him, whose view then shows.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run();
    assert_eq!(
        reopen(&path).find_persons("Sheldon").expect("find").len(),
        1
    );
    type_name(&mut harness);
    harness.get_by_label("Same person: merge").click();
    harness.run();
    assert_eq!(harness.state().view(), View::Person(sheldon));
    let after = reopen(&path);
    assert!(after.person(stuart).expect("read").is_none());
    let merged = after.person(sheldon).expect("read").expect("person");
    assert_eq!(merged.name.as_deref(), Some("Sheldon"));
    assert_eq!(merged.faces, before + stuarts);
}

#[test]
fn undo_button_restores_a_previous_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let amy = person_of(&reopen(&path), "amy");
    reopen(&path).name_person(amy, "Amy").expect("name");
    let mut harness = harness(&path);

    open_person(&mut harness, "Amy");
    let field = harness.get_by_label("Name");
    field.focus();
    // Select all, then type over it.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.get_by_label("Name").type_text("Amy Farrah Fowler");
    harness.run();
    harness.get_by_label("Save name").click();
    harness.run();
    let renamed = reopen(&path).person(amy).expect("read").expect("person");
    assert_eq!(renamed.name.as_deref(), Some("Amy Farrah Fowler"));

    harness.get_by_label("Undo").click();
    harness.run();
    let undone = reopen(&path).person(amy).expect("read").expect("person");
    assert_eq!(undone.name.as_deref(), Some("Amy"));
    // The view shows the restored name too.
    assert_eq!(harness.get_by_label("Name").value().as_deref(), Some("Amy"));
}

#[test]
fn merging_two_selected_people() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let catalog = reopen(&path);
    let howard = person_of(&catalog, "howard");
    let raj = person_of(&catalog, "raj");
    assert_ne!(howard, raj);
    let total = |c: &Catalog| {
        [howard, raj]
            .iter()
            .filter_map(|id| c.person(*id).expect("read"))
            .map(|p| p.faces)
            .sum::<usize>()
    };
    let before = total(&catalog);
    let mut harness = harness(&path);

    for id in [howard, raj] {
        harness
            .get_by_label(&format!("Unnamed #{id}"))
            .click_modifiers(Modifiers::COMMAND);
        harness.run();
    }
    assert_eq!(
        harness.state().view(),
        View::People,
        "ctrl-click selects, not opens"
    );
    harness.get_by_label("Merge selected").click();
    harness.run();

    let after = reopen(&path);
    let left: Vec<_> = [howard, raj]
        .iter()
        .filter_map(|id| after.person(*id).expect("read"))
        .collect();
    assert_eq!(left.len(), 1, "one of the two remains");
    assert_eq!(left[0].faces, before);
    assert_eq!(total(&after), before);
}

#[test]
fn moving_a_face_to_a_named_person() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let mut catalog = reopen(&path);
    let penny = person_of(&catalog, "penny");
    let leonard = person_of(&catalog, "leonard");
    catalog.name_person(penny, "Penny").expect("name");
    catalog.name_person(leonard, "Leonard").expect("name");
    let face = catalog.faces_of_person(penny).expect("faces")[0].id;
    let mut harness = harness(&path);

    open_person(&mut harness, "Penny");
    harness.get_by_label(&format!("Face {face}")).click();
    harness.run();
    let field = harness.get_by_label("Move to");
    field.focus();
    field.type_text("leo");
    harness.run();
    harness.get_by_label("Move to Leonard").click();
    harness.run();

    let moved = reopen(&path).face(face).expect("read").expect("face");
    assert_eq!(moved.person, Some(leonard));
    assert!(moved.pinned, "a user's decision is pinned");
}

#[test]
fn a_face_with_nobody_is_named_a_new_person_or_someone_named_already() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let mut catalog = reopen(&path);
    let sheldon = person_of(&catalog, "sheldon");
    catalog.name_person(sheldon, "Sheldon").expect("name");
    // A stranger behind Abdullah Gul, seen in no other photo.
    let ungrouped = catalog.ungrouped_faces().expect("ungrouped");
    let face = ungrouped.first().expect("a face with nobody").id;
    let mut harness = harness(&path);

    harness
        .get_by_label(&format!("Faces with nobody ({})", ungrouped.len()))
        .click();
    harness.run();
    assert_eq!(harness.state().view(), View::Ungrouped);
    let shown = format!("Face {face}");
    // Once the face is in the grid: select it and type `name` as whom it is.
    let name_as = |harness: &mut Harness<'static, KithApp>, name: &str| {
        wait_until(harness, "the face in the grid", |h| {
            h.query_by_label(&shown).is_some()
        });
        harness.get_by_label(&shown).click();
        harness.run();
        let field = harness.get_by_label("Name as");
        field.focus();
        field.type_text(name);
        harness.run();
    };
    name_as(&mut harness, "Mehmet");
    harness
        .get_by_label("Name as new person \u{201c}Mehmet\u{201d}")
        .click();
    harness.run();
    let named = reopen(&path).face(face).expect("read").expect("face");
    assert!(named.pinned, "a user's decision is pinned");
    let person = reopen(&path)
        .person(named.person.expect("a person"))
        .expect("read")
        .expect("person");
    assert_eq!(person.name.as_deref(), Some("Mehmet"));
    assert_eq!(harness.state().status(), "1 face given to Mehmet");
    wait_until(&mut harness, "the face to leave the grid", |h| {
        h.query_by_label(&shown).is_none()
    });

    // Undone, the face is with nobody again; a name typed in part offers the named person
    // first, and Enter takes them.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run();
    assert_eq!(
        reopen(&path)
            .face(face)
            .expect("read")
            .expect("face")
            .person,
        None
    );
    name_as(&mut harness, "shel");
    assert!(harness.query_by_label("Name as Sheldon").is_some());
    assert!(harness
        .query_by_label("Name as new person \u{201c}shel\u{201d}")
        .is_some());
    harness.key_press(Key::Enter);
    harness.run();
    let moved = reopen(&path).face(face).expect("read").expect("face");
    assert_eq!(moved.person, Some(sheldon));
}

#[test]
fn shift_click_selects_a_run_of_faces_and_split_takes_them_all() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let catalog = reopen(&path);
    let sheldon = person_of(&catalog, "sheldon");
    let faces = face_ids(&catalog, sheldon);
    assert!(faces.len() >= 5, "{faces:?}");
    let mut harness = harness(&path);

    open_person(&mut harness, &format!("Unnamed #{sheldon}"));
    harness.get_by_label(&format!("Face {}", faces[3])).click();
    harness.run();
    harness
        .get_by_label(&format!("Face {}", faces[1]))
        .click_modifiers(Modifiers::SHIFT);
    harness.run();
    assert!(harness.query_by_label("3 selected").is_some());
    harness.get_by_label("Split into new person").click();
    harness.run();

    let after = reopen(&path);
    let split: Vec<Option<i64>> = faces[1..=3]
        .iter()
        .map(|f| after.face(*f).expect("read").expect("face").person)
        .collect();
    assert!(split[0].is_some_and(|p| p != sheldon), "{split:?}");
    assert!(split.iter().all(|p| *p == split[0]), "{split:?}");
    for face in [faces[0], faces[4]] {
        let kept = after.face(face).expect("read").expect("face");
        assert_eq!(kept.person, Some(sheldon));
    }
}

#[test]
fn a_person_opened_while_another_loads_shows_only_their_own_faces() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let catalog = reopen(&path);
    let (first, second) = (person_of(&catalog, "amy"), person_of(&catalog, "raj"));
    let mut harness = harness(&path);

    // The second person is opened before the first one's faces can have arrived.
    let ctx = harness.ctx.clone();
    for person in [first, second] {
        harness
            .state_mut()
            .apply(kith::gui::Action::Show(View::Person(person)), &ctx);
    }
    harness.run();
    wait_for_faces(&mut harness);
    assert_eq!(harness.state().view(), View::Person(second));
    for face in face_ids(&catalog, second) {
        assert!(harness.query_by_label(&format!("Face {face}")).is_some());
    }
    for face in face_ids(&catalog, first) {
        assert!(harness.query_by_label(&format!("Face {face}")).is_none());
    }
}

#[test]
fn not_this_person_takes_the_face_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let catalog = reopen(&path);
    let person = person_of(&catalog, "abdullah_gul");
    let faces = catalog.faces_of_person(person).expect("faces");
    assert!(faces.len() >= 2);
    let face = faces[faces.len() - 1].id;
    let mut harness = harness(&path);

    open_person(&mut harness, &format!("Unnamed #{person}"));
    // A name half typed, not saved yet, outlives what the person is read again after.
    let field = harness.get_by_label("Name");
    field.focus();
    field.type_text("Abdul");
    harness.run();
    harness.get_by_label(&format!("Face {face}")).click();
    harness.run();
    harness.get_by_label("Not this person").click();
    harness.run();

    let after = reopen(&path);
    let row = after.face(face).expect("read").expect("face");
    assert_ne!(row.person, Some(person));
    assert_eq!(
        after.faces_of_person(person).expect("faces").len(),
        faces.len() - 1
    );
    assert_eq!(
        harness.get_by_label("Name").value().as_deref(),
        Some("Abdul")
    );
    assert_eq!(
        after.person(person).expect("read").expect("person").name,
        None
    );
}

/// Opens the search view and searches for `query`, as typed and entered.
fn search_for(harness: &mut Harness<'static, KithApp>, query: &str) {
    harness.get_by_label("Search").click();
    harness.run();
    let field = harness.get_by_label("Search people");
    field.focus();
    field.type_text(query);
    harness.run();
    harness.key_press(Key::Enter);
    harness.run();
}

#[test]
fn search_lists_the_photos_of_a_named_person_and_reports_unknown_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let sheldon = person_of(&reopen(&path), "sheldon");
    reopen(&path).name_person(sheldon, "Sheldon").expect("name");
    let mut harness = harness(&path);

    search_for(&mut harness, "sheldon");

    let folder = testdata("faces/sheldon").canonicalize().expect("folder");
    let results = harness.state().search_view().results().to_vec();
    assert!(!results.is_empty());
    let from_folder = results
        .iter()
        .filter(|h| h.path.starts_with(&folder))
        .count();
    assert!(
        from_folder >= 3,
        "{from_folder} of {} from sheldon/",
        results.len()
    );
    let first = results[0]
        .path
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(
        harness.query_by_label_contains(&first).is_some(),
        "results are listed"
    );

    let field = harness.get_by_label("Search people");
    field.focus();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.get_by_label("Search people").type_text("nobody");
    harness.run();
    harness.get_by_label("Find photos").click();
    harness.run();
    assert!(harness
        .query_by_label_contains("nobody is called")
        .is_some());
    assert!(harness.state().search_view().results().is_empty());
}

#[test]
fn the_photos_found_are_copied_into_an_album_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let penny = person_of(&reopen(&path), "penny");
    reopen(&path).name_person(penny, "Penny").expect("name");
    let mut harness = harness(&path);
    search_for(&mut harness, "Penny");
    let found: Vec<PathBuf> = harness
        .state()
        .search_view()
        .results()
        .iter()
        .map(|h| h.path.clone())
        .collect();
    assert!(found.len() >= 3, "{} photos", found.len());

    let album = dir.path().join("albums/Penny");
    let field = harness.get_by_label("Album folder");
    field.focus();
    field.type_text(album.to_str().expect("utf-8"));
    harness.run();
    harness.get_by_label("Copy").click();
    harness.run();
    let done = format!("{} photos copied into", found.len());
    wait_until(&mut harness, "the copies", |h| {
        h.query_by_label_contains(&done).is_some()
    });
    let mut copies: Vec<Vec<u8>> = std::fs::read_dir(&album)
        .expect("album")
        .map(|entry| std::fs::read(entry.expect("entry").path()).expect("copy"))
        .collect();
    let mut originals: Vec<Vec<u8>> = found
        .iter()
        .map(|p| std::fs::read(p).expect("photo"))
        .collect();
    copies.sort();
    originals.sort();
    assert!(
        copies == originals,
        "the album holds exactly the photos found"
    );
    assert!(harness.query_by_label("Open the folder").is_some());

    // Again: nothing is copied twice.
    harness.get_by_label("Copy").click();
    harness.run();
    let again = format!(
        "0 photos copied into {}, {} there already",
        album.display(),
        found.len()
    );
    wait_until(&mut harness, "the second copy", |h| {
        h.query_by_label_contains(&again).is_some()
    });
}

#[test]
fn search_lists_the_named_people_and_finds_one_with_a_click() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let mut harness = harness(&path);
    harness.get_by_label("Search").click();
    harness.run();
    assert!(harness
        .query_by_label_contains("Nobody is named yet")
        .is_some());

    // A name holding "&" is searched for as it is, not split into two people.
    let bernadette = person_of(&reopen(&path), "bernadette");
    reopen(&path)
        .name_person(bernadette, "Bernie & Co")
        .expect("name");
    let sheldon = person_of(&reopen(&path), "sheldon");
    reopen(&path).name_person(sheldon, "Sheldon").expect("name");
    let mut harness = self::harness(&path);
    harness.get_by_label("Search").click();
    harness.run();
    harness.get_by_label("Bernie & Co").click();
    harness.run();

    let view = harness.state().search_view();
    assert_eq!(view.error(), None);
    let expected = reopen(&path)
        .faces_of_person(bernadette)
        .expect("faces")
        .len();
    assert_eq!(view.results().len(), expected, "one photo per face here");
    let folder = testdata("faces/bernadette").canonicalize().expect("folder");
    assert!(view.results().iter().all(|h| h.path.starts_with(&folder)));
    assert_eq!(
        harness.get_by_label("Search people").value().as_deref(),
        Some("Bernie & Co")
    );
    assert!(harness.query_by_label("Sheldon").is_some());
}

#[test]
fn nearest_faces_panel_shows_distances_against_tau() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let catalog = reopen(&path);
    let person = person_of(&catalog, "ian_thorpe");
    let face = catalog.faces_of_person(person).expect("faces")[0].id;
    let mut harness = harness(&path);

    open_person(&mut harness, &format!("Unnamed #{person}"));
    harness.get_by_label(&format!("Face {face}")).click();
    harness.run();
    // The index loads on a worker thread: wait for it.
    let deadline = Instant::now() + Duration::from_secs(60);
    while harness
        .query_all_by_label_contains("Neighbour face")
        .next()
        .is_none()
    {
        assert!(Instant::now() < deadline, "face index never loaded");
        std::thread::sleep(Duration::from_millis(50));
        harness.run();
    }
    assert!(harness
        .query_by_label_contains("the network calls these the same person")
        .is_some());
    let shown = harness
        .query_all_by_label_contains("Neighbour face")
        .count();
    assert_eq!(shown, 8);
    // Each neighbour's distance is written beside its bar, nearest first.
    let number = |text: Option<String>| text.filter(|t| t.len() == 4)?.parse::<f32>().ok();
    let distances: Vec<f32> = harness
        .query_all(by().role(egui::accesskit::Role::Label))
        .filter_map(|node| number(node.accesskit_node().value()))
        .collect();
    assert_eq!(distances.len(), 8, "{distances:?}");
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
    // Ian Thorpe's own other photos are the nearest, well inside tau.
    assert!(distances[0] < tau(), "{distances:?}");

    // A second face ctrl-clicked: the distance between the two, and what it makes them.
    let faces = catalog.faces_of_person(person).expect("faces");
    harness
        .get_by_label(&format!("Face {}", faces[1].id))
        .click_modifiers(Modifiers::COMMAND);
    harness.run();
    assert!(harness.query_by_label("These two faces").is_some());
    assert!(harness
        .query_by_label(&format!("Compared face {}", faces[1].id))
        .is_some());
    let shown: Vec<f32> = harness
        .query_all(by().role(egui::accesskit::Role::Label))
        .filter_map(|node| number(node.accesskit_node().value()))
        .collect();
    let between = kith::vision::distance(&faces[0].embedding, &faces[1].embedding);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!((shown[0] - between).abs() < 0.006, "{shown:?} vs {between}");
    let verdict = if between < tau() {
        "the network calls them the same person"
    } else {
        "the network calls them different people"
    };
    assert!(harness.query_by_label_contains(verdict).is_some());
}

#[test]
fn a_first_folder_added_on_the_welcome_screen_is_scanned_in_the_background() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("empty.sqlite");
    let mut harness = scanning_harness(&path, kith::gui::Prefs::default());
    harness.run();
    assert!(harness.state().is_first_run());

    // The welcome screen's path field (the fallback of its "Add folder…").
    let folder = testdata("faces/sheldon");
    add_and_scan(&mut harness, &folder);
    assert!(harness.state().is_scanning());
    assert!(harness.query_by_label("Cancel").is_some());

    let status = finish_scan(&mut harness);
    assert!(status.contains("5 photos analysed"), "{status}");
    let catalog = reopen(&path);
    assert_eq!(catalog.photos().expect("photos").len(), 5);
    assert!(!catalog.persons(false).expect("persons").is_empty());
    // The people grid took the welcome's place when the scan ended.
    assert!(!harness.state().is_first_run());
    assert!(harness.query_by_label_contains("No people yet").is_none());
    assert!(harness
        .query_all_by_label_contains("Unnamed #")
        .next()
        .is_some());

    // A folder typed in the top bar is scanned, and the field is emptied for the next.
    let field = harness.get_by_label("Folder path");
    field.focus();
    field.type_text(&testdata("faces/amy").to_string_lossy());
    harness.run();
    harness.get_by_label("Scan").click();
    harness.run();
    let status = finish_scan(&mut harness);
    assert!(status.contains("photos analysed"), "{status}");
    assert_eq!(
        harness.get_by_label("Folder path").value().as_deref(),
        Some("")
    );

    // A folder that is not there says so, giving the reason once, and stays to be corrected.
    let gone = dir.path().join("gone").to_string_lossy().into_owned();
    let field = harness.get_by_label("Folder path");
    field.focus();
    field.type_text(&gone);
    harness.run();
    harness.get_by_label("Scan").click();
    harness.run();
    let status = finish_scan(&mut harness);
    assert!(
        status.contains("gone is not a folder that can be read"),
        "{status}"
    );
    assert_eq!(status.matches("os error").count(), 1, "{status}");
    assert_eq!(
        harness.get_by_label("Folder path").value().as_deref(),
        Some(gone.as_str())
    );
}

/// A file or folder dragged from the desktop onto the window.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn folders_dropped_on_the_window_are_scanned_and_a_file_is_explained() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("empty.sqlite");
    let mut harness = scanning_harness(&path, kith::gui::Prefs::default());
    harness.run();

    let photo = testdata("faces/amy/1.png");
    harness.input_mut().dropped_files = vec![std::sync::Arc::new(Dropped(photo.clone()))];
    harness.run();
    assert!(!harness.state().is_scanning());
    assert!(
        harness.state().status().contains("is a file"),
        "{}",
        harness.state().status()
    );

    let (sheldon, amy) = (testdata("faces/sheldon"), testdata("faces/amy"));
    harness.input_mut().dropped_files = vec![
        std::sync::Arc::new(Dropped(sheldon.clone())),
        std::sync::Arc::new(Dropped(amy.clone())),
    ];
    harness.run();
    assert!(harness.state().is_scanning());
    // The second folder waits for the first; both are done when the window stops scanning.
    finish_scan(&mut harness);
    let catalog = reopen(&path);
    let folders = catalog.folders().expect("folders");
    for folder in [&sheldon, &amy] {
        let folder = folder.canonicalize().expect("folder");
        assert!(folders.contains(&folder), "{folders:?}");
    }
}

/// A face named in a darktable-style sidecar (`1.png.xmp`, Microsoft's regions) arrives named,
/// and the status line says so.
#[test]
fn a_scan_names_the_faces_other_apps_named_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let photo = common::copy_into(&photos, &["faces/sheldon/1.png"]).remove(0);
    let sidecar = format!("{}.xmp", photo.display());
    std::fs::write(
        sidecar,
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
        xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description
        xmlns:MP="http://ns.microsoft.com/photo/1.2/"
        xmlns:MPRI="http://ns.microsoft.com/photo/1.2/t/RegionInfo#"
        xmlns:MPReg="http://ns.microsoft.com/photo/1.2/t/Region#"><MP:RegionInfo
        rdf:parseType="Resource"><MPRI:Regions><rdf:Bag><rdf:li rdf:parseType="Resource">
        <MPReg:Rectangle>0.05, 0.05, 0.9, 0.9</MPReg:Rectangle>
        <MPReg:PersonDisplayName>Sheldon Cooper</MPReg:PersonDisplayName></rdf:li></rdf:Bag>
        </MPRI:Regions></MP:RegionInfo></rdf:Description></rdf:RDF></x:xmpmeta>"#,
    )
    .expect("sidecar");
    let path = dir.path().join("library.sqlite");
    let mut harness = scanning_harness(&path, kith::gui::Prefs::default());
    harness.run();
    add_and_scan(&mut harness, &photos);
    let status = finish_scan(&mut harness);
    assert!(
        status.contains("1 face named as the photos' metadata names them"),
        "{status}"
    );
    harness.run();
    assert!(harness.query_by_label("Sheldon Cooper").is_some());
}

/// A library of two folders that changed since their scan: `photos/` has a photo more, and
/// `card/` (one photo) is not there any more. Returns the catalog, the new photo, the card's photo.
fn library_changed_since_its_scan(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let photos = dir.join("photos");
    let card = dir.join("card");
    for folder in [&photos, &card] {
        std::fs::create_dir_all(folder).expect("mkdir");
    }
    common::copy_into(&photos, &["faces/sheldon/1.png", "faces/penny/1.png"]);
    let on_card = common::copy_into(&card, &["faces/raj/1.png"])[0]
        .canonicalize()
        .expect("card photo");
    let path = dir.join("library.sqlite");
    let mut catalog = Catalog::open(&path).expect("catalog");
    common::scan(&mut catalog, &photos);
    common::scan(&mut catalog, &card);
    let added = common::copy_into(&photos, &["faces/howard/1.png"])[0]
        .canonicalize()
        .expect("new photo");
    std::fs::rename(&card, dir.join("elsewhere")).expect("unplug");
    (path, added, on_card)
}

/// Types `folder` into the "Add folder…" path field and presses "Add and scan".
fn add_and_scan(harness: &mut Harness<'static, KithApp>, folder: &Path) {
    let field = harness.get_by_label("New folder path");
    field.focus();
    field.type_text(&folder.to_string_lossy());
    harness.run();
    harness.get_by_label("Add and scan").click();
    harness.run();
}

/// Runs frames until the scan the window started has finished, and returns its status line.
fn finish_scan(harness: &mut Harness<'static, KithApp>) -> String {
    assert!(harness.state().is_scanning());
    let deadline = Instant::now() + Duration::from_secs(120);
    while harness.state().is_scanning() {
        assert!(Instant::now() < deadline, "scan never finished");
        std::thread::sleep(Duration::from_millis(50));
        harness.run();
    }
    harness.state().status().to_string()
}

#[test]
fn opening_a_library_looks_through_its_folders_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, added, on_card) = library_changed_since_its_scan(dir.path());
    let mut harness = scanning_harness(&path, kith::gui::Prefs::default());
    let ctx = harness.ctx.clone();
    harness.state_mut().opened(&ctx);
    harness.run();
    let status = finish_scan(&mut harness);
    assert!(
        status.contains("1 photo analysed") && status.contains("2 unchanged"),
        "{status}"
    );
    assert!(status.contains("1 folder not found"), "{status}");
    let catalog = reopen(&path);
    assert_eq!(catalog.photos().expect("photos").len(), 4);
    assert!(matches!(
        catalog.photo_status(&added).expect("status"),
        Some((_, PhotoStatus::Ok))
    ));
    // The unplugged folder's photo is kept as it was, not marked missing.
    assert!(matches!(
        catalog.photo_status(&on_card).expect("status"),
        Some((_, PhotoStatus::Ok))
    ));
}

#[test]
fn the_settings_scan_every_folder_again_and_say_whether_opening_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, added, _) = library_changed_since_its_scan(dir.path());
    let prefs = kith::gui::Prefs {
        scan_on_open: false,
        ..kith::gui::Prefs::default()
    };
    let mut harness = scanning_harness(&path, prefs);
    let ctx = harness.ctx.clone();
    harness.state_mut().opened(&ctx);
    harness.run();
    assert!(!harness.state().is_scanning(), "asked not to scan on open");
    harness.get_by_label("Settings").click();
    harness.run();

    harness.get_by_label("Scan all folders again").click();
    harness.run();
    assert!(harness.state().is_scanning());
    // A folder added meanwhile waits for that scan, then is scanned in turn.
    let more = dir.path().join("more");
    std::fs::create_dir_all(&more).expect("mkdir");
    let waiting = common::copy_into(&more, &["faces/amy/1.png"])[0]
        .canonicalize()
        .expect("photo");
    add_and_scan(&mut harness, &more);
    let status = harness.state().status().to_string();
    assert!(status.contains("will be scanned when"), "{status}");
    let status = finish_scan(&mut harness);
    assert!(status.contains("1 photo analysed"), "{status}");
    let catalog = reopen(&path);
    for photo in [&added, &waiting] {
        assert!(
            matches!(
                catalog.photo_status(photo).expect("status"),
                Some((_, PhotoStatus::Ok))
            ),
            "{photo:?}"
        );
    }

    harness
        .get_by_label("and each time Kith opens this library")
        .click();
    harness.run();
    assert!(harness.state().prefs().scan_on_open);
}

#[test]
fn the_far_faces_setting_makes_scans_find_people_far_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).expect("mkdir");
    // One man, 60 px wide in a 12-megapixel frame: under what the default size finds.
    let (jpeg, _) = common::distant_face("faces/john_mccain/1.jpg", 60.0);
    std::fs::write(photos.join("far.jpg"), jpeg).expect("write");
    let mut found = Vec::new();
    for far_faces in [false, true] {
        let path = dir.path().join(format!("far-{far_faces}.sqlite"));
        let mut harness = scanning_harness(&path, kith::gui::Prefs::default());
        harness.run();
        harness.get_by_label("Settings").click();
        harness.run();
        // The GPU probe's answer adds rows above the setting: a click meanwhile can miss it.
        wait_until(&mut harness, "the settings' probes", |h| {
            !h.state().is_busy()
        });
        let setting = "Also find people far off, with faces under ~80 px in a 12 MP photo";
        // Beside it, whether HEIC, AVIF and RAW photos can be read here, and with what.
        let libheif = kith::scan::heif::support().expect("libheif (Debian: libheif1)");
        assert!(harness
            .query_by_label(&format!(
                "HEIC and AVIF photos are read with libheif {}",
                libheif.version
            ))
            .is_some());
        let libraw = kith::scan::raw::version().expect("LibRaw (Debian: libraw20)");
        assert!(harness
            .query_by_label(&format!("Camera RAW photos are read with LibRaw {libraw}"))
            .is_some());
        if far_faces {
            harness.get_by_label(setting).click();
            harness.run();
        }
        assert_eq!(harness.state().prefs().far_faces, far_faces);
        add_and_scan(&mut harness, &photos);
        finish_scan(&mut harness);
        found.push(reopen(&path).faces().expect("faces").len());
    }
    assert_eq!(found, [0, 1]);
}

#[test]
fn cover_split_and_ignore_on_selected_faces() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let catalog = reopen(&path);
    let person = person_of(&catalog, "mark_philippoussis");
    let faces = face_ids(&catalog, person);
    assert!(faces.len() >= 5, "{} faces", faces.len());
    let mut harness = harness(&path);
    open_person(&mut harness, &format!("Unnamed #{person}"));

    harness.get_by_label(&format!("Face {}", faces[1])).click();
    harness.run();
    harness.get_by_label("Set as cover").click();
    harness.run();
    wait_for_faces(&mut harness);
    let cover = reopen(&path)
        .person(person)
        .expect("read")
        .expect("person")
        .cover_face;
    assert_eq!(cover, Some(faces[1]));

    // A plain click on the selected face clears the selection; then pick two with ctrl.
    harness.get_by_label(&format!("Face {}", faces[1])).click();
    harness.run();
    harness.get_by_label(&format!("Face {}", faces[2])).click();
    harness.run();
    harness
        .get_by_label(&format!("Face {}", faces[3]))
        .click_modifiers(Modifiers::COMMAND);
    harness.run();
    harness.get_by_label("Split into new person").click();
    harness.run();
    wait_for_faces(&mut harness);
    let after = reopen(&path);
    let split_to = after.face(faces[2]).expect("read").expect("face").person;
    assert!(split_to.is_some() && split_to != Some(person));
    assert_eq!(
        after.face(faces[3]).expect("read").expect("face").person,
        split_to
    );

    harness.get_by_label(&format!("Face {}", faces[4])).click();
    harness.run();
    harness.get_by_label("Ignore").click();
    harness.run();
    assert!(
        reopen(&path)
            .face(faces[4])
            .expect("read")
            .expect("face")
            .ignored
    );
    assert_eq!(harness.state().view(), View::Person(person));
}

#[test]
fn check_these_puts_a_stranger_first_and_never_repeats_the_whole_grid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let mut catalog = reopen(&path);
    let ian = person_of(&catalog, "ian_thorpe");
    let stranger = face_ids(&catalog, person_of(&catalog, "amy"))[0];
    catalog.move_face(stranger, ian).expect("move");
    let count = face_ids(&catalog, ian).len();
    let mut harness = harness(&path);
    open_person(&mut harness, &format!("Unnamed #{ian}"));
    wait_for(&mut harness, &format!("Check face {stranger}"));

    let shown: Vec<String> = harness
        .query_all_by_label_contains("Check face ")
        .map(|node| node.accesskit_node().label().unwrap_or_default())
        .collect();
    assert_eq!(shown.len(), (count / 3).min(8), "{count} faces: {shown:?}");
    assert_eq!(
        shown[0],
        format!("Check face {stranger}"),
        "least typical first"
    );

    // Two faces are each as typical as the other: no strip.
    let pair = catalog
        .split_faces(&face_ids(&catalog, ian)[..2], None)
        .expect("split");
    harness.get_by_label("Back").click();
    harness.run();
    open_person(&mut harness, &format!("Unnamed #{pair}"));
    assert!(harness.query_by_label("Check these:").is_none());
}

/// Runs frames until a widget labelled `label` exists (the face index loads on a worker thread).
fn wait_for(harness: &mut Harness<'static, KithApp>, label: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while harness.query_all_by_label(label).next().is_none() {
        assert!(Instant::now() < deadline, "{label:?} never appeared");
        std::thread::sleep(Duration::from_millis(50));
        harness.run();
    }
}

#[test]
fn suggested_merges_are_answered_different_or_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let ian = person_of(&reopen(&path), "ian_thorpe");
    let faces = reopen(&path).faces_of_person(ian).expect("faces");
    // Two of his faces split off: the duplicate person a real library ends up with.
    let twin = reopen(&path)
        .split_faces(&[faces[0].id, faces[1].id], None)
        .expect("split");
    let pair = (ian.min(twin), ian.max(twin));
    let mut harness = harness(&path);

    harness.get_by_label("Suggested merges").click();
    harness.run();
    wait_for(&mut harness, "Different");
    assert!(harness
        .query_all_by_label(&format!("Unnamed #{twin}"))
        .next()
        .is_some());
    // Lookalikes, close at one pair of faces only, wait folded below: one row of buttons, his.
    let rows =
        |harness: &Harness<'static, KithApp>| harness.query_all_by_label("Different").count();
    assert_eq!(rows(&harness), 1);
    harness.get_by_label_contains("Less likely").click();
    harness.run();
    assert!(rows(&harness) > 1, "the lookalikes unfold");
    harness
        .get_all_by_label("Different")
        .next()
        .expect("a row")
        .click();
    harness.run();
    assert_eq!(reopen(&path).distinct_pairs().expect("pairs"), vec![pair]);

    // Undo brings the suggestion back; this time they are the same person.
    harness.get_by_label("Undo").click();
    harness.run();
    assert!(reopen(&path).distinct_pairs().expect("pairs").is_empty());
    wait_for(&mut harness, "Same person");
    harness
        .get_all_by_label("Same person")
        .next()
        .expect("a row")
        .click();
    harness.run();
    let catalog = reopen(&path);
    let merged: Vec<i64> = [ian, twin]
        .into_iter()
        .filter(|p| catalog.person(*p).expect("read").is_some())
        .collect();
    assert_eq!(merged.len(), 1, "one of the two remains");
    assert_eq!(
        catalog.faces_of_person(merged[0]).expect("faces").len(),
        faces.len()
    );
}

#[test]
fn hiding_a_person_takes_them_off_the_grid_until_shown_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let sheldon = person_of(&reopen(&path), "sheldon");
    let label = format!("Unnamed #{sheldon}");
    let mut harness = harness(&path);

    open_person(&mut harness, &label);
    harness.get_by_label("Hide person").click();
    harness.run();
    let hidden = |path: &Path| {
        reopen(path)
            .person(sheldon)
            .expect("read")
            .expect("person")
            .hidden
    };
    assert!(hidden(&path));

    harness.get_by_label("Back").click();
    harness.run();
    assert!(harness.query_by_label(&label).is_none());
    harness.get_by_label("Show hidden people").click();
    harness.run();
    open_person(&mut harness, &format!("{label} (hidden)"));
    harness.get_by_label("Show again").click();
    harness.run();
    assert!(!hidden(&path));
}

#[test]
fn unreadable_files_are_listed_with_their_reasons() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).expect("mkdir");
    std::fs::write(photos.join("notes.jpg"), b"a shopping list, not a photo").expect("write");
    std::fs::write(photos.join("empty.png"), b"").expect("write");
    common::scan(&mut reopen(&path), &photos);

    let mut harness = harness(&path);
    harness.get_by_label("Unreadable files (2)").click();
    harness.run();
    assert_eq!(harness.state().view(), View::Problems);
    assert!(harness
        .query_by_label_contains("2 files could not be read")
        .is_some());
    for name in ["notes.jpg", "empty.png"] {
        assert!(harness.query_by_label_contains(name).is_some(), "{name}");
    }
}

/// The app on the catalog at `path` with `prefs` and scans on the CPU, before its first frame.
fn scanning_harness(path: &Path, prefs: kith::gui::Prefs) -> Harness<'static, KithApp> {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let app = KithApp::new(Catalog::open(path).expect("catalog"), tau())
        .with_scanner(Some(models), DeviceChoice::Cpu)
        .with_prefs(prefs);
    Harness::builder()
        .with_size(egui::vec2(1400.0, 2400.0))
        .with_max_steps(64)
        .build_ui_state(|ui, app: &mut KithApp| app.show(ui), app)
}

/// The app with scans on the CPU, opened on the settings view.
fn settings_harness(path: &Path) -> Harness<'static, KithApp> {
    let mut harness = scanning_harness(path, kith::gui::Prefs::default());
    harness.run();
    harness.get_by_label("Settings").click();
    harness.run();
    assert_eq!(harness.state().view(), View::Settings);
    // The GPU probe's answer moves what is below it: clicks wait for it.
    wait_until(&mut harness, "the settings' probes", |h| {
        !h.state().is_busy()
    });
    harness
}

/// Runs frames until `done` holds (work on worker threads), failing after a minute.
fn wait_until(
    harness: &mut Harness<'static, KithApp>,
    what: &str,
    done: impl Fn(&Harness<'static, KithApp>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(harness) {
        assert!(Instant::now() < deadline, "{what} never happened");
        std::thread::sleep(Duration::from_millis(20));
        harness.run();
    }
}

/// The face and person the review view asks about now.
fn asked(harness: &Harness<'static, KithApp>) -> Option<(i64, i64)> {
    let questions = harness.state().review_view().questions();
    questions.first().map(|q| (q.face, q.person))
}

/// A library in which one of Leonard's faces is named, the others still in his unnamed group,
/// so that they are asked about: its path and catalog, the group and the named Leonard.
fn leonard_named_once(dir: &Path) -> (PathBuf, Catalog, i64, i64) {
    let path = library(dir);
    let mut catalog = reopen(&path);
    let group = person_of(&catalog, "leonard");
    let faces = face_ids(&catalog, group);
    let leonard = catalog
        .split_faces(&faces[..1], Some("Leonard"))
        .expect("name one face");
    (path, catalog, group, leonard)
}

/// The question the library ranks first for the catalog at `path`, measured afresh.
fn first_question(path: &Path) -> Option<(i64, i64)> {
    review::questions(&reopen(path), tau())
        .expect("questions")
        .first()
        .map(|q| (q.face, q.person))
}

#[test]
fn review_answers_many_faces_of_one_person_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, catalog, group, leonard) = leonard_named_once(dir.path());
    let asked_about: Vec<review::Question> = review::questions(&catalog, tau())
        .expect("questions")
        .into_iter()
        .filter(|q| q.person == leonard)
        .collect();
    assert!(asked_about.len() >= 3, "{asked_about:?}");
    let facts_before = catalog.not_person_facts().expect("facts");
    let mut harness = harness(&path);

    // From Leonard's own view, once the review has measured who waits for him.
    open_person(&mut harness, "Leonard");
    let more = format!("{} more faces may be Leonard…", asked_about.len());
    wait_until(&mut harness, "the faces waiting for Leonard", |h| {
        h.query_by_label(&more).is_some()
    });
    harness.get_by_label(&more).click();
    harness.run();
    assert_eq!(harness.state().view(), View::Review);
    assert!(harness
        .query_by_label("Which of these are Leonard?")
        .is_some());
    for q in &asked_about {
        assert!(harness
            .query_by_label(&format!("Asked face {}", q.face))
            .is_some());
    }
    // Each face starts ticked when the network calls it Leonard; one click flips the first.
    let flipped = asked_about[0].face;
    harness
        .get_by_label(&format!("Asked face {flipped}"))
        .click();
    harness.run();
    harness.key_press(Key::Enter);
    harness.run();

    let after = reopen(&path);
    let facts = after.not_person_facts().expect("facts");
    for q in &asked_about {
        let yes = q.within_threshold != (q.face == flipped);
        let face = after.face(q.face).expect("read").expect("face");
        if yes {
            assert_eq!((face.person, face.pinned), (Some(leonard), true), "{q:?}");
        } else {
            assert!(facts.contains(&(q.face, leonard)), "{q:?}");
            assert_ne!(face.person, Some(leonard), "{q:?}");
        }
    }
    assert!(harness.state().status().starts_with("Noted: "));

    // One Ctrl+Z takes the whole answer back.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run();
    let undone = reopen(&path);
    assert_eq!(undone.not_person_facts().expect("facts"), facts_before);
    for q in &asked_about {
        let face = undone.face(q.face).expect("read").expect("face");
        assert_eq!(face.person, Some(group), "{q:?}");
    }

    // The photo viewer asks the same question about the face selected in it.
    let q = &asked_about[1];
    let ctx = harness.ctx.clone();
    let photo = View::Photo {
        photo: q.photo,
        from: PhotoSource::Review,
    };
    harness
        .state_mut()
        .apply(kith::gui::Action::Show(photo), &ctx);
    harness.run();
    // The list of the photo's faces says the guess before any is selected.
    let guess = format!("Leonard? ({})", wording::distance(q.distance, tau()));
    assert!(harness.query_by_label(&guess).is_some(), "{guess}");
    harness
        .get_by_label(&format!("Face {}: Unnamed #{group}", q.face))
        .click();
    harness.run();
    let question = format!(
        "Is this Leonard? ({})",
        wording::distance(q.distance, tau())
    );
    assert!(harness.query_by_label(&question).is_some(), "{question}");
    harness.get_by_label("Yes").click();
    harness.run();
    let yes = reopen(&path).face(q.face).expect("read").expect("face");
    assert_eq!((yes.person, yes.pinned), (Some(leonard), true));
}

#[test]
fn review_queue_is_answered_with_the_keyboard_and_undone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, mut catalog, group, leonard) = leonard_named_once(dir.path());
    let penny = person_of(&catalog, "penny");
    catalog.name_person(penny, "Penny").expect("name");
    let questions = review::questions(&catalog, tau()).expect("questions");
    assert!(questions.len() >= 3, "{questions:?}");
    assert_eq!(questions[0].person, leonard);
    let mut harness = harness(&path);

    harness
        .query_by_label_contains("Review (")
        .expect("top bar")
        .click();
    harness.run();
    assert_eq!(harness.state().view(), View::Review);
    wait_until(&mut harness, "a question", |h| asked(h).is_some());
    let first = (questions[0].face, questions[0].person);
    assert_eq!(asked(&harness), Some(first));
    let question = format!(
        "Is this Leonard? ({})",
        wording::distance(questions[0].distance, tau())
    );
    assert!(harness.query_by_label(&question).is_some(), "{question}");
    assert!(harness
        .query_by_label(&format!("Review ({})", questions.len()))
        .is_some());
    assert!(harness
        .query_by_label(&format!("Face {}", first.0))
        .is_some());
    assert!(harness.query_by_label("Cover of Leonard").is_some());

    // Y: the face is Leonard's, pinned; the next question is the library's first for the new
    // state (his new face may bring others closer).
    harness.key_press(Key::Y);
    harness.run();
    let yes = reopen(&path).face(first.0).expect("read").expect("face");
    assert_eq!(yes.person, Some(leonard));
    assert!(yes.pinned);
    let second = asked(&harness).expect("more questions");
    assert_eq!(Some(second), first_question(&path));

    // N: "not that person" is recorded, the face stays where it was and is not asked about that
    // person again.
    let before = reopen(&path).face(second.0).expect("read").expect("face");
    harness.key_press(Key::N);
    harness.run();
    let after = reopen(&path);
    assert!(after.not_person_facts().expect("facts").contains(&second));
    assert_eq!(
        after.face(second.0).expect("read").expect("face").person,
        before.person
    );
    assert!(harness
        .state()
        .review_view()
        .questions()
        .iter()
        .all(|q| (q.face, q.person) != second));
    assert!(review::questions(&after, tau())
        .expect("questions")
        .iter()
        .all(|q| (q.face, q.person) != second));

    // S: asked again only after all the others; nothing changed.
    let third = asked(&harness).expect("more questions");
    harness.key_press(Key::S);
    harness.run();
    let queue = harness.state().review_view().questions().to_vec();
    assert_eq!(queue.last().map(|q| (q.face, q.person)), Some(third));
    assert_ne!(asked(&harness), Some(third));
    assert_eq!(
        Some(third),
        first_question(&path),
        "a skip is not a decision"
    );

    // Ctrl+Z undoes the "no": the question is back, first again; then the "yes".
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run();
    assert!(!reopen(&path)
        .not_person_facts()
        .expect("facts")
        .contains(&second));
    assert_eq!(asked(&harness), Some(second));
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run();
    let undone = reopen(&path).face(first.0).expect("read").expect("face");
    assert_eq!(undone.person, Some(group));
    assert_eq!(asked(&harness), Some(first));

    // E: someone else, picked by name.
    harness.key_press(Key::E);
    harness.run();
    let field = harness.get_by_label("It is");
    assert!(field.is_focused(), "E puts the keyboard in the name field");
    field.type_text("pen");
    harness.run();
    harness.key_press(Key::Enter);
    harness.run();
    let other = reopen(&path).face(first.0).expect("read").expect("face");
    assert_eq!(other.person, Some(penny));
}

#[test]
fn photo_viewer_draws_every_face_and_steps_through_the_persons_photos() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let mut catalog = reopen(&path);
    let gul = person_of(&catalog, "abdullah_gul");
    catalog.name_person(gul, "Abdullah Gul").expect("name");
    let sheldon = person_of(&catalog, "sheldon");
    catalog.name_person(sheldon, "Sheldon").expect("name");
    // The one photo of the set with two faces: his, and a stranger's in the background.
    let face = catalog
        .faces_of_person(gul)
        .expect("faces")
        .into_iter()
        .find(|f| catalog.photo_faces(f.photo_id).expect("faces").len() == 2)
        .expect("a photo with two faces");
    let photo = face.photo_id;
    let boxes = catalog.photo_faces(photo).expect("faces");
    let stranger = boxes
        .iter()
        .find(|f| f.person != Some(gul))
        .expect("the other face")
        .id;
    let sequence: Vec<i64> = catalog
        .photos_with_persons(&[vec![gul]], &[], None, None)
        .expect("photos")
        .iter()
        .map(|h| h.photo_id)
        .collect();
    let at = sequence.iter().position(|&p| p == photo).expect("in order");
    assert!(at + 1 < sequence.len(), "not the last photo");
    let mut harness = harness(&path);

    open_person(&mut harness, "Abdullah Gul");
    harness.get_by_label(&format!("Face {}", face.id)).click();
    harness.run();
    harness.get_by_label("View photo").click();
    harness.run();
    let from = PhotoSource::Person(gul);
    assert_eq!(harness.state().view(), View::Photo { photo, from });
    assert_eq!(harness.state().photo_view().faces(), boxes.as_slice());
    assert!(harness
        .query_by_label(&format!("Face {}: Abdullah Gul", face.id))
        .is_some());
    // The side panel lists who is in the photo, and selecting from it leaves the photo in place.
    let photo_rect = |h: &Harness<'static, KithApp>| h.get_by_label("Photo").rect();
    let before = photo_rect(&harness);
    harness
        .get_by_label(&format!("Listed face {}: Abdullah Gul", face.id))
        .click();
    harness.run();
    assert!(harness
        .query_by_label(&format!("Selected face {}", face.id))
        .is_some());
    assert_eq!(photo_rect(&harness), before);
    harness.get_by_label("All faces of this photo").click();
    harness.run();
    assert!(harness
        .query_by_label(&format!("Listed face {stranger}: nobody"))
        .is_some());
    harness
        .get_by_label(&format!("Face {stranger}: nobody"))
        .click();
    harness.run();
    assert_eq!(photo_rect(&harness), before);

    // The selected face is named with the same picker as in the person view.
    let field = harness.get_by_label("Name as");
    field.focus();
    field.type_text("shel");
    harness.run();
    harness.get_by_label("Name as Sheldon").click();
    harness.run();
    let moved = reopen(&path).face(stranger).expect("read").expect("face");
    assert_eq!(moved.person, Some(sheldon));
    assert!(harness
        .query_by_label(&format!("Face {stranger}: Sheldon"))
        .is_some());

    // The arrow keys step through his photos, in the order search lists them; the next one
    // was decoded while this one was looked at, and this one stays decoded for stepping back.
    let next = sequence[at + 1];
    wait_until(&mut harness, "the next photo decoded ahead", |h| {
        h.state().photo_view().decoded().contains(&next)
    });
    harness.key_press(Key::ArrowRight);
    harness.run();
    assert_eq!(harness.state().view(), View::Photo { photo: next, from });
    let decoded = harness.state().photo_view().decoded();
    assert!(
        decoded.contains(&next) && decoded.contains(&photo),
        "{decoded:?}"
    );
    let shown = harness.state().photo_view().faces().to_vec();
    assert_eq!(shown, reopen(&path).photo_faces(next).expect("faces"));
    assert!(shown.iter().any(|f| f.person == Some(gul)));
    harness.key_press(Key::ArrowLeft);
    harness.run();
    assert_eq!(harness.state().view(), View::Photo { photo, from });
    harness.get_by_label("Back").click();
    harness.run();
    assert_eq!(harness.state().view(), View::Person(gul));
}

/// Also: a copy of one of her photos in another folder is not listed again, and the viewer says
/// where it is.
#[test]
fn a_search_result_opens_in_the_photo_viewer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let mut catalog = reopen(&path);
    let amy = person_of(&catalog, "amy");
    catalog.name_person(amy, "Amy").expect("name");
    let first = catalog
        .photos_with_persons(&[vec![amy]], &[], None, None)
        .expect("photos")
        .remove(0);
    let backup = dir.path().join("backup");
    std::fs::create_dir_all(&backup).expect("mkdir");
    let copy = backup.join("copy.png");
    std::fs::copy(&first.path, &copy).expect("copy");
    common::scan(&mut catalog, &backup);
    let algorithm = kith::people::settings::load(&catalog).expect("settings");
    let placed = kith::people::assign::update(&mut catalog, &algorithm).expect("place");
    assert_eq!(placed.copies, 1, "{placed:?}");
    let mut harness = harness(&path);

    search_for(&mut harness, "amy");
    let results = harness.state().search_view().results().to_vec();
    assert!(results.len() >= 2);
    assert_eq!(results[0].path, first.path);
    let copy = copy.canonicalize().expect("path");
    assert!(results.iter().all(|hit| hit.path != copy));
    let name = results[0]
        .path
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    harness
        .query_by_label_contains(&name)
        .expect("listed")
        .click();
    harness.run();
    let from = PhotoSource::Search;
    assert_eq!(
        harness.state().view(),
        View::Photo {
            photo: results[0].photo_id,
            from
        }
    );
    let elsewhere = format!(
        "The same picture is also at {} (its faces are counted once)",
        copy.display()
    );
    assert!(harness.query_by_label(&elsewhere).is_some());
    harness.key_press(Key::ArrowRight);
    harness.run();
    assert_eq!(
        harness.state().view(),
        View::Photo {
            photo: results[1].photo_id,
            from
        }
    );
}

#[test]
fn changing_the_clustering_in_settings_reclusters_as_the_live_count_said() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let before = reopen(&path).persons(true).expect("persons").len();
    let wanted = kith::people::settings::algorithm("agglomerative", Some(0.4), None).expect("algo");
    // What `kith cluster --algo agglomerative --eps 0.4` gives, on a copy of the library.
    let copy = dir.path().join("copy.sqlite");
    reopen(&path).copy_to(&copy).expect("copy");
    let mut reference = reopen(&copy);
    kith::people::assign::recluster(&mut reference, &wanted).expect("recluster");
    let expected = reference.persons(true).expect("persons").len();
    assert_ne!(
        expected, before,
        "the test needs a setting that changes the people"
    );

    let mut harness = settings_harness(&path);
    harness.get_by_label("Agglomerative (average)").click();
    harness.run();
    harness
        .get_by_label("Clustering distance")
        .set_value_accesskit(0.4);
    harness.run();
    let count = format!("Re-clustering would leave {expected} people (now {before};");
    wait_until(&mut harness, "the live count", |h| {
        h.query_by_label_contains(&count).is_some()
    });

    harness.get_by_label("Apply").click();
    harness.run();
    wait_until(&mut harness, "the re-cluster", |h| !h.state().is_busy());
    let catalog = reopen(&path);
    match kith::people::settings::load(&catalog).expect("settings") {
        kith::people::cluster::Algorithm::Agglomerative { cut, .. } => {
            assert!((cut - 0.4).abs() < 1e-6, "cut {cut}")
        }
        other => panic!("saved {other:?}"),
    }
    assert_eq!(catalog.persons(true).expect("persons").len(), expected);
    assert!(
        harness.state().status().starts_with("Re-clustered"),
        "{}",
        harness.state().status()
    );
}

#[test]
fn adding_and_forgetting_a_folder_in_settings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let photos = dir.path().join("new photos");
    std::fs::create_dir(&photos).expect("mkdir");
    let files = common::copy_into(&photos, &["faces/sheldon/1.png", "faces/penny/1.png"]);
    let photos = photos.canonicalize().expect("canonical");
    let before = reopen(&path).photos().expect("photos").len();
    let mut harness = settings_harness(&path);

    add_and_scan(&mut harness, &photos);
    wait_until(&mut harness, "the scan", |h| !h.state().is_scanning());
    let catalog = reopen(&path);
    assert!(catalog.folders().expect("folders").contains(&photos));
    assert_eq!(catalog.photos().expect("photos").len(), before + 2);

    let remove = format!("Remove {}", photos.display());
    harness.get_by_label(&remove).click();
    harness.run();
    assert!(harness
        .query_by_label_contains("and its 2 photos?")
        .is_some());
    harness.get_by_label("Forget folder").click();
    harness.run();
    let catalog = reopen(&path);
    assert!(!catalog.folders().expect("folders").contains(&photos));
    assert_eq!(catalog.photos().expect("photos").len(), before);
    assert!(
        catalog
            .faces()
            .expect("faces")
            .iter()
            .all(|f| !f.photo_path.starts_with(&photos)),
        "the folder's faces are gone"
    );
    assert!(files.iter().all(|f| f.is_file()), "the files stay");
    assert!(harness.query_by_label(&remove).is_none());
}

#[test]
fn switching_libraries_remembers_them_and_the_theme_follows_the_setting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = library(dir.path());
    let second = dir.path().join("second.sqlite");
    let app = KithApp::new(Catalog::open(&first).expect("catalog"), tau())
        .with_prefs(kith::gui::Prefs::default());
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 2400.0))
        .with_max_steps(64)
        .build_ui_state(|ui, app: &mut KithApp| app.show(ui), app);
    harness.run();
    assert_eq!(
        harness.ctx.options(|o| o.theme_preference),
        egui::ThemePreference::System
    );
    harness.get_by_label("Settings").click();
    harness.run();
    harness.get_by_label("Dark").click();
    harness.run();
    assert_eq!(
        harness.ctx.options(|o| o.theme_preference),
        egui::ThemePreference::Dark
    );
    // Half precision is for a GPU: asked for under "Automatic", not offered for the CPU.
    let half = "On a GPU, compute in half precision (f16)";
    harness.get_by_label(half).click();
    harness.run();
    assert!(harness.state().prefs().half_on_gpu);
    harness.get_by_label("CPU").click();
    harness.run();
    assert!(harness.get_by_label(half).accesskit_node().is_disabled());

    let field = harness.get_by_label("Library path");
    field.focus();
    field.type_text(&second.to_string_lossy());
    harness.run();
    harness.get_by_label("Open library").click();
    harness.run();
    assert_eq!(harness.state().catalog().path(), second);
    assert!(harness.state().is_first_run(), "a new library welcomes");
    let canonical = |p: &Path| p.canonicalize().expect("exists");
    assert_eq!(
        harness.state().prefs().recent,
        vec![canonical(&second), canonical(&first)]
    );

    // Back through the recent list in the settings.
    harness.get_by_label("Settings").click();
    harness.run();
    harness.get_by_label("Open").click();
    harness.run();
    assert_eq!(harness.state().catalog().path(), canonical(&first));
    assert!(harness.query_by_label_contains("No people yet").is_none());
    assert_eq!(
        harness.ctx.options(|o| o.theme_preference),
        egui::ThemePreference::Dark
    );
}

#[test]
fn an_empty_library_welcomes_and_opens_a_recent_library_in_one_click() {
    let dir = tempfile::tempdir().expect("tempdir");
    let used = library(dir.path());
    let empty = dir.path().join("new.sqlite");
    let mut prefs = kith::gui::Prefs::default();
    prefs.remember_library(&used);
    let app = KithApp::new(Catalog::open(&empty).expect("catalog"), tau()).with_prefs(prefs);
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 2400.0))
        .with_max_steps(64)
        .build_ui_state(|ui, app: &mut KithApp| app.show(ui), app);
    harness.run();
    assert!(harness.state().is_first_run());
    assert!(harness
        .query_by_label_contains("Everything stays on this computer")
        .is_some());
    assert!(harness.query_by_label_contains("No people yet").is_none());
    assert!(harness.query_by_label("New folder path").is_some());

    let name = used
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    harness.get_by_label(&name).click();
    harness.run();
    assert_eq!(
        harness.state().catalog().path(),
        used.canonicalize().expect("exists")
    );
    assert!(!harness.state().is_first_run());
    assert!(harness
        .query_by_label_contains("Everything stays on this computer")
        .is_none());
    assert!(harness
        .query_all_by_label_contains("Unnamed #")
        .next()
        .is_some());
}

#[test]
fn search_shows_the_found_photos_as_thumbnails_with_their_dates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let penny = person_of(&reopen(&path), "penny");
    reopen(&path).name_person(penny, "Penny").expect("name");
    let query = kith::people::search::Query::parse("penny").expect("query");
    let expected = kith::people::search::search(&reopen(&path), &query).expect("search");
    assert!(expected.len() >= 3, "{} photos", expected.len());
    let mut harness = harness(&path);

    search_for(&mut harness, "penny");
    wait_until(&mut harness, "the thumbnails", |h| !h.state().is_busy());

    // One cell per photo found, labelled with its file name and date.
    let label = |hit: &kith::people::search::PhotoHit| {
        let name = hit.path.file_name().expect("name").to_string_lossy();
        let date = match &hit.taken_at {
            Some(t) => format!("{} {}", &t[..10], &t[11..16]),
            None => "no date".to_string(),
        };
        format!("{name}, {date}")
    };
    for hit in &expected {
        let same = expected.iter().filter(|h| label(h) == label(hit)).count();
        assert_eq!(
            harness.query_all_by_label(&label(hit)).count(),
            same,
            "{}",
            label(hit)
        );
    }
    // Their thumbnails were made once each, into the disk cache.
    let cached = walk_files(&path.with_file_name("thumbnails"));
    assert_eq!(cached, expected.len());
}

fn walk_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                walk_files(&path)
            } else {
                1
            }
        })
        .sum()
}

#[test]
fn adapting_in_settings_keeps_a_head_only_if_it_helps_and_reset_drops_it() {
    use kith::train::adapt::{self, AdaptOptions};

    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let mut catalog = reopen(&path);
    // Each person named after the folder most of their faces come from.
    for entry in std::fs::read_dir(testdata("faces")).expect("faces") {
        let folder = entry.expect("entry").path();
        if folder.is_dir() {
            let name = folder
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            let person = person_of(&catalog, &name);
            catalog.name_person(person, &name).expect("name");
        }
    }
    let head_in_use = |path: &Path| {
        adapt::active_report(&reopen(path))
            .expect("read adaptation")
            .is_some()
    };
    let mut harness = settings_harness(&path);
    harness.get_by_label("Adapt to my names").click();
    harness.run();
    wait_until(&mut harness, "the adaptation", |h| !h.state().is_busy());
    // The GUI says what the catalog holds: a head only where validation accepted it.
    let status = harness.state().status().to_string();
    let kept = head_in_use(&path);
    let expected = if kept { "Adapted:" } else { "Not adapted:" };
    assert!(
        status.starts_with(expected),
        "{status}; head in use: {kept}"
    );

    if !kept {
        // Reset has nothing to drop yet: keep the first head that passes validation on another
        // split, as `kith adapt` would, and show the settings again.
        assert!(harness.get_by_label("Reset").accesskit_node().is_disabled());
        let catalog = reopen(&path);
        let algorithm = kith::people::settings::load(&catalog).expect("settings");
        let adaptation = (0..10)
            .map(|seed| {
                let mut options = AdaptOptions {
                    seed,
                    ..AdaptOptions::default()
                };
                options.train.seed = seed;
                adapt::validate(
                    &catalog,
                    &algorithm,
                    tau(),
                    &options,
                    &std::sync::atomic::AtomicBool::new(false),
                    &mut |_| {},
                )
                .expect("validate")
            })
            .find(|a| a.report.accepted)
            .expect("a split whose head passes validation");
        adapt::keep(&catalog, &adaptation).expect("keep");
        // The first "People" is the tab; the settings have a section of that name.
        harness
            .get_all_by_label("People")
            .next()
            .expect("People tab")
            .click();
        harness.run();
        harness.get_by_label("Settings").click();
        harness.run();
        assert!(head_in_use(&path));
    }
    harness.get_by_label("Reset").click();
    harness.run();
    wait_until(&mut harness, "the reset", |h| !h.state().is_busy());
    assert!(!head_in_use(&path), "the head is still in use");
    assert!(
        harness
            .state()
            .status()
            .starts_with("Back to the plain distances"),
        "{}",
        harness.state().status()
    );
    assert!(harness.get_by_label("Reset").accesskit_node().is_disabled());
}

/// A photo whose people another app listed but Kith could not tell apart says who they are, so
/// that the user can find them among its faces; a photo whose listed person was found does not.
#[test]
fn the_photo_viewer_says_whom_another_app_lists_that_no_face_is_yet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("Takeout");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let [ian, group] = ["faces/ian_thorpe/1.jpg", "group/sample5.jpg"]
        .map(|file| common::copy_into(&photos, &[file]).remove(0));
    let list = |photo: &Path, people: &str| {
        let json = format!(r#"{{"people": {people}}}"#);
        std::fs::write(format!("{}.json", photo.display()), json).expect("json");
    };
    list(&ian, r#"[{"name": "Ian Thorpe"}]"#);
    list(
        &group,
        r#"[{"name": "Anna Lee"}, {"name": "Ben"}, {"name": "anna lee"}]"#,
    );
    let path = dir.path().join("library.sqlite");
    let mut catalog = Catalog::open(&path).expect("catalog");
    common::scan(&mut catalog, &photos);
    let algorithm = kith::people::settings::load(&catalog).expect("settings");
    kith::people::assign::update(&mut catalog, &algorithm).expect("place");
    let photo_of = |path: &Path| {
        catalog
            .photo_status(&path.canonicalize().expect("path"))
            .expect("status")
            .expect("catalogued")
            .0
    };
    let (ian, group) = (photo_of(&ian), photo_of(&group));
    drop(catalog);

    let mut harness = harness(&path);
    let ctx = harness.ctx.clone();
    let unfound = "Another app lists Anna Lee, Ben in this photo, and no face here is them yet";
    for (photo, says) in [(group, true), (ian, false)] {
        let view = View::Photo {
            photo,
            from: PhotoSource::Review,
        };
        harness
            .state_mut()
            .apply(kith::gui::Action::Show(view), &ctx);
        harness.run();
        assert_eq!(harness.state().view(), view);
        assert_eq!(
            harness
                .query_by_label_contains("Another app lists")
                .is_some(),
            says,
            "photo {photo}"
        );
    }
    let view = View::Photo {
        photo: group,
        from: PhotoSource::Review,
    };
    harness
        .state_mut()
        .apply(kith::gui::Action::Show(view), &ctx);
    harness.run();
    assert!(harness.query_by_label(unfound).is_some());
}

/// "Names in other apps" counts the sidecars first, writes nothing until told to, then writes the
/// names beside the photos and says so; kept up to date, a rename reaches them by itself.
#[test]
fn the_settings_write_the_names_into_sidecars_after_a_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let photo = common::copy_into(&photos, &["faces/sheldon/1.png"]).remove(0);
    let path = dir.path().join("library.sqlite");
    let mut catalog = Catalog::open(&path).expect("catalog");
    common::scan(&mut catalog, &photos);
    let face = catalog.faces().expect("faces")[0].id;
    catalog
        .split_faces(&[face], Some("Sheldon Cooper"))
        .expect("name");
    drop(catalog);
    let sidecar = PathBuf::from(format!("{}.xmp", photo.display()));

    let mut harness = settings_harness(&path);
    harness.get_by_label("Write names to sidecars…").click();
    wait_for(&mut harness, "Write them");
    assert!(harness
        .query_by_label_contains("This writes 1 sidecar (1 named face)")
        .is_some());
    assert!(!sidecar.exists(), "nothing is written before the yes");
    harness.get_by_label("Write them").click();
    wait_until(&mut harness, "the write", |h| {
        h.state().status().starts_with("Wrote 1 sidecar")
    });
    let text = std::fs::read_to_string(&sidecar).expect("sidecar");
    assert!(text.contains(r#"mwg-rs:Name="Sheldon Cooper""#), "{text}");

    // Kept up to date from now on: a rename in the window reaches the sidecar.
    harness
        .get_by_label_contains("Keep them up to date")
        .click();
    harness.run();
    let person = reopen(&path).persons(true).expect("persons")[0].id;
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(
        kith::gui::Action::Rename {
            person,
            name: "Dr. Sheldon Cooper".into(),
        },
        &ctx,
    );
    wait_until(&mut harness, "the sidecar kept up to date", |_| {
        std::fs::read_to_string(&sidecar)
            .is_ok_and(|text| text.contains(r#"mwg-rs:Name="Dr. Sheldon Cooper""#))
    });
    wait_until(&mut harness, "the keeper", |h| !h.state().is_busy());
    assert!(
        harness
            .state()
            .status()
            .starts_with("Sidecars kept up to date: 1 written"),
        "{}",
        harness.state().status()
    );
}

/// Search within dates: a year takes in all of it, and so does a month; a date that is not one is
/// said so instead of matching the wrong photos.
#[test]
fn search_finds_the_photos_taken_within_the_dates_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let files = common::copy_into(
        &photos,
        &[
            "faces/penny/1.png",
            "faces/penny/2.png",
            "faces/penny/3.png",
        ],
    );
    // Dated as Google's export dates them (noon UTC, the same day in any time zone within 11 h).
    for (file, timestamp) in files.iter().zip(["1433160000", "1552219200", "1574251200"]) {
        let json = format!(r#"{{"photoTakenTime": {{"timestamp": "{timestamp}"}}}}"#);
        std::fs::write(format!("{}.json", file.display()), json).expect("json");
    }
    let path = dir.path().join("library.sqlite");
    let mut catalog = Catalog::open(&path).expect("catalog");
    common::scan(&mut catalog, &photos);
    let faces: Vec<i64> = catalog
        .faces()
        .expect("faces")
        .iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(faces.len(), 3);
    catalog.split_faces(&faces, Some("Penny")).expect("name");
    drop(catalog);

    let mut harness = harness(&path);
    harness.get_by_label("Search").click();
    harness.run();
    let search = |harness: &mut Harness<'static, KithApp>, field: &str, text: &str| {
        let field = harness.get_by_label(field);
        field.focus();
        field.type_text(text);
        harness.run();
        harness.key_press(Key::Enter);
        harness.run();
    };
    let found = |harness: &Harness<'static, KithApp>| -> Vec<String> {
        let view = harness.state().search_view();
        view.results()
            .iter()
            .map(|hit| hit.taken_at.clone().unwrap_or_default()[..10].to_string())
            .collect()
    };
    search(&mut harness, "Search people", "Penny");
    assert_eq!(found(&harness).len(), 3);
    search(&mut harness, "Taken from", "2019");
    assert_eq!(found(&harness), ["2019-03-10", "2019-11-20"]);
    assert!(harness
        .query_by_label_contains("2 photos with Penny, taken from 2019 on")
        .is_some());
    search(&mut harness, "Taken up to", "2019-06");
    assert_eq!(found(&harness), ["2019-03-10"]);
    search(&mut harness, "Taken from", "-13");
    let error = harness
        .state()
        .search_view()
        .error()
        .unwrap_or_default()
        .to_string();
    assert!(error.contains("\"2019-13\" is not a date"), "{error}");
    assert!(found(&harness).is_empty());
}

/// "Add a face" in the photo viewer: a box dragged around a face the scan missed, zoomed in on
/// with the wheel, becomes a face, placed with its person and selected; a drag pans the zoomed
/// photo, "Fit" shows it whole, and "Remove this face" takes the face away again.
#[test]
fn a_face_the_scan_missed_is_added_by_dragging_a_box_around_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = library(dir.path());
    let photos = dir.path().join("far");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let far = photos.join("far.jpg");
    let frame = common::far_faces(&[("faces/sheldon/5.png", 1000, 1000)]);
    std::fs::write(&far, common::jpeg(&frame)).expect("write");
    let mut catalog = reopen(&path);
    let sheldon = person_of(&catalog, "sheldon");
    catalog.name_person(sheldon, "Sheldon").expect("name");
    let scanned = common::scan(&mut catalog, &photos);
    assert_eq!(scanned.faces, 0, "the scan misses the face");
    let (photo, _) = catalog
        .photo_status(&far.canonicalize().expect("path"))
        .expect("status")
        .expect("catalogued");
    drop(catalog);

    // Found where the user looks for such photos: Search, "No face found".
    let mut harness = scanning_harness(&path, kith::gui::Prefs::default());
    harness.run();
    harness.get_by_label("Search").click();
    harness.run();
    harness.get_by_label("No face found (1)").click();
    harness.run();
    let found: Vec<i64> = harness
        .state()
        .search_view()
        .results()
        .iter()
        .map(|hit| hit.photo_id)
        .collect();
    assert_eq!(found, vec![photo]);
    assert!(harness
        .query_by_label("1 photo with no face found")
        .is_some());
    harness.get_by_label("far.jpg, no date").click();
    harness.run();
    assert_eq!(
        harness.state().view(),
        View::Photo {
            photo,
            from: PhotoSource::Search
        }
    );
    // + zooms from the keyboard, 0 fits again.
    harness.key_press(Key::Plus);
    harness.run();
    assert!(harness.query_by_label("125%").is_some());
    harness.key_press(Key::Num0);
    harness.run();
    assert!(harness.query_by_label("Fit").is_none());
    harness.get_by_label("Add a face").click();
    harness.run();
    // The face is a few points wide on the screen: zoomed in four times about it first, it
    // stays under the pointer.
    let view = harness.get_by_label("Photo").rect();
    let fit = (view.width() / 5000.0).min(view.height() / 3750.0);
    let photo_at = view.center() - egui::vec2(2500.0, 1875.0) * fit;
    let face = photo_at + egui::vec2(1025.0, 1025.0) * fit;
    harness.hover_at(face);
    harness.run();
    harness.event(egui::Event::Zoom(4.0));
    harness.run();
    assert!(harness.query_by_label("400%").is_some());
    let half = egui::vec2(30.0, 30.0) * fit * 4.0;
    let (from, to) = (face - half, face + half);
    harness.hover_at(from);
    harness.run();
    harness.drag_at(from);
    harness.run();
    harness.hover_at(face);
    harness.run();
    harness.hover_at(to);
    harness.run();
    harness.drop_at(to);
    harness.run();
    wait_until(&mut harness, "the face added", |h| !h.state().is_busy());

    let status = harness.state().status().to_string();
    assert!(status.contains("added, placed with Sheldon"), "{status}");
    let faces = harness.state().photo_view().faces().to_vec();
    assert_eq!(faces.len(), 1, "{faces:?}");
    assert!(faces[0].drawn);
    assert_eq!(faces[0].person, Some(sheldon));
    let [x, y, w, h] = faces[0].bbox;
    assert!((x + w / 2.0 - 1025.0).abs() < 15.0 && (y + h / 2.0 - 1025.0).abs() < 15.0);
    // Zoomed, the face's box is four times as large as fitted; "Fit" shows the whole photo.
    let face_box = format!("Face {}: Sheldon", faces[0].id);
    let zoomed = harness.get_by_label(&face_box).rect().width();
    // A drag pans the zoomed photo.
    let before = harness.get_by_label(&face_box).rect().center();
    let grab = view.center();
    harness.hover_at(grab);
    harness.run();
    harness.drag_at(grab);
    harness.run();
    harness.hover_at(grab + egui::vec2(-20.0, 0.0));
    harness.run();
    harness.hover_at(grab + egui::vec2(-60.0, 0.0));
    harness.run();
    harness.drop_at(grab + egui::vec2(-60.0, 0.0));
    harness.run();
    let after = harness.get_by_label(&face_box).rect().center();
    assert!(
        (after.x - before.x + 60.0).abs() < 2.0,
        "{before:?} {after:?}"
    );
    assert!((after.y - before.y).abs() < 1.0, "{before:?} {after:?}");
    harness.get_by_label("Fit").click();
    harness.run();
    assert!(harness.query_by_label("Fit").is_none());
    let fitted = harness.get_by_label(&face_box).rect().width();
    assert!((zoomed / fitted - 4.0).abs() < 0.3, "{fitted} {zoomed}");
    let catalog = reopen(&path);
    assert!(catalog
        .photos_without_faces(None, None)
        .expect("photos")
        .is_empty());
    // Ctrl+Z takes the drawing back, Ctrl+Shift+Z gives it again.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run();
    assert_eq!(harness.state().status(), "Undone: Add a face");
    assert!(harness.state().photo_view().faces().is_empty());
    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    harness.run();
    assert_eq!(harness.state().photo_view().faces().len(), 1);
    // Selected, to be named or corrected.
    harness.get_by_label(&face_box).click();
    harness.run();
    harness.get_by_label("Remove this face").click();
    harness.run();
    assert!(harness.state().photo_view().faces().is_empty());
    assert!(catalog.photo_faces(photo).expect("faces").is_empty());
}
