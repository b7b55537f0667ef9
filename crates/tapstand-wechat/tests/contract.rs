//! Contract tests: the client against the real fake over loopback, for every error code in the
//! reference tables (each endpoint's own meaning), every retry rule and the token rules.
//! Codes the fake produces from its configuration are provoked for real; codes that need a state the
//! fake cannot reach (or that the client's own validation prevents) are injected.

mod common;

use common::*;
use tapstand_error::UserError;
use tapstand_fake_wechat::{
    AppConfig, Endpoint as FE, ExistingSchemeEcho, FakeConfig, Limits, ModelConfig, NfcMode,
    DEMO_APPID, DEMO_SECRET,
};
use tapstand_wechat::error::{
    ApiErrorKind as K, CommonCode, NfcCode, QueryCode, TokenCode, WxaCodeCode,
};
use tapstand_wechat::{ImageFormat, NfcSchemeRequest, TransportKind, WechatError, WxaCodeRequest};

fn nfc(sn: &str) -> NfcSchemeRequest {
    NfcSchemeRequest {
        model_id: DEMO_MODEL_ID.into(),
        sn: Some(sn.into()),
        path: Some("/pages/index/index".into()),
        query: Some("store=001&desk=2".into()),
        env_version: None,
    }
}

fn api_kind(e: &WechatError) -> K {
    e.api()
        .unwrap_or_else(|| panic!("expected an API error, got {e:?}"))
        .kind
        .clone()
}

/// Every error reads in Chinese and English with a remedy, and carries the code in its detail.
fn assert_user_error(e: WechatError, code: &str) -> UserError {
    let errcode = e.errcode();
    let u: UserError = e.into();
    assert_eq!(u.code, code, "{u:?}");
    assert!(!u.zh.message.is_empty() && !u.zh.remedy.is_empty(), "{u:?}");
    assert!(!u.en.message.is_empty() && !u.en.remedy.is_empty(), "{u:?}");
    if let Some(c) = errcode {
        assert!(
            u.detail.as_deref().unwrap_or("").contains(&c.to_string()),
            "{u:?}"
        );
    }
    u
}

struct Case {
    errcode: i64,
    kind: K,
    user_code: &'static str,
    retried: bool,
}

fn case(errcode: i64, kind: K, user_code: &'static str) -> Case {
    Case {
        errcode,
        kind,
        user_code,
        retried: false,
    }
}

fn retried(errcode: i64, kind: K, user_code: &'static str) -> Case {
    Case {
        errcode,
        kind,
        user_code,
        retried: true,
    }
}

// ---- token endpoint ---------------------------------------------------------------------------------

#[tokio::test]
async fn stable_token_ok_cached_and_never_forced() {
    let fake = fake().await;
    let c = client(&fake);
    let check = c.check().await.unwrap();
    assert_eq!(check.expires_in, 7200);
    // Cached: business calls do not ask again.
    c.generate_nfc_scheme(&nfc("t1")).await.unwrap();
    c.generate_nfc_scheme(&nfc("t2")).await.unwrap();
    assert_eq!(count(&fake, FE::StableToken), 1);
    assert_token_rules(&fake);
}

#[tokio::test]
async fn token_errors_from_the_fake_configuration() {
    let mut config = FakeConfig::demo();
    config.apps.push(AppConfig {
        appid: "wx00000000000000a1".into(),
        secret: "00000000000000000000000000000001".into(),
        whitelist_enabled: true,
        whitelist: vec!["198.51.100.0/24".into()],
        ..AppConfig::default()
    });
    config.apps.push(AppConfig {
        appid: "wx00000000000000a2".into(),
        secret: "00000000000000000000000000000002".into(),
        frozen: true,
        ..AppConfig::default()
    });
    let fake = fake_with(config).await;

    let e = client_for(&fake, "wx00000000000000ff", DEMO_SECRET)
        .check()
        .await
        .unwrap_err();
    assert_eq!(api_kind(&e), K::Token(TokenCode::InvalidAppId));
    assert_user_error(e, "wechat.token.invalid_appid");

    let e = client_for(&fake, DEMO_APPID, "ffffffffffffffffffffffffffffffff")
        .check()
        .await
        .unwrap_err();
    assert_eq!(api_kind(&e), K::Token(TokenCode::WrongSecret));
    assert_user_error(e, "wechat.token.wrong_secret");

    // Whitelist is checked before the secret (reference §7): a wrong secret from an unlisted IP → 40164.
    let e = client_for(
        &fake,
        "wx00000000000000a1",
        "ffffffffffffffffffffffffffffffff",
    )
    .check()
    .await
    .unwrap_err();
    assert_eq!(
        api_kind(&e),
        K::Token(TokenCode::IpNotWhitelisted {
            ip: Some("203.0.113.7".into())
        })
    );
    let u = assert_user_error(e, "wechat.token.ip_not_whitelisted");
    assert!(
        u.zh.message.contains("203.0.113.7") && u.zh.remedy.contains("203.0.113.7"),
        "{u:?}"
    );
    assert!(
        u.zh.remedy.contains("开发管理 → 开发设置") && u.zh.remedy.contains("IP白名单"),
        "{u:?}"
    );
    assert!(u.en.remedy.contains("IP whitelist"), "{u:?}");
    // Listed → fine.
    fake.control(Control::SetClientIp {
        ip: "198.51.100.9".into(),
    });
    client_for(
        &fake,
        "wx00000000000000a1",
        "00000000000000000000000000000001",
    )
    .check()
    .await
    .unwrap();

    let e = client_for(
        &fake,
        "wx00000000000000a2",
        "00000000000000000000000000000002",
    )
    .check()
    .await
    .unwrap_err();
    assert_eq!(api_kind(&e), K::Token(TokenCode::SecretFrozen));
    let u = assert_user_error(e, "wechat.token.secret_frozen");
    assert!(u.zh.remedy.contains("10 分钟"));
    assert_token_rules(&fake);
}

#[tokio::test]
async fn every_token_error_code_maps_and_only_busy_codes_are_retried() {
    let cases = vec![
        retried(-1, K::Common(CommonCode::SystemBusy), "wechat.busy"),
        case(
            40001,
            K::Token(TokenCode::InvalidCredential),
            "wechat.token.wrong_secret",
        ),
        case(
            40002,
            K::Token(TokenCode::InvalidGrantType),
            "wechat.token.request",
        ),
        case(
            40013,
            K::Token(TokenCode::InvalidAppId),
            "wechat.token.invalid_appid",
        ),
        case(
            40125,
            K::Token(TokenCode::WrongSecret),
            "wechat.token.wrong_secret",
        ),
        case(
            40164,
            K::Token(TokenCode::IpNotWhitelisted { ip: None }),
            "wechat.token.ip_not_whitelisted",
        ),
        case(
            40243,
            K::Token(TokenCode::SecretFrozen),
            "wechat.token.secret_frozen",
        ),
        case(
            41002,
            K::Token(TokenCode::AppIdMissing),
            "wechat.token.request",
        ),
        case(
            41004,
            K::Token(TokenCode::SecretMissing),
            "wechat.token.request",
        ),
        case(
            43002,
            K::Token(TokenCode::RequirePost),
            "wechat.token.request",
        ),
        case(
            45009,
            K::Token(TokenCode::DailyQuota),
            "wechat.token.daily_quota",
        ),
        retried(
            45011,
            K::Common(CommonCode::PerMinuteLimit),
            "wechat.rate.minute",
        ),
        case(
            47001,
            K::Common(CommonCode::BadRequestFormat),
            "wechat.request_format",
        ),
        case(
            50004,
            K::Token(TokenCode::TokenApiForbidden),
            "wechat.token.forbidden",
        ),
        case(
            50007,
            K::Token(TokenCode::AccountFrozen),
            "wechat.token.account_frozen",
        ),
        case(
            89503,
            K::Token(TokenCode::AdminConfirmationPending),
            "wechat.token.admin_confirm",
        ),
        case(
            89506,
            K::Token(TokenCode::IpRefusedForADay),
            "wechat.token.ip_refused",
        ),
        case(
            89507,
            K::Token(TokenCode::IpRefusedForAnHour),
            "wechat.token.ip_refused",
        ),
    ];
    let fake = fake().await;
    let c = client(&fake);
    for case in cases {
        fake.control(Control::ClearLog);
        // Fails on every attempt: the error surfaces after 3 attempts (retried) or 1.
        let n = if case.retried { 3 } else { 1 };
        fake.inject(
            FE::StableToken,
            n,
            Action::Error {
                errcode: case.errcode,
                errmsg: None,
            },
        );
        let e = c.check().await.unwrap_err();
        assert_eq!(api_kind(&e), case.kind, "errcode {}", case.errcode);
        assert_eq!(
            count(&fake, FE::StableToken),
            n as usize,
            "errcode {}: attempts",
            case.errcode
        );
        assert_user_error(e, case.user_code);
        if case.retried {
            // Fails twice, then succeeds within the bound.
            fake.control(Control::ClearLog);
            fake.inject(
                FE::StableToken,
                2,
                Action::Error {
                    errcode: case.errcode,
                    errmsg: None,
                },
            );
            c.check().await.unwrap();
            assert_eq!(count(&fake, FE::StableToken), 3);
        }
    }
    assert_token_rules(&fake);
}

#[tokio::test]
async fn ip_in_40164_is_parsed_from_errmsg() {
    let fake = fake().await;
    let c = client(&fake);
    let errmsg = "invalid ip 8.149.3.108 ipv6 ::ffff:8.149.3.108, not in whitelist".to_string();
    fake.inject(
        FE::StableToken,
        1,
        Action::Error {
            errcode: 40164,
            errmsg: Some(errmsg),
        },
    );
    let e = c.check().await.unwrap_err();
    assert_eq!(
        api_kind(&e),
        K::Token(TokenCode::IpNotWhitelisted {
            ip: Some("8.149.3.108".into())
        })
    );
    assert!(e.api().unwrap().rid().is_some());
}

// ---- generatenfcscheme ------------------------------------------------------------------------------

#[tokio::test]
async fn every_nfc_error_code_maps_per_endpoint() {
    let cases = vec![
        retried(-1, K::Common(CommonCode::SystemBusy), "wechat.busy"),
        case(
            40002,
            K::Nfc(NfcCode::NoPermission),
            "wechat.nfc.no_permission",
        ),
        case(
            40013,
            K::Nfc(NfcCode::PermissionBanned),
            "wechat.nfc.banned",
        ),
        case(
            40165,
            K::Nfc(NfcCode::InvalidPath),
            "wechat.nfc.invalid_path",
        ),
        case(
            40212,
            K::Nfc(NfcCode::InvalidQuery),
            "wechat.nfc.invalid_query",
        ),
        retried(
            44990,
            K::Common(CommonCode::PerSecondLimit),
            "wechat.rate.second",
        ),
        case(44993, K::Nfc(NfcCode::DailyLimit), "wechat.nfc.daily_limit"),
        retried(
            45011,
            K::Common(CommonCode::PerMinuteLimit),
            "wechat.rate.minute",
        ),
        case(
            47001,
            K::Common(CommonCode::BadRequestFormat),
            "wechat.request_format",
        ),
        case(
            48001,
            K::Common(CommonCode::ApiUnauthorized),
            "wechat.unauthorized",
        ),
        case(
            85079,
            K::Nfc(NfcCode::NotPublished),
            "wechat.nfc.not_published",
        ),
        case(
            85400,
            K::Nfc(NfcCode::LifetimeQuota),
            "wechat.nfc.lifetime_quota",
        ),
        case(
            85402,
            K::Nfc(NfcCode::InvalidEnvVersion),
            "wechat.nfc.invalid_env_version",
        ),
        case(9800001, K::Nfc(NfcCode::SnTooLong), "wechat.nfc.invalid_sn"),
        case(9800002, K::Nfc(NfcCode::SnInvalid), "wechat.nfc.invalid_sn"),
        case(
            9800003,
            K::Nfc(NfcCode::ModelIdRejected),
            "wechat.nfc.model_id_rejected",
        ),
        case(
            9800007,
            K::Nfc(NfcCode::CapabilityMissing),
            "wechat.nfc.capability_missing",
        ),
        case(
            9800008,
            K::Nfc(NfcCode::SnRequired),
            "wechat.nfc.sn_required",
        ),
        case(
            9800009,
            K::Nfc(NfcCode::SnNotAllowed),
            "wechat.nfc.sn_not_allowed",
        ),
        case(
            9800010,
            K::Nfc(NfcCode::AlreadyExists { openlink: None }),
            "wechat.nfc.exists_unknown",
        ),
        case(12345, K::Common(CommonCode::Other), "wechat.other"),
    ];
    let fake = fake().await;
    let c = client(&fake);
    c.check().await.unwrap();
    for (i, case) in cases.into_iter().enumerate() {
        fake.control(Control::ClearLog);
        let n = if case.retried { 3 } else { 1 };
        fake.inject(
            FE::GenerateNfcScheme,
            n,
            Action::Error {
                errcode: case.errcode,
                errmsg: None,
            },
        );
        let e = c
            .generate_nfc_scheme(&nfc(&format!("case{i}")))
            .await
            .unwrap_err();
        assert_eq!(api_kind(&e), case.kind, "errcode {}", case.errcode);
        assert_eq!(
            count(&fake, FE::GenerateNfcScheme),
            n as usize,
            "errcode {}: attempts",
            case.errcode
        );
        assert_eq!(
            count(&fake, FE::StableToken),
            0,
            "errcode {}: no token refresh",
            case.errcode
        );
        assert_user_error(e, case.user_code);
        if case.retried {
            fake.control(Control::ClearLog);
            fake.inject(
                FE::GenerateNfcScheme,
                2,
                Action::Error {
                    errcode: case.errcode,
                    errmsg: None,
                },
            );
            c.generate_nfc_scheme(&nfc(&format!("case{i}-ok")))
                .await
                .unwrap();
            assert_eq!(count(&fake, FE::GenerateNfcScheme), 3);
        }
    }
    assert_token_rules(&fake);
}

#[tokio::test]
async fn nfc_errors_from_the_fake_configuration() {
    let mut config = FakeConfig::demo();
    config.limits = Limits {
        nfc_daily: 2,
        nfc_lifetime: 3,
        ..Limits::default()
    };
    let models = [
        ("noneMode0000000000000a", NfcMode::None, true),
        ("bannedMode00000000000a", NfcMode::Banned, true),
        ("noCapability000000000a", NfcMode::PerDevice, false),
    ];
    for (id, mode, capability) in models {
        config.models.push(ModelConfig {
            model_id: id.into(),
            appid: DEMO_APPID.into(),
            mode,
            capability,
        });
    }
    let fake = fake_with(config).await;
    let c = client(&fake);
    let with_model = |m: &str, sn: Option<&str>| NfcSchemeRequest {
        model_id: m.into(),
        sn: sn.map(Into::into),
        ..NfcSchemeRequest::default()
    };
    let k = |r: Result<String, WechatError>| api_kind(&r.unwrap_err());
    assert_eq!(
        k(
            c.generate_nfc_scheme(&with_model("noneMode0000000000000a", Some("a")))
                .await
        ),
        K::Nfc(NfcCode::NoPermission)
    );
    assert_eq!(
        k(
            c.generate_nfc_scheme(&with_model("bannedMode00000000000a", Some("a")))
                .await
        ),
        K::Nfc(NfcCode::PermissionBanned)
    );
    assert_eq!(
        k(
            c.generate_nfc_scheme(&with_model("unknownModel000000000a", Some("a")))
                .await
        ),
        K::Nfc(NfcCode::ModelIdRejected)
    );
    assert_eq!(
        k(
            c.generate_nfc_scheme(&with_model("noCapability000000000a", Some("a")))
                .await
        ),
        K::Nfc(NfcCode::CapabilityMissing)
    );
    assert_eq!(
        k(c.generate_nfc_scheme(&with_model(DEMO_MODEL_ID, None))
            .await),
        K::Nfc(NfcCode::SnRequired)
    );
    assert_eq!(
        k(
            c.generate_nfc_scheme(&with_model(DEMO_MODEL_ID_PER_MODEL, Some("a")))
                .await
        ),
        K::Nfc(NfcCode::SnNotAllowed)
    );
    let mut bad_path = nfc("p1");
    bad_path.path = Some("pages/missing/page".into());
    assert_eq!(
        k(c.generate_nfc_scheme(&bad_path).await),
        K::Nfc(NfcCode::InvalidPath)
    );

    // 一型一码: one scheme per model_id, then 9800010 whatever the path.
    let first = c
        .generate_nfc_scheme(&with_model(DEMO_MODEL_ID_PER_MODEL, None))
        .await
        .unwrap();
    let mut other = with_model(DEMO_MODEL_ID_PER_MODEL, None);
    other.path = Some("pages/member/card".into());
    assert_eq!(
        k(c.generate_nfc_scheme(&other).await),
        K::Nfc(NfcCode::AlreadyExists {
            openlink: Some(first)
        })
    );

    // 9800010 carries the existing openlink (or not), regardless of path, query, env_version.
    let link = c.generate_nfc_scheme(&nfc("dup")).await.unwrap();
    let mut changed = nfc("dup");
    changed.query = Some("store=999".into());
    changed.env_version = Some("trial".into());
    let e = c.generate_nfc_scheme(&changed).await.unwrap_err();
    assert_eq!(
        api_kind(&e),
        K::Nfc(NfcCode::AlreadyExists {
            openlink: Some(link.clone())
        })
    );
    let u = assert_user_error(e, "wechat.nfc.exists");
    assert!(u.zh.remedy.contains(&link));
    fake.control(Control::SetExistingSchemeEcho {
        echo: ExistingSchemeEcho::Empty,
    });
    let e = c.generate_nfc_scheme(&nfc("dup")).await.unwrap_err();
    assert_eq!(
        api_kind(&e),
        K::Nfc(NfcCode::AlreadyExists { openlink: None })
    );

    // Daily limit 2 (per_model + dup used it up), lifetime limit 3.
    assert_eq!(
        k(c.generate_nfc_scheme(&nfc("d3")).await),
        K::Nfc(NfcCode::DailyLimit)
    );
    fake.advance_secs(86_400);
    c.generate_nfc_scheme(&nfc("d3")).await.unwrap();
    fake.advance_secs(86_400);
    let before = count(&fake, FE::GenerateNfcScheme);
    assert_eq!(
        k(c.generate_nfc_scheme(&nfc("d4")).await),
        K::Nfc(NfcCode::LifetimeQuota)
    );
    assert_eq!(
        count(&fake, FE::GenerateNfcScheme),
        before + 1,
        "85400 is not retried"
    );

    // Unpublished.
    let mut app = FakeConfig::demo().apps.remove(0);
    app.published = false;
    fake.control(Control::UpsertApp(app));
    assert_eq!(
        k(c.generate_nfc_scheme(&nfc("u1")).await),
        K::Nfc(NfcCode::NotPublished)
    );

    // Personal entity → 40002 before anything else.
    let mut app = FakeConfig::demo().apps.remove(0);
    app.personal = true;
    fake.control(Control::UpsertApp(app));
    assert_eq!(
        k(c.generate_nfc_scheme(&nfc("u2")).await),
        K::Nfc(NfcCode::NoPermission)
    );
    assert_token_rules(&fake);
}

#[tokio::test]
async fn per_second_limit_is_retried_with_bounded_backoff() {
    let mut config = FakeConfig::demo();
    config.limits.nfc_per_second = 0;
    let fake = fake_with(config).await;
    let c = client(&fake);
    let e = c.generate_nfc_scheme(&nfc("s1")).await.unwrap_err();
    assert_eq!(api_kind(&e), K::Common(CommonCode::PerSecondLimit));
    assert_eq!(count(&fake, FE::GenerateNfcScheme), 3);
}

#[tokio::test]
async fn invalid_input_is_refused_before_any_call() {
    let fake = fake().await;
    let c = client(&fake);
    let mut bad = vec![nfc(""), nfc("has space"), nfc(&"x".repeat(129))];
    let mut r = nfc("ok1");
    r.path = Some("pages/index/index?x=1".into());
    bad.push(r);
    let mut r = nfc("ok2");
    r.query = Some("name=中文".into());
    bad.push(r);
    let mut r = nfc("ok3");
    r.query = Some("a=1\u{7}".into());
    bad.push(r);
    let mut r = nfc("ok4");
    r.env_version = Some("production".into());
    bad.push(r);
    for r in bad {
        let e = c.generate_nfc_scheme(&r).await.unwrap_err();
        assert!(matches!(e, WechatError::Invalid(_)), "{r:?}: {e:?}");
        let u: UserError = e.into();
        assert!(u.code.starts_with("wechat.input."), "{u:?}");
    }
    for r in [
        WxaCodeRequest::new("", None),
        WxaCodeRequest::new("a".repeat(33), None),
        WxaCodeRequest::new("a%20b", None),
        WxaCodeRequest::new("中文", None),
        WxaCodeRequest::new("s=1", Some("/pages/index/index".into())),
        WxaCodeRequest::new("s=1", Some("pages/index/index?a=1".into())),
        WxaCodeRequest::new("s=1", Some("pages/scancode_time".into())),
        WxaCodeRequest {
            width: 279,
            ..WxaCodeRequest::new("s=1", None)
        },
        WxaCodeRequest {
            width: 1281,
            ..WxaCodeRequest::new("s=1", None)
        },
        WxaCodeRequest {
            env_version: "prod".into(),
            ..WxaCodeRequest::new("s=1", None)
        },
    ] {
        let e = c.get_wxacode_unlimit(&r).await.unwrap_err();
        assert!(matches!(e, WechatError::Invalid(_)), "{r:?}: {e:?}");
    }
    assert!(fake.log().is_empty(), "nothing was sent: {:?}", fake.log());
}

#[tokio::test]
async fn format_warnings_do_not_block() {
    let fake = fake().await;
    let (_, warnings) = tapstand_wechat::WechatClient::new(
        config(&fake),
        " WX5A1B2C3D4E5F6071 ",
        &tapstand_secrets::SecretString::new("not-hex-secret-value"),
    )
    .unwrap();
    let codes: Vec<_> = warnings.iter().map(|w| w.code.as_str()).collect();
    assert_eq!(codes, ["appid.format", "secret.format"]);
    let mut r = nfc("w1");
    r.model_id = "short-model".into();
    r.env_version = Some("develop".into());
    let codes: Vec<_> = r.validate().unwrap().into_iter().map(|w| w.code).collect();
    assert_eq!(codes, ["model_id.format", "env.not_release"]);
}

// ---- token rules on business calls ------------------------------------------------------------------

#[tokio::test]
async fn expired_token_is_fetched_again_and_the_call_retried_once() {
    let fake = fake().await;
    // The client keeps its own (system) clock: it believes its token is fresh; the fake says 42001.
    let c = tapstand_wechat::WechatClient::new(
        tapstand_wechat::ClientConfig {
            clock: tapstand_wechat::client::system_clock(),
            ..config(&fake)
        },
        DEMO_APPID,
        &tapstand_secrets::SecretString::new(DEMO_SECRET),
    )
    .unwrap()
    .0;
    c.check().await.unwrap();
    fake.advance_secs(7300);
    c.generate_nfc_scheme(&nfc("e1")).await.unwrap();
    let gen: Vec<_> = fake
        .calls(FE::GenerateNfcScheme)
        .iter()
        .map(|e| e.errcode)
        .collect();
    assert_eq!(gen, [Some(42001), Some(0)]);
    let stable = fake.calls(FE::StableToken);
    assert_eq!(stable.len(), 2);
    assert!(stable[1].token_minted, "the fake minted a new stable token");
    assert_token_rules(&fake);
}

#[tokio::test]
async fn refused_token_codes_retry_exactly_once() {
    for code in [40001, 40014, 42001] {
        let fake = fake().await;
        let c = client(&fake);
        c.check().await.unwrap();
        // Refused once: fetch again, retry, succeed.
        fake.inject(
            FE::GenerateNfcScheme,
            1,
            Action::Error {
                errcode: code,
                errmsg: None,
            },
        );
        c.generate_nfc_scheme(&nfc("r1")).await.unwrap();
        assert_eq!(count(&fake, FE::GenerateNfcScheme), 2, "{code}");
        assert_eq!(count(&fake, FE::StableToken), 2, "{code}");
        // Refused twice: one retry only, then the error.
        fake.control(Control::ClearLog);
        fake.inject(
            FE::GenerateNfcScheme,
            2,
            Action::Error {
                errcode: code,
                errmsg: None,
            },
        );
        let e = c.generate_nfc_scheme(&nfc("r2")).await.unwrap_err();
        assert!(e.api().unwrap().is_token_rejected(), "{code}");
        assert_eq!(count(&fake, FE::GenerateNfcScheme), 2, "{code}");
        assert_eq!(count(&fake, FE::StableToken), 1, "{code}");
        assert_user_error(e, "wechat.token_refused");
        assert_token_rules(&fake);
    }
}

#[tokio::test]
async fn token_is_refreshed_300_seconds_before_expiry() {
    let fake = fake().await;
    let c = client(&fake);
    c.check().await.unwrap();
    fake.advance_secs(7200 - 310);
    c.generate_nfc_scheme(&nfc("x1")).await.unwrap();
    assert_eq!(count(&fake, FE::StableToken), 1, "still fresh");
    fake.advance_secs(12);
    c.generate_nfc_scheme(&nfc("x2")).await.unwrap();
    let stable = fake.calls(FE::StableToken);
    assert_eq!(stable.len(), 2, "refreshed inside the last 300 s");
    assert!(
        stable[1].token_minted,
        "the platform rotated the stable token"
    );
    // Both the old (≤ 300 s overlap) and the new token work; no 40001 happened.
    assert!(fake
        .calls(FE::GenerateNfcScheme)
        .iter()
        .all(|e| e.errcode == Some(0)));
    assert_token_rules(&fake);
}

// ---- queryscheme ------------------------------------------------------------------------------------

#[tokio::test]
async fn queryscheme_contract() {
    let fake = fake().await;
    let c = client(&fake);
    let link = c.generate_nfc_scheme(&nfc("q1")).await.unwrap();
    let q = c.query_scheme(&link).await.unwrap();
    assert_eq!(q.scheme_info.appid, DEMO_APPID);
    assert_eq!(q.scheme_info.path, "/pages/index/index");
    assert_eq!(q.scheme_info.query, "store=001&desk=2");
    assert_eq!(q.scheme_info.env_version, "release");
    assert_eq!(q.scheme_info.expire_time, 0);
    assert!(q.remain_visit_quota.is_some());

    let e = c
        .query_scheme("weixin://dl/business/?t=AAAAAAAAAAA")
        .await
        .unwrap_err();
    assert_eq!(api_kind(&e), K::Query(QueryCode::NotFound));
    assert_user_error(e, "wechat.query.not_found");
    let e = c.query_scheme("").await.unwrap_err();
    assert_eq!(api_kind(&e), K::Query(QueryCode::InvalidArgs));
    assert_user_error(e, "wechat.query.invalid_args");
    fake.control(Control::ClearLog);
    fake.inject(
        FE::QueryScheme,
        3,
        Action::Error {
            errcode: -1,
            errmsg: None,
        },
    );
    assert_eq!(
        api_kind(&c.query_scheme(&link).await.unwrap_err()),
        K::Common(CommonCode::SystemBusy)
    );
    assert_eq!(count(&fake, FE::QueryScheme), 3);
}

// ---- getwxacodeunlimit ------------------------------------------------------------------------------

#[tokio::test]
async fn wxacode_images_are_told_by_their_bytes() {
    let fake = fake().await;
    let c = client(&fake);
    let img = c
        .get_wxacode_unlimit(&WxaCodeRequest::new(
            "store=001",
            Some("pages/index/index".into()),
        ))
        .await
        .unwrap();
    assert_eq!(img.format, ImageFormat::Jpeg);
    assert_eq!(
        (img.width, img.height),
        (Some(1280), Some(1280)),
        "1280 px by default"
    );
    // Transparent: a PNG, although the header says image/jpeg.
    let req = WxaCodeRequest {
        width: 430,
        is_hyaline: true,
        ..WxaCodeRequest::new("s=2", None)
    };
    let img = c.get_wxacode_unlimit(&req).await.unwrap();
    assert_eq!(img.format, ImageFormat::Png);
    assert_eq!((img.width, img.height), (Some(430), Some(430)));
    // An error with a misleading Content-Type is still an error.
    fake.control(Control::SetWxacodeErrorContentType {
        content_type: "text/plain".into(),
    });
    let e = c
        .get_wxacode_unlimit(&WxaCodeRequest::new(
            "s=3",
            Some("pages/missing/page".into()),
        ))
        .await
        .unwrap_err();
    assert_eq!(api_kind(&e), K::WxaCode(WxaCodeCode::InvalidPage));
    assert_user_error(e, "wechat.wxacode.invalid_page");
    // check_path false lets an unknown page through.
    let req = WxaCodeRequest {
        check_path: false,
        width: 280,
        ..WxaCodeRequest::new("s=4", Some("pages/missing/page".into()))
    };
    c.get_wxacode_unlimit(&req).await.unwrap();
}

#[tokio::test]
async fn every_wxacode_error_code_maps_per_endpoint() {
    let cases = vec![
        retried(-1, K::Common(CommonCode::SystemBusy), "wechat.busy"),
        case(
            40097,
            K::WxaCode(WxaCodeCode::InvalidArgs),
            "wechat.wxacode.invalid_args",
        ),
        case(
            40129,
            K::WxaCode(WxaCodeCode::InvalidScene),
            "wechat.wxacode.invalid_scene",
        ),
        case(
            40169,
            K::WxaCode(WxaCodeCode::InvalidSceneLength),
            "wechat.wxacode.invalid_scene",
        ),
        case(
            41030,
            K::WxaCode(WxaCodeCode::InvalidPage),
            "wechat.wxacode.invalid_page",
        ),
        case(
            45009,
            K::WxaCode(WxaCodeCode::MinuteLimit),
            "wechat.wxacode.minute_limit",
        ),
        case(
            45063,
            K::WxaCode(WxaCodeCode::NoPermission),
            "wechat.wxacode.no_permission",
        ),
        case(
            47001,
            K::Common(CommonCode::BadRequestFormat),
            "wechat.request_format",
        ),
        case(
            48001,
            K::Common(CommonCode::ApiUnauthorized),
            "wechat.unauthorized",
        ),
        case(
            85096,
            K::WxaCode(WxaCodeCode::ReservedPage),
            "wechat.wxacode.reserved",
        ),
    ];
    let fake = fake().await;
    let c = client(&fake);
    c.check().await.unwrap();
    for case in cases {
        fake.control(Control::ClearLog);
        let n = if case.retried { 3 } else { 1 };
        fake.inject(
            FE::GetWxaCodeUnlimit,
            n,
            Action::Error {
                errcode: case.errcode,
                errmsg: None,
            },
        );
        let e = c
            .get_wxacode_unlimit(&WxaCodeRequest::new("s=1", None))
            .await
            .unwrap_err();
        assert_eq!(api_kind(&e), case.kind, "errcode {}", case.errcode);
        assert_eq!(
            count(&fake, FE::GetWxaCodeUnlimit),
            n as usize,
            "errcode {}",
            case.errcode
        );
        assert_user_error(e, case.user_code);
    }
    // The real per-minute limit of the fake: 45009, not retried.
    fake.control(Control::ClearLog);
    fake.control(Control::SetLimits(Limits {
        wxacode_per_minute: 0,
        ..Limits::default()
    }));
    let e = c
        .get_wxacode_unlimit(&WxaCodeRequest::new("s=1", None))
        .await
        .unwrap_err();
    assert_eq!(api_kind(&e), K::WxaCode(WxaCodeCode::MinuteLimit));
    assert_eq!(count(&fake, FE::GetWxaCodeUnlimit), 1);
}

// ---- transport ---------------------------------------------------------------------------------------

#[tokio::test]
async fn transport_failures_are_typed_and_never_carry_the_token() {
    let fake = fake().await;
    let c = client(&fake);
    c.check().await.unwrap();
    fake.inject(FE::GenerateNfcScheme, 1, Action::DropAfter);
    let e = c.generate_nfc_scheme(&nfc("n1")).await.unwrap_err();
    assert!(
        matches!(
            e,
            WechatError::Transport {
                kind: TransportKind::Interrupted,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.outcome_unknown());
    assert_eq!(fake.schemes().len(), 1, "the fake did generate it");
    let text = format!("{e} {e:?}");
    assert!(!text.contains("access_token="), "{text}");

    // A slow answer: timeout, outcome unknown.
    let slow = tapstand_wechat::WechatClient::new(
        tapstand_wechat::ClientConfig {
            timeout: std::time::Duration::from_millis(800),
            ..config(&fake)
        },
        DEMO_APPID,
        &tapstand_secrets::SecretString::new(DEMO_SECRET),
    )
    .unwrap()
    .0;
    fake.inject(FE::GenerateNfcScheme, 1, Action::Delay { ms: 2500 });
    let e = slow.generate_nfc_scheme(&nfc("n2")).await.unwrap_err();
    assert!(
        matches!(
            e,
            WechatError::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{e:?}"
    );
    let u: UserError = e.into();
    assert_eq!(u.code, "wechat.network.timeout");

    // Nothing listening: a connect error, certainly not sent.
    let addr = fake.addr();
    drop(fake);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let gone = tapstand_wechat::WechatClient::new(
        tapstand_wechat::ClientConfig::default().with_base_url(format!("http://{addr}")),
        DEMO_APPID,
        &tapstand_secrets::SecretString::new(DEMO_SECRET),
    )
    .unwrap()
    .0;
    let e = gone.check().await.unwrap_err();
    assert!(
        matches!(
            e,
            WechatError::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(!e.outcome_unknown());
    assert_eq!(UserError::from(e).code, "wechat.network.connect");
}

#[tokio::test]
async fn debug_output_never_shows_the_secret() {
    let fake = fake().await;
    let c = client(&fake);
    let token = c.access_token().await.unwrap();
    let text = format!("{c:?} {token:?}");
    assert!(!text.contains(DEMO_SECRET), "{text}");
    assert!(!text.contains(token.expose()), "{text}");
}
