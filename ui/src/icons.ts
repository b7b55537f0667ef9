import type { Component } from "vue";
import {
  HardwareChipOutline,
  KeyOutline,
  PrintOutline,
  RadioOutline,
  SearchOutline,
  SettingsOutline,
  StorefrontOutline,
  TimeOutline,
} from "@vicons/ionicons5";
import type { AreaId } from "./areas";

export const AREA_ICONS: Record<AreaId, Component> = {
  credentials: KeyOutline,
  models: HardwareChipOutline,
  stores: StorefrontOutline,
  write: RadioOutline,
  print: PrintOutline,
  history: TimeOutline,
  inspect: SearchOutline,
  settings: SettingsOutline,
};
