// The genuine-chip verdict (NXP originality signature) as the UI words it: `true` an NXP original chip,
// `false` not (a domestic compatible chip or a copy — never called a fake), `null` cannot be checked.
// The Rust side words the same verdict for the CLI and the CSV (tapstand-station `genuine`).

export type GenuineKey = "yes" | "no" | "unknown";

export function genuineKey(genuine: boolean | null | undefined): GenuineKey {
  if (genuine === true) return "yes";
  if (genuine === false) return "no";
  return "unknown";
}

/** The locale key of the full sentence ("NXP 原厂芯片" …). */
export function genuineMessage(genuine: boolean | null | undefined): string {
  return `genuine.${genuineKey(genuine)}`;
}

/** The locale key of the short word for tables ("NXP 原厂" / "非原厂" / "无法检查"). */
export function genuineShort(genuine: boolean | null | undefined): string {
  return `genuine.short.${genuineKey(genuine)}`;
}

/** Naive UI tag colour for the verdict. */
export function genuineTone(genuine: boolean | null | undefined): "success" | "warning" | "default" {
  if (genuine === true) return "success";
  if (genuine === false) return "warning";
  return "default";
}
