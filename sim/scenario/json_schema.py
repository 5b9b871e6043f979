"""The JSON Schema of scenario files, for editors and other JSON Schema clients.

Built from the pydantic schema (:mod:`sim.scenario.schema`) and fixed where
pydantic's output is not what a JavaScript client accepts:

* strict JSON: Python's ``json`` writes ``-Infinity`` and ``NaN``, which are not
  JSON, and one such value makes ajv or the YAML language server reject the
  whole schema.  Non-finite numbers are dropped (an unbounded side has no
  bound; a default of infinity is no default), and :func:`dumps` refuses any
  that remain.
* files that ``extends`` another are partial: they may leave out what the file
  they extend gives (a state entry that changes one field of an inherited state
  has no ``name``).  One schema serves both kinds of file: ``if`` the file has
  ``extends``, ``then`` such fields are optional, ``else`` they are required.
  What may be left out follows :mod:`sim.scenario.load`'s merge: mappings merge
  key by key and states by ``id``; a parameter given as a mapping and any other
  list replace the inherited one whole, so they stay complete.

``schema/scenario.schema.json`` in the repository is this schema, written by
``python schema/make_schema.py`` (a test checks it is up to date).
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

from .schema import Scenario

DIALECT = "https://json-schema.org/draft/2020-12/schema"
TITLE = "sim scenario"
#: Top-level lists that ``extends`` merges entry by entry instead of replacing.
MERGED_LISTS = frozenset({"states"})
#: Fields a partial entry still needs: a state entry is matched to the inherited one by its id.
KEPT = {"State": frozenset({"id"})}
_PARTIAL = "Partial"
#: OpenAPI's keyword, not JSON Schema's; strict clients (ajv) refuse unknown keywords.
_NOT_JSON_SCHEMA = frozenset({"discriminator"})


def scenario_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a scenario file, complete or partial (``extends``)."""
    doc = _finite(Scenario.model_json_schema(by_alias=True))
    _allow_partial(doc)
    return {"$schema": DIALECT, "title": TITLE, **{k: v for k, v in doc.items() if k != "title"}}


def dumps(schema: dict) -> str:
    """Strict JSON text (raises ``ValueError`` on NaN or infinity), two-space indent, final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _finite(node: Any) -> Any:
    """``node`` without non-finite numbers (dropped with their key) or non-JSON-Schema keywords."""
    if isinstance(node, dict):
        return {k: _finite(v) for k, v in node.items() if k not in _NOT_JSON_SCHEMA and not _infinite(v)}
    if isinstance(node, list):
        return [_finite(v) for v in node if not _infinite(v)]
    return node


def _infinite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


# --------------------------------------------------------------------------- partial files


def _refs(node: Any, items: bool = False) -> set[str]:
    """Names of the ``$defs`` a value's schema points to where ``extends`` merges (not through list items)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value.rsplit("/", 1)[-1])
            elif key in ("default", "examples", "const", "enum") or (key == "items" and not items):
                continue
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _rewrite(node: Any, names: set[str], items: bool = False) -> Any:
    """A copy of ``node`` pointing at the partial definitions of ``names`` where ``extends`` merges."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.rsplit("/", 1)[-1] in names:
                out[key] = f"#/$defs/{_PARTIAL}{value.rsplit('/', 1)[-1]}"
            elif key in ("default", "examples", "const", "enum") or (key == "items" and not items):
                out[key] = copy.deepcopy(value)
            else:
                out[key] = _rewrite(value, names)
        return out
    if isinstance(node, list):
        return [_rewrite(v, names) for v in node]
    return node


def _is_parameter(definition: dict) -> bool:
    # sim.scenario.load._merge: a mapping with `dist` or `value` replaces the inherited parameter whole.
    props = definition.get("properties", {})
    return "dist" in props or "value" in props


def _allow_partial(doc: dict) -> None:
    """Make fields that a file with ``extends`` may inherit optional there (``if``/``then``/``else``)."""
    defs = doc.get("$defs", {})
    props = doc.get("properties", {})
    top = {k: _refs(v, items=k in MERGED_LISTS) for k, v in props.items()}
    merged: set[str] = set()
    stack = [n for names in top.values() for n in names]
    while stack:
        name = stack.pop()
        if name in merged or name not in defs or _is_parameter(defs[name]):
            continue
        merged.add(name)
        stack.extend(_refs(defs[name].get("properties", {})))
    # Definitions with required fields to relax, and those that lead to one.
    partial = {n for n in merged if set(defs[n].get("required", ())) - KEPT.get(n, frozenset())}
    grew = True
    while grew:
        grew = False
        for n in merged - partial:
            if _refs(defs[n].get("properties", {})) & partial:
                partial.add(n)
                grew = True
    if not partial:
        return
    for name in sorted(partial):
        d = _rewrite(defs[name], partial)
        kept = [r for r in d.pop("required", []) if r in KEPT.get(name, ())]
        if kept:
            d["required"] = kept
        d["description"] = (d.get("description", "") + " (In a file that extends another: only what changes.)").strip()
        defs[_PARTIAL + name] = d
    then, otherwise = {}, {}
    for key, names in top.items():
        if names & partial:
            full = props[key]
            then[key] = _rewrite(full, partial, items=key in MERGED_LISTS)
            otherwise[key] = full
            props[key] = {k: v for k, v in full.items() if k in ("title", "description", "type", "default")}
    doc["if"] = {"required": ["extends"], "properties": {"extends": {"type": "string"}}}
    doc["then"] = {"properties": then}
    doc["else"] = {"properties": otherwise}
