//! Recovering an account with a link: `email` sends it, and following it (`GET
//! ?flow=&token=`) completes the recovery in the browser that opened it.

use super::{LinkStrategy, submit_node};
use crate::config::Config;
use crate::flow::challenge::ChallengeKind;
use crate::flow::store::StoredFlow;
use crate::flow::{FlowError, FlowKind, FlowState};
use crate::selfservice::out_of_band::{
    RedirectRule, RetryAnswer, email_node, enforce_csrf, refuse_with_email, submitted_email,
};
use crate::selfservice::recovery::{self, RecoveryFlow, RecoveryRequest, RecoveryStrategy, Step};
use crate::selfservice::{FieldMessage, Submission, SubmitContext, SubmitError};
use crate::ui::{UiNodeGroup, text};

#[async_trait::async_trait]
impl RecoveryStrategy for LinkStrategy {
    fn id(&self) -> &'static str {
        Self::METHOD
    }

    fn group(&self) -> UiNodeGroup {
        UiNodeGroup::Link
    }

    fn enabled(&self, config: &Config) -> bool {
        config.selfservice.methods.link.enabled
    }

    fn populate(&self, flow: &mut RecoveryFlow, csrf_token: &str) {
        let ui = &mut flow.common.ui;
        ui.set_csrf(csrf_token);
        ui.upsert(email_node(UiNodeGroup::Link, None));
        ui.append(submit_node());
    }

    async fn recover(
        &self,
        ctx: &SubmitContext<'_>,
        stored: &mut StoredFlow<RecoveryFlow>,
        submission: &Submission,
        request: RecoveryRequest,
    ) -> Result<Step, SubmitError> {
        if let Some(token) = submission
            .optional_string("token")?
            .filter(|t| !t.is_empty())
        {
            return recovery::use_challenge(ctx, stored, ChallengeKind::Link, token).await;
        }
        if request.has_session {
            return Err(FlowError::SessionAlreadyAvailable {
                kind: FlowKind::Recovery,
            }
            .into());
        }
        if submission.optional_string("method")? != Some(Self::METHOD) {
            return Err(SubmitError::NotResponsible);
        }
        let payload = submission.transient_payload()?;
        stored.flow.common.transient_payload = payload;
        let email = match submitted_email(submission) {
            Ok(email) => email,
            Err(message) => {
                return Err(refuse_with_email(
                    ctx,
                    stored,
                    submission,
                    UiNodeGroup::Link,
                    message,
                ));
            }
        };
        match stored.flow.common.state {
            FlowState::ChooseMethod | FlowState::SentEmail => {}
            FlowState::PassedChallenge => {
                return recovery::retry(
                    ctx,
                    stored,
                    stored.flow.common.flow_type,
                    text::recovery_retry_success(),
                    RetryAnswer::FetchRedirect,
                )
                .await;
            }
            FlowState::ShowForm | FlowState::Success => {
                return recovery::retry(
                    ctx,
                    stored,
                    stored.flow.common.flow_type,
                    text::recovery_state_failure(),
                    RetryAnswer::FetchRedirect,
                )
                .await;
            }
        }
        let Some(email) = email else {
            let message = FieldMessage::on("email", text::validation_required("email"));
            return Err(refuse_with_email(
                ctx,
                stored,
                submission,
                UiNodeGroup::Link,
                message,
            ));
        };
        enforce_csrf(ctx, stored, submission, UiNodeGroup::Link)?;
        let flow = &mut stored.flow;
        flow.common.ui.set_csrf(&ctx.form_csrf_token);
        flow.common
            .ui
            .upsert(email_node(UiNodeGroup::Link, Some(&email)));
        flow.active = Some(Self::METHOD.to_owned());
        flow.common.state = FlowState::SentEmail;
        flow.common.ui.reset_messages(&[]);
        flow.common.ui.add_message(text::recovery_email_sent());
        recovery::send_to_address(ctx, stored, ChallengeKind::Link, &email).await?;
        Ok(Step::Show(RedirectRule::BrowserFlowUnlessJson))
    }
}
