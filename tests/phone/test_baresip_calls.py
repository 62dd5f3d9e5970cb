"""Real calls: baresip (through `BaresipPhone`) dials a sipp shop playing each way a shop's phone can go.

Each test checks three things: the outcome the screen would preselect, the durations it would record (within a
tolerance: the machine is shared with other test processes), and sipp's exit code, which is 0 only when the shop's
scenario ran to its end, i.e. it saw our BYE, our CANCEL or our ACK as a real phone would. Ring timeouts and
talk times are a second or less so that the whole set stays fast.
"""

from __future__ import annotations

import os
import socket
import stat
import time

import pytest

import orders.baresip as baresip_module
from orders.baresip import BaresipPhone
from orders.dialling import place_call
from orders.telephony import PhoneBusyError, PhoneError
from tests.sip import Shop, baresip_phone, sipp_shop

TOLERANCE = 0.35  # seconds: loopback SIP answers in milliseconds; this is for a loaded machine's scheduling


def _near(value: float, expected: float) -> bool:
    return expected - 0.05 <= value <= expected + TOLERANCE


def _assert_shop_done(shop: Shop) -> None:
    code = shop.wait(10)
    assert code == 0, f"sipp did not finish its scenario (exit {code}):\n{shop.output()}"


def test_shop_answers_and_hangs_up_first() -> None:
    with (
        sipp_shop("answer_then_hangup", params={"ring_ms": 300, "talk_ms": 600}) as shop,
        baresip_phone(shop.account) as phone,
    ):
        run = place_call(phone, phone.dial_uri("07318888666"), ring_timeout=5)
        _assert_shop_done(shop)  # it got our 200 to its BYE
    assert run.result.outcome == "answered"
    assert [e.kind for e in run.events] == ["dialling", "ringing", "established", "closed"]
    assert _near(run.result.ring_s, 0.3), run.result
    assert _near(run.result.talk_s, 0.6), run.result
    assert not run.cancelled


def test_shop_answers_and_we_hang_up() -> None:
    with sipp_shop("answer_wait_bye", params={"ring_ms": 200}) as shop, baresip_phone(shop.account) as phone:
        run = place_call(phone, phone.dial_uri("13812345678"), ring_timeout=5, talk_seconds=0.5)
        _assert_shop_done(shop)  # it saw our BYE
    assert run.result.outcome == "answered"
    assert _near(run.result.ring_s, 0.2), run.result
    assert _near(run.result.talk_s, 0.5), run.result
    established = run.first("established")
    assert established is not None and established.call_id  # the call id baresip's dial reply does not carry


def test_busy_shop() -> None:
    with (
        sipp_shop("reject", params={"ring_ms": 200, "code": 486, "text": "Busy Here"}) as shop,
        baresip_phone(shop.account) as phone,
    ):
        run = place_call(phone, phone.dial_uri("07318888666"), ring_timeout=5)
        _assert_shop_done(shop)  # it got the ACK of its 486
    assert (run.result.outcome, run.result.reason) == ("busy", "486 Busy Here")
    assert _near(run.result.ring_s, 0.2), run.result
    assert run.result.talk_s == 0


def test_shop_that_rings_until_the_ring_timeout_is_cancelled_as_no_answer() -> None:
    with sipp_shop("ring_until_cancel") as shop, baresip_phone(shop.account) as phone:
        run = place_call(phone, phone.dial_uri("07318888666"), ring_timeout=1.0)
        _assert_shop_done(shop)  # it saw our CANCEL and got the ACK of its 487
    assert run.cancelled
    assert run.result.outcome == "no_answer"
    assert _near(run.result.ring_s, 1.0), run.result
    assert run.result.answered_at is None


@pytest.mark.parametrize(
    ("code", "text", "outcome"),
    [(404, "Not Found", "failed"), (480, "Temporarily Unavailable", "no_answer"), (603, "Decline", "busy")],
)
def test_shop_rejects(code: int, text: str, outcome: str) -> None:
    with (
        sipp_shop("reject", params={"ring_ms": 0, "code": code, "text": text}) as shop,
        baresip_phone(shop.account) as phone,
    ):
        run = place_call(phone, phone.dial_uri("07318888666"), ring_timeout=5)
        _assert_shop_done(shop)
    assert (run.result.outcome, run.result.reason) == (outcome, f"{code} {text}")
    assert run.result.ring_s < TOLERANCE


def test_second_dial_while_ringing_is_refused_and_no_parallel_call_is_opened() -> None:
    with sipp_shop("ring_until_cancel") as shop, baresip_phone(shop.account) as phone:
        phone.dial(shop.uri())
        kinds = [phone.next_event(2.0), phone.next_event(2.0)]
        assert [e.kind if e else None for e in kinds] == ["dialling", "ringing"]
        with pytest.raises(PhoneBusyError):
            phone.dial(shop.uri("13812345678"))
        phone.hangup()
        closed = phone.next_event(3.0)
        assert closed is not None and closed.kind == "closed"
        _assert_shop_done(shop)  # one INVITE, cancelled: a second call would have left sipp's count short
        assert phone.next_event(0.3) is None


def test_far_end_that_never_answers_gives_up_after_the_setup_timeout() -> None:
    """Nobody answers on a bound UDP port: baresip alone would wait 32 s (timer B)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        with baresip_phone(f"<sip:telesales@127.0.0.1:{port}>;regint=0", setup_timeout=1.0) as phone:
            started = time.monotonic()
            run = place_call(phone, phone.dial_uri("07318888666"), ring_timeout=5)
            assert time.monotonic() - started < 1.0 + TOLERANCE + 0.5
            assert run.result.outcome == "failed"
            assert "no response" in run.result.reason
            assert phone.next_event(0.5) is None  # baresip's own CALL_CLOSED for the abandoned INVITE is not a call
            phone.dial("13812345678")  # the phone is free for the next call; digits go to the account's domain
            assert phone.next_event(1.0) is not None
            phone.hangup()


def test_stop_frees_process_folder_and_ports_and_may_be_called_twice() -> None:
    phone = BaresipPhone("<sip:telesales@127.0.0.1>;regint=0")
    try:
        phone.start()
        pid, workdir, ports = phone.pid, phone.workdir, (phone.sip_port, phone.ctrl_port)
        assert pid is not None and workdir is not None
        assert stat.S_IMODE(workdir.stat().st_mode) == 0o700
        assert stat.S_IMODE((workdir / "accounts").stat().st_mode) == 0o600
        config = (workdir / "config").read_text()
        assert f"sip_listen\t\t127.0.0.1:{phone.sip_port}" in config
        assert f"ctrl_tcp_listen\t\t127.0.0.1:{phone.ctrl_port}" in config
        assert "audio_player\t\taubridge,nil" in config and "audio_alert\t\taubridge,nil" in config
        assert os.getpgid(pid) == pid  # its own session: the whole group can be killed
    finally:
        phone.stop()
        phone.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not workdir.exists()
    for port in ports:
        assert port is not None
        with socket.socket() as sock:
            # free again: nobody listens (SO_REUSEADDR only lets the bind pass a closed connection's TIME_WAIT,
            # which the control port has when baresip's side closes first)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))
    assert not phone.running


def test_a_taken_control_port_is_retried_on_another(monkeypatch: pytest.MonkeyPatch) -> None:
    """baresip starts without ctrl_tcp when its port is taken; the adapter reads that and tries again."""
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        real = baresip_module.free_port
        handed = iter([taken])

        def first_taken(kind: int = socket.SOCK_STREAM, host: str = "127.0.0.1") -> int:
            return next(handed, None) or real(kind, host)

        monkeypatch.setattr(baresip_module, "free_port", first_taken)
        phone = BaresipPhone("<sip:telesales@127.0.0.1>;regint=0")
        try:
            phone.start()
            assert phone.running and phone.ctrl_port != taken
        finally:
            phone.stop()


def test_a_taken_control_port_given_explicitly_is_reported() -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        phone = BaresipPhone("<sip:telesales@127.0.0.1>;regint=0", ctrl_port=taken)
        try:
            with pytest.raises(PhoneError, match=str(taken)):
                phone.start()
            assert phone.pid is None  # the half-started baresip was stopped
        finally:
            phone.stop()


def test_a_control_connection_taken_by_another_client_is_noticed_and_start_replaces_the_phone() -> None:
    """ctrl_tcp keeps one client: anyone on the machine who connects drops ours. The phone must then stop
    claiming to be ready (the screen says so) rather than dial into a socket nobody reads."""
    with baresip_phone("<sip:telesales@127.0.0.1>;regint=0") as phone:
        first_pid = phone.pid
        assert first_pid is not None and phone.ctrl_port is not None
        with socket.create_connection(("127.0.0.1", phone.ctrl_port)):
            deadline = time.monotonic() + 3
            while phone.running and time.monotonic() < deadline:
                time.sleep(0.02)
            assert not phone.running
            with pytest.raises(PhoneError, match="not running"):
                phone.dial("sip:1@127.0.0.1")
        phone.start()
        assert phone.running and phone.pid != first_pid
        with pytest.raises(ProcessLookupError):
            os.kill(first_pid, 0)


def test_events_left_unread_from_the_last_call_do_not_leak_into_the_next() -> None:
    with (
        sipp_shop("reject", calls=2, params={"ring_ms": 0, "code": 486, "text": "Busy Here"}) as shop,
        baresip_phone(shop.account) as phone,
    ):
        phone.dial(shop.uri())
        deadline = time.monotonic() + 3
        while phone.running and time.monotonic() < deadline:
            try:
                phone.dial(shop.uri())  # refused until the first call is closed; nobody reads its events
                break
            except PhoneBusyError:
                time.sleep(0.01)
        first = phone.next_event(2.0)
        assert first is not None and first.kind == "dialling"
        rest = [phone.next_event(2.0), phone.next_event(2.0)]
        assert [e.kind if e else None for e in rest] == ["ringing", "closed"]
        _assert_shop_done(shop)
