//! Printing results and errors the same way for every command.

use serde::Serialize;
use tapstand_core::UserError;

/// Prints `value` as pretty JSON.
pub fn json<T: Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("serializable")
    );
}

/// Prints one JSON object on one line (streams of results, e.g. one line per tag).
#[allow(dead_code)]
pub fn json_line<T: Serialize>(value: &T) {
    println!("{}", serde_json::to_string(value).expect("serializable"));
}

/// Prints the error (JSON on stdout with `--json`, text on stderr otherwise) and exits with status 1.
pub fn fail(json_mode: bool, e: &UserError) -> ! {
    if json_mode {
        println!("{}", serde_json::json!({ "error": e }));
    } else {
        eprintln!("{}", e.to_text());
    }
    std::process::exit(1)
}

/// The first line of a secret: typed at a terminal without echo (after `prompt`, on stderr), or the first
/// line of piped stdin. Registered for log redaction at once (`SecretString`).
pub fn read_secret_line(prompt: &str) -> Result<tapstand_secrets::SecretString, UserError> {
    use std::io::{IsTerminal, Read};
    let line = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt)
            .map_err(|e| UserError::internal(format!("reading the terminal: {e}")))?
    } else {
        let mut input = String::new();
        std::io::stdin()
            .read_to_string(&mut input)
            .map_err(|e| UserError::internal(format!("reading stdin: {e}")))?;
        input.lines().next().unwrap_or("").to_string()
    };
    Ok(tapstand_secrets::SecretString::new(line.trim().to_string()))
}
