"""The error every call rule raises, in a module of its own so that `orders/claims.py` (which the queue and
`start_call` use) and `orders/calls.py` can both name it without importing each other."""

from __future__ import annotations


class CallError(ValueError):
    """Bad input (unknown customer or call, unknown outcome, a callback time that cannot be kept); nothing
    was written. The message is one sentence for the user."""

    kind = "bad_input"
