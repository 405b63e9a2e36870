"""MetadataApi: health and version, on the public and the admin API."""

import ory_kratos_client
import pytest


@pytest.fixture(params=["public", "admin"])
def metadata(request, public_client, admin_client):
    return ory_kratos_client.MetadataApi(public_client if request.param == "public" else admin_client)


def test_is_alive_reports_ok(metadata):
    alive = metadata.is_alive()
    assert isinstance(alive, ory_kratos_client.IsAlive200Response)
    assert alive.status == "ok"


def test_is_ready_reports_ok_when_the_store_answers(metadata):
    ready = metadata.is_ready()
    assert isinstance(ready, ory_kratos_client.IsAlive200Response)
    assert ready.status == "ok"


def test_get_version_reports_the_kratos_release_line(metadata):
    version = metadata.get_version()
    assert isinstance(version, ory_kratos_client.GetVersion200Response)
    assert version.version.startswith("v1.3."), version.version
