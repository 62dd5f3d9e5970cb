"""Time the call screen's softphone with Pilot and a scripted phone (issue 20), before the real-sipp version.

Figures over N calls (default 50) dialled one after another on one call screen at 80×24, small demo database:
- dial key → "ringing" painted: Ctrl+T pressed until the first screen refresh whose header says ringing (the
  scripted phone rings the instant it is dialled, so this is the app's own cost: worker start, dial, the
  event's message, the header's update and paint);
- answer → "connected" painted: the shop answers (the event is queued by the phone) until the first refresh
  whose header shows the talk time;
- baseline, same run: a key that only says something (Ctrl+G with no call on the line: a notice) pressed until
  the first refresh of the screen after it: what any key costs through Pilot and a paint;
- the dialling worker polls the phone every PHONE_POLL_S (0.1 s) only when no event comes: an event is read
  as soon as it is queued, so neither figure includes that period.

    .venv/bin/python bench/phone_tui.py [--calls 50] [--sipp]

With --sipp the phone is real: baresip (BaresipPhone) dials a sipp shop on loopback that rings RING_MS and
answers, for every call; "dial key -> ringing" then includes the INVITE and the shop's 180, and "answer ->
connected" runs from the moment baresip reported the answer (the adapter's own ESTABLISHED event, on the same
monotonic clock) to the paint. It also reports calls per minute through the screen and checks that no baresip
or sipp process is left afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ.setdefault("TELESALES_NOW", "2026-11-23T09:00:00+08:00")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


RING_MS = 200


def _leftovers() -> list[str]:
    """baresip or sipp processes still running (zombies not yet reaped by init are not running)."""
    left = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                name, rest = stat.read().split("(", 1)[1].rsplit(") ", 1)
        except (OSError, ValueError):
            continue
        if name in ("baresip", "sipp") and rest.split()[0] != "Z":
            left.append(f"{entry} {name}")
    return left


async def run(calls: int, sipp: bool) -> None:
    from sqlalchemy import update

    from db import migrate
    from db.engine import make_engine
    from db.models import Customer
    from orders.drafts import DraftStore
    from orders.settings import Settings
    from tests.tui.flows import open_call
    from tests.tui.phone_fake import FakeClock, FakePhone
    from tui.app import TelesalesApp
    from tui.demo import SIZES, ensure_demo
    from tui.i18n import t
    from tui.screens.call import CallScreen

    class RealClock(FakeClock):
        """The real monotonic clock: the bench measures real latencies."""

        def __call__(self) -> float:
            return time.monotonic()

    tmp = Path(tempfile.mkdtemp(prefix="telesales-phone-bench-"))
    engine = make_engine(f"sqlite:///{tmp / 'bench.db'}")
    migrate.upgrade(engine)
    ensure_demo(engine, ZoneInfo("Asia/Shanghai"), size=SIZES["small"], seed=1)
    with engine.begin() as conn:
        conn.execute(update(Customer).values(phone="13800138000"))
    from contextlib import ExitStack

    stack = ExitStack()
    fake = FakePhone(RealClock())
    phone: Any = fake
    if sipp:
        from orders.baresip import BaresipPhone
        from tests.sip import sipp_shop

        shop = stack.enter_context(
            sipp_shop("answer_wait_bye", calls=calls, params={"ring_ms": RING_MS}, timeout_s=600)
        )
        phone = BaresipPhone(shop.account, setup_timeout=10)
    app = TelesalesApp(engine, Settings(), drafts=DraftStore(tmp / "drafts"))
    app.phone_factory = lambda _settings: phone
    app.phone_clock = time.monotonic

    painted: list[tuple[float, str]] = []  # (when, the header's text) at each refresh of the call screen
    compositor_refresh = CallScreen._compositor_refresh

    def hooked(self: CallScreen) -> None:
        compositor_refresh(self)
        painted.append((time.monotonic(), str(self.query_one("#call-timer").render())))

    ringing = t("phone.ringing", time="")
    talking = t("phone.talking", time="")
    ended = t("phone.ended", time="")

    async def until_painted(pilot: Any, since: float, text: str) -> float:
        end = time.monotonic() + 10
        while time.monotonic() < end:
            for at, header in painted:
                if at >= since and header.startswith(text) and (text or at > since):
                    return at - since
            await pilot.pause(0.001)
        raise SystemExit(f"bench/phone_tui.py: never painted {text!r}")

    to_ringing: list[float] = []
    to_connected: list[float] = []
    baseline: list[float] = []
    with stack:
        async with app.run_test(size=(80, 24)) as pilot:
            call = await open_call(pilot)
            CallScreen._compositor_refresh = hooked  # type: ignore[method-assign,assignment]
            first = time.monotonic()
            try:
                for _ in range(calls):
                    painted.clear()
                    start = time.monotonic()
                    await pilot.press("ctrl+t")
                    to_ringing.append(await until_painted(pilot, start, ringing))
                    if sipp:
                        await until_painted(pilot, start, talking)
                        answered = call.phone_call.answered_at if call.phone_call else None
                        assert answered is not None
                        to_connected.append(await until_painted(pilot, answered, talking))
                    else:
                        answer = time.monotonic()
                        fake.emit("established")
                        to_connected.append(await until_painted(pilot, answer, talking))
                    hung = time.monotonic()
                    await pilot.press("ctrl+g")
                    await until_painted(pilot, hung, ended)
                    while call.phone_call is not None and call.phone_call.result is None:
                        await pilot.pause(0.001)  # the call is over for the phone too before the next dial
                elapsed = time.monotonic() - first
                for _ in range(calls):
                    painted.clear()
                    start = time.monotonic()
                    await pilot.press("ctrl+g")  # no call on the line: a notice, nothing else
                    baseline.append(await until_painted(pilot, start, ""))
            finally:
                CallScreen._compositor_refresh = compositor_refresh  # type: ignore[method-assign]
            assert call.phone_call is not None
            if not sipp:
                assert len(fake.dialled) == calls
        if sipp:
            done = shop.wait(30)
            print(f"sipp: every scenario completed: {done == 0}")
    ms = 1000
    if sipp:
        print(f"first dial (starts baresip): {to_ringing[0] * ms:.0f} ms to ringing painted; figures below without it")
        to_ringing = to_ringing[1:]
    kind = f"baresip + sipp, the shop rings {RING_MS} ms" if sipp else "scripted phone"
    print(f"calls: {calls} (small demo, 80x24, {kind}; {sys.version.split()[0]})")
    print(f"calls per minute through the screen (dial, ring, answer, hang up): {calls / elapsed * 60:.0f}")
    if sipp:
        left = _leftovers()
        print(f"processes left after the app stopped: {len(left)}" + (f" {left}" if left else ""))
    print(
        f"dial key -> ringing painted:   p50 {_pct(to_ringing, 0.5) * ms:6.1f} ms  "
        f"p99 {_pct(to_ringing, 0.99) * ms:6.1f} ms  mean {statistics.mean(to_ringing) * ms:6.1f} ms"
    )
    print(
        f"baseline key -> painted:       p50 {_pct(baseline, 0.5) * ms:6.1f} ms  "
        f"p99 {_pct(baseline, 0.99) * ms:6.1f} ms  mean {statistics.mean(baseline) * ms:6.1f} ms"
    )
    print(
        f"answer -> connected painted:   p50 {_pct(to_connected, 0.5) * ms:6.1f} ms  "
        f"p99 {_pct(to_connected, 0.99) * ms:6.1f} ms  mean {statistics.mean(to_connected) * ms:6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--sipp", action="store_true", help="a real baresip dialling a sipp shop")
    args = parser.parse_args()
    asyncio.run(run(args.calls, args.sipp))


if __name__ == "__main__":
    main()
