import { afterEach, describe, expect, it } from "vitest";
import App from "../src/App.vue";
import { AREAS } from "../src/areas";
import { flush, mockCommands, mount, resetIpc, sampleError, sampleInfo } from "./helpers";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
  resetIpc();
  document.documentElement.lang = "";
});

async function mountApp(path = "/") {
  const m = await mount(App, {}, path);
  cleanup = m.unmount;
  await flush(10);
  return m;
}

describe("startup", () => {
  it("outside Tauri shows the startup error page, not a crash", async () => {
    const m = await mountApp();
    expect(m.q("startup-error")).not.toBeNull();
    expect(m.q("app-shell")).toBeNull();
    expect(m.q("user-error")?.dataset.code).toBe("ui.not_in_desktop_app");
    expect(document.documentElement.lang).toBe("zh-CN");
  });

  it("a startup error shows message and remedy, language switchable, retry works", async () => {
    let broken = true;
    const calls = mockCommands({ startup_status: () => (broken ? Promise.reject(sampleError()) : null) });
    const m = await mountApp();
    expect(m.q("startup-error")).not.toBeNull();
    expect(m.q("user-error-message")?.textContent).toBe("数据文件已损坏。");
    expect(m.q("user-error-remedy")?.textContent).toBe("请联系技术支持。");
    // Both product names, whatever the language (the e2e test looks for "Tapstand").
    expect(m.q("startup-error")?.textContent).toContain("碰一碰立牌工作台");
    expect(m.q("startup-error")?.textContent).toContain("Tapstand");

    m.q("lang-en-US")?.querySelector("input")?.click();
    await flush();
    expect(m.q("user-error-message")?.textContent).toBe("The data file is damaged.");
    expect(document.documentElement.lang).toBe("en-US");
    // Not persisted: the database is not usable at this point.
    expect(calls.some((c) => c.cmd === "set_language")).toBe(false);

    broken = false;
    m.q("startup-retry")?.click();
    await flush(10);
    expect(m.q("startup-error")).toBeNull();
    expect(m.q("app-shell")).not.toBeNull();
  });

  it("a team database that cannot be opened offers 改回单机, which switches to this PC's database", async () => {
    let broken = true;
    const calls = mockCommands({
      startup_status: () =>
        broken ? Promise.reject({ ...sampleError(), code: "db.team.unreachable" }) : null,
      team_switch: () => {
        broken = false;
        return null;
      },
    });
    const m = await mountApp();
    expect(m.q("startup-team-hint")).not.toBeNull();
    m.q("startup-use-local")?.click();
    await flush(10);
    const sw = calls.find((c) => c.cmd === "team_switch");
    expect(sw?.args).toMatchObject({ connection: null });
    expect(m.q("startup-error")).toBeNull();
    expect(m.q("app-shell")).not.toBeNull();
  });

  it("another error offers no 改回单机", async () => {
    mockCommands({ startup_status: () => Promise.reject(sampleError()) });
    const m = await mountApp();
    expect(m.q("startup-error")).not.toBeNull();
    expect(m.q("startup-use-local")).toBeNull();
  });

  it("tells Rust once that the first screen is painted (shell or error page)", async () => {
    const ok = mockCommands();
    let m = await mountApp();
    await new Promise((r) => setTimeout(r, 100));
    expect(ok.filter((c) => c.cmd === "ui_ready")).toHaveLength(1);
    expect(ok.findIndex((c) => c.cmd === "ui_ready")).toBeGreaterThan(ok.findIndex((c) => c.cmd === "app_info"));
    m.unmount();
    resetIpc();

    const failing = mockCommands({ startup_status: () => Promise.reject(sampleError()) });
    m = await mountApp();
    await new Promise((r) => setTimeout(r, 100));
    expect(m.q("startup-error")).not.toBeNull();
    m.q("startup-retry")?.click();
    await new Promise((r) => setTimeout(r, 100));
    expect(failing.filter((c) => c.cmd === "ui_ready")).toHaveLength(1);
  });

  it("an app_info error also shows the startup error page", async () => {
    mockCommands({ app_info: () => Promise.reject(sampleError("database.newer_schema")) });
    const m = await mountApp();
    expect(m.q("user-error")?.dataset.code).toBe("database.newer_schema");
  });
});

describe("shell", () => {
  it("shows the navigation in order and the first area", async () => {
    mockCommands();
    const m = await mountApp();
    const nav = [...m.el.querySelectorAll<HTMLElement>('[data-testid^="nav-"]')].map((e) => e.dataset.testid);
    expect(nav).toEqual(AREAS.map((a) => `nav-${a}`));
    expect(m.q("view-credentials")).not.toBeNull();
    expect(m.q("nav-credentials")?.textContent).toContain("凭据");

    m.q("nav-write")?.click();
    // The write page is a lazily loaded chunk: wait for the navigation to land.
    for (let i = 0; i < 50 && m.router.currentRoute.value.name !== "write"; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await flush();
    expect(m.router.currentRoute.value.name).toBe("write");
    expect(m.q("view-write")).not.toBeNull();
  });

  it("loads the saved language from app_info and persists a new choice", async () => {
    const calls = mockCommands({ app_info: () => sampleInfo("en-US") });
    const m = await mountApp();
    expect(document.documentElement.lang).toBe("en-US");
    expect(m.q("nav-settings")?.textContent).toContain("Settings");
    expect(m.q("lang-switch")).not.toBeNull();

    m.q("lang-zh-CN")?.click(); // what WebDriver does: click the option itself
    await flush();
    expect(document.documentElement.lang).toBe("zh-CN");
    expect(m.q("nav-settings")?.textContent).toContain("设置");
    expect(calls.filter((c) => c.cmd === "set_language")).toEqual([
      { cmd: "set_language", args: { language: "zh-CN" } },
    ]);
  });

  it("shows a banner while another WeChat API than the official one is in use, and none otherwise", async () => {
    mockCommands();
    let m = await mountApp();
    expect(m.q("dev-api-banner")).toBeNull();
    cleanup?.();
    resetIpc();
    mockCommands({
      app_info: () => ({ ...sampleInfo(), wechat_api: "http://127.0.0.1:8787", wechat_api_official: false }),
    });
    m = await mountApp();
    expect(m.q("dev-api-banner")?.textContent).toContain("http://127.0.0.1:8787");
    expect(m.q("dev-api-banner")?.textContent).toContain("测试用的微信接口");
  });

  it("keeps the switched language when saving it fails", async () => {
    mockCommands({ set_language: () => Promise.reject(sampleError("settings.write_failed")) });
    const m = await mountApp();
    m.q("lang-en-US")?.querySelector("input")?.click();
    await flush();
    expect(document.documentElement.lang).toBe("en-US");
    expect(document.body.textContent).toContain("could not be saved");
  });
});

describe("settings", () => {
  it("shows version, paths and schema version, and runs diagnostics", async () => {
    mockCommands();
    const m = await mountApp("/settings");
    const info = sampleInfo();
    expect(m.q("settings-version")?.textContent).toBe(info.version);
    expect(m.q("settings-db-path")?.textContent).toBe(info.db_path);
    expect(m.q("settings-log-dir")?.textContent).toBe(info.log_dir);
    expect(m.q("settings-data-dir")?.textContent).toBe(info.data_dir);
    expect(m.q("settings-schema-version")?.textContent).toBe(String(info.schema_version));
    expect(m.q("settings-db-path-copy")).not.toBeNull();
    expect(m.q("settings-language")).not.toBeNull();

    expect(m.q("doctor-result")).toBeNull();
    m.q("doctor-run")?.click();
    await flush(10);
    const result = m.q("doctor-result");
    expect(result?.dataset.health).toBe("ok");
    expect(result?.textContent).toContain("ACS ACR122U PICC Interface 0");
    // Each reader with how it passes native commands and its firmware string.
    expect(m.q("doctor-reader")?.textContent).toContain("直通命令（ACR122U 方式）");
    expect(m.q("doctor-reader")?.textContent).toContain("固件 ACR122U215");
    expect(m.q("doctor-readers")?.dataset.health).toBe("ok");
    expect(m.q("doctor-keychain")?.textContent).toContain("secret-service");
    expect(m.q("doctor-database")?.dataset.health).toBe("ok");
  });

  it("the reader light-and-beep switch is on by default and saves a change", async () => {
    const calls = mockCommands();
    const m = await mountApp("/settings");
    const sw = m.q("reader-feedback-switch");
    expect(sw?.getAttribute("aria-checked")).toBe("true");
    sw?.click();
    await flush();
    expect(calls.filter((c) => c.cmd === "set_reader_feedback")).toEqual([
      { cmd: "set_reader_feedback", args: { on: false } },
    ]);
    expect(m.q("reader-feedback-switch")?.getAttribute("aria-checked")).toBe("false");
  });

  it("diagnostics failure is shown with the error component", async () => {
    mockCommands({ doctor: () => Promise.reject(new Error("doctor crashed")) });
    const m = await mountApp("/settings");
    m.q("doctor-run")?.click();
    await flush(10);
    expect(m.q("doctor-result")?.dataset.health).toBe("error");
    expect(m.q("user-error")?.dataset.code).toBe("ui.ipc_failed");
  });
});
