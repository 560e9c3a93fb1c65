//! The `kith` binary as scripts use it: JSON contracts of scan, faces, people, name, search, undo,
//! eval, train and adapt, with a throw-away catalog.

mod common;

use std::path::Path;
use std::process::Command;

use common::testdata;
use serde_json::Value;

fn kith(library: &Path, args: &[&str]) -> Value {
    kith_with(library, &[], args)
}

/// [`kith`] with these environment variables set.
fn kith_with(library: &Path, env: &[(&str, &Path)], args: &[&str]) -> Value {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let out = Command::new(env!("CARGO_BIN_EXE_kith"))
        .envs(env.iter().copied())
        .args(args)
        .arg("--json")
        .arg("--library")
        .arg(library)
        .arg("--models")
        .arg(&models)
        .output()
        .expect("run kith");
    assert!(
        out.status.success(),
        "kith {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("kith {args:?}: {e}: {stdout}"))
}

/// Runs kith on `library`, which must refuse: returns what it said on standard error.
fn kith_refused(library: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kith"))
        .args(args)
        .arg("--library")
        .arg(library)
        .output()
        .expect("run kith");
    assert!(!out.status.success(), "kith {args:?} did it");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn scan_name_search_undo_through_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let library = dir.path().join("lib.sqlite");
    let scenes = testdata("scenes");
    let sheldon = testdata("faces/sheldon");

    let summary = kith(&library, &["scan", sheldon.to_str().expect("utf-8")]);
    for key in [
        "photos",
        "photos_with_faces",
        "faces",
        "skipped",
        "errors",
        "seconds",
    ] {
        assert!(
            summary.get(key).is_some(),
            "scan summary lacks {key}: {summary}"
        );
    }
    assert_eq!(summary["photos"], 5);
    assert_eq!(summary["faces"], 5);
    kith(&library, &["scan", scenes.to_str().expect("utf-8")]);

    // The five crops of one man form one person; name him.
    let people = kith(&library, &["people"]);
    let first = &people.as_array().expect("list")[0];
    assert!(first["faces"].as_u64().expect("count") >= 5, "{people}");
    let id = format!("#{}", first["id"]);
    kith(&library, &["name", &id, "Sheldon"]);
    let hits = kith(&library, &["search", "sheldon"]);
    let scene_hits = hits
        .as_array()
        .expect("hits")
        .iter()
        .filter(|h| h["path"].as_str().is_some_and(|p| p.contains("bbt")))
        .count();
    assert!(scene_hits >= 4, "{hits}");

    kith(&library, &["undo"]);
    let people = kith(&library, &["people"]);
    assert!(
        people
            .as_array()
            .expect("list")
            .iter()
            .all(|p| p["name"].is_null()),
        "{people}"
    );

    let faces = kith(
        &library,
        &[
            "faces",
            testdata("group/sample3.jpg").to_str().expect("utf-8"),
        ],
    );
    let list = faces["faces"].as_array().expect("faces");
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["box"].as_array().expect("box").len(), 4);
    assert_eq!(list[0]["landmarks"].as_array().expect("landmarks").len(), 5);
}

#[test]
fn a_face_seen_once_is_named_from_the_ungrouped_and_known_in_photos_added_later() {
    let dir = tempfile::tempdir().expect("tempdir");
    let library = dir.path().join("lib.sqlite");
    let group = dir.path().join("group");
    std::fs::create_dir(&group).expect("folder");
    common::copy_into(&group, &["scenes/bbt3.jpg"]);
    kith(&library, &["scan", group.to_str().expect("utf-8")]);

    // Five people, each seen once: nobody is grouped, and all five faces are listed.
    let ungrouped = kith(&library, &["ungrouped"]);
    let mut faces = ungrouped.as_array().expect("list").clone();
    assert_eq!(faces.len(), 5, "{ungrouped}");
    let width = |f: &Value| f["box"][2].as_f64().expect("width");
    assert!(faces.windows(2).all(|w| width(&w[0]) * 1.3 >= width(&w[1])));
    assert!(faces
        .iter()
        .all(|f| f["photo"].as_str().is_some_and(|p| p.ends_with("bbt3.jpg"))));
    assert_eq!(
        kith(&library, &["people"]).as_array().map(Vec::len),
        Some(0)
    );

    // Penny is the third from the left: one face of her is enough to know her by.
    faces.sort_by(|a, b| {
        a["box"][0]
            .as_f64()
            .partial_cmp(&b["box"][0].as_f64())
            .expect("x")
    });
    let penny = faces[2]["face"].to_string();
    kith(&library, &["split", &penny, "--name", "Penny"]);
    let ungrouped = kith(&library, &["ungrouped"]);
    let left = ungrouped.as_array().expect("list");
    assert_eq!(left.len(), 4);
    assert!(left.iter().all(|f| f["face"] != faces[2]["face"]));

    // Her portraits, scanned later, join her; nobody else gets a face.
    let portraits = testdata("faces/penny");
    let count = std::fs::read_dir(&portraits).expect("portraits").count();
    kith(&library, &["scan", portraits.to_str().expect("utf-8")]);
    let people = kith(&library, &["people"]);
    let people = people.as_array().expect("people");
    assert_eq!(people.len(), 1, "{people:?}");
    assert_eq!(people[0]["name"], "Penny");
    assert_eq!(people[0]["faces"].as_u64(), Some(count as u64 + 1));
    assert_eq!(
        kith(&library, &["ungrouped"]).as_array().map(Vec::len),
        Some(4)
    );
}

#[test]
fn review_for_one_person_is_answered_many_faces_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let library = dir.path().join("lib.sqlite");
    let leonard = testdata("faces/leonard");
    kith(&library, &["scan", leonard.to_str().expect("utf-8")]);
    let people = kith(&library, &["people"]);
    let group = people[0]["id"].to_string();
    let person = kith(&library, &["person", &format!("#{group}")]);
    let first = person["faces"][0]["id"].to_string();
    kith(&library, &["split", &first, "--name", "Leonard"]);

    // His other faces, still in the unnamed group, are asked about him.
    let asked = |library: &Path| -> Vec<String> {
        let questions = kith(library, &["review", "--person", "Leonard"]);
        let questions = questions.as_array().expect("questions");
        assert!(questions.iter().all(|q| q["name"] == "Leonard"));
        questions.iter().map(|q| q["face"].to_string()).collect()
    };
    let waiting = asked(&library);
    assert!(waiting.len() >= 3, "{waiting:?}");
    let yes = format!("{},{}", waiting[0], waiting[1]);
    kith(
        &library,
        &["answer", "Leonard", "--yes", &yes, "--no", &waiting[2]],
    );
    assert_eq!(asked(&library), waiting[3..].to_vec());
    let named = kith(&library, &["person", "Leonard"]);
    assert_eq!(named["faces"].as_array().map(Vec::len), Some(3), "{named}");

    // One undo takes the whole answer back.
    kith(&library, &["undo"]);
    assert_eq!(asked(&library), waiting);

    // His group named as he is: refused, as most likely the same person, unless another.
    let same = kith_refused(&library, &["name", &format!("#{group}"), "leonard"]);
    assert!(same.contains("is called Leonard already"), "{same}");
    assert!(same.contains("kith merge"), "{same}");
    kith(
        &library,
        &["name", &format!("#{group}"), "leonard", "--another"],
    );
    let people = kith(&library, &["people"]);
    let mut names: Vec<&str> = people
        .as_array()
        .expect("people")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["Leonard", "leonard"]);
}

#[test]
fn scan_without_a_folder_looks_through_the_librarys_folders_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let library = dir.path().join("lib.sqlite");
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let out = Command::new(env!("CARGO_BIN_EXE_kith"))
        .arg("--library")
        .arg(&library)
        .arg("--models")
        .arg(&models)
        .arg("scan")
        .output()
        .expect("run kith");
    assert!(
        !out.status.success(),
        "an empty library has nothing to scan"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no folders yet"), "{stderr}");

    let (photos, card) = (dir.path().join("photos"), dir.path().join("card"));
    for folder in [&photos, &card] {
        std::fs::create_dir_all(folder).expect("mkdir");
    }
    common::copy_into(&photos, &["faces/amy/1.png", "faces/stuart/1.png"]);
    common::copy_into(&card, &["faces/raj/1.png"]);
    let [photos_arg, card_arg] = [&photos, &card].map(|f| f.to_str().expect("utf-8"));
    let first = kith(&library, &["scan", photos_arg, card_arg]);
    assert_eq!(
        (first["photos"].as_u64(), first["faces"].as_u64()),
        (Some(3), Some(3)),
        "{first}"
    );

    common::copy_into(&photos, &["faces/howard/1.png"]);
    let card_key = card.canonicalize().expect("card");
    std::fs::rename(&card, dir.path().join("elsewhere")).expect("unplug");
    let again = kith(&library, &["scan"]);
    assert_eq!(again["photos"], 1, "{again}");
    assert_eq!(again["skipped"], 2, "{again}");
    // The card's photo is left as it was, not counted missing.
    assert_eq!(again["missing"], 0, "{again}");
    assert_eq!(
        again["folders_not_found"],
        serde_json::json!([card_key.to_str().expect("utf-8")]),
        "{again}"
    );
}

#[test]
fn eval_reports_every_measure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = kith(
        &dir.path().join("unused.sqlite"),
        &[
            "eval",
            "--truth",
            testdata("faces").to_str().expect("utf-8"),
        ],
    );
    for key in [
        "photos",
        "photos_with_faces",
        "faces",
        "persons",
        "clusters",
        "singletons",
        "nmi",
    ] {
        assert!(report.get(key).is_some(), "missing {key}: {report}");
    }
    for key in ["pairwise", "bcubed"] {
        for part in ["precision", "recall", "f"] {
            assert!(report[key][part].is_number(), "{key}.{part}: {report}");
        }
    }
    for key in [
        "accuracy_at_tau",
        "tau",
        "auc",
        "best_threshold",
        "best_accuracy",
        "tar_at_far_1e-3",
    ] {
        assert!(
            report["verification"][key].is_number(),
            "verification.{key}: {report}"
        );
    }
    assert_eq!(report["persons"], 15);
    assert!(
        report["bcubed"]["f"].as_f64().expect("f") >= 0.9,
        "{report}"
    );
}

#[test]
fn version_names_the_commit_backends_and_model_hashes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let v = kith(&dir.path().join("unused.sqlite"), &["--version"]);
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert!(v["commit"].as_str().is_some_and(|c| !c.is_empty()), "{v}");
    assert!(v["backends"]
        .as_array()
        .expect("backends")
        .contains(&"cpu".into()));
    assert!(v["libraw"]["version"].as_str().is_some(), "{v}");
    let models = v["models"].as_array().expect("models");
    assert_eq!(models.len(), 2);
    for m in models {
        let hash = m["sha256"].as_str().expect("hash");
        assert_eq!(hash.len(), 64, "{m}");
        let card = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("models")
            .join(format!("{}.json", m["name"].as_str().expect("name")));
        let text = std::fs::read_to_string(card).expect("card");
        assert!(text.contains(hash), "the hash printed is the model card's");
    }
}

/// `kith copies` lists a picture kept in two files (here a JPEG and a PNG made from it) once,
/// and nothing for photos that are only alike.
#[test]
fn copies_lists_each_picture_kept_in_more_than_one_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let library = dir.path().join("lib.sqlite");
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let original = common::copy_into(&photos, &["group/sample5.jpg", "faces/ian_thorpe/1.jpg"]);
    image::open(&original[0])
        .expect("decode")
        .save(photos.join("again.png"))
        .expect("png");
    kith(&library, &["scan", photos.to_str().expect("utf-8")]);
    let groups = kith(&library, &["copies"]);
    let groups = groups.as_array().expect("list");
    assert_eq!(groups.len(), 1, "{groups:?}");
    let mut files: Vec<&str> = groups[0]["copies"]
        .as_array()
        .expect("copies")
        .iter()
        .chain(std::iter::once(&groups[0]["original"]))
        .map(|p| p.as_str().expect("path"))
        .map(|p| p.rsplit('/').next().expect("name"))
        .collect();
    files.sort();
    assert_eq!(files, ["again.png", "group_sample5.jpg"]);
}

/// Copies the photo folders of `persons` under faces/ into `dir`, one folder per person.
fn small_truth(dir: &Path, persons: &[&str]) -> std::path::PathBuf {
    let root = dir.join("truth");
    for person in persons {
        let to = root.join(person);
        std::fs::create_dir_all(&to).expect("mkdir");
        for entry in std::fs::read_dir(testdata(&format!("faces/{person}"))).expect("folder") {
            let path = entry.expect("entry").path();
            std::fs::copy(&path, to.join(path.file_name().expect("name"))).expect("copy");
        }
    }
    root
}

#[test]
fn train_verify_and_adapt_through_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let library = dir.path().join("lib.sqlite");
    let truth = small_truth(dir.path(), &["amy", "bernadette", "howard", "leonard"]);
    let truth = truth.to_str().expect("utf-8");
    let heads = dir.path().join("heads");
    let report = kith(
        &library,
        &[
            "train",
            truth,
            "--loss",
            "triplet-batch-hard,contrastive",
            "--unseen",
            "0.5",
            "--epochs",
            "5",
            "--out",
            heads.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(report["faces"], 20, "{report}");
    assert_eq!(report["seen_persons"].as_array().expect("seen").len(), 2);
    assert_eq!(
        report["unseen_persons"].as_array().expect("unseen").len(),
        2
    );
    let rows = report["rows"].as_array().expect("rows");
    let names: Vec<&str> = rows.iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["plain", "triplet-batch-hard", "contrastive"]);
    for row in rows {
        for set in ["seen", "unseen"] {
            for key in ["auc", "accuracy_at_tau", "tar_at_far_1e-2"] {
                assert!(row[set][key].is_number(), "{set}.{key}: {row}");
            }
            assert!(row[set]["lfw"]["mean_accuracy"].is_number(), "{row}");
            assert!(row[set]["bcubed"]["f"].is_number(), "{row}");
        }
    }

    let head = heads.join("contrastive.safetensors");
    let verify = kith(
        &library,
        &[
            "eval",
            "verify",
            "--truth",
            truth,
            "--head",
            head.to_str().expect("utf-8"),
        ],
    );
    let rows = verify.as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{verify}");
    for row in rows {
        let m = &row["measures"];
        assert_eq!(m["faces"], 20);
        assert_eq!(m["lfw"]["thresholds"].as_array().expect("folds").len(), 10);
        assert!(m["lfw"]["std_accuracy"].is_number() && m["tar_at_far_1e-3"].is_number());
    }

    // A library nobody has named anything in has nothing to adapt to, and nothing to drop.
    let status = kith(&library, &["adapt", "--status"]);
    assert_eq!(status["active"], false);
    let reset = kith(&library, &["adapt", "--reset"]);
    assert_eq!(reset["dropped"], false);
}

#[test]
fn bench_reports_batches_and_each_network_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sheldon = testdata("faces/sheldon");
    let report = kith(
        &dir.path().join("lib.sqlite"),
        &[
            "bench",
            sheldon.to_str().expect("utf-8"),
            "--copies",
            "2",
            "--threads",
            "3",
            "--batching",
            "true",
            "--networks",
        ],
    );
    assert_eq!(report["photos"], 10, "{report}");
    assert_eq!(report["faces"], 10, "{report}");
    assert_eq!(report["threads"], 3, "{report}");
    // Each photo was looked at once or twice, and its one face embedded once.
    let detect = &report["batches"]["detect"];
    let looks = detect["requests"].as_u64().expect("looks");
    assert!((10..=20).contains(&looks), "{report}");
    assert!(detect["batches"].as_u64().expect("batches") <= looks);
    assert_eq!(report["batches"]["embed"]["requests"], 10, "{report}");
    // Read from the OS: the networks and a few photos in flight, far below what a leak would hold.
    let peak = report["peak_memory_mib"].as_f64().expect("peak memory");
    assert!((10.0..4096.0).contains(&peak), "{report}");
    let networks = &report["networks"];
    assert_eq!(networks["detector_input"], serde_json::json!([640, 480]));
    for speed in [
        "detector_photos_per_second",
        "embedder_faces_per_second",
        "aligner_faces_per_second",
    ] {
        assert!(networks[speed].as_f64().expect(speed) > 0.0, "{report}");
    }
}

#[test]
fn precision_is_chosen_reported_and_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sheldon = testdata("faces/sheldon");
    let report = kith(
        &dir.path().join("lib.sqlite"),
        &[
            "--precision",
            "f16",
            "bench",
            sheldon.to_str().expect("utf-8"),
            "--copies",
            "1",
        ],
    );
    assert_eq!(report["precision"], "f16", "{report}");
    assert_eq!(report["faces"], 5, "{report}");

    let out = Command::new(env!("CARGO_BIN_EXE_kith"))
        .args(["--precision", "bf16", "scan"])
        .arg(&sheldon)
        .output()
        .expect("run kith");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("use f32 or f16"), "{stderr}");
}

/// `kith listed` names the people another app lists in a photo whom no face of it is yet, and
/// leaves out a photo whose one listed person was found.
#[test]
fn listed_shows_the_people_left_to_find() {
    let dir = tempfile::tempdir().expect("tempdir");
    let library = dir.path().join("lib.sqlite");
    let photos = dir.path().join("Takeout");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let listed = common::copy_into(&photos, &["group/sample5.jpg", "faces/ian_thorpe/1.jpg"]);
    for (photo, people) in listed.iter().zip([
        r#"[{"name": "Anna Lee"}, {"name": "Ben"}]"#,
        r#"[{"name": "Ian"}]"#,
    ]) {
        let json = format!(r#"{{"people": {people}}}"#);
        std::fs::write(format!("{}.json", photo.display()), json).expect("json");
    }
    kith(&library, &["scan", photos.to_str().expect("utf-8")]);
    let left = kith(&library, &["listed"]);
    let left = left.as_array().expect("list");
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0]["path"]
        .as_str()
        .expect("path")
        .ends_with("group_sample5.jpg"));
    assert_eq!(left[0]["people"], serde_json::json!(["Anna Lee", "Ben"]));
}

/// `kith write-xmp` writes the names into a sidecar beside the photo, says what it would write
/// in a dry run, and leaves a sidecar that says it already alone; with `--keep on`, later
/// changes of names reach the sidecar by themselves, until `--keep off`.
#[test]
fn write_xmp_puts_the_names_beside_the_photos() {
    let dir = tempfile::tempdir().expect("tempdir");
    let library = dir.path().join("lib.sqlite");
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let ian = common::copy_into(&photos, &["faces/ian_thorpe/1.jpg"]).remove(0);
    std::fs::write(
        format!("{}.json", ian.display()),
        r#"{"people": [{"name": "Ian"}]}"#,
    )
    .expect("json");
    kith(&library, &["scan", photos.to_str().expect("utf-8")]);
    let sidecar = format!("{}.xmp", ian.canonicalize().expect("path").display());
    let dry = kith(&library, &["write-xmp", "--dry-run"]);
    assert_eq!(dry["written"], serde_json::json!([sidecar]), "{dry}");
    assert!(!Path::new(&sidecar).exists());
    let written = kith(&library, &["write-xmp"]);
    assert_eq!(
        (written["faces"].as_u64(), written["unchanged"].as_u64()),
        (Some(1), Some(0))
    );
    let text = std::fs::read_to_string(&sidecar).expect("sidecar");
    assert!(text.contains(r#"mwg-rs:Name="Ian""#), "{text}");
    let again = kith(&library, &["write-xmp"]);
    assert_eq!(again["unchanged"].as_u64(), Some(1), "{again}");

    // Kept up to date, a rename reaches the sidecar by itself.
    kith(&library, &["write-xmp", "--keep", "on"]);
    kith(&library, &["name", "Ian", "Ian Thorpe"]);
    let text = std::fs::read_to_string(&sidecar).expect("sidecar");
    assert!(text.contains(r#"mwg-rs:Name="Ian Thorpe""#), "{text}");
    kith(&library, &["write-xmp", "--keep", "off"]);
    kith(&library, &["name", "Ian Thorpe", "Thorpey"]);
    let text = std::fs::read_to_string(&sidecar).expect("sidecar");
    assert!(!text.contains("Thorpey"), "{text}");
}

#[test]
fn add_face_and_remove_face_for_faces_the_scan_missed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let library = dir.path().join("lib.sqlite");
    let sheldon = testdata("faces/sheldon");
    kith(&library, &["scan", sheldon.to_str().expect("utf-8")]);
    let people = kith(&library, &["people"]);
    let id = format!("#{}", people[0]["id"]);
    kith(&library, &["name", &id, "Sheldon"]);

    let photos = dir.path().join("far");
    std::fs::create_dir_all(&photos).expect("mkdir");
    let far = photos.join("far.jpg");
    let frame = common::far_faces(&[
        ("faces/sheldon/5.png", 1000, 1000),
        ("faces/amy/1.png", 3000, 1000),
    ]);
    std::fs::write(&far, common::jpeg(&frame)).expect("write");
    let scanned = kith(&library, &["scan", photos.to_str().expect("utf-8")]);
    assert_eq!(scanned["faces"], 0, "{scanned}");
    let far = far.to_str().expect("utf-8");
    let faceless = kith(&library, &["search", "--no-faces"]);
    assert_eq!(faceless.as_array().map(Vec::len), Some(1), "{faceless}");
    assert!(faceless[0]["path"]
        .as_str()
        .is_some_and(|p| p.ends_with("far.jpg")));

    let added = kith(&library, &["add-face", far, "--box", "1000,1000,50,50"]);
    assert_eq!(added["person_label"], "Sheldon", "{added}");
    assert!(added["score"].as_f64().is_some_and(|s| s > 0.9), "{added}");
    let named = kith(
        &library,
        &["add-face", far, "--box", "3000,1000,50,50", "--name", "Amy"],
    );
    assert_eq!(named["person_label"], "Amy", "{named}");
    let amy = kith(&library, &["person", "Amy"]);
    assert_eq!(amy["faces"].as_array().expect("faces").len(), 1, "{amy}");
    let faceless = kith(&library, &["search", "--no-faces"]);
    assert_eq!(faceless.as_array().map(Vec::len), Some(0), "{faceless}");

    // The export says which faces were drawn.
    let export = |format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_kith"))
            .args(["export", "--format", format, "--library"])
            .arg(&library)
            .output()
            .expect("run kith");
        assert!(out.status.success());
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let json: Value = serde_json::from_str(&export("json")).expect("json");
    let drawn: Vec<&Value> = json["faces"]
        .as_array()
        .expect("faces")
        .iter()
        .filter(|f| f["drawn"] == true)
        .map(|f| &f["id"])
        .collect();
    assert_eq!(drawn, [&added["face"], &named["face"]], "{json}");
    let csv = export("csv");
    assert!(csv.starts_with("face_id,photo,x,y,w,h,score,person_id,person_name,drawn\n"));
    assert_eq!(
        csv.lines().filter(|l| l.ends_with(",true")).count(),
        2,
        "{csv}"
    );

    let face = named["face"].to_string();
    kith(&library, &["remove-face", &face]);
    kith_refused(&library, &["remove-face", &face]);
    // Taking a face away is undone like any decision.
    let undone = kith(&library, &["undo"]);
    assert_eq!(undone["message"], "undid: Remove a face", "{undone}");
    let amy = kith(&library, &["person", "Amy"]);
    assert_eq!(amy["faces"].as_array().expect("faces").len(), 1, "{amy}");
    let bad_box = Command::new(env!("CARGO_BIN_EXE_kith"))
        .args(["add-face", far, "--box", "1,2,3", "--library"])
        .arg(&library)
        .output()
        .expect("run kith");
    assert!(String::from_utf8_lossy(&bad_box.stderr).contains("four numbers"));
}

#[test]
fn a_library_that_cannot_be_made_says_why_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a folder").expect("write");
    let said = kith_refused(&file.join("lib.sqlite"), &["people"]);
    assert!(
        said.contains("cannot create the catalog's folder"),
        "{said}"
    );
    assert_eq!(said.matches("os error").count(), 1, "{said}");
}

#[test]
fn output_piped_into_a_reader_that_stops_ends_the_command_quietly() {
    // `kith export | head -c 1` on the 98 labelled photos: about 80 KB of JSON, more than a pipe
    // holds, so the export is still writing when the reader goes.
    let dir = tempfile::tempdir().expect("tempdir");
    let library = dir.path().join("c.sqlite");
    kith(&library, &["scan", &testdata("faces").to_string_lossy()]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_kith"))
        .args(["--library", &library.to_string_lossy(), "export"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kith runs");
    let mut first = [0u8; 1];
    let mut stdout = child.stdout.take().expect("stdout");
    std::io::Read::read_exact(&mut stdout, &mut first).expect("first byte");
    assert_eq!(&first, b"{");
    drop(stdout);
    let out = child.wait_with_output().expect("kith ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}

#[test]
fn who_names_the_faces_of_a_photo_left_to_right_and_gives_the_librarys_own_by_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let library = dir.path().join("w.sqlite");
    for (folder, name) in [("faces/sheldon", "Sheldon"), ("faces/penny", "Penny")] {
        kith(&library, &["scan", &testdata(folder).to_string_lossy()]);
        let people = kith(&library, &["people"]);
        let unnamed = people
            .as_array()
            .expect("people")
            .iter()
            .find(|p| p["name"].is_null())
            .unwrap_or_else(|| panic!("a person for {folder}: {people}"));
        kith(&library, &["name", &format!("#{}", unnamed["id"]), name]);
    }
    let labels = |seen: &Value| -> Vec<String> {
        seen["faces"]
            .as_array()
            .expect("faces")
            .iter()
            .map(|f| f["person_label"].as_str().unwrap_or("").to_string())
            .collect()
    };

    // bbt3 shows Sheldon, Howard, Penny, Raj and Leonard, left to right; only two are known.
    let elsewhere = kith(
        &library,
        &["who", &testdata("scenes/bbt3.jpg").to_string_lossy()],
    );
    assert_eq!(elsewhere["in_library"], false);
    assert_eq!(labels(&elsewhere), ["Sheldon", "", "Penny", "", ""]);
    assert!(elsewhere["faces"]
        .as_array()
        .expect("faces")
        .iter()
        .all(|f| f["face"].is_null() && f["candidates"][0]["distance"].as_f64().is_some()));

    // Once scanned, its faces are the library's: ids to act on, and the user's decisions.
    let folder = dir.path().join("party");
    std::fs::create_dir(&folder).expect("folder");
    let copied = common::copy_into(&folder, &["scenes/bbt3.jpg"]);
    kith(&library, &["scan", &folder.to_string_lossy()]);
    let photo = copied[0].to_string_lossy().into_owned();
    let seen = kith(&library, &["who", &photo]);
    assert_eq!(seen["in_library"], true);
    assert_eq!(labels(&seen), ["Sheldon", "", "Penny", "", ""]);
    let ids: Vec<String> = seen["faces"]
        .as_array()
        .expect("faces")
        .iter()
        .map(|f| f["face"].as_i64().expect("a face id").to_string())
        .collect();
    kith(&library, &["move", &ids[1], "Penny"]);
    kith(&library, &["ignore", &ids[4]]);
    let seen = kith(&library, &["who", &photo]);
    assert_eq!(labels(&seen), ["Sheldon", "Penny", "Penny", "", ""]);
    assert_eq!(seen["faces"][1]["confirmed"], true);
    assert_eq!(seen["faces"][4]["ignored"], true);
    assert_eq!(seen["faces"][0]["confirmed"], false);
}

/// Picasa 3.8 and later named a folder file's contacts in its own `contacts.xml`: a face the
/// folder file leaves unnamed is named by it, once the scan can find it, and only the photos it
/// names are read again.
#[test]
fn faces_named_in_picasas_contacts_file_arrive_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let library = dir.path().join("p.sqlite");
    let photos = dir.path().join("2010");
    std::fs::create_dir(&photos).expect("folder");
    for (file, photo) in [
        ("faces/ian_thorpe/1.jpg", "DSC_0001.JPG"),
        ("faces/john_mccain/1.jpg", "DSC_0002.JPG"),
    ] {
        std::fs::copy(testdata(file), photos.join(photo)).expect("copy");
    }
    // Each face in a region covering its whole photo; the folder file names John McCain only.
    let ini = "[Picasa]\nname=2010\n\
               [DSC_0001.JPG]\nfaces=rect64(ffffffff),9c4d5e6f7a8b9c0d\n\
               [DSC_0002.JPG]\nfaces=rect64(ffffffff),3f1a\n\
               [Contacts2]\n3f1a=John McCain;;\n";
    std::fs::write(photos.join(".picasa.ini"), ini).expect("ini");
    let contacts = dir.path().join("contacts.xml");
    let env = [("KITH_PICASA_CONTACTS", contacts.as_path())];
    let folder = photos.to_string_lossy().into_owned();
    let named = |people: &Value| -> Vec<(String, u64)> {
        let mut named: Vec<(String, u64)> = people
            .as_array()
            .expect("people")
            .iter()
            .filter_map(|p| Some((p["name"].as_str()?.to_owned(), p["faces"].as_u64()?)))
            .collect();
        named.sort();
        named
    };

    let first = kith_with(&library, &env, &["scan", &folder]);
    assert_eq!(first["photos"], 2, "{first}");
    let people = kith_with(&library, &env, &["people"]);
    assert_eq!(named(&people), [("John McCain".to_owned(), 1)], "{people}");

    let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<contacts>
 <contact id="9c4d5e6f7a8b9c0d" name="Ian Thorpe" display="Ian" modified_time="2010-06-01T09:00:00+00:00" local_contact="1"/>
</contacts>
"#;
    std::fs::write(&contacts, xml).expect("contacts");
    let again = kith_with(&library, &env, &["scan", &folder]);
    assert_eq!(again["photos"], 1, "{again}");
    let people = kith_with(&library, &env, &["people"]);
    let expected = [("Ian Thorpe".to_owned(), 1), ("John McCain".to_owned(), 1)];
    assert_eq!(named(&people), expected, "{people}");
}
