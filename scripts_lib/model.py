"""The shape of a call script, as pydantic models.

The models check structure only (which keys exist, what is text, what is a list), so that one file with a
dozen mistakes gets a dozen lint problems in one run: the meaning checks (known step kinds, placeholders,
conditions, both languages, wording) live in `scripts_lib.lint`, which can point at the exact line.
Unknown keys are refused, because a trainer's typo (`hnit:`) would otherwise silently drop a hint.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

# Step kinds a script may use, with what each is for (shown by lint when a kind is mistyped).
STEP_KINDS: dict[str, str] = {
    "greeting": "the scripted opening: company, order taker, the owner by name",
    "confirm": "confirm the shop and the person on the line, or say why we call",
    "information": "news before the order: supply, new products, a holiday, the shop's open complaint",
    "suggestion": "a positive suggestion: the suggested order, a same-price substitute",
    "order": "take the order: the shop says what it wants",
    "readback": "read the order (or the complaint) back line by line and have it confirmed",
    "complaint": "ask about or register a complaint",
    "listen": "let the customer speak without interrupting or arguing",
    "empathy": "acknowledge how the customer feels",
    "apology": "apologise and take responsibility",
    "solution": "solve it on the spot or give the committed reply time",
    "retention": "a personal, no-pressure check-in with a shop whose orders are falling",
    "thanks": "thank the customer",
    "close": "close politely with the next order day",
}
# Every call greets, reads back what was taken (an order or a complaint) and closes: the read-back is where
# a misheard brand or quantity is caught.
REQUIRED_KINDS: tuple[str, ...] = ("greeting", "readback", "close")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Strict):
    """One text in Chinese and English side by side. Both are optional here so lint can name the missing one."""

    zh: str | None = None
    en: str | None = None

    def text(self, lang: Lang) -> str | None:
        return self.zh if lang == "zh" else self.en

    def either(self, lang: Lang) -> str | None:
        """The text in `lang`, else in the other language: an unlinted script still reads out something."""
        own = self.text(lang)
        return own if own is not None else self.text("en" if lang == "zh" else "zh")


def _as_list(value: Any) -> Any:
    """A single condition or fallback may be written without list brackets."""
    if value is None:
        return ()
    return value if isinstance(value, list | tuple) else [value]


class Step(_Strict):
    """One thing the order taker says.

    `when` lists conditions that must all hold (`not holiday_near` negates); `fallback` lists texts tried in
    order when the prompt names data this call does not have (an owner's name, a due time). A step none of
    whose texts can be filled is left out.
    """

    id: str
    kind: str
    prompt: Bilingual
    fallback: tuple[Bilingual, ...] = ()
    hint: Bilingual | None = None
    when: tuple[str, ...] = ()

    @field_validator("when", "fallback", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _as_list(value)


class Script(_Strict):
    """A call script: a title, what it is for, and its steps in calling order. Its name is its file's name."""

    title: Bilingual
    purpose: Bilingual | None = None
    steps: tuple[Step, ...]
