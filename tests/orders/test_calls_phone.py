"""The phone's outcome as a recorded call outcome, and its monotonic times on the wall clock (issue 20)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orders.calls import RETRY_OUTCOMES, outcome_to_record, phone_facts
from orders.telephony import CallResult, PhoneEvent, outcome_of


def ended(reason: str, *, kind: str = "closed", cancelled: bool = False) -> CallResult:
    events = [PhoneEvent("dialling", 10.0), PhoneEvent("ringing", 10.5), PhoneEvent(kind, 14.0, reason)]  # type: ignore[arg-type]
    result = outcome_of(events, cancelled=cancelled)
    assert result is not None
    return result


@pytest.mark.parametrize(
    ("reason", "recorded"),
    [
        ("486 Busy Here", "busy"),
        ("600 Busy Everywhere", "busy"),
        ("480 Temporarily Unavailable", "no_answer"),
        ("408 Request Timeout", "no_answer"),
        ("404 Not Found", "wrong_number"),
        ("604 Does Not Exist Anywhere", "wrong_number"),
        ("484 Address Incomplete", "wrong_number"),
        ("410 Gone", "wrong_number"),
        ("603 Decline", "busy"),  # the shop pressed reject: busy, as Asterisk counts it (orders.telephony)
        ("503 Service Unavailable", "no_answer"),
    ],
)
def test_an_unanswered_call_preselects_its_outcome(reason: str, recorded: str) -> None:
    assert outcome_to_record(ended(reason)) == recorded


def test_busy_and_no_answer_are_retried_a_wrong_number_is_not() -> None:
    assert outcome_to_record(ended("486 Busy Here")) in RETRY_OUTCOMES
    assert outcome_to_record(ended("404 Not Found")) not in RETRY_OUTCOMES


def test_our_own_cancel_is_a_no_answer_and_a_local_failure_is_left_to_the_order_taker() -> None:
    assert outcome_to_record(ended("487 Request Terminated", cancelled=True)) == "no_answer"
    assert outcome_to_record(ended("could not connect to the softphone", kind="error")) is None


def test_an_answered_call_is_for_the_order_taker_to_say() -> None:
    events = [PhoneEvent("dialling", 1.0), PhoneEvent("established", 4.0), PhoneEvent("closed", 84.0)]
    result = outcome_of(events)
    assert result is not None and outcome_to_record(result) is None


def test_phone_facts_put_the_phones_seconds_on_the_wall_clock() -> None:
    events = [PhoneEvent("dialling", 100.0), PhoneEvent("established", 104.4), PhoneEvent("closed", 184.6, "")]
    result = outcome_of(events)
    assert result is not None
    wall = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    facts = phone_facts(result, wall_now=wall, monotonic_now=190.0)  # read 5.4 s after the hang-up
    assert facts.ended_at == wall - timedelta(seconds=5.4)
    assert facts.answered_at == wall - timedelta(seconds=85.6)
    assert facts.started_at == facts.answered_at
    assert facts.ring_s == 4 and facts.talk_s == 80 and facts.outcome == "answered"
    unanswered = phone_facts(ended("486 Busy Here"), wall_now=wall, monotonic_now=14.0)
    assert unanswered.started_at == unanswered.dialled_at == wall - timedelta(seconds=4)
    assert unanswered.talk_s == 0 and unanswered.reason == "486 Busy Here"
