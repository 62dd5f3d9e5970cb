"""The whole way at 80×24 with a real softphone: the call screen's Ctrl+T starts baresip and dials the shop's
number, sipp plays the shop, the header follows the real call, and the outcome and times the phone knew reach
the database by keys alone. The scripted-phone tests (test_call_phone.py) pin every branch; these two prove the
parts fit: the number as the customer list holds it becomes a SIP call, and sipp sees our BYE or ACK."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from orders.baresip import BaresipPhone
from orders.settings import Settings
from tests.sip import Shop, missing_binaries, phone_required, sipp_shop
from tests.tui.flows import open_call, workers_done
from tests.tui.test_call_phone import chosen, header, last_call, make_app, set_phones, settle, until
from tui.i18n import t
from tui.screens.call import CallScreen
from tui.screens.dialogs import OutcomeScreen

SIZE = (80, 24)


@pytest.fixture(autouse=True)
def sip_tools() -> None:
    missing = missing_binaries()
    if missing:
        reason = f"{' and '.join(missing)} not installed (apt-get install baresip-core sip-tester)"
        if phone_required():
            pytest.fail(f"{reason}; TELESALES_REQUIRE_PHONE/TELESALES_REQUIRE_PG is set")
        pytest.skip(reason)


def real_phone_app(engine: Engine, tmp_path: Path, shop: Shop) -> Any:
    app = make_app(engine, tmp_path, None, ring_timeout_seconds=5)
    phones: list[BaresipPhone] = []

    def factory(_settings: Settings) -> BaresipPhone:
        phone = BaresipPhone(shop.account, setup_timeout=5)
        phones.append(phone)
        return phone

    app.phone_factory = factory
    return app, phones


async def test_dial_talk_hang_up_and_record_with_a_real_softphone(demo_engine: Engine, tmp_path: Path) -> None:
    set_phones(demo_engine, "0731-8888 6666")
    with sipp_shop("answer_wait_bye", params={"ring_ms": 300}) as shop:
        app, phones = real_phone_app(demo_engine, tmp_path, shop)
        async with app.run_test(size=SIZE) as pilot:
            call = await open_call(pilot)
            await pilot.press("ctrl+t")
            await until(pilot, lambda: t("phone.talking", time="") in header(call), "talking shown", tries=400)
            await pilot.pause(1.1)
            await pilot.press("ctrl+g")
            await until(pilot, lambda: call.phone_call is not None and call.phone_call.result is not None, "ended")
            assert call.phone_call is not None and call.phone_call.result is not None
            assert call.phone_call.result.outcome == "answered"
            await pilot.press("f10")
            await until(pilot, lambda: isinstance(app.screen, OutcomeScreen), "the outcome dialog")
            await pilot.press("down", "down", "down", "enter")  # no_answer → busy → closed → refused
            await until(pilot, lambda: not isinstance(app.screen, (CallScreen, OutcomeScreen)), "back on the queue")
            await workers_done(app)
        assert shop.wait(10) == 0, shop.output()  # the shop saw our BYE
    assert [p.running for p in phones] == [False]  # the app stopped its softphone on the way out
    row = last_call(demo_engine)
    assert row.outcome == "refused" and row.sip_reason is not None
    assert row.answered_at is not None and row.started_at == row.answered_at
    assert 0 <= row.ring_s <= 3, row.ring_s
    assert 1 <= row.duration_s <= 6, row.duration_s  # the talk, as the phone measured it


async def test_a_busy_shop_is_recorded_as_busy_with_one_key(demo_engine: Engine, tmp_path: Path) -> None:
    set_phones(demo_engine, "13812345678")
    with sipp_shop("reject", params={"ring_ms": 100, "code": 486, "text": "Busy Here"}) as shop:
        app, _phones = real_phone_app(demo_engine, tmp_path, shop)
        async with app.run_test(size=SIZE) as pilot:
            await open_call(pilot)
            await pilot.press("ctrl+t")
            await until(pilot, lambda: isinstance(app.screen, OutcomeScreen), "the outcome dialog", tries=400)
            await settle(pilot)  # the dialog highlights its outcome once mounted
            assert chosen(app) == "busy"
            await pilot.press("enter")
            await until(pilot, lambda: not isinstance(app.screen, (CallScreen, OutcomeScreen)), "back on the queue")
            await workers_done(app)
        assert shop.wait(10) == 0, shop.output()  # the shop got the ACK of its 486
    row = last_call(demo_engine)
    assert (row.outcome, row.sip_reason, row.duration_s) == ("busy", "486 Busy Here", 0)
    assert row.answered_at is None and row.dialled_at is not None
