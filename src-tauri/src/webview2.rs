//! Windows only: is the WebView2 runtime there? Checked before Tauri starts, with the same call wry makes
//! when it creates the window (`GetAvailableCoreWebView2BrowserVersionString` of WebView2Loader, reached
//! through `tauri::webview_version`). Without the runtime Tauri would exit with code 101 after a log line and
//! the merchant, who double-clicked the icon, would see nothing at all. Instead: a log line, a native message
//! box in the system UI language saying what to install and where, and a clean exit with [`EXIT_NO_WEBVIEW2`].

#![cfg_attr(not(windows), allow(dead_code))]

/// The exit code when the WebView2 runtime is missing (never 101, Rust's panic code).
pub const EXIT_NO_WEBVIEW2: i32 = 3;
/// Microsoft's download page for the Evergreen WebView2 runtime (the bootstrapper and the offline installer).
pub const DOWNLOAD_URL: &str = "https://developer.microsoft.com/microsoft-edge/webview2/";
/// Set to 1 to skip only the message box (tests without anyone to click OK; debug builds only); the log line
/// is still written.
pub const NO_DIALOG_ENV: &str = "TAPSTAND_NO_DIALOG";

pub const TITLE_ZH: &str = "碰一碰立牌工作台无法启动";
pub const TITLE_EN: &str = "Tapstand cannot start";

pub fn message_zh() -> String {
    format!(
        "这台电脑缺少 Microsoft Edge WebView2 运行时，工作台的窗口需要它。\n\n\
         请从微软官网下载并安装“常青版（Evergreen）”WebView2 运行时：\n{DOWNLOAD_URL}\n\
         （选择“Evergreen Bootstrapper”；电脑不能上网时选“Evergreen Standalone Installer x64”，用 U 盘拷过来安装。）\n\n\
         安装完成后重新打开工作台。\n\n现在打开下载页面吗？"
    )
}

pub fn message_en() -> String {
    format!(
        "This computer lacks the Microsoft Edge WebView2 runtime, which Tapstand's window needs.\n\n\
         Download and install the Evergreen WebView2 runtime from Microsoft:\n{DOWNLOAD_URL}\n\
         (choose \"Evergreen Bootstrapper\"; on a PC without internet, \"Evergreen Standalone Installer x64\" \
         copied over on a USB stick.)\n\nThen open Tapstand again.\n\nOpen the download page now?"
    )
}

/// The installed runtime's version, or why there is none.
#[cfg(windows)]
pub fn installed_version() -> Result<String, String> {
    match tauri::webview_version() {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        Ok(_) => Err("no WebView2 runtime version reported".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// Checks for the runtime; when it is missing, logs it, tells the merchant and exits the process.
#[cfg(windows)]
pub fn ensure_or_exit() {
    if let Err(why) = installed_version() {
        // Logging is not set up yet (Tauri's run() does it): set it up here so the line reaches the log file.
        let paths = tapstand_core::AppPaths::resolve_with(tapstand_core::paths::data_dir_arg(
            std::env::args_os().skip(1),
        ));
        let _guard = paths
            .ok()
            .and_then(|p| tapstand_core::logging::init(&p.log_dir, true).ok());
        tracing::error!(
            reason = %why,
            exit_code = EXIT_NO_WEBVIEW2,
            download = DOWNLOAD_URL,
            "WebView2 runtime missing: Tapstand cannot open its window. 缺少 WebView2 运行时，请安装后重新打开。"
        );
        // The smoke test under Wine (a debug build) may skip the box; a release build always shows it.
        let skip_box =
            cfg!(debug_assertions) && std::env::var_os(NO_DIALOG_ENV).is_some_and(|v| v == "1");
        if !skip_box {
            if win::show_box() {
                win::open_url(DOWNLOAD_URL);
            }
        } else {
            tracing::info!("{NO_DIALOG_ENV}=1: message box skipped");
        }
        drop(_guard); // flush the log file before exiting
        std::process::exit(EXIT_NO_WEBVIEW2);
    }
}

#[cfg(windows)]
mod win {
    use std::ffi::c_void;

    const MB_YESNO: u32 = 0x4;
    const MB_ICONERROR: u32 = 0x10;
    const MB_SETFOREGROUND: u32 = 0x1_0000;
    const IDYES: i32 = 6;
    const SW_SHOWNORMAL: i32 = 1;
    const LANG_CHINESE: u16 = 0x04;

    #[link(name = "user32")]
    extern "system" {
        fn MessageBoxW(hwnd: *mut c_void, text: *const u16, caption: *const u16, utype: u32)
            -> i32;
    }
    #[link(name = "kernel32")]
    extern "system" {
        fn GetUserDefaultUILanguage() -> u16;
    }
    #[link(name = "shell32")]
    extern "system" {
        fn ShellExecuteW(
            hwnd: *mut c_void,
            op: *const u16,
            file: *const u16,
            params: *const u16,
            dir: *const u16,
            show: i32,
        ) -> *mut c_void;
    }

    fn wide(s: &str) -> Vec<u16> {
        s.encode_utf16().chain(std::iter::once(0)).collect()
    }

    /// The box in the system UI language (Chinese systems: Chinese first, English under it). True for "Yes".
    pub fn show_box() -> bool {
        // SAFETY: plain Win32 calls with NUL-terminated UTF-16 strings that outlive the calls.
        let chinese = unsafe { GetUserDefaultUILanguage() } & 0x3ff == LANG_CHINESE;
        let (title, text) = if chinese {
            (
                super::TITLE_ZH.to_string(),
                format!("{}\n\n——\n{}", super::message_zh(), super::message_en()),
            )
        } else {
            (super::TITLE_EN.to_string(), super::message_en())
        };
        let (title, text) = (wide(&title), wide(&text));
        let answer = unsafe {
            MessageBoxW(
                std::ptr::null_mut(),
                text.as_ptr(),
                title.as_ptr(),
                MB_YESNO | MB_ICONERROR | MB_SETFOREGROUND,
            )
        };
        tracing::info!(answer, "WebView2 message box closed");
        answer == IDYES
    }

    pub fn open_url(url: &str) {
        let (op, url) = (wide("open"), wide(url));
        // SAFETY: as above.
        unsafe {
            ShellExecuteW(
                std::ptr::null_mut(),
                op.as_ptr(),
                url.as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                SW_SHOWNORMAL,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_message_says_what_to_install_and_where() {
        for m in [super::message_zh(), super::message_en()] {
            assert!(m.contains("WebView2"));
            assert!(m.contains(super::DOWNLOAD_URL));
            assert!(m.contains("Evergreen"));
        }
        assert!(super::message_zh().contains("安装完成后重新打开"));
        assert_ne!(super::EXIT_NO_WEBVIEW2, 101);
    }
}
