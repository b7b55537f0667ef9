// DEV / DEMO ONLY: in-memory stand-ins for the records commands, so `?demo` shows 凭据, 设备型号 and
// 门店与前台 with sample data. `records=empty` starts with nothing (the first-run wizard shows).
import type {
  DeviceModel,
  DeviceModelInput,
  FormField,
  Profile,
  ProfileInput,
  RegistrationHelp,
  Store,
  StoreInput,
  Terminal,
  TerminalInput,
  UserError,
} from "../bindings";

const now = () => Date.now();

function field(key: string, zh: string, en: string, value: string, max: number | null, isChoice = false): FormField {
  return { key, label_zh: zh, label_en: en, value, max_chars: max, chars: [...value].length, is_choice: isChoice, hint_zh: "", hint_en: "" };
}

function help(model: string): RegistrationHelp {
  return {
    register: [
      field("brand_zh", "品牌名称（中文）", "Brand name (Chinese)", "正宏盛", 64),
      field("brand_en", "品牌名称（英文）", "Brand name (English)", "Zhenghongsheng", 64),
      field("maker_zh", "生产厂商（中文）", "Manufacturer (Chinese)", "深圳市正宏盛智能科技有限公司", 64),
      field("product_zh", "产品名称（中文）", "Product name (Chinese)", "NFC电子标签", 64),
      field("model", "型号", "Model", model, 64),
      field("intro", "产品简介", "Product description", "NFC标签，手机碰一碰拉起小程序", 600),
      field("device_type", "设备类型", "Device type", "商用仪器 > 电子立牌", null, true),
    ],
    capability: [
      field("capability", "设备能力", "Capability", "NFC标签调起小程序", null, true),
      field("link_type", "设备链接类型", "Link type", "一机一码", null, true),
      field("reason", "申请理由", "Reason", "会员到店消费时，通过触碰NFC卡片快速拉起小程序会员码页面，实现快速出示会员码完成会员录入的操作", 600),
    ],
  };
}

function validation(field: string, zh: string, en: string): UserError {
  return {
    code: "validation",
    zh: { message: "有内容需要修改，尚未保存。", remedy: "请按各输入框下方的提示修改后再保存。" },
    en: { message: "Some entries need fixing; nothing was saved.", remedy: "Fix the fields marked below and save again." },
    detail: null,
    fields: [{ field, zh, en }],
  };
}

export function demoRecords(params: URLSearchParams): (cmd: string, args: Record<string, unknown>) => unknown {
  const empty = params.get("records") === "empty";
  let nextId = 100;
  const profiles: Profile[] = empty
    ? []
    : [
        {
          id: 1,
          name: "会员中心",
          appid: "wx5a1b2c3d4e5f6071",
          env_version: "release",
          page_path: "pages/member/card",
          query_template: "store={org_code}&sn={sn}",
          secret_saved: true,
          only_genuine: false,
          created_at: now(),
          updated_at: now(),
        },
      ];
  const models: DeviceModel[] = empty
    ? []
    : [
        {
          id: 1,
          profile_id: 1,
          model_id: "5utC432sD0LvHu6ial0u_g",
          model_name: "ZHS-NTAG216",
          link_type: "per_device",
          status: "approved",
          reject_reason: "",
          notes: "",
          created_at: now(),
          updated_at: now(),
        },
      ];
  const stores: Store[] = empty
    ? []
    : Array.from({ length: 240 }, (_, i) => ({
        id: i + 1,
        org_code: String(1001 + i),
        company: "晋业餐饮",
        name: `${["人民路", "解放路", "中山路", "建设路"][i % 4]}${i + 1}号店`,
        address: "",
        archived_at: null,
        created_at: now(),
        updated_at: now(),
      }));
  const terminals: Terminal[] = empty
    ? []
    : [
        { id: 1, store_id: 1, machine_no: "1", terminal_no: "519181767", note: "一号收银台", archived_at: null, created_at: now(), updated_at: now() },
        { id: 2, store_id: null, machine_no: "2", terminal_no: "3719962736", note: "", archived_at: null, created_at: now(), updated_at: now() },
      ];

  const match = (q: string, ...values: string[]) => !q || values.some((v) => v.includes(q));

  return (cmd, a) => {
    switch (cmd) {
      case "list_profiles":
        return profiles;
      case "save_profile": {
        const input = a.input as ProfileInput;
        if (!input.appid.trim()) throw validation("appid", "请填写 AppID。", "The AppID is required.");
        const id = (a.id as number | null) ?? ++nextId;
        const existing = profiles.find((p) => p.id === id);
        const value: Profile = { ...(existing ?? { secret_saved: false, only_genuine: false, created_at: now() }), ...input, id, updated_at: now() } as Profile;
        if (existing) Object.assign(existing, value);
        else profiles.push(value);
        return { value, warnings: [] };
      }
      case "delete_profile":
        profiles.splice(profiles.findIndex((p) => p.id === a.id), 1);
        return null;
      case "set_app_secret":
      case "remove_app_secret": {
        const p = profiles.find((x) => x.id === a.profileId);
        if (p) p.secret_saved = cmd === "set_app_secret";
        return cmd === "set_app_secret" ? [] : null;
      }
      case "test_connection":
        if (params.get("connection") === "ip") {
          throw {
            code: "wechat.token.ip_not_whitelisted",
            zh: { message: "本机的公网 IP 203.0.113.7 不在小程序的 API IP 白名单中（40164）。", remedy: "请登录微信公众平台 → 开发管理 → 开发设置 → IP白名单，添加 203.0.113.7，保存后重试。" },
            en: { message: "This computer's public IP 203.0.113.7 is not on the API IP whitelist (40164).", remedy: "Add 203.0.113.7 to the IP whitelist in the WeChat admin console, then try again." },
            detail: "errcode 40164",
            fields: [],
          } satisfies UserError;
        }
        return { appid: profiles.find((p) => p.id === a.profileId)?.appid ?? "", expires_in: 7200 };
      case "list_device_models":
        return models;
      case "save_device_model": {
        const input = a.input as DeviceModelInput;
        const id = (a.id as number | null) ?? ++nextId;
        const existing = models.find((m) => m.id === id);
        const value = { ...(existing ?? { created_at: now() }), ...input, id, updated_at: now() } as DeviceModel;
        if (existing) Object.assign(existing, value);
        else models.unshift(value);
        return { value, warnings: [] };
      }
      case "set_device_model_status": {
        const m = models.find((x) => x.id === a.id)!;
        if (a.status === "approved" && !(a.modelId ?? m.model_id))
          throw validation("model_id", "能力审核通过后，请把设备记录上的 model_id 复制到这里。", "Paste the model_id here.");
        Object.assign(m, { status: a.status, reject_reason: a.rejectReason, model_id: a.modelId ?? m.model_id });
        return { value: m, warnings: [] };
      }
      case "delete_device_model":
        models.splice(models.findIndex((m) => m.id === a.id), 1);
        return null;
      case "registration_help": {
        const model = (a.model as string | null) ?? "ZHS-NTAG216";
        return [help(model), ["A", "B", "C"].map((s) => `${model}-${s}`)];
      }
      case "list_stores":
        return stores.filter((s) => (a.includeArchived || s.archived_at === null) && match(a.search as string, s.org_code, s.name, s.company));
      case "save_store": {
        const input = a.input as StoreInput;
        const id = (a.id as number | null) ?? ++nextId;
        const existing = stores.find((s) => s.id === id);
        const value = { ...(existing ?? { archived_at: null, created_at: now() }), ...input, id, updated_at: now() } as Store;
        if (existing) Object.assign(existing, value);
        else stores.push(value);
        return { value, warnings: [] };
      }
      case "archive_store":
      case "archive_terminal": {
        const list: (Store | Terminal)[] = cmd === "archive_store" ? stores : terminals;
        const r = list.find((x) => x.id === a.id);
        if (r) r.archived_at = a.archived ? now() : null;
        return null;
      }
      case "delete_store":
        if (terminals.some((x) => x.store_id === a.id))
          throw {
            code: "in_use",
            zh: { message: "这个门店仍被其他记录（前台终端或已写的标签）引用，不能删除。", remedy: "可以改为“归档”：归档后不再出现在列表和写卡目标中，历史记录保持完整。" },
            en: { message: "This store is still referenced by other records and cannot be deleted.", remedy: "Archive it instead." },
            detail: null,
            fields: [],
          } satisfies UserError;
        stores.splice(stores.findIndex((s) => s.id === a.id), 1);
        return null;
      case "list_terminals":
        return terminals.filter((x) => (a.includeArchived || x.archived_at === null) && match(a.search as string, x.machine_no, x.terminal_no, x.note));
      case "save_terminal": {
        const input = a.input as TerminalInput;
        const id = (a.id as number | null) ?? ++nextId;
        const existing = terminals.find((x) => x.id === id);
        const value = { ...(existing ?? { archived_at: null, created_at: now() }), ...input, id, updated_at: now() } as Terminal;
        if (existing) Object.assign(existing, value);
        else terminals.push(value);
        return { value, warnings: [] };
      }
      case "delete_terminal":
        terminals.splice(terminals.findIndex((x) => x.id === a.id), 1);
        return null;
      case "preview_import":
        return {
          kind: a.kind,
          encoding: "gb18030",
          sheet: null,
          sheets: [],
          rows: [
            { line: 2, values: [["org_code", "2001"], ["company", "晋业餐饮"], ["name", "人民路店"], ["address", ""]], action: "new", errors: [] },
            {
              line: 3,
              values: [["org_code", "2002"], ["company", "晋业餐饮"], ["name", ""], ["address", ""]],
              action: "invalid",
              errors: [{ field: "name", zh: "请填写门店名称。", en: "The store name is required." }],
            },
          ],
          new_rows: 1,
          updated_rows: 0,
          unchanged_rows: 0,
          invalid_rows: 1,
          file_errors: [],
        };
      case "commit_import":
        return { inserted: 0, updated: 0, unchanged: 0 };
      case "export_records":
        return null;
      default:
        return undefined;
    }
  };
}
