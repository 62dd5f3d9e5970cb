"""Fixtures for tests that place real SIP calls: baresip as our phone, sipp as the shop.

Without the binaries these tests skip with the reason, except where they must not: CI sets
TELESALES_REQUIRE_PG=1 (and anyone may set TELESALES_REQUIRE_PHONE=1), and there a missing binary is a failure,
so a CI image that lost baresip cannot pass by skipping every call test."""

from __future__ import annotations

import pytest

from tests.sip import missing_binaries, phone_required


@pytest.fixture(autouse=True)
def sip_tools() -> None:
    missing = missing_binaries()
    if missing:
        reason = f"{' and '.join(missing)} not installed (apt-get install baresip-core sip-tester)"
        if phone_required():
            pytest.fail(f"{reason}; TELESALES_REQUIRE_PHONE/TELESALES_REQUIRE_PG is set")
        pytest.skip(reason)
