import { createApp, defineComponent, h, nextTick } from "vue";
import type { Component } from "vue";
import { createPinia } from "pinia";
import { createMemoryHistory } from "vue-router";
import { NDialogProvider, NMessageProvider } from "naive-ui";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { AppInfo, DoctorReport, Language, UpdateStatus, UserError } from "../src/bindings";
import { createAppI18n } from "../src/i18n";
import { createAppRouter } from "../src/router";

export const sampleInfo = (language: Language = "zh-CN"): AppInfo => ({
  version: "9.8.7",
  data_dir: "/home/shop/.local/share/cn.tapstand.app",
  db_path: "/home/shop/.local/share/cn.tapstand.app/tapstand.db",
  log_dir: "/home/shop/.local/share/cn.tapstand.app/logs",
  schema_version: 4,
  language,
  reader_feedback: true,
  wechat_api: "https://api.weixin.qq.com",
  wechat_api_official: true,
});

export const sampleDoctor = (): DoctorReport => ({
  app_version: "9.8.7",
  os: "linux",
  arch: "x86_64",
  data_dir: "/data",
  log_dir: "/logs",
  database: { path: "/data/tapstand.db", exists: true, schema_version: 4, known_schema_version: 4, error: null },
  readers: {
    service_available: true,
    readers: ["ACS ACR122U PICC Interface 0"],
    details: [
      {
        name: "ACS ACR122U PICC Interface 0",
        family: "acr122u",
        tag_present: true,
        empty: false,
        event_count: 1,
        atr: null,
        dialect: "acr122_direct",
        firmware: "ACR122U215",
      },
    ],
    error: null,
    problem: null,
  },
  keychain: { backend: "secret-service", available: true, error: null },
  smart_card_pnp: null,
});

export const sampleError = (code = "database.corrupt"): UserError => ({
  code,
  zh: { message: "数据文件已损坏。", remedy: "请联系技术支持。" },
  en: { message: "The data file is damaged.", remedy: "Contact support." },
  detail: "sqlite: database disk image is malformed",
  fields: [],
});

export const sampleUpdateStatus = (enabled = true): UpdateStatus =>
  enabled
    ? { current_version: "9.8.7", enabled, disabled_reason: null, sources: ["cdn.example.cn", "github.com"], timeout_secs: 15 }
    : {
        current_version: "9.8.7",
        enabled,
        disabled_reason: {
          code: "update.not_configured",
          zh: { message: "这个版本没有配置更新签名公钥，自动更新已关闭。", remedy: "请到官网下载新版本的安装包手动更新。" },
          en: { message: "This build has no update signing key, so updates are off.", remedy: "Download new versions by hand." },
          detail: null,
          fields: [],
        },
        sources: [],
        timeout_secs: 0,
      };

export type Handler = (cmd: string, args: unknown) => unknown;

/** Mocks the Rust commands; records every call. */
export function mockCommands(overrides: Partial<Record<string, Handler>> = {}) {
  const calls: { cmd: string; args: unknown }[] = [];
  const defaults: Record<string, Handler> = {
    startup_status: () => null,
    app_info: () => sampleInfo(),
    set_language: () => null,
    set_reader_feedback: () => null,
    doctor: () => sampleDoctor(),
    ui_ready: () => null,
    update_status: () => sampleUpdateStatus(),
    list_profiles: () => [],
    list_device_models: () => [],
    team_status: () => ({ saved: null, location: "/data/tapstand.db", overridden: false, plain_text: false, role: null }),
    team_retry: () => null,
  };
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    const handler = overrides[cmd] ?? defaults[cmd];
    if (!handler) throw new Error(`unexpected command ${cmd}`);
    return handler(cmd, args);
  });
  return calls;
}

export function resetIpc() {
  clearMocks();
  delete (window as { __TAURI_INTERNALS__?: unknown }).__TAURI_INTERNALS__;
}

export async function flush(times = 5) {
  for (let i = 0; i < times; i++) {
    await new Promise((r) => setTimeout(r, 0));
    await nextTick();
  }
}

/** Mounts `root` with the app's plugins (memory history) inside a message provider. */
export async function mount(root: Component, props: Record<string, unknown> = {}, path = "/") {
  const el = document.createElement("div");
  document.body.appendChild(el);
  const router = createAppRouter(createMemoryHistory());
  const i18n = createAppI18n();
  const Wrapper = defineComponent({
    render: () => h(NMessageProvider, null, { default: () => h(NDialogProvider, null, { default: () => h(root, props) }) }),
  });
  const app = createApp(Wrapper).use(createPinia()).use(i18n).use(router);
  await router.push(path);
  await router.isReady();
  app.mount(el);
  await flush();
  return {
    el,
    app,
    router,
    i18n,
    q: (testid: string) => el.querySelector<HTMLElement>(`[data-testid="${testid}"]`),
    unmount: () => {
      app.unmount();
      el.remove();
    },
  };
}
