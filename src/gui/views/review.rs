//! The review queue: one face at a time from those in no named person, large, beside the cover of
//! the named person it most likely is, with "Is this Anna? (0.41)" and the distance drawn against
//! tau. Yes (Y), No (N), Someone else… (E) and Skip (S); every answer is an undoable action. Or
//! many faces at once (`review_many`). The queue and its order are `people::review`'s; this view
//! measures it on a worker and draws it.

use std::path::Path;
use std::sync::Arc;

use egui::{Key, Modifiers};

use crate::catalog::{Catalog, CatalogError};
use crate::gui::app::{Action, View};
use crate::gui::jobs::Task;
use crate::gui::thumbs::face_button;
use crate::gui::views::neighbours::distance_bar;
use crate::gui::views::photo::PhotoSource;
use crate::gui::views::picker::{PersonPicker, Recipient};
use crate::gui::views::review_many::ManyAnswers;
use crate::gui::views::ViewCtx;
use crate::people::review::{Decisions, Question, ReviewQueue};
use crate::people::suggest::FaceSpace;
use crate::wording;

const FACE: f32 = 224.0;

#[derive(Default)]
pub struct ReviewView {
    /// Who is who, as of the last change to the catalog.
    decisions: Option<Decisions>,
    queue: Option<ReviewQueue>,
    measuring: Option<Task<ReviewQueue>>,
    /// Faces wait that the queue never measured (computed when the catalog changes, not per frame).
    unmeasured: bool,
    /// Why measuring failed; not tried again before the catalog changes.
    failed: Option<String>,
    /// The questions in the order asked; shared with the other views, which offer the question
    /// about a face they show.
    questions: Arc<[Question]>,
    /// Faces skipped this session, asked again only after all others.
    skipped: Vec<i64>,
    /// "Someone else…" is open for this face.
    picking: Option<i64>,
    /// The cover face of the person asked about, looked up once per person and change.
    cover: Option<(i64, Option<i64>)>,
    picker: PersonPicker,
    /// Ask about many faces of one person at a time rather than one face.
    many_at_once: bool,
    /// The person to ask about many at once while faces wait for them (from their view).
    focus: Option<i64>,
    many: ManyAnswers,
}

impl ReviewView {
    /// Re-reads who is who and re-ranks the questions: cheap, so it follows every change.
    pub fn reload(&mut self, catalog: &Catalog) -> Result<(), CatalogError> {
        self.decisions = Some(Decisions::read(catalog)?);
        self.failed = None;
        self.cover = None;
        self.rank();
        Ok(())
    }

    /// The questions waiting, in the order they will be asked.
    pub fn questions(&self) -> &[Question] {
        &self.questions
    }

    /// The same questions, to hand to the other views without copying them.
    pub fn shared_questions(&self) -> Arc<[Question]> {
        Arc::clone(&self.questions)
    }

    /// Asks next about the faces waiting for `person`, many at once.
    pub fn focus_on(&mut self, person: i64) {
        self.many_at_once = true;
        self.focus = Some(person);
    }

    /// Takes in a finished measuring, and starts one when faces wait that were never measured.
    pub fn poll(&mut self, ctx: &egui::Context, catalog_path: &Path, tau: f32) {
        if let Some(pending) = &mut self.measuring {
            match pending.poll() {
                None => return,
                Some(Ok(queue)) => self.queue = Some(queue),
                Some(Err(err)) => {
                    tracing::warn!(%err, "cannot measure the review queue");
                    self.failed = Some(err);
                }
            }
            self.measuring = None;
            self.rank();
        }
        if self.unmeasured && self.failed.is_none() {
            let path = catalog_path.to_path_buf();
            self.measuring = Some(Task::spawn(ctx, move || {
                let measure = || -> Result<ReviewQueue, CatalogError> {
                    let catalog = Catalog::open(&path)?;
                    let decisions = Decisions::read(&catalog)?;
                    let space = FaceSpace::load(&catalog, tau)?;
                    Ok(ReviewQueue::measure(&space, &decisions))
                };
                measure().map_err(|err| err.to_string())
            }));
        }
    }

    fn rank(&mut self) {
        if let Some(decisions) = &self.decisions {
            self.unmeasured = ReviewQueue::needs_measuring(self.queue.as_ref(), decisions);
            if let Some(queue) = &self.queue {
                self.questions = queue.questions(decisions, &self.skipped).into();
            }
        }
        if self.questions.first().map(|q| q.face) != self.picking {
            self.picking = None;
        }
    }

    fn skip(&mut self, face: i64) {
        self.skipped.retain(|&f| f != face);
        self.skipped.push(face);
        self.rank();
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let Some(q) = self.questions.first().cloned() else {
            self.empty(ui);
            return;
        };
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.many_at_once, false, "One at a time");
            ui.selectable_value(&mut self.many_at_once, true, "Many at once");
            ui.separator();
            ui.label(format!(
                "{} in no named person but near one. Answering the closest first finishes \
                 tagging soonest.",
                crate::wording::counted_are(self.questions.len(), "face")
            ));
        });
        ui.separator();
        if self.many_at_once {
            if let Some(faces) = self.many.ui(ui, ctx, &self.questions, self.focus) {
                for face in faces {
                    self.skip(face);
                }
            }
            return;
        }
        ui.horizontal(|ui| {
            ui.vertical(|ui| {
                let face = ctx.thumbs.get(ui.ctx(), ctx.catalog, q.face);
                face_button(ui, face.as_ref(), FACE, false, &format!("Face {}", q.face));
                ui.weak("this face");
            });
            ui.vertical(|ui| {
                let cover = self
                    .cover_of(ctx.catalog, q.person)
                    .and_then(|f| ctx.thumbs.get(ui.ctx(), ctx.catalog, f));
                face_button(
                    ui,
                    cover.as_ref(),
                    FACE,
                    false,
                    &format!("Cover of {}", q.name),
                );
                ui.weak(q.name.as_str());
            });
        });
        ui.heading(format!(
            "Is this {}? ({})",
            q.name,
            wording::distance(q.distance, ctx.tau)
        ));
        ui.horizontal(|ui| {
            // Tau in the middle of the bar, as in the nearest-faces panel's scale.
            distance_bar(ui, q.distance, ctx.tau, ctx.tau * 2.0);
            ui.label(if q.within_threshold {
                format!(
                    "closer than {:.2}: the network calls them the same person",
                    ctx.tau
                )
            } else {
                format!(
                    "past {:.2}: the network alone would not call them the same person",
                    ctx.tau
                )
            });
        });
        ui.add_space(8.0);
        self.answers(ui, ctx, &q);
    }

    fn cover_of(&mut self, catalog: &Catalog, person: i64) -> Option<i64> {
        match self.cover {
            Some((p, face)) if p == person => face,
            _ => {
                let face = catalog.cover_face(person).unwrap_or_else(|err| {
                    tracing::warn!(%err, person, "cannot read the cover face");
                    None
                });
                self.cover = Some((person, face));
                face
            }
        }
    }

    fn empty(&self, ui: &mut egui::Ui) {
        let has_named = self.decisions.as_ref().is_some_and(Decisions::has_named);
        if let Some(err) = &self.failed {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!("Cannot measure faces: {err}"),
            );
        } else if self.measuring.is_some() || (has_named && self.queue.is_none()) {
            ui.label("Measuring which faces are near a named person…");
        } else if !has_named {
            ui.label(
                "Nothing to review yet: name someone first (open a person and type a name), \
                 then the faces near them are asked about here.",
            );
        } else {
            ui.label("Nothing to review: every face near a named person has been answered.");
        }
    }

    fn answers(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>, q: &Question) {
        let confirm = |person| Action::Confirm {
            face: q.face,
            person,
        };
        // Keys only when no text field (the name picker) is taking them.
        let keys = if ui.ctx().egui_wants_keyboard_input() {
            [false; 4]
        } else {
            ui.input_mut(|i| {
                [Key::Y, Key::N, Key::E, Key::S].map(|k| i.consume_key(Modifiers::NONE, k))
            })
        };
        let [yes, no, other, skip] = keys;
        let name = &q.name;
        ui.horizontal(|ui| {
            let yes = ui
                .button("Yes (Y)")
                .on_hover_text(format!("This is {name}"))
                .clicked()
                || yes;
            let no = ui
                .button("No (N)")
                .on_hover_text(format!("Not {name}: never asked about {name} again"))
                .clicked()
                || no;
            let other = ui
                .button("Someone else… (E)")
                .on_hover_text("Type who it is")
                .clicked()
                || other;
            let skip = ui
                .button("Skip (S)")
                .on_hover_text("Ask later; nothing is changed")
                .clicked()
                || skip;
            if yes {
                ctx.actions.push(confirm(q.person));
            } else if no {
                ctx.actions.push(Action::Reject {
                    face: q.face,
                    person: q.person,
                });
            } else if other {
                self.picking = Some(q.face);
                self.picker.clear();
                self.picker.focus();
            } else if skip {
                self.skip(q.face);
            }
            ui.separator();
            if ui.button("View photo").clicked() {
                ctx.actions.push(Action::Show(View::Photo {
                    photo: q.photo,
                    from: PhotoSource::Review,
                }));
            }
        });
        if self.picking == Some(q.face) {
            ui.horizontal(|ui| {
                if let Some(recipient) =
                    self.picker
                        .ui(ui, ctx.catalog, "It is", true, Some(q.person))
                {
                    self.picking = None;
                    ctx.actions.push(match recipient {
                        Recipient::Person(person) => confirm(person),
                        new @ Recipient::NewPerson(_) => Action::MoveFaces {
                            faces: vec![q.face],
                            to: new,
                        },
                    });
                }
            });
        }
    }
}
