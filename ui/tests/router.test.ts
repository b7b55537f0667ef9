import type { Component } from "vue";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryHistory } from "vue-router";
import { AREAS, DEFAULT_AREA } from "../src/areas";
import { AREA_ICONS } from "../src/icons";
import { AREA_VIEWS, createAppRouter } from "../src/router";
import { mount } from "./helpers";

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe("router", () => {
  it("has the areas in the product's order", () => {
    expect([...AREAS]).toEqual(["credentials", "models", "stores", "write", "print", "history", "settings"]);
  });

  it("covers every area with a named route /<area>, a view and an icon", () => {
    const router = createAppRouter(createMemoryHistory());
    for (const area of AREAS) {
      const resolved = router.resolve({ name: area });
      expect(resolved.path).toBe(`/${area}`);
      expect(resolved.matched.at(-1)?.components?.default).toBe(AREA_VIEWS[area]);
      expect(AREA_ICONS[area]).toBeTruthy();
    }
  });

  it("sends / and unknown paths to the first area", async () => {
    const router = createAppRouter(createMemoryHistory());
    await router.push("/");
    expect(router.currentRoute.value.name).toBe(DEFAULT_AREA);
    await router.push("/no-such-page");
    expect(router.currentRoute.value.name).toBe(DEFAULT_AREA);
  });

  // Areas still waiting for their work: an honest placeholder (the others have their own tests).
  const PLACEHOLDERS = ["write", "history"] as const;
  it.each(PLACEHOLDERS)("view %s renders its root and an honest placeholder", async (area) => {
    const m = await mount(AREA_VIEWS[area] as Component, {}, `/${area}`);
    cleanup = m.unmount;
    const root = m.q(`view-${area}`);
    expect(root).not.toBeNull();
    expect(m.el.firstElementChild?.getAttribute("data-testid") ?? root?.getAttribute("data-testid")).toBe(`view-${area}`);
    expect(m.q("area-placeholder")?.textContent).toContain("尚未开放");
    // No dead buttons: the only button allowed is a real navigation.
    const buttons = [...m.el.querySelectorAll("button")];
    expect(buttons.every((b) => b.dataset.testid === "placeholder-hint-action")).toBe(true);
  });
});
