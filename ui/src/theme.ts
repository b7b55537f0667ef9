import type { GlobalThemeOverrides } from "naive-ui";

export const BRAND = "#07C160";

export const FONT_FAMILY = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';
/**
 * English: Latin fonts first (Chinese text still falls back to the CJK fonts). With a CJK font first,
 * punctuation such as “ ” and ’ takes full-width glyphs and English sentences look gappy.
 */
export const FONT_FAMILY_LATIN =
  '-apple-system, BlinkMacSystemFont, "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';
export const FONT_FAMILY_MONO =
  'ui-monospace, "SF Mono", Menlo, Consolas, "Cascadia Mono", "Noto Sans Mono CJK SC", monospace';

/** The theme for a UI language (only the font differs). */
export function themeFor(language: string): GlobalThemeOverrides {
  if (language !== "en-US") return themeOverrides;
  return { ...themeOverrides, common: { ...themeOverrides.common, fontFamily: FONT_FAMILY_LATIN } };
}

export const themeOverrides: GlobalThemeOverrides = {
  common: {
    primaryColor: BRAND,
    primaryColorHover: "#2BCB77",
    primaryColorPressed: "#06A853",
    primaryColorSuppl: "#2BCB77",
    infoColor: "#2F7CF6",
    successColor: BRAND,
    successColorHover: "#2BCB77",
    successColorPressed: "#06A853",
    successColorSuppl: "#2BCB77",
    warningColor: "#E8900C",
    errorColor: "#E5484D",
    fontFamily: FONT_FAMILY,
    fontFamilyMono: FONT_FAMILY_MONO,
    fontSize: "14px",
    fontSizeMedium: "14px",
    borderRadius: "6px",
    heightMedium: "34px",
    textColorBase: "#1F2329",
    textColor1: "#1F2329",
    textColor2: "#3A3F45",
    textColor3: "#6B7280",
    bodyColor: "#F5F6F7",
  },
  Card: {
    borderRadius: "10px",
    paddingMedium: "18px 24px 20px",
    titleFontSizeMedium: "16px",
    titleFontWeight: "600",
  },
  Button: {
    fontWeight: "500",
  },
};
