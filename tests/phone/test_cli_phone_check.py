"""`telesales phone check` against a real baresip and a sipp shop: the contract's JSON and the text lines."""

from __future__ import annotations

import json
import re

from tests.conftest import run_cli
from tests.sip import sipp_shop


def _env(account: str) -> dict[str, str]:
    return {"TELESALES_PHONE": "baresip", "TELESALES_SIP_ACCOUNT": account}


def test_ready_without_a_call() -> None:
    result = run_cli("phone", "check", "--json", env=_env("<sip:telesales@127.0.0.1>;regint=0"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"ready": True, "outcome": None, "reason": "baresip is running"}


def test_test_call_to_a_busy_shop() -> None:
    with sipp_shop("reject", params={"ring_ms": 100, "code": 486, "text": "Busy Here"}) as shop:
        result = run_cli("phone", "check", "--dial", shop.uri(), "--json", env=_env(shop.account))
        assert shop.wait(10) == 0, shop.output()
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"ready": True, "outcome": "busy", "reason": "486 Busy Here"}


def test_test_call_to_a_number_is_answered_and_hung_up_by_us() -> None:
    """Digits go through the same normalisation and URI rule as the call screen's dial key."""
    with sipp_shop("answer_wait_bye", params={"ring_ms": 100}) as shop:
        env = {**_env(shop.account), "TELESALES_AREA_CODE": "0731"}
        result = run_cli("phone", "check", "--dial", "8888 6666", env=env)
        assert shop.wait(10) == 0, shop.output()  # it saw our BYE
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"ready: baresip started with the account <sip:telesales@127.0.0.1:{shop.port}>"
    assert re.match(r"test call to 073188886666: answered after 0\.\d s, 1\.\d s talk", lines[1]), lines


def test_a_registered_account_is_ready() -> None:
    with sipp_shop("register", params={"code": 200, "text": "OK"}) as registrar:
        account = f"<sip:8031@127.0.0.1:{registrar.port}>;regint=600"
        result = run_cli("phone", "check", "--json", env=_env(account))
        assert registrar.wait(10) == 0, registrar.output()  # it saw our REGISTER
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ready"] is True


def test_an_account_the_registrar_refuses_is_not_ready() -> None:
    with sipp_shop("register", params={"code": 403, "text": "Forbidden"}) as registrar:
        account = f"<sip:8031@127.0.0.1:{registrar.port}>;auth_pass=wrong;regint=600"
        result = run_cli("phone", "check", env=_env(account))
        assert registrar.wait(10) == 0, registrar.output()
    assert result.exit_code == 1
    assert result.stderr == "telesales: the softphone is not ready: the registrar refused the account: 403 Forbidden\n"
    assert "wrong" not in result.output  # never the password
