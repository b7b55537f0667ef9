//! 物料: what the desktop app and the CLI share to print stands for the merchant's stores.
//!
//! * which stores: [`resolve_stores`] (机构编号, exact name or `#id`; `--all` = every store not archived);
//! * each store's (or front-desk terminal's) mini-program code, in this order:
//!   1. an image the merchant imported for it ([`import_code`]; kept in the code cache under
//!      [`IMPORTED_PAGE`], so it wins over anything fetched),
//!   2. the cached `getwxacodeunlimit` image for the profile's page/env_version at width 1280,
//!   3. otherwise fetched with `getwxacodeunlimit` ([`CodePlan::fetch_missing`]) and put into the cache with
//!      its parameters, so the next export (and every preview) works offline;
//! * the per-store [`StandContent`] for `tapstand_print::export`, read from the cache one store at a time
//!   ([`load_content`]): a plan holds no image bytes, so an export of 10,000 stores does not hold 10,000
//!   codes in memory.
//!
//! A store whose code is neither cached nor fetchable (offline, no secret) is reported by name with what to do
//! ([`missing_codes_error`]); nothing is written in that case.

use std::collections::HashSet;
use std::ops::ControlFlow;

use serde::Serialize;
use tapstand_error::UserError;
use tapstand_print::StandContent;
use tapstand_store::records::{Profile, Store, Terminal};
use tapstand_store::wxacode::{sniff_mime, WxacodeKey};
use tapstand_store::Db;
use tapstand_wechat::{WechatClient, WechatError, WxaCodeRequest};

/// The `page` under which an imported code image is cached. WeChat page paths never contain `<`, so this
/// cannot collide with a fetched code; the width and env_version columns keep their usual values.
pub const IMPORTED_PAGE: &str = "<imported>";

/// The code width asked of WeChat for print (1280 px covers 108 mm at 300 ppi).
pub const PRINT_WIDTH: u32 = 1280;

/// One stand to print: a store, or a front-desk terminal of a store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandTarget {
    /// Row id of the store.
    pub store_row: i64,
    /// What labels the page and names the file: 机构编号, or `机构编号-终端号` for a terminal.
    pub label: String,
    /// 门店名称.
    pub name: String,
    /// The code's scene: `s=<机构编号>` or `s=<机构编号>&t=<终端号>` (≤ 32 characters).
    pub scene: String,
}

fn scene_error(what_zh: &str, what_en: &str, e: tapstand_print::scene::SceneError) -> UserError {
    let mut u: UserError = e.into();
    u.zh.message = format!("{what_zh}：{}", u.zh.message);
    u.en.message = format!("{what_en}: {}", u.en.message);
    u
}

impl StandTarget {
    pub fn store(s: &Store) -> Result<StandTarget, UserError> {
        let scene = tapstand_print::scene::store_scene(&s.org_code).map_err(|e| {
            scene_error(
                &format!("门店 {} {}", s.org_code, s.name),
                &format!("Store {} {}", s.org_code, s.name),
                e,
            )
        })?;
        Ok(StandTarget {
            store_row: s.id,
            label: s.org_code.clone(),
            name: s.name.clone(),
            scene,
        })
    }

    pub fn terminal(s: &Store, t: &Terminal) -> Result<StandTarget, UserError> {
        let scene =
            tapstand_print::scene::terminal_scene(&s.org_code, &t.terminal_no).map_err(|e| {
                scene_error(
                    &format!("门店 {} 终端 {}", s.org_code, t.terminal_no),
                    &format!("Store {} terminal {}", s.org_code, t.terminal_no),
                    e,
                )
            })?;
        Ok(StandTarget {
            store_row: s.id,
            label: format!("{}-{}", s.org_code, t.terminal_no),
            name: s.name.clone(),
            scene,
        })
    }

    fn describe_zh(&self) -> String {
        format!("{} {}", self.label, self.name).trim().to_string()
    }
}

/// The page for `getwxacodeunlimit`: the profile's page without a leading `/` ('' = home page).
pub fn code_page(profile: &Profile) -> String {
    profile.page_path.trim().trim_start_matches('/').to_string()
}

/// The cache key of the fetched code for `scene` under `profile`.
pub fn code_key(profile: &Profile, scene: &str) -> WxacodeKey {
    WxacodeKey {
        env_version: env_version(profile),
        ..WxacodeKey::for_print(&profile.appid, scene, &code_page(profile))
    }
}

/// The cache key of an imported code image for `scene`.
pub fn imported_key(profile: &Profile, scene: &str) -> WxacodeKey {
    WxacodeKey::for_print(&profile.appid, scene, IMPORTED_PAGE)
}

fn env_version(profile: &Profile) -> String {
    match profile.env_version.trim() {
        "" => "release".into(),
        v => v.into(),
    }
}

/// Where a store's code comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CodeStatus {
    /// The merchant imported an image for it.
    Imported,
    /// Fetched before; works offline.
    Cached,
    /// Must be fetched from WeChat (needs the network and the AppSecret).
    Missing,
}

/// Which scenes have a code, from one read of the cache (for lists of thousands of stores).
#[derive(Clone, Debug, Default)]
pub struct CodeIndex {
    imported: HashSet<String>,
    cached: HashSet<String>,
}

impl CodeIndex {
    pub async fn load(db: &Db, profile: &Profile) -> Result<CodeIndex, UserError> {
        let page = code_page(profile);
        let env = env_version(profile);
        let mut idx = CodeIndex::default();
        for c in db.wxacode_list(&profile.appid).await? {
            if c.width != PRINT_WIDTH || c.is_hyaline {
                continue;
            }
            if c.page == IMPORTED_PAGE {
                idx.imported.insert(c.scene);
            } else if c.page == page && c.env_version == env {
                idx.cached.insert(c.scene);
            }
        }
        Ok(idx)
    }

    pub fn status(&self, scene: &str) -> CodeStatus {
        if self.imported.contains(scene) {
            CodeStatus::Imported
        } else if self.cached.contains(scene) {
            CodeStatus::Cached
        } else {
            CodeStatus::Missing
        }
    }
}

/// The code image for `scene` without any network: the imported one first, then the fetched one.
pub async fn cached_code(
    db: &Db,
    profile: &Profile,
    scene: &str,
) -> Result<Option<(Vec<u8>, CodeStatus)>, UserError> {
    if let Some(c) = db.wxacode_get(&imported_key(profile, scene)).await? {
        return Ok(Some((c.bytes, CodeStatus::Imported)));
    }
    if let Some(c) = db.wxacode_get(&code_key(profile, scene)).await? {
        return Ok(Some((c.bytes, CodeStatus::Cached)));
    }
    Ok(None)
}

/// Fetches the code with `getwxacodeunlimit` (width 1280, the profile's page and env_version) and caches it.
pub async fn fetch_code(
    db: &Db,
    client: &WechatClient,
    profile: &Profile,
    target: &StandTarget,
) -> Result<Vec<u8>, UserError> {
    let key = code_key(profile, &target.scene);
    let page = (!key.page.is_empty()).then(|| key.page.clone());
    let req = WxaCodeRequest {
        // An unpublished trial/develop version has no released pages to check against.
        check_path: key.env_version == "release",
        env_version: key.env_version.clone(),
        width: PRINT_WIDTH,
        ..WxaCodeRequest::new(target.scene.clone(), page)
    };
    let image = client
        .get_wxacode_unlimit(&req)
        .await
        .map_err(|e| fetch_error(target, e))?;
    db.wxacode_put(&key, &image.bytes, client.now_ms()).await?;
    tracing::info!(scene = %target.scene, bytes = image.bytes.len(), "mini-program code fetched and cached");
    Ok(image.bytes)
}

fn fetch_error(target: &StandTarget, e: WechatError) -> UserError {
    if matches!(e, WechatError::Transport { .. }) {
        let detail = e.to_string();
        return missing_codes_error(&[target], true).with_detail(detail);
    }
    let mut u: UserError = e.into();
    u.zh.message = format!(
        "获取门店 {} 的小程序码失败：{}",
        target.describe_zh(),
        u.zh.message
    );
    u.en.message = format!(
        "Fetching the code of store {} failed: {}",
        target.describe_zh(),
        u.en.message
    );
    u
}

/// The WeChat client to fetch `plan`'s missing codes with. Without a saved AppSecret the error names the
/// stores that lack a code and what to do (import their codes or save the secret), not only "no secret".
pub fn client_for_missing<C>(
    plan: &CodePlan,
    client: Result<C, UserError>,
) -> Result<C, UserError> {
    client.map_err(|e| {
        if e.code == "secret.missing" {
            missing_codes_error(&plan.missing(), false).with_detail(e.en.message)
        } else {
            e
        }
    })
}

/// The error for stores whose code is not cached and cannot be fetched now (`offline`: no network; else no
/// AppSecret / no client).
pub fn missing_codes_error(missing: &[&StandTarget], offline: bool) -> UserError {
    let names: Vec<String> = missing.iter().take(5).map(|t| t.describe_zh()).collect();
    let mut list = names.join("、");
    if missing.len() > names.len() {
        list.push_str(&format!(" 等 {} 家", missing.len()));
    }
    let mut list_en = names.join(", ");
    if missing.len() > names.len() {
        list_en.push_str(&format!(" and {} more", missing.len() - names.len()));
    }
    let (why_zh, why_en) = if offline {
        ("现在无法连接微信", "WeChat cannot be reached now")
    } else {
        (
            "还没有保存小程序密钥，无法向微信获取",
            "no AppSecret is saved to fetch it from WeChat",
        )
    };
    UserError::new(
        "print.code_missing",
        (
            &format!("门店 {list} 的小程序码还没有获取过，{why_zh}，没有导出任何文件。"),
            if offline {
                "请联网后重试（获取一次后会保存在本机，以后离线也能导出），或为这些门店导入小程序码图片。"
            } else {
                "请在“凭据”里保存小程序密钥后重试，或为这些门店导入小程序码图片。"
            },
        ),
        (
            &format!("The mini-program code of store {list_en} was never fetched and {why_en}; no file was written."),
            if offline {
                "Connect to the internet and try again (a fetched code is kept on this computer, so later exports work offline), or import a code image for these stores."
            } else {
                "Save the AppSecret under Credentials and try again, or import a code image for these stores."
            },
        ),
    )
}

/// Keeps an image the merchant supplies (PNG or JPEG, e.g. downloaded from the WeChat admin console) as the
/// code of `target`; it is used instead of fetching.
pub async fn import_code(
    db: &Db,
    profile: &Profile,
    target: &StandTarget,
    bytes: &[u8],
) -> Result<(), UserError> {
    let bad = |detail: String| {
        UserError::new(
            "print.import_code",
            (
                &format!("门店 {} 的小程序码图片无法使用。", target.describe_zh()),
                "请选择 PNG 或 JPEG 格式的小程序码图片（建议边长 1280 像素）。",
            ),
            (
                &format!(
                    "The code image for store {} cannot be used.",
                    target.describe_zh()
                ),
                "Choose a PNG or JPEG image of the code (1280 px wide is best).",
            ),
        )
        .with_detail(detail)
    };
    if sniff_mime(bytes).is_none() {
        return Err(bad(format!("{} bytes, not PNG or JPEG", bytes.len())));
    }
    tapstand_print::raster::probe(bytes, tapstand_print::error::ImageRole::Code)
        .map_err(|e| bad(e.to_string()))?;
    db.wxacode_put(&imported_key(profile, &target.scene), bytes, now_ms())
        .await
        .map_err(UserError::from)?;
    Ok(())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Finds stores by the rules of [`tapstand_records::lookup`] (机构编号, exact 门店名称, `#<row id>`); `all` =
/// every store not archived (in 机构编号 order). Unknown or ambiguous names are an error that names them.
pub async fn resolve_stores(
    db: &Db,
    selectors: &[String],
    all: bool,
) -> Result<Vec<Store>, UserError> {
    let active = db.list_stores("", false).await?;
    if all {
        if active.is_empty() {
            return Err(no_stores());
        }
        return Ok(active);
    }
    let every = db.list_stores("", true).await?;
    let mut out: Vec<Store> = Vec::new();
    for sel in selectors {
        let one = tapstand_records::lookup::store_in(&every, sel)?;
        if !out.iter().any(|o| o.id == one.id) {
            out.push(one.clone());
        }
    }
    if out.is_empty() {
        return Err(no_stores());
    }
    Ok(out)
}

fn no_stores() -> UserError {
    UserError::new(
        "print.no_stores",
        (
            "没有可导出的门店。",
            "请先在“门店与前台”里添加或导入门店，再选择要导出的门店。",
        ),
        (
            "There are no stores to export.",
            "Add or import stores under Stores first, then choose the stores to export.",
        ),
    )
}

/// One stand of an export and where its code comes from (the image itself stays in the cache).
#[derive(Clone, Debug)]
pub struct Planned {
    pub target: StandTarget,
    pub source: CodeStatus,
}

/// The stands of an export and where each code comes from; [`CodePlan::fetch_missing`] fills the gaps.
#[derive(Clone, Debug, Default)]
pub struct CodePlan {
    pub items: Vec<Planned>,
    /// How many codes were fetched from WeChat by this plan.
    pub fetched: u32,
}

impl CodePlan {
    /// Looks every target up in the cache (one query, no image read, no network).
    pub async fn new(
        db: &Db,
        profile: &Profile,
        targets: Vec<StandTarget>,
    ) -> Result<CodePlan, UserError> {
        let index = CodeIndex::load(db, profile).await?;
        let items = targets
            .into_iter()
            .map(|target| Planned {
                source: index.status(&target.scene),
                target,
            })
            .collect();
        Ok(CodePlan { items, fetched: 0 })
    }

    pub fn missing(&self) -> Vec<&StandTarget> {
        self.items
            .iter()
            .filter(|p| p.source == CodeStatus::Missing)
            .map(|p| &p.target)
            .collect()
    }

    /// Fetches every missing code (one `getwxacodeunlimit` each) and caches it. `progress(done, total, target)`
    /// after each; `Break` cancels (codes fetched so far stay cached).
    pub async fn fetch_missing(
        &mut self,
        db: &Db,
        client: &WechatClient,
        profile: &Profile,
        progress: &mut (dyn FnMut(u32, u32, &StandTarget) -> ControlFlow<()> + Send),
    ) -> Result<(), UserError> {
        let total = self.missing().len() as u32;
        let mut done = 0;
        for item in self
            .items
            .iter_mut()
            .filter(|p| p.source == CodeStatus::Missing)
        {
            // Cached by fetch_code; read again when its page is drawn.
            fetch_code(db, client, profile, &item.target).await?;
            item.source = CodeStatus::Cached;
            self.fetched += 1;
            done += 1;
            if progress(done, total, &item.target).is_break() {
                return Err(cancelled());
            }
        }
        Ok(())
    }

    /// The stands to print, once every code is at hand; fails (naming the stores) while a code is missing.
    /// Their contents come from [`load_content`], one at a time.
    pub fn into_targets(self, offline: bool) -> Result<Vec<StandTarget>, UserError> {
        let missing = self.missing();
        if !missing.is_empty() {
            return Err(missing_codes_error(&missing, offline));
        }
        Ok(self.items.into_iter().map(|p| p.target).collect())
    }
}

/// One stand's content for the print engine, its code read from the cache now (imported first, then fetched).
/// A code that is gone since the plan was made (the cache was cleared) is reported like a missing one.
pub async fn load_content(
    db: &Db,
    profile: &Profile,
    target: &StandTarget,
) -> Result<StandContent, UserError> {
    let Some((code_image, _)) = cached_code(db, profile, &target.scene).await? else {
        return Err(missing_codes_error(&[target], true));
    };
    Ok(StandContent {
        id: target.label.clone(),
        store_name: Some(target.name.clone()),
        code_image,
    })
}

pub fn cancelled() -> UserError {
    tapstand_print::PrintError::Cancelled.into()
}

/// A stand-in code for the live preview of a store whose code is not fetched yet: a grey disc (1280 px, so
/// the preview's resolution figures are those of a real code) that cannot be mistaken for a real one.
pub fn sample_code_png() -> Vec<u8> {
    let w = PRINT_WIDTH;
    let c = w as f32 / 2.0;
    let img = image::GrayImage::from_fn(w, w, |x, y| {
        let (dx, dy) = (x as f32 + 0.5 - c, y as f32 + 0.5 - c);
        let r = (dx * dx + dy * dy).sqrt() / c;
        let ring = ((r * 14.0).fract() < 0.5) as u8;
        image::Luma([if r > 0.98 {
            255
        } else if r < 0.3 {
            if r > 0.26 {
                150
            } else {
                235
            }
        } else {
            200 + ring * 25
        }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encoding a PNG in memory");
    out.into_inner()
}
