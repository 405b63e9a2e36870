"""Browser self-service flows: a cookie-jar client asking for JSON (as single-page apps and
Ory Elements do), with every body read through the SDK's models, and the SDK itself for
the calls a server-side app makes with the user's Cookie header."""

from urllib.parse import parse_qs, urlparse

import ory_kratos_client as k
import pytest
from ory_kratos_client.exceptions import BadRequestException, UnauthorizedException

from flows import PASSWORD, Browser, csrf_token, message_ids, new_email
from helpers import assert_error

SESSION_COOKIE = "ory_kratos_session"


@pytest.fixture
def browser(server):
    browser = Browser(server.public_url)
    yield browser
    browser.close()


def register_in(browser: Browser, email: str) -> k.SuccessfulNativeRegistration:
    started = browser.get("/self-service/registration/browser")
    assert started.status_code == 200, started.text
    flow = k.RegistrationFlow.from_json(started.text)
    body = {"method": "password", "csrf_token": csrf_token(flow.ui), "password": PASSWORD, "traits": {"email": email}}
    done = browser.post_json(flow.ui.action, body)
    assert done.status_code == 200, done.text
    return k.SuccessfulNativeRegistration.from_json(done.text)


def test_browser_registration_sets_the_session_cookie(browser, frontend):
    started = browser.get("/self-service/registration/browser")
    flow = k.RegistrationFlow.from_json(started.text)
    assert flow.type == "browser"
    assert any(name.startswith("csrf_token") for name in browser.http.cookies.keys())
    assert csrf_token(flow.ui)

    email = new_email("browser")
    body = {"method": "password", "csrf_token": csrf_token(flow.ui), "password": PASSWORD, "traits": {"email": email}}
    done = browser.post_json(flow.ui.action, body)
    assert done.status_code == 200, done.text
    registered = k.SuccessfulNativeRegistration.from_json(done.text)
    assert registered.identity.traits == {"email": email}
    assert registered.session_token is None
    assert browser.cookie(SESSION_COOKIE)

    session = frontend.to_session(cookie=browser.cookie_header())
    assert session.id == registered.session.id
    assert session.identity.traits["email"] == email


def test_browser_submission_without_the_csrf_token_is_refused(browser):
    flow = k.RegistrationFlow.from_json(browser.get("/self-service/registration/browser").text)
    body = {"method": "password", "password": PASSWORD, "traits": {"email": new_email()}}
    refused = browser.post_json(flow.ui.action, body)
    assert refused.status_code == 403, refused.text
    error = k.ErrorGeneric.from_json(refused.text)
    assert error.error.id == "security_csrf_violation"


def test_browser_login_through_the_sdk_with_the_cookie_header(browser, frontend, server):
    email = new_email("browser")
    register_in(Browser(server.public_url), email)

    started = browser.get("/self-service/login/browser")
    flow = k.LoginFlow.from_json(started.text)
    assert flow.type == "browser"
    # A server-side app forwards the user's cookies to read and submit the flow.
    fetched = frontend.get_login_flow(flow.id, cookie=browser.cookie_header())
    assert fetched.id == flow.id
    body = k.UpdateLoginFlowWithPasswordMethod(method="password", identifier=email, password=PASSWORD,
                                               csrf_token=csrf_token(fetched.ui))
    response = frontend.update_login_flow_with_http_info(flow.id, k.UpdateLoginFlowBody(body), cookie=browser.cookie_header())
    assert response.status_code == 200
    assert response.data.session.identity.traits["email"] == email
    assert response.data.session_token is None
    set_cookies = [v for name, v in response.headers.items() if name.lower() == "set-cookie"]
    assert any(c.startswith(SESSION_COOKIE + "=") for c in set_cookies), set_cookies


def test_browser_login_with_a_wrong_password_returns_the_flow_with_invalid_credentials(browser):
    flow = k.LoginFlow.from_json(browser.get("/self-service/login/browser").text)
    body = {"method": "password", "csrf_token": csrf_token(flow.ui), "identifier": new_email(), "password": "wrong-password-here"}
    refused = browser.post_json(flow.ui.action, body)
    assert refused.status_code == 400, refused.text
    returned = k.LoginFlow.from_json(refused.text)
    assert 4000006 in message_ids(returned.ui)


def test_browser_flow_init_without_json_redirects_to_the_ui(browser):
    started = browser.get("/self-service/login/browser", headers={"Accept": "text/html"})
    assert started.status_code == 303
    location = urlparse(started.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "http://127.0.0.1:4455/login"
    flow_id = parse_qs(location.query)["flow"][0]
    assert browser.get(f"/self-service/login/flows?id={flow_id}").status_code == 200


def test_browser_flows_keep_an_allowed_return_to_and_refuse_others(frontend):
    flow = frontend.create_browser_login_flow(return_to="http://127.0.0.1:4455/after")
    assert flow.return_to == "http://127.0.0.1:4455/after"
    with pytest.raises(BadRequestException) as raised:
        frontend.create_browser_registration_flow(return_to="http://evil.example.com/")
    assert_error(raised.value, 400, "self_service_flow_return_to_forbidden")


def test_create_browser_login_flow_with_a_session_reports_session_already_available(browser, frontend):
    register_in(browser, new_email("browser"))
    with pytest.raises(BadRequestException) as raised:
        frontend.create_browser_login_flow(cookie=browser.cookie_header())
    assert_error(raised.value, 400, "session_already_available")


def test_browser_settings_through_the_sdk_update_the_profile(browser, frontend):
    email = new_email("browser")
    register_in(browser, email)
    flow = frontend.create_browser_settings_flow(cookie=browser.cookie_header())
    assert isinstance(flow, k.SettingsFlow)
    assert flow.type == "browser"
    assert flow.identity.traits == {"email": email}
    traits = {"email": email, "name": {"first": "Katherine", "last": "Johnson"}}
    body = k.UpdateSettingsFlowWithProfileMethod(method="profile", traits=traits, csrf_token=csrf_token(flow.ui))
    updated = frontend.update_settings_flow(flow.id, k.UpdateSettingsFlowBody(body), cookie=browser.cookie_header())
    assert updated.state == "success"
    assert frontend.to_session(cookie=browser.cookie_header()).identity.traits == traits


def test_browser_settings_without_a_session_raise_unauthorized(frontend):
    with pytest.raises(UnauthorizedException) as raised:
        frontend.create_browser_settings_flow()
    assert_error(raised.value, 401, "session_inactive")


def test_browser_logout_through_the_sdk_ends_the_session(browser, frontend, server):
    register_in(browser, new_email("browser"))
    logout = frontend.create_browser_logout_flow(cookie=browser.cookie_header())
    assert isinstance(logout, k.LogoutFlow)
    assert logout.logout_token.startswith("ory_lo_")
    assert logout.logout_url == server.public(f"/self-service/logout?token={logout.logout_token}")

    assert frontend.update_logout_flow(token=logout.logout_token, cookie=browser.cookie_header()) is None
    with pytest.raises(UnauthorizedException):
        frontend.to_session(cookie=browser.cookie_header())


def test_create_browser_logout_flow_without_a_session_raises_unauthorized(frontend):
    with pytest.raises(UnauthorizedException) as raised:
        frontend.create_browser_logout_flow()
    assert_error(raised.value, 401)


def test_a_browser_form_error_is_readable_with_get_flow_error(browser, frontend):
    flow = k.LoginFlow.from_json(browser.get("/self-service/login/browser").text)
    # A plain HTML form post without the CSRF token: the browser is sent to the error UI.
    refused = browser.http.post(flow.ui.action, data={"method": "password", "identifier": "x", "password": "y"},
                                headers={"Accept": "text/html"}, allow_redirects=False)
    assert refused.status_code == 303, refused.text
    location = urlparse(refused.headers["Location"])
    assert location.path == "/error"
    error_id = parse_qs(location.query)["id"][0]

    flow_error = frontend.get_flow_error(error_id)
    assert isinstance(flow_error, k.FlowError)
    assert flow_error.id == error_id
    assert flow_error.error["id"] == "security_csrf_violation"
    assert flow_error.error["code"] == 403
