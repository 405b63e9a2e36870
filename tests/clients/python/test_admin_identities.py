"""Identity administration through IdentityApi: create (and import), get, list, update,
JSON Patch, batch patch, delete and credential removal."""

import uuid

import ory_kratos_client as k
import pytest
from ory_kratos_client.exceptions import (
    BadRequestException,
    ConflictException,
    NotFoundException,
    UnauthorizedException,
)

from flows import PASSWORD, login, new_email, register
from helpers import assert_error, header, next_page_token


def password_credentials(password: str | None = None, hashed: str | None = None) -> k.IdentityWithCredentials:
    config = k.IdentityWithCredentialsPasswordConfig(password=password, hashed_password=hashed)
    return k.IdentityWithCredentials(password=k.IdentityWithCredentialsPassword(config=config))


def create(identity_admin, email: str, **fields) -> k.Identity:
    fields.setdefault("schema_id", "default")
    fields.setdefault("traits", {"email": email})
    return identity_admin.create_identity(k.CreateIdentityBody(**fields))


# Create


def test_create_identity_with_a_password_that_signs_in(identity_admin, frontend, server):
    email = new_email("admin")
    created = create(identity_admin, email, credentials=password_credentials(PASSWORD),
                     metadata_public={"plan": "pro"}, metadata_admin={"crm_id": 42})
    assert isinstance(created, k.Identity)
    assert created.schema_id == "default"
    assert created.schema_url == server.public("/schemas/ZGVmYXVsdA")
    assert created.state == "active"
    assert created.traits == {"email": email}
    assert created.metadata_public == {"plan": "pro"}
    assert created.metadata_admin == {"crm_id": 42}
    assert [(a.value, a.via, a.verified, a.status) for a in created.verifiable_addresses] == [(email, "email", False, "pending")]
    assert [(a.value, a.via) for a in created.recovery_addresses] == [(email, "email")]
    password = created.credentials["password"]
    assert password.identifiers == [email]
    assert password.config is None  # hashes only with include_credential

    assert login(frontend, email).session.identity.id == created.id


def test_create_identity_imports_verified_addresses_and_a_hashed_password(identity_admin, frontend):
    # A hash the server made itself (read back with include_credential) is a valid import.
    source = create(identity_admin, new_email("hash-source"), credentials=password_credentials(PASSWORD))
    hashed = identity_admin.get_identity(source.id, include_credential=["password"]).credentials["password"].config["hashed_password"]
    assert hashed.startswith("$")

    email = new_email("import")
    imported = create(identity_admin, email, credentials=password_credentials(hashed=hashed), state="inactive",
                      verifiable_addresses=[k.VerifiableIdentityAddress(value=email, via="email", verified=True, status="completed")])
    assert imported.state == "inactive"
    assert imported.verifiable_addresses[0].verified is True
    assert imported.verifiable_addresses[0].status == "completed"

    identity_admin.patch_identity(imported.id, [k.JsonPatch(op="replace", path="/state", value="active")])
    assert login(frontend, email).session.identity.id == imported.id


def test_create_identity_for_a_taken_identifier_raises_conflict(identity_admin):
    email = new_email("admin")
    create(identity_admin, email, credentials=password_credentials(PASSWORD))
    with pytest.raises(ConflictException) as raised:
        create(identity_admin, email, credentials=password_credentials(PASSWORD))
    assert_error(raised.value, 409, "conflict")


def test_create_identity_with_invalid_traits_or_schema_raises_bad_request(identity_admin):
    with pytest.raises(BadRequestException) as raised:
        create(identity_admin, new_email(), schema_id="employee")  # no department
    assert_error(raised.value, 400)
    with pytest.raises(BadRequestException) as raised:
        create(identity_admin, new_email(), schema_id="no-such-schema")
    assert_error(raised.value, 400)


# Read


def test_get_identity_returns_it_and_its_hashes_only_on_request(identity_admin):
    email = new_email("admin")
    created = create(identity_admin, email, credentials=password_credentials(PASSWORD))
    fetched = identity_admin.get_identity(created.id)
    assert fetched.id == created.id
    assert fetched.traits == {"email": email}
    assert fetched.credentials["password"].config is None
    with_hash = identity_admin.get_identity(created.id, include_credential=["password"])
    assert with_hash.credentials["password"].config["hashed_password"]


def test_get_identity_of_an_unknown_id_raises_not_found(identity_admin):
    with pytest.raises(NotFoundException) as raised:
        identity_admin.get_identity(str(uuid.uuid4()))
    assert_error(raised.value, 404)


def test_list_identities_filters_by_identifier_ids_and_similarity(identity_admin):
    tag = uuid.uuid4().hex[:10]
    first = create(identity_admin, f"{tag}-a@example.com", credentials=password_credentials(PASSWORD))
    second = create(identity_admin, f"{tag}-b@example.com", credentials=password_credentials(PASSWORD))

    exact = identity_admin.list_identities(credentials_identifier=f"{tag}-a@example.com")
    assert [i.id for i in exact] == [first.id]
    by_ids = identity_admin.list_identities(ids=[first.id, second.id])
    assert {i.id for i in by_ids} == {first.id, second.id}
    similar = identity_admin.list_identities(preview_credentials_identifier_similar=tag)
    assert {i.id for i in similar} == {first.id, second.id}
    everyone = {i.id for i in identity_admin.list_identities(page_size=500)}
    assert {first.id, second.id} <= everyone
    for consistency in ("strong", "eventual"):
        listed = identity_admin.list_identities(consistency=consistency, credentials_identifier=f"{tag}-b@example.com")
        assert [i.id for i in listed] == [second.id]


def test_list_identities_pages_through_link_headers(identity_admin):
    for _ in range(2):
        create(identity_admin, new_email("page"))
    first = identity_admin.list_identities_with_http_info(page_size=1)
    assert len(first.data) == 1
    token = next_page_token(header(first, "Link"))
    assert token, header(first, "Link")
    second = identity_admin.list_identities_with_http_info(page_size=1, page_token=token)
    assert len(second.data) == 1
    assert second.data[0].id != first.data[0].id


def test_list_identities_with_a_forged_page_token_raises_bad_request(identity_admin):
    with pytest.raises(BadRequestException) as raised:
        identity_admin.list_identities(page_size=1, page_token="forged")
    assert_error(raised.value, 400)


# Update


def test_update_identity_replaces_traits_state_and_metadata(identity_admin):
    email = new_email("admin")
    created = create(identity_admin, email, metadata_public={"old": True})
    new = new_email("renamed")
    body = k.UpdateIdentityBody(schema_id="default", state="inactive", traits={"email": new, "name": {"first": "Ada"}},
                                metadata_admin={"reason": "renamed"})
    updated = identity_admin.update_identity(created.id, body)
    assert updated.traits == {"email": new, "name": {"first": "Ada"}}
    assert updated.state == "inactive"
    assert updated.metadata_admin == {"reason": "renamed"}
    assert updated.metadata_public is None
    assert [a.value for a in updated.verifiable_addresses] == [new]
    assert identity_admin.get_identity(created.id).traits["email"] == new


def test_update_identity_errors(identity_admin):
    taken = new_email("taken")
    create(identity_admin, taken, credentials=password_credentials(PASSWORD))
    mine = create(identity_admin, new_email("mine"), credentials=password_credentials(PASSWORD))
    with pytest.raises(ConflictException) as raised:
        identity_admin.update_identity(mine.id, k.UpdateIdentityBody(schema_id="default", state="active", traits={"email": taken}))
    assert_error(raised.value, 409)
    with pytest.raises(BadRequestException) as raised:
        identity_admin.update_identity(mine.id, k.UpdateIdentityBody(schema_id="employee", state="active", traits={"email": new_email()}))
    assert_error(raised.value, 400)
    with pytest.raises(NotFoundException) as raised:
        identity_admin.update_identity(str(uuid.uuid4()), k.UpdateIdentityBody(schema_id="default", state="active", traits={"email": new_email()}))
    assert_error(raised.value, 404)


def test_patch_identity_applies_json_patch(identity_admin):
    email = new_email("patch")
    created = create(identity_admin, email)
    patched = identity_admin.patch_identity(created.id, [
        k.JsonPatch(op="add", path="/traits/name", value={"first": "Grace"}),
        k.JsonPatch(op="add", path="/metadata_public", value={"tier": 2}),
        k.JsonPatch(op="replace", path="/state", value="inactive"),
    ])
    assert patched.traits == {"email": email, "name": {"first": "Grace"}}
    assert patched.metadata_public == {"tier": 2}
    assert patched.state == "inactive"


def test_patch_identity_refuses_protected_paths_and_invalid_results(identity_admin):
    created = create(identity_admin, new_email("patch"))
    with pytest.raises(BadRequestException) as raised:
        identity_admin.patch_identity(created.id, [k.JsonPatch(op="replace", path="/id", value=str(uuid.uuid4()))])
    assert_error(raised.value, 400)
    with pytest.raises(BadRequestException) as raised:
        identity_admin.patch_identity(created.id, [k.JsonPatch(op="replace", path="/traits/email", value="not-an-email")])
    assert_error(raised.value, 400)
    with pytest.raises(NotFoundException) as raised:
        identity_admin.patch_identity(str(uuid.uuid4()), [k.JsonPatch(op="replace", path="/state", value="active")])
    assert_error(raised.value, 404)


def test_batch_patch_identities_creates_each_and_reports_conflicts_per_patch(identity_admin):
    taken = new_email("batch")
    create(identity_admin, taken)
    fresh = new_email("batch")
    patch_id = str(uuid.uuid4())
    result = identity_admin.batch_patch_identities(k.PatchIdentitiesBody(identities=[
        k.IdentityPatch(patch_id=patch_id, create=k.CreateIdentityBody(schema_id="default", traits={"email": fresh})),
        k.IdentityPatch(create=k.CreateIdentityBody(schema_id="default", traits={"email": taken})),
    ]))
    assert isinstance(result, k.BatchPatchIdentitiesResponse)
    created, refused = result.identities
    assert created.action == "create"
    assert created.patch_id == patch_id
    assert identity_admin.get_identity(created.identity).traits == {"email": fresh}
    assert refused.action == "error"
    assert refused.error["code"] == 409
    assert refused.identity is None


# Delete


def test_delete_identity_removes_it_and_its_sessions(identity_admin, frontend):
    registered = register(frontend, new_email("delete"))
    assert identity_admin.delete_identity(registered.identity.id) is None
    with pytest.raises(NotFoundException):
        identity_admin.get_identity(registered.identity.id)
    with pytest.raises(UnauthorizedException):
        frontend.to_session(x_session_token=registered.session_token)
    with pytest.raises(NotFoundException) as raised:
        identity_admin.delete_identity(registered.identity.id)
    assert_error(raised.value, 404)


def test_delete_identity_credentials_refuses_first_factors_and_missing_types(identity_admin):
    created = create(identity_admin, new_email("creds"), credentials=password_credentials(PASSWORD))
    with pytest.raises(BadRequestException) as raised:
        identity_admin.delete_identity_credentials(created.id, "password")
    assert_error(raised.value, 400)
    with pytest.raises(NotFoundException) as raised:
        identity_admin.delete_identity_credentials(created.id, "totp")
    assert_error(raised.value, 404)
    assert identity_admin.get_identity(created.id).credentials["password"].identifiers == [created.traits["email"]]
