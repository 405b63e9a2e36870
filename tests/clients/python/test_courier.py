"""CourierApi: list_courier_messages and get_courier_message.

Messages are only ever queued by self-service flows; the flow suites check the messages
they produce. Here: the filters, paging and error paths.
"""

import uuid

import pytest
from ory_kratos_client.exceptions import BadRequestException, NotFoundException

from helpers import assert_error


def test_list_courier_messages_for_an_unknown_recipient_is_empty(courier):
    messages = courier.list_courier_messages(recipient=f"nobody-{uuid.uuid4().hex}@example.com")
    assert messages == []


def test_list_courier_messages_accepts_every_status_filter_and_the_largest_page(courier):
    for status in ("queued", "sent", "processing", "abandoned"):
        messages = courier.list_courier_messages(status=status, page_size=1000)
        assert all(m.status == status for m in messages), messages


def test_list_courier_messages_with_a_forged_page_token_raises_bad_request(courier):
    with pytest.raises(BadRequestException) as raised:
        courier.list_courier_messages(page_token="forged")
    assert_error(raised.value, 400)


def test_get_courier_message_of_an_unknown_id_raises_not_found(courier):
    missing = str(uuid.uuid4())
    with pytest.raises(NotFoundException) as raised:
        courier.get_courier_message(missing)
    assert_error(raised.value, 404)


def test_get_courier_message_of_a_malformed_id_raises_bad_request(courier):
    with pytest.raises(BadRequestException) as raised:
        courier.get_courier_message("not-a-uuid")
    assert_error(raised.value, 400)
