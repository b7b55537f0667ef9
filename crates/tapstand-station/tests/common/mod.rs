//! Shared setup: a real pcscd + vpcd + the virtual tag (the same file lock as the tag tests), the
//! in-process fake WeChat, a real SQLite file with a profile, a device model and a store.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use tapstand_fake_wechat::{FakeConfig, FakeWechat, DEMO_APPID, DEMO_MODEL_ID, DEMO_SECRET};
use tapstand_secrets::SecretString;
use tapstand_station::{resolve_target, Station, StationOptions, Target, TargetChoice};
use tapstand_store::records::{DeviceModelInput, ProfileInput, StoreInput};
use tapstand_store::Db;
use tapstand_tag::ndef::t2t::decode_image;
use tapstand_tag::{Pcsc, PcscTransport, TagSession};
use tapstand_vtag::pcscd::{pcscd_or_skip, Pcscd};
use tapstand_vtag::{TagState, VirtualTag, VPCD_PORT, VPCD_READER};
use tapstand_wechat::{ClientConfig, RetryPolicy, SchemeService, WechatClient};

pub struct Rig {
    pub pcscd: Pcscd,
    pub vt: VirtualTag,
    pub pcsc: Pcsc,
    inserted_at: Option<u32>,
}

impl Rig {
    pub fn start(test: &str) -> Option<Rig> {
        let pcscd = pcscd_or_skip(test)?;
        let vt = VirtualTag::start(VPCD_PORT);
        Some(Rig {
            pcscd,
            vt,
            pcsc: Pcsc::new(),
            inserted_at: None,
        })
    }

    fn state(&mut self) -> (bool, bool, u32) {
        self.pcsc
            .readers()
            .ok()
            .and_then(|rs| rs.into_iter().find(|r| r.name == VPCD_READER))
            .map(|r| (r.tag_present, r.empty, r.event_count))
            .unwrap_or((false, false, 0))
    }

    fn wait(&mut self, want_present: bool, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            let (present, empty, count) = self.state();
            if want_present && present {
                self.inserted_at = Some(count);
                return true;
            }
            if !want_present && empty && self.inserted_at.is_none_or(|c| c != count) {
                self.inserted_at = None;
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    pub fn take_away(&mut self) {
        self.vt.remove();
        assert!(
            self.wait(false, Duration::from_secs(5)),
            "pcscd did not notice the tag leaving"
        );
    }

    pub fn put(&mut self, tag: TagState) {
        self.take_away();
        self.vt.insert(tag);
        assert!(
            self.vt.wait_connected(Duration::from_secs(5)),
            "vtag could not reach vpcd"
        );
        assert!(
            self.wait(true, Duration::from_secs(5)),
            "pcscd did not report the tag"
        );
    }

    pub fn session(&mut self) -> TagSession<PcscTransport> {
        self.pcsc
            .open(None, Duration::from_secs(5))
            .expect("open session")
    }

    pub fn memory(&self) -> Vec<u8> {
        self.vt.tag().expect("a tag").mem
    }
}

/// The NDEF message bytes on a tag image (None: not a complete valid message).
pub fn message_bytes(mem: &[u8]) -> Option<Vec<u8>> {
    let d = decode_image(mem);
    match (d.message_bytes, d.message) {
        (Some(b), Some(Ok(_))) => Some(b),
        _ => None,
    }
}

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
