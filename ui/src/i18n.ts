import { createI18n } from "vue-i18n";
import type { Language } from "./bindings";
// Compiled to message functions at build time by @intlify/unplugin-vue-i18n.
import zhCN from "./locales/zh-CN.json";
import enUS from "./locales/en-US.json";

export type MessageSchema = typeof zhCN;

declare module "vue-i18n" {
  // Typed keys for the global `t` / `$t`.
  export interface DefineLocaleMessage extends MessageSchema {}
}

export const DEFAULT_LANGUAGE: Language = "zh-CN";
export const FALLBACK_LANGUAGE: Language = "en-US";

export function isLanguage(value: unknown): value is Language {
  return value === "zh-CN" || value === "en-US";
}

export function createAppI18n(locale: Language = DEFAULT_LANGUAGE) {
  return createI18n<[MessageSchema], Language, false>({
    legacy: false,
    globalInjection: true,
    locale,
    fallbackLocale: FALLBACK_LANGUAGE,
    messages: { "zh-CN": zhCN, "en-US": enUS },
    missingWarn: import.meta.env.DEV,
    fallbackWarn: false,
  });
}

export type AppI18n = ReturnType<typeof createAppI18n>;
