import { createApp } from "vue";
import { createPinia } from "pinia";
import App from "./App.vue";
import { createAppI18n } from "./i18n";
import { createAppRouter } from "./router";
import "./styles.css";

async function main() {
  // Dev/demo only: `?demo` mocks the Rust commands so the UI can be looked at in a
  // browser. MODE is a build-time constant ("production" for `vite build`, whatever
  // NODE_ENV says), so the bundle the Tauri app embeds contains neither this branch nor
  // the mock module; installDemo() also refuses to run when the real bridge exists.
  if (import.meta.env.MODE === "development" || import.meta.env.MODE === "demo") {
    const params = new URLSearchParams(window.location.search);
    if (params.has("demo")) {
      const { installDemo } = await import("./dev/demo");
      installDemo(params);
    }
  }

  createApp(App).use(createPinia()).use(createAppI18n()).use(createAppRouter()).mount("#app");
}

void main();
