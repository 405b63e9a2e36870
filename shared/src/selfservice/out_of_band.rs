//! What the verification and recovery flows share: proving control of an address out of
//! band. A strategy (`code`, `link`) sends a one-time code or link to an address and later
//! accepts it back; this module composes those messages, finds where a browser goes
//! afterwards, and describes how a submission is answered ([`Reply`]).
//!
//! Both flows answer in ways the login and registration flows do not: a failure that
//! makes the flow unusable (too many codes, an expired or reused code, an invalid link)
//! starts a fresh flow carrying the message and points the client to it.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use url::Url;

use super::{FieldMessage, Submission, SubmitContext, SubmitError};
use crate::app::App;
use crate::courier::{self, Message, MessageRepository, TemplateData, TemplateType};
use crate::flow::store::{FlowDocument, FlowStore, StoredFlow};
use crate::flow::{FlowError, FlowKind, FlowType, join_path};
use crate::identity::derive::is_email;
use crate::identity::{AddressVia, Identity, ViewOptions};
use crate::store::WriteOp;
use crate::ui::{InputType, UiNode, UiNodeGroup, text};

/// A flow that proves control of an address out of band: recovery or verification.
pub trait OutOfBandFlow: FlowDocument {
    /// The method the flow uses (`code` or `link`), once chosen.
    fn active_mut(&mut self) -> &mut Option<String>;
}

/// When a browser is sent to the flow's UI (303) instead of getting the flow as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectRule {
    /// When the client navigates like a browser (prefers HTML and sent no JSON), whatever
    /// the flow's type: a code typed into the UI of a flow a native app started still
    /// lands in the UI.
    BrowserNavigation,
    /// When the flow is a browser flow and the client did not ask for JSON.
    BrowserFlowUnlessJson,
}

/// How a shown flow is answered to scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShowStatus {
    Ok,
    /// The submission was refused; the flow carries the messages.
    BadRequest,
}

/// How scripts (JSON clients and native apps) learn about a replacement flow.
#[derive(Debug, Clone, PartialEq)]
pub enum ScriptAnswer {
    /// An error naming the new flow (`self_service_flow_replaced` or
    /// `self_service_flow_expired`, 410, with `use_flow_id`).
    Error(FlowError),
    /// `303 See Other` to `GET /self-service/<kind>/flows?id=<new flow>`.
    FetchRedirect,
    /// The new flow's UI, like browsers (link clicks are always answered this way).
    Ui,
}

/// How scripts learn about a flow that replaced the submitted one, before it exists.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RetryAnswer {
    /// 410 `self_service_flow_replaced` naming the new flow.
    Replaced,
    /// 410 `self_service_flow_expired` (what expired, at this time) naming the new flow.
    Expired(OffsetDateTime),
    /// `303 See Other` to fetch the new flow.
    FetchRedirect,
    /// The new flow's UI, like browsers.
    Ui,
}

impl RetryAnswer {
    /// The answer for scripts once the new flow `id` exists.
    pub fn for_flow(self, id: crate::ids::FlowId, now: OffsetDateTime) -> ScriptAnswer {
        match self {
            RetryAnswer::Replaced => ScriptAnswer::Error(FlowError::Replaced { use_flow_id: id }),
            RetryAnswer::Expired(expired_at) => {
                ScriptAnswer::Error(FlowError::Expired(crate::flow::FlowExpired {
                    expired_at,
                    since: now - expired_at,
                    use_flow_id: Some(id),
                }))
            }
            RetryAnswer::FetchRedirect => ScriptAnswer::FetchRedirect,
            RetryAnswer::Ui => ScriptAnswer::Ui,
        }
    }
}

/// How a submission of a verification or recovery flow is answered. The flows in it are
/// stored already.
#[derive(Debug)]
pub enum Reply<F> {
    /// Show the flow: scripts get it as JSON with `status`; browsers go to its UI as
    /// `redirect` says.
    Show {
        flow: Box<StoredFlow<F>>,
        status: ShowStatus,
        redirect: RedirectRule,
    },
    /// Send the browser to the flow's UI whatever it asked for (a followed link).
    ShowInUi(Box<StoredFlow<F>>),
    /// A new flow replaced the submitted one and carries the message: browsers go to its
    /// UI, scripts are answered as `scripts` says.
    Replaced {
        flow: Box<StoredFlow<F>>,
        scripts: ScriptAnswer,
    },
}

impl<F: FlowDocument> Reply<F> {
    pub fn show(flow: StoredFlow<F>, redirect: RedirectRule) -> Self {
        Reply::Show {
            flow: Box::new(flow),
            status: ShowStatus::Ok,
            redirect,
        }
    }

    pub fn refused(flow: StoredFlow<F>) -> Self {
        Reply::Show {
            flow: Box::new(flow),
            status: ShowStatus::BadRequest,
            redirect: RedirectRule::BrowserFlowUnlessJson,
        }
    }

    pub fn replaced(flow: StoredFlow<F>, scripts: ScriptAnswer) -> Self {
        Reply::Replaced {
            flow: Box::new(flow),
            scripts,
        }
    }
}

/// Shows `messages` on the flow (status 400), remembering the method group that failed.
/// Requests: 1 write.
pub async fn show_form_error<F: OutOfBandFlow>(
    ctx: &SubmitContext<'_>,
    mut stored: StoredFlow<F>,
    group: UiNodeGroup,
    messages: Vec<FieldMessage>,
) -> Result<Reply<F>, SubmitError> {
    let ui = &mut stored.flow.common_mut().ui;
    ui.reset_messages(&[]);
    for FieldMessage { field, message } in messages {
        match field {
            Some(field) => ui.add_message_to(&field, *message),
            None => ui.add_message(*message),
        }
    }
    if group != UiNodeGroup::Default {
        *stored.flow.active_mut() = Some(group.as_str().to_owned());
    }
    save(ctx.app, &mut stored).await?;
    Ok(Reply::refused(stored))
}

/// Stores the flow as it now is. Requests: 1 write.
pub(crate) async fn save<F: FlowDocument>(
    app: &App,
    stored: &mut StoredFlow<F>,
) -> Result<(), SubmitError> {
    FlowStore::new(app.table.clone()).update(stored).await?;
    Ok(())
}

/// Refuses a submission with `message`, putting the submitted address back into the
/// `email` input of `group` (and, for browsers, a fresh anti-CSRF token into the form).
pub(crate) fn refuse_with_email<F: FlowDocument>(
    ctx: &SubmitContext<'_>,
    stored: &mut StoredFlow<F>,
    submission: &Submission,
    group: UiNodeGroup,
    message: FieldMessage,
) -> SubmitError {
    let value = submission
        .get("email")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let browser = stored.flow.common().flow_type == FlowType::Browser;
    let ui = &mut stored.flow.common_mut().ui;
    if browser {
        ui.set_csrf(&ctx.form_csrf_token);
    }
    ui.upsert(email_node(group, Some(value)));
    SubmitError::Form(vec![message])
}

/// The anti-CSRF check of a submission; a refusal the form can show (a browser on an API
/// flow) keeps the submitted address, as [`refuse_with_email`] does.
pub(crate) fn enforce_csrf<F: FlowDocument>(
    ctx: &SubmitContext<'_>,
    stored: &mut StoredFlow<F>,
    submission: &Submission,
    group: UiNodeGroup,
) -> Result<(), SubmitError> {
    ctx.csrf.enforce().map_err(|error| match error {
        SubmitError::Form(mut messages) if !messages.is_empty() => {
            refuse_with_email(ctx, stored, submission, group, messages.remove(0))
        }
        other => other,
    })
}

/// The `email` input of the verification and recovery forms (group of the method).
pub fn email_node(group: UiNodeGroup, value: Option<&str>) -> UiNode {
    UiNode::input(
        "email",
        InputType::Email,
        group,
        value.map(|v| Value::String(v.to_owned())),
    )
    .with_required()
    .with_label(text::label_email())
}

/// A submitted address: a string in e-mail format. Messages go on the `email` field.
pub fn submitted_email(submission: &Submission) -> Result<Option<String>, FieldMessage> {
    let Some(email) = submission.optional_string("email")? else {
        return Ok(None);
    };
    if email.is_empty() {
        return Ok(None);
    }
    // No valid address is longer than a message recipient may be (64 + 1 + 254); a longer
    // one (the format allows display text) could not be written to the outbox.
    if email.len() > courier::repository::MAX_RECIPIENT_LEN || !is_email(email) {
        return Err(FieldMessage::on(
            "email",
            text::validation_generic(&format!("{email:?} is not valid \"email\"")),
        ));
    }
    Ok(Some(email.to_owned()))
}

/// The base of verification and recovery links: `selfservice.methods.link.config.base_url`,
/// else the public base URL.
pub fn link_base(app: &App, public_base: &Url) -> Url {
    app.config
        .selfservice
        .methods
        .link
        .config
        .base_url
        .clone()
        .unwrap_or_else(|| public_base.clone())
}

/// `<link base>/self-service/<kind>?flow=<id>&<param>=<value>`: where a message's link
/// leads (the flow's submit endpoint, followed with `GET`).
pub fn flow_link(
    app: &App,
    public_base: &Url,
    kind: FlowKind,
    flow: crate::ids::FlowId,
    param: &str,
    value: &str,
) -> String {
    let mut url = join_path(&link_base(app, public_base), &kind.submit_route());
    url.query_pairs_mut()
        .append_pair("flow", &flow.to_string())
        .append_pair(param, value);
    url.into()
}

/// The identity as templates see it (`{{ .Identity.traits.email }}`): the admin view,
/// without credentials.
pub fn identity_for_templates(public_base: &Url, identity: &Identity) -> Value {
    let schema_url = crate::schema::schema_url(public_base, &identity.schema_id);
    serde_json::to_value(identity.view(schema_url, &ViewOptions::admin())).unwrap_or(Value::Null)
}

/// The template data every message of a flow carries: the recipient, the flow's request
/// URL and its transient payload.
pub fn template_data(
    to: &str,
    request_url: &str,
    transient_payload: Option<&Map<String, Value>>,
) -> TemplateData {
    TemplateData {
        request_url: Some(request_url.to_owned()),
        transient_payload: Some(Value::Object(
            transient_payload.cloned().unwrap_or_default(),
        )),
        ..TemplateData::to(to)
    }
}

/// Renders `template_type` for `via` (an e-mail, or an SMS to an E.164 number) into a
/// queued message, and the write that queues it.
pub async fn compose(
    app: &App,
    via: AddressVia,
    template_type: TemplateType,
    data: &TemplateData,
    now: OffsetDateTime,
) -> Result<(Message, Vec<WriteOp>), SubmitError> {
    let templates = app
        .templates()
        .await
        .map_err(|e| SubmitError::Internal(anyhow::Error::new(e)))?;
    let message = match via {
        AddressVia::Email => courier::compose_email(&templates, template_type, data, now),
        AddressVia::Sms => courier::compose_sms(&templates, template_type, data, now),
    }
    .map_err(|e| SubmitError::Internal(anyhow::Error::new(e)))?;
    let ops =
        MessageRepository::queue_ops(&message).map_err(|e| SubmitError::Internal(e.into()))?;
    Ok((message, ops))
}

/// Where a browser continues after a flow of `kind` completed: the flow's `return_to` if
/// it is allowed, else `selfservice.flows.<kind>.after.default_browser_return_url`, else
/// `selfservice.default_browser_return_url` (else the public base URL). A `return_to`
/// that is not allowed falls back rather than failing, as in Kratos.
pub fn continue_url(app: &App, public_base: &Url, kind: FlowKind, return_to: Option<&str>) -> Url {
    let policy = crate::flow::return_to::ReturnToPolicy::from_config(&app.config, public_base);
    let flows = &app.config.selfservice.flows;
    let after = match kind {
        FlowKind::Verification => flows.verification.after.default_browser_return_url.as_ref(),
        FlowKind::Recovery => flows.recovery.after.default_browser_return_url.as_ref(),
        _ => None,
    };
    let default = after
        .cloned()
        .unwrap_or_else(|| policy.default_url().clone());
    policy
        .resolve_with_default(return_to, &default)
        .unwrap_or(default)
}

/// Start-up warnings about the verification and recovery settings: a `use` method that
/// is disabled (new flows would be refused), and `after` hooks that do not run (only
/// `revoke_active_sessions` after recovery does; Kratos's other hook there is `web_hook`).
pub fn config_warnings(config: &crate::config::Config) -> Vec<String> {
    use crate::config::CodeOrLink;
    let mut warnings = Vec::new();
    let flows = &config.selfservice.flows;
    let methods = &config.selfservice.methods;
    for (kind, enabled, used) in [
        (
            "verification",
            flows.verification.enabled,
            flows.verification.use_method,
        ),
        (
            "recovery",
            flows.recovery.enabled,
            flows.recovery.use_method,
        ),
    ] {
        let (name, method_enabled) = match used {
            CodeOrLink::Code => ("code", methods.code.enabled),
            CodeOrLink::Link => ("link", methods.link.enabled),
        };
        if enabled && !method_enabled {
            warnings.push(format!(
                "selfservice.flows.{kind}.use is `{name}`, but selfservice.methods.{name}.enabled \
                 is false: new {kind} flows will be refused"
            ));
        }
    }
    let lists = [
        ("verification", &flows.verification.after),
        ("recovery", &flows.recovery.after),
    ];
    for (kind, after) in lists {
        let scoped = std::iter::once((String::new(), &after.hooks)).chain(
            after
                .methods
                .iter()
                .map(|(method, m)| (format!(".{method}"), &m.hooks)),
        );
        for (scope, hooks) in scoped {
            for (i, hook) in hooks.iter().enumerate() {
                let runs =
                    kind == "recovery" && scope.is_empty() && hook.hook == "revoke_active_sessions";
                if !runs {
                    warnings.push(format!(
                        "selfservice.flows.{kind}.after{scope}.hooks.{i}: the `{}` hook is not \
                         supported here; it is ignored",
                        hook.hook
                    ));
                }
            }
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(yaml: &str) -> crate::config::Config {
        crate::config::Config::load(&crate::config::ConfigSource {
            yaml: Some(yaml.into()),
            env: vec![],
        })
        .unwrap()
        .config
    }

    #[test]
    fn email_format_follows_json_schema() {
        assert!(is_email("a@example.com"));
        assert!(!is_email("not-an-address"));
    }

    #[test]
    fn disabled_methods_and_hooks_that_do_not_run_are_warned_about() {
        let config = config(
            "selfservice:\n  flows:\n    recovery:\n      enabled: true\n      use: link\n      after:\n        hooks:\n          - hook: revoke_active_sessions\n          - hook: web_hook\n    verification:\n      enabled: true\n      after:\n        hooks:\n          - hook: web_hook\n",
        );
        let warnings = config_warnings(&config);
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings[0].contains("selfservice.flows.recovery.use is `link`"));
        assert!(warnings[1].contains("verification.after.hooks.0"));
        assert!(warnings[2].contains("recovery.after.hooks.1"));
        assert!(config_warnings(&config_default()).is_empty());
    }

    fn config_default() -> crate::config::Config {
        config("selfservice:\n  flows:\n    recovery:\n      enabled: true\n")
    }

    #[test]
    fn template_data_always_carries_a_payload_object() {
        let data = template_data("a@example.com", "https://x/self-service/verification", None);
        assert_eq!(data.to, "a@example.com");
        assert_eq!(data.transient_payload, Some(Value::Object(Map::new())));
    }
}
