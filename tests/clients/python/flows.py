"""Self-service helpers for the Python SDK tests: native flows through FrontendApi, and a
cookie-jar browser whose responses are read with the SDK's own models."""

from __future__ import annotations

import uuid
from typing import Iterable

import ory_kratos_client as k
import requests

PASSWORD = "Tr0ub4dor-and-a-long-unique-tail-7731"


def new_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.com"


def register(frontend: k.FrontendApi, email: str, password: str = PASSWORD, **traits) -> k.SuccessfulNativeRegistration:
    flow = frontend.create_native_registration_flow()
    body = k.UpdateRegistrationFlowWithPasswordMethod(method="password", password=password, traits={"email": email, **traits})
    return frontend.update_registration_flow(flow.id, k.UpdateRegistrationFlowBody(body))


def login(frontend: k.FrontendApi, identifier: str, password: str = PASSWORD) -> k.SuccessfulNativeLogin:
    flow = frontend.create_native_login_flow()
    body = k.UpdateLoginFlowWithPasswordMethod(method="password", identifier=identifier, password=password)
    return frontend.update_login_flow(flow.id, k.UpdateLoginFlowBody(body))


def inputs(ui: k.UiContainer) -> dict[str, k.UiNodeInputAttributes]:
    """The form's input nodes by name."""
    found = {}
    for node in ui.nodes:
        attributes = node.attributes.actual_instance
        if isinstance(attributes, k.UiNodeInputAttributes):
            found[attributes.name] = attributes
    return found


def message_ids(ui: k.UiContainer) -> set[int]:
    """Every message ID on the form and on its nodes."""
    ids = {m.id for m in ui.messages or []}
    for node in ui.nodes:
        ids.update(m.id for m in node.messages)
    return ids


def node_message_ids(ui: k.UiContainer, name: str) -> set[int]:
    ids: set[int] = set()
    for node in ui.nodes:
        attributes = node.attributes.actual_instance
        if getattr(attributes, "name", None) == name:
            ids.update(m.id for m in node.messages)
    return ids


def continue_with_actions(items: Iterable[k.ContinueWith] | None) -> list[str]:
    return [item.actual_instance.action for item in items or []]


class Browser:
    """A browser: a cookie jar that asks for JSON, as single-page apps (and Ory Elements) do."""

    def __init__(self, public_url: str):
        self.public_url = public_url
        self.http = requests.Session()
        self.http.headers["Accept"] = "application/json"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.public_url + path, allow_redirects=False, **kwargs)

    def post_json(self, url: str, body: dict, **kwargs) -> requests.Response:
        return self.http.post(url, json=body, allow_redirects=False, **kwargs)

    def cookie_header(self) -> str:
        """The jar as a Cookie header, for SDK calls that take `cookie=`."""
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)

    def cookie(self, name: str) -> str | None:
        return self.http.cookies.get(name)

    def close(self) -> None:
        self.http.close()


def csrf_token(ui: k.UiContainer) -> str:
    token = inputs(ui)["csrf_token"].value
    assert isinstance(token, str) and token, "a browser flow carries its CSRF token"
    return token


def wait_for_message(courier: k.CourierApi, recipient: str, template_type: str, timeout: float = 60) -> k.Message:
    """The newest courier message of `template_type` to `recipient` (the local server queues
    it in the flow's request and delivers it within `courier.worker.pull_wait`)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        messages = [m for m in courier.list_courier_messages(recipient=recipient) if m.template_type == template_type]
        if messages:
            return max(messages, key=lambda m: m.created_at)
        assert time.monotonic() < deadline, f"no {template_type} message to {recipient}"
        time.sleep(0.1)


def code_in(message: k.Message) -> str:
    """The six-digit one-time code in a message body (visible with `serve --dev`)."""
    import re

    found = re.search(r"\b(\d{6})\b", message.body)
    assert found, message.body
    return found.group(1)
