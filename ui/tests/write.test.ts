import { afterEach, describe, expect, it } from "vitest";
import type { DeviceModel, Profile, StationStatus, Store } from "../src/bindings";
import WriteView from "../src/views/WriteView.vue";
import { flush, mockCommands, mount, resetIpc } from "./helpers";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
  resetIpc();
  document.body.innerHTML = "";
});

const profile: Profile = {
  id: 1,
  name: "会员中心",
  appid: "wx5a1b2c3d4e5f6071",
  env_version: "release",
  page_path: "pages/member/card",
  query_template: "store={org_code}&sn={sn}",
  secret_saved: true,
  only_genuine: false,
  created_at: 0,
  updated_at: 0,
};
const model = (model_id: string | null): DeviceModel => ({
  id: 7,
  profile_id: 1,
  model_id,
  model_name: "收银台立牌",
  link_type: "per_device",
  status: model_id ? "approved" : "registering",
  reject_reason: "",
  notes: "",
  created_at: 0,
  updated_at: 0,
});
const store: Store = { id: 3, org_code: "1001", company: "示例公司", name: "南山店", address: "", archived_at: null, created_at: 0, updated_at: 0 };
const stopped: StationStatus = {
  running: false,
  phase: "stopped",
  target: null,
  lock: false,
  operator: "",
  reader: null,
  current_uid: null,
  current_chip_zh: null,
  current_chip_en: null,
  summary: { written: 0, already_correct: 0, needs_confirmation: 0, failed: 0 },
  recent: [],
  pending: null,
  problem: null,
  seq: 0,
};

function station(models: DeviceModel[], stores: Store[]) {
  return mockCommands({
    list_profiles: () => [profile],
    list_device_models: () => models,
    list_stores: () => stores,
    list_terminals: () => [],
    station_status: () => stopped,
    station_last_request: () => null,
    station_readers: () => [{ name: "ACS ACR1252 1S CL Reader PICC 0", tag_present: false }],
    station_preview: () => ({
      label: "门店 1001 南山店",
      model_id: "5utC432sD0LvHu6ial0u_g",
      per_device: true,
      path: "pages/member/card",
      query: "store=1001&sn={sn}",
      example_query: "store=1001&sn=04A1B2C3D4E5F6",
      env_version: "release",
    }),
    "plugin:event|listen": () => 1,
    "plugin:event|unlisten": () => null,
  });
}

describe("写卡 page", () => {
  it("says what is missing when no device model has a model_id yet, and cannot start", async () => {
    station([model(null)], [store]);
    const m = await mount(WriteView, {}, "/write");
    cleanup = m.unmount;
    await flush();
    expect(m.q("station-no-model")?.textContent).toContain("model_id");
    expect(m.q("station-start")?.hasAttribute("disabled")).toBe(true);
  });

  it("preselects the only model and store and shows the final path and query before writing", async () => {
    const calls = station([model("5utC432sD0LvHu6ial0u_g")], [store]);
    const m = await mount(WriteView, {}, "/write");
    cleanup = m.unmount;
    await flush(10);
    expect(m.q("station-preview-path")?.textContent).toBe("pages/member/card");
    expect(m.q("station-preview-query")?.textContent).toBe("store=1001&sn={sn}");
    expect(m.q("station-start")?.hasAttribute("disabled")).toBe(false);
    const preview = calls.find((c) => c.cmd === "station_preview");
    expect(preview?.args).toMatchObject({ profileId: 1, modelId: 7, choice: { kind: "store", id: 3 } });
  });
});
