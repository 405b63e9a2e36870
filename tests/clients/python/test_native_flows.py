"""Native (API) self-service flows through FrontendApi: registration, login, whoami,
settings and logout, as a mobile or server-side app drives them with session tokens."""

import uuid

import ory_kratos_client as k
import pytest
from ory_kratos_client.exceptions import (
    BadRequestException,
    ForbiddenException,
    NotFoundException,
    UnauthorizedException,
)

from flows import PASSWORD, continue_with_actions, inputs, login, message_ids, new_email, node_message_ids, register
from helpers import assert_error


# Registration


def test_create_native_registration_flow_returns_an_api_flow_with_the_schema_form(frontend, server):
    flow = frontend.create_native_registration_flow()
    assert isinstance(flow, k.RegistrationFlow)
    assert flow.type == "api"
    assert flow.expires_at > flow.issued_at
    assert flow.ui.method == "POST"
    assert flow.ui.action == server.public(f"/self-service/registration?flow={flow.id}")
    assert {"traits.email", "traits.name.first", "traits.name.last"} <= set(inputs(flow.ui))

    fetched = frontend.get_registration_flow(flow.id)
    assert fetched.id == flow.id
    assert fetched.ui.action == flow.ui.action


def test_registration_with_a_password_returns_a_session_token_and_the_identity(frontend):
    email = new_email()
    registered = register(frontend, email, name={"first": "Ada", "last": "Lovelace"})

    assert isinstance(registered, k.SuccessfulNativeRegistration)
    assert registered.identity.traits == {"email": email, "name": {"first": "Ada", "last": "Lovelace"}}
    assert registered.identity.schema_id == "default"
    assert registered.identity.state == "active"
    assert [a.value for a in registered.identity.verifiable_addresses] == [email]
    assert registered.identity.verifiable_addresses[0].verified is False
    assert [a.value for a in registered.identity.recovery_addresses] == [email]
    assert registered.session_token.startswith("ory_st_")
    assert registered.session.identity.id == registered.identity.id
    assert registered.session.active is True
    assert registered.session.authenticator_assurance_level == k.AuthenticatorAssuranceLevel.AAL1
    assert [m.method for m in registered.session.authentication_methods] == ["password"]
    assert "set_ory_session_token" in continue_with_actions(registered.continue_with)
    token_item = next(i.actual_instance for i in registered.continue_with
                      if i.actual_instance.action == "set_ory_session_token")
    assert token_item.ory_session_token == registered.session_token


def test_two_step_registration_asks_for_a_credential_after_the_profile(frontend):
    # Kratos 1.3's default: the profile first (method=profile), then a credential.
    flow = frontend.create_native_registration_flow()
    email = new_email("two-step")
    profile = k.UpdateRegistrationFlowWithProfileMethod(method="profile", traits={"email": email})
    with pytest.raises(BadRequestException) as raised:
        frontend.update_registration_flow(flow.id, k.UpdateRegistrationFlowBody(profile))
    step = raised.value.data
    assert isinstance(step, k.RegistrationFlow), raised.value.body
    assert 1040009 in message_ids(step.ui)  # choose a credential
    assert {"password", "traits.email"} <= set(inputs(step.ui))
    assert inputs(step.ui)["traits.email"].value == email

    password = k.UpdateRegistrationFlowWithPasswordMethod(method="password", password=PASSWORD, traits={"email": email})
    registered = frontend.update_registration_flow(flow.id, k.UpdateRegistrationFlowBody(password))
    assert registered.identity.traits == {"email": email}


def test_registration_with_an_invalid_email_returns_the_flow_with_a_field_message(frontend):
    flow = frontend.create_native_registration_flow()
    body = k.UpdateRegistrationFlowWithPasswordMethod(method="password", password=PASSWORD, traits={"email": "not-an-email"})
    with pytest.raises(BadRequestException) as raised:
        frontend.update_registration_flow(flow.id, k.UpdateRegistrationFlowBody(body))
    returned = raised.value.data
    assert isinstance(returned, k.RegistrationFlow), raised.value.body
    assert returned.id == flow.id
    assert node_message_ids(returned.ui, "traits.email"), raised.value.body
    assert inputs(returned.ui)["traits.email"].value == "not-an-email"


def test_registration_of_a_taken_email_reports_duplicate_credentials(frontend):
    email = new_email()
    register(frontend, email)
    with pytest.raises(BadRequestException) as raised:
        register(frontend, email)
    assert isinstance(raised.value.data, k.RegistrationFlow), raised.value.body
    assert 4000007 in message_ids(raised.value.data.ui), raised.value.body


def test_get_registration_flow_of_an_unknown_id_raises_not_found(frontend):
    with pytest.raises(NotFoundException) as raised:
        frontend.get_registration_flow(str(uuid.uuid4()))
    assert_error(raised.value, 404)


# Login


def test_login_with_the_right_password_returns_a_new_session(frontend):
    email = new_email()
    registered = register(frontend, email)
    flow = frontend.create_native_login_flow()
    assert isinstance(flow, k.LoginFlow)
    assert flow.type == "api"
    assert {"identifier", "password"} <= set(inputs(flow.ui))

    signed_in = login(frontend, email)
    assert isinstance(signed_in, k.SuccessfulNativeLogin)
    assert signed_in.session_token.startswith("ory_st_")
    assert signed_in.session_token != registered.session_token
    assert signed_in.session.id != registered.session.id
    assert signed_in.session.identity.id == registered.identity.id
    assert signed_in.session.expires_at > signed_in.session.authenticated_at


def test_login_with_a_wrong_password_returns_the_flow_with_invalid_credentials(frontend):
    email = new_email()
    register(frontend, email)
    with pytest.raises(BadRequestException) as raised:
        login(frontend, email, "not-the-password-at-all")
    returned = raised.value.data
    assert isinstance(returned, k.LoginFlow), raised.value.body
    assert 4000006 in message_ids(returned.ui)
    assert inputs(returned.ui)["identifier"].value == email


def test_login_of_an_unknown_identifier_reports_invalid_credentials_too(frontend):
    with pytest.raises(BadRequestException) as raised:
        login(frontend, new_email("nobody"))
    assert 4000006 in message_ids(raised.value.data.ui)


def test_get_login_flow_returns_the_flow_and_an_unknown_id_raises_not_found(frontend):
    flow = frontend.create_native_login_flow()
    assert frontend.get_login_flow(flow.id).id == flow.id
    with pytest.raises(NotFoundException) as raised:
        frontend.get_login_flow(str(uuid.uuid4()))
    assert_error(raised.value, 404)


def test_a_refresh_login_flow_for_a_session_reauthenticates_it(frontend):
    email = new_email()
    token = register(frontend, email).session_token
    flow = frontend.create_native_login_flow(refresh=True, x_session_token=token)
    assert flow.refresh is True
    body = k.UpdateLoginFlowWithPasswordMethod(method="password", identifier=email, password=PASSWORD)
    refreshed = frontend.update_login_flow(flow.id, k.UpdateLoginFlowBody(body), x_session_token=token)
    assert refreshed.session.identity.traits["email"] == email
    assert len(refreshed.session.authentication_methods) == 2


# Whoami


def test_to_session_with_a_session_token_returns_the_session(frontend):
    email = new_email()
    registered = register(frontend, email)
    session = frontend.to_session(x_session_token=registered.session_token)
    assert isinstance(session, k.Session)
    assert session.id == registered.session.id
    assert session.identity.traits["email"] == email
    assert session.active is True
    assert session.devices and session.devices[0].user_agent.startswith("OpenAPI-Generator/")


# Settings


def test_settings_flow_shows_the_identity_and_changes_the_password(frontend):
    email = new_email()
    token = register(frontend, email).session_token
    flow = frontend.create_native_settings_flow(x_session_token=token)
    assert isinstance(flow, k.SettingsFlow)
    assert flow.type == "api"
    assert flow.state == "show_form"
    assert flow.identity.traits["email"] == email
    assert frontend.get_settings_flow(flow.id, x_session_token=token).id == flow.id

    new_password = PASSWORD + "-changed"
    body = k.UpdateSettingsFlowWithPasswordMethod(method="password", password=new_password)
    updated = frontend.update_settings_flow(flow.id, k.UpdateSettingsFlowBody(body), x_session_token=token)
    assert isinstance(updated, k.SettingsFlow)
    assert updated.state == "success"
    assert 1050001 in message_ids(updated.ui)

    assert login(frontend, email, new_password).session.identity.traits["email"] == email
    with pytest.raises(BadRequestException):
        login(frontend, email, PASSWORD)


def test_settings_flow_updates_the_profile_traits(frontend):
    email = new_email()
    token = register(frontend, email).session_token
    flow = frontend.create_native_settings_flow(x_session_token=token)
    traits = {"email": email, "name": {"first": "Grace", "last": "Hopper"}}
    body = k.UpdateSettingsFlowWithProfileMethod(method="profile", traits=traits)
    updated = frontend.update_settings_flow(flow.id, k.UpdateSettingsFlowBody(body), x_session_token=token)
    assert updated.state == "success"
    assert updated.identity.traits == traits
    assert frontend.to_session(x_session_token=token).identity.traits == traits


def test_settings_with_invalid_traits_returns_the_flow_with_a_field_message(frontend):
    email = new_email()
    token = register(frontend, email).session_token
    flow = frontend.create_native_settings_flow(x_session_token=token)
    body = k.UpdateSettingsFlowWithProfileMethod(method="profile", traits={"email": "not-an-email"})
    with pytest.raises(BadRequestException) as raised:
        frontend.update_settings_flow(flow.id, k.UpdateSettingsFlowBody(body), x_session_token=token)
    assert isinstance(raised.value.data, k.SettingsFlow), raised.value.body
    assert node_message_ids(raised.value.data.ui, "traits.email")
    assert frontend.to_session(x_session_token=token).identity.traits == {"email": email}


def test_settings_without_a_session_raises_unauthorized(frontend):
    with pytest.raises(UnauthorizedException) as raised:
        frontend.create_native_settings_flow(x_session_token="ory_st_" + uuid.uuid4().hex)
    assert_error(raised.value, 401, "session_inactive")


# Logout


def test_perform_native_logout_revokes_the_session_token(frontend):
    token = register(frontend, new_email()).session_token
    assert frontend.perform_native_logout(k.PerformNativeLogoutBody(session_token=token)) is None
    with pytest.raises(UnauthorizedException):
        frontend.to_session(x_session_token=token)


def test_perform_native_logout_with_an_unknown_token_is_refused(frontend):
    with pytest.raises(ForbiddenException) as raised:
        frontend.perform_native_logout(k.PerformNativeLogoutBody(session_token="ory_st_" + uuid.uuid4().hex))
    assert_error(raised.value, 403)


# Session token exchange (for native apps that finish a flow in a browser)


def test_native_flows_hand_out_an_exchange_code_that_needs_the_return_to_code(frontend):
    login_flow = frontend.create_native_login_flow(return_session_token_exchange_code=True,
                                                   return_to="http://127.0.0.1:4455/app")
    assert login_flow.session_token_exchange_code
    assert login_flow.return_to == "http://127.0.0.1:4455/app"
    registration_flow = frontend.create_native_registration_flow(return_session_token_exchange_code=True)
    assert registration_flow.session_token_exchange_code
    assert registration_flow.session_token_exchange_code != login_flow.session_token_exchange_code

    with pytest.raises(NotFoundException) as raised:
        frontend.exchange_session_token(init_code=login_flow.session_token_exchange_code, return_to_code="not-the-code")
    assert_error(raised.value, 404)
