// "导出": the native save dialog (Excel workbook or CSV), then Rust writes the file: .xlsx when the name
// ends so (text cells, frozen header, filters, headers in the UI's language), else CSV (UTF-8 with BOM).
import { useI18n } from "vue-i18n";
import { useDialog, useMessage } from "naive-ui";
import { h } from "vue";
import { save } from "@tauri-apps/plugin-dialog";
import { api } from "../../api";
import type { RecordKind } from "../../bindings";
import { ipcFailedError } from "../../errors";
import UserErrorView from "../UserErrorView.vue";

function today(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}`;
}

export function useExport() {
  const { t } = useI18n();
  const message = useMessage();
  const dialog = useDialog();

  return async function exportCsv(kind: RecordKind): Promise<void> {
    let path: string | null;
    try {
      path = await save({
        title: t(`export.dialogTitle.${kind}`),
        defaultPath: `${t(`export.fileName.${kind}`)}-${today()}.xlsx`,
        filters: [
          { name: t("export.filterExcel"), extensions: ["xlsx"] },
          { name: t("export.filterName"), extensions: ["csv"] },
        ],
      });
    } catch (e) {
      const error = ipcFailedError(e);
      dialog.error({ title: t("export.failed"), content: () => h(UserErrorView, { error }), positiveText: t("common.ok") });
      return;
    }
    if (!path) return; // cancelled
    const result = await api.exportRecords(kind, path);
    if (result.status === "error") {
      const error = result.error;
      dialog.error({ title: t("export.failed"), content: () => h(UserErrorView, { error }), positiveText: t("common.ok") });
      return;
    }
    message.success(t("export.done", { path }), { duration: 6000 });
  };
}
