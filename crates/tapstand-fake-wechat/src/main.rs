//! `tapstand-fake-wechat --port N [--config FILE]`: the fake WeChat API on 127.0.0.1, for demos and the
//! end-to-end tests. Prints one JSON line (`base_url`, demo app and models) once it listens.

use std::net::SocketAddr;

use clap::Parser;
use tapstand_fake_wechat::{
    FakeConfig, FakeWechat, DEMO_APPID, DEMO_MODEL_ID, DEMO_MODEL_ID_PER_MODEL,
};

#[derive(Parser, Debug)]
#[command(
    name = "tapstand-fake-wechat",
    about = "A local fake of the WeChat mini-program APIs (loopback only)"
)]
struct Args {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// A JSON FakeConfig (apps, models, client_ip, limits, …). Default: one demo mini program.
    #[arg(long)]
    config: Option<std::path::PathBuf>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse();
    let config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
                eprintln!("cannot read {}: {e}", path.display());
                std::process::exit(2)
            });
            serde_json::from_str::<FakeConfig>(&text).unwrap_or_else(|e| {
                eprintln!("{}: not a fake configuration: {e}", path.display());
                std::process::exit(2)
            })
        }
        None => FakeConfig::demo(),
    };
    let demo = args.config.is_none();
    let fake = match FakeWechat::bind(SocketAddr::from(([127, 0, 0, 1], args.port)), config).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cannot listen on 127.0.0.1:{}: {e}", args.port);
            std::process::exit(1)
        }
    };
    let mut line = serde_json::json!({ "base_url": fake.base_url() });
    if demo {
        line["appid"] = DEMO_APPID.into();
        line["model_id"] = DEMO_MODEL_ID.into();
        line["model_id_per_model"] = DEMO_MODEL_ID_PER_MODEL.into();
    }
    println!("{line}");
    let _ = tokio::signal::ctrl_c().await;
    fake.shutdown().await;
}
