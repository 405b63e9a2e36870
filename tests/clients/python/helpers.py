"""Assertions shared by the Python SDK tests."""

import json
from urllib.parse import parse_qs, urlparse

import ory_kratos_client


def assert_error(exc, status: int, error_id: str | None = None) -> dict:
    """The SDK raised for `status` and the body is Kratos's error format, as the SDK parses it.

    Returns the `error` object of the raw body for further checks.
    """
    assert exc.status == status, exc
    # The SDK deserialises documented error statuses itself (a wrong shape would have raised
    # a validation error instead of this exception); for the operations whose error is the
    # spec's `default` response, parse the body into the SDK's model here.
    error = exc.data if exc.data is not None else ory_kratos_client.ErrorGeneric.from_json(exc.body)
    assert isinstance(error, ory_kratos_client.ErrorGeneric), (type(error), exc.body)
    assert error.error.code == status
    assert error.error.message
    body = json.loads(exc.body)
    if error_id is not None:
        assert error.error.id == error_id, exc.body
    return body["error"]


def header(response, name: str) -> str:
    """A response header by case-insensitive name ("" if absent)."""
    return next((v for k, v in (response.headers or {}).items() if k.lower() == name.lower()), "")


def next_page_token(link_header: str) -> str | None:
    for part in filter(None, link_header.split(",")):
        url, _, rel = part.partition(";")
        if 'rel="next"' in rel:
            query = parse_qs(urlparse(url.strip().strip("<>")).query)
            return query["page_token"][0]
    return None
