// The 已归档 tag a records table shows next to an archived row's title.
import { h } from "vue";
import { NTag } from "naive-ui";

export function archivedTag(archivedAt: number | null, testid: string, label: string) {
  return archivedAt !== null
    ? h(NTag, { size: "tiny", bordered: false, class: "archived-tag", "data-testid": testid }, { default: () => label })
    : null;
}
