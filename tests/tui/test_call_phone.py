"""Dialling from the call screen (issue 20) with a scripted phone at 80×24: the header follows the call, the
phone's outcome is preselected so one key records it, the real durations reach the database, one call at a
time, and a bad number dials nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update
from sqlmodel import col
from textual.widgets import OptionList

from db.models import Call, Customer
from orders.drafts import DraftStore
from orders.settings import Settings
from orders.telephony import PhoneError
from tests.tui.flows import open_call, workers_done
from tests.tui.phone_fake import FakeClock, FakePhone
from tui.app import TelesalesApp
from tui.i18n import t
from tui.screens.call import CallScreen
from tui.screens.dialogs import OutcomeScreen

SIZE = (80, 24)


def on_screen(app: Any) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def set_phones(engine: Engine, phone: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(Customer).values(phone=phone))


def make_app(engine: Engine, tmp_path: Path, phone: FakePhone | None, **settings: Any) -> TelesalesApp:
    app = TelesalesApp(engine, Settings(**settings), drafts=DraftStore(tmp_path / "drafts"))
    if phone is not None:
        app.phone_factory = lambda _settings: phone
        app.phone_clock = phone.clock
    return app


async def settle(pilot: Any, times: int = 3) -> None:
    for _ in range(times):
        await pilot.pause()


async def until(pilot: Any, check: Any, what: str, tries: int = 100) -> None:
    """Pause until `check()` holds: the dialling worker is a thread reading the phone every 0.1 s."""
    for _ in range(tries):
        if check():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never: {what}\n{on_screen(pilot.app)}")


def header(call: CallScreen) -> str:
    return str(call.query_one("#call-timer").render())


def chosen(app: Any) -> str:
    """The outcome highlighted in the open outcome dialog: what Enter records."""
    dialog = app.screen
    assert isinstance(dialog, OutcomeScreen)
    index = dialog.query_one("#outcomes", OptionList).highlighted
    assert index is not None
    return dialog.outcomes[index]


def last_call(engine: Engine) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(Call).order_by(col(Call.id).desc()).limit(1)).one()


async def test_answered_call_records_the_real_talk_time(demo_engine: Engine, tmp_path: Path) -> None:
    set_phones(demo_engine, "0731-8888 6666")
    clock = FakeClock()
    phone = FakePhone(clock)
    app = make_app(demo_engine, tmp_path, phone, dial_prefix="9")
    async with app.run_test(size=SIZE) as pilot:
        call = await open_call(pilot)
        title = str(call.query_one("#call-title").render())
        footer = on_screen(app).splitlines()[-1]
        assert "Ctrl+T" in footer, footer
        await pilot.press("ctrl+t")
        await until(pilot, lambda: header(call).startswith(t("phone.ringing", time="")), "ringing shown")
        assert phone.dialled == ["907318888" + "6666"]
        await settle(pilot)
        footer = on_screen(app).splitlines()[-1]
        assert "Ctrl+G" in footer and "Ctrl+T" not in footer, footer  # the key that makes sense now
        assert phone.started == 1
        phone.emit("established", after=4)
        await until(pilot, lambda: t("phone.talking", time="00:00") in header(call), "talking shown")
        clock.advance(75)
        await pilot.pause(1.2)  # the header's own second tick, with no event from the phone
        assert t("phone.talking", time="01:15") in header(call)
        painted = on_screen(app)
        assert t("phone.talking", time="01:15") in painted
        assert title.split(" · ")[0] in painted  # the shop's name is still there beside it, at 80 columns
        clock.advance(5)
        await pilot.press("ctrl+g")  # the order taker hangs up: 80 s of talk
        await until(pilot, lambda: call.phone_call is not None and call.phone_call.result is not None, "ended")
        assert call.phone_call is not None and call.phone_call.result is not None
        assert call.phone_call.result.outcome == "answered" and call.phone_call.result.talk_s == 80
        assert isinstance(app.screen, CallScreen)  # an answered call waits for F10: the order taker decides
        await pilot.press("f10")
        await until(pilot, lambda: isinstance(app.screen, OutcomeScreen), "the outcome dialog")
        await pilot.press("down", "down", "down", "enter")  # no_answer → busy → closed → refused
        await until(pilot, lambda: not isinstance(app.screen, (CallScreen, OutcomeScreen)), "back on the queue")
        await workers_done(app)
    row = last_call(demo_engine)
    assert row.outcome == "refused"
    assert row.duration_s == 80 and row.ring_s == 4
    assert row.answered_at is not None and row.dialled_at is not None
    assert row.started_at == row.answered_at
    assert row.answered_at - row.dialled_at == timedelta(seconds=4)
    assert row.ended_at - row.answered_at == timedelta(seconds=80)
    assert row.sip_reason == ""
    assert phone.stopped == 1  # the app stopped the phone on exit


async def test_busy_is_recorded_with_one_key_and_retried(demo_engine: Engine, tmp_path: Path) -> None:
    set_phones(demo_engine, "13800138000")
    phone = FakePhone(FakeClock())
    app = make_app(demo_engine, tmp_path, phone)
    async with app.run_test(size=SIZE) as pilot:
        call = await open_call(pilot)
        await pilot.press("ctrl+t")
        await until(pilot, lambda: bool(phone.dialled), "dialled")
        phone.emit("closed", "486 Busy Here", after=2)
        await until(pilot, lambda: isinstance(app.screen, OutcomeScreen), "the outcome dialog opens by itself")
        await settle(pilot)
        assert chosen(app) == "busy"
        assert call.phone_call is not None
        await pilot.press("enter")  # the one key
        await until(pilot, lambda: not isinstance(app.screen, (CallScreen, OutcomeScreen)), "back on the queue")
        await workers_done(app)
    row = last_call(demo_engine)
    assert phone.dialled == ["13800138000"]
    assert row.outcome == "busy" and row.callback_at is not None  # the retry is scheduled as for a typed busy
    assert row.duration_s == 0 and row.ring_s == 2 and row.sip_reason == "486 Busy Here"
    assert row.answered_at is None and row.started_at == row.dialled_at


async def test_ring_timeout_hangs_up_as_no_answer(demo_engine: Engine, tmp_path: Path) -> None:
    set_phones(demo_engine, "88886666")
    clock = FakeClock()
    phone = FakePhone(clock)
    app = make_app(demo_engine, tmp_path, phone, ring_timeout_seconds=5, area_code="0731")
    async with app.run_test(size=SIZE) as pilot:
        call = await open_call(pilot)
        await pilot.press("ctrl+t")
        await until(pilot, lambda: t("phone.ringing", time="") in header(call), "ringing")
        assert phone.dialled == ["073188886666"]
        clock.advance(6)  # past the ring timeout
        await until(pilot, lambda: isinstance(app.screen, OutcomeScreen), "no answer preselected")
        assert phone.hangups == 1
        await settle(pilot)
        assert chosen(app) == "no_answer"
        assert t("phone.no_answer") in header(call)
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, (CallScreen, OutcomeScreen)), "back on the queue")
        await workers_done(app)
    row = last_call(demo_engine)
    assert row.outcome == "no_answer" and row.callback_at is not None
    assert row.ring_s == 6 and row.duration_s == 0 and row.sip_reason == "487 Request Terminated"


async def test_a_second_dial_is_refused_while_one_is_active(demo_engine: Engine, tmp_path: Path) -> None:
    set_phones(demo_engine, "13800138000")
    phone = FakePhone(FakeClock())
    app = make_app(demo_engine, tmp_path, phone)
    async with app.run_test(size=SIZE) as pilot:
        call = await open_call(pilot)
        await pilot.press("ctrl+t", "ctrl+t", "ctrl+t")  # no pause between them
        await until(pilot, lambda: bool(phone.dialled), "dialled")
        await settle(pilot)
        assert phone.dialled == ["13800138000"]
        assert call.notice() == t("phone.one_call", hangup="Ctrl+G")
        await pilot.press("ctrl+g")  # hung up while ringing: the order taker gave up, a no answer
        await until(pilot, lambda: isinstance(app.screen, OutcomeScreen), "no answer preselected")
        await settle(pilot)
        assert chosen(app) == "no_answer"
        await pilot.press("escape")  # not recorded yet: dialling again is allowed once the call is over
        await settle(pilot)
        await pilot.press("ctrl+t")
        await until(pilot, lambda: len(phone.dialled) == 2, "dialled again")


async def test_a_bad_or_missing_number_dials_nothing(demo_engine: Engine, tmp_path: Path) -> None:
    set_phones(demo_engine, "12-34")
    phone = FakePhone(FakeClock())
    app = make_app(demo_engine, tmp_path, phone)
    async with app.run_test(size=SIZE) as pilot:
        call = await open_call(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert phone.dialled == [] and call.phone_call is None
        assert call.notice().startswith(t("phone.bad_number", error="")), call.notice()
        assert call.notice() in on_screen(app) or call.notice()[:30] in on_screen(app)
        assert call.view is not None
        call.view.card.phone = None
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert phone.dialled == [] and call.notice() == t("phone.no_number")


async def test_quitting_during_a_call_hangs_up_and_stops_the_phone(demo_engine: Engine, tmp_path: Path) -> None:
    set_phones(demo_engine, "13800138000")
    phone = FakePhone(FakeClock(), answer=True)
    app = make_app(demo_engine, tmp_path, phone)
    async with app.run_test(size=SIZE) as pilot:
        call = await open_call(pilot)
        await pilot.press("ctrl+t")
        await until(pilot, lambda: call.phone_call is not None and call.phone_call.answered_at is not None, "answered")
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("enter")  # yes, quit
        await settle(pilot)
    assert phone.hangups >= 1 and not phone.in_call
    assert phone.stopped == 1


async def test_without_a_softphone_the_screen_is_as_before(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path, None)
    async with app.run_test(size=SIZE) as pilot:
        call = await open_call(pilot)
        footer = on_screen(app).splitlines()[-1]
        assert "Ctrl+T" not in footer and t("key.dial") not in footer
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert call.phone_call is None
        assert "⏱" in header(call)


async def test_leaving_the_call_with_esc_hangs_up(demo_engine: Engine, tmp_path: Path) -> None:
    set_phones(demo_engine, "13800138000")
    phone = FakePhone(FakeClock(), answer=True)
    app = make_app(demo_engine, tmp_path, phone)
    async with app.run_test(size=SIZE) as pilot:
        call = await open_call(pilot)
        await pilot.press("ctrl+t")
        await until(pilot, lambda: call.phone_call is not None and call.phone_call.answered_at is not None, "answered")
        await pilot.press("escape", "enter")  # leave the call without an outcome: yes
        await until(pilot, lambda: not isinstance(app.screen, CallScreen), "back on the queue")
        assert phone.hangups == 1 and not phone.in_call


async def test_a_phone_that_cannot_be_made_leaves_the_screen_as_before(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path, None)

    def broken(_settings: Settings) -> FakePhone:
        raise RuntimeError("no baresip here")

    app.phone_factory = broken
    async with app.run_test(size=SIZE) as pilot:
        call = await open_call(pilot)
        assert "Ctrl+T" not in on_screen(app).splitlines()[-1]
        assert "no baresip here" in " ".join(str(n.message) for n in app._notifications)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert call.phone_call is None


async def test_a_softphone_that_will_not_start_is_said_and_nothing_is_left_active(
    demo_engine: Engine, tmp_path: Path
) -> None:
    set_phones(demo_engine, "13800138000")

    class Broken(FakePhone):
        def start(self) -> None:
            raise PhoneError("baresip did not start: port 4444 taken")

    phone = Broken(FakeClock())
    app = make_app(demo_engine, tmp_path, phone)
    async with app.run_test(size=SIZE) as pilot:
        call = await open_call(pilot)
        await pilot.press("ctrl+t")
        await until(pilot, lambda: call.phone_call is None and "port 4444" in call.notice(), "the failure said")
        assert phone.dialled == []
        assert call.notice() == t("phone.error", error="baresip did not start: port 4444 taken")
        await settle(pilot)
        assert "Ctrl+T" in on_screen(app).splitlines()[-1]
