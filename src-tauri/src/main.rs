// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod webview2;

fn main() {
    // Windows: without the WebView2 runtime say so in a message box and exit (code 3) instead of a silent exit.
    #[cfg(windows)]
    webview2::ensure_or_exit();
    tapstand_app::run();
}
