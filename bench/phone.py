"""The softphone at the adapter level: how fast call events reach the app, and how many calls one terminal drives.

    .venv/bin/python -m bench.phone [--calls 50] [--rate-calls 100]

Against sipp shops on loopback (tests/sip.py, the scenarios in tests/data/sipp), with one `BaresipPhone`:

1. Latency over `--calls` calls to a shop that rings 50 ms and answers (`answer_wait_bye`), hung up as soon
   as it is answered: dial → RINGING event (from `dial()` to the `ringing` `PhoneEvent` read by `next_event`)
   and answer → ESTABLISHED (from the `ringing` event to the `established` one, less the shop's 50 ms: what one
   SIP answer costs through baresip, its ctrl_tcp socket, our reader thread and the queue, within sipp's timer
   precision), p50/p99. Baselines in the same run: the same calls driven by a bare netstring client on
   baresip's control socket (no threads, no queue), with and without TCP_QUICKACK (without it, Linux delays
   our ACKs and baresip's Nagle holds every event about 40 ms: the adapter sets it before each read).
2. Throughput over `--rate-calls` calls: answered and hung up at once, one after the other, as fast as one
   terminal can (calls per minute); then the same for a shop that is busy (486).
3. Leaks: after stopping, baresip or sipp processes left in the sessions we started (must be 0), the ports
   they used still bound (must be 0), and file descriptors of this process beyond those at the start.

Measured on 2 shared cores (baresip 1.0.0, sipp 3.6.1), `.venv/bin/python -m bench.phone`: dial → RINGING
adapter p50 1.14 ms, p99 14.95 ms; bare client p50 0.96 ms, p99 10.79 ms; bare client without TCP_QUICKACK
p50 45.12 ms, p99 53.10 ms (the adapter measured the same before it set QUICKACK: p50 44 ms). answer →
ESTABLISHED adapter p50 3.97 ms, p99 13.39 ms; bare client p50 2.75 ms, p99 17.13 ms. One terminal drives
8,247 answered calls/min and 7,555 busy calls/min (100 each; a real order taker makes one or two a minute).
Leaks: 0 processes, 0 ports, +0 file descriptors.

Figures are printed, never asserted (the tests assert outcomes, not times). The screen adds its own redraw on
top of these (the call screen's Pilot test and bench/tui.py measure that side).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import time
from pathlib import Path

from orders.baresip import BaresipPhone, split_netstrings
from orders.dialling import place_call
from orders.telephony import PhoneEvent
from tests.sip import missing_binaries, sipp_shop

RING_MS = 50  # the latency shop rings this long before it answers; subtracted from answer -> ESTABLISHED


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ms(values: list[float]) -> str:
    return f"p50 {_pct(values, 0.5) * 1000:.2f} ms, p99 {_pct(values, 0.99) * 1000:.2f} ms (n={len(values)})"


def _wait(phone: BaresipPhone, kind: str, timeout: float = 5.0) -> PhoneEvent:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = phone.next_event(deadline - time.monotonic())
        if event is not None and event.kind == kind:
            return event
        if event is not None and event.kind in ("closed", "error"):
            raise RuntimeError(f"call ended before {kind}: {event.reason}")
    raise RuntimeError(f"no {kind} event within {timeout} s")


def adapter_latency(calls: int) -> tuple[list[float], list[float]]:
    ringing: list[float] = []
    answered: list[float] = []
    with sipp_shop("answer_wait_bye", calls=calls, params={"ring_ms": RING_MS}, timeout_s=120) as shop:
        with BaresipPhone(shop.account) as phone:
            for _ in range(calls):
                sent = time.monotonic()
                phone.dial(shop.uri())
                ring = _wait(phone, "ringing")
                up = _wait(phone, "established")
                phone.hangup()
                _wait(phone, "closed")
                ringing.append(ring.at - sent)
                answered.append(up.at - ring.at - RING_MS / 1000)
        code = shop.wait(20)
    if code != 0:
        print(f"  (sipp exit {code}: not every call followed the scenario)")
    return ringing, answered


def raw_latency(calls: int, quick: bool) -> tuple[list[float], list[float]]:
    """The baseline: the same calls by a bare netstring client reading baresip's socket on this thread."""
    ringing: list[float] = []
    answered: list[float] = []
    with sipp_shop("answer_wait_bye", calls=calls, params={"ring_ms": RING_MS}, timeout_s=120) as shop:
        phone = BaresipPhone(shop.account)
        phone.start()
        try:
            # our adapter holds ctrl_tcp's one client; close it so the bare client gets the socket
            assert phone._sock is not None and phone.ctrl_port is not None
            phone._stopping.set()
            phone._sock.close()
            time.sleep(0.3)
            with socket.create_connection(("127.0.0.1", phone.ctrl_port)) as sock:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                buffer = b""
                pending: list[bytes] = []

                def send(message: dict[str, str]) -> None:
                    body = json.dumps(message).encode()
                    sock.sendall(str(len(body)).encode() + b":" + body + b",")

                def until(kind: str) -> float:
                    nonlocal buffer
                    while True:
                        while pending:
                            if json.loads(pending.pop(0)).get("type") == kind:
                                return time.monotonic()
                        if quick:  # a bare client without it waits ~40 ms per event (see orders/baresip.py)
                            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
                        buffer += sock.recv(65536)
                        messages, buffer = split_netstrings(buffer)
                        pending.extend(messages)

                for _ in range(calls):
                    sent = time.monotonic()
                    send({"command": "dial", "params": shop.uri(), "token": "d"})
                    ring = until("CALL_RINGING")
                    up = until("CALL_ESTABLISHED")
                    send({"command": "hangup", "token": "h"})
                    until("CALL_CLOSED")
                    ringing.append(ring - sent)
                    answered.append(up - ring - RING_MS / 1000)
        finally:
            phone.stop()
        shop.wait(20)
    return ringing, answered


def throughput(calls: int, scenario: str, params: dict[str, str | int]) -> tuple[float, dict[str, int], list[int]]:
    """Calls per minute through one phone, the outcomes seen, and the ports used (for the leak check)."""
    outcomes: dict[str, int] = {}
    with sipp_shop(scenario, calls=calls, params=params, timeout_s=300) as shop:
        with BaresipPhone(shop.account) as phone:
            ports = [p for p in (phone.sip_port, phone.ctrl_port, shop.port) if p is not None]
            started = time.monotonic()
            for _ in range(calls):
                run = place_call(phone, shop.uri(), ring_timeout=5, talk_seconds=0)
                outcomes[run.result.outcome] = outcomes.get(run.result.outcome, 0) + 1
            elapsed = time.monotonic() - started
        code = shop.wait(20)
    if code != 0:
        print(f"  (sipp exit {code}: not every call followed the scenario)")
    return calls / elapsed * 60, outcomes, ports


def leftover_processes() -> list[str]:
    """baresip or sipp processes that are our children or in a session one of our children led."""
    ours = os.getpid()
    left = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        ppid = int(fields[1])
        if comm in ("baresip", "sipp") and (ppid == ours or (ppid == 1 and int(fields[3]) == int(stat.parent.name))):
            left.append(f"{comm} {stat.parent.name}")
    return left


def bound(port: int) -> bool:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50, help="calls for the latency figures")
    parser.add_argument("--rate-calls", type=int, default=100, help="calls for the throughput figures")
    args = parser.parse_args()
    missing = missing_binaries()
    if missing:
        raise SystemExit(f"{' and '.join(missing)} not installed (apt-get install baresip-core sip-tester)")
    fds_before = len(os.listdir("/proc/self/fd"))
    before = leftover_processes()
    print(f"baresip {os.popen('baresip -h 2>&1 | head -1').read().split()[1]}, {os.cpu_count()} cores, loopback")

    ringing, answered = adapter_latency(args.calls)
    raw_ringing, raw_answered = raw_latency(args.calls, quick=True)
    slow_ringing, _ = raw_latency(args.calls, quick=False)  # its answer figure is the ringing's delay, negated
    print(f"dial -> RINGING event   adapter {_ms(ringing)}")
    print(f"                        bare ctrl_tcp client {_ms(raw_ringing)}")
    print(f"                        bare client without TCP_QUICKACK {_ms(slow_ringing)}")
    print(f"answer -> ESTABLISHED   adapter {_ms(answered)}")
    print(f"                        bare ctrl_tcp client {_ms(raw_answered)}")
    print(f"  (answer -> ESTABLISHED is RINGING -> ESTABLISHED less the shop's {RING_MS} ms of ringing)")

    rate, outcomes, ports = throughput(args.rate_calls, "answer_wait_bye", {"ring_ms": 0})
    print(f"answered calls, hung up at once: {rate:,.0f} calls/min over {args.rate_calls} ({outcomes})")
    busy_shop: dict[str, str | int] = {"ring_ms": 0, "code": 486, "text": "Busy Here"}
    busy_rate, busy, busy_ports = throughput(args.rate_calls, "reject", busy_shop)
    print(f"busy (486) calls:                {busy_rate:,.0f} calls/min over {args.rate_calls} ({busy})")

    time.sleep(0.2)
    left = [p for p in leftover_processes() if p not in before]
    still = [p for p in ports + busy_ports if bound(p)]
    fds_after = len(os.listdir("/proc/self/fd"))
    print(f"leaks: baresip/sipp processes left {len(left)} {left or ''}; ports still bound {len(still)} {still or ''}; "
          f"file descriptors {fds_after - fds_before:+d}")


if __name__ == "__main__":
    main()
