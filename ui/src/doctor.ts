import type { DoctorReport, PassThrough, UserError } from "./bindings";

export type Health = "ok" | "warn" | "error";

/** One line of the diagnostics card; `text`/`remedy` are i18n keys with `params`. */
export interface DoctorRow {
  id: "readers" | "keychain" | "database" | "smartCardPnp";
  health: Health;
  text: string;
  params: Record<string, string | number>;
  remedy: string | null;
  /** Extra facts shown under the line (reader names, raw error text). */
  items: string[];
  /** Each reader's dialect and firmware string (the readers line only). */
  readers?: ReaderLine[];
  error: UserError | null;
}

/** A reader as 诊断 lists it: `dialect` is the i18n key of how it passes native commands. */
export interface ReaderLine {
  name: string;
  dialect: string;
  firmware: string | null;
}

const DIALECT_KEY: Record<PassThrough, string> = {
  acr122_direct: "settings.doctor.readers.dialect.acr122_direct",
  part3_transparent: "settings.doctor.readers.dialect.part3_transparent",
  none: "settings.doctor.readers.dialect.none",
};

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
          // Readers probed by 诊断 are listed with their dialect below; any other by name.
          items: readers.readers.filter((n) => !readers.details.some((d) => d.name === n)),
          readers: readers.details.map((d) => ({
            name: d.name,
            dialect: d.dialect ? DIALECT_KEY[d.dialect] : "settings.doctor.readers.dialect.unknown",
            firmware: d.firmware,
          })),
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

  const rows = [readerRow, keychainRow, databaseRow];
  // Windows only: whether Windows looks for a driver for every tag (Smart Card Plug and Play).
  const pnp = report.smart_card_pnp;
  if (pnp) {
    rows.push({
      id: "smartCardPnp",
      health: pnp.problem ? "warn" : "ok",
      text: pnp.policy_disabled
        ? "settings.doctor.smartCardPnp.policy"
        : pnp.exempted
          ? "settings.doctor.smartCardPnp.exempted"
          : "settings.doctor.smartCardPnp.on",
      params: {},
      remedy: null,
      items: pnp.problem ? [...pnp.it_commands] : pnp.error ? [pnp.error] : [],
      error: pnp.problem,
    });
  }
  return rows;
}

export function overallHealth(rows: DoctorRow[]): Health {
  if (rows.some((r) => r.health === "error")) return "error";
  if (rows.some((r) => r.health === "warn")) return "warn";
  return "ok";
}
