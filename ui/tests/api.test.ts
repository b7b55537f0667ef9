import { afterEach, describe, expect, it } from "vitest";
import { api, inDesktopApp } from "../src/api";
import { mockCommands, resetIpc, sampleError, sampleInfo } from "./helpers";

afterEach(resetIpc);

describe("api", () => {
  it("outside the desktop app every call resolves to a clear, bilingual error", async () => {
    expect(inDesktopApp()).toBe(false);
    for (const result of [await api.startupStatus(), await api.appInfo(), await api.doctor(), await api.setLanguage("en-US")]) {
      expect(result.status).toBe("error");
      if (result.status === "error") {
        expect(result.error.code).toBe("ui.not_in_desktop_app");
        expect(result.error.zh.message).toContain("桌面程序");
        expect(result.error.en.message).toContain("desktop app");
      }
    }
  });

  it("passes data and UserErrors from Rust through unchanged", async () => {
    const calls = mockCommands({
      startup_status: () => Promise.reject(sampleError()),
      doctor: () => Promise.reject(sampleError("doctor.failed")),
    });
    expect(await api.appInfo()).toEqual({ status: "ok", data: sampleInfo() });
    expect(await api.startupStatus()).toEqual({ status: "error", error: sampleError() });
    expect(await api.doctor()).toEqual({ status: "error", error: sampleError("doctor.failed") });
    await api.setLanguage("en-US");
    expect(calls.at(-1)).toEqual({ cmd: "set_language", args: { language: "en-US" } });
  });

  it("turns thrown JS errors and malformed payloads into a UserError", async () => {
    mockCommands({
      app_info: () => {
        throw new Error("IPC exploded");
      },
      startup_status: () => Promise.reject("Command startup_status not found"),
      doctor: () => Promise.reject({ weird: true }),
    });
    const info = await api.appInfo();
    const status = await api.startupStatus();
    const doctor = await api.doctor();
    expect(info.status === "error" && info.error.code).toBe("ui.ipc_failed");
    expect(info.status === "error" && info.error.detail).toContain("IPC exploded");
    expect(status.status === "error" && status.error.detail).toBe("Command startup_status not found");
    expect(doctor.status === "error" && doctor.error.code).toBe("ui.ipc_failed");
  });
});
