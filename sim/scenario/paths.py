"""Dotted parameter paths (as in sweeps, ``--set`` and ``inputs.parquet``) and the schema fields
they name: ``states.FRA.resolve`` is ``State.resolve`` (states by id), and list items go by
position (``united_states.elections.0.change`` is ``Election.change``)."""

from __future__ import annotations

import typing

from pydantic.fields import FieldInfo

from . import schema


def _model_of(annotation):
    """The pydantic model inside an annotation (a union, list or Annotated), if any."""
    stack = [annotation]
    while stack:
        arg = stack.pop()
        if isinstance(arg, type) and hasattr(arg, "model_fields"):
            return arg
        stack.extend(typing.get_args(arg))
    return None


def field_at(path: str) -> FieldInfo | None:
    """The schema field a dotted path names, or None when it names none."""
    parts = path.split(".")
    model = schema.Scenario
    info = None
    i = 0
    while i < len(parts):
        part = parts[i]
        if model is schema.Scenario and part == "states":
            model, i = schema.State, i + 2
            continue
        if part.isdigit():  # a list item: the list's own item model is already in `model`
            i += 1
            continue
        fields = getattr(model, "model_fields", {}) if model is not None else {}
        if part not in fields:
            return None
        info = fields[part]
        model = _model_of(info.annotation)
        i += 1
    return info
