// The only place the UI talks to Rust. Every call resolves (never rejects) to a
// Result whose error is always a well-formed UserError, whatever went wrong:
// not running inside Tauri, a thrown JS Error (the generated wrappers re-throw those),
// or a malformed payload.

import { commands } from "./bindings";
import type { AppInfo, DoctorReport, Language, UserError } from "./bindings";
import { ipcFailedError, isUserError, notInTauriError } from "./errors";

export type ApiResult<T> = { status: "ok"; data: T } | { status: "error"; error: UserError };

/** True inside the Tauri webview (or when IPC is mocked for tests / the dev demo). */
export function inDesktopApp(): boolean {
  const internals = (globalThis as { __TAURI_INTERNALS__?: { invoke?: unknown } }).__TAURI_INTERNALS__;
  return typeof internals?.invoke === "function";
}

async function call<T>(
  run: () => Promise<{ status: "ok"; data: T } | { status: "error"; error: unknown }>,
): Promise<ApiResult<T>> {
  if (!inDesktopApp()) return { status: "error", error: notInTauriError() };
  try {
    const result = await run();
    if (result.status === "ok") return result;
    return { status: "error", error: isUserError(result.error) ? result.error : ipcFailedError(result.error) };
  } catch (e) {
    return { status: "error", error: isUserError(e) ? e : ipcFailedError(e) };
  }
}

export const api = {
  startupStatus: (): Promise<ApiResult<null>> => call(() => commands.startupStatus()),
  appInfo: (): Promise<ApiResult<AppInfo>> => call(() => commands.appInfo()),
  setLanguage: (language: Language): Promise<ApiResult<null>> => call(() => commands.setLanguage(language)),
  doctor: (): Promise<ApiResult<DoctorReport>> => call(() => commands.doctor()),
  /** Tells Rust the first screen (shell or startup error) is painted. */
  uiReady: (): Promise<ApiResult<null>> => call(() => commands.uiReady()),
};
