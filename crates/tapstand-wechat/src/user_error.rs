//! How WeChat errors read to the merchant: Chinese first, plain words, and what to do next.

use tapstand_error::UserError;

use crate::error::*;
use crate::validate::ValidationError;

/// The admin console path of the API IP whitelist (reference §1.4).
pub const IP_WHITELIST_PATH_ZH: &str =
    "微信公众平台（mp.weixin.qq.com）→ 开发管理 → 开发设置 → 开发者 ID → IP白名单";
pub const IP_WHITELIST_PATH_EN: &str =
    "WeChat Official Accounts Platform (mp.weixin.qq.com) → Development management → Development settings → Developer ID → IP whitelist";
const SECRET_PATH_ZH: &str = "微信公众平台（mp.weixin.qq.com）→ 开发管理 → 开发设置 → 开发者 ID";
const SECRET_PATH_EN: &str =
    "WeChat Official Accounts Platform (mp.weixin.qq.com) → Development management → Development settings → Developer ID";
const DEVICE_PATH_ZH: &str = "小程序后台 → 功能 → 硬件设备 → 设备管理";
const DEVICE_PATH_EN: &str = "mini program admin → Features → Hardware devices → Device management";

fn ue(code: &str, zh: (&str, &str), en: (&str, &str)) -> UserError {
    UserError::new(code, zh, en)
}

impl From<ValidationError> for UserError {
    fn from(e: ValidationError) -> UserError {
        use ValidationError as V;
        let detail = e.to_string();
        let u = match &e {
            V::AppIdEmpty => ue(
                "wechat.input.appid",
                ("请填写 AppID。", &format!("在{SECRET_PATH_ZH}中复制 AppID。")),
                ("Enter the AppID.", &format!("Copy it from {SECRET_PATH_EN}.")),
            ),
            V::SecretEmpty => ue(
                "wechat.input.secret",
                ("请填写小程序密钥（AppSecret）。", &format!("在{SECRET_PATH_ZH}中生成或重置 AppSecret 后粘贴。")),
                ("Enter the AppSecret.", &format!("Generate or reset it in {SECRET_PATH_EN} and paste it.")),
            ),
            V::ModelIdEmpty => ue(
                "wechat.input.model_id",
                ("请填写设备 model_id。", &format!("在{DEVICE_PATH_ZH}中复制设备的 model_id。")),
                ("Enter the device model_id.", &format!("Copy it from the {DEVICE_PATH_EN}.")),
            ),
            V::SnEmpty | V::SnTooLong { .. } | V::SnInvalidChar { .. } => ue(
                "wechat.input.sn",
                (
                    "标签编号（sn）不符合要求。",
                    "sn 只能包含英文字母、数字、下划线 _ 和连字符 -，长度 1–128。请换一个编号。",
                ),
                (
                    "The tag number (sn) is not valid.",
                    "Use only letters, digits, _ and -, 1 to 128 characters long.",
                ),
            ),
            V::PathHasQuery | V::PathInvalidChar { .. } => ue(
                "wechat.input.path",
                (
                    "跳转页面路径不正确：不能带“?”参数或空格。",
                    "页面路径只写页面本身（例如 pages/member/card），参数请写在 query 中（例如 store=001）。",
                ),
                (
                    "The page path is not valid: no '?' parameters or spaces.",
                    "Give the page only (e.g. pages/member/card) and put parameters in the query (e.g. store=001).",
                ),
            ),
            V::QueryTooLong { .. } | V::QueryInvalidChar { .. } | V::QueryFormat { .. } => ue(
                "wechat.input.query",
                (
                    "跳转参数（query）不正确。",
                    "格式为 key=value&key2=value2，最长 1024 个字符；中文和空格等字符需先做 URL 编码（例如 %E4%B8%AD）。",
                ),
                (
                    "The query is not valid.",
                    "Use key=value&key2=value2, at most 1024 characters; percent-encode Chinese text, spaces and other characters.",
                ),
            ),
            V::SceneEmpty | V::SceneTooLong { .. } | V::SceneInvalidChar { .. } => ue(
                "wechat.input.scene",
                (
                    "小程序码的 scene 参数不正确。",
                    "scene 长度 1–32，只能用字母、数字和 !#$&'()*+,/:;=?@-._~，不能有 % 和中文（中文请换成编号）。",
                ),
                (
                    "The 小程序码 scene is not valid.",
                    "1 to 32 characters: letters, digits and !#$&'()*+,/:;=?@-._~ only; no % and no Chinese text (use an id instead).",
                ),
            ),
            V::PageLeadingSlash | V::PageHasQuery | V::PageReserved | V::PageInvalidChar { .. } => ue(
                "wechat.input.page",
                (
                    "小程序码的页面路径不正确。",
                    "页面路径不要以 / 开头、不要带“?”参数，也不能包含 scancode_time，例如 pages/index/index。",
                ),
                (
                    "The 小程序码 page is not valid.",
                    "No leading '/', no '?' parameters and no scancode_time, e.g. pages/index/index.",
                ),
            ),
            V::EnvVersion { .. } => ue(
                "wechat.input.env_version",
                ("小程序版本（env_version）不正确。", "只能是 release（正式版）、trial（体验版）或 develop（开发版）。"),
                ("The version (env_version) is not valid.", "Use release, trial or develop."),
            ),
            V::Width { .. } => ue(
                "wechat.input.width",
                ("小程序码尺寸不正确。", "宽度须在 280 到 1280 像素之间；印刷请用 1280。"),
                ("The code size is not valid.", "The width must be 280 to 1280 px; use 1280 for print."),
            ),
        };
        u.with_detail(detail)
    }
}

fn api_user_error(e: &ApiError) -> UserError {
    use ApiErrorKind as K;
    let c = e.errcode;
    match &e.kind {
        K::Common(code) => match code {
            CommonCode::SystemBusy => ue(
                "wechat.busy",
                ("微信系统繁忙（-1），自动重试后仍未成功。", "请过几分钟再试。"),
                ("WeChat is busy (-1); automatic retries did not succeed.", "Try again in a few minutes."),
            ),
            CommonCode::TokenInvalid | CommonCode::TokenMalformed | CommonCode::TokenExpired | CommonCode::TokenMissing => ue(
                "wechat.token_refused",
                (
                    &format!("微信拒绝了访问令牌（{c}），重新获取后仍被拒绝。"),
                    "可能有其他程序在强制刷新令牌。请稍后重试；如果反复出现，请检查商户自己的服务器是否频繁强制刷新 access_token（force_refresh）。",
                ),
                (
                    &format!("WeChat refused the access token ({c}), also after fetching it again."),
                    "Another program may be force-refreshing the token. Try again later; if it keeps happening, check whether the merchant's own server force-refreshes access_token.",
                ),
            ),
            CommonCode::PerSecondLimit => ue(
                "wechat.rate.second",
                ("调用太频繁（超过每秒上限，44990），自动重试后仍未成功。", "请稍等几秒再试。"),
                ("Too many calls per second (44990); automatic retries did not succeed.", "Wait a few seconds and try again."),
            ),
            CommonCode::PerMinuteLimit => ue(
                "wechat.rate.minute",
                ("调用太频繁（超过每分钟上限，45011）。", "请一分钟后再试。"),
                ("Too many calls per minute (45011).", "Try again in a minute."),
            ),
            CommonCode::BadRequestFormat | CommonCode::EscapedCharacters => ue(
                "wechat.request_format",
                (&format!("微信拒绝了请求格式（{c}）。"), "这是程序问题，请联系技术支持并提供日志。"),
                (&format!("WeChat refused the request format ({c})."), "This is a Tapstand problem: contact support with the log folder."),
            ),
            CommonCode::ApiUnauthorized => ue(
                "wechat.unauthorized",
                (
                    "该小程序没有调用此接口的权限（48001）。",
                    "请确认小程序已完成微信认证并开通了相应能力；如果之前一直正常，可能是微信偶发问题，请稍后重试。",
                ),
                (
                    "The mini program may not call this API (48001).",
                    "Check that the mini program is verified and has the capability; if it worked before, this is often transient: try again later.",
                ),
            ),
            CommonCode::Other => ue(
                "wechat.other",
                (&format!("微信返回错误 {c}。"), "请稍后重试；如果仍然出错，请联系技术支持，并提供错误码和详情中的 rid。"),
                (&format!("WeChat answered error {c}."), "Try again later; if it persists, contact support with the code and the rid in the detail."),
            ),
        },
        K::Token(code) => match code {
            TokenCode::InvalidCredential | TokenCode::WrongSecret => ue(
                "wechat.token.wrong_secret",
                (
                    &format!("小程序密钥（AppSecret）不正确（{c}）。"),
                    &format!("请在{SECRET_PATH_ZH}中核对或重置 AppSecret，完整复制后重新填入（不要带空格）。注意：重置后商户自己的服务器也要换成新密钥。"),
                ),
                (
                    &format!("The AppSecret is wrong ({c})."),
                    &format!("Check or reset it in {SECRET_PATH_EN} and paste it again without spaces. After a reset, the merchant's own server needs the new secret too."),
                ),
            ),
            TokenCode::InvalidAppId => ue(
                "wechat.token.invalid_appid",
                ("AppID 无效（40013）。", &format!("请在{SECRET_PATH_ZH}中复制 AppID，注意大小写，不要带空格或其他字符。")),
                ("The AppID is not valid (40013).", &format!("Copy it from {SECRET_PATH_EN}; mind the case and do not add spaces.")),
            ),
            TokenCode::IpNotWhitelisted { ip } => {
                let ip = ip.as_deref();
                let zh_ip = ip.map_or("本机的公网 IP".to_string(), |ip| format!("本机的公网 IP {ip}"));
                let en_ip = ip.map_or("This computer's public IP".to_string(), |ip| format!("This computer's public IP {ip}"));
                let add = ip.unwrap_or("微信提示的 IP");
                let add_en = ip.unwrap_or("the IP WeChat reports");
                ue(
                    "wechat.token.ip_not_whitelisted",
                    (
                        &format!("{zh_ip} 不在小程序的 API IP 白名单中（40164）。"),
                        &format!("请登录{IP_WHITELIST_PATH_ZH}，添加 {add}（最多 10 条，可写网段如 1.2.3.*），保存后重试。门店宽带的公网 IP 可能会变，变了需要重新添加；也可以关闭 IP 白名单。"),
                    ),
                    (
                        &format!("{en_ip} is not on the mini program's API IP whitelist (40164)."),
                        &format!("Sign in to {IP_WHITELIST_PATH_EN}, add {add_en} (up to 10 entries; ranges like 1.2.3.* work), save and try again. Shop broadband IPs can change; or switch the whitelist off."),
                    ),
                )
            }
            TokenCode::SecretFrozen => ue(
                "wechat.token.secret_frozen",
                (
                    "小程序密钥（AppSecret）已被冻结（40243）。",
                    &format!("请在{SECRET_PATH_ZH}中解冻 AppSecret，约 10 分钟后生效，然后再点“测试连接”。"),
                ),
                (
                    "The AppSecret is frozen (40243).",
                    &format!("Unfreeze it in {SECRET_PATH_EN}; it takes about 10 minutes to apply, then test the connection again."),
                ),
            ),
            TokenCode::AppIdMissing | TokenCode::SecretMissing | TokenCode::InvalidGrantType | TokenCode::RequirePost => ue(
                "wechat.token.request",
                (&format!("获取访问令牌的请求不完整（{c}）。"), "请确认已填写 AppID 和小程序密钥；如果已填写，请联系技术支持并提供日志。"),
                (&format!("The token request was incomplete ({c})."), "Check that the AppID and AppSecret are filled in; if they are, contact support with the log folder."),
            ),
            TokenCode::DailyQuota => ue(
                "wechat.token.daily_quota",
                (
                    "今天获取访问令牌的次数已达上限（45009）。",
                    "请明天再试；急需时可由管理员调用微信的 clear_quota 接口重置（每月限 10 次）。",
                ),
                ("Today's access-token quota is used up (45009).", "Try again tomorrow; an admin can reset it with WeChat's clear_quota (10 times a month)."),
            ),
            TokenCode::TokenApiForbidden => ue(
                "wechat.token.forbidden",
                ("该小程序被禁止使用令牌接口（50004）。", "请登录微信公众平台查看账号状态或通知，必要时联系微信客服。"),
                ("This mini program may not use the token API (50004).", "Check the account status and notices on the WeChat platform; contact WeChat support if needed."),
            ),
            TokenCode::AccountFrozen => ue(
                "wechat.token.account_frozen",
                ("小程序账号已被冻结（50007）。", "请登录微信公众平台查看冻结原因，并按提示解冻。"),
                ("The mini program account is frozen (50007).", "Sign in to the WeChat platform to see why and follow the unfreeze steps."),
            ),
            TokenCode::AdminConfirmationPending => ue(
                "wechat.token.admin_confirm",
                (
                    "此次调用需要小程序管理员确认（89503）。",
                    &format!("请管理员在微信中查看确认消息并允许本机 IP，然后重试。以后可在{IP_WHITELIST_PATH_ZH}中加入本机 IP，免去确认。"),
                ),
                (
                    "This call needs the mini program admin's confirmation (89503).",
                    &format!("Ask the admin to allow this IP in the WeChat message, then retry. Adding the IP in {IP_WHITELIST_PATH_EN} avoids this."),
                ),
            ),
            TokenCode::IpRefusedForADay | TokenCode::IpRefusedForAnHour => {
                let (zh_wait, en_wait) = if *code == TokenCode::IpRefusedForADay { ("24 小时", "24 hours") } else { ("1 小时", "1 hour") };
                ue(
                    "wechat.token.ip_refused",
                    (
                        &format!("管理员拒绝了本机 IP 的调用（{c}）。"),
                        &format!("请 {zh_wait} 后再试，或请管理员在{IP_WHITELIST_PATH_ZH}中加入本机 IP。"),
                    ),
                    (
                        &format!("The admin refused calls from this IP ({c})."),
                        &format!("Try again in {en_wait}, or ask the admin to add this IP in {IP_WHITELIST_PATH_EN}."),
                    ),
                )
            }
        },
        K::Nfc(code) => match code {
            NfcCode::NoPermission => ue(
                "wechat.nfc.no_permission",
                (
                    "暂无生成 NFC 链接的权限（40002）。",
                    &format!("需要非个人主体的小程序，并为设备申请“NFC 标签调起小程序”能力：{DEVICE_PATH_ZH} → 申请设备能力。"),
                ),
                (
                    "No permission to generate NFC links (40002).",
                    &format!("It needs a non-personal mini program with the \"NFC tag opens mini program\" capability: {DEVICE_PATH_EN} → apply for device capability."),
                ),
            ),
            NfcCode::PermissionBanned => ue(
                "wechat.nfc.banned",
                ("该小程序生成 NFC 链接的权限已被封禁（40013）。", "请登录小程序后台查看通知，必要时联系微信客服。"),
                ("NFC link generation is banned for this mini program (40013).", "Check the notices in the mini program admin; contact WeChat support if needed."),
            ),
            NfcCode::InvalidPath => ue(
                "wechat.nfc.invalid_path",
                (
                    "跳转页面在小程序线上版本中不存在（40165）。",
                    "请填写已发布版本中存在的页面（例如 pages/member/card），不要带“?”参数；新页面要先发布小程序。",
                ),
                (
                    "The page does not exist in the published mini program (40165).",
                    "Use a page of the published version (e.g. pages/member/card), without '?' parameters; publish new pages first.",
                ),
            ),
            NfcCode::InvalidQuery => ue(
                "wechat.nfc.invalid_query",
                ("跳转参数（query）格式不正确（40212）。", "格式为 key=value&key2=value2，最长 1024 个字符，中文等字符需先做 URL 编码。"),
                ("The query is not valid (40212).", "Use key=value&key2=value2, at most 1024 characters; percent-encode Chinese text."),
            ),
            NfcCode::DailyLimit => ue(
                "wechat.nfc.daily_limit",
                ("今天生成 Scheme/URL Link 的数量已达上限（每天 50 万个，44993）。", "请明天再继续；已写好的标签不受影响。"),
                ("Today's Scheme/URL Link limit is reached (500,000 a day, 44993).", "Continue tomorrow; tags already written keep working."),
            ),
            NfcCode::NotPublished => ue(
                "wechat.nfc.not_published",
                ("小程序还没有发布线上版本（85079）。", "请先在微信公众平台提交审核并发布小程序，再生成 NFC 链接。"),
                ("The mini program has no published release (85079).", "Submit it for review and publish it on the WeChat platform first."),
            ),
            NfcCode::LifetimeQuota => ue(
                "wechat.nfc.lifetime_quota",
                (
                    "该小程序可生成的长期有效 NFC 链接已用完（共 10 万个，85400）。",
                    "无法再为新标签生成链接；已写好的标签仍然有效。立牌的标签坏了或丢了，用“检查 → 换标签”把原链接写到新标签上，不需要新链接；其他情况请联系微信官方咨询。",
                ),
                (
                    "The mini program's lifetime quota of permanent NFC links is used up (100,000, 85400).",
                    "No new links can be generated; written tags keep working. A stand whose tag broke or was lost keeps its link with 检查 → 换标签 (replace), which needs no new link; otherwise contact WeChat.",
                ),
            ),
            NfcCode::InvalidEnvVersion => ue(
                "wechat.nfc.invalid_env_version",
                ("小程序版本（env_version）不正确（85402）。", "只能是 release（正式版）、trial（体验版）或 develop（开发版）。"),
                ("The version (env_version) is not valid (85402).", "Use release, trial or develop."),
            ),
            NfcCode::SnTooLong | NfcCode::SnInvalid => ue(
                "wechat.nfc.invalid_sn",
                (&format!("微信不接受这个标签编号（sn，{c}）。"), "sn 只能包含英文字母、数字、_ 和 -，最长 128 字节。"),
                (&format!("WeChat does not accept this tag number (sn, {c})."), "Use only letters, digits, _ and -, at most 128 bytes."),
            ),
            NfcCode::ModelIdRejected => ue(
                "wechat.nfc.model_id_rejected",
                (
                    "设备 model_id 校验不通过（9800003）。",
                    &format!("请在{DEVICE_PATH_ZH}中复制 model_id，并确认这个设备登记在当前 AppID 的小程序下。"),
                ),
                (
                    "The device model_id was rejected (9800003).",
                    &format!("Copy the model_id from the {DEVICE_PATH_EN} and check the device is registered under this AppID."),
                ),
            ),
            NfcCode::CapabilityMissing => ue(
                "wechat.nfc.capability_missing",
                (
                    "这个设备型号还没有“NFC 标签调起小程序”能力（9800007）。",
                    &format!("在{DEVICE_PATH_ZH}中点“申请设备能力”，选择“NFC 标签调起小程序”（一机一码），审核通过后再试。"),
                ),
                (
                    "This device model does not have the \"NFC tag opens mini program\" capability yet (9800007).",
                    &format!("In the {DEVICE_PATH_EN}, apply for device capability, choose \"NFC tag opens mini program\" (one code per device), and retry once approved."),
                ),
            ),
            NfcCode::SnRequired => ue(
                "wechat.nfc.sn_required",
                (
                    "这个设备型号的链接类型是“一机一码”，每个标签都必须有编号 sn（9800008）。",
                    "请为每个标签提供 sn（Tapstand 写卡时会自动使用标签编号）。",
                ),
                (
                    "This device model is \"one code per device\": every tag needs an sn (9800008).",
                    "Give each tag an sn (Tapstand uses the tag's number when writing).",
                ),
            ),
            NfcCode::SnNotAllowed => ue(
                "wechat.nfc.sn_not_allowed",
                (
                    "这个设备型号的链接类型是“一型一码”，不能填写 sn（9800009）。",
                    &format!("立牌需要“一机一码”才能区分每个标签：请在{DEVICE_PATH_ZH}中为设备申请一机一码类型的能力（或登记一个新的设备型号）。"),
                ),
                (
                    "This device model is \"one code per model\": sn must be empty (9800009).",
                    &format!("Stands need \"one code per device\" to tell tags apart: apply for that link type in the {DEVICE_PATH_EN} (or register a new device model)."),
                ),
            ),
            NfcCode::AlreadyExists { openlink } => match openlink {
                Some(link) => ue(
                    "wechat.nfc.exists",
                    (
                        "这个标签编号（sn）已经生成过 NFC 链接（9800010）。",
                        &format!("微信返回了原有链接 {link}，可以继续使用它。"),
                    ),
                    ("This tag number (sn) already has an NFC link (9800010).", &format!("WeChat returned the existing link {link}; keep using it.")),
                ),
                None => ue(
                    "wechat.nfc.exists_unknown",
                    (
                        "这个标签编号（sn）已经生成过 NFC 链接（9800010），微信没有返回原有链接。",
                        "原有链接无法找回。请为这个标签换一个新的 sn。",
                    ),
                    (
                        "This tag number (sn) already has an NFC link (9800010), and WeChat did not return it.",
                        "The existing link cannot be recovered. Use a new sn for this tag.",
                    ),
                ),
            },
        },
        K::Query(code) => match code {
            QueryCode::InvalidArgs => ue(
                "wechat.query.invalid_args",
                ("查询链接的参数不合法（40097）。", "请确认链接形如 weixin://dl/business/?t=…"),
                ("The scheme query was not valid (40097).", "Check the link looks like weixin://dl/business/?t=…"),
            ),
            QueryCode::NotFound => ue(
                "wechat.query.not_found",
                ("微信中查不到这个链接（85403）。", "请确认链接属于当前小程序（AppID）。"),
                ("WeChat does not know this link (85403).", "Check it belongs to this mini program (AppID)."),
            ),
        },
        K::WxaCode(code) => match code {
            WxaCodeCode::InvalidArgs => ue(
                "wechat.wxacode.invalid_args",
                ("小程序码参数不合法（40097）。", "小程序版本只能是 release、trial 或 develop。"),
                ("The code request is not valid (40097).", "The version must be release, trial or develop."),
            ),
            WxaCodeCode::InvalidScene | WxaCodeCode::InvalidSceneLength => ue(
                "wechat.wxacode.invalid_scene",
                (
                    &format!("小程序码的 scene 参数不被接受（{c}）。"),
                    "scene 长度 1–32，只用字母、数字和 !#$&'()*+,/:;=?@-._~；避免 & 和中文。",
                ),
                (
                    &format!("The scene was refused ({c})."),
                    "1 to 32 characters of letters, digits and !#$&'()*+,/:;=?@-._~; avoid & and Chinese text.",
                ),
            ),
            WxaCodeCode::InvalidPage => ue(
                "wechat.wxacode.invalid_page",
                (
                    "小程序码的页面不存在，或小程序尚未发布（41030）。",
                    "页面路径不要以 / 开头、不要带参数，并且必须在已发布版本中存在；请先发布小程序。",
                ),
                (
                    "The page does not exist or the mini program is not published (41030).",
                    "No leading '/', no parameters, and the page must exist in the published version; publish first.",
                ),
            ),
            WxaCodeCode::MinuteLimit => ue(
                "wechat.wxacode.minute_limit",
                ("生成小程序码太频繁（每分钟最多 5000 次，45009）。", "请一分钟后再试。"),
                ("Too many codes per minute (5000, 45009).", "Try again in a minute."),
            ),
            WxaCodeCode::NoPermission => ue(
                "wechat.wxacode.no_permission",
                ("暂无生成小程序码的权限（45063）。", "请确认小程序已发布并完成微信认证。"),
                ("No permission to generate codes (45063).", "Check that the mini program is published and verified."),
            ),
            WxaCodeCode::ReservedPage => ue(
                "wechat.wxacode.reserved",
                ("页面路径中不能包含 scancode_time（85096）。", "scancode_time 是微信保留参数，请改用其他名字。"),
                ("The page may not contain scancode_time (85096).", "It is reserved by WeChat; use another name."),
            ),
        },
    }
}

impl From<WechatError> for UserError {
    fn from(e: WechatError) -> UserError {
        let detail = e.to_string();
        let u = match &e {
            WechatError::Invalid(v) => return v.clone().into(),
            WechatError::Transport { kind: TransportKind::Connect, .. } => ue(
                "wechat.network.connect",
                (
                    "无法连接微信服务器。",
                    "请检查电脑是否联网；如果需要代理上网，请确认系统代理设置（或 HTTPS_PROXY 环境变量）正确，然后重试。",
                ),
                (
                    "Cannot reach the WeChat servers.",
                    "Check the internet connection; if a proxy is needed, check the system proxy settings (or HTTPS_PROXY), then retry.",
                ),
            ),
            WechatError::Transport { kind: TransportKind::Timeout, .. } => ue(
                "wechat.network.timeout",
                ("微信服务器没有及时回应。", "请检查网络后重试。"),
                ("The WeChat servers did not answer in time.", "Check the network and try again."),
            ),
            WechatError::Transport { kind: TransportKind::Interrupted, .. } => ue(
                "wechat.network.interrupted",
                ("与微信服务器的连接中断了。", "请检查网络后重试。"),
                ("The connection to the WeChat servers broke.", "Check the network and try again."),
            ),
            WechatError::Transport { kind: TransportKind::Setup, .. } => return UserError::internal(detail),
            WechatError::HttpStatus { status, .. } => ue(
                "wechat.network.http_status",
                (
                    &format!("微信服务器返回了异常状态（HTTP {status}）。"),
                    "如果使用代理或公司网络，请确认没有拦截 api.weixin.qq.com；稍后重试。",
                ),
                (
                    &format!("The WeChat servers answered HTTP {status}."),
                    "If a proxy or company network is used, check it does not block api.weixin.qq.com; try again later.",
                ),
            ),
            WechatError::Protocol { .. } => ue(
                "wechat.protocol",
                ("微信返回了无法识别的内容。", "请稍后重试；如果仍然出错，请联系技术支持并提供日志。"),
                ("WeChat answered something unexpected.", "Try again later; if it persists, contact support with the log folder."),
            ),
            WechatError::Api(a) => api_user_error(a),
        };
        u.with_detail(detail)
    }
}
