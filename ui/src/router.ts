import { createRouter, createWebHashHistory } from "vue-router";
import type { RouteRecordRaw, RouterHistory } from "vue-router";
import { AREAS, DEFAULT_AREA } from "./areas";
import type { AreaId } from "./areas";
import CredentialsView from "./views/CredentialsView.vue";
import SettingsView from "./views/SettingsView.vue";

// The default area and the light pages are in the entry chunk; the table-heavy pages load on first visit
// (a local file read, a few milliseconds), which keeps the first paint fast.
export const AREA_VIEWS: Record<AreaId, NonNullable<RouteRecordRaw["component"]>> = {
  credentials: CredentialsView,
  models: () => import("./views/ModelsView.vue"),
  stores: () => import("./views/StoresView.vue"),
  write: () => import("./views/WriteView.vue"),
  print: () => import("./views/PrintView.vue"),
  history: () => import("./views/HistoryView.vue"),
  inspect: () => import("./views/InspectView.vue"),
  settings: SettingsView,
};

export const routes: RouteRecordRaw[] = [
  { path: "/", redirect: { name: DEFAULT_AREA } },
  ...AREAS.map(
    (area): RouteRecordRaw => ({
      path: `/${area}`,
      name: area,
      component: AREA_VIEWS[area],
      meta: { area },
    }),
  ),
  { path: "/:unknown(.*)*", redirect: `/${DEFAULT_AREA}` },
];

/** Hash history: the app is served from a custom protocol (tauri://, https://tauri.localhost). */
export function createAppRouter(history: RouterHistory = createWebHashHistory()) {
  return createRouter({ history, routes });
}
