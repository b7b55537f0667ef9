import type { Language, Localized, UserError } from "./bindings";

/** True when `value` has the shape of a `UserError` produced by the Rust side. */
export function isUserError(value: unknown): value is UserError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  const localized = (l: unknown) =>
    typeof l === "object" &&
    l !== null &&
    typeof (l as Record<string, unknown>).message === "string" &&
    typeof (l as Record<string, unknown>).remedy === "string";
  return (
    typeof v.code === "string" &&
    localized(v.zh) &&
    localized(v.en) &&
    (v.detail === null || v.detail === undefined || typeof v.detail === "string")
  );
}

/** The message/remedy pair for `lang`, falling back to the other language if one is empty. */
export function localizedFor(error: UserError, lang: Language | string): Localized {
  const primary = lang === "en-US" ? error.en : error.zh;
  const other = lang === "en-US" ? error.zh : error.en;
  return {
    message: primary.message || other.message,
    remedy: primary.remedy || other.remedy,
  };
}

function describe(raw: unknown): string {
  if (raw instanceof Error) return `${raw.name}: ${raw.message}`;
  if (typeof raw === "string") return raw;
  try {
    return JSON.stringify(raw);
  } catch {
    return String(raw);
  }
}

// Errors raised by the UI itself. They use the same shape as Rust's UserError so the
// same component shows them.

export function notInTauriError(): UserError {
  return {
    code: "ui.not_in_desktop_app",
    zh: {
      message: "这个页面需要在「碰一碰立牌工作台」桌面程序里打开。",
      remedy:
        "请从开始菜单（Windows）或“应用程序”文件夹（macOS）启动碰一碰立牌工作台，不要直接在浏览器里打开这个页面。",
    },
    en: {
      message: "This page only works inside the Tapstand desktop app.",
      remedy:
        "Start Tapstand from the Start menu (Windows) or the Applications folder (macOS) instead of opening this page in a web browser.",
    },
    detail: "window.__TAURI_INTERNALS__ is missing: the UI is running in a plain browser, not in the Tauri webview.",
    fields: [],
  };
}

export function ipcFailedError(raw: unknown): UserError {
  return {
    code: "ui.ipc_failed",
    zh: {
      message: "程序内部通信出错，这一步没有完成。",
      remedy: "请关闭并重新打开程序后再试。如果问题仍然存在，请把下面的技术详情和日志文件夹一起发给技术支持。",
    },
    en: {
      message: "Something went wrong inside the app, so this step did not finish.",
      remedy:
        "Close and reopen Tapstand, then try again. If it keeps happening, send the technical details below and the log folder to support.",
    },
    detail: describe(raw),
    fields: [],
  };
}
