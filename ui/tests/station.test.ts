import { describe, expect, it } from "vitest";
import type { StationStatus, TapOutcome, TapResult, UserError } from "../src/bindings";
import { panelFor, soundFor, verifiedCount } from "../src/station/panel";
/// <reference types="node" />
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// The raw JSON (the build plugin turns imports into compiled messages).
const zh = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "src", "locales", "zh-CN.json"), "utf8"),
);

const err: UserError = {
  code: "wechat.ip_whitelist",
  zh: { message: "IP 不在白名单", remedy: "把 IP 加到白名单" },
  en: { message: "IP not whitelisted", remedy: "Add the IP" },
  detail: null,
  fields: [],
} as unknown as UserError;

function outcome(result: TapResult, uid = "04A1"): TapOutcome {
  return {
    result,
    attempt: { uid, chip: "ntag215", total_ms: 312, locked: false, started_at: 0 } as TapOutcome["attempt"],
    error: result === "failed" || result === "needs_confirmation" ? err : null,
    previous_scheme: null,
  };
}

function status(phase: StationStatus["phase"], recent: TapOutcome[] = []): StationStatus {
  return {
    running: phase !== "stopped",
    phase,
    target: null,
    lock: false,
    operator: "",
    reader: null,
    current_uid: null,
    current_chip_zh: null,
    current_chip_en: null,
    summary: { written: 3, already_correct: 2, needs_confirmation: 0, failed: 1 },
    recent,
    pending: null,
    problem: null,
    seq: 1,
  };
}

function key(path: string): unknown {
  return path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], zh);
}

describe("station panel", () => {
  it("says success, failure with the error, confirmation and a missing reader", () => {
    expect(panelFor({ ...status("problem"), problem: err }).error).toBe(err);
    expect(panelFor({ ...status("problem"), problem: err }).tone).toBe("warning");
    expect(key(panelFor(status("problem")).title)).toBeTruthy();
    expect(panelFor(status("remove_tag", [outcome("written")])).tone).toBe("success");
    expect(panelFor(status("remove_tag", [outcome("already_correct")])).title).toBe("station.panel.alreadyCorrect");
    const failed = panelFor(status("remove_tag", [outcome("failed")]));
    expect(failed.tone).toBe("error");
    expect(failed.error?.code).toBe("wechat.ip_whitelist");
    expect(panelFor(status("confirm", [outcome("needs_confirmation")])).tone).toBe("confirm");
    expect(panelFor(status("reader_missing")).tone).toBe("warning");
    expect(panelFor(status("reader_missing")).error).toBeNull();
    expect(panelFor({ ...status("reader_missing"), problem: err }).error?.code).toBe(err.code);
    expect(panelFor(status("waiting")).tone).toBe("waiting");
    expect(panelFor(status("waiting", [outcome("written")])).tone).toBe("waiting");
    // A failure stays visible after the tag is gone, until the next tag.
    expect(panelFor(status("waiting", [outcome("failed")])).error?.code).toBe("wechat.ip_whitelist");
    expect(panelFor(status("stopped")).tone).toBe("idle");
  });

  it("uses only keys that exist in the Chinese locale", () => {
    const phases: StationStatus["phase"][] = ["stopped", "waiting", "working", "reader_missing", "confirm", "remove_tag"];
    const results: TapResult[] = ["written", "already_correct", "needs_confirmation", "failed"];
    for (const p of phases)
      for (const r of results) {
        const panel = panelFor(status(p, [outcome(r)]));
        expect(typeof key(panel.title), panel.title).toBe("string");
        if (panel.hint) expect(typeof key(panel.hint), panel.hint).toBe("string");
      }
  });

  it("plays a tone for results only", () => {
    const s = status("remove_tag");
    expect(soundFor({ event: "done", outcome: outcome("written") }, s)).toBe("success");
    expect(soundFor({ event: "done", outcome: outcome("failed") }, s)).toBe("failure");
    expect(soundFor({ event: "done", outcome: outcome("needs_confirmation") }, s)).toBe("attention");
    expect(soundFor({ event: "writing" }, s)).toBeNull();
    expect(soundFor({ event: "reader_unplugged" }, s)).toBe("attention");
    expect(verifiedCount(s)).toBe(5);
  });
});
