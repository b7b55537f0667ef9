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
    expect([...AREAS]).toEqual(["credentials", "models", "stores", "write", "print", "history", "inspect", "settings"]);
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

});
