import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { genuineKey, genuineMessage, genuineShort, genuineTone } from "../src/genuine";

const localesDir = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "locales");
const load = (name: string) => JSON.parse(readFileSync(join(localesDir, `${name}.json`), "utf8"));
const get = (tree: Record<string, unknown>, key: string) =>
  key.split(".").reduce<unknown>((t, k) => (t as Record<string, unknown>)?.[k], tree);

describe("genuine-chip verdict", () => {
  it("maps true / false / null to three distinct keys", () => {
    expect(genuineKey(true)).toBe("yes");
    expect(genuineKey(false)).toBe("no");
    expect(genuineKey(null)).toBe("unknown");
    expect(genuineKey(undefined)).toBe("unknown");
    expect(genuineTone(true)).toBe("success");
    expect(genuineTone(false)).toBe("warning");
    expect(genuineTone(null)).toBe("default");
  });

  it("says it in the product's words, and never calls a chip a fake", () => {
    const zh = load("zh-CN");
    const en = load("en-US");
    expect(get(zh, genuineMessage(true))).toBe("NXP 原厂芯片");
    expect(get(zh, genuineMessage(false))).toBe("不是 NXP 原厂芯片（可能是国产兼容芯片或仿冒）");
    expect(get(zh, genuineMessage(null))).toBe("这种芯片无法检查");
    for (const g of [true, false, null]) {
      for (const key of [genuineMessage(g), genuineShort(g)]) {
        const z = get(zh, key) as string;
        const e = get(en, key) as string;
        expect(z, key).toBeTruthy();
        expect(e, key).toBeTruthy();
        expect(z).not.toContain("假冒");
        expect(e.toLowerCase()).not.toContain("fake");
      }
    }
  });
});
