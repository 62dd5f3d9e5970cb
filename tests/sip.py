"""Real SIP in tests: a sipp "shop" playing an XML scenario, and a baresip phone, both on free loopback ports.

Both run in their own process sessions and are killed as a group in `finally`, so a failing or interrupted test
leaves no baresip or sipp behind. sipp exits 0 only when its scenario ran to the end, which is how a test knows
the shop saw our BYE or CANCEL. Reused by tests/phone and bench/phone.py.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from orders.baresip import BaresipPhone, free_port, stop_process_group

SCENARIOS = Path(__file__).resolve().parent / "data" / "sipp"
REQUIRE_ENV = ("TELESALES_REQUIRE_PHONE", "TELESALES_REQUIRE_PG")


def missing_binaries() -> list[str]:
    """The SIP programs these tests need and this machine lacks."""
    return [name for name in ("baresip", "sipp") if shutil.which(name) is None]


def phone_required() -> bool:
    """CI (TELESALES_REQUIRE_PG=1) and anyone asking for it must not get a silent skip."""
    return any(os.environ.get(name) == "1" for name in REQUIRE_ENV)


def _udp_bound(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _free_media_port() -> int:
    """An even UDP port with the next three free: sipp's RTP (echo) port and its neighbours."""
    for _ in range(100):
        port = free_port(socket.SOCK_DGRAM) & ~1
        if port + 3 < 65536 and not any(_udp_bound(p) for p in range(port, port + 4)):
            return port
    raise RuntimeError("no free media port range for sipp")


@dataclass
class Shop:
    """A running sipp UAS: dial `sip:<anything>@127.0.0.1:<port>` to reach it."""

    port: int
    scenario: str
    proc: subprocess.Popen[bytes]
    workdir: Path
    log: Path
    returncode: int | None = field(default=None)

    @property
    def account(self) -> str:
        """A loopback account for baresip: no registration, digits dial this shop (see BaresipPhone.dial_uri)."""
        return f"<sip:telesales@127.0.0.1:{self.port}>;regint=0"

    def uri(self, number: str = "07318888666") -> str:
        return f"sip:{number}@127.0.0.1:{self.port}"

    def wait(self, timeout: float = 10.0) -> int:
        """sipp's exit code once its calls are done: 0 when every call followed the scenario to its end."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_process_group(self.proc, grace=0.2)
            self.returncode = -1
        return self.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


@contextmanager
def sipp_shop(
    scenario: str,
    *,
    calls: int = 1,
    params: dict[str, str | int] | None = None,
    timeout_s: float = 30.0,
    rate: int | None = None,
) -> Iterator[Shop]:
    """sipp playing `tests/data/sipp/<scenario>.xml` for `calls` calls, its `@name@` placeholders (ring_ms,
    talk_ms, code, text) filled from `params`. Filled here rather than with sipp's -set/-key: sipp reads a
    pause's length and a response's status code when it loads the scenario, before any of those apply.
    Own control and media ports, so tests run side by side; killed as a group on the way out."""
    workdir = Path(tempfile.mkdtemp(prefix="telesales-sipp-"))
    text = (SCENARIOS / f"{scenario}.xml").read_text()
    for name, value in (params or {}).items():
        text = text.replace(f"@{name}@", str(value))
    unfilled = re.findall(r"@(\w+)@", text)
    if unfilled:
        raise ValueError(f"scenario {scenario} needs {sorted(set(unfilled))}")
    scenario_file = workdir / f"{scenario}.xml"
    scenario_file.write_text(text)
    log = workdir / "sipp.out"
    proc: subprocess.Popen[bytes] | None = None
    try:
        for _attempt in range(4):
            port = free_port(socket.SOCK_DGRAM)
            control = free_port(socket.SOCK_DGRAM)
            media = _free_media_port()
            if len({port, control, media, media + 2}) < 4:
                continue
            args = ["sipp", "-sf", str(scenario_file), "-i", "127.0.0.1", "-p", str(port)]
            args += ["-cp", str(control), "-mp", str(media), "-m", str(calls), "-nostdin"]
            args += ["-timeout", f"{timeout_s:g}s", "-timeout_error", "-trace_err"]
            if rate is not None:
                args += ["-r", str(rate)]
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    args, cwd=workdir, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            deadline = time.monotonic() + 5.0
            while time.monotonic() < deadline and proc.poll() is None and not _udp_bound(port):
                time.sleep(0.01)
            if proc.poll() is None and _udp_bound(port):
                break
            stop_process_group(proc, grace=0.2)
            proc = None
        if proc is None:
            raise RuntimeError(f"sipp did not start: {log.read_text(errors='replace')[-2000:] if log.exists() else ''}")
        yield Shop(port, scenario, proc, workdir, log)
    finally:
        if proc is not None:
            stop_process_group(proc, grace=0.2)
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def baresip_phone(account: str, *, setup_timeout: float = 10.0) -> Iterator[BaresipPhone]:
    """A started BaresipPhone on free ports with a private temp folder; stopped (group killed) on the way out."""
    phone = BaresipPhone(account, setup_timeout=setup_timeout)
    try:
        phone.start()
        yield phone
    finally:
        phone.stop()
