//! The `link` method of the verification and recovery flows: a message with a link to
//! `/self-service/<flow>?flow=<id>&token=<token>`; following it completes the flow. The
//! token is a [`crate::flow::challenge`] of the flow (32 random characters, stored as an
//! HMAC), so a link works only with its own flow, once, until it expires.

mod recovery;
mod verification;

use crate::ui::{UiNode, UiNodeGroup, method_button, text};

/// The link method. Stateless.
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkStrategy;

impl LinkStrategy {
    pub const METHOD: &'static str = "link";
}

/// The `method=link` submit button ("Continue").
pub(crate) fn submit_node() -> UiNode {
    method_button(
        LinkStrategy::METHOD,
        UiNodeGroup::Link,
        text::label_continue(),
    )
}
