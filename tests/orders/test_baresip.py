"""orders/baresip.py without baresip: how numbers become URIs, what reaches its config files, the netstring
framing, and the process-group stop (against a shell that ignores SIGTERM, as baresip does with an INVITE
pending). The real calls are in tests/phone."""

from __future__ import annotations

import json
import os
import subprocess
import time
from typing import Any

import pytest

from orders.baresip import BaresipPhone, sip_address_for, sip_domain, split_netstrings, stop_process_group
from orders.settings import Settings
from orders.telephony import PhoneError


@pytest.mark.parametrize(
    ("account", "domain"),
    [
        ("<sip:1001@pbx.example>;auth_pass=secret", "pbx.example"),
        ("<sip:telesales@127.0.0.1:5070>;regint=0", "127.0.0.1:5070"),
        ("sip:1001@10.0.0.5:5080;transport=udp", "10.0.0.5:5080"),
        ("<sips:agent7@sip.centre.cn>", "sip.centre.cn"),
        ("<sip:pbx.example>", "pbx.example"),
    ],
)
def test_sip_domain(account: str, domain: str) -> None:
    assert sip_domain(account) == domain


@pytest.mark.parametrize("account", ["1001@pbx", "<http://x>", ""])
def test_sip_domain_refuses(account: str) -> None:
    with pytest.raises(PhoneError):
        sip_domain(account)


@pytest.mark.parametrize(
    ("number", "uri"),
    [
        ("073188886666", "sip:073188886666@pbx.example:5060"),
        ("9013812345678", "sip:9013812345678@pbx.example:5060"),
        ("sip:shop@127.0.0.1:5999", "sip:shop@127.0.0.1:5999"),  # phone check --dial gives a URI as such
        ("tel:+8673188886666", "tel:+8673188886666"),
    ],
)
def test_dial_uri(number: str, uri: str) -> None:
    assert BaresipPhone("<sip:1001@pbx.example:5060>;auth_pass=x").dial_uri(number) == uri


@pytest.mark.parametrize("number", ["", "0731 8888", "abc", "sip:a b@x", "1;evil"])
def test_dial_uri_refuses(number: str) -> None:
    with pytest.raises(PhoneError):
        BaresipPhone("<sip:1001@pbx.example>").dial_uri(number)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sip_account": "<sip:1@x>\nmodule_app evil.so"},
        {"sip_account": "<sip:1@x>", "audio_player": "alsa,default\nmodule x"},
        {"sip_account": "<sip:1@x>", "audio_source": "../../etc,x"},
    ],
)
def test_nothing_can_add_a_line_to_baresips_files(kwargs: dict[str, Any]) -> None:
    with pytest.raises(PhoneError):
        BaresipPhone(**kwargs)


def test_from_settings_takes_the_terminals_account_and_devices() -> None:
    settings = Settings(
        phone="baresip", sip_account="<sip:1001@pbx.example>;auth_pass=x", audio_player="alsa,default"
    )
    phone = BaresipPhone.from_settings(settings)
    assert phone.sip_account == "<sip:1001@pbx.example>;auth_pass=x"
    assert (phone.audio_player, phone.audio_source) == ("alsa,default", "aubridge,nil")
    assert phone.available and not phone.running
    phone.stop()  # never started: harmless


def test_start_without_an_account_says_what_to_set() -> None:
    with pytest.raises(PhoneError, match="sip_account"):
        BaresipPhone.from_settings(Settings(phone="baresip")).start()


def test_dial_before_start_is_refused() -> None:
    with pytest.raises(PhoneError, match="not running"):
        BaresipPhone("<sip:1@x>").dial("sip:2@x")


def test_split_netstrings_keeps_partial_messages_for_the_next_read() -> None:
    data = b'5:{"a":,3:{}x,'
    assert split_netstrings(data) == ([b'{"a":', b"{}x"], b"")
    messages, rest = split_netstrings(b'12:{"event":t')
    assert messages == [] and rest == b'12:{"event":t'
    messages, rest = split_netstrings(rest + b'r},2:{}')
    assert messages == [b'{"event":tr}'] and rest == b"2:{}"
    assert split_netstrings(b"junk:3:abc,") == ([b"abc"], b"")
    assert split_netstrings(b"2:abc,3:def,") == ([b"def"], b"")  # a wrong length is dropped, not trusted


def test_stop_escalates_to_sigkill_of_the_whole_group() -> None:
    proc = subprocess.Popen(
        ["bash", "-c", "trap '' TERM; sleep 30 & wait; sleep 30"],
        start_new_session=True,
    )
    time.sleep(0.2)  # let the trap and the child be set up
    started = time.monotonic()
    stop_process_group(proc, grace=0.3)
    assert proc.returncode is not None
    assert time.monotonic() - started < 3
    deadline = time.monotonic() + 2  # the killed sleep child is reaped by init, not by us: give it a moment
    while time.monotonic() < deadline and _group_alive(proc.pid):
        time.sleep(0.02)
    assert not _group_alive(proc.pid)  # the sleep child went with it


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("domain", ["127.0.0.1", "127.0.0.1:5070", "localhost", "127.0.1.1:5060"])
def test_a_loopback_account_binds_sip_to_loopback(domain: str) -> None:
    assert sip_address_for(domain) == "127.0.0.1"


def test_an_unresolvable_domain_is_said_before_baresip_starts() -> None:
    with pytest.raises(PhoneError, match="cannot resolve"):
        sip_address_for("pbx.invalid")


def _recorded(kind: str, call_id: str = "e07e5dcee5c7e995", param: str = "", direction: str = "outgoing") -> bytes:
    """A ctrl_tcp event as baresip 1.0.0 writes it (recorded on loopback)."""
    return json.dumps(
        {"event": True, "type": kind, "class": "call", "accountaor": "sip:telesales@127.0.0.1",
         "direction": direction, "peeruri": "sip:07318888666@127.0.0.1:5070", "id": call_id, "param": param}
    ).encode()


def _dialled_phone() -> BaresipPhone:
    phone = BaresipPhone("<sip:telesales@127.0.0.1>;regint=0")
    phone._active = True  # as dial() leaves it once the command is sent
    phone._dialled_at = time.monotonic()
    return phone


def _drain(phone: BaresipPhone) -> list[tuple[str, str, str | None]]:
    events = []
    while (event := phone.next_event(0)) is not None:
        events.append((event.kind, event.reason, event.call_id))
    return events


def test_recorded_ctrl_tcp_events_become_the_ports_events() -> None:
    phone = _dialled_phone()
    for raw in (
        b'{"event":true,"type":"CALL_LOCAL_SDP","class":"other","direction":"outgoing","param":"offer"}',
        b'{"response":true,"ok":true,"data":"","token":"t1"}',
        _recorded("CALL_RINGING", param="sip:07318888666@127.0.0.1:5070"),
        _recorded("CALL_ESTABLISHED", param="sip:07318888666@127.0.0.1:5070"),
        _recorded("CALL_CLOSED", param="Connection reset by peer"),
        _recorded("CALL_CLOSED", param="late duplicate"),
    ):
        phone._handle(raw)
    assert _drain(phone) == [
        ("ringing", "", "e07e5dcee5c7e995"),  # the peer URI baresip puts in param is not a reason
        ("established", "", "e07e5dcee5c7e995"),
        ("closed", "Connection reset by peer", "e07e5dcee5c7e995"),
    ]
    assert not phone._active and phone._replies.qsize() == 1


def test_events_of_other_calls_are_not_ours() -> None:
    phone = _dialled_phone()
    phone._handle(_recorded("CALL_CLOSED", call_id="in1", param="Request Terminated", direction="incoming"))
    phone._handle(_recorded("CALL_RINGING"))
    phone._handle(_recorded("CALL_CLOSED", call_id="other", param="486 Busy Here"))
    phone._handle(b"not json")
    phone._handle(b"[1, 2]")
    assert _drain(phone) == [("ringing", "", "e07e5dcee5c7e995")]
    assert phone._active


def test_events_after_the_call_are_dropped() -> None:
    phone = BaresipPhone("<sip:telesales@127.0.0.1>;regint=0")
    phone._handle(_recorded("CALL_RINGING"))
    assert _drain(phone) == []
