// What the big status panel of the write station shows, derived from the status snapshot alone (so a
// reloaded window shows the same thing). Pure: unit-tested in panel.test.ts.
import type { StationEvent, StationStatus, TapOutcome, UserError } from "../bindings";

export type PanelTone = "idle" | "waiting" | "working" | "success" | "error" | "confirm" | "warning";

export interface Panel {
  tone: PanelTone;
  /** i18n key of the headline. */
  title: string;
  /** i18n key of the line under it ("remove the tag, place the next"...). */
  hint: string | null;
  /** The tap the panel is about, when it is about one. */
  outcome: TapOutcome | null;
  error: UserError | null;
}

export function panelFor(s: StationStatus): Panel {
  const last = s.recent[0] ?? null;
  switch (s.phase) {
    case "stopped":
      return { tone: "idle", title: "station.panel.stopped", hint: null, outcome: null, error: null };
    case "waiting":
      // A failure stays on screen after the tag left (a tag pulled off mid-write is gone at once): the
      // merchant must see what went wrong until the next tag is put down.
      if (last?.result === "failed")
        return { tone: "error", title: "station.panel.failed", hint: "station.panel.failedHint", outcome: last, error: last.error };
      return { tone: "waiting", title: "station.panel.waiting", hint: "station.panel.waitingHint", outcome: null, error: null };
    case "working":
      return { tone: "working", title: "station.panel.working", hint: "station.panel.workingHint", outcome: null, error: null };
    case "reader_missing":
      // With the smart-card service itself gone (Windows stops it after the last reader is unplugged), the
      // system's own remedy comes with it.
      return { tone: "warning", title: "station.panel.readerMissing", hint: "station.panel.readerMissingHint", outcome: null, error: s.problem ?? null };
    case "problem":
      // Tags on several readers, several tags in the field, a reader error: what is wrong and what to do.
      return { tone: "warning", title: "station.panel.problem", hint: null, outcome: null, error: s.problem };
    case "confirm":
      return { tone: "confirm", title: "station.panel.confirm", hint: "station.panel.confirmHint", outcome: last, error: last?.error ?? null };
    case "remove_tag":
      if (!last) return { tone: "waiting", title: "station.panel.waiting", hint: null, outcome: null, error: null };
      switch (last.result) {
        case "written":
          return { tone: "success", title: "station.panel.written", hint: "station.panel.removeHint", outcome: last, error: null };
        case "already_correct":
          return { tone: "success", title: "station.panel.alreadyCorrect", hint: "station.panel.removeHint", outcome: last, error: null };
        case "needs_confirmation":
          return { tone: "warning", title: "station.panel.skipped", hint: "station.panel.removeHint", outcome: last, error: last.error };
        case "failed":
          return { tone: "error", title: "station.panel.failed", hint: "station.panel.failedHint", outcome: last, error: last.error };
      }
  }
  return { tone: "idle", title: "station.panel.stopped", hint: null, outcome: null, error: null };
}

/** Which sound an event deserves (none for the in-between steps). */
export function soundFor(e: StationEvent, s: StationStatus): "success" | "failure" | "attention" | null {
  if (e.event === "done") {
    switch (e.outcome.result) {
      case "written":
      case "already_correct":
        return "success";
      case "failed":
        return "failure";
      case "needs_confirmation":
        return "attention";
    }
  }
  if ((e.event === "reader_unplugged" || e.event === "problem") && s.running) return "attention";
  return null;
}

/** Tags that ended verified (written now, or found already correct). */
export function verifiedCount(s: StationStatus): number {
  return s.summary.written + s.summary.already_correct;
}
