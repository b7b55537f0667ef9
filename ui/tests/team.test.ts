import { afterEach, describe, expect, it } from "vitest";
import TeamCard from "../src/components/TeamCard.vue";
import { flush, mockCommands, mount, resetIpc } from "./helpers";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
  resetIpc();
  document.body.innerHTML = "";
});

const saved = (tls: string) => ({
  host: "10.0.0.5",
  port: 5432,
  database: "chain",
  user: "store_pc_1",
  tls,
  ca_file: "",
});

describe("设置 → 团队模式", () => {
  it("shows this PC's role and warns about a plain-text connection", async () => {
    mockCommands({
      team_status: () => ({
        saved: saved("disable"),
        location: "postgres://store_pc_1@10.0.0.5:5432/chain",
        overridden: false,
        plain_text: true,
        role: "writer",
      }),
    });
    const m = await mount(TeamCard);
    cleanup = m.unmount;
    await flush(5);
    expect(m.q("team-role")?.textContent).toContain("写卡员");
    expect(m.q("team-plain-warning")?.textContent).toContain("sslmode=disable");
    // The form shows "not encrypted" with its warning.
    expect(m.q("team-tls-plain")).not.toBeNull();
  });

  it("an encrypted head-office connection shows no warning; the default is require", async () => {
    const calls = mockCommands({
      team_status: () => ({
        saved: null,
        location: "/data/tapstand.db",
        overridden: false,
        plain_text: false,
        role: null,
      }),
      team_check: () => ({ location: "postgres://hq@h:5432/d", schema_version: 0, known_schema_version: 11 }),
    });
    const m = await mount(TeamCard);
    cleanup = m.unmount;
    await flush(5);
    expect(m.q("team-plain-warning")).toBeNull();
    expect(m.q("team-role")).toBeNull();
    m.q("team-mode-team")?.querySelector("input")?.click();
    await flush(5);
    expect(m.q("team-tls-plain")).toBeNull();
    m.q("team-check")?.click();
    await flush(5);
    const check = calls.find((c) => c.cmd === "team_check");
    expect((check?.args as { connection: { tls: string } }).connection.tls).toBe("require");
  });
});
