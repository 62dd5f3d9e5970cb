"""The telephony port's pure parts, without any binary: the outcome mapping against event streams recorded from
baresip 1.0.0 calling sipp (the reasons are baresip's own words), the call driver against a scripted phone, and
the number normalisation table."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import pytest

from orders.dialling import place_call
from orders.telephony import NoPhone, PhoneError, PhoneEvent, normalise_number, outcome_of, sip_code


def stream(*items: tuple[Any, ...]) -> list[PhoneEvent]:
    """Events from (kind, seconds after the dial[, reason]) as baresip's adapter put them on the queue."""
    return [PhoneEvent(item[0], item[1], item[2] if len(item) > 2 else "", "e07e5dcee5c7e995") for item in items]


# Recorded on loopback (times relative to the dial), one per way a shop's phone goes.
ANSWERED_SHOP_HANGS_UP = stream(
    ("dialling", 0.0), ("ringing", 0.002), ("established", 0.308), ("closed", 0.811, "Connection reset by peer")
)
ANSWERED_WE_HANG_UP = stream(
    ("dialling", 0.0), ("ringing", 0.003), ("established", 0.314), ("closed", 0.814, "Connection reset by user")
)
RING_TIMEOUT = stream(("dialling", 0.0), ("ringing", 0.002), ("closed", 1.005, "Connection reset by user"))
BUSY = stream(("dialling", 0.0), ("ringing", 0.007), ("closed", 0.218, "486 Busy Here"))
DECLINED = stream(("dialling", 0.0), ("ringing", 0.007), ("closed", 0.007, "603 Decline"))
NOT_FOUND = stream(("dialling", 0.0), ("closed", 0.004, "404 Not Found"))
UNAVAILABLE = stream(("dialling", 0.0), ("progress", 0.01), ("closed", 0.02, "480 Temporarily Unavailable"))
TIMER_B = stream(("dialling", 0.0), ("closed", 32.0, "408 Request Timeout"))
SETUP_TIMEOUT = stream(("dialling", 0.0), ("closed", 10.0, "no response from sip:1@pbx within 10 s"))
SOFTPHONE_GONE = stream(("dialling", 0.0), ("ringing", 0.1), ("error", 3.0, "the softphone stopped during the call"))


@pytest.mark.parametrize(
    ("events", "cancelled", "outcome", "reason", "ring_s", "talk_s"),
    [
        (ANSWERED_SHOP_HANGS_UP, False, "answered", "Connection reset by peer", 0.308, 0.503),
        (ANSWERED_WE_HANG_UP, False, "answered", "Connection reset by user", 0.314, 0.5),
        (RING_TIMEOUT, True, "no_answer", "Connection reset by user", 1.005, 0.0),
        (RING_TIMEOUT, False, "failed", "Connection reset by user", 1.005, 0.0),  # hung up, not said why
        (BUSY, False, "busy", "486 Busy Here", 0.218, 0.0),
        (DECLINED, False, "busy", "603 Decline", 0.007, 0.0),
        (NOT_FOUND, False, "failed", "404 Not Found", 0.004, 0.0),
        (UNAVAILABLE, False, "no_answer", "480 Temporarily Unavailable", 0.02, 0.0),
        (TIMER_B, False, "no_answer", "408 Request Timeout", 32.0, 0.0),
        (SETUP_TIMEOUT, False, "failed", "no response from sip:1@pbx within 10 s", 10.0, 0.0),
        (SOFTPHONE_GONE, False, "failed", "the softphone stopped during the call", 3.0, 0.0),
        (ANSWERED_WE_HANG_UP, True, "answered", "Connection reset by user", 0.314, 0.5),  # answered is answered
    ],
)
def test_outcome_of_recorded_streams(
    events: list[PhoneEvent], cancelled: bool, outcome: str, reason: str, ring_s: float, talk_s: float
) -> None:
    result = outcome_of(events, cancelled=cancelled)
    assert result is not None
    assert (result.outcome, result.reason) == (outcome, reason)
    assert result.ring_s == pytest.approx(ring_s)
    assert result.talk_s == pytest.approx(talk_s)


@pytest.mark.parametrize("cut", [0, 1, 2, 3])
def test_a_call_not_closed_yet_has_no_outcome(cut: int) -> None:
    assert outcome_of(ANSWERED_SHOP_HANGS_UP[:cut]) is None


def test_events_after_the_close_do_not_change_the_outcome() -> None:
    late = [*BUSY, PhoneEvent("established", 5.0), PhoneEvent("closed", 6.0, "")]
    result = outcome_of(late)
    assert result is not None and result.outcome == "busy" and result.ended_at == 0.218


@pytest.mark.parametrize(
    ("reason", "code"),
    [("486 Busy Here", 486), ("  404 Not Found", 404), ("Connection reset by peer", None), ("", None), ("4861", None)],
)
def test_sip_code(reason: str, code: int | None) -> None:
    assert sip_code(reason) == code


class ScriptedPhone:
    """A phone that replays a recorded stream on the clock of the test, for the call driver."""

    available = True

    def __init__(self, events: Iterable[tuple[Any, str]], close_on_hangup: str = "Connection reset by user") -> None:
        self.script = list(events)
        self.hangups = 0
        self.dialled: list[str] = []
        self.close_on_hangup = close_on_hangup
        self.pending: list[PhoneEvent] = []

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def dial(self, uri: str) -> None:
        self.dialled.append(uri)
        self.pending = [PhoneEvent(kind, time.monotonic(), reason) for kind, reason in self.script]

    def hangup(self) -> None:
        self.hangups += 1
        self.pending.append(PhoneEvent("closed", time.monotonic(), self.close_on_hangup))

    def next_event(self, timeout: float) -> PhoneEvent | None:
        if self.pending:
            return self.pending.pop(0)
        time.sleep(timeout)
        return None


def test_driver_hangs_up_at_the_ring_timeout_as_no_answer() -> None:
    phone = ScriptedPhone([("ringing", "")])
    run = place_call(phone, "sip:1@x", ring_timeout=0.2)
    assert run.cancelled and phone.hangups == 1
    assert run.result.outcome == "no_answer"
    assert [e.kind for e in run.events] == ["dialling", "ringing", "closed"]  # the driver adds its own dialling
    assert 0.15 <= run.result.ring_s < 1.0


def test_driver_hangs_up_after_the_talk_time() -> None:
    phone = ScriptedPhone([("ringing", ""), ("established", "")])
    run = place_call(phone, "sip:1@x", ring_timeout=5, talk_seconds=0.2)
    assert not run.cancelled and phone.hangups == 1
    assert run.result.outcome == "answered" and 0.15 <= run.result.talk_s < 1.0


def test_driver_reports_a_phone_that_never_confirms_the_hangup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("orders.dialling.CLOSE_WAIT_S", 0.2)
    phone = ScriptedPhone([("ringing", "")])
    phone.hangup = lambda: None  # type: ignore[method-assign]
    run = place_call(phone, "sip:1@x", ring_timeout=0.1)
    assert run.result.outcome == "no_answer"  # we cancelled it ourselves: still a no answer
    assert run.result.reason == "the softphone did not confirm the hang-up"


def test_no_phone_refuses_to_dial() -> None:
    phone = NoPhone()
    assert not phone.available
    with pytest.raises(PhoneError, match="no softphone"):
        place_call(phone, "sip:1@x", ring_timeout=1)


@pytest.mark.parametrize(
    ("raw", "area_code", "dial_prefix", "expected"),
    [
        ("13812345678", "", "", "13812345678"),
        ("138 1234 5678", "", "", "13812345678"),
        ("+86 138 1234 5678", "", "", "13812345678"),
        ("0086-13812345678", "", "", "13812345678"),
        ("19912345678", "0731", "", "19912345678"),  # a mobile never gets the area code
        ("0731-8888 6666", "", "", "073188886666"),
        ("010-12345678", "0731", "", "01012345678"),  # another city's landline keeps its own code
        ("(0731) 8888-6666", "", "", "073188886666"),
        ("（0731）88886666", "", "", "073188886666"),  # full-width brackets as typed on a Chinese keyboard
        ("+86 731 8888 6666", "", "", "073188886666"),  # international form drops the trunk 0
        ("+86 10 1234 5678", "", "", "01012345678"),
        ("8888 6666", "0731", "", "073188886666"),
        ("8888666", "0731", "", "07318888666"),
        ("88886666", "", "", "88886666"),  # no area code set: dialled as a local number
        ("13812345678", "", "9", "913812345678"),
        ("88886666", "0731", "9", "9073188886666"),
        ("0731-88886666", "0731", "0", "0073188886666"),
    ],
)
def test_normalise_number(raw: str, area_code: str, dial_prefix: str, expected: str) -> None:
    assert normalise_number(raw, area_code=area_code, dial_prefix=dial_prefix) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "12345", "abc", "1381234567", "138123456789", "12345678901", "23812345678", "1234567",
     "+1 555 123 4567", "+86 88886666", "0731-888", "sip:1@x", "13812345678;x", "１３８１２３４５６７８"],
)
def test_normalise_number_refuses(raw: str) -> None:
    with pytest.raises(ValueError, match="is not a mobile"):
        normalise_number(raw, area_code="0731")
