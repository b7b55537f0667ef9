// The only place the UI talks to Rust. Every call resolves (never rejects) to a
// Result whose error is always a well-formed UserError, whatever went wrong:
// not running inside Tauri, a thrown JS Error (the generated wrappers re-throw those),
// or a malformed payload.

import { commands } from "./bindings";
import type {
  AppInfo,
  CsvExport,
  DeviceModel,
  DeviceModelInput,
  PoolGenerated,
  PoolSummary,
  DoctorReport,
  FieldIssue,
  HistoryFilter,
  HistoryPage,
  ImportOptions,
  ImportPreview,
  ImportResult,
  Inspection,
  RecoveredLink,
  Language,
  CodeStatus,
  PrintExportResult,
  PrintOptions,
  PrintPreview,
  PrintSettings,
  Profile,
  ProfileInput,
  StoreCode,
  RecordKind,
  ReaderView,
  ScPnpReport,
  RegistrationHelp,
  Saved,
  StationRequest,
  StationStatus,
  Store,
  StoreInput,
  Terminal,
  TerminalInput,
  TargetChoice,
  TargetPreview,
  TokenCheck,
  UpdateInfo,
  UpdateStatus,
  UserError,
  TeamConnection,
  TeamDatabaseCheck,
  TeamStatus,
  CopyReport,
  AuditReport,
  QuotaView,
  Replaced,
  RetiredTag,
  StationTag,
} from "./bindings";
import { ipcFailedError, isUserError, notInTauriError } from "./errors";

export type ApiResult<T> = { status: "ok"; data: T } | { status: "error"; error: UserError };

/** True inside the Tauri webview (or when IPC is mocked for tests / the dev demo). */
export function inDesktopApp(): boolean {
  const internals = (globalThis as { __TAURI_INTERNALS__?: { invoke?: unknown } }).__TAURI_INTERNALS__;
  return typeof internals?.invoke === "function";
}

async function call<T>(
  run: () => Promise<{ status: "ok"; data: T } | { status: "error"; error: unknown }>,
): Promise<ApiResult<T>> {
  if (!inDesktopApp()) return { status: "error", error: notInTauriError() };
  try {
    const result = await run();
    if (result.status === "ok") return result;
    return { status: "error", error: isUserError(result.error) ? result.error : ipcFailedError(result.error) };
  } catch (e) {
    return { status: "error", error: isUserError(e) ? e : ipcFailedError(e) };
  }
}

export const api = {
  startupStatus: (): Promise<ApiResult<null>> => call(() => commands.startupStatus()),
  appInfo: (): Promise<ApiResult<AppInfo>> => call(() => commands.appInfo()),
  setLanguage: (language: Language): Promise<ApiResult<null>> => call(() => commands.setLanguage(language)),
  /** 设置 → 诊断 (Windows): Smart Card Plug and Play's exception for NFC tags on / off (administrator prompt). */
  scpnpApply: (exempt: boolean): Promise<ApiResult<ScPnpReport>> => call(() => commands.scpnpApply(exempt)),
  /** 设置 → 读卡器提示: the reader's own light and beep while the station runs. */
  setReaderFeedback: (on: boolean): Promise<ApiResult<null>> => call(() => commands.setReaderFeedback(on)),
  doctor: (): Promise<ApiResult<DoctorReport>> => call(() => commands.doctor()),
  /** Tells Rust the first screen (shell or startup error) is painted. */
  uiReady: (): Promise<ApiResult<null>> => call(() => commands.uiReady()),

  // 设置 → 更新
  updateStatus: (): Promise<ApiResult<UpdateStatus>> => call(() => commands.updateStatus()),
  /** `null`: this is the newest version. */
  updateCheck: (): Promise<ApiResult<UpdateInfo | null>> => call(() => commands.updateCheck()),
  /** Downloads and verifies the installer (progress: `events.updateDownload`); installs nothing. */
  updateDownload: (): Promise<ApiResult<UpdateInfo>> => call(() => commands.updateDownload()),
  /** Installs the downloaded update and restarts (only after the merchant confirmed). */
  updateInstall: (): Promise<ApiResult<null>> => call(() => commands.updateInstall()),

  // 设置 → 团队模式
  teamStatus: (): Promise<ApiResult<TeamStatus>> => call(() => commands.teamStatus()),
  /** The password goes to the OS keychain; it never comes back to the UI. */
  teamSavePassword: (connection: TeamConnection, password: string): Promise<ApiResult<string>> =>
    call(() => commands.teamSavePassword(connection, password)),
  teamCheck: (connection: TeamConnection): Promise<ApiResult<TeamDatabaseCheck>> =>
    call(() => commands.teamCheck(connection)),
  teamCopy: (connection: TeamConnection): Promise<ApiResult<CopyReport>> => call(() => commands.teamCopy(connection)),
  /** `null`: 改回单机. Opens the database, saves the choice, and uses it from now on. */
  teamSwitch: (connection: TeamConnection | null): Promise<ApiResult<null>> =>
    call(() => commands.teamSwitch(connection)),
  teamRetry: (): Promise<ApiResult<null>> => call(() => commands.teamRetry()),

  // 凭据
  listProfiles: (): Promise<ApiResult<Profile[]>> => call(() => commands.listProfiles()),
  saveProfile: (id: number | null, input: ProfileInput): Promise<ApiResult<Saved<Profile>>> =>
    call(() => commands.saveProfile(id, input)),
  deleteProfile: (id: number): Promise<ApiResult<null>> => call(() => commands.deleteProfile(id)),
  /** The secret goes to the OS keychain; it never comes back to the UI. */
  setAppSecret: (profileId: number, secret: string): Promise<ApiResult<FieldIssue[]>> =>
    call(() => commands.setAppSecret(profileId, secret)),
  removeAppSecret: (profileId: number): Promise<ApiResult<null>> => call(() => commands.removeAppSecret(profileId)),
  testConnection: (profileId: number): Promise<ApiResult<TokenCheck>> => call(() => commands.testConnection(profileId)),

  // 设备型号
  listDeviceModels: (): Promise<ApiResult<DeviceModel[]>> => call(() => commands.listDeviceModels()),
  saveDeviceModel: (id: number | null, input: DeviceModelInput): Promise<ApiResult<Saved<DeviceModel>>> =>
    call(() => commands.saveDeviceModel(id, input)),
  setDeviceModelStatus: (
    id: number,
    status: string,
    rejectReason: string,
    modelId: string | null,
  ): Promise<ApiResult<Saved<DeviceModel>>> =>
    call(() => commands.setDeviceModelStatus(id, status, rejectReason, modelId)),
  deleteDeviceModel: (id: number): Promise<ApiResult<null>> => call(() => commands.deleteDeviceModel(id)),
  registrationHelp: (model: string | null): Promise<ApiResult<[RegistrationHelp, string[]]>> =>
    call(() => commands.registrationHelp(model)),

  // 门店与前台
  listStores: (search: string, includeArchived: boolean): Promise<ApiResult<Store[]>> =>
    call(() => commands.listStores(search, includeArchived)),
  saveStore: (id: number | null, input: StoreInput): Promise<ApiResult<Saved<Store>>> =>
    call(() => commands.saveStore(id, input)),
  archiveStore: (id: number, archived: boolean): Promise<ApiResult<null>> =>
    call(() => commands.archiveStore(id, archived)),
  deleteStore: (id: number): Promise<ApiResult<null>> => call(() => commands.deleteStore(id)),
  listTerminals: (search: string, includeArchived: boolean): Promise<ApiResult<Terminal[]>> =>
    call(() => commands.listTerminals(search, includeArchived)),
  saveTerminal: (id: number | null, input: TerminalInput): Promise<ApiResult<Saved<Terminal>>> =>
    call(() => commands.saveTerminal(id, input)),
  archiveTerminal: (id: number, archived: boolean): Promise<ApiResult<null>> =>
    call(() => commands.archiveTerminal(id, archived)),
  deleteTerminal: (id: number): Promise<ApiResult<null>> => call(() => commands.deleteTerminal(id)),
  /** CSV or Excel workbook (told from the content); `options` carry the file name and the chosen sheet. */
  previewImport: (kind: RecordKind, bytes: Uint8Array, options: ImportOptions = { file_name: null, sheet: null }): Promise<ApiResult<ImportPreview>> =>
    call(() => commands.previewImport(kind, Array.from(bytes), options)),
  commitImport: (kind: RecordKind, bytes: Uint8Array, options: ImportOptions = { file_name: null, sheet: null }): Promise<ApiResult<ImportResult>> =>
    call(() => commands.commitImport(kind, Array.from(bytes), options)),
  exportRecords: (kind: RecordKind, path: string): Promise<ApiResult<null>> =>
    call(() => commands.exportRecords(kind, path)),

  // 写标签
  stationPreview: (profileId: number, modelId: number, choice: TargetChoice): Promise<ApiResult<TargetPreview>> =>
    call(() => commands.stationPreview(profileId, modelId, choice)),
  stationReaders: (): Promise<ApiResult<ReaderView[]>> => call(() => commands.stationReaders()),
  stationLastRequest: (): Promise<ApiResult<StationRequest | null>> => call(() => commands.stationLastRequest()),
  stationStart: (request: StationRequest): Promise<ApiResult<StationStatus>> =>
    call(() => commands.stationStart(request)),
  stationStop: (): Promise<ApiResult<StationStatus>> => call(() => commands.stationStop()),
  poolSummary: (profileId: number, modelId: number, choice: TargetChoice): Promise<ApiResult<PoolSummary>> =>
    call(() => commands.poolSummary(profileId, modelId, choice)),
  poolGenerate: (profileId: number, modelId: number, choice: TargetChoice, count: number): Promise<ApiResult<PoolGenerated>> =>
    call(() => commands.poolGenerate(profileId, modelId, choice, count)),
  stationStatus: (): Promise<ApiResult<StationStatus>> => call(() => commands.stationStatus()),
  /** The mini program's link quota from the ledger (issued, left, today's). */
  quotaSummary: (profileId: number): Promise<ApiResult<QuotaView>> => call(() => commands.quotaSummary(profileId)),
  /** The merchant confirmed the page and query every link of the target opens for ever. */
  stationConfirmLink: (profileId: number, modelId: number, choice: TargetChoice): Promise<ApiResult<null>> =>
    call(() => commands.stationConfirmLink(profileId, modelId, choice)),
  stationDecide: (uid: string, overwrite: boolean): Promise<ApiResult<null>> =>
    call(() => commands.stationDecide(uid, overwrite)),

  // 记录 / 检查标签
  historyPage: (filter: HistoryFilter): Promise<ApiResult<HistoryPage>> => call(() => commands.historyPage(filter)),
  /** CSV, or an Excel workbook when `path` ends in .xlsx. */
  historyExportCsv: (filter: HistoryFilter, path: string): Promise<ApiResult<CsvExport>> =>
    call(() => commands.historyExportCsv(filter, path)),
  /** The tag register (one row per tag) as an .xlsx. */
  exportTagRegister: (path: string): Promise<ApiResult<CsvExport>> => call(() => commands.exportTagRegister(path)),
  /** Waits up to `waitMs` for a tag on the reader and says what it is. */
  inspectTag: (profileId: number | null, reader: string | null, waitMs: number): Promise<ApiResult<Inspection>> =>
    call(() => commands.inspectTag(profileId, reader, waitMs)),
  /** 找回链接: asks WeChat once more for the link of an sn whose request went unanswered. */
  recoverLink: (modelId: string, sn: string): Promise<ApiResult<RecoveredLink>> =>
    call(() => commands.historyRecoverLink(modelId, sn)),

  // 检查 → 巡检 / 换标签
  auditStart: (storeId: number, operator: string): Promise<ApiResult<AuditReport>> =>
    call(() => commands.auditStart(storeId, operator)),
  /** The audit in progress, or null. */
  auditCurrent: (): Promise<ApiResult<AuditReport | null>> => call(() => commands.auditCurrent()),
  /** Waits up to `waitMs` for a tag, judges it; with `lock`, locks a right-but-unlocked tag now. */
  auditTap: (auditId: number, lock: boolean, waitMs: number): Promise<ApiResult<AuditReport>> =>
    call(() => commands.auditTap(auditId, lock, waitMs)),
  /** Ends the audit; with a path, writes the .xlsx report there. */
  auditFinish: (auditId: number, path: string | null, english: boolean): Promise<ApiResult<AuditReport>> =>
    call(() => commands.auditFinish(auditId, path, english)),
  standFind: (uid: string): Promise<ApiResult<StationTag>> => call(() => commands.standFind(uid)),
  standReplace: (oldUid: string, reason: string, lock: boolean, operator: string, waitMs: number): Promise<ApiResult<Replaced>> =>
    call(() => commands.standReplace(oldUid, reason, lock, operator, waitMs)),
  retiredTags: (): Promise<ApiResult<RetiredTag[]>> => call(() => commands.retiredTags()),

  // 物料
  printOptions: (): Promise<ApiResult<PrintOptions>> =>
    call(async () => ({ status: "ok" as const, data: await commands.printOptions() })),
  printStoreCodes: (profileId: number): Promise<ApiResult<StoreCode[]>> => call(() => commands.printStoreCodes(profileId)),
  printPreview: (settings: PrintSettings, storeId: number | null): Promise<ApiResult<PrintPreview>> =>
    call(() => commands.printPreview(settings, storeId)),
  printImportCode: (profileId: number, storeId: number, path: string): Promise<ApiResult<CodeStatus>> =>
    call(() => commands.printImportCode(profileId, storeId, path)),
  printExport: (settings: PrintSettings, storeIds: number[], perStore: boolean, path: string): Promise<ApiResult<PrintExportResult>> =>
    call(() => commands.printExport(settings, storeIds, perStore, path)),
  printCancel: (): Promise<ApiResult<null>> =>
    call(async () => {
      await commands.printCancel();
      return { status: "ok" as const, data: null };
    }),
  printReveal: (path: string): Promise<ApiResult<null>> => call(() => commands.printReveal(path)),
  /** End-to-end tests only: where to save instead of the native dialog (null in normal use). */
  printE2eSavePath: (defaultName: string): Promise<ApiResult<string | null>> =>
    call(async () => ({ status: "ok" as const, data: await commands.printE2eSavePath(defaultName) })),
};
