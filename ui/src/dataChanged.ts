// Team mode: another PC changed a list on the shared database (Rust's `DataChanged` event, from
// PostgreSQL LISTEN/NOTIFY). A view calls this with the tables it shows; `reload` runs once per burst.
import { onMounted, onUnmounted } from "vue";
import { events } from "./bindings";
import { inDesktopApp } from "./api";

/** Waits this long after a change for the rest of its burst (an import notifies once per statement). */
export const DATA_CHANGED_DEBOUNCE_MS = 150;

export function useDataChanged(tables: string[], reload: () => unknown): void {
  let unlisten: (() => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  onMounted(async () => {
    if (!inDesktopApp()) return;
    try {
      const off = await events.dataChanged.listen((e) => {
        if (e.payload.table !== "*" && !tables.includes(e.payload.table)) return;
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          timer = null;
          void reload();
        }, DATA_CHANGED_DEBOUNCE_MS);
      });
      if (stopped) off();
      else unlisten = off;
    } catch {
      // Mocked IPC without events (unit tests, the demo): nothing to listen to.
    }
  });
  onUnmounted(() => {
    stopped = true;
    if (timer) clearTimeout(timer);
    unlisten?.();
  });
}
