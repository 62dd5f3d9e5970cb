"""A terminal closed mid-call (SIGHUP) or a Telesales killed outright must not leave baresip running: it would
keep the line, its ports and the headset. baresip runs in its own session (so a test's finally can kill all of
it), which is also why it does not die with its parent by itself; its watchdog does that."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import sys, time
from orders.baresip import BaresipPhone
phone = BaresipPhone("<sip:telesales@127.0.0.1:5099>;regint=0", setup_timeout=5)
phone.start()
print(phone._proc.pid, flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie waiting for its reaper is gone for our purpose
        return stat.read().split(") ")[-1].split()[0] != "Z"


def _group(pgid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().split(") ")[-1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append(int(entry))
    return found


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGHUP])
def test_baresip_goes_when_telesales_goes(how: signal.Signals) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert child.stdout is not None
        group = int(child.stdout.readline())
        assert _group(group), "baresip is running under its watchdog"
        child.send_signal(how)
        child.wait(timeout=10)
        deadline = time.monotonic() + 5
        while _group(group) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _group(group) == [], "baresip outlived the process that started it"
    finally:
        child.kill()
        child.wait()
        for pid in _group(group) if "group" in locals() else []:
            os.kill(pid, signal.SIGKILL)
