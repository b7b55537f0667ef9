//! The station on its own thread, for the desktop app: one PC/SC context owned by the worker, a stop flag,
//! the merchant's overwrite answers, and a [`StationStatus`] snapshot kept up to date from the events (so a
//! window that opens late, or reloads, sees the same counters and last results).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde::Serialize;
use tapstand_error::UserError;

use crate::{
    Decision, Decisions, EventSink, Station, StationEvent, StationSummary, TapOutcome, TapResult,
    Target,
};

/// How many results the status keeps for the "last results" list.
pub const RECENT: usize = 30;

/// What the station is doing now, for the big status panel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum StationPhase {
    /// Not running.
    #[default]
    Stopped,
    /// "Put a tag on the reader."
    Waiting,
    /// A tag is being read, its scheme fetched, written and verified.
    Working,
    /// The last tap ended (success or failure): "remove the tag, place the next".
    RemoveTag,
    /// A tag holds another scheme: overwrite or skip?
    Confirm,
    /// No reader (unplugged) or no PC/SC service: waiting for it.
    ReaderMissing,
    /// The readers are in a state the station cannot work with: [`StationStatus::problem`] says what to do.
    Problem,
}

/// A tag waiting for the merchant's "overwrite?" answer.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct PendingConfirmation {
    pub uid: String,
    pub previous_scheme: Option<String>,
}

/// The station as the UI shows it.
#[derive(Clone, Debug, Default, Serialize, specta::Type)]
pub struct StationStatus {
    pub running: bool,
    pub phase: StationPhase,
    pub target: Option<Target>,
    pub lock: bool,
    pub operator: String,
    pub reader: Option<String>,
    /// UID of the tag being processed.
    pub current_uid: Option<String>,
    /// That tag's chip in plain words (capacity, lock, password), zh / en.
    pub current_chip_zh: Option<String>,
    pub current_chip_en: Option<String>,
    pub summary: StationSummary,
    /// Newest first.
    pub recent: Vec<TapOutcome>,
    pub pending: Option<PendingConfirmation>,
    /// In [`StationPhase::Problem`]: what is wrong with the readers and what to do.
    pub problem: Option<UserError>,
    /// Events seen in this run (lets the UI ignore stale snapshots).
    pub seq: u32,
}

impl StationStatus {
    /// Folds one event into the snapshot.
    pub fn apply(&mut self, e: &StationEvent) {
        self.seq = self.seq.wrapping_add(1);
        match e {
            StationEvent::WaitingForTag => {
                self.phase = StationPhase::Waiting;
                self.current_uid = None;
                self.current_chip_zh = None;
                self.current_chip_en = None;
                self.pending = None;
                self.problem = None;
            }
            StationEvent::TagDetected {
                uid,
                reader,
                chip_zh,
                chip_en,
                ..
            } => {
                self.problem = None;
                self.phase = StationPhase::Working;
                self.current_uid = Some(uid.clone());
                self.current_chip_zh = Some(chip_zh.clone());
                self.current_chip_en = Some(chip_en.clone());
                self.reader = Some(reader.clone());
                self.pending = None;
            }
            StationEvent::SchemeReady { .. } | StationEvent::Writing | StationEvent::Verified => {
                self.phase = StationPhase::Working;
            }
            StationEvent::Done { outcome } => {
                let mut recent: VecDeque<TapOutcome> = std::mem::take(&mut self.recent).into();
                if outcome.result == TapResult::NeedsConfirmation {
                    self.phase = StationPhase::Confirm;
                    self.pending = Some(PendingConfirmation {
                        uid: outcome.attempt.uid.clone(),
                        previous_scheme: outcome.previous_scheme.clone(),
                    });
                } else {
                    self.phase = StationPhase::RemoveTag;
                    self.pending = None;
                    match outcome.result {
                        TapResult::Written => self.summary.written += 1,
                        TapResult::AlreadyCorrect => self.summary.already_correct += 1,
                        TapResult::Failed => self.summary.failed += 1,
                        TapResult::NeedsConfirmation => {}
                    }
                }
                // An answered confirmation is replaced by the tap that followed it.
                if recent.front().is_some_and(|r| {
                    r.result == TapResult::NeedsConfirmation && r.attempt.uid == outcome.attempt.uid
                }) {
                    recent.pop_front();
                }
                recent.push_front((**outcome).clone());
                recent.truncate(RECENT);
                self.recent = recent.into();
            }
            StationEvent::Failed { .. } => {}
            StationEvent::RemoveTag => {
                if self.phase == StationPhase::Confirm {
                    // Skipped or the tag left: count it as needing confirmation.
                    self.summary.needs_confirmation += 1;
                }
                self.phase = StationPhase::RemoveTag;
                self.pending = None;
            }
            StationEvent::ReaderUnplugged => {
                self.phase = StationPhase::ReaderMissing;
                self.pending = None;
            }
            StationEvent::ReaderBack => {
                self.phase = StationPhase::Waiting;
            }
            StationEvent::Problem { error } => {
                // "The smart-card service is not running" comes right after ReaderUnplugged (Windows
                // stops the service with the last reader): the reader stays missing, with that remedy.
                if !(self.phase == StationPhase::ReaderMissing && error.code == "tag.no_service") {
                    self.phase = StationPhase::Problem;
                }
                self.problem = Some(error.clone());
                self.pending = None;
            }
        }
    }
}

/// Gets every event with the status after it (the app forwards both to the window).
pub type StatusSink = Arc<dyn Fn(&StationEvent, &StationStatus) + Send + Sync>;

/// A running station. Dropping it stops the loop and joins the thread.
pub struct StationWorker {
    stop: Arc<AtomicBool>,
    decisions: Arc<Decisions>,
    status: Arc<Mutex<StationStatus>>,
    join: Option<JoinHandle<StationSummary>>,
}

impl StationWorker {
    /// Starts the continuous loop on a new thread. `sink` gets every event together with the status
    /// after it. The station must be built with a runtime handle of a runtime that outlives the worker.
    pub fn spawn(
        station: Station,
        reader: Option<String>,
        sink: StatusSink,
    ) -> std::io::Result<StationWorker> {
        let stop = Arc::new(AtomicBool::new(false));
        let decisions = Arc::new(Decisions::default());
        let status = Arc::new(Mutex::new(StationStatus {
            running: true,
            phase: StationPhase::Waiting,
            target: Some(station.target().clone()),
            lock: station.opts.lock,
            operator: station.opts.operator.clone(),
            reader: reader.clone(),
            ..Default::default()
        }));
        let st = status.clone();
        let events: EventSink = Arc::new(move |e: &StationEvent| {
            let snapshot = {
                let mut s = st.lock().unwrap_or_else(|p| p.into_inner());
                s.apply(e);
                s.clone()
            };
            sink(e, &snapshot);
        });
        let station = station.with_events(events);
        let (stop2, decisions2, status2) = (stop.clone(), decisions.clone(), status.clone());
        let join = std::thread::Builder::new()
            .name("tapstand-station".into())
            .spawn(move || {
                let mut pcsc = tapstand_tag::Pcsc::new();
                let sum = station.run_with(
                    &mut pcsc,
                    reader.as_deref(),
                    &stop2,
                    Some(&decisions2),
                    None,
                );
                let mut s = status2.lock().unwrap_or_else(|p| p.into_inner());
                s.running = false;
                s.phase = StationPhase::Stopped;
                s.pending = None;
                sum
            })?;
        Ok(StationWorker {
            stop,
            decisions,
            status,
            join: Some(join),
        })
    }

    pub fn status(&self) -> StationStatus {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The merchant's answer for the tag waiting for confirmation.
    pub fn decide(&self, uid: &str, overwrite: bool) {
        self.decisions.put(Decision {
            uid: uid.to_string(),
            overwrite,
        });
    }

    pub fn is_finished(&self) -> bool {
        self.join.as_ref().is_none_or(|j| j.is_finished())
    }

    /// Stops the loop (it notices within ~250 ms; a tap in progress finishes first) and returns the
    /// final status.
    pub fn stop(mut self) -> StationStatus {
        self.stop_and_join();
        self.status()
    }

    fn stop_and_join(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

impl Drop for StationWorker {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tapstand_store::station::StationAttempt;

    fn done(result: TapResult, uid: &str) -> StationEvent {
        StationEvent::Done {
            outcome: Box::new(TapOutcome {
                result,
                attempt: StationAttempt {
                    uid: uid.into(),
                    ..Default::default()
                },
                error: None,
                previous_scheme: Some("weixin://dl/business/?t=old".into())
                    .filter(|_| result == TapResult::NeedsConfirmation),
            }),
        }
    }

    #[test]
    fn status_counts_and_phases() {
        let mut s = StationStatus::default();
        s.apply(&StationEvent::WaitingForTag);
        assert_eq!(s.phase, StationPhase::Waiting);
        s.apply(&StationEvent::TagDetected {
            uid: "04A1".into(),
            chip: "ntag215".into(),
            chip_zh: "NXP NTAG215 标签".into(),
            chip_en: "NXP NTAG215 tag".into(),
            reader: "R".into(),
            genuine: None,
        });
        assert_eq!(s.phase, StationPhase::Working);
        assert_eq!(s.current_uid.as_deref(), Some("04A1"));
        assert_eq!(s.current_chip_zh.as_deref(), Some("NXP NTAG215 标签"));
        s.apply(&done(TapResult::Written, "04A1"));
        s.apply(&StationEvent::RemoveTag);
        assert_eq!(s.phase, StationPhase::RemoveTag);
        s.apply(&done(TapResult::AlreadyCorrect, "04A2"));
        s.apply(&done(TapResult::Failed, "04A3"));
        assert_eq!(
            (
                s.summary.written,
                s.summary.already_correct,
                s.summary.failed
            ),
            (1, 1, 1)
        );
        assert_eq!(s.recent[0].attempt.uid, "04A3");
        assert_eq!(s.recent.len(), 3);
        s.apply(&StationEvent::ReaderUnplugged);
        assert_eq!(s.phase, StationPhase::ReaderMissing);
        s.apply(&StationEvent::ReaderBack);
        assert_eq!(s.phase, StationPhase::Waiting);
    }

    #[test]
    fn no_service_keeps_the_reader_missing_with_the_systems_remedy() {
        let mut s = StationStatus::default();
        s.apply(&StationEvent::ReaderUnplugged);
        let error = tapstand_tag::error::no_service("windows");
        s.apply(&StationEvent::Problem {
            error: error.clone(),
        });
        assert_eq!(s.phase, StationPhase::ReaderMissing);
        assert_eq!(s.problem.as_ref().map(|e| &e.zh), Some(&error.zh));
        s.apply(&StationEvent::WaitingForTag);
        assert_eq!(s.phase, StationPhase::Waiting);
        assert!(s.problem.is_none());
    }

    #[test]
    fn a_reader_problem_is_on_the_panel_until_a_tag_or_waiting_clears_it() {
        let mut s = StationStatus::default();
        s.apply(&StationEvent::WaitingForTag);
        let error: UserError =
            tapstand_tag::TagError::SeveralTags(vec!["A".into(), "B".into()]).into();
        s.apply(&StationEvent::Problem {
            error: error.clone(),
        });
        assert_eq!(s.phase, StationPhase::Problem);
        assert_eq!(
            s.problem.as_ref().map(|e| e.code.as_str()),
            Some("tag.several_readers")
        );
        assert!(!s.problem.as_ref().unwrap().zh.remedy.is_empty());
        s.apply(&StationEvent::WaitingForTag);
        assert_eq!(s.phase, StationPhase::Waiting);
        assert!(s.problem.is_none());
        s.apply(&StationEvent::Problem { error });
        s.apply(&StationEvent::TagDetected {
            uid: "04A1".into(),
            chip: "ntag215".into(),
            chip_zh: "NXP NTAG215 标签".into(),
            chip_en: "NXP NTAG215 tag".into(),
            reader: "A".into(),
            genuine: None,
        });
        assert_eq!(s.phase, StationPhase::Working);
        assert!(s.problem.is_none());
    }

    #[test]
    fn confirmation_then_overwrite_replaces_the_question() {
        let mut s = StationStatus::default();
        s.apply(&done(TapResult::NeedsConfirmation, "04B1"));
        assert_eq!(s.phase, StationPhase::Confirm);
        assert_eq!(s.pending.as_ref().unwrap().uid, "04B1");
        s.apply(&done(TapResult::Written, "04B1"));
        assert_eq!(s.phase, StationPhase::RemoveTag);
        assert!(s.pending.is_none());
        assert_eq!(s.recent.len(), 1, "the answered question is replaced");
        assert_eq!(s.summary.written, 1);
        assert_eq!(s.summary.needs_confirmation, 0);
        // Skipped: counted as needing confirmation.
        s.apply(&done(TapResult::NeedsConfirmation, "04B2"));
        s.apply(&StationEvent::RemoveTag);
        assert_eq!(s.summary.needs_confirmation, 1);
    }

    #[test]
    fn recent_is_bounded() {
        let mut s = StationStatus::default();
        for i in 0..(RECENT + 10) {
            s.apply(&done(TapResult::Written, &format!("{i:02X}")));
        }
        assert_eq!(s.recent.len(), RECENT);
        assert_eq!(s.summary.written as usize, RECENT + 10);
    }

    #[test]
    fn decisions_are_for_one_tag() {
        let d = Decisions::default();
        d.put(Decision {
            uid: "A".into(),
            overwrite: true,
        });
        assert_eq!(
            d.take_for("B"),
            None,
            "an answer for another tag is dropped"
        );
        assert_eq!(d.take_for("A"), None);
        d.put(Decision {
            uid: "A".into(),
            overwrite: true,
        });
        assert_eq!(d.take_for("A"), Some(true));
        assert_eq!(d.take_for("A"), None, "taken once");
    }
}
