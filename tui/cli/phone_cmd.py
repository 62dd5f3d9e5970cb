"""`telesales phone check [--dial URI] [--json]`: is this terminal's softphone usable, and does a call go through.

What a technician runs at a new terminal, before any order taker relies on the dial key: it starts the softphone
exactly as the call screen does (`BaresipPhone.from_settings`), says whether it came up and its account
registered with the PBX, and with `--dial` places one test call and reports what the phone saw: `{"ready",
"outcome", "reason"}` (interfaces.md). An answered test call is hung up after a second, so a technician can
dial a colleague's extension or an echo test.

Exit codes: 0 when the phone is ready (whatever the test call's outcome: a busy line is a working phone), 1 when
it is not (no softphone configured, baresip missing, ports taken, the account wrong: with `--json`, the error
`phone_not_ready` carrying the contract's keys too) or `--dial` is no number or URI (`bad_input`).
The ring timeout is the centre's policy: read from the database when one answers, the terminal's own settings
otherwise, so the phone can be checked before the database is set up.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from orders.baresip import BaresipPhone
from orders.dialling import place_call
from orders.settings import Settings, data_dir
from orders.telephony import PhoneError, normalise_number
from tui.cli.main import (
    CliError,
    CliState,
    DbOption,
    JsonOption,
    app,
    cli_errors,
    emit_json,
    open_database,
    state_of,
)

phone_app = typer.Typer(help="This terminal's softphone.", no_args_is_help=True)
app.add_typer(phone_app, name="phone")

TEST_TALK_S = 1.0  # an answered test call is hung up after this long


@phone_app.command("check")
def check(
    ctx: typer.Context,
    dial: Annotated[
        str | None,
        typer.Option("--dial", metavar="URI", help="Place a test call to this sip: URI (or a phone number)."),
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Start the configured softphone and say whether it is ready; with --dial, place a test call."""
    with cli_errors(as_json):
        state = state_of(ctx, db)
        settings = _with_policy(state)
        if dial is not None:
            dial = _dial_target(dial, settings)
        report, times = _check(settings, dial)
        if not report["ready"]:
            # through the one boundary: a sentence on stderr, or the JSON error with the contract's keys in it
            raise CliError(f"the softphone is not ready: {report['reason']}", kind="phone_not_ready", **report)
        if as_json:
            emit_json(report)
        else:
            for line in _lines(report, times, settings, dial):
                typer.echo(line)


def _with_policy(state: CliState) -> Settings:
    """The settings with the centre's policy over them when a database answers; the terminal's own otherwise."""
    settings = state.settings()
    if settings.phone == "none":
        return settings  # nothing to start: no reason to touch a database
    if settings.database_url is None and not (data_dir() / "telesales.db").exists():
        return settings  # no database yet: checking the phone must not create one
    try:
        open_database(state, check_clock=False).dispose()  # lays the policy over `settings` in place
    except Exception:  # any database trouble: the phone is still checked, on the terminal's own settings
        return settings
    return settings


def _dial_target(raw: str, settings: Settings) -> str:
    """A URI as given, or a number as the call screen would dial it (area code, dial prefix); refused before any
    process starts, since baresip would dial any text."""
    text = raw.strip()
    if text.lower().startswith(("sip:", "sips:", "tel:")):
        if any(ord(ch) < 33 or ord(ch) == 127 for ch in text) or len(text) > 200 or "<" in text or ">" in text:
            raise CliError(f"--dial {raw[:40]!r} is not a valid SIP URI", kind="bad_input")
        return text
    try:
        return normalise_number(text, area_code=settings.area_code, dial_prefix=settings.dial_prefix)
    except ValueError as exc:
        raise CliError(f"--dial: {exc}; give a number or a sip: URI", kind="bad_input") from exc


def _check(settings: Settings, dial: str | None) -> tuple[dict[str, Any], dict[str, float]]:
    """The contract's report, and the test call's ring and talk seconds for the text output."""
    report: dict[str, Any] = {"ready": False, "outcome": None, "reason": ""}
    times: dict[str, float] = {}
    if settings.phone == "none":
        report["reason"] = (
            'no softphone is configured on this terminal: set phone = "baresip" and sip_account in config.toml'
        )
        return report, times
    try:
        phone = BaresipPhone.from_settings(settings)
    except PhoneError as exc:
        report["reason"] = str(exc)
        return report, times
    try:
        phone.start()
        problem = phone.registration_problem()
        if problem is not None:
            report["reason"] = problem
            return report, times
        report["ready"] = True
        report["reason"] = "baresip is running"
        if dial is not None:
            uri = phone.dial_uri(dial)
            run = place_call(phone, uri, ring_timeout=settings.ring_timeout_seconds, talk_seconds=TEST_TALK_S)
            report["outcome"] = run.result.outcome
            report["reason"] = run.result.reason
            times = {"ring_s": run.result.ring_s, "talk_s": run.result.talk_s}
    except PhoneError as exc:
        report["reason"] = str(exc)
    finally:
        phone.stop()
    return report, times


def _lines(report: dict[str, Any], times: dict[str, float], settings: Settings, dial: str | None) -> list[str]:
    account = settings.sip_account.split(";", 1)[0]  # never the password that may follow
    lines = [f"ready: baresip started with the account {account}"]
    if dial is not None:
        if report["outcome"] is None:
            lines.append(f"test call to {dial} not placed: {report['reason']}")
        else:
            how = f"after {times['ring_s']:.1f} s" + (f", {times['talk_s']:.1f} s talk" if times["talk_s"] else "")
            reason = f" ({report['reason']})" if report["reason"] else ""
            lines.append(f"test call to {dial}: {report['outcome']} {how}{reason}")
    return lines
