"""A scripted phone for screen tests and the bench: events come when the test says, stamped by a clock the test
moves, so ring and talk times are exact and nothing waits for real seconds."""

from __future__ import annotations

import queue
import threading

from orders.telephony import PhoneBusyError, PhoneEvent


class FakeClock:
    """A monotonic clock that moves only when told (thread-safe: the dialling worker reads it)."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class FakePhone:
    """The `Phone` port, scripted: `dial` rings at once (and answers at once with `answer=True`); the test
    then `emit`s what the shop does. A hang-up closes the call with the reason a real softphone gives (487
    for a cancelled ring, nothing for a hang-up after the answer)."""

    available = True

    def __init__(self, clock: FakeClock, *, answer: bool = False) -> None:
        self.clock = clock
        self.answer = answer
        self.events: queue.Queue[PhoneEvent] = queue.Queue()
        self.dialled: list[str] = []
        self.hangups = 0
        self.started = 0
        self.stopped = 0
        self.in_call = False
        self.answered = False

    def start(self) -> None:
        self.started += 1

    def dial(self, uri: str) -> None:
        if self.in_call:
            raise PhoneBusyError("a call is active")
        self.dialled.append(uri)
        self.in_call = True
        self.answered = False
        self.emit("ringing")
        if self.answer:
            self.emit("established")

    def emit(self, kind: str, reason: str = "", *, after: float = 0.0) -> None:
        """The shop (or the network) does `kind`, `after` seconds from now on the fake clock."""
        self.clock.advance(after)
        if kind == "established":
            self.answered = True
        if kind in ("closed", "error"):
            self.in_call = False
        self.events.put(PhoneEvent(kind, self.clock(), reason, "fake-1"))  # type: ignore[arg-type]

    def hangup(self) -> None:
        self.hangups += 1
        if self.in_call:
            self.emit("closed", "" if self.answered else "487 Request Terminated")

    def next_event(self, timeout: float) -> PhoneEvent | None:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def stop(self) -> None:
        self.stopped += 1
