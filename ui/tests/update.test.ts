import { afterEach, describe, expect, it } from "vitest";
import type { UpdateInfo, UserError } from "../src/bindings";
import App from "../src/App.vue";
import { flush, mockCommands, mount, resetIpc, sampleUpdateStatus } from "./helpers";

const newer: UpdateInfo = {
  current_version: "9.8.7",
  version: "9.9.0",
  notes: "写卡更快。\nFaster tag writing.",
  date: "2026-12-01T08:00:00Z",
  source: "cdn.example.cn",
};

const unreachable: UserError = {
  code: "update.unreachable",
  zh: { message: "连不上更新服务器，没有检查到新版本。", remedy: "请检查电脑能否上网，稍后再点“检查更新”。" },
  en: { message: "No update server could be reached.", remedy: "Check that this computer is online." },
  detail: "error sending request",
  fields: [],
};

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
  resetIpc();
  document.body.innerHTML = "";
});

async function mountApp(path: string) {
  const m = await mount(App, {}, path);
  cleanup = m.unmount;
  await flush(10);
  return m;
}

function buttonWithText(text: string): HTMLElement | undefined {
  return [...document.querySelectorAll<HTMLElement>("button")].find((b) => b.textContent?.includes(text));
}

describe("设置 → 软件更新", () => {
  it("a build without an update key says updates are off, and offers no check", async () => {
    mockCommands({ update_status: () => sampleUpdateStatus(false) });
    const m = await mountApp("/settings");
    expect(m.q("update-current")?.textContent).toBe("9.8.7");
    expect(m.q("update-disabled")?.textContent).toContain("自动更新已关闭");
    expect(m.q("update-disabled")?.textContent).toContain("没有配置更新签名公钥");
    expect(m.q("update-check")).toBeNull();
  });

  it("check → notes → download (verified) → install only after confirming", async () => {
    const calls = mockCommands({ update_check: () => newer, update_download: () => newer, update_install: () => null });
    const m = await mountApp("/settings");
    expect(m.q("update-sources")?.textContent).toBe("cdn.example.cn → github.com");

    m.q("update-check")?.click();
    await flush(10);
    expect(m.q("update-found")?.textContent).toContain("发现新版本 9.9.0（当前 9.8.7）");
    expect(m.q("update-notes")?.textContent).toBe(newer.notes);
    expect(calls.some((c) => c.cmd === "update_download")).toBe(false);

    m.q("update-download")?.click();
    await flush(10);
    expect(calls.some((c) => c.cmd === "update_download")).toBe(true);
    expect(m.q("update-found")?.textContent).toContain("签名校验通过");
    // The confirmation is asked; nothing is installed before the merchant says so.
    expect(document.body.textContent).toContain("现在安装 9.9.0？");
    expect(calls.some((c) => c.cmd === "update_install")).toBe(false);
    buttonWithText("稍后")?.click();
    await flush(10);
    expect(calls.some((c) => c.cmd === "update_install")).toBe(false);

    m.q("update-install")?.click();
    await flush(10);
    buttonWithText("现在安装")?.click();
    await flush(10);
    expect(calls.filter((c) => c.cmd === "update_install")).toHaveLength(1);
  });

  it("already the newest version", async () => {
    mockCommands({ update_check: () => null });
    const m = await mountApp("/settings");
    m.q("update-check")?.click();
    await flush(10);
    expect(m.q("update-latest")?.textContent).toContain("已经是最新版本");
    expect(m.q("update-found")).toBeNull();
  });

  it("a failed check or a refused installer shows the error with its remedy", async () => {
    mockCommands({
      update_check: () => Promise.reject(unreachable),
    });
    const m = await mountApp("/settings");
    m.q("update-check")?.click();
    await flush(10);
    expect(m.q("update-error")?.dataset.code).toBe("update.unreachable");
    expect(m.q("update-error")?.textContent).toContain("检查更新");
  });
});
