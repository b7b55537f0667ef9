// Constants and small helpers shared by the credentials, models and stores views.
import { onBeforeUnmount, onMounted, ref } from "vue";
import type { HTMLAttributes } from "vue";
import type { DeviceModel, Profile, ProfileInput } from "./bindings";

/** The placeholders a query template may use (the write station fills them per tag). */
export const QUERY_PLACEHOLDERS = ["store_id", "org_code", "terminal_no", "machine_no", "sn", "uid"] as const;

export const ENV_VERSIONS = ["release", "trial", "develop"] as const;

/** The WeChat workflow of a device model, in order; `rejected` can happen at either review. */
export const MODEL_STATUSES = ["registering", "registered", "applying", "approved", "rejected"] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];

export const LINK_TYPES = ["per_device", "per_model"] as const;

/** The status a model moves to next along the workflow (none once approved). */
export function nextStatus(status: string): ModelStatus | null {
  switch (status) {
    case "registering":
      return "registered";
    case "registered":
      return "applying";
    case "applying":
      return "approved";
    case "rejected":
      return "registering";
    default:
      return null;
  }
}

export const STATUS_TAG: Record<string, "default" | "info" | "warning" | "success" | "error"> = {
  registering: "info",
  registered: "info",
  applying: "warning",
  approved: "success",
  rejected: "error",
};

export function emptyProfileInput(): ProfileInput {
  return { name: "", appid: "", env_version: "release", page_path: "", query_template: "", only_genuine: false };
}

export function profileInput(p: Profile): ProfileInput {
  return {
    name: p.name,
    appid: p.appid,
    env_version: p.env_version,
    page_path: p.page_path,
    query_template: p.query_template,
    only_genuine: p.only_genuine,
  };
}

/** Characters the way WeChat's form counters count them (one per code point, so 正宏盛 = 3). */
export function countChars(s: string): number {
  return [...s].length;
}

export function modelLabel(m: DeviceModel): string {
  return m.model_id ? `${m.model_name} · ${m.model_id}` : m.model_name;
}

/** Reads a picked file's bytes. */
export function readFileBytes(file: Blob): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error ?? new Error("FileReader failed"));
    reader.readAsArrayBuffer(file);
  });
}

/** data-* attributes for a table row (n-data-table's row-props is typed as plain HTML attributes). */
export function dataAttrs(attrs: Record<`data-${string}`, string | number>): HTMLAttributes {
  return attrs as HTMLAttributes;
}

/**
 * A table height (px) that fills the window below `top` px of page chrome, so the list scrolls inside
 * the table (virtual scrolling) rather than the page. Follows window resizes.
 */
export function useTableHeight(top: number, min = 240) {
  const height = ref(Math.max(min, window.innerHeight - top));
  const update = () => (height.value = Math.max(min, window.innerHeight - top));
  onMounted(() => window.addEventListener("resize", update));
  onBeforeUnmount(() => window.removeEventListener("resize", update));
  return height;
}
