// Per-field problems from Rust (validation errors and warnings), shown next to the field they concern
// (n-form-item `validation-status` + feedback), in the current language.
import { computed, ref } from "vue";
import { useI18n } from "vue-i18n";
import type { FieldIssue, UserError } from "./bindings";

export type FieldStatus = "error" | "warning" | undefined;

/** The text of an issue in `lang`, falling back to the other language. */
export function issueText(issue: FieldIssue, lang: string): string {
  return (lang === "en-US" ? issue.en || issue.zh : issue.zh || issue.en) ?? "";
}

export function useFieldIssues(known: readonly string[] = []) {
  const { locale } = useI18n();
  const errors = ref<FieldIssue[]>([]);
  const warnings = ref<FieldIssue[]>([]);
  /** A non-validation failure (or a validation error with nothing to show next to a field). */
  const failure = ref<UserError | null>(null);

  function clear() {
    errors.value = [];
    warnings.value = [];
    failure.value = null;
  }

  /** Takes an error from a save: field problems go next to their fields, the rest to `failure`. */
  function setError(e: UserError) {
    warnings.value = [];
    if (e.code === "validation" && e.fields?.length) {
      errors.value = e.fields;
      const unplaced = known.length > 0 && e.fields.some((f) => !known.includes(f.field));
      failure.value = unplaced ? e : null;
    } else {
      errors.value = [];
      failure.value = e;
    }
  }

  function setWarnings(w: FieldIssue[]) {
    errors.value = [];
    failure.value = null;
    warnings.value = w;
  }

  function forField(list: FieldIssue[], field: string) {
    return list.filter((i) => i.field === field);
  }

  function status(field: string): FieldStatus {
    if (forField(errors.value, field).length) return "error";
    if (forField(warnings.value, field).length) return "warning";
    return undefined;
  }

  function feedback(field: string): string | undefined {
    const list = forField(errors.value, field);
    const shown = list.length ? list : forField(warnings.value, field);
    if (!shown.length) return undefined;
    return shown.map((i) => issueText(i, locale.value)).join(" ");
  }

  /** Clears a field's problem once the merchant edits it. */
  function touch(field: string) {
    errors.value = errors.value.filter((i) => i.field !== field);
    warnings.value = warnings.value.filter((i) => i.field !== field);
  }

  const hasErrors = computed(() => errors.value.length > 0);

  return { errors, warnings, failure, clear, setError, setWarnings, status, feedback, touch, hasErrors };
}
