import { defineComponent, h, onMounted, ref } from "vue";
import { afterEach, describe, expect, it } from "vitest";
import type { FieldIssue, ImportPreview, Profile, ProfileInput, RegistrationHelp, Store, Terminal, UserError } from "../src/bindings";
import CredentialsView from "../src/views/CredentialsView.vue";
import ConnectionTest from "../src/components/records/ConnectionTest.vue";
import ImportDialog from "../src/components/records/ImportDialog.vue";
import ProfileForm from "../src/components/records/ProfileForm.vue";
import RegistrationHelper from "../src/components/records/RegistrationHelper.vue";
import StoresTab from "../src/components/records/StoresTab.vue";
import TerminalsTab from "../src/components/records/TerminalsTab.vue";
import { useDeleteFlow } from "../src/components/records/deleteFlow";
import { useExport } from "../src/components/records/exportFlow";
import { countChars, nextStatus } from "../src/records";
import { flush, mockCommands, mount, resetIpc } from "./helpers";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
  resetIpc();
  document.body.innerHTML = "";
});

const SECRET = "9c1e4b7a2d5f80364a1b2c3d4e5f6a7b";

const profile = (over: Partial<Profile> = {}): Profile => ({
  id: 1,
  name: "会员中心",
  appid: "wx5a1b2c3d4e5f6071",
  env_version: "release",
  page_path: "pages/member/card",
  query_template: "",
  secret_saved: false,
  only_genuine: false,
  created_at: 0,
  updated_at: 0,
  ...over,
});

const issue = (field: string, zh: string, en = zh): FieldIssue => ({ field, zh, en });

const validation = (fields: FieldIssue[]): UserError => ({
  code: "validation",
  zh: { message: "有内容需要修改，尚未保存。", remedy: "请按各输入框下方的提示修改后再保存。" },
  en: { message: "Some entries need fixing; nothing was saved.", remedy: "Fix the fields marked below." },
  detail: null,
  fields,
});

/** Sets an input inside `testid` the way typing does. */
function type(root: HTMLElement, testid: string, value: string) {
  const el = root.querySelector<HTMLInputElement>(`[data-testid="${testid}"] input, [data-testid="${testid}"] textarea`);
  if (!el) throw new Error(`no input in ${testid}`);
  el.value = value;
  el.dispatchEvent(new Event("input", { bubbles: true }));
}

const q = (testid: string) => document.querySelector<HTMLElement>(`[data-testid="${testid}"]`);

describe("records helpers", () => {
  it("counts characters like WeChat's form and knows the workflow", () => {
    expect(countChars("正宏盛")).toBe(3);
    expect(countChars("SHENZHEN ZHS INTELLIGENCE TECHNOLOGY CO.,LTD.")).toBe(45);
    expect(nextStatus("registering")).toBe("registered");
    expect(nextStatus("applying")).toBe("approved");
    expect(nextStatus("approved")).toBeNull();
    expect(nextStatus("rejected")).toBe("registering");
  });
});

describe("ProfileForm", () => {
  it("shows each problem next to its field: errors in red, warnings in amber", async () => {
    let attempt = 0;
    const calls = mockCommands({
      save_profile: () => {
        attempt++;
        if (attempt === 1)
          return Promise.reject(validation([issue("name", "请填写名称。"), issue("page_path", "页面路径里不要带“?”")]));
        return { value: profile({ appid: "wxABC" }), warnings: [issue("appid", "AppID 通常是 wx 开头")] };
      },
    });
    const m = await mount(ProfileForm, { profile: null });
    cleanup = m.unmount;
    type(m.el, "profile-name", "");
    type(m.el, "profile-appid", "wxABC");
    m.q("profile-save")?.click();
    await flush();
    expect(m.q("profile-name-feedback")?.textContent).toContain("请填写名称");
    expect(m.q("profile-name-feedback")?.dataset.status).toBe("error");
    expect(m.q("profile-page-path-feedback")?.textContent).toContain("?");
    expect(m.q("profile-appid-feedback")).toBeNull();
    // Editing a field clears its problem.
    type(m.el, "profile-name", "会员中心");
    await flush();
    expect(m.q("profile-name-feedback")).toBeNull();

    m.q("profile-save")?.click();
    await flush();
    expect(m.q("profile-appid-feedback")?.dataset.status).toBe("warning");
    const saves = calls.filter((c) => c.cmd === "save_profile");
    expect(saves[1].args).toMatchObject({ id: null, input: { name: "会员中心", appid: "wxABC", env_version: "release" } });
  });

  it("sends the 只写 NXP 原厂芯片 option and shows it for a saved profile", async () => {
    const calls = mockCommands({
      save_profile: (_cmd: string, args: unknown) => ({
        value: profile({ only_genuine: (args as { input: ProfileInput }).input.only_genuine }),
        warnings: [],
      }),
    });
    const m = await mount(ProfileForm, { profile: null });
    cleanup = m.unmount;
    const box = () => m.el.querySelector<HTMLElement>('[data-testid="profile-only-genuine"]');
    expect(box()?.textContent).toContain("只写 NXP 原厂芯片");
    expect(box()?.getAttribute("aria-checked")).toBe("false");
    box()?.click();
    await flush();
    expect(box()?.getAttribute("aria-checked")).toBe("true");
    m.q("profile-save")?.click();
    await flush();
    const save = calls.find((c) => c.cmd === "save_profile");
    expect(save?.args).toMatchObject({ input: { only_genuine: true } });
    m.unmount();
    const m2 = await mount(ProfileForm, { profile: profile({ only_genuine: true }) });
    cleanup = m2.unmount;
    expect(m2.el.querySelector('[data-testid="profile-only-genuine"]')?.getAttribute("aria-checked")).toBe("true");
  });

  it("inserts query placeholders", async () => {
    mockCommands();
    const m = await mount(ProfileForm, { profile: null });
    cleanup = m.unmount;
    m.q("profile-ph-org_code")?.click();
    m.q("profile-ph-sn")?.click();
    await flush();
    expect(m.el.querySelector<HTMLInputElement>('[data-testid="profile-query"] input')?.value).toBe("org_code={org_code}{sn}");
  });
});

describe("first-run wizard", () => {
  it("leads through profile and secret; the secret is sent once and never shown again", async () => {
    let saved = profile();
    const calls = mockCommands({
      list_profiles: () => (calls.some((c) => c.cmd === "save_profile") ? [saved] : []),
      save_profile: () => ({ value: saved, warnings: [] }),
      set_app_secret: () => {
        saved = { ...saved, secret_saved: true };
        return [];
      },
      test_connection: () => ({ appid: saved.appid, expires_in: 7200 }),
    });
    const m = await mount(CredentialsView, {}, "/credentials");
    cleanup = m.unmount;
    await flush();
    expect(m.q("wizard")).not.toBeNull();
    type(m.el, "profile-appid", saved.appid);
    m.q("profile-save")?.click();
    await flush();
    expect(m.q("wizard-step-secret")).not.toBeNull();
    expect(m.q("wizard-next")?.hasAttribute("disabled")).toBe(true);

    const input = m.el.querySelector<HTMLInputElement>('[data-testid="secret-input"] input');
    expect(input?.type).toBe("password");
    type(m.el, "secret-input", SECRET);
    await flush();
    m.q("secret-save")?.click();
    await flush(10);
    expect(calls.find((c) => c.cmd === "set_app_secret")?.args).toEqual({ profileId: 1, secret: SECRET });
    expect(m.q("secret-masked")).not.toBeNull();
    expect(m.q("secret-input")).toBeNull();
    expect(document.body.innerHTML).not.toContain(SECRET);

    m.q("wizard-next")?.click();
    await flush();
    m.q("connection-test")?.click();
    await flush();
    expect(m.q("connection-ok")?.textContent).toContain(saved.appid);
  });

  it("can be skipped, landing in an empty state that says what to do", async () => {
    mockCommands();
    const m = await mount(CredentialsView, {}, "/credentials");
    cleanup = m.unmount;
    await flush();
    m.q("wizard-skip")?.click();
    await flush();
    expect(m.q("wizard")).toBeNull();
    expect(m.q("credentials-empty")?.textContent).toContain("AppID");
    m.q("credentials-start-wizard")?.click();
    await flush();
    expect(m.q("wizard")).not.toBeNull();
  });
});

describe("ConnectionTest", () => {
  it("shows the error's remedy", async () => {
    mockCommands({
      test_connection: () =>
        Promise.reject({
          code: "wechat.token.ip_not_whitelisted",
          zh: { message: "IP 不在白名单（40164）。", remedy: "请把 203.0.113.7 加入 IP 白名单。" },
          en: { message: "IP not whitelisted (40164).", remedy: "Add 203.0.113.7 to the IP whitelist." },
          detail: null,
          fields: [],
        } satisfies UserError),
    });
    const m = await mount(ConnectionTest, { profile: profile({ secret_saved: true }) });
    cleanup = m.unmount;
    m.q("connection-test")?.click();
    await flush();
    expect(m.q("connection-error")?.dataset.code).toBe("wechat.token.ip_not_whitelisted");
    expect(m.q("user-error-remedy")?.textContent).toContain("203.0.113.7");
  });

  it("is disabled until a secret is saved", async () => {
    mockCommands();
    const m = await mount(ConnectionTest, { profile: profile() });
    cleanup = m.unmount;
    expect(m.q("connection-test")?.hasAttribute("disabled")).toBe(true);
  });
});

const field = (key: string, value: string, max: number | null, chars = [...value].length) => ({
  key,
  label_zh: key,
  label_en: key,
  value,
  max_chars: max,
  chars,
  is_choice: false,
  hint_zh: "",
  hint_en: "",
});

describe("RegistrationHelper", () => {
  it("shows values with counters and copy buttons, and offers variants for 型号已经存在", async () => {
    const help = (model: string): RegistrationHelp => ({
      register: [field("brand_zh", "正宏盛", 64), field("model", model, 64)],
      capability: [field("reason", "会员到店消费时", 600)],
    });
    const calls = mockCommands({
      registration_help: (_c, args) => {
        const model = (args as { model: string | null }).model ?? "ZHS-NTAG216";
        return [help(model), [`${model}-A`, `${model}-B`]];
      },
    });
    const m = await mount(RegistrationHelper);
    cleanup = m.unmount;
    await flush();
    expect(m.q("helper-field-brand_zh")?.textContent).toContain("3/64");
    expect(m.q("helper-copy-brand_zh")).not.toBeNull();
    expect(m.q("helper-field-model")?.textContent).toContain("11/64");
    m.q("helper-exists")?.click();
    await flush();
    m.q("helper-variant-ZHS-NTAG216-A")?.click();
    await flush();
    expect(m.q("helper-field-model")?.textContent).toContain("ZHS-NTAG216-A");
    expect(m.q("helper-field-model")?.textContent).toContain("13/64");
    // The suggestions stay those of the name first tried.
    expect(m.q("helper-variant-ZHS-NTAG216-B")).not.toBeNull();
    expect(calls.filter((c) => c.cmd === "registration_help")).toHaveLength(1);
    // The counter follows what is typed, in characters.
    type(m.el, "helper-model", "型号".repeat(33));
    await flush();
    expect(m.q("helper-field-model")?.textContent).toContain("66/64");
    expect(m.q("helper-use")?.hasAttribute("disabled")).toBe(true);
  });
});

const preview = (invalid: boolean): ImportPreview => ({
  kind: "stores",
  encoding: "gb18030",
  sheet: null,
  sheets: [],
  rows: [
    { line: 2, values: [["org_code", "2001"], ["company", ""], ["name", "人民路店"], ["address", ""]], action: "new", errors: [] },
    {
      line: 3,
      values: [["org_code", "2002"], ["company", ""], ["name", invalid ? "" : "解放路店"], ["address", ""]],
      action: invalid ? "invalid" : "new",
      errors: invalid ? [issue("name", "请填写门店名称。", "The store name is required.")] : [],
    },
  ],
  new_rows: invalid ? 1 : 2,
  updated_rows: 0,
  unchanged_rows: 0,
  invalid_rows: invalid ? 1 : 0,
  file_errors: [],
});

async function pick(bytes: number[]) {
  const input = q("import-file") as HTMLInputElement;
  const file = new File([new Uint8Array(bytes)], "门店.csv", { type: "text/csv" });
  Object.defineProperty(input, "files", { value: [file], configurable: true });
  input.dispatchEvent(new Event("change"));
  await new Promise((r) => setTimeout(r, 20));
  await flush(10);
}

describe("ImportDialog", () => {
  it("previews, refuses while a row is wrong, imports when all are right", async () => {
    let bad = true;
    const calls = mockCommands({
      preview_import: () => preview(bad),
      commit_import: () => ({ inserted: 2, updated: 0, unchanged: 0 }),
    });
    const m = await mount(ImportDialog, { kind: "stores", show: true });
    cleanup = m.unmount;
    await flush();
    await pick([0xc3, 0xc5, 0xb5, 0xea]);
    expect(calls.find((c) => c.cmd === "preview_import")?.args).toEqual({
      kind: "stores",
      bytes: [0xc3, 0xc5, 0xb5, 0xea],
      options: { file_name: "门店.csv", sheet: null },
    });
    expect(q("import-encoding")?.textContent).toContain("GBK");
    expect(q("import-invalid-count")?.textContent).toContain("1");
    expect(q("import-commit")?.hasAttribute("disabled")).toBe(true);
    expect(q("import-blocked")).not.toBeNull();

    bad = false;
    await pick([0x31]);
    expect(q("import-commit")?.hasAttribute("disabled")).toBe(false);
    q("import-commit")?.click();
    await flush();
    expect(calls.some((c) => c.cmd === "commit_import")).toBe(true);
    expect(q("import-result")?.textContent).toContain("2");
  });

  it("offers the workbook's sheets and previews the one picked", async () => {
    const calls = mockCommands({
      preview_import: (_cmd: string, a: unknown) => {
        const sheet = (a as { options: { sheet: string | null } }).options.sheet ?? "门店";
        return { ...preview(false), encoding: "xlsx", sheet, sheets: ["说明", "门店"] };
      },
    });
    const m = await mount(ImportDialog, { kind: "stores", show: true });
    cleanup = m.unmount;
    await flush();
    await pick([0x50, 0x4b, 0x03, 0x04]);
    expect(q("import-encoding")?.textContent).toContain(".xlsx");
    expect(q("import-sheet")).not.toBeNull();
    expect(calls.filter((c) => c.cmd === "preview_import").length).toBe(1);
  });

  it("refuses a file larger than an import takes before reading it", async () => {
    const calls = mockCommands({ preview_import: () => preview(false) });
    const m = await mount(ImportDialog, { kind: "stores", show: true });
    cleanup = m.unmount;
    await flush();
    const input = q("import-file") as HTMLInputElement;
    const file = new File([new Uint8Array(1)], "大.xlsx");
    Object.defineProperty(file, "size", { value: 17 * 1024 * 1024 });
    Object.defineProperty(input, "files", { value: [file], configurable: true });
    input.dispatchEvent(new Event("change"));
    await flush(10);
    expect(document.body.textContent).toContain("16 MB");
    expect(calls.some((c) => c.cmd === "preview_import")).toBe(false);
  });
});

describe("StoresTab", () => {
  const store: Store = {
    id: 7,
    org_code: "1001",
    company: "",
    name: "人民路店",
    address: "",
    archived_at: null,
    created_at: 0,
    updated_at: 0,
  };

  it("offers to archive a store that cannot be deleted because it is in use", async () => {
    // (The table itself scrolls virtually and renders no row without a real layout: the flow is tested here,
    // the rows in the end-to-end tests.)
    const calls: string[] = [];
    let done = 0;
    const Probe = defineComponent({
      setup() {
        const run = useDeleteFlow();
        onMounted(() =>
          run({
            title: "删除这个门店？",
            content: `将删除门店「${store.name}」`,
            remove: async () => {
              calls.push("delete");
              return {
                status: "error",
                error: {
                  code: "in_use",
                  zh: { message: "这个门店仍被其他记录引用，不能删除。", remedy: "可以改为“归档”。" },
                  en: { message: "This store is still referenced.", remedy: "Archive it instead." },
                  detail: null,
                  fields: [],
                },
              };
            },
            archive: async () => {
              calls.push("archive");
              return { status: "ok", data: null };
            },
            deleted: "deleted",
            archived: "archived",
            done: () => done++,
          }),
        );
        return () => h("div");
      },
    });
    const m = await mount(Probe);
    cleanup = m.unmount;
    await flush();
    q("confirm-delete")?.click();
    await flush(10);
    expect(q("in-use")?.textContent).toContain("归档");
    q("in-use-archive")?.click();
    await flush(10);
    expect(calls).toEqual(["delete", "archive"]);
    expect(done).toBe(1);
  });

  it("says what to do when there is no store", async () => {
    mockCommands({ list_stores: () => [] });
    const m = await mount(StoresTab);
    cleanup = m.unmount;
    await flush();
    expect(m.q("stores-empty")?.textContent).toContain("导入 CSV / Excel");
    expect(m.q("stores-empty")?.textContent).toContain("机构编号,组织/公司,门店名称,地址");
  });
});

describe("TerminalsTab", () => {
  const terminal: Terminal = {
    id: 3,
    store_id: null,
    machine_no: "1",
    terminal_no: "519181767",
    note: "",
    archived_at: null,
    created_at: 0,
    updated_at: 0,
  };

  it("says what to do when there is no terminal", async () => {
    mockCommands({ list_stores: () => [], list_terminals: () => [] });
    const m = await mount(TerminalsTab, { storesVersion: 0 });
    cleanup = m.unmount;
    await flush();
    expect(m.q("terminals-empty")?.textContent).toContain("导入 CSV / Excel");
    expect(m.q("terminals-empty")?.textContent).toContain("机器号,终端号,机构编号,备注");
  });

  it("counts the terminals and loads the stores again when the form opens or stores changed", async () => {
    const calls = mockCommands({ list_stores: () => [], list_terminals: () => [terminal] });
    const version = ref(0);
    const Host = defineComponent({ setup: () => () => h(TerminalsTab, { storesVersion: version.value }) });
    const m = await mount(Host);
    cleanup = m.unmount;
    await flush();
    const count = (cmd: string) => calls.filter((c) => c.cmd === cmd).length;
    expect([count("list_stores"), count("list_terminals")]).toEqual([1, 1]);
    expect(m.q("terminals-count")?.textContent).toContain("共 1 台前台终端");
    expect(m.q("terminals-export")?.hasAttribute("disabled")).toBe(false);

    version.value++;
    await flush();
    expect([count("list_stores"), count("list_terminals")]).toEqual([2, 2]);

    m.q("terminals-add")?.click();
    await flush();
    expect(count("list_stores")).toBe(3);
    expect(q("terminal-drawer")?.textContent).toContain("新增前台终端");
    expect(q("terminal-form")).not.toBeNull();
  });
});

describe("records tabs", () => {
  it.each([
    ["stores", "store", StoresTab],
    ["terminals", "terminal", TerminalsTab],
  ] as const)("%s: the toolbar, the empty state and the drawer keep their test ids", async (kind, item, Tab) => {
    mockCommands({ list_stores: () => [], list_terminals: () => [] });
    const m = await mount(Tab, { storesVersion: 0 });
    cleanup = m.unmount;
    await flush();
    for (const id of ["tab", "search", "show-archived", "import", "export", "add", "empty", "empty-add", "empty-import"])
      expect(m.q(`${kind}-${id}`), `${kind}-${id}`).not.toBeNull();
    expect(m.q(`${kind}-export`)?.hasAttribute("disabled")).toBe(true);
    expect(q(`${item}-drawer`)).toBeNull();
    m.q(`${kind}-empty-add`)?.click();
    await flush();
    expect(q(`${item}-drawer`)).not.toBeNull();
    expect(q(`${item}-form`)).not.toBeNull();
    q(`${item}-cancel`)?.click();
    await flush(10);
    expect(q(`${item}-form`)).toBeNull();
  });

  it("counts the stores and tells a search that matches nothing", async () => {
    const store: Store = { id: 7, org_code: "1001", company: "", name: "人民路店", address: "", archived_at: null, created_at: 0, updated_at: 0 };
    const calls = mockCommands({ list_stores: (_, args) => ((args as { search: string }).search === "" ? [store] : []) });
    const m = await mount(StoresTab);
    cleanup = m.unmount;
    await flush();
    expect(m.q("stores-count")?.textContent).toContain("共 1 个门店");
    type(m.el, "stores-search", "旗舰");
    await new Promise((r) => setTimeout(r, 250));
    await flush();
    expect(calls.filter((c) => c.cmd === "list_stores").map((c) => (c.args as { search: string }).search)).toEqual(["", "旗舰"]);
    expect(m.q("stores-count")?.textContent).toContain("找到 0 个门店");
    expect(m.q("stores-empty")).toBeNull();
  });
});

describe("export", () => {
  async function runExport(savePath: string | null) {
    const calls = mockCommands({
      "plugin:dialog|save": () => savePath,
      export_records: () => null,
    });
    let run: ((kind: "stores" | "terminals") => Promise<void>) | undefined;
    const Probe = defineComponent({
      setup() {
        run = useExport();
        return () => h("div");
      },
    });
    const m = await mount(Probe);
    cleanup = m.unmount;
    await run?.("stores");
    await flush();
    return calls;
  }

  it("asks where to save, then lets Rust write the file there", async () => {
    const calls = await runExport("/home/shop/门店-20260101.csv");
    const dialog = calls.find((c) => c.cmd === "plugin:dialog|save");
    expect(JSON.stringify(dialog?.args)).toContain("csv");
    expect(JSON.stringify(dialog?.args)).toContain("xlsx");
    expect(calls.find((c) => c.cmd === "export_records")?.args).toEqual({ kind: "stores", path: "/home/shop/门店-20260101.csv" });
    expect(document.body.textContent).toContain("/home/shop/门店-20260101.csv");
  });

  it("does nothing when the dialog is cancelled", async () => {
    const calls = await runExport(null);
    expect(calls.some((c) => c.cmd === "export_records")).toBe(false);
  });
});
