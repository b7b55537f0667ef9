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
    // A probed reader is listed with how it passes native commands and its firmware string.
    expect(rows[0]?.items).toEqual([]);
    expect(rows[0]?.readers).toEqual([
      {
        name: "ACS ACR122U PICC Interface 0",
        dialect: "settings.doctor.readers.dialect.acr122_direct",
        firmware: "ACR122U215",
      },
    ]);
    expect(overallHealth(rows)).toBe("ok");
  });

  it("a reader not probed yet (no tag was on it) is listed by name and says how to find out", () => {
    const r = sampleDoctor();
    r.readers.readers = ["ACS ACR122U PICC Interface 0", "HID Global OMNIKEY 5422CL Smartcard Reader 0"];
    r.readers.details = [{ ...r.readers.details[0]!, dialect: null, firmware: null }];
    const [row] = doctorRows(r);
    expect(row?.items).toEqual(["HID Global OMNIKEY 5422CL Smartcard Reader 0"]);
    expect(row?.readers?.[0]?.dialect).toBe("settings.doctor.readers.dialect.unknown");
  });

  it("no reader is a warning with a remedy; no PC/SC service is an error", () => {
    const none = sampleDoctor();
    none.readers.readers = [];
    const [noneRow] = doctorRows(none);
    expect(noneRow?.health).toBe("warn");
    expect(noneRow?.remedy).toBe("settings.doctor.readers.noneRemedy");

    const down = sampleDoctor();
    down.readers = { service_available: false, readers: [], details: [], error: "SCARD_E_NO_SERVICE", problem: null };
    const [downRow] = doctorRows(down);
    expect(downRow?.health).toBe("error");
    expect(downRow?.items).toEqual(["SCARD_E_NO_SERVICE"]);
    expect(downRow?.remedy).toBe("settings.doctor.readers.serviceDownRemedy");
    expect(overallHealth(doctorRows(down))).toBe("error");

    // The core's own state + remedy for this system (Windows: the Smart Card service) replaces the generic one.
    const win = sampleDoctor();
    const problem = { ...sampleError(), code: "tag.no_service" };
    win.readers = { service_available: false, readers: [], details: [], error: "SCARD_E_NO_SERVICE", problem };
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

  it("Windows Smart Card Plug and Play: a warning with the administrator's commands, ok once excepted", () => {
    const r = sampleDoctor();
    expect(doctorRows(r).map((row) => row.id)).not.toContain("smartCardPnp");
    r.smart_card_pnp = {
      enabled: true,
      policy_disabled: false,
      exempted: false,
      problem: { ...sampleError(), code: "scpnp.on" },
      it_commands: ["reg add A", "reg add B"],
      undo_commands: ["reg delete A"],
      error: null,
    };
    const pnp = doctorRows(r)[3];
    expect(pnp?.id).toBe("smartCardPnp");
    expect(pnp?.health).toBe("warn");
    expect(pnp?.text).toBe("settings.doctor.smartCardPnp.on");
    expect(pnp?.items).toEqual(["reg add A", "reg add B"]);
    r.smart_card_pnp = { ...r.smart_card_pnp, exempted: true, problem: null };
    expect(doctorRows(r)[3]?.health).toBe("ok");
    expect(doctorRows(r)[3]?.text).toBe("settings.doctor.smartCardPnp.exempted");
  });
});
