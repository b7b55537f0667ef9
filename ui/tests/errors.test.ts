import { describe, expect, it } from "vitest";
import { ipcFailedError, isUserError, localizedFor, notInTauriError } from "../src/errors";
import { sampleError } from "./helpers";

describe("errors", () => {
  it("recognises the UserError shape", () => {
    expect(isUserError(sampleError())).toBe(true);
    expect(isUserError({ ...sampleError(), detail: null })).toBe(true);
    expect(isUserError("boom")).toBe(false);
    expect(isUserError(new Error("boom"))).toBe(false);
    expect(isUserError({ code: "x", zh: { message: "m" }, en: { message: "m", remedy: "r" }, detail: null })).toBe(false);
  });

  it("picks the language and falls back to the other one when a text is empty", () => {
    const e = sampleError();
    expect(localizedFor(e, "zh-CN").message).toBe("数据文件已损坏。");
    expect(localizedFor(e, "en-US").message).toBe("The data file is damaged.");
    const partial = { ...e, en: { message: "", remedy: "" } };
    expect(localizedFor(partial, "en-US")).toEqual(e.zh);
  });

  it("UI-side errors are well-formed and bilingual", () => {
    for (const e of [notInTauriError(), ipcFailedError(new TypeError("nope"))]) {
      expect(isUserError(e)).toBe(true);
      expect(e.zh.message).toMatch(/[\u4e00-\u9fff]/);
      expect(e.en.message).toMatch(/[A-Za-z]/);
    }
    expect(ipcFailedError(new TypeError("nope")).detail).toBe("TypeError: nope");
  });
});
