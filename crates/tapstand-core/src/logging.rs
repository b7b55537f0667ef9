//! Logging: `tracing` to a daily-rotated file in the log folder (14 days kept) and to stderr.
//!
//! Every byte goes through [`tapstand_secrets::redact`] before it is written, so a value registered as
//! secret (the AppSecret, access tokens, tag passwords) never reaches a log file, the terminal or a crash
//! report, whatever field or message it was put in.

use std::io::{self, Write};
use std::path::Path;

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

pub const LOG_FILE_PREFIX: &str = "tapstand";
pub const LOG_FILE_SUFFIX: &str = "log";
const KEEP_FILES: usize = 14;
const DEFAULT_FILTER: &str = "info,sqlx=warn,hyper=warn,reqwest=warn,tao=warn,wry=warn";

/// A [`MakeWriter`] that redacts registered secrets from everything its writers write.
#[derive(Clone, Debug)]
pub struct Redacting<M>(pub M);

pub struct RedactingWriter<W>(W);

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // The fmt layer writes one whole formatted event per call, so a secret is never split across calls.
        let out = tapstand_secrets::redact::redact_bytes(buf);
        self.0.write_all(&out)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;
    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter(self.0.make_writer())
    }
}

/// Keeps the background log writer alive; drop it last (it flushes the file).
pub struct LogGuard {
    _file: tracing_appender::non_blocking::WorkerGuard,
}

/// The rolling file appender used by the app and the CLI.
pub fn file_appender(log_dir: &Path) -> io::Result<RollingFileAppender> {
    std::fs::create_dir_all(log_dir)?;
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .filename_suffix(LOG_FILE_SUFFIX)
        .max_log_files(KEEP_FILES)
        .build(log_dir)
        .map_err(io::Error::other)
}

/// Installs the global subscriber: file (always) and stderr (when `stderr` is true).
/// `RUST_LOG` overrides the default filter.
pub fn init(log_dir: &Path, stderr: bool) -> io::Result<LogGuard> {
    let (file, guard) = tracing_appender::non_blocking(file_appender(log_dir)?);
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let file_layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(Redacting(file));
    let stderr_layer = stderr.then(|| {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(Redacting(io::stderr))
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(file_layer)
        .with(stderr_layer)
        .try_init()
        .map_err(io::Error::other)?;
    install_panic_hook();
    Ok(LogGuard { _file: guard })
}

/// Panics are logged (redacted) before the default hook prints them; the default hook's own message is
/// redacted too, so a crash report never carries a secret.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        let location = info.location().map(|l| l.to_string()).unwrap_or_default();
        tracing::error!(%location, "crash: {payload}");
        let msg = format!("Tapstand crashed at {location}: {payload}\n");
        let _ = io::stderr().write_all(tapstand_secrets::redact::redact(&msg).as_bytes());
    }));
}
