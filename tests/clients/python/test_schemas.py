"""IdentityApi schema operations: list_identity_schemas and get_identity_schema."""

import ory_kratos_client
import pytest
from ory_kratos_client.exceptions import BadRequestException, NotFoundException

from helpers import assert_error, header, next_page_token


def test_list_identity_schemas_returns_every_configured_schema(identity_public):
    schemas = identity_public.list_identity_schemas()
    assert all(isinstance(s, ory_kratos_client.IdentitySchemaContainer) for s in schemas)
    by_id = {s.id: s.var_schema for s in schemas}
    assert sorted(by_id) == ["default", "employee"]
    assert by_id["default"]["title"] == "Person"
    assert by_id["employee"]["properties"]["traits"]["required"] == ["email", "department"]


def test_list_identity_schemas_pages_through_link_headers(identity_public):
    first = identity_public.list_identity_schemas_with_http_info(page_size=1)
    assert first.status_code == 200
    assert len(first.data) == 1
    token = next_page_token(header(first, "Link"))
    assert token, header(first, "Link")

    second = identity_public.list_identity_schemas_with_http_info(page_size=1, page_token=token)
    assert len(second.data) == 1
    assert {first.data[0].id, second.data[0].id} == {"default", "employee"}
    assert next_page_token(header(second, "Link")) is None


def test_get_identity_schema_returns_the_raw_schema(identity_public):
    schema = identity_public.get_identity_schema("employee")
    assert schema["$id"] == "https://example.com/client-tests/employee.schema.json"
    assert schema["properties"]["traits"]["properties"]["department"]["enum"] == ["engineering", "sales"]


def test_get_identity_schema_of_an_unknown_id_raises_not_found(identity_public):
    with pytest.raises(NotFoundException) as raised:
        identity_public.get_identity_schema("no-such-schema")
    assert_error(raised.value, 404)


def test_list_identity_schemas_with_a_forged_page_token_raises_bad_request(identity_public):
    with pytest.raises(BadRequestException) as raised:
        identity_public.list_identity_schemas(page_size=1, page_token="forged")
    assert_error(raised.value, 400)
