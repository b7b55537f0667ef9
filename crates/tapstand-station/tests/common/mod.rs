//! Shared setup: a real pcscd + vpcd + the virtual tag (`tapstand_vtag::rig`, one pcscd at a time), the
//! in-process fake WeChat, a real SQLite file with a profile, a device model and a store.
#![allow(dead_code)]

use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tapstand_fake_wechat::{FakeConfig, FakeWechat, DEMO_APPID, DEMO_MODEL_ID, DEMO_SECRET};
use tapstand_secrets::SecretString;
use tapstand_station::worker::{StationStatus, StationWorker};
use tapstand_station::{
    resolve_target, Station, StationEvent, StationOptions, Target, TargetChoice,
};
use tapstand_store::records::{DeviceModelInput, ProfileInput, StoreInput};
use tapstand_store::Db;
use tapstand_tag::{Pcsc, PcscTransport, TagSession};
use tapstand_wechat::{ClientConfig, RetryPolicy, SchemeService, WechatClient};

/// The shared pcscd + vpcd + virtual tag rig (`tapstand_vtag::rig`) with a PC/SC context of the engine's.
pub struct Rig {
    pub rig: tapstand_vtag::Rig,
    pub pcsc: Pcsc,
}

impl Rig {
    /// `None` (after printing why) when pcscd or vsmartcard-vpcd is not installed.
    pub fn start(test: &str) -> Option<Rig> {
        Some(Rig {
            rig: tapstand_vtag::Rig::start(test)?,
            pcsc: Pcsc::new(),
        })
    }

    /// A session on the tag, exactly as the app opens one (reader picked automatically).
    pub fn session(&mut self) -> TagSession<PcscTransport> {
        self.pcsc
            .open(None, Duration::from_secs(5))
            .expect("open session")
    }
}

impl std::ops::Deref for Rig {
    type Target = tapstand_vtag::Rig;
    fn deref(&self) -> &Self::Target {
        &self.rig
    }
}

impl std::ops::DerefMut for Rig {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.rig
    }
}

#[allow(unused_imports)]
pub use tapstand_vtag::rig::message_bytes;

pub struct Env {
    pub rt: tokio::runtime::Runtime,
    pub fake: FakeWechat,
    pub db: Db,
    pub schemes: Arc<SchemeService>,
    pub target: Target,
    pub store_id: i64,
    _dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (fake, db, schemes, target, store_id) = rt.block_on(async {
            let fake = FakeWechat::start(FakeConfig::demo()).await.expect("fake");
            let db = Db::open(&dir.path().join("tapstand.db")).await.expect("db");
            let cfg = ClientConfig {
                retry: RetryPolicy {
                    max_attempts: 3,
                    base_delay: Duration::from_millis(10),
                    max_delay: Duration::from_millis(40),
                },
                clock: fake.clock(),
                ..ClientConfig::default().with_base_url(fake.base_url())
            };
            let client = WechatClient::new(cfg, DEMO_APPID, &SecretString::new(DEMO_SECRET))
                .expect("client")
                .0;
            let schemes = Arc::new(SchemeService::new(Arc::new(client), db.clone()));
            let profile = tapstand_records::save_profile(
                &db,
                None,
                ProfileInput {
                    name: "会员中心".into(),
                    appid: DEMO_APPID.into(),
                    env_version: "release".into(),
                    page_path: "pages/member/card".into(),
                    query_template: "store={org_code}&sn={sn}".into(),
                    only_genuine: false,
                },
            )
            .await
            .expect("profile")
            .value;
            let model = tapstand_records::save_device_model(
                &db,
                None,
                DeviceModelInput {
                    profile_id: Some(profile.id),
                    model_id: Some(DEMO_MODEL_ID.into()),
                    model_name: "收银台立牌".into(),
                    link_type: "per_device".into(),
                    status: "approved".into(),
                    ..Default::default()
                },
            )
            .await
            .expect("model")
            .value;
            let store = tapstand_records::save_store(
                &db,
                None,
                StoreInput {
                    org_code: "1001".into(),
                    company: "示例公司".into(),
                    name: "南山店".into(),
                    address: String::new(),
                },
            )
            .await
            .expect("store")
            .value;
            let target =
                resolve_target(&db, &profile, &model, &TargetChoice::Store { id: store.id })
                    .await
                    .expect("target");
            (fake, db, schemes, target, store.id)
        });
        Env {
            rt,
            fake,
            db,
            schemes,
            target,
            store_id,
            _dir: dir,
        }
    }

    pub fn station(&self, opts: StationOptions) -> Station {
        Station::new(
            self.rt.handle().clone(),
            self.db.clone(),
            self.schemes.clone(),
            self.target.clone(),
            opts,
        )
    }

    /// One tap of the tag on the rig's reader with default options (`overwrite`: the merchant confirmed).
    pub fn tap(&self, rig: &mut Rig, overwrite: bool) -> tapstand_station::TapOutcome {
        let mut s = rig.session();
        self.station(StationOptions::default())
            .process_with(&mut s, "vpcd", overwrite)
    }

    /// generatenfcscheme calls the fake received for `sn`.
    pub fn generates_for(&self, sn: &str) -> usize {
        self.fake
            .calls(tapstand_fake_wechat::Endpoint::GenerateNfcScheme)
            .iter()
            .filter(|e| e.sn.as_deref() == Some(sn))
            .count()
    }

    pub fn generates(&self) -> usize {
        self.fake
            .calls(tapstand_fake_wechat::Endpoint::GenerateNfcScheme)
            .len()
    }
}

/// Polls the worker's status until `f` holds; fails the test after `within`.
pub fn wait_status(
    w: &StationWorker,
    what: &str,
    within: Duration,
    f: impl Fn(&StationStatus) -> bool,
) -> StationStatus {
    let deadline = Instant::now() + within;
    loop {
        let s = w.status();
        if f(&s) {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "no {what} within {within:?}: {s:#?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Takes events from the station until one satisfies `f`; fails the test after `within`.
pub fn wait_event(
    rx: &mpsc::Receiver<StationEvent>,
    what: &str,
    within: Duration,
    f: impl Fn(&StationEvent) -> bool,
) -> StationEvent {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Ok(e) = rx.recv_timeout(Duration::from_millis(50)) {
            if f(&e) {
                return e;
            }
        }
    }
    panic!("no {what} event within {within:?}");
}
