//! A faithful local fake of the WeChat mini-program server APIs Tapstand uses, as a real HTTP server on
//! loopback: `stable_token` and classic `token`, `generatenfcscheme`, `queryscheme`, `getwxacodeunlimit`.
//!
//! It follows `shared/reference/wechat-api.md` §7: always HTTP 200, `errcode`/`errmsg` with a ` rid: …`
//! suffix, per-endpoint meanings of the same errcode, the documented validation orders, quotas, stable
//! and classic token lifetimes (5-minute overlap, isolation), 9800010 for an existing scheme (with or
//! without the existing URL), and images sent as `image/jpeg` even when the body is a PNG.
//!
//! For tests: [`FakeWechat::start`] runs it in-process on port 0; a controllable clock, failure
//! injection (errors, dropped connections before or after processing, delays) and a request log are
//! available in-process and over HTTP under `/__fake/…` (`POST /__fake/control`, `GET /__fake/log`,
//! `GET /__fake/schemes`, `GET /__fake/config`) for out-of-process use.

mod config;
mod image;
mod server;
mod state;

pub use config::*;
pub use server::FakeWechat;
pub use state::{default_errmsg, LogEntry, SchemeRecord};
