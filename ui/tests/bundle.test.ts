// @vitest-environment node
/// <reference types="node" />
// Builds the production bundle (what the Tauri app embeds) into a temp dir and checks
// that the dev-only IPC mock and the runtime message compiler are not in it.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build } from "vite";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = mkdtempSync(join(tmpdir(), "tapstand-ui-bundle-"));
let js = "";
let jsBytes = 0;
let entryBytes = 0;

beforeAll(async () => {
  // Vitest runs with NODE_ENV=test; build as `npm run build` does (NODE_ENV unset).
  const nodeEnv = process.env.NODE_ENV;
  delete process.env.NODE_ENV;
  try {
    await build({ root, configFile: join(root, "vite.config.ts"), mode: "production", logLevel: "silent", build: { outDir, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  const assets = join(outDir, "assets");
  for (const file of readdirSync(assets).filter((f) => f.endsWith(".js"))) {
    js += readFileSync(join(assets, file), "utf8");
    jsBytes += statSync(join(assets, file)).size;
    if (file.startsWith("index-")) entryBytes = statSync(join(assets, file)).size;
  }
}, 120_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe("production bundle", () => {
  it("contains no dev/demo IPC mock", () => {
    expect(js).not.toContain("mock IPC");
    // @tauri-apps/api/event calls __TAURI_EVENT_PLUGIN_INTERNALS__.unregisterListener(…) (the real runtime
    // provides it); only @tauri-apps/api/mocks assigns it.
    expect(js).not.toMatch(/__TAURI_EVENT_PLUGIN_INTERNALS__\.unregisterListener\s*=/);
    expect(readdirSync(join(outDir, "assets")).some((f) => f.startsWith("demo"))).toBe(false);
  });

  it("ships precompiled messages, not the vue-i18n message compiler", () => {
    // "(ctx) => {" is the message compiler's code-generation template; it is present
    // whenever the compiler is bundled (e.g. runtimeOnly: false) and absent otherwise.
    expect(js).not.toContain("(ctx) => {");
    expect(js).not.toMatch(/\beval\(/);
  });

  // The entry chunk is what the first paint waits for (shell + the default 凭据 page with its forms); the
  // table-heavy pages (设备型号, 门店与前台, 物料, 记录: n-data-table with virtual scrolling) are split off and load
  // on first visit. Budgets: entry 640 KiB, everything 1.5 MiB (minified, before gzip): the lazily loaded pages
  // are local files read on first visit (记录 brings Naive UI's date-range picker, ~150 KiB).
  it("stays small", () => {
    expect(entryBytes).toBeGreaterThan(0);
    expect(entryBytes).toBeLessThan(640 * 1024);
    expect(jsBytes).toBeLessThan(1536 * 1024);
  });
});
