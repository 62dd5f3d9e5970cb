"""An `Input` whose Enter happens where it was typed, for people who type faster than the screen.

Textual delivers a key to the focused widget at once, but Enter is a *binding*: it bubbles back up to the app
and only then runs `submit`, by which time the keys typed after it (the next entry, the PIN) were already
inserted into the same field. In a terminal (or tmux `send-keys`) a fast 「demo⏎0000⏎」 became the login
「demo0000」, and 「rzh 2⏎yx 3⏎」 one entry. Here Enter is handled in the field's own queue, in order with the
characters. A field with a `next_field` moves the focus there on Enter and hands it the keys that were already
queued behind the Enter, so they land where the person meant them; Tab does the same without submitting.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget
from textual.widgets import Input


class OrderedInput(Input):
    def __init__(
        self,
        value: str | None = None,
        *,
        placeholder: str = "",
        password: bool = False,
        max_length: int = 0,
        compact: bool = False,
        next_field: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(
            value, placeholder=placeholder, password=password, max_length=max_length, compact=compact, id=id
        )
        self.next_field = next_field  # a selector on the screen: where typing goes after Enter
        self._handed_to: Widget | None = None

    async def _on_key(self, event: events.Key) -> None:
        target = self._handed_to
        if target is not None and self.screen.focused is not self:
            # typed before the focus moved: it belongs to the next field
            event.stop()
            event.prevent_default()
            forwarded = events.Key(event.key, event.character)
            forwarded.set_sender(self)
            target.post_message(forwarded)
            return
        if event.key == "tab" and self.next_field is not None:
            # Tab is the app's binding, run after the keys already queued here: the PIN typed after it would
            # land in this field. Moved here, in order, like Enter.
            event.stop()
            event.prevent_default()
            nxt = self.screen.query_one(self.next_field)
            self._handed_to = nxt
            self.screen.set_focus(nxt)
            return
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            await self.action_submit()
            if self.next_field is not None:
                nxt = self.screen.query_one(self.next_field)
                self._handed_to = nxt
                self.screen.set_focus(nxt)  # now, not after the queued keys (Widget.focus() waits for them)
            return
        await super()._on_key(event)

    def _on_focus(self, event: events.Focus) -> None:
        self._handed_to = None  # back in this field on purpose: typing is for it again
        super()._on_focus(event)
