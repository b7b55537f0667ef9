/// <reference types="node" />
/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";
import VueI18nPlugin from "@intlify/unplugin-vue-i18n/vite";

const host = process.env.TAURI_DEV_HOST;

// https://vite.dev/config/
export default defineConfig({
  plugins: [
    vue(),
    // Locale JSON is compiled to message functions at build time, and `vue-i18n` is
    // aliased to its runtime-only build: no message compiler (no `new Function`) ships,
    // so a strict CSP without 'unsafe-eval' works.
    VueI18nPlugin({
      include: [fileURLToPath(new URL("./src/locales/**", import.meta.url))],
      runtimeOnly: true,
      compositionOnly: true,
      fullInstall: false,
      strictMessage: true,
      escapeHtml: false,
      dropMessageCompiler: true,
    }),
  ],
  clearScreen: false,
  envPrefix: ["VITE_", "TAURI_ENV_"],
  server: {
    port: 5173,
    strictPort: true,
    host: host || false,
    hmr: host ? { protocol: "ws", host, port: 5174 } : undefined,
  },
  preview: {
    port: 4173,
    strictPort: true,
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebView2 (Chromium) on Windows, WKWebView (Safari ≥ 15) on macOS 10.15+.
    target: ["es2021", "chrome105", "safari15"],
    sourcemap: false,
    chunkSizeWarningLimit: 700,
  },
  test: {
    environment: "happy-dom",
    include: ["tests/**/*.test.ts"],
    restoreMocks: true,
  },
});
