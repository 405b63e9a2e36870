//! `GET /admin/courier/messages` and `GET /admin/courier/messages/{id}`.

use blackbox::contract::{assert_response, assert_schema};
use blackbox::{Backend, TestApp, on_both_backends};
use kratos_core::clock::Clock;
use kratos_core::courier::repository::to_item;
use kratos_core::courier::{
    Failure, Message, SendError, TemplateData, TemplateType, Templates, compose_email, compose_sms,
};
use kratos_core::store::{Condition, WriteOp};
use ory_kratos_client::apis::courier_api;
use ory_kratos_client::models::{CourierMessageStatus, CourierMessageType};
use serde_json::Value;

const DEV: &str = r#"
serve:
  public:
    base_url: "{public}/"
  admin:
    base_url: "{admin}/"
secrets:
  default: [test-secret-that-is-long-enough-0001]
dev: true
log:
  level: warning
"#;

/// Queues an e-mail to `to` and moves the clock on, so creation times differ.
async fn seed_email(app: &TestApp, to: &str, code: &str) -> Message {
    let data = TemplateData {
        verification_code: Some(code.into()),
        verification_url: Some("https://auth.example.com/v".into()),
        ..TemplateData::to(to)
    };
    let message = compose_email(
        &Templates::builtin(),
        TemplateType::VerificationCodeValid,
        &data,
        app.clock.now(),
    )
    .unwrap();
    app.state.messages().queue(&message).await.unwrap();
    app.clock.advance(std::time::Duration::from_millis(10));
    message
}

async fn get_json(app: &TestApp, path: &str) -> (u16, Value, Option<String>) {
    let response = app.http.get(app.admin(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let link = response
        .headers()
        .get("link")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, response.json().await.unwrap(), link)
}

fn ids(body: &Value) -> Vec<String> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

fn next_path(link: &str) -> Option<String> {
    link.split(',')
        .find(|l| l.contains("rel=\"next\""))
        .map(|l| {
            let l = l.trim();
            l[1..l.find('>').unwrap()].to_owned()
        })
}

async fn list_shows_messages_newest_first_with_bodies_redacted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = seed_email(&app, "a@example.com", "111111").await;
    let b = seed_email(&app, "b@example.com", "222222").await;
    let (status, body, link) = get_json(&app, "/admin/courier/messages").await;
    assert_eq!(status, 200);
    assert_response("get", "/admin/courier/messages", 200, &body);
    assert_eq!(ids(&body), [b.id.to_string(), a.id.to_string()]);
    let first = &body[0];
    assert_eq!(first["body"], "<redacted-unless-dev-mode>");
    assert!(
        !body.to_string().contains("222222"),
        "no codes outside dev mode"
    );
    assert_eq!(first["status"], "queued");
    assert_eq!(first["type"], "email");
    assert_eq!(first["channel"], "email");
    assert_eq!(first["recipient"], "b@example.com");
    assert_eq!(first["subject"], "Confirm your email address");
    assert_eq!(first["template_type"], "verification_code_valid");
    assert_eq!(first["send_count"], 0);
    assert!(
        first.get("dispatches").is_none(),
        "listings leave dispatches out"
    );
    let link = link.expect("a Link header");
    assert!(
        link.contains("rel=\"first\"") && !link.contains("rel=\"next\""),
        "{link}"
    );
}

async fn dev_mode_shows_message_bodies(backend: Backend) {
    let app = TestApp::spawn_with(backend, DEV).await;
    let message = seed_email(&app, "a@example.com", "333333").await;
    let (_, list, _) = get_json(&app, "/admin/courier/messages").await;
    assert!(list[0]["body"].as_str().unwrap().contains("333333"));
    let (status, one, _) = get_json(&app, &format!("/admin/courier/messages/{}", message.id)).await;
    assert_eq!(status, 200);
    assert_eq!(one["body"], message.body);
}

async fn list_filters_by_status_and_recipient(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a1 = seed_email(&app, "a@example.com", "1").await;
    let b1 = seed_email(&app, "b@example.com", "2").await;
    let a2 = seed_email(&app, "a@example.com", "3").await;
    // a2 is sent.
    let messages = app.state.messages();
    let seen = messages.get(a2.id).await.unwrap().unwrap();
    let claimed = messages
        .claim(&seen, app.clock.now())
        .await
        .unwrap()
        .unwrap();
    messages.mark_sent(&claimed, app.clock.now()).await.unwrap();

    let cases = [
        ("status=queued", vec![b1.id, a1.id]),
        ("status=sent", vec![a2.id]),
        ("status=abandoned", vec![]),
        ("recipient=a%40example.com", vec![a2.id, a1.id]),
        ("recipient=a%40example.com&status=queued", vec![a1.id]),
        ("recipient=nobody%40example.com", vec![]),
        ("recipient=", vec![a2.id, b1.id, a1.id]),
    ];
    for (query, expected) in cases {
        let (status, body, _) = get_json(&app, &format!("/admin/courier/messages?{query}")).await;
        assert_eq!(status, 200, "{query}");
        assert_response("get", "/admin/courier/messages", 200, &body);
        let expected: Vec<String> = expected.iter().map(|id| id.to_string()).collect();
        assert_eq!(ids(&body), expected, "{query}");
    }
}

async fn list_paginates_with_sealed_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut seeded = Vec::new();
    for i in 0..5 {
        seeded.push(seed_email(&app, "p@example.com", &i.to_string()).await);
    }
    let expected: Vec<String> = seeded.iter().rev().map(|m| m.id.to_string()).collect();
    let mut path = "/admin/courier/messages?page_size=2&recipient=p%40example.com".to_owned();
    let mut collected = Vec::new();
    let mut pages = 0;
    loop {
        let (status, body, link) = get_json(&app, &path).await;
        assert_eq!(status, 200, "{path}");
        assert!(body.as_array().unwrap().len() <= 2);
        collected.extend(ids(&body));
        pages += 1;
        let link = link.unwrap();
        assert!(
            link.contains("recipient=p%40example.com"),
            "filters are kept: {link}"
        );
        match next_path(&link) {
            Some(next) => path = next,
            None => break,
        }
    }
    assert_eq!(collected, expected);
    assert_eq!(pages, 3);

    // Without page_size, Kratos's default of 10 applies.
    let (_, body, _) = get_json(&app, "/admin/courier/messages").await;
    assert_eq!(body.as_array().unwrap().len(), 5);

    // A token is opaque, cannot be altered, and belongs to its filter.
    let (_, _, link) = get_json(&app, "/admin/courier/messages?page_size=1&status=queued").await;
    let next = next_path(&link.unwrap()).unwrap();
    let token = next.split("page_token=").nth(1).unwrap().to_owned();
    assert!(!token.contains("MSG"), "tokens are sealed");
    let mut tampered = token.clone().into_bytes();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for query in [
        format!("page_token={tampered}&status=queued"),
        format!("page_token={token}&status=sent"),
        format!("page_token={token}"),
    ] {
        let (status, body, _) = get_json(&app, &format!("/admin/courier/messages?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_response("get", "/admin/courier/messages", 400, &body);
    }
}

async fn list_refuses_invalid_filters_and_paging_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for query in [
        "status=invalid_status",
        "status=",
        "status=QUEUED",
        "page_size=0",
        "page_size=1001",
        "page_size=abc",
        "page_size=99999999999999999999999",
        "page_token=forged",
    ] {
        let (status, body, _) = get_json(&app, &format!("/admin/courier/messages?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_response("get", "/admin/courier/messages", 400, &body);
        assert_eq!(body["error"]["code"], 400);
    }
    let (_, body, _) = get_json(&app, "/admin/courier/messages?status=nope").await;
    assert_eq!(body["error"]["reason"], "Message status is not valid");
    // A recipient longer than any address matches nothing (and is not an error).
    let long = "x".repeat(5000);
    let (status, body, _) =
        get_json(&app, &format!("/admin/courier/messages?recipient={long}")).await;
    assert_eq!(status, 200);
    assert_eq!(body, Value::Array(vec![]));
}

async fn get_returns_the_message_with_its_dispatches_newest_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let message = seed_email(&app, "d@example.com", "4").await;
    let messages = app.state.messages();
    let seen = messages.get(message.id).await.unwrap().unwrap();
    let claimed = messages
        .claim(&seen, app.clock.now())
        .await
        .unwrap()
        .unwrap();
    let failure = Failure::from(&SendError::transient(
        "TooManyRequestsException",
        "slow down",
    ));
    let requeued = messages
        .mark_failed(&claimed, &failure, 5, app.clock.now(), app.clock.now())
        .await
        .unwrap();
    app.clock.advance(std::time::Duration::from_secs(1));
    let claimed = messages
        .claim(&requeued, app.clock.now())
        .await
        .unwrap()
        .unwrap();
    messages.mark_sent(&claimed, app.clock.now()).await.unwrap();

    let (status, body, _) =
        get_json(&app, &format!("/admin/courier/messages/{}", message.id)).await;
    assert_eq!(status, 200);
    assert_response("get", "/admin/courier/messages/{id}", 200, &body);
    assert_eq!(body["id"], message.id.to_string());
    assert_eq!(body["status"], "sent");
    assert_eq!(body["send_count"], 2);
    assert_eq!(body["body"], "<redacted-unless-dev-mode>");
    let dispatches = body["dispatches"].as_array().unwrap();
    assert_eq!(dispatches.len(), 2);
    assert_eq!(dispatches[0]["status"], "success");
    assert!(dispatches[0].get("error").is_none());
    assert_eq!(dispatches[1]["status"], "failed");
    assert_eq!(dispatches[1]["message_id"], message.id.to_string());
    assert!(
        dispatches[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("TooManyRequestsException")
    );
    for dispatch in dispatches {
        assert_schema(dispatch, "messageDispatch");
    }
}

async fn get_of_an_unknown_or_malformed_id_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body, _) = get_json(
        &app,
        &format!("/admin/courier/messages/{}", uuid::Uuid::new_v4()),
    )
    .await;
    assert_eq!(status, 404);
    assert_response("get", "/admin/courier/messages/{id}", 404, &body);
    assert_eq!(body["error"]["message"], "Unable to locate the resource");
    for id in ["not-a-uuid", "1234", &"f".repeat(5000)] {
        let (status, body, _) = get_json(&app, &format!("/admin/courier/messages/{id}")).await;
        assert_eq!(status, 400, "{}", &id[..id.len().min(20)]);
        assert_response("get", "/admin/courier/messages/{id}", 400, &body);
    }
}

async fn kratos_sms_messages_read_as_phone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let message = compose_sms(
        &Templates::builtin(),
        TemplateType::LoginCodeValid,
        &TemplateData {
            login_code: Some("5".into()),
            ..TemplateData::to("+15555550100")
        },
        app.clock.now(),
    )
    .unwrap();
    // Stored as Kratos writes it: type `sms`.
    let mut item = to_item(&message, 1).unwrap();
    item.body["type"] = "sms".into();
    app.state
        .table
        .write(vec![WriteOp::Put {
            item,
            condition: Condition::Absent,
        }])
        .await
        .unwrap();
    let (status, body, _) =
        get_json(&app, &format!("/admin/courier/messages/{}", message.id)).await;
    assert_eq!(status, 200);
    assert_eq!(body["type"], "phone");
    assert_eq!(body["channel"], "sms");
    assert_eq!(body["subject"], "");
    assert_response("get", "/admin/courier/messages/{id}", 200, &body);
}

async fn the_official_sdk_reads_listings_and_messages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = seed_email(&app, "sdk@example.com", "6").await;
    let sms = compose_sms(
        &Templates::builtin(),
        TemplateType::VerificationCodeValid,
        &TemplateData {
            verification_code: Some("7".into()),
            ..TemplateData::to("+15555550101")
        },
        app.clock.now(),
    )
    .unwrap();
    app.state.messages().queue(&sms).await.unwrap();
    let config = app.sdk(&app.admin_url);

    let listed = courier_api::list_courier_messages(&config, Some(10), None, None, None)
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].id, sms.id.to_string());
    assert_eq!(listed[0].r#type, CourierMessageType::Phone);
    assert_eq!(listed[1].r#type, CourierMessageType::Email);

    let filtered = courier_api::list_courier_messages(
        &config,
        None,
        None,
        Some(CourierMessageStatus::Queued),
        Some("sdk@example.com"),
    )
    .await
    .unwrap();
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0].recipient, "sdk@example.com");

    let one = courier_api::get_courier_message(&config, &email.id.to_string())
        .await
        .unwrap();
    assert_eq!(one.id, email.id.to_string());
    assert_eq!(one.status, CourierMessageStatus::Queued);
    assert_eq!(one.channel.as_deref(), Some("email"));
    assert!(
        courier_api::get_courier_message(&config, &uuid::Uuid::new_v4().to_string())
            .await
            .is_err()
    );
}

const LOG_WORKER: &str = r#"
serve:
  public:
    base_url: "{public}/"
  admin:
    base_url: "{admin}/"
secrets:
  default: [test-secret-that-is-long-enough-0001]
courier:
  delivery_strategy: log
  worker:
    pull_wait: 20ms
log:
  level: warning
"#;

async fn the_local_worker_delivers_queued_messages(backend: Backend) {
    let app = TestApp::spawn_with(backend, LOG_WORKER).await;
    let worker = serverless_kratos::spawn_courier_worker(app.state.clone());
    let message = seed_email(&app, "worker@example.com", "8").await;
    let mut status = String::new();
    for _ in 0..250 {
        let (_, body, _) = get_json(&app, &format!("/admin/courier/messages/{}", message.id)).await;
        status = body["status"].as_str().unwrap().to_owned();
        if status == "sent" {
            assert_eq!(body["send_count"], 1);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    worker.abort();
    assert_eq!(status, "sent");
}

on_both_backends!(
    the_local_worker_delivers_queued_messages,
    list_shows_messages_newest_first_with_bodies_redacted,
    dev_mode_shows_message_bodies,
    list_filters_by_status_and_recipient,
    list_paginates_with_sealed_tokens,
    list_refuses_invalid_filters_and_paging_input,
    get_returns_the_message_with_its_dispatches_newest_first,
    get_of_an_unknown_or_malformed_id_is_refused,
    kratos_sms_messages_read_as_phone,
    the_official_sdk_reads_listings_and_messages,
);
