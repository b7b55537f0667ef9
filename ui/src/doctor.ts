import type { DoctorReport, UserError } from "./bindings";

export type Health = "ok" | "warn" | "error";

/** One line of the diagnostics card; `text`/`remedy` are i18n keys with `params`. */
export interface DoctorRow {
  id: "readers" | "keychain" | "database";
  health: Health;
  text: string;
  params: Record<string, string | number>;
  remedy: string | null;
  /** Extra facts shown under the line (reader names, raw error text). */
  items: string[];
  error: UserError | null;
}

export function doctorRows(report: DoctorReport): DoctorRow[] {
  const { readers, keychain, database } = report;

  const readerRow: DoctorRow = !readers.service_available
    ? {
        id: "readers",
        health: "error",
        text: "settings.doctor.readers.serviceDown",
        params: {},
        // The system's own remedy (e.g. Windows: the Smart Card service) comes with `problem`.
        remedy: readers.problem ? null : "settings.doctor.readers.serviceDownRemedy",
        items: readers.error ? [readers.error] : [],
        error: readers.problem,
      }
    : readers.readers.length === 0
      ? {
          id: "readers",
          health: "warn",
          text: "settings.doctor.readers.none",
          params: {},
          remedy: "settings.doctor.readers.noneRemedy",
          items: readers.error ? [readers.error] : [],
          error: null,
        }
      : {
          id: "readers",
          health: "ok",
          text: "settings.doctor.readers.ok",
          params: { count: readers.readers.length },
          remedy: null,
          items: [...readers.readers],
          error: null,
        };

  const keychainRow: DoctorRow = keychain.available
    ? {
        id: "keychain",
        health: "ok",
        text: "settings.doctor.keychain.ok",
        params: { backend: keychain.backend },
        remedy: null,
        items: [],
        error: null,
      }
    : {
        id: "keychain",
        health: "error",
        text: "settings.doctor.keychain.fail",
        params: { backend: keychain.backend },
        remedy: "settings.doctor.keychain.failRemedy",
        items: keychain.error ? [keychain.error] : [],
        error: null,
      };

  let databaseRow: DoctorRow;
  if (database.error) {
    databaseRow = {
      id: "database",
      health: "error",
      text: "settings.doctor.database.fail",
      params: {},
      remedy: null,
      items: [],
      error: database.error,
    };
  } else if (!database.exists) {
    databaseRow = {
      id: "database",
      health: "warn",
      text: "settings.doctor.database.missing",
      params: {},
      remedy: null,
      items: [database.path],
      error: null,
    };
  } else if (database.schema_version !== database.known_schema_version) {
    databaseRow = {
      id: "database",
      health: "warn",
      text: "settings.doctor.database.mismatch",
      params: {
        version: database.schema_version ?? "?",
        known: database.known_schema_version,
      },
      remedy: null,
      items: [database.path],
      error: null,
    };
  } else {
    databaseRow = {
      id: "database",
      health: "ok",
      text: "settings.doctor.database.ok",
      params: { version: database.known_schema_version },
      remedy: null,
      items: [database.path],
      error: null,
    };
  }

  return [readerRow, keychainRow, databaseRow];
}

export function overallHealth(rows: DoctorRow[]): Health {
  if (rows.some((r) => r.health === "error")) return "error";
  if (rows.some((r) => r.health === "warn")) return "warn";
  return "ok";
}
