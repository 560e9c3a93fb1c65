//! Commands about people: listing, the user's decisions, undo, distances, clustering, search,
//! recognition and export.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use super::photos::{analyse_photo, largest_face};
use super::Cli;
use kith::catalog::{Catalog, PersonSummary, PhotoStatus};
use kith::people::search::{date_range, search, PhotoHit, Query};
use kith::people::suggest::FaceSpace;
use kith::people::{assign, review, settings};
use kith::wording::counted;

#[derive(Subcommand)]
pub enum PeopleCommand {
    /// List people: named first, then unnamed groups by size.
    People {
        /// Include hidden people.
        #[arg(long)]
        all: bool,
    },
    /// One person: faces, "check these" (least typical faces) and the closest other people.
    Person { person: String },
    /// Name or rename a person (PERSON is a name or #id). A name someone else has already is
    /// refused unless --another: the same person is merged with `kith merge`.
    Name {
        person: String,
        name: String,
        /// Give the name although someone else has it: two people, one name.
        #[arg(long)]
        another: bool,
    },
    /// Merge people into the first one; the first's name is kept, else the first other name.
    Merge {
        target: String,
        #[arg(required = true)]
        others: Vec<String>,
    },
    /// Move faces into a new person.
    Split {
        #[arg(required = true)]
        faces: Vec<i64>,
        #[arg(long)]
        name: Option<String>,
    },
    /// Move a face to a person.
    Move { face: i64, person: String },
    /// "This face is not its person" (or not PERSON, which it need not be with): remembered,
    /// never undone by re-clustering, never asked again by `kith review`.
    Not { face: i64, person: Option<String> },
    /// Hide a person from lists (or show it again with --show).
    Hide {
        person: String,
        #[arg(long)]
        show: bool,
    },
    /// Ignore a face (a stranger, a poster), or take it back with --restore.
    Ignore {
        face: i64,
        #[arg(long)]
        restore: bool,
    },
    /// Choose the face shown for a person.
    Cover { person: String, face: i64 },
    /// Undo the last decision.
    Undo,
    /// Redo the last undone decision.
    Redo,
    /// The nearest faces of a face, with distances against the same-person threshold.
    Neighbours {
        face: i64,
        #[arg(short, default_value_t = 10)]
        k: usize,
    },
    /// "These two are different people": the merge suggestion is never offered again.
    Different { a: String, b: String },
    /// Faces in no named person, each with the named person it most likely is, closest first;
    /// answer with `kith move FACE PERSON` or `kith not FACE PERSON`, or many at once with
    /// `kith answer PERSON --yes FACE... --no FACE...`.
    Review {
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Only the faces asked about this person (a name or #id).
        #[arg(long)]
        person: Option<String>,
    },
    /// Which of these faces are PERSON? The --yes faces are, the --no faces are not: one action,
    /// taken back whole by `kith undo`.
    Answer {
        person: String,
        /// Faces that are PERSON (ids, after one --yes, by spaces or commas)
        #[arg(long, num_args = 1.., value_delimiter = ',')]
        yes: Vec<i64>,
        /// Faces that are not PERSON, never asked about them again
        #[arg(long, num_args = 1.., value_delimiter = ',')]
        no: Vec<i64>,
    },
    /// Faces with nobody: clustering grouped them with no one (mostly people seen in a single
    /// photo). Largest first; name one with `kith split FACE --name NAME`.
    Ungrouped {
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Pairs of people who may be one person, closest first: those close on average (below the
    /// same-person threshold), not only at one pair of faces.
    Suggest {
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Also the pairs whose closest faces are within the threshold but who are apart on
        /// average: now and then one person, mostly two who look alike in one photo.
        #[arg(long)]
        all: bool,
    },
    /// Re-cluster all faces the user has not placed; saves the algorithm as the library's choice.
    Cluster {
        /// dbscan (each cluster then cut again by average linkage at eps + 0.05), agglomerative
        /// (average linkage) or complete (complete linkage).
        #[arg(long)]
        algo: Option<String>,
        /// DBSCAN's eps or agglomerative's cut distance.
        #[arg(long)]
        eps: Option<f32>,
        /// DBSCAN's min_points (the point itself included).
        #[arg(long)]
        min_points: Option<usize>,
    },
    /// Photos of people: "Anna", "Anna & Ben", "Anna -Ben"; or --like FACE_ID|PHOTO.
    Search {
        query: Option<String>,
        /// Photos of whoever is in this face (a face id) or this photo (its largest face).
        #[arg(long)]
        like: Option<String>,
        /// Only photos taken on or after this date (2019, 2019-06 or 2019-06-30).
        #[arg(long)]
        from: Option<String>,
        /// Only photos taken on or before this date (2019, 2019-06 or 2019-06-30: all of it).
        #[arg(long)]
        to: Option<String>,
        /// Photos in which no face was found instead: where to add faces the scan missed.
        #[arg(long, conflicts_with_all = ["query", "like"])]
        no_faces: bool,
        /// Copy the photos found into this folder (made if need be), as an album to share: a
        /// file there already is never overwritten, and a photo there already is not copied
        /// again.
        #[arg(long, value_name = "FOLDER")]
        copy_to: Option<PathBuf>,
    },
    /// Who is in this photo, left to right? A photo in the library: its faces with their ids and
    /// people. Any other: its faces recognised against the library's people.
    Who { photo: PathBuf },
    /// Export people, faces and photos as JSON (default) or CSV (one row per face).
    Export {
        #[arg(long, default_value = "json")]
        format: String,
    },
    /// Add a face the scan missed (turned away, half hidden, far off) to a catalogued photo:
    /// the box around it, in the photo's upright pixels. It is placed with the person it is
    /// nearest, or given to NAME. A later scan keeps it.
    AddFace {
        photo: PathBuf,
        /// x,y,width,height of the face, as `kith faces` gives boxes
        #[arg(long = "box", value_name = "X,Y,W,H", value_parser = parse_box)]
        area: [f32; 4],
        /// Whose face it is: a name (a new person where nobody has it) or #id
        #[arg(long)]
        name: Option<String>,
    },
    /// Take away a face added with `kith add-face` (a face the scan found is ignored instead).
    RemoveFace { face: i64 },
    /// Write the names into XMP sidecars beside the photos (photo.jpg.xmp, or Lightroom's
    /// photo.xmp where it is there), as face regions and people shown, for digiKam, Immich,
    /// Lightroom Classic (RAW photos) and other apps. Another app's sidecar (darktable's edits) is
    /// edited, keeping the rest of it; the photos are never touched
    WriteXmp {
        /// Only say which sidecars would be written
        #[arg(long)]
        dry_run: bool,
        /// Keep the sidecars up to date from now on, after each change of names (on), or stop
        /// (off: nothing is written then)
        #[arg(long, value_name = "on|off")]
        keep: Option<Switch>,
    },
}

/// On or off, for a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    On,
    Off,
}

pub fn run(cli: &Cli, command: &PeopleCommand) -> Result<()> {
    let mut catalog = cli.catalog()?;
    execute(cli, &mut catalog, command)?;
    if command.changes_names() {
        keep_sidecars(&mut catalog)?;
    }
    Ok(())
}

impl PeopleCommand {
    /// Whether the command may change who a face is, or a person's name or visibility.
    fn changes_names(&self) -> bool {
        matches!(
            self,
            PeopleCommand::Name { .. }
                | PeopleCommand::Merge { .. }
                | PeopleCommand::Split { .. }
                | PeopleCommand::Move { .. }
                | PeopleCommand::Not { .. }
                | PeopleCommand::Answer { .. }
                | PeopleCommand::Hide { .. }
                | PeopleCommand::Ignore { .. }
                | PeopleCommand::Undo
                | PeopleCommand::Redo
                | PeopleCommand::Cluster { .. }
                | PeopleCommand::AddFace { .. }
                | PeopleCommand::RemoveFace { .. }
        )
    }
}

/// Where the library keeps its sidecars up to date, writes those whose names changed; says so
/// on standard error, so that `--json` output stays one value.
pub fn keep_sidecars(catalog: &mut Catalog) -> Result<()> {
    if let Some(report) = kith::name_sidecars::keep_up(catalog)? {
        if !report.written.is_empty() || !report.failed.is_empty() {
            eprintln!(
                "sidecars kept up to date: {} written, {} left as they were",
                report.written.len(),
                report.failed.len()
            );
        }
    }
    Ok(())
}

fn execute(cli: &Cli, catalog: &mut Catalog, command: &PeopleCommand) -> Result<()> {
    match command {
        PeopleCommand::People { all } => {
            let persons = catalog.persons(*all)?;
            let ungrouped = catalog.count_ungrouped_faces()?;
            cli.emit(&persons, |ps| {
                if ps.is_empty() && ungrouped == 0 {
                    println!("no people yet: run `kith scan FOLDER`");
                }
                for p in ps {
                    println!(
                        "#{:<5} {:<28} {:>11} {:>12}{}",
                        p.id,
                        p.label(),
                        counted(p.faces, "face"),
                        counted(p.photos, "photo"),
                        if p.hidden { "  (hidden)" } else { "" }
                    );
                }
                if ungrouped > 0 {
                    println!(
                        "and {} with nobody: `kith ungrouped`",
                        counted(ungrouped, "face")
                    );
                }
            })
        }
        PeopleCommand::Person { person } => show_person(cli, catalog, person),
        PeopleCommand::Name {
            person,
            name,
            another,
        } => {
            let id = resolve(catalog, person)?;
            let namesake = catalog
                .persons_named(name)?
                .into_iter()
                .find(|(other, _)| *other != id);
            if let (Some((other, known)), false) = (namesake, *another) {
                bail!(
                    "#{other} is called {known} already: `kith merge #{other} #{id}` makes them \
                     one person, `kith name #{id} {name:?} --another` two people of one name"
                );
            }
            catalog.name_person(id, name)?;
            done(cli, &format!("#{id} is now {name}"))
        }
        PeopleCommand::Merge { target, others } => {
            let t = resolve(catalog, target)?;
            let o = others
                .iter()
                .map(|p| resolve(catalog, p))
                .collect::<Result<Vec<_>>>()?;
            catalog.merge_persons(t, &o)?;
            done(cli, &format!("merged into #{t}"))
        }
        PeopleCommand::Split { faces, name } => {
            let id = catalog.split_faces(faces, name.as_deref())?;
            let who = name
                .as_deref()
                .map_or(format!("#{id}"), |n| format!("{n} (#{id})"));
            match faces[..] {
                [face] => done(cli, &format!("face {face} is now {who}")),
                _ => done(
                    cli,
                    &format!("{} are now {who}", counted(faces.len(), "face")),
                ),
            }
        }
        PeopleCommand::Move { face, person } => {
            let id = resolve(catalog, person)?;
            catalog.move_face(*face, id)?;
            done(cli, &format!("face {face} moved to #{id}"))
        }
        PeopleCommand::Not { face, person: None } => {
            catalog.not_this_person(*face)?;
            done(
                cli,
                &format!("face {face} is no longer with that person, and never will be"),
            )
        }
        PeopleCommand::Not {
            face,
            person: Some(person),
        } => {
            let id = resolve(catalog, person)?;
            catalog.reject_person(*face, id)?;
            done(cli, &format!("face {face} will never be with #{id}"))
        }
        PeopleCommand::Hide { person, show } => {
            let id = resolve(catalog, person)?;
            catalog.hide_person(id, !show)?;
            done(
                cli,
                &format!("#{id} {}", if *show { "shown" } else { "hidden" }),
            )
        }
        PeopleCommand::Ignore { face, restore } => {
            catalog.ignore_face(*face, !restore)?;
            done(
                cli,
                &format!(
                    "face {face} {}",
                    if *restore { "restored" } else { "ignored" }
                ),
            )
        }
        PeopleCommand::Cover { person, face } => {
            let id = resolve(catalog, person)?;
            catalog.set_cover(id, *face)?;
            done(cli, &format!("face {face} is the cover of #{id}"))
        }
        PeopleCommand::Undo => match catalog.undo()? {
            Some(action) => done(cli, &format!("undid: {action}")),
            None => done(cli, "nothing to undo"),
        },
        PeopleCommand::Redo => match catalog.redo()? {
            Some(action) => done(cli, &format!("redid: {action}")),
            None => done(cli, "nothing to redo"),
        },
        PeopleCommand::AddFace { photo, area, name } => {
            add_face(cli, catalog, photo, *area, name.as_deref())
        }
        PeopleCommand::RemoveFace { face } => {
            catalog.remove_drawn_face(*face)?;
            let algorithm = settings::load(catalog)?;
            assign::update(catalog, &algorithm)?;
            done(cli, &format!("face {face} taken away"))
        }
        PeopleCommand::Neighbours { face, k } => {
            let space = face_space(cli, catalog)?;
            let neighbours = space
                .neighbours(*face, *k)
                .with_context(|| format!("no face {face} (or it is ignored)"))?;
            let tau = space.tau();
            cli.emit(&neighbours, |ns| {
                println!("nearest faces to face {face} (same person below {tau:.2}):");
                for n in ns {
                    println!(
                        "  face {:<7} {:.3} {} {}",
                        n.face_id,
                        n.distance,
                        distance_bar(n.distance, tau),
                        n.person_label.as_deref().unwrap_or("(nobody yet)")
                    );
                }
            })
        }
        PeopleCommand::Different { a, b } => {
            let (a, b) = (resolve(catalog, a)?, resolve(catalog, b)?);
            catalog.mark_distinct(a, b)?;
            done(
                cli,
                &format!("#{a} and #{b} will not be suggested as one person again"),
            )
        }
        PeopleCommand::Answer { person, yes, no } => {
            let id = resolve(catalog, person)?;
            catalog.answer_about(id, yes, no)?;
            let (yes, no) = (counted(yes.len(), "face"), no.len());
            done(cli, &format!("{yes} confirmed as #{id}, {no} ruled out"))
        }
        PeopleCommand::Review { limit, person } => {
            let tau = cli.model_dir()?.same_person_threshold()?;
            let mut questions = review::questions(catalog, tau)?;
            if let Some(person) = person {
                let id = resolve(catalog, person)?;
                questions.retain(|q| q.person == id);
            }
            let waiting = questions.len();
            questions.truncate(*limit);
            cli.emit(&questions, |qs| {
                if qs.is_empty() {
                    println!("nothing to review: no face is near a named person");
                }
                for q in qs {
                    println!(
                        "face {:<7} is this {}? {:.3} {}",
                        q.face,
                        q.name,
                        q.distance,
                        distance_bar(q.distance, tau)
                    );
                }
                if waiting > qs.len() {
                    println!("... {} more", waiting - qs.len());
                }
            })
        }
        PeopleCommand::Ungrouped { limit } => {
            let faces = catalog.ungrouped_faces()?;
            let listed: Vec<serde_json::Value> = faces
                .iter()
                .take(*limit)
                .map(|f| {
                    serde_json::json!({
                        "face": f.id,
                        "photo": f.photo_path.display().to_string(),
                        "box": f.bbox,
                        "drawn": f.drawn,
                    })
                })
                .collect();
            cli.emit(&listed, |_| {
                if faces.is_empty() {
                    println!("every face is with someone (or ignored)");
                    return;
                }
                println!(
                    "{} with nobody, largest first:",
                    counted(faces.len(), "face")
                );
                for f in faces.iter().take(*limit) {
                    println!(
                        "  face {:<7} {:>5.0} px  {}",
                        f.id,
                        f.bbox[2],
                        f.photo_path.display()
                    );
                }
                if faces.len() > *limit {
                    println!("  ... {} more", faces.len() - limit);
                }
                println!("name one: kith split FACE --name NAME (or kith move FACE PERSON)");
            })
        }
        PeopleCommand::Suggest { limit, all } => {
            let space = face_space(cli, catalog)?;
            let (likely, apart): (Vec<_>, Vec<_>) = space
                .merge_suggestions(None, usize::MAX)
                .into_iter()
                .partition(|s| s.likely);
            let mut shown = likely;
            if *all {
                shown.extend(apart.iter().cloned());
            }
            shown.truncate(*limit);
            cli.emit(&shown, |ss| {
                if ss.is_empty() {
                    println!("no people close enough on average to be one person");
                }
                for s in ss {
                    println!(
                        "#{} {}  ~  #{} {}: closest faces {:.3}, mean {:.3}{}",
                        s.a,
                        s.a_label,
                        s.b,
                        s.b_label,
                        s.min_distance,
                        s.mean_distance,
                        if s.likely { "" } else { "  (apart on average)" }
                    );
                }
                if !*all && !apart.is_empty() {
                    println!(
                        "{} more {} faces within {:.2} but {} apart on average: kith suggest --all",
                        apart.len(),
                        if apart.len() == 1 {
                            "pair has"
                        } else {
                            "pairs have"
                        },
                        space.tau(),
                        if apart.len() == 1 { "is" } else { "are" },
                    );
                }
            })
        }
        PeopleCommand::Cluster {
            algo,
            eps,
            min_points,
        } => {
            let saved = settings::load(catalog)?;
            let algorithm = match algo {
                Some(name) => settings::algorithm(name, *eps, *min_points)?,
                None if eps.is_some() || min_points.is_some() => {
                    let name = settings::describe(&saved);
                    let name = name
                        .split_whitespace()
                        .next()
                        .unwrap_or("dbscan")
                        .to_string();
                    settings::algorithm(&name, *eps, *min_points)?
                }
                None => saved,
            };
            settings::save(catalog, &algorithm)?;
            let report = assign::recluster(catalog, &algorithm)?;
            cli.emit(&report, |r| {
                println!("{}: {}", settings::describe(&algorithm), r.said());
            })
        }
        PeopleCommand::Search {
            query,
            like,
            from,
            to,
            no_faces,
            copy_to,
        } => {
            let (from, to) = date_range(
                from.as_deref().unwrap_or_default(),
                to.as_deref().unwrap_or_default(),
            )?;
            let hits = if *no_faces {
                catalog.photos_without_faces(from.as_deref(), to.as_deref())?
            } else {
                search_hits(cli, catalog, query.as_deref(), like.as_deref(), from, to)?
            };
            if let Some(folder) = copy_to {
                let photos: Vec<PathBuf> = hits.iter().map(|h| h.path.clone()).collect();
                let cancel = super::photos::cancel_on_ctrl_c();
                let bar = super::progress_bar(!cli.json, "copying {bar:40} {pos}/{len} photos");
                bar.set_length(photos.len() as u64);
                let report = kith::album::copy_into(&photos, folder, |done| {
                    bar.set_position(done as u64);
                    !cancel.load(std::sync::atomic::Ordering::Relaxed)
                })?;
                bar.finish_and_clear();
                cli.emit(&report, |r| {
                    println!(
                        "{} copied into {} ({} there already){}",
                        counted(r.copied.len(), "photo"),
                        r.folder.display(),
                        r.already_there,
                        if r.stopped {
                            "; stopped before the rest"
                        } else {
                            ""
                        }
                    );
                    for (photo, reason) in &r.failed {
                        println!("  not copied: {}: {reason}", photo.display());
                    }
                })?;
                if !report.failed.is_empty() {
                    bail!(
                        "{} could not be copied",
                        counted(report.failed.len(), "photo")
                    );
                }
                return Ok(());
            }
            cli.emit(&hits, |hs| {
                println!("{}", counted(hs.len(), "photo"));
                for h in hs {
                    println!(
                        "  {:<19}  {}",
                        h.taken_at
                            .as_deref()
                            .map(kith::scan::capture_time::to_the_second)
                            .unwrap_or_default(),
                        h.path.display()
                    );
                }
            })
        }
        PeopleCommand::Who { photo } => who(cli, catalog, photo),
        PeopleCommand::Export { format } => export(catalog, format),
        PeopleCommand::WriteXmp { dry_run, keep } => write_xmp(cli, catalog, *dry_run, *keep),
    }
}

fn done(cli: &Cli, message: &str) -> Result<()> {
    cli.emit(
        &serde_json::json!({ "ok": true, "message": message }),
        |_| {
            println!("{message}");
        },
    )
}

fn face_space(cli: &Cli, catalog: &Catalog) -> Result<FaceSpace> {
    let tau = cli.model_dir()?.same_person_threshold()?;
    Ok(FaceSpace::load(catalog, tau)?)
}

/// A person given as `#12`, `12` or a name (whole, or a prefix that fits one person).
fn resolve(catalog: &Catalog, reference: &str) -> Result<i64> {
    let trimmed = reference.trim();
    if let Ok(id) = trimmed.trim_start_matches('#').parse::<i64>() {
        return Ok(id);
    }
    match catalog.find_persons(trimmed)?.as_slice() {
        [(id, _)] => Ok(*id),
        [] => bail!("nobody is called {trimmed:?}"),
        many => bail!(
            "{trimmed:?} fits several people: {}",
            many.iter()
                .map(|(id, name)| format!("#{id} {name}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `kith add-face`: the face made from the box, then given to `name` or placed by clustering.
fn add_face(
    cli: &Cli,
    catalog: &mut Catalog,
    photo: &Path,
    area: [f32; 4],
    name: Option<&str>,
) -> Result<()> {
    let path = photo
        .canonicalize()
        .with_context(|| format!("cannot find {}", photo.display()))?;
    let (photo_id, _) = catalog.photo_status(&path)?.with_context(|| {
        format!(
            "{} is not in the library: scan its folder first",
            path.display()
        )
    })?;
    let analyzer = cli.analyzer()?;
    let drawn = kith::scan::drawn::draw_face(catalog, &analyzer, photo_id, area)?;
    let face = drawn.face;
    // Placed by clustering unless named, then recorded for undo before the naming, which is
    // an action of its own.
    if name.is_none() {
        let algorithm = settings::load(catalog)?;
        assign::update(catalog, &algorithm)?;
    }
    catalog.record_drawing(face)?;
    if let Some(name) = name {
        match person_named(catalog, name)? {
            Some(person) => catalog.move_face(face, person)?,
            None => {
                catalog.split_faces(&[face], Some(name))?;
            }
        }
    }
    let person = catalog.face(face)?.and_then(|f| f.person);
    let label = match person {
        Some(p) => catalog.person(p)?.map(|p| p.label()),
        None => None,
    };
    let value = serde_json::json!({
        "face": face,
        "box": drawn.bbox,
        "score": drawn.score,
        "person": person,
        "person_label": label,
    });
    cli.emit(&value, |_| {
        let [x, y, w, h] = drawn.bbox;
        println!("face {face} added: x={x:.0} y={y:.0} w={w:.0} h={h:.0}");
        match drawn.score {
            Some(score) => println!("  the detector found it up close (score {score:.2})"),
            None => println!(
                "  the detector found no face there: aligned by the box alone, so its \
                 descriptor is less sure"
            ),
        }
        match &label {
            Some(label) => println!("  it is with {label}"),
            None => println!("  it is with nobody yet: `kith move {face} NAME` names it"),
        }
    })
}

/// The person `reference` (#id, or a name matched whole, ignoring case); `None` where nobody
/// has the name.
fn person_named(catalog: &Catalog, reference: &str) -> Result<Option<i64>> {
    let trimmed = reference.trim();
    if trimmed.starts_with('#') {
        return resolve(catalog, trimmed).map(Some);
    }
    match catalog.persons_named(trimmed)?.as_slice() {
        [] => Ok(None),
        [(id, _)] => Ok(Some(*id)),
        _ => resolve(catalog, trimmed).map(Some),
    }
}

/// `X,Y,W,H` as four numbers.
fn parse_box(text: &str) -> Result<[f32; 4], String> {
    let numbers: Vec<f32> = text
        .split(',')
        .map(|v| v.trim().parse::<f32>())
        .collect::<Result<_, _>>()
        .map_err(|err| format!("{text:?}: {err}"))?;
    if numbers.iter().any(|v| !v.is_finite()) {
        return Err(format!("{text:?}: the numbers must be finite"));
    }
    <[f32; 4]>::try_from(numbers)
        .map_err(|_| format!("{text:?}: give four numbers, x,y,width,height"))
}

/// `0.41 |=====·····|` with the threshold at the bar's end: full bars are far from tau.
fn distance_bar(distance: f32, tau: f32) -> String {
    let width = 20usize;
    let filled = ((distance / (2.0 * tau)).clamp(0.0, 1.0) * width as f32).round() as usize;
    let mut bar: Vec<char> = std::iter::repeat_n('=', filled)
        .chain(std::iter::repeat_n(' ', width - filled))
        .collect();
    bar[width / 2] = '|';
    format!("[{}]", bar.into_iter().collect::<String>())
}

fn show_person(cli: &Cli, catalog: &Catalog, reference: &str) -> Result<()> {
    let id = resolve(catalog, reference)?;
    let person: PersonSummary = catalog
        .person(id)?
        .with_context(|| format!("no person #{id}"))?;
    let faces = catalog.faces_of_person(id)?;
    let space = face_space(cli, catalog)?;
    let check = space.least_typical(id, 3);
    let closest = space.merge_suggestions(Some(id), 5);
    let value = serde_json::json!({
        "person": person,
        "faces": faces.iter().map(|f| serde_json::json!({
            "id": f.id, "photo": f.photo_path, "box": f.bbox, "pinned": f.pinned
        })).collect::<Vec<_>>(),
        "check_these": check,
        "closest_people": closest,
    });
    cli.emit(&value, |_| {
        println!(
            "#{} {}: {} in {}",
            person.id,
            person.label(),
            counted(person.faces, "face"),
            counted(person.photos, "photo")
        );
        for f in &faces {
            println!(
                "  face {:<7} {}{}",
                f.id,
                f.photo_path.display(),
                if f.pinned { "  (confirmed)" } else { "" }
            );
        }
        if !check.is_empty() {
            println!("check these (furthest from the person's centre):");
            for (face, d) in &check {
                println!("  face {face:<7} {d:.3}");
            }
        }
        for s in &closest {
            let other = if s.a == id {
                (s.b, &s.b_label)
            } else {
                (s.a, &s.a_label)
            };
            println!(
                "close to #{} {}: closest faces {:.3}, mean {:.3}{}",
                other.0,
                other.1,
                s.min_distance,
                s.mean_distance,
                if s.likely { "" } else { "  (apart on average)" }
            );
        }
    })
}

/// The photos a query by names (`query`) or by example (`like`) finds, taken within the dates.
fn search_hits(
    cli: &Cli,
    catalog: &Catalog,
    query: Option<&str>,
    like: Option<&str>,
    from: Option<String>,
    to: Option<String>,
) -> Result<Vec<PhotoHit>> {
    Ok(match (query, like) {
        (Some(text), None) => {
            let mut q = Query::parse(text)?;
            (q.from, q.to) = (from, to);
            search(catalog, &q)?
        }
        (None, Some(example)) => {
            let space = face_space(cli, catalog)?;
            let person = match example.parse::<i64>() {
                Ok(face_id) => {
                    let face = space
                        .face(face_id)
                        .with_context(|| format!("no face {face_id}"))?;
                    match face.person {
                        Some(p) => p,
                        None => identify(&space, &face.embedding)?,
                    }
                }
                Err(_) => identify(&space, &largest_face(&cli.analyzer()?, Path::new(example))?)?,
            };
            catalog.photos_with_persons(&[vec![person]], &[], from.as_deref(), to.as_deref())?
        }
        _ => bail!("give either a query (\"Anna & Ben\"), --like FACE_ID|PHOTO or --no-faces"),
    })
}

fn identify(space: &FaceSpace, embedding: &kith::vision::Embedding) -> Result<i64> {
    space
        .identify(embedding)
        .map(|g| g.person)
        .context("this face is not close enough to anyone in the library")
}

/// `kith who`: for a photo in the library, its faces as the library has them (ids, people and
/// the user's decisions, a copy's as its original has them); for any other photo, its faces
/// recognised against the library's people. Left to right either way.
fn who(cli: &Cli, catalog: &Catalog, photo: &Path) -> Result<()> {
    let catalogued = match photo.canonicalize() {
        Ok(path) => catalog.photo_status(&path)?,
        Err(_) => None,
    };
    match catalogued {
        Some((id, PhotoStatus::Ok)) => who_in_library(cli, catalog, photo, id),
        _ => who_elsewhere(cli, catalog, photo),
    }
}

/// One face of `kith who`: `face` is its id where the library has it.
#[derive(serde::Serialize)]
struct SeenFace {
    face: Option<i64>,
    #[serde(rename = "box")]
    bbox: [f32; 4],
    /// Who the library holds it to be, or whom it is recognised as (within the threshold).
    person: Option<i64>,
    person_label: Option<String>,
    confirmed: bool,
    ignored: bool,
    /// The nearest people, closest first, with distances.
    candidates: Vec<kith::people::suggest::PersonGuess>,
}

fn who_in_library(cli: &Cli, catalog: &Catalog, photo: &Path, id: i64) -> Result<()> {
    let original = catalog.picture(id)?.and_then(|p| p.copy_of);
    let original_path = match original {
        Some(o) => catalog.photo(o)?.map(|p| p.path),
        None => None,
    };
    let space = face_space(cli, catalog)?;
    let seen: Vec<SeenFace> = catalog
        .photo_faces(original.unwrap_or(id))?
        .into_iter()
        .map(|f| SeenFace {
            face: Some(f.id),
            bbox: f.bbox,
            person: f.person,
            person_label: f.person_label(),
            confirmed: f.pinned,
            ignored: f.ignored,
            candidates: space
                .face(f.id)
                .map(|row| space.guesses(&row.embedding, 3, Some(f.id)))
                .unwrap_or_default(),
        })
        .collect();
    let value = serde_json::json!({
        "photo": photo,
        "in_library": true,
        "copy_of": original_path,
        "faces": seen,
    });
    cli.emit(&value, |_| {
        println!("{}", faces_in(seen.len(), photo));
        if let Some(path) = &original_path {
            println!(
                "  a copy of {}: its faces are counted there, and listed as they are there",
                path.display()
            );
        }
        for f in &seen {
            let id = f.face.unwrap_or_default();
            let who = match (&f.person_label, f.ignored) {
                (_, true) => "ignored".to_string(),
                (Some(label), false) if f.confirmed => format!("{label} (confirmed)"),
                (Some(label), false) => label.clone(),
                (None, false) => match f.candidates.first() {
                    Some(g) => format!("nobody (closest: {} at {:.3})", g.label, g.distance),
                    None => "nobody".to_string(),
                },
            };
            println!("  face {id} at {}: {who}", boxed(f.bbox));
        }
    })
}

fn who_elsewhere(cli: &Cli, catalog: &Catalog, photo: &Path) -> Result<()> {
    let analyzer = cli.analyzer()?;
    let space = FaceSpace::load(catalog, analyzer.threshold())?;
    let mut seen: Vec<SeenFace> = analyse_photo(&analyzer, photo)?
        .into_iter()
        .map(|(f, e)| {
            let candidates = space.guesses(&e, 3, None);
            let known = candidates.first().filter(|g| g.within_threshold);
            SeenFace {
                face: None,
                bbox: f.bbox,
                person: known.map(|g| g.person),
                person_label: known.map(|g| g.label.clone()),
                confirmed: false,
                ignored: false,
                candidates,
            }
        })
        .collect();
    seen.sort_by(|a, b| a.bbox[0].total_cmp(&b.bbox[0]));
    let value = serde_json::json!({
        "photo": photo,
        "in_library": false,
        "faces": seen,
    });
    cli.emit(&value, |_| {
        println!("{} (not in the library)", faces_in(seen.len(), photo));
        for f in &seen {
            let who = match f.candidates.first() {
                Some(g) if g.within_threshold => format!("{} ({:.3})", g.label, g.distance),
                Some(g) => format!("unknown (closest: {} at {:.3})", g.label, g.distance),
                None => "unknown".to_string(),
            };
            println!("  at {}: {who}", boxed(f.bbox));
        }
    })
}

/// "3 faces in PHOTO, left to right": how `kith who` heads its list.
fn faces_in(count: usize, photo: &Path) -> String {
    let order = if count > 1 { ", left to right" } else { "" };
    format!("{} in {}{order}", counted(count, "face"), photo.display())
}

/// A face's box as `(x,y wxh)` in whole pixels.
fn boxed(bbox: [f32; 4]) -> String {
    let [x, y, w, h] = bbox.map(|v| v.round() as i64);
    format!("({x},{y} {w}x{h})")
}

fn export(catalog: &Catalog, format: &str) -> Result<()> {
    let faces = catalog.faces()?;
    let persons = catalog.persons(true)?;
    let names: std::collections::HashMap<i64, &str> = persons
        .iter()
        .filter_map(|p| p.name.as_deref().map(|n| (p.id, n)))
        .collect();
    match format {
        "json" => {
            let value = serde_json::json!({
                "people": persons,
                "faces": faces.iter().map(|f| serde_json::json!({
                    "id": f.id, "photo_id": f.photo_id, "box": f.bbox, "score": f.score,
                    "landmarks": f.landmarks, "person": f.person, "confirmed": f.pinned,
                    "drawn": f.drawn,
                })).collect::<Vec<_>>(),
                "photos": catalog.photos()?,
            });
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
        "csv" => {
            println!("face_id,photo,x,y,w,h,score,person_id,person_name,drawn");
            for f in &faces {
                let [x, y, w, h] = f.bbox;
                println!(
                    "{},{},{x:.1},{y:.1},{w:.1},{h:.1},{:.4},{},{},{}",
                    f.id,
                    csv_field(&f.photo_path.to_string_lossy()),
                    f.score,
                    f.person.map(|p| p.to_string()).unwrap_or_default(),
                    csv_field(f.person.and_then(|p| names.get(&p).copied()).unwrap_or("")),
                    f.drawn
                );
            }
        }
        other => bail!("unknown export format {other:?}: use json or csv"),
    }
    Ok(())
}

fn write_xmp(cli: &Cli, catalog: &mut Catalog, dry_run: bool, keep: Option<Switch>) -> Result<()> {
    match keep {
        Some(Switch::Off) => {
            kith::name_sidecars::set_keeping(catalog, false)?;
            return done(
                cli,
                "sidecars are no longer kept up to date (those written stay)",
            );
        }
        Some(Switch::On) if !dry_run => kith::name_sidecars::set_keeping(catalog, true)?,
        Some(Switch::On) | None => {}
    }
    let report = kith::name_sidecars::write(catalog, dry_run, &mut |_, _| {})?;
    cli.emit(&report, |r| {
        let verb = if dry_run { "would write" } else { "wrote" };
        for path in &r.written {
            println!("{verb} {}", path.display());
        }
        println!(
            "{verb} {} named faces into {} sidecars; {} already up to date",
            r.faces,
            r.written.len(),
            r.unchanged
        );
        if r.not_found > 0 {
            println!(
                "{} not there now (a drive not plugged in?)",
                kith::wording::counted_are(r.not_found, "photo")
            );
        }
        if r.not_scanned > 0 {
            println!(
                "{} changed since the last scan, left as {}: run kith scan first",
                counted(r.not_scanned, "photo"),
                if r.not_scanned == 1 {
                    "it is"
                } else {
                    "they are"
                }
            );
        }
        for (path, reason) in &r.failed {
            println!("left as it was: {}: {reason}", path.display());
        }
    })
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}
