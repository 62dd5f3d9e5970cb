"""Money as the order taker reads it: yuan with two decimals, from integer fen (never a float)."""

from __future__ import annotations


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def amount(fen: int) -> str:
    """The same without the currency sign, for narrow table columns headed 金额."""
    return yuan(fen).replace("¥", "")
