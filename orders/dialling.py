"""One call driven to its end without a screen: for `telesales phone check --dial`, the tests and the benchmark.

The call screen drives its calls itself (keys decide when to hang up); what it shares with this loop is the
rule that a call not answered within the ring timeout is hung up and counts as no answer, and the mapping
`outcome_of`. Keeping this loop in the domain means the CLI's test call and the benchmark measure exactly the
adapter the screen uses, with no Textual in the way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from orders.telephony import CallResult, Phone, PhoneError, PhoneEvent, outcome_of

# After our own hang-up, how long to wait for the phone to say the call is closed before calling it failed.
CLOSE_WAIT_S = 5.0


@dataclass
class CallRun:
    """A finished call: what `outcome_of` made of it, and the events it was made from (for figures and tests)."""

    result: CallResult
    events: list[PhoneEvent] = field(default_factory=list)
    cancelled: bool = False

    def first(self, kind: str) -> PhoneEvent | None:
        return next((e for e in self.events if e.kind == kind), None)


def place_call(
    phone: Phone,
    uri: str,
    *,
    ring_timeout: float,
    talk_seconds: float | None = None,
    max_talk_seconds: float = 3600.0,
) -> CallRun:
    """Dial `uri` and wait for the call's end.

    Not answered within `ring_timeout` seconds of the dial: we hang up (a CANCEL) and the outcome is no answer.
    Answered: we hang up after `talk_seconds`, or wait for the shop to hang up when it is None (at most
    `max_talk_seconds`). Raises `PhoneError` (or `PhoneBusyError`) when the dial itself is refused."""
    dialled_at = time.monotonic()
    phone.dial(uri)
    events: list[PhoneEvent] = []
    cancelled = False
    hung_up_at: float | None = None
    answered_at: float | None = None
    while True:
        now = time.monotonic()
        if hung_up_at is not None:
            deadline = hung_up_at + CLOSE_WAIT_S
        elif answered_at is None:
            deadline = dialled_at + ring_timeout
        else:
            deadline = answered_at + (talk_seconds if talk_seconds is not None else max_talk_seconds)
        event = phone.next_event(max(0.0, min(deadline - now, 0.5)))
        if event is not None:
            if not events and event.kind != "dialling":
                events.append(PhoneEvent("dialling", dialled_at))
            events.append(event)
            if event.kind == "established" and answered_at is None:
                answered_at = event.at
            result = outcome_of(events, cancelled=cancelled)
            if result is not None:
                return CallRun(result, events, cancelled)
            continue
        if time.monotonic() < deadline:
            continue
        if hung_up_at is not None:
            closed = PhoneEvent("closed", time.monotonic(), "the softphone did not confirm the hang-up")
            events.append(closed)
            result = outcome_of(events, cancelled=cancelled)
            if result is None:  # cannot happen: a closed event always ends a call
                raise PhoneError("the call did not end")
            return CallRun(result, events, cancelled)
        cancelled = answered_at is None
        hung_up_at = time.monotonic()
        phone.hangup()
