import { describe, expect, it } from "vitest";
import { doctorRows, overallHealth } from "../src/doctor";
import { sampleDoctor, sampleError } from "./helpers";

describe("doctor summary", () => {
  it("all good", () => {
    const rows = doctorRows(sampleDoctor());
    expect(rows.map((r) => [r.id, r.health])).toEqual([
      ["readers", "ok"],
      ["keychain", "ok"],
      ["database", "ok"],
    ]);
    expect(rows[0]?.params).toEqual({ count: 1 });
    expect(rows[0]?.items).toEqual(["ACS ACR122U PICC Interface 0"]);
    expect(overallHealth(rows)).toBe("ok");
  });

  it("no reader is a warning with a remedy; no PC/SC service is an error", () => {
    const none = sampleDoctor();
    none.readers.readers = [];
    const [noneRow] = doctorRows(none);
    expect(noneRow?.health).toBe("warn");
    expect(noneRow?.remedy).toBe("settings.doctor.readers.noneRemedy");

    const down = sampleDoctor();
    down.readers = { service_available: false, readers: [], error: "SCARD_E_NO_SERVICE", problem: null };
    const [downRow] = doctorRows(down);
    expect(downRow?.health).toBe("error");
    expect(downRow?.items).toEqual(["SCARD_E_NO_SERVICE"]);
    expect(downRow?.remedy).toBe("settings.doctor.readers.serviceDownRemedy");
    expect(overallHealth(doctorRows(down))).toBe("error");

    // The core's own state + remedy for this system (Windows: the Smart Card service) replaces the generic one.
    const win = sampleDoctor();
    const problem = { ...sampleError(), code: "tag.no_service" };
    win.readers = { service_available: false, readers: [], error: "SCARD_E_NO_SERVICE", problem };
    const [winRow] = doctorRows(win);
    expect(winRow?.error?.code).toBe("tag.no_service");
    expect(winRow?.remedy).toBeNull();
  });

  it("keychain and database problems", () => {
    const r = sampleDoctor();
    r.keychain = { backend: "mock", available: false, error: "locked" };
    r.database.error = sampleError();
    const rows = doctorRows(r);
    expect(rows[1]?.health).toBe("error");
    expect(rows[2]?.health).toBe("error");
    expect(rows[2]?.error?.code).toBe("database.corrupt");

    const missing = sampleDoctor();
    missing.database = { ...missing.database, exists: false, schema_version: null };
    expect(doctorRows(missing)[2]?.health).toBe("warn");

    const old = sampleDoctor();
    old.database.schema_version = 2;
    expect(doctorRows(old)[2]).toMatchObject({ health: "warn", params: { version: 2, known: 4 } });
  });
});
