import { afterEach, describe, expect, it } from "vitest";
import type { PrintOptions, PrintPreview, PrintSettings, Profile, StandDesign, StoreCode } from "../src/bindings";
import PrintView from "../src/views/PrintView.vue";
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
  query_template: "",
  secret_saved: true,
  only_genuine: false,
  created_at: 0,
  updated_at: 0,
};

const design: StandDesign = {
  orientation: "vertical",
  size: { kind: "a5" },
  sides: "single",
  show_store_name: true,
  headline: "会员中心",
  nfc_label: "碰一碰",
  nfc_lines: ["解锁手机，碰一碰", "快速领卡/用卡"],
  scan_lines: ["微信扫一扫，快速领卡/用卡"],
  brand_color: { c: 0.78, m: 0, y: 0.85, k: 0 },
  nfc_zone_mm: null,
  code_mm: null,
  sticker_guide: true,
  outline_text: false,
  crop_marks: true,
  image_color: "print_ready",
};

const options: PrintOptions = {
  default_design: design,
  default_brand_hex: "#3aaa57",
  sizes: [{ size: { kind: "a5" }, label: "A5", short_mm: 148, long_mm: 210 }],
  bleed_mm: 3,
  nfc_zone_min_mm: 35,
  nfc_zone_max_mm: 45,
  warn_ppi: 300,
  min_ppi: 200,
};

const stores: StoreCode[] = [
  { store_id: 7, org_code: "1001", name: "南昌公司红谷滩店", company: "", code: "cached", problem: null },
  { store_id: 8, org_code: "1002", name: "九江公司浔阳店", company: "", code: "missing", problem: null },
];

const preview = (warn = false): PrintPreview => ({
  preview: {
    pages: ['<svg xmlns="http://www.w3.org/2000/svg" data-testid="the-svg"></svg>'],
    width_mm: 148,
    height_mm: 210,
    code_ppi: 458,
    warnings: warn ? [{ code: "print.code_low_ppi", store_id: "", zh: "小程序码只有 250 ppi", en: "code at 250 ppi" }] : [],
  },
  code: "missing",
  sample_code: true,
});

const q = (testid: string) => document.querySelector<HTMLElement>(`[data-testid="${testid}"]`);
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("物料 page", () => {
  it("asks for a mini program first when there is none", async () => {
    mockCommands({ print_options: () => options });
    const m = await mount(PrintView, {}, "/print");
    cleanup = m.unmount;
    expect(q("view-print")).not.toBeNull();
    expect(q("print-no-profile")?.textContent).toContain("凭据");
  });

  it("previews the design, follows the options and exports the chosen stores", async () => {
    const previews: PrintSettings[] = [];
    const calls = mockCommands({
      list_profiles: () => [profile],
      print_options: () => options,
      print_store_codes: () => stores,
      print_preview: (_c, args) => {
        previews.push((args as { settings: PrintSettings }).settings);
        return preview(true);
      },
      print_e2e_save_path: () => "/exports/stands.pdf",
      print_export: () => ({
        report: {
          files: [{ path: "/exports/stands.pdf", store_ids: ["1001", "1002"], pages: 2, size_bytes: 480000 }],
          stores: 2,
          pages: 2,
          min_code_ppi: 458,
          warnings: [],
        },
        fetched: 1,
      }),
    });
    const m = await mount(PrintView, {}, "/print");
    cleanup = m.unmount;
    await wait(400);
    await flush();
    expect(previews.length).toBeGreaterThan(0);
    expect(previews.at(-1)?.profile_id).toBe(1);
    expect(previews.at(-1)?.design.show_store_name).toBe(true);
    // The design's own CMYK brand colour until the merchant picks one.
    expect(previews.at(-1)?.brand_hex).toBeNull();
    expect(q("print-preview-svg")?.innerHTML).toContain("the-svg");
    expect(q("print-preview-meta")?.textContent).toContain("458 ppi");
    expect(q("print-warning")?.textContent).toContain("250 ppi");
    expect(q("print-sample-note")).not.toBeNull();

    // The store-name switch asks for a new preview without the name.
    q("print-store-name")?.click();
    await wait(400);
    await flush();
    expect(previews.at(-1)?.design.show_store_name).toBe(false);

    // Nothing chosen, nothing to export; choose all, then export (the e2e hook stands in for the dialog).
    expect(q("print-export-button")?.hasAttribute("disabled")).toBe(true);
    q("print-select-all")?.click();
    await flush();
    expect(q("print-will-fetch")?.textContent).toContain("1");
    q("print-export-button")?.click();
    await wait(50);
    await flush();
    const exp = calls.find((c) => c.cmd === "print_export")?.args as { storeIds: number[]; perStore: boolean; path: string };
    expect(exp.storeIds).toEqual([7, 8]);
    expect(exp.perStore).toBe(false);
    expect(exp.path).toBe("/exports/stands.pdf");
    expect(q("print-result")?.textContent).toContain("2 页");
    expect(q("print-result-fetched")?.textContent).toContain("1 个小程序码");
    expect(q("print-open-folder")).not.toBeNull();
  });
});
