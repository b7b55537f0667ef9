/** The product's areas, in navigation order. Each is a route `/<id>` named `<id>`. */
export const AREAS = ["credentials", "models", "stores", "write", "print", "history", "inspect", "settings"] as const;
export type AreaId = (typeof AREAS)[number];

export const DEFAULT_AREA: AreaId = "credentials";

export const LANGUAGES = [
  { value: "zh-CN", label: "中文" },
  { value: "en-US", label: "English" },
] as const;
