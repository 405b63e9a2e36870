use serde_json::json;
use time::macros::datetime;

use super::*;
use crate::ui::text;

fn base() -> Url {
    Url::parse("https://auth.example.com/").unwrap()
}

fn new_login(request_url: &str) -> FlowCommon {
    FlowCommon::new(
        FlowKind::Login,
        FlowType::Browser,
        request_url,
        &base(),
        datetime!(2026-01-01 10:00:00 UTC),
        Duration::from_secs(3600),
    )
}

#[test]
fn a_new_flow_submits_to_its_own_endpoint_and_lives_for_its_lifespan() {
    let flow = new_login("https://auth.example.com/self-service/login/browser");
    assert_eq!(
        flow.ui.action,
        format!(
            "https://auth.example.com/self-service/login?flow={}",
            flow.id
        )
    );
    assert_eq!(flow.ui.method, "POST");
    assert_eq!(flow.issued_at, datetime!(2026-01-01 10:00:00 UTC));
    assert_eq!(flow.expires_at, datetime!(2026-01-01 11:00:00 UTC));
    assert_eq!(flow.state, FlowState::ChooseMethod);
    assert_eq!(flow.return_to, None);
}

#[test]
fn settings_flows_start_by_showing_the_form() {
    assert_eq!(FlowKind::Settings.initial_state(), FlowState::ShowForm);
    for kind in [
        FlowKind::Login,
        FlowKind::Registration,
        FlowKind::Recovery,
        FlowKind::Verification,
    ] {
        assert_eq!(kind.initial_state(), FlowState::ChooseMethod);
    }
}

#[test]
fn a_flow_remembers_the_return_to_of_its_request_url() {
    let flow = new_login(
        "https://auth.example.com/self-service/login/browser?refresh=true&return_to=https%3A%2F%2Fapp.example.com%2Fhome%3Fa%3D1",
    );
    assert_eq!(
        flow.return_to.as_deref(),
        Some("https://app.example.com/home?a=1")
    );
    assert_eq!(
        return_to_of("https://auth.example.com/x?return_to="),
        None,
        "an empty return_to is no return_to"
    );
    assert_eq!(return_to_of("not a url"), None);
}

#[test]
fn the_action_url_keeps_a_base_path() {
    let base = Url::parse("https://example.com/kratos/").unwrap();
    let id = FlowId::new();
    assert_eq!(
        action_url(&base, FlowKind::Registration, id),
        format!("https://example.com/kratos/self-service/registration?flow={id}")
    );
    let no_slash = Url::parse("https://example.com/kratos").unwrap();
    assert_eq!(
        join_path(&no_slash, "/self-service/login").as_str(),
        "https://example.com/kratos/self-service/login"
    );
}

#[test]
fn a_flow_is_expired_only_after_expires_at() {
    let flow = new_login("https://auth.example.com/self-service/login/browser");
    assert!(flow.check_expiry(flow.expires_at).is_ok());
    let later = flow.expires_at + time::Duration::minutes(3);
    assert!(flow.is_expired(later));
    match flow.check_expiry(later) {
        Err(FlowError::Expired(expired)) => {
            assert_eq!(expired.expired_at, flow.expires_at);
            assert_eq!(expired.since, time::Duration::minutes(3));
            assert_eq!(expired.use_flow_id, None);
        }
        other => panic!("expected an expiry, got {other:?}"),
    }
}

#[test]
fn ui_urls_get_the_flow_id_and_keep_their_own_query() {
    let id = FlowId::new();
    let ui = Url::parse("https://app.example.com/login?theme=dark&flow=old").unwrap();
    assert_eq!(
        with_flow_id(&ui, id).as_str(),
        format!("https://app.example.com/login?theme=dark&flow={id}")
    );
}

#[test]
fn flow_ids_parse_only_from_uuids() {
    let id = FlowId::new();
    assert_eq!(parse_flow_id(Some(&id.to_string())), Ok(id));
    assert_eq!(parse_flow_id(Some(&format!(" {id} "))), Ok(id));
    for bad in [None, Some(""), Some("nope"), Some("1234"), Some("../etc")] {
        assert_eq!(parse_flow_id(bad), Err(FlowError::MissingFlowId), "{bad:?}");
    }
}

#[test]
fn every_kind_has_kratos_routes_and_its_config() {
    let config = Config::default();
    assert_eq!(FlowKind::Login.submit_route(), "/self-service/login");
    assert_eq!(
        FlowKind::Login.browser_init_route(),
        "/self-service/login/browser"
    );
    assert_eq!(FlowKind::Login.api_init_route(), "/self-service/login/api");
    assert_eq!(FlowKind::Login.fetch_route(), "/self-service/login/flows");
    for kind in FlowKind::ALL {
        assert_eq!(kind.lifespan(&config), Duration::from_secs(3600));
        assert!(kind.ui_url(&config).as_str().ends_with(kind.as_str()));
        assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
    }
}

#[test]
fn the_common_fields_serialise_in_the_specs_names() {
    let mut flow = new_login(
        "https://auth.example.com/self-service/login/browser?return_to=https://app.example.com/",
    );
    flow.ui.add_message(text::login_reauth());
    let json = serde_json::to_value(&flow).unwrap();
    assert_eq!(json["type"], "browser");
    assert_eq!(json["expires_at"], "2026-01-01T11:00:00Z");
    assert_eq!(json["issued_at"], "2026-01-01T10:00:00Z");
    assert_eq!(json["state"], "choose_method");
    assert_eq!(json["return_to"], "https://app.example.com/");
    assert_eq!(json["ui"]["messages"][0]["id"], 1010003);
    assert!(json.get("transient_payload").is_none());
    let back: FlowCommon = serde_json::from_value(json).unwrap();
    assert_eq!(back, flow);
}
