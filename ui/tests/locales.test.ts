/// <reference types="node" />
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AREAS } from "../src/areas";

// Read the raw JSON (the build plugin turns imports into compiled messages).
// (A path string, not `new URL(…, import.meta.url)`, which Vite would turn into an asset import.)
const localesDir = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "locales");
const load = (name: string) => JSON.parse(readFileSync(join(localesDir, `${name}.json`), "utf8"));

type Tree = { [key: string]: string | Tree };
function flatten(tree: Tree, prefix = ""): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tree).flatMap(([k, v]) =>
      typeof v === "string" ? [[prefix + k, v]] : Object.entries(flatten(v, `${prefix}${k}.`)),
    ),
  );
}

const zh = flatten(load("zh-CN"));
const en = flatten(load("en-US"));
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("locale files", () => {
  it("zh-CN and en-US have exactly the same keys", () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
  });

  it("no message is empty", () => {
    for (const [key, value] of [...Object.entries(zh), ...Object.entries(en)]) {
      expect(value.trim(), key).not.toBe("");
    }
  });

  it("each key uses the same {placeholders} in both languages", () => {
    for (const key of Object.keys(zh)) {
      expect(placeholders(en[key] ?? ""), key).toEqual(placeholders(zh[key] ?? ""));
    }
  });

  it("avoids characters vue-i18n treats as syntax (@ linked messages, | plurals)", () => {
    for (const [key, value] of [...Object.entries(zh), ...Object.entries(en)]) {
      expect(value, key).not.toMatch(/[@|]/);
    }
  });

  it("every area has a navigation label and a subtitle", () => {
    for (const area of AREAS) {
      expect(zh[`nav.${area}`], area).toBeTruthy();
      if (area === "settings") continue;
      expect(zh[`areas.${area}.subtitle`], `${area}.subtitle`).toBeTruthy();
    }
  });

  it("Chinese texts use the merchant's words", () => {
    const all = Object.values(zh).join("\n");
    for (const word of ["门店", "前台终端", "机器号", "终端号", "设备 model_id", "小程序密钥", "一机一码"]) {
      expect(all).toContain(word);
    }
  });
});
