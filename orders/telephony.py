"""The telephony port: what the call screen needs from a phone, and nothing of how a phone does it.

An order taker makes 80–150 calls a shift and a third are not answered; typing "no answer" by hand, and timing
a call by the screen's clock, is what every dialler console has long stopped asking of its agents. The screen
therefore talks to a `Phone` (dial, hang up, a stream of `PhoneEvent`s) and records what `outcome_of` makes
of that stream. Two adapters: `NoPhone` (no softphone configured: the order taker dials by hand, as before)
and the baresip adapter in `orders/baresip.py`, a child process driven over its ctrl_tcp socket.

Everything here is pure or trivially small, so the mapping from a SIP call's events to an outcome is tested
against recorded event streams without any binary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

# What a call's events say, in the order they come. `dialling` is the app's own (the dial was sent);
# the others come from the softphone: `ringing` (180), `progress` (183, early media: still ringing for us),
# `established` (the shop answered), `closed` (the call is over; `reason` holds the SIP reason, e.g.
# "486 Busy Here", or "" for a normal hang-up), `error` (the softphone could not place the call at all).
EventKind = Literal["dialling", "ringing", "progress", "established", "closed", "error"]
Outcome = Literal["answered", "no_answer", "busy", "failed"]


@dataclass(frozen=True)
class PhoneEvent:
    """One thing the phone said about the current call; `at` is `time.monotonic()` when it was seen, so
    durations never depend on the wall clock (which on a shared database is the server's)."""

    kind: EventKind
    at: float
    reason: str = ""
    call_id: str | None = None


@dataclass(frozen=True)
class CallResult:
    """What the phone knew about one call: the outcome to preselect and the real times to record."""

    outcome: Outcome
    reason: str
    dialled_at: float
    answered_at: float | None
    ended_at: float

    @property
    def ring_s(self) -> float:
        """Seconds from the dial to the answer (or to the end, for a call never answered)."""
        end = self.answered_at if self.answered_at is not None else self.ended_at
        return max(0.0, end - self.dialled_at)

    @property
    def talk_s(self) -> float:
        """Seconds of conversation: zero for a call never answered."""
        if self.answered_at is None:
            return 0.0
        return max(0.0, self.ended_at - self.answered_at)


class PhoneError(Exception):
    """The phone cannot do what was asked; the message is a sentence for the order taker."""


class PhoneBusyError(PhoneError):
    """A second dial while a call is active: one call at a time (baresip would open a parallel call)."""


class Phone(Protocol):
    """The port. `events` is read by one worker thread; the other methods are called from the screen."""

    @property
    def available(self) -> bool:
        """False for `NoPhone`: the screen then shows no dial key and the order taker dials by hand."""
        ...

    def start(self) -> None:
        """Make the phone ready (start the softphone); raises `PhoneError` with the reason if it cannot."""
        ...

    def dial(self, uri: str) -> None:
        """Place a call; raises `PhoneBusyError` while a call is active, `PhoneError` otherwise."""
        ...

    def hangup(self) -> None:
        """End (or cancel) the current call; harmless when there is none."""
        ...

    def next_event(self, timeout: float) -> PhoneEvent | None:
        """The next event of the current call, or None after `timeout` seconds without one."""
        ...

    def stop(self) -> None:
        """Stop the softphone and free its process and ports; safe to call twice."""
        ...


class NoPhone:
    """No softphone configured: today's behaviour, the order taker dials on a separate phone."""

    available = False

    def start(self) -> None:
        return None

    def dial(self, uri: str) -> None:
        raise PhoneError("no softphone is configured on this terminal (setting phone = baresip)")

    def hangup(self) -> None:
        return None

    def next_event(self, timeout: float) -> PhoneEvent | None:
        return None

    def stop(self) -> None:
        return None


# SIP final responses that mean the shop's line was busy, and those that mean nobody picked up.
# 603 Decline (the shop pressed "reject") is busy as Asterisk's chan_sip counts it: the line is there and
# someone is at it, so it is retried like a busy line rather than reported as a wrong number.
# 408 (timeout) and 480 (temporarily unavailable) are what a phone left ringing or switched off gives;
# 487 is our own CANCEL answered (the ring timeout or the order taker hung up before an answer).
_BUSY = {486, 600, 603}
_NO_ANSWER = {408, 480, 487}
_CODE = re.compile(r"^\s*([1-6][0-9]{2})\b")


def sip_code(reason: str) -> int | None:
    """The status code at the start of a SIP reason ("486 Busy Here" → 486), None if there is none."""
    found = _CODE.match(reason)
    return int(found.group(1)) if found else None


def outcome_of(events: Sequence[PhoneEvent], *, cancelled: bool = False) -> CallResult | None:
    """The outcome of one call from its events, or None while the call is not over yet.

    `cancelled` says the app itself hung up before an answer (the ring timeout, or the order taker giving
    up): that is a no answer whatever reason the far end gives for the cancelled INVITE. An answered call
    is answered however it ends, and who hung up does not matter to the outcome."""
    if not events:
        return None
    dialled_at = events[0].at
    answered_at: float | None = None
    for event in events:
        if event.kind == "established" and answered_at is None:
            answered_at = event.at
        if event.kind in ("closed", "error"):
            if answered_at is not None:
                return CallResult("answered", event.reason, dialled_at, answered_at, event.at)
            code = sip_code(event.reason)
            if event.kind == "closed" and cancelled:
                outcome: Outcome = "no_answer"
            elif code in _BUSY:
                outcome = "busy"
            elif code in _NO_ANSWER:
                outcome = "no_answer"
            else:
                outcome = "failed"
            return CallResult(outcome, event.reason, dialled_at, None, event.at)
    return None


_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_LANDLINE_WITH_AREA = re.compile(r"^0[1-9][0-9]{8,10}$")
_LOCAL = re.compile(r"^[2-9][0-9]{6,7}$")
_SEPARATORS = re.compile(r"[\s\-()（）]")


def normalise_number(raw: str, *, area_code: str = "", dial_prefix: str = "") -> str:
    """The digits to dial for a shop's phone as the customer list holds it.

    Accepts a mobile (11 digits from 13–19), a landline with its area code (0731-8888 6666), or a local
    landline of 7–8 digits, which gets the centre's `area_code` when one is set; `+86`/`0086` is dropped.
    Raises ValueError with a sentence for anything else: baresip dials any text it is given, so a number is
    checked here, never by the far end."""
    digits = _SEPARATORS.sub("", raw or "")
    international = digits.startswith(("+86", "0086"))
    if international:
        digits = digits[3:] if digits.startswith("+86") else digits[4:]
        if not _MOBILE.fullmatch(digits) and not digits.startswith("0"):
            digits = "0" + digits  # +86 731 8888 6666: the area code is written without its trunk 0
    if _MOBILE.fullmatch(digits) or _LANDLINE_WITH_AREA.fullmatch(digits):
        number = digits
    elif _LOCAL.fullmatch(digits) and not international:
        number = area_code + digits
    else:
        shown = (raw or "").strip()[:40] or "(empty)"
        raise ValueError(f"phone number {shown!r} is not a mobile, a landline with area code, or a local number")
    return dial_prefix + number
