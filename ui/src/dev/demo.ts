// DEV / DEMO ONLY. Loaded by main.ts only in `vite` (mode development) or `--mode demo`
// builds AND when the URL has `?demo`; production builds do not contain this module.
//
// Query parameters:
//   demo            shell with sample app info (demo=corrupt | demo=newer: startup error)
//   lang=en-US      saved language reported by app_info
//   readers=0       doctor finds no reader; readers=down: PC/SC service unavailable
//   keychain=off    doctor reports the keychain unavailable
//   doctor=auto     click "run diagnostics" once the Settings view is shown
//   records=empty   no profile, model, store or terminal (the first-run wizard shows)
//   connection=ip   "test connection" fails with 40164 (IP whitelist)
import { mockIPC } from "@tauri-apps/api/mocks";
import type { AppInfo, DoctorReport, Language, UserError } from "../bindings";
import { demoRecords } from "./demoRecords";

const STARTUP_ERRORS: Record<string, UserError> = {
  corrupt: {
    code: "database.corrupt",
    zh: {
      message: "数据文件已损坏，程序无法打开它。",
      remedy: "请先关闭程序，把数据文件夹里的 tapstand.db 复制一份保存好，然后联系技术支持恢复数据。请不要删除这个文件。",
    },
    en: {
      message: "The data file is damaged and cannot be opened.",
      remedy:
        "Close Tapstand, copy tapstand.db from the data folder somewhere safe, then contact support to recover it. Do not delete the file.",
    },
    detail: "sqlite: database disk image is malformed (code 11) at C:\\Users\\shop\\AppData\\Roaming\\cn.tapstand.app\\tapstand.db",
    fields: [],
  },
  newer: {
    code: "database.newer_schema",
    zh: {
      message: "数据文件是由更新版本的碰一碰立牌工作台创建的，当前版本无法使用。",
      remedy: "请安装最新版本的碰一碰立牌工作台后再打开。",
    },
    en: {
      message: "The data file was created by a newer version of Tapstand and cannot be used by this version.",
      remedy: "Install the latest version of Tapstand, then open it again.",
    },
    detail: "schema_version 7 > known 3",
    fields: [],
  },
};

export function installDemo(params: URLSearchParams): void {
  // Never replace the real bridge.
  if ("__TAURI_INTERNALS__" in window) return;

  let language: Language = params.get("lang") === "en-US" ? "en-US" : "zh-CN";
  const startupError = STARTUP_ERRORS[params.get("demo") ?? ""] ?? null;

  const info = (): AppInfo => ({
    version: "0.1.0",
    data_dir: "C:\\Users\\shop\\AppData\\Roaming\\cn.tapstand.app",
    db_path: "C:\\Users\\shop\\AppData\\Roaming\\cn.tapstand.app\\tapstand.db",
    log_dir: "C:\\Users\\shop\\AppData\\Local\\cn.tapstand.app\\logs",
    schema_version: 3,
    language,
    reader_feedback: true,
    wechat_api: "https://api.weixin.qq.com",
    wechat_api_official: true,
  });

  const doctor = (): DoctorReport => {
    const readersParam = params.get("readers");
    return {
      app_version: "0.1.0",
      os: "windows 11 (26100)",
      arch: "x86_64",
      data_dir: info().data_dir,
      log_dir: info().log_dir,
      database: { path: info().db_path, exists: true, schema_version: 3, known_schema_version: 3, error: null },
      readers:
        readersParam === "down"
          ? { service_available: false, readers: [], details: [], error: "SCardEstablishContext: the Smart Card Resource Manager is not running (0x8010001D)", problem: null }
          : readersParam === "0"
            ? { service_available: true, readers: [], details: [], error: null, problem: null }
            : {
                service_available: true,
                readers: ["ACS ACR122U PICC Interface 0"],
                details: [
                  {
                    name: "ACS ACR122U PICC Interface 0",
                    family: "acr122u",
                    tag_present: true,
                    empty: false,
                    event_count: 3,
                    atr: "3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 03 00 00 00 00 68",
                    dialect: "acr122_direct",
                    firmware: "ACR122U215",
                  },
                ],
                error: null,
                problem: null,
              },
      keychain:
        params.get("keychain") === "off"
          ? { backend: "Windows Credential Manager", available: false, error: "Access is denied. (os error 5)" }
          : { backend: "Windows Credential Manager", available: true, error: null },
      smart_card_pnp: null,
    };
  };

  const records = demoRecords(params);

  mockIPC(async (cmd, args) => {
    await new Promise((r) => setTimeout(r, cmd === "doctor" ? 500 : 60));
    switch (cmd) {
      case "startup_status":
        if (startupError) throw startupError;
        return null;
      case "app_info":
        return info();
      case "set_language":
        language = (args as { language: Language }).language;
        return null;
      case "doctor":
        return doctor();
      case "ui_ready":
        return null;
      case "update_status":
        return {
          current_version: "0.1.0",
          enabled: true,
          disabled_reason: null,
          sources: ["cdn.example.cn", "github.com"],
          timeout_secs: 15,
        };
      case "update_check":
        return {
          current_version: "0.1.0",
          version: "0.2.0",
          notes: "写卡更快；导出物料支持更多尺寸。",
          date: "2026-12-01T08:00:00Z",
          source: "cdn.example.cn",
        };
      default: {
        const result = records(cmd, (args ?? {}) as Record<string, unknown>);
        if (result === undefined) throw new Error(`demo: unknown command ${cmd}`);
        return result;
      }
    }
  });

  const badge = document.createElement("div");
  badge.textContent = "DEMO · mock IPC";
  badge.setAttribute(
    "style",
    "position:fixed;right:10px;bottom:8px;z-index:9999;padding:2px 8px;border-radius:10px;" +
      "font:11px/18px ui-monospace,monospace;color:#8a5a00;background:#fff4d6;border:1px solid #f1d38b;pointer-events:none",
  );
  document.body.appendChild(badge);

  if (params.get("doctor") === "auto") {
    const timer = setInterval(() => {
      const button = document.querySelector<HTMLElement>('[data-testid="doctor-run"]');
      if (button) {
        clearInterval(timer);
        button.click();
      }
    }, 100);
  }
}
