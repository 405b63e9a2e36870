"""Session operations, public (FrontendApi) and admin (IdentityApi), without a login.

The flow suites sign in and check these operations on live sessions; this file checks
what every caller sees without credentials or with unknown IDs.
"""

import uuid

import pytest
from ory_kratos_client.exceptions import NotFoundException, UnauthorizedException

from helpers import assert_error


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
