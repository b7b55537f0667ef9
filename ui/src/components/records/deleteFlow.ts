// "删除": confirm, delete, and when Rust refuses because other records still use it (`in_use`), explain
// why and offer to archive it instead.
import { h } from "vue";
import { useI18n } from "vue-i18n";
import { useDialog, useMessage } from "naive-ui";
import type { ApiResult } from "../../api";
import type { UserError } from "../../bindings";
import UserErrorView from "../UserErrorView.vue";

export interface DeleteFlow {
  title: string;
  content: string;
  remove: () => Promise<ApiResult<null>>;
  archive: () => Promise<ApiResult<null>>;
  deleted: string;
  archived: string;
  done: () => void;
}

export function useDeleteFlow() {
  const dialog = useDialog();
  const message = useMessage();
  const { t } = useI18n();

  function showError(title: string, error: UserError) {
    dialog.error({
      title,
      content: () => h(UserErrorView, { error }),
      positiveText: t("common.ok"),
    });
  }

  return function run(flow: DeleteFlow) {
    dialog.warning({
      title: flow.title,
      content: flow.content,
      positiveText: t("common.delete"),
      negativeText: t("common.cancel"),
      positiveButtonProps: { type: "error", "data-testid": "confirm-delete" } as object,
      negativeButtonProps: { "data-testid": "confirm-cancel" } as object,
      onPositiveClick: async () => {
        const result = await flow.remove();
        if (result.status === "ok") {
          message.success(flow.deleted);
          flow.done();
          return;
        }
        if (result.error.code !== "in_use") {
          showError(t("common.deleteFailed"), result.error);
          return;
        }
        const error = result.error;
        dialog.warning({
          title: t("common.inUseTitle"),
          content: () => h("div", { "data-testid": "in-use" }, [h(UserErrorView, { error })]),
          positiveText: t("common.archiveInstead"),
          negativeText: t("common.cancel"),
          positiveButtonProps: { type: "primary", "data-testid": "in-use-archive" } as object,
          negativeButtonProps: { "data-testid": "in-use-cancel" } as object,
          onPositiveClick: async () => {
            const archived = await flow.archive();
            if (archived.status === "error") {
              showError(t("common.archiveFailed"), archived.error);
              return;
            }
            message.success(flow.archived);
            flow.done();
          },
        });
      },
    });
  };
}
