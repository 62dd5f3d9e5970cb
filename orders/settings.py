"""One typed settings object: defaults, then the TOML file, then `TELESALES_*` variables, then CLI options,
and over all of that the database's policy for the keys in `POLICY_KEYS` (see `orders/policy.py`)."""

from __future__ import annotations

import os
import tomllib
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

APP_NAME = "telesales"
# A call's claim on its shop lapses after this many minutes without renewal: long enough for a terminal that
# renews every minute to miss a few, short enough that a crashed terminal does not hold a shop for the morning.
DEFAULT_CALL_CLAIM_MINUTES = 5
DEFAULT_TIMEZONE = "Asia/Shanghai"

# Working hours the centre commits to for a complaint reply, per ticket category: the gravest (suspected
# counterfeit) first, the ones needing another department's answer (price, licence questions) last.
DEFAULT_TICKET_REPLY_HOURS: dict[str, int] = {
    "counterfeit": 4,
    "delivery_error": 8,
    "sorting_error": 8,
    "damaged": 8,
    "wrong_order": 8,
    "out_of_supply": 16,
    "attitude": 24,
    "over_promise": 24,
    "price": 32,
    "other": 40,
}


def data_dir() -> Path:
    """Where the embedded database lives; `TELESALES_DATA_DIR` moves it (tests, portable installs)."""
    override = os.environ.get("TELESALES_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def config_file() -> Path:
    override = os.environ.get("TELESALES_CONFIG")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'telesales.db'}"


# The rules every terminal of a centre must share: they live in the database (`telesales config`), and on a
# shared database (PostgreSQL) neither a terminal's config.toml nor its environment can change them, or two
# terminals would refuse different orders and anyone could loosen the lockout. `order_weeks_ahead` is here too
# (not in the first list of the spec) because placement refuses by it, exactly like the cut-off.
# The other keys are the terminal's own: database_url, lang, auto_upgrade (whether this terminal may migrate),
# scripts_dir (a folder on this machine), limits_refresh_seconds and cutoff_warning_minutes (how this screen
# refreshes and warns; neither decides what is accepted), and timezone, which is the centre's but stays here for
# now: several commands read the zone before the database is open, and it has no effect on what a database
# accepts that the policy's cut-off would not already fix.
POLICY_KEYS: tuple[str, ...] = (
    "cutoff_time",
    "work_days",
    "work_start",
    "work_end",
    "holidays",
    "ticket_reply_hours",
    "login_max_attempts",
    "login_lock_minutes",
    "no_answer_retry_minutes",
    "key_customer_tier",
    "new_product_weeks",
    "company_name",
    "call_claim_minutes",
    "callback_handover_minutes",
    "order_weeks_ahead",
    "clock_override",
    "ring_timeout_seconds",
    "dial_prefix",
    "area_code",
)


class Settings(BaseSettings):
    """Everything a deployment may change. Read once per command; pass it down rather than re-reading.

    A key this class does not know is an error, not ignored: a misspelled `cutof_time` would otherwise leave the
    default in force with nobody told."""

    model_config = SettingsConfigDict(env_prefix="TELESALES_", extra="forbid")

    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default: SQLite in the data dir")
    lang: Literal["zh", "en"] = "zh"
    timezone: str = DEFAULT_TIMEZONE
    cutoff_time: time = time(17, 0)
    work_days: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5, 6], description="1 = Monday")
    work_start: time = time(8, 30)
    work_end: time = time(17, 30)
    holidays: list[str] = Field(default_factory=list, description="YYYY-MM-DD dates the centre is closed")
    auto_upgrade: bool = Field(default=True, description="migrate an older schema instead of refusing")
    login_max_attempts: int = Field(default=5, ge=1, description="wrong PINs in a row that lock a login")
    login_lock_minutes: int = Field(default=15, ge=1, description="how long a locked login waits")
    ticket_reply_hours: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_TICKET_REPLY_HOURS),
        description="working hours to reply to a complaint, per category; a category left out keeps its default",
    )
    company_name: str | None = Field(default=None, description="the company the greeting names; default: the demo's")
    no_answer_retry_minutes: int = Field(default=60, gt=0, description="a call not answered is retried this later")
    key_customer_tier: int = Field(default=20, ge=1, le=30, description="tiers from this up are called first")
    new_product_weeks: int = Field(default=8, gt=0, description="a product launched this recently counts as new")
    order_weeks_ahead: int = Field(
        default=4, ge=0, le=520, description="an order may be placed for this week and up to this many weeks on"
    )
    callback_handover_minutes: int = Field(
        default=30, ge=0, description="a callback the shop asked for is anyone's once this many minutes overdue"
    )
    cutoff_warning_minutes: int = Field(
        default=60, ge=0, description="the queue and the call screen warn this many minutes before the cut-off"
    )
    limits_refresh_seconds: float = Field(
        default=5, gt=0, le=3600, description="an open call reloads quota and supply left this often"
    )
    scripts_dir: str | None = Field(default=None, description="a folder of call scripts that replace the shipped ones")
    call_claim_minutes: int = Field(
        default=DEFAULT_CALL_CLAIM_MINUTES,
        gt=0,
        le=24 * 60,
        description="a shop held by a call and not renewed for this long is free for another order taker",
    )

    ring_timeout_seconds: int = Field(
        default=30, ge=5, le=180, description="a dialled shop that has not answered by then is hung up as no answer"
    )
    dial_prefix: str = Field(
        default="", max_length=8, pattern=r"^[0-9*#]*$", description="digits dialled before every number (e.g. 9)"
    )
    area_code: str = Field(
        default="", max_length=5, pattern=r"^(0[1-9][0-9]{1,3})?$", description="the centre's area code (e.g. 0731)"
    )
    phone: Literal["none", "baresip"] = Field(
        default="none", description="this terminal's softphone: none (dial by hand) or baresip"
    )
    sip_account: str = Field(
        default="",
        max_length=400,
        description="this terminal's SIP account as baresip reads it, e.g. <sip:1001@pbx.example>;auth_pass=...",
    )
    audio_player: str = Field(default="", max_length=100, description="baresip audio output, e.g. alsa,default")
    audio_source: str = Field(default="", max_length=100, description="baresip audio input, e.g. alsa,default")

    clock_override: bool | None = Field(
        default=None,
        description="whether TELESALES_NOW may fix the clock; default: yes on SQLite, no on a shared database",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("work_days")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        bad = [d for d in value if not 1 <= d <= 7]
        if bad:
            raise ValueError(f"work_days must be 1 (Monday) to 7 (Sunday), not {bad}")
        return value

    @field_validator("ticket_reply_hours")
    @classmethod
    def _reply_hours(cls, value: dict[str, int]) -> dict[str, int]:
        """A partial table in the config file only overrides what it names; zero or negative hours would
        promise a reply in the past."""
        bad = {k: v for k, v in value.items() if v <= 0}
        if bad:
            raise ValueError(f"ticket_reply_hours must be positive, not {bad}")
        return {**DEFAULT_TICKET_REPLY_HOURS, **value}

    @model_validator(mode="after")
    def _working_day(self) -> Settings:
        """A day that ends before it starts would make every due time and call slot impossible to place."""
        if self.work_start >= self.work_end:
            raise ValueError(
                f"work_start {self.work_start:%H:%M} must be before work_end {self.work_end:%H:%M}"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=config_file()))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def resolved_database_url(self) -> str:
        return self.database_url or default_database_url()


def load_settings(**overrides: Any) -> Settings:
    """Settings with CLI options on top; options left as None do not override."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


class _FromValues(Settings):
    """Settings built from the values given and nothing else (no file, no environment): how a policy value from
    the database or `config set` is checked, by the very validators that check the file."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def settings_from(values: dict[str, Any]) -> Settings:
    """Settings from exactly these values (defaults for the rest), checked as the file is; raises
    `ValidationError`."""
    return _FromValues(**values)


def env_name(key: str) -> str:
    return f"TELESALES_{key.upper()}"


def terminal_sources() -> dict[str, str]:
    """Where this terminal sets each key it sets: `environment` or `file`, the environment winning as it does
    in `Settings`. Read again rather than remembered, for messages and `doctor` only; an unreadable file sets
    nothing here (reading the settings says why)."""
    found = {key: "file" for key in _file_values()}
    for key in Settings.model_fields:
        if env_name(key) in os.environ:
            found[key] = "environment"
    return found


def _file_values() -> dict[str, Any]:
    try:
        with config_file().open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def settings_error_text(exc: ValidationError) -> str:
    """The first problem of `exc` as one sentence naming where the bad value came from: the file (its path, the
    key and the value), the environment variable, or the options."""
    first = exc.errors()[0]
    loc = [str(p) for p in first["loc"]]
    key = loc[0] if loc else ""
    msg = first["msg"].removeprefix("Value error, ")
    if not key:
        return f"settings: {msg}"
    source = terminal_sources().get(key)
    shown = _shown(first.get("input"))
    if source == "file" or first["type"] == "extra_forbidden":
        if first["type"] == "extra_forbidden":
            return (
                f"the settings file {config_file()}: unknown key {key} = {shown}; "
                f"the keys are {', '.join(sorted(Settings.model_fields))}"
            )
        return f"the settings file {config_file()}: {'.'.join(loc)} = {shown}: {msg}"
    return f"setting {'.'.join(loc)}: {msg}"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"
