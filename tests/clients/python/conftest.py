"""Session fixtures for the Python SDK suite: a live `serverless-kratos serve` per store.

Each store named in KRATOS_CLIENT_TEST_STORES (comma-separated: sqlite, memory, dynamodb;
default `sqlite`) gets one server for the whole session, started by kratos_server.py on
free loopback ports with a fresh store. Tests get SDK clients bound to that server's public
and admin URLs and never reach anything but 127.0.0.1.
"""

from __future__ import annotations

import os

import ory_kratos_client
import pytest

import kratos_server

STORES = [s.strip() for s in os.environ.get("KRATOS_CLIENT_TEST_STORES", "sqlite").split(",") if s.strip()]


@pytest.fixture(scope="session", params=STORES)
def server(request, tmp_path_factory):
    server = kratos_server.start(request.param, tmp_path_factory.mktemp(f"kratos-{request.param}"))
    yield server
    # Raises (a test error) if the server crashed during the session.
    server.stop()


def sdk(host: str) -> ory_kratos_client.ApiClient:
    return ory_kratos_client.ApiClient(ory_kratos_client.Configuration(host=host))


@pytest.fixture
def public_client(server):
    with sdk(server.public_url) as client:
        yield client


@pytest.fixture
def admin_client(server):
    with sdk(server.admin_url) as client:
        yield client


@pytest.fixture
def frontend(public_client):
    return ory_kratos_client.FrontendApi(public_client)


@pytest.fixture
def identity_admin(admin_client):
    """IdentityApi bound to the admin URL, as Kratos's docs configure it."""
    return ory_kratos_client.IdentityApi(admin_client)


@pytest.fixture
def identity_public(public_client):
    """IdentityApi bound to the public URL (where the schema endpoints live)."""
    return ory_kratos_client.IdentityApi(public_client)


@pytest.fixture
def courier(admin_client):
    return ory_kratos_client.CourierApi(admin_client)
