import { defineStore } from "pinia";
import { ref } from "vue";
import { api } from "../api";
import type { AppInfo, Language, UserError } from "../bindings";
import { DEFAULT_LANGUAGE, isLanguage } from "../i18n";

export type Phase = "loading" | "ready" | "error";

export const useAppStore = defineStore("app", () => {
  const phase = ref<Phase>("loading");
  const startupError = ref<UserError | null>(null);
  const info = ref<AppInfo | null>(null);
  /** The UI language; App.vue mirrors it into vue-i18n, Naive UI and <html lang>. */
  const language = ref<Language>(DEFAULT_LANGUAGE);
  /** The first-run wizard was skipped in this session (it shows again next time while no profile exists). */
  const wizardSkipped = ref(false);

  /** Runs the startup checks, then loads the app info (and the saved language). */
  async function start(): Promise<void> {
    phase.value = "loading";
    startupError.value = null;

    const status = await api.startupStatus();
    if (status.status === "error") {
      startupError.value = status.error;
      phase.value = "error";
      return;
    }

    const loaded = await api.appInfo();
    if (loaded.status === "error") {
      startupError.value = loaded.error;
      phase.value = "error";
      return;
    }

    info.value = loaded.data;
    if (isLanguage(loaded.data.language)) language.value = loaded.data.language;
    phase.value = "ready";
  }

  /**
   * From the startup error: opens the database again (`useLocal`: switches to this PC's own database,
   * 改回单机), then runs the startup checks. A failure stays on the error page with the new error.
   */
  async function reopen(useLocal: boolean): Promise<void> {
    const opened = useLocal ? await api.teamSwitch(null) : await api.teamRetry();
    if (opened.status === "error" && opened.error.code !== "ui.not_in_desktop_app") {
      startupError.value = opened.error;
      phase.value = "error";
      return;
    }
    await start();
  }

  /**
   * Switches the UI language at once and, once the app is running, saves the choice.
   * Returns the error if saving failed (the UI stays switched).
   */
  async function setLanguage(next: Language): Promise<UserError | null> {
    if (next === language.value) return null;
    language.value = next;
    // On the startup-error page the database may be unusable: switch locally only.
    if (phase.value !== "ready") return null;
    const saved = await api.setLanguage(next);
    if (saved.status === "error") return saved.error;
    if (info.value) info.value = { ...info.value, language: next };
    return null;
  }

  return { phase, startupError, info, language, wizardSkipped, start, reopen, setLanguage };
});
