"""SMS over SMPP 3.4 against a real SMSC on loopback (the `smpp34` package's server, see smpp_peer.py)."""

import math

import pytest

from engine.db import db
from notifications import delivery, smpp
from notifications.outbox import enqueue_to
from tests.smpp_peer import SmscPeer
from tests.test_delivery import BODY, SUBJECT, no_outside_settings, queue, row  # noqa: F401  (autouse fixture)

LONG_TEXT = f"{SUBJECT}\n{BODY.strip()}"


@pytest.fixture
def smsc(monkeypatch):
    peer = SmscPeer()
    for name, value in {"SMS_GATEWAY": "smpp", "SMPP_HOST": "127.0.0.1", "SMPP_PORT": str(peer.port),
                        "SMPP_SYSTEM_ID": "keydesk", "SMPP_PASSWORD": "s3cret", "SMPP_SOURCE_ADDR": "10086"}.items():
        monkeypatch.setenv(name, value)
    yield peer
    smpp.close()
    peer.stop()


def test_a_long_chinese_alert_arrives_as_ucs2_parts_that_join_into_the_whole_text(app, fake_clock, smsc):
    smsc.start()
    [sms] = queue("sms")
    assert delivery.deliver_due() == 1
    assert row(sms.id).state == "sent"

    assert smsc.binds == ["keydesk"]
    assert smsc.messages() == [("8613800000001", LONG_TEXT)]
    assert len(smsc.submits) == math.ceil(len(LONG_TEXT) / 67) > 1  # UCS-2 with a UDH: 67 characters a part
    assert {(s.data_coding, s.esm_class, s.dest_addr_ton, s.source_addr) for s in smsc.submits} == \
        {(8, 0x40, 1, "10086")}


def test_a_short_english_text_is_one_plain_gsm_message(app, fake_clock, smsc):
    smsc.start()
    enqueue_to("sla_warning", "sms", "13800000009", "[R-2026-000042] Response due at 10:45", "", "short")
    db.session.commit()
    delivery.deliver_due()
    [submit] = smsc.submits
    assert (submit.data_coding, submit.esm_class, submit.dest_addr_ton) == (0, 0, 0)
    assert smsc.messages() == [("13800000009", "[R-2026-000042] Response due at 10:45")]


def test_smsc_down_then_up_retries_then_delivers_exactly_once(app, fake_clock, smsc):
    [sms] = queue("sms")
    delivery.deliver_due()
    failed = row(sms.id)
    assert (failed.state, failed.attempts) == ("pending", 1)
    assert f"SMSC 127.0.0.1:{smsc.port}: connection lost or refused" in failed.last_error

    smsc.start()
    fake_clock.advance(seconds=30)
    assert delivery.deliver_due() == 1
    fake_clock.advance(hours=1)
    assert delivery.deliver_due() == 0
    assert (row(sms.id).state, row(sms.id).attempts) == ("sent", 2)
    assert smsc.messages() == [("8613800000001", LONG_TEXT)]


def test_a_refusal_by_the_smsc_is_retried_and_named_in_the_error(app, fake_clock, smsc):
    smsc.start()
    smsc.refusals = [0x58]  # ESME_RTHROTTLED
    [sms] = queue("sms")
    delivery.deliver_due()
    assert "status 0x00000058" in row(sms.id).last_error and row(sms.id).state == "pending"
    fake_clock.advance(seconds=30)
    delivery.deliver_due()
    assert row(sms.id).state == "sent"
    assert smsc.messages() == [("8613800000001", LONG_TEXT)]


def test_a_link_the_smsc_dropped_between_messages_is_bound_again_without_losing_an_attempt(app, fake_clock, smsc):
    smsc.start()
    [first] = queue("sms", key="first")
    delivery.deliver_due()
    smsc.stop()
    smsc.start()  # the SMSC restarted: the worker's open session is dead
    [second] = queue("sms", key="second")
    assert delivery.deliver_due() == 1
    assert (row(second.id).state, row(second.id).attempts, row(second.id).last_error) == ("sent", 1, None)
    assert smsc.binds == ["keydesk", "keydesk"]
    assert len(smsc.messages()) == 2


def test_missing_smpp_settings_name_the_setting(app, fake_clock, monkeypatch):
    monkeypatch.setenv("SMS_GATEWAY", "smpp")
    [sms] = queue("sms")
    delivery.deliver_due()
    assert row(sms.id).last_error == "SMPP_HOST is not set"


def test_an_unknown_gateway_is_named(app, fake_clock, monkeypatch):
    monkeypatch.setenv("SMS_GATEWAY", "carrier-pigeon")
    [sms] = queue("sms")
    delivery.deliver_due()
    assert row(sms.id).last_error == "SMS_GATEWAY must be http or smpp, not 'carrier-pigeon'"


def test_the_worker_keeps_one_bound_session_for_many_messages(app, fake_clock, smsc):
    smsc.start()
    for key in range(5):
        queue("sms", key=f"k{key}")
    assert delivery.deliver_due() == 5
    assert smsc.binds == ["keydesk"] and len(smsc.messages()) == 5
