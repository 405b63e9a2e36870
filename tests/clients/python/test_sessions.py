"""Session operations, public (FrontendApi) and admin (IdentityApi): first what every
caller sees without credentials or with unknown IDs, then on live sessions signed in
through the native flows."""

import uuid

import ory_kratos_client as k
import pytest
from ory_kratos_client.exceptions import BadRequestException, NotFoundException, UnauthorizedException

from flows import login, new_email, register
from helpers import assert_error, header, next_page_token


def test_to_session_without_credentials_raises_unauthorized_session_inactive(frontend):
    with pytest.raises(UnauthorizedException) as raised:
        frontend.to_session()
    assert_error(raised.value, 401, "session_inactive")


def test_to_session_with_an_unknown_token_raises_unauthorized(frontend):
    with pytest.raises(UnauthorizedException) as raised:
        frontend.to_session(x_session_token="ory_st_" + uuid.uuid4().hex)
    assert_error(raised.value, 401, "session_inactive")


def test_to_session_with_an_unknown_cookie_raises_unauthorized(frontend):
    with pytest.raises(UnauthorizedException) as raised:
        frontend.to_session(cookie="ory_kratos_session=forged")
    assert_error(raised.value, 401, "session_inactive")


@pytest.mark.parametrize("operation", ["list_my_sessions", "disable_my_other_sessions", "disable_my_session"])
def test_my_session_operations_without_credentials_raise_unauthorized(frontend, operation):
    args = [str(uuid.uuid4())] if operation == "disable_my_session" else []
    with pytest.raises(UnauthorizedException) as raised:
        getattr(frontend, operation)(*args)
    assert_error(raised.value, 401, "session_inactive")


@pytest.mark.parametrize("operation", ["get_session", "disable_session", "extend_session", "delete_identity_sessions"])
def test_admin_session_operations_on_unknown_ids_raise_not_found(identity_admin, operation):
    with pytest.raises(NotFoundException) as raised:
        getattr(identity_admin, operation)(str(uuid.uuid4()))
    assert_error(raised.value, 404, "not_found")


def test_list_identity_sessions_of_an_identity_without_sessions_is_empty(identity_admin):
    assert identity_admin.list_identity_sessions(str(uuid.uuid4())) == []


# With live sessions (signed in through the native flows)


@pytest.fixture
def person(frontend):
    """An identity signed in twice: (first registration, second login)."""
    email = new_email()
    return register(frontend, email), login(frontend, email)


def test_list_my_sessions_lists_the_other_sessions_of_the_caller(frontend, person):
    first, second = person
    others = frontend.list_my_sessions(x_session_token=first.session_token)
    assert [s.id for s in others] == [second.session.id]
    assert isinstance(others[0], k.Session)
    assert others[0].identity.id == first.identity.id


def test_disable_my_session_revokes_another_session_but_not_the_current_one(frontend, person):
    first, second = person
    assert frontend.disable_my_session(second.session.id, x_session_token=first.session_token) is None
    with pytest.raises(UnauthorizedException):
        frontend.to_session(x_session_token=second.session_token)
    assert frontend.to_session(x_session_token=first.session_token).id == first.session.id

    with pytest.raises(BadRequestException) as raised:
        frontend.disable_my_session(first.session.id, x_session_token=first.session_token)
    assert_error(raised.value, 400)


def test_disable_my_other_sessions_revokes_all_but_the_current_one(frontend, person):
    first, second = person
    third = login(frontend, first.identity.traits["email"])
    count = frontend.disable_my_other_sessions(x_session_token=third.session_token)
    assert isinstance(count, k.DeleteMySessionsCount)
    assert count.count == 2
    for revoked in (first, second):
        with pytest.raises(UnauthorizedException):
            frontend.to_session(x_session_token=revoked.session_token)
    assert frontend.to_session(x_session_token=third.session_token).id == third.session.id
    assert frontend.list_my_sessions(x_session_token=third.session_token) == []


def test_admin_get_session_expands_the_identity_and_devices(identity_admin, person):
    first, _ = person
    session = identity_admin.get_session(first.session.id, expand=["identity", "devices"])
    assert isinstance(session, k.Session)
    assert session.id == first.session.id
    assert session.identity.id == first.identity.id
    assert session.devices and session.devices[0].ip_address == "127.0.0.1"
    plain = identity_admin.get_session(first.session.id)
    assert plain.identity is None


def test_admin_list_sessions_includes_live_sessions_and_filters_by_state(identity_admin, person):
    first, second = person
    identity_admin.disable_session(second.session.id)
    every = {s.id: s for s in identity_admin.list_sessions(page_size=1000)}
    assert every[first.session.id].active is True
    assert every[second.session.id].active is False
    active = {s.id for s in identity_admin.list_sessions(active=True, page_size=1000)}
    assert first.session.id in active and second.session.id not in active
    expanded = [s for s in identity_admin.list_sessions(expand=["identity"], page_size=1000) if s.id == first.session.id]
    assert expanded[0].identity.traits == first.identity.traits


def test_admin_list_sessions_pages_through_link_headers(identity_admin, person):
    first_page = identity_admin.list_sessions_with_http_info(page_size=1)
    assert len(first_page.data) == 1
    token = next_page_token(header(first_page, "Link"))
    assert token, header(first_page, "Link")
    second_page = identity_admin.list_sessions_with_http_info(page_size=1, page_token=token)
    assert len(second_page.data) == 1
    assert second_page.data[0].id != first_page.data[0].id


def test_admin_disable_session_revokes_it(frontend, identity_admin, person):
    first, _ = person
    assert identity_admin.disable_session(first.session.id) is None
    with pytest.raises(UnauthorizedException):
        frontend.to_session(x_session_token=first.session_token)
    assert identity_admin.get_session(first.session.id).active is False


def test_admin_extend_session_moves_the_expiry_forward(identity_admin, person):
    first, _ = person
    before = identity_admin.get_session(first.session.id).expires_at
    extended = identity_admin.extend_session(first.session.id)
    after = identity_admin.get_session(first.session.id).expires_at
    assert after > before
    # Without feature_flags.faster_session_extend Kratos answers 200 with the session.
    assert isinstance(extended, k.Session)
    assert extended.id == first.session.id
    assert extended.expires_at == after


def test_admin_list_and_delete_identity_sessions(frontend, identity_admin, person):
    first, second = person
    listed = identity_admin.list_identity_sessions(first.identity.id)
    assert {s.id for s in listed} == {first.session.id, second.session.id}
    assert all(s.identity.id == first.identity.id for s in listed)

    assert identity_admin.delete_identity_sessions(first.identity.id) is None
    assert identity_admin.list_identity_sessions(first.identity.id) == []
    for revoked in person:
        with pytest.raises(UnauthorizedException):
            frontend.to_session(x_session_token=revoked.session_token)
