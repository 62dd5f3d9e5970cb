"""The baresip adapter of the telephony port: a headless baresip child process driven over its ctrl_tcp socket.

Why a separate process rather than a SIP library inside the TUI: a SIP stack with its own threads, sockets and
OpenSSL would share the order taker's process, and a crash or a hang there would take the draft order with it.
baresip is a small C program from the distribution; we write its configuration, start it in its own process
session (so a killed terminal or test harness can always take the whole group down), and speak netstring-framed
JSON to it on one loopback TCP socket.

What baresip 1.0.0 does that shapes this module (measured, see issue 20):
- SIP and RTP bind to one address we choose (`sip_address_for`: loopback for a loopback account, the LAN
  address towards a PBX), never the template's 0.0.0.0; the control socket always to 127.0.0.1.
- `sip_listen` binds UDP and TCP on its port *and TLS on the next one*; ctrl_tcp accepts one client, and when its
  port is taken baresip still starts, without it. So ports are chosen here, checked free, and the start is
  read from baresip's own output: a "failed to listen" or "Address already in use" means another try on other
  ports (or, with ports given explicitly, a `PhoneError` that names them).
- `dial` accepts any text and its reply carries no call id; a second `dial` while a call rings opens a parallel
  call. So numbers are validated by the app (`orders.telephony.normalise_number`), and `dial` here refuses while
  a call is active (`PhoneBusyError`).
- A far end that never answers the INVITE closes after SIP timer B, 32 s. The adapter gives up sooner
  (`setup_timeout`): it hangs up and reports `closed` with a reason that maps to `failed`.
- A pending INVITE can make baresip ignore the first SIGTERM: `stop` escalates to SIGKILL of the group.

How a number becomes a URI (`dial_uri`): a text that already is a `sip:`/`sips:`/`tel:` URI is dialled as
given (`telesales phone check --dial`); digits become `sip:<digits>@<domain>`, the domain (with its port, if
any) taken from the account's address, so an account `<sip:1001@pbx.example>` dials `sip:07318888666@pbx.example`
through the centre's PBX, and the tests' loopback account `<sip:telesales@127.0.0.1:5070>;regint=0` dials the
sipp shop on port 5070.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from db.private_files import FILE_MODE, private_dir
from orders.telephony import EventKind, PhoneBusyError, PhoneError, PhoneEvent

if TYPE_CHECKING:
    from orders.settings import Settings

# baresip's ctrl_tcp events we turn into the port's events; the others (CALL_LOCAL_SDP, REGISTER_OK, …) say
# nothing the screen needs.
_EVENT_KINDS: dict[str, EventKind] = {
    "CALL_RINGING": "ringing",
    "CALL_PROGRESS": "progress",
    "CALL_ESTABLISHED": "established",
    "CALL_CLOSED": "closed",
}
_MODULE_DIRS = ("/usr/lib/baresip/modules", "/usr/local/lib/baresip/modules", "/usr/lib64/baresip/modules")
_DEVICE = re.compile(r"^([a-z0-9_]+)(,[^\s]*)?$")  # "alsa,default", "pulse", "aubridge,nil"
_NO_DEVICE = "aubridge,nil"  # ausine refuses anything but 48 kHz and there is no null player: a bridge to nothing
_AOR = re.compile(r"^\s*<?\s*(sips?):(?:[^@<>;\s]+@)?([^;<>\s]+)")
_URI = re.compile(r"^(sips?|tel):[^\s<>\"]+$")
_START_FAILED = re.compile(r"failed to listen|address already in use|could not|cannot|error", re.IGNORECASE)
START_ATTEMPTS = 4
READY_TIMEOUT = 5.0
SETUP_TIMEOUT = 10.0
TERM_GRACE = 1.0
REPLY_TIMEOUT = 3.0
REGISTER_TIMEOUT = 5.0


def find_binary() -> str | None:
    """The baresip executable on PATH, or None (the caller says how to install it)."""
    return shutil.which("baresip")


def free_port(kind: int = socket.SOCK_STREAM, host: str = "127.0.0.1") -> int:
    """A port free right now. Only a hint: someone may take it before baresip binds it, which is why the start
    reads baresip's output and tries again."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _port_free(port: int, kind: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_sip_port(avoid: int | None = None, host: str = "127.0.0.1") -> int:
    """A port for `sip_listen`: free for UDP and TCP, with the next one free for TCP too (baresip's TLS)."""
    for _ in range(50):
        port = free_port(socket.SOCK_DGRAM, host)
        if port >= 65535 or port in (avoid, (avoid or 0) - 1):
            continue
        if _port_free(port, socket.SOCK_STREAM, host) and _port_free(port + 1, socket.SOCK_STREAM, host):
            return port
    raise PhoneError(f"no free port pair on {host} for the softphone's SIP listener")


def sip_address_for(domain: str) -> str:
    """The local address baresip's SIP and RTP bind to: the one this machine would send from to the account's
    domain. Loopback for a loopback account (the tests); the LAN address towards a PBX, which must reach us back
    (its BYE, its media), where 127.0.0.1 would make every call one-way. Never 0.0.0.0: the template's default
    would offer SIP on every interface, the internet's side included. The control socket stays on loopback."""
    host = domain.rsplit(":", 1)[0] if domain.count(":") == 1 else domain
    host = host.strip("[]")
    try:
        address = socket.getaddrinfo(host, 5060, socket.AF_INET, socket.SOCK_DGRAM)[0][4][0]
    except (OSError, IndexError) as exc:
        raise PhoneError(f"cannot resolve the SIP account's domain {host!r}: {exc}") from exc
    if str(address).startswith("127."):
        return "127.0.0.1"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((address, 5060))  # no packet is sent: this only asks the kernel for the route
        except OSError as exc:
            raise PhoneError(f"no route to the SIP account's domain {host!r}: {exc}") from exc
        return str(probe.getsockname()[0])


def sip_domain(account: str) -> str:
    """The host (and port) of a baresip account line's address: where digits are dialled."""
    found = _AOR.match(account)
    if not found:
        raise PhoneError(f"the SIP account {account[:60]!r} has no sip: address, e.g. <sip:1001@pbx.example>")
    return found.group(2)


def _device(value: str, what: str) -> str:
    """An audio device as baresip's config wants it; empty means none (the bridge to nothing)."""
    value = value.strip() or _NO_DEVICE
    if not _DEVICE.fullmatch(value):
        raise PhoneError(f"the {what} {value[:40]!r} is not a baresip device such as alsa,default")
    return value


def _one_line(text: str, what: str) -> str:
    """A value written into baresip's line-based files: a newline there would add a line of its own choosing."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise PhoneError(f"the {what} holds a control character or a line break")
    return text.strip()


class BaresipPhone:
    """The port over one baresip process; one call at a time.

    Threads: `start`/`dial`/`hangup`/`stop` come from the screen (or the CLI); one reader thread owns the
    ctrl_tcp socket's input and turns events into `PhoneEvent`s on a queue that `next_event` reads; one more
    drains baresip's output (a full pipe would stall it) and keeps its last lines for error messages."""

    available = True

    def __init__(
        self,
        sip_account: str,
        *,
        audio_player: str = "",
        audio_source: str = "",
        sip_port: int | None = None,
        ctrl_port: int | None = None,
        sip_address: str | None = None,
        workdir: Path | None = None,
        binary: str | None = None,
        module_dir: str | None = None,
        setup_timeout: float = SETUP_TIMEOUT,
        ready_timeout: float = READY_TIMEOUT,
    ) -> None:
        self.sip_account = _one_line(sip_account, "SIP account")
        self.audio_player = _device(audio_player, "audio player")
        self.audio_source = _device(audio_source, "audio source")
        self._want_sip_port = sip_port
        self._want_ctrl_port = ctrl_port
        self._want_sip_address = sip_address
        self.sip_address = "127.0.0.1"
        self._workdir_given = workdir
        self.binary = binary
        self.module_dir = module_dir
        self.setup_timeout = setup_timeout
        self.ready_timeout = ready_timeout
        self.sip_port: int | None = None
        self.ctrl_port: int | None = None
        self.workdir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._events: queue.Queue[PhoneEvent] = queue.Queue()
        self._replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self._send_lock = threading.Lock()
        self._command_lock = threading.Lock()
        self._state = threading.Lock()
        self._active = False  # a call was dialled and baresip has not closed it yet
        self._call_id: str | None = None
        self._dialled_at: float | None = None
        self._answered_or_ringing = False
        self._gave_up = False  # the setup timeout closed the call for us: swallow baresip's own CALL_CLOSED
        self._uri = ""
        self._token = 0
        self._output: deque[str] = deque(maxlen=200)
        self._ready = threading.Event()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._lost = False

    @classmethod
    def from_settings(cls, settings: Settings) -> BaresipPhone:
        """The terminal's softphone as its config.toml describes it; nothing starts until `start`."""
        return cls(
            settings.sip_account,
            audio_player=settings.audio_player,
            audio_source=settings.audio_source,
        )

    # ------------------------------------------------------------------ the port

    @property
    def running(self) -> bool:
        """baresip is alive and the control connection is ours (ctrl_tcp drops us for any later client)."""
        return self._proc is not None and self._proc.poll() is None and self._sock is not None and not self._lost

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def dial_uri(self, number: str) -> str:
        """The URI to dial for a number already normalised by the app, or a URI given as such (see the module)."""
        number = number.strip()
        if _URI.fullmatch(number):
            return number
        if not re.fullmatch(r"[0-9*#+]+", number):
            raise PhoneError(f"{number[:40]!r} is neither digits nor a sip: URI")
        return f"sip:{number}@{sip_domain(self.sip_account)}"

    def start(self) -> None:
        """Start baresip and connect to it; a port taken between our check and its bind means another try."""
        if self.running:
            return
        self._teardown()  # a baresip that died or lost our connection is stopped before a new one starts
        if not self.sip_account:
            raise PhoneError("no SIP account is configured: set sip_account in this terminal's config.toml")
        sip_domain(self.sip_account)
        binary = self.binary or find_binary()
        if binary is None:
            raise PhoneError("baresip is not installed (Debian/Ubuntu: apt-get install baresip-core)")
        fixed = self._want_sip_port is not None or self._want_ctrl_port is not None
        last = ""
        for _ in range(1 if fixed else START_ATTEMPTS):
            self._stopping.clear()
            try:
                self._start_once(binary)
                return
            except _PortTaken as exc:
                last = str(exc)
                self._teardown()
            except BaseException:
                self._teardown()  # never leave a half-started baresip behind
                raise
        raise PhoneError(f"the softphone could not bind its ports: {last}")

    def dial(self, uri: str) -> None:
        """Dial a URI as given, or a number already normalised by the app (`normalise_number`), which becomes a
        URI at the account's domain (`dial_uri`): the screen needs to know nothing of SIP. The `dialling` event
        is the port's own, put on the queue here so that the call's first event is the moment of the key."""
        if not self.running:
            raise PhoneError("the softphone is not running")
        uri = self.dial_uri(_one_line(uri, "number to dial"))
        with self._state:
            if self._active:
                raise PhoneBusyError("a call is already active: hang up first (one call at a time)")
            self._active = True
            self._call_id = None
            self._answered_or_ringing = False
            self._gave_up = False
            self._uri = uri
            self._dialled_at = time.monotonic()
            while not self._events.empty():  # what the last call's reader left unread is not this call's
                with contextlib.suppress(queue.Empty):
                    self._events.get_nowait()
        self._events.put(PhoneEvent("dialling", self._dialled_at))
        try:
            reply = self._command("dial", uri)
        except PhoneError:
            with self._state:
                self._active = False
            raise
        if not reply.get("ok", False):
            with self._state:
                self._active = False
            reason = str(reply.get("data") or "the softphone refused the dial")
            self._events.put(PhoneEvent("error", time.monotonic(), reason))

    def hangup(self) -> None:
        """Hang up (or CANCEL) the current call; baresip's CALL_CLOSED then ends the event stream."""
        if not self.running:
            return
        with self._state:
            if not self._active:
                return
        with contextlib.suppress(PhoneError):
            self._command("hangup", None)

    def registration_problem(self, timeout: float = REGISTER_TIMEOUT) -> str | None:
        """Why the account is not registered with its registrar, or None when it is (or does not register:
        `regint=0`). baresip registers as it starts, before our control connection exists, so the state is
        read with `reginfo` until it settles rather than waited for as an event. Not part of the port: the
        screen can dial without it (a PBX may accept calls from an address it knows), `phone check` says it."""
        deadline = time.monotonic() + timeout
        while True:
            state = _registration_state(str(self._command("reginfo", None).get("data") or ""))
            if state in ("OK", ""):
                return None
            if state == "ERR":
                said = [_REG_FAILED.match(_strip_ansi(line)) for line in self._output]
                reasons = [found.group(1).strip() for found in said if found]
                return f"the registrar refused the account: {reasons[-1] if reasons else 'no reason given'}"
            if time.monotonic() >= deadline:
                return f"the registrar did not answer within {timeout:g} s"
            time.sleep(0.1)

    def next_event(self, timeout: float) -> PhoneEvent | None:
        try:
            return self._events.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None

    def stop(self) -> None:
        """Stop baresip (SIGTERM, then SIGKILL of its whole session) and remove its private folder; twice is fine."""
        self._teardown()

    def __enter__(self) -> BaresipPhone:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def output(self) -> list[str]:
        """baresip's last lines of output, for an error message or a failing test."""
        return list(self._output)

    # ------------------------------------------------------------------ starting

    def _start_once(self, binary: str) -> None:
        self.ctrl_port = self._want_ctrl_port or free_port()
        self.sip_address = self._want_sip_address or sip_address_for(sip_domain(self.sip_account))
        self.sip_port = self._want_sip_port or free_sip_port(avoid=self.ctrl_port, host=self.sip_address)
        if self.ctrl_port in (self.sip_port, self.sip_port + 1):
            raise PhoneError("the control port must differ from the SIP port and the one after it (TLS)")
        self.workdir = self._write_config()
        self._output.clear()
        self._ready.clear()
        self._proc = subprocess.Popen(
            ["/bin/sh", "-c", _WATCHDOG, "telesales-baresip", binary, "-f", str(self.workdir)],
            stdin=subprocess.PIPE,  # never written: its end closing is how the watchdog learns we are gone
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() and a test's finally kill all of it
        )
        drain = threading.Thread(target=self._drain, args=(self._proc,), name="baresip-output", daemon=True)
        drain.start()
        self._threads.append(drain)
        if not self._ready.wait(self.ready_timeout):
            if self._proc.poll() is not None:
                raise PhoneError(f"baresip exited at start: {self._last_lines()}")
            raise PhoneError(f"baresip did not say it was ready within {self.ready_timeout:g} s: {self._last_lines()}")
        if self._proc.poll() is not None:
            self._raise_start_failure(f"baresip exited at start: {self._last_lines()}")
        bad = [line for line in self._output if "failed to listen" in line or "already in use" in line.lower()]
        if bad:
            raise _PortTaken(f"{bad[0]} (SIP port {self.sip_port}, control port {self.ctrl_port})")
        try:
            self._sock = socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=2.0)
        except OSError as exc:
            self._raise_start_failure(f"cannot reach baresip's control port {self.ctrl_port}: {exc}")
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # a dial must not wait 40 ms for Nagle
        self._sock.settimeout(0.2)
        reader = threading.Thread(target=self._read, args=(self._sock,), name="baresip-ctrl", daemon=True)
        reader.start()
        self._threads.append(reader)

    def _raise_start_failure(self, message: str) -> NoReturn:
        if any("already in use" in line.lower() for line in self._output):
            raise _PortTaken(message)
        raise PhoneError(message)

    def _last_lines(self) -> str:
        lines = [_strip_ansi(line) for line in self._output if _START_FAILED.search(line)]
        return "; ".join(lines[-3:]) or "; ".join(_strip_ansi(line) for line in list(self._output)[-3:]) or "no output"

    def _write_config(self) -> Path:
        """baresip's folder: config, accounts (the SIP password, so 0600 in a 0700 folder)."""
        if self._workdir_given is not None:
            workdir = private_dir(self._workdir_given)
        else:
            workdir = Path(tempfile.mkdtemp(prefix="telesales-baresip-"))  # mkdtemp makes it 0700
        module_dir = self.module_dir or next((d for d in _MODULE_DIRS if Path(d).is_dir()), _MODULE_DIRS[0])
        modules = ["g711.so", "aubridge.so"]
        for device in (self.audio_player, self.audio_source):
            name = device.split(",", 1)[0] + ".so"
            if name not in modules and Path(module_dir, name).exists():
                modules.append(name)
        lines = [
            "poll_method\t\tepoll",
            f"sip_listen\t\t{self.sip_address}:{self.sip_port}",
            f"net_interface\t\t{self.sip_address}",
            f"audio_player\t\t{self.audio_player}",
            f"audio_source\t\t{self.audio_source}",
            f"audio_alert\t\t{self.audio_player}",
            f"module_path\t\t{module_dir}",
            *(f"module\t\t\t{name}" for name in modules),
            "module_app\t\taccount.so",
            "module_app\t\tmenu.so",
            "module_app\t\tctrl_tcp.so",
            f"ctrl_tcp_listen\t\t127.0.0.1:{self.ctrl_port}",
        ]
        if not self.sip_account:
            raise PhoneError("no SIP account is configured")
        _write_private(workdir / "config", "\n".join(lines) + "\n")
        _write_private(workdir / "accounts", self.sip_account + "\n")
        return workdir

    def _drain(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for raw in iter(proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            self._output.append(line)
            if "baresip is ready" in line:
                self._ready.set()
        self._ready.set()  # exited: whoever waits for ready looks at the process next

    # ------------------------------------------------------------------ talking

    def _command(self, command: str, params: str | None) -> dict[str, Any]:
        """Send one command and wait for its reply (ctrl_tcp answers in order, tagged with our token)."""
        with self._command_lock:
            self._token += 1
            token = f"t{self._token}"
            message: dict[str, Any] = {"command": command, "token": token}
            if params is not None:
                message["params"] = params
            self._send(message)
            deadline = time.monotonic() + REPLY_TIMEOUT
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise PhoneError(f"the softphone did not answer the {command} command")
                try:
                    reply = self._replies.get(timeout=left)
                except queue.Empty:
                    continue
                if reply.get("token") == token:
                    return reply

    def _send(self, message: dict[str, Any]) -> None:
        sock = self._sock
        if sock is None:
            raise PhoneError("the softphone is not running")
        body = json.dumps(message).encode()
        try:
            with self._send_lock:
                sock.sendall(str(len(body)).encode() + b":" + body + b",")
        except OSError as exc:
            raise PhoneError(f"lost the softphone's control connection: {exc}") from exc

    def _read(self, sock: socket.socket) -> None:
        """The one reader of the control socket: replies to `_replies`, call events to `_events`; also the
        setup timeout, checked between reads."""
        buffer = b""
        quickack = getattr(socket, "TCP_QUICKACK", None)
        while not self._stopping.is_set():
            try:
                if quickack is not None:
                    # baresip writes each event as it happens; with our ACKs delayed (Linux resets QUICKACK after
                    # every read) its Nagle holds the next event ~40 ms, measured on every ringing and answer
                    sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)
                data = sock.recv(65536)
            except TimeoutError:
                data = None
            except OSError:
                break
            if data == b"":
                break
            if data:
                buffer += data
                messages, buffer = split_netstrings(buffer)
                for message in messages:
                    self._handle(message)
            self._check_setup_timeout()
        if self._stopping.is_set():
            return
        # baresip died, or ctrl_tcp gave the socket to another client (it keeps one): either way we no longer
        # control this phone; `running` turns False and the next `start` replaces it
        self._lost = True
        with self._state:
            was_active = self._active
            self._active = False
        if was_active:
            self._events.put(PhoneEvent("error", time.monotonic(), "the softphone stopped during the call"))

    def _handle(self, raw: bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        if message.get("response"):
            self._replies.put(message)
            return
        kind = _EVENT_KINDS.get(str(message.get("type", "")))
        if kind is None or not message.get("event"):
            return
        if message.get("direction") == "incoming":
            return  # someone calling this extension: not the call we dialled (its close must not end ours)
        call_id = message.get("id")
        reason = str(message.get("param") or "") if kind == "closed" else ""  # the others' param is the peer URI
        now = time.monotonic()
        with self._state:
            if not self._active:
                return  # a late event of a call already given up
            if self._call_id is None and call_id:
                self._call_id = str(call_id)
            elif call_id and call_id != self._call_id:
                return  # not our call (baresip would only open another one if asked)
            if kind == "closed":
                self._active = False
                if self._gave_up:
                    return
            else:
                self._answered_or_ringing = True
        self._events.put(PhoneEvent(kind, now, reason, self._call_id))

    def _check_setup_timeout(self) -> None:
        with self._state:
            late = (
                self._active
                and not self._gave_up
                and not self._answered_or_ringing
                and self._dialled_at is not None
                and time.monotonic() - self._dialled_at > self.setup_timeout
            )
            if late:
                self._gave_up = True
        if late:
            reason = f"no response from {self._uri} within {self.setup_timeout:g} s"
            self._events.put(PhoneEvent("closed", time.monotonic(), reason, self._call_id))
            with contextlib.suppress(PhoneError):  # on the reader thread: send, never wait for the reply
                self._send({"command": "hangup", "token": "setup-timeout"})

    # ------------------------------------------------------------------ stopping

    def _teardown(self) -> None:
        self._stopping.set()
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_process_group(proc)
        for thread in self._threads:
            thread.join(timeout=2.0)  # the output thread ends at the dead process's EOF
        self._threads.clear()
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()  # only now: closing it under the output thread's read crashes that thread
        if proc is not None and proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        with self._state:
            self._active = False
        if self.workdir is not None and self._workdir_given is None:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.workdir = None
        self._lost = False


# baresip runs under a small shell that holds the read end of a pipe whose write end only this process has.
# However this process ends (quit, a closed terminal's SIGHUP, kill -9, a crash), the pipe closes, `read` returns,
# and the shell stops baresip (TERM, then KILL a second later: a pending INVITE can make it ignore the first).
# Without it, baresip in its own session outlived a terminal window closed mid-call, holding the line, its
# ports and the headset. (PR_SET_PDEATHSIG would fire when the worker thread that started it ends.)
# (A shell gives a background job /dev/null as its standard input, hence the pipe kept on fd 3.)
_WATCHDOG = (
    'exec 3<&0; "$@" </dev/null 3<&- & child=$!; '
    '( read -r _ <&3; kill -TERM "$child" 2>/dev/null; sleep 1; kill -KILL "$child" 2>/dev/null ) & '
    'exec 3<&-; wait "$child"'
)


class _PortTaken(PhoneError):
    """baresip started but could not bind a port we chose: try again on others."""


def stop_process_group(proc: subprocess.Popen[bytes], grace: float = TERM_GRACE) -> None:
    """SIGTERM the child's process session, then SIGKILL it if it is still there after `grace` seconds (a
    pending INVITE can make baresip ignore the first SIGTERM). The child was started with start_new_session,
    so its pid is its group's id."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # whatever else is left in the group
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5.0)


def _registration_state(reginfo: str) -> str | None:
    """The status column of `reginfo` for our one account: "OK", "ERR", "" (not registering), None (pending)."""
    for line in reginfo.splitlines():
        if line.startswith(">"):
            status = _strip_ansi(line).split()
            if len(status) < 3:
                return ""  # no status column: an account with regint=0
            return status[2] if status[2] in ("OK", "ERR") else None
    return None


def split_netstrings(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Complete netstrings (`<len>:<body>,`) at the start of `buffer`, and what is left for the next read."""
    messages: list[bytes] = []
    while True:
        colon = buffer.find(b":")
        if colon <= 0:
            return messages, buffer
        head = buffer[:colon]
        if not head.isdigit():  # out of step: resume at the digits before this colon rather than stall forever
            digits = re.search(rb"[0-9]+$", head)
            buffer = buffer[digits.start() :] if digits else buffer[colon + 1 :]
            continue
        size = int(head)
        end = colon + 1 + size
        if len(buffer) < end + 1:
            return messages, buffer
        if buffer[end : end + 1] != b",":  # a wrong length: skip this head rather than read garbage as JSON
            buffer = buffer[colon + 1 :]
            continue
        messages.append(buffer[colon + 1 : end])
        buffer = buffer[end + 1 :]


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        os.write(fd, text.encode())
    finally:
        os.close(fd)


_REG_FAILED = re.compile(r"^reg: \S+: ([1-6][0-9]{2}[^(]*)")  # "reg: sip:8031@pbx: 403 Forbidden ()"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _strip_ansi(line: str) -> str:
    return _ANSI.sub("", line).strip()
