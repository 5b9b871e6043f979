"""Uncertain inputs in words: a dotted path's description from the scenario schema.

The columns of ``inputs.parquet`` are dotted paths (``states.FRA.resolve``,
``united_states.elections.0.backstop_after``); the schema's field descriptions
say what each one is.  Tables and sentences show both, so a reader never has to
decode a path and an analyst can still ``--set`` it.
"""

from __future__ import annotations

import re

from ..scenario.paths import field_at


def description(path: str) -> str:
    """The schema's description of the field a dotted path names ('' when it has none)."""
    info = field_at(path)
    return "" if info is None else (info.description or "").strip()


def _owner(path: str, names: dict[str, str]) -> str:
    """Whose parameter it is, in words: a state's name, 'US', 'US election 1', 'Russia', ..."""
    parts = path.split(".")
    if parts[0] == "states" and len(parts) > 2:
        return names.get(parts[1], parts[1])
    if parts[0] == "united_states":
        if len(parts) > 2 and parts[1] == "elections" and parts[2].isdigit():
            return f"US election {int(parts[2]) + 1}"
        if parts[1] == "congress":
            return "US Congress"
        return "US"
    return {"russia": "Russia", "ukraine": "Ukraine"}.get(parts[0], "")


def _first_clause(text: str, limit: int) -> str:
    # The first clause: up to a sentence end, a semicolon or a colon that opens a list or a formula.
    text = re.split(r"(?<=[a-z)])\. |; |: ", text.rstrip("."), maxsplit=1)[0]
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:(") + "…"


def label(path: str, names: dict[str, str] | None = None, limit: int = 70) -> str:
    """A short label in words: whose parameter, and the first clause of its description
    (``France: P(its executive responds to an attributed violation)``); the path when the
    schema says nothing."""
    text = description(path)
    if not text:
        return path
    owner = _owner(path, names or {})
    short = _first_clause(text, limit - len(owner) - 2 if owner else limit)
    if not owner:
        return short
    if short[:1].isupper() and short[1:2].islower():  # "Germany: share of ...", but "Germany: P(...)"
        short = short[0].lower() + short[1:]
    return f"{owner}: {short}"
