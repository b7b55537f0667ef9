import { afterEach, describe, expect, it } from "vitest";
import UserErrorView from "../src/components/UserErrorView.vue";
import { flush, mount, sampleError } from "./helpers";

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe("UserErrorView", () => {
  it("shows message and remedy in the current language, detail collapsed", async () => {
    const m = await mount(UserErrorView, { error: sampleError() });
    cleanup = m.unmount;

    expect(m.q("user-error")?.dataset.code).toBe("database.corrupt");
    expect(m.q("user-error-message")?.textContent).toBe("数据文件已损坏。");
    expect(m.q("user-error-remedy")?.textContent).toBe("请联系技术支持。");
    expect(m.el.textContent).toContain("怎么办");
    // Collapsed: the detail is not rendered until opened.
    expect(m.q("user-error-detail")).toBeNull();

    m.i18n.global.locale.value = "en-US";
    await flush();
    expect(m.q("user-error-message")?.textContent).toBe("The data file is damaged.");
    expect(m.q("user-error-remedy")?.textContent).toBe("Contact support.");
    expect(m.el.textContent).toContain("What to do");

    m.el.querySelector<HTMLElement>(".n-collapse-item__header-main")?.click();
    await flush();
    const detail = m.q("user-error-detail")?.textContent ?? "";
    expect(detail).toContain("database.corrupt");
    expect(detail).toContain("sqlite: database disk image is malformed");
  });

  it("hides the remedy block when there is no remedy", async () => {
    const e = sampleError();
    e.zh.remedy = "";
    e.en.remedy = "";
    const m = await mount(UserErrorView, { error: e });
    cleanup = m.unmount;
    expect(m.q("user-error-remedy")).toBeNull();
  });
});
