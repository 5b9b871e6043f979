"""Read a scenario file: YAML → ``extends`` resolved → validated :class:`Scenario`.

Problems are collected, not raised one at a time: the caller gets an
:class:`~sim.scenario.yamlio.InputError` listing each problem with its file,
line, field path, what was expected and what was found.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from . import params, schema, shipped
from .yamlio import Document, InputError, Path_, Problem, format_path, read_yaml

#: Loc elements pydantic adds for union members; never field names (a test checks).
UNION_TAGS = frozenset(params.PARAM_TAGS) | {"level", "list", "range", "bounds"}
_TAG_CLASSES = {
    "fixed": (params.Fixed, schema.FixedLevel),
    "uniform": (params.Uniform,),
    "triangular": (params.Triangular,),
    "beta": (params.Beta,),
    "normal": (params.Normal,),
    "choice": (params.Choice, schema.LevelChoice),
}


@dataclass
class Located:
    """Merged scenario data and where each key path came from (file, line)."""

    data: dict
    origin: dict[Path_, tuple[str, int]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    text_hash: str = ""

    def where(self, path: Path_) -> tuple[str, int | None]:
        for cut in range(len(path), -1, -1):
            hit = self.origin.get(tuple(path[:cut]))
            if hit is not None:
                return hit
        return (self.files[-1] if self.files else "?", None)

    def problem(self, path: Path_, message: str) -> Problem:
        file, line = self.where(path)
        return Problem(file, line, format_path(path), message)


# --------------------------------------------------------------------------- extends


def _located(doc: Document) -> Located:
    origin = {p: (doc.file, line) for p, line in doc.lines.items()}
    return Located(doc.data, origin, [doc.file])


def _rekey(origin: dict, old: Path_, new: Path_) -> dict:
    n = len(old)
    return {new + p[n:]: v for p, v in origin.items() if p[:n] == old}


def _merge(base: Any, child: Any, path: Path_, bo: dict, co: dict, out: dict) -> Any:
    """Deep-merge ``child`` over ``base``; origins of the result go to ``out``.

    A parameter written as a mapping (``{dist: ...}`` or ``{value: ...}``) replaces
    the base's parameter whole, evidence included: mixing keys of two distributions
    would make a third nobody wrote.
    """
    is_param = isinstance(child, dict) and ("dist" in child or "value" in child)
    if isinstance(base, dict) and isinstance(child, dict) and not is_param:
        merged = {}
        for key in list(base) + [k for k in child if k not in base]:
            sub = path + (key,)
            if key in child and key in base:
                if path == () and key == "states":
                    merged[key] = _merge_states(base[key], child[key], bo, co, out)
                else:
                    merged[key] = _merge(base[key], child[key], sub, bo, co, out)
                out[sub] = co.get(sub, bo.get(sub))
            elif key in child:
                merged[key] = child[key]
                out.update(_rekey(co, sub, sub))
            else:
                merged[key] = base[key]
                out.update(_rekey(bo, sub, sub))
        return merged
    out.update(_rekey(co, path, path))
    return child


def _merge_states(base: Any, child: Any, bo: dict, co: dict, out: dict) -> Any:
    """States merge by ``id``: an entry overrides the base state with that id,
    ``drop: true`` removes it, a new id is appended."""
    if not (isinstance(base, list) and isinstance(child, list)):
        out.update(_rekey(co, ("states",), ("states",)))
        return child
    merged: list = []
    sources: list[tuple[str, Any, int]] = []  # (kind, item, index in its file)
    by_id = {}
    for i, item in enumerate(base):
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            by_id[item["id"]] = len(merged)
        merged.append(item)
        sources.append(("base", item, i))
    dropped = set()
    seen: dict[str, int] = {}  # id -> index of its entry in the child
    problems: list[Problem] = []
    for j, item in enumerate(child):
        sid = item.get("id") if isinstance(item, dict) else None
        if not isinstance(sid, str):
            sid = None  # not an id (a list, a number): validation says so
        if sid is not None and sid in seen:
            # A second entry would override, drop or re-add the first without a word: refuse.
            first = seen[sid]
            file, line = co.get(("states", j, "id"), co.get(("states", j), ("?", None)))
            _, first_line = co.get(("states", first, "id"), co.get(("states", first), ("?", None)))
            what = (f"state '{sid}' is dropped on line {first_line} and given again here"
                    if child[first].get("drop") is True else
                    f"state '{sid}' is given twice in this file (first on line {first_line})")
            problems.append(Problem(file, line, f"states[{j}].id", (
                f"{what}; give each state once: an entry overrides the extended file's state "
                "of that id, {id: ..., drop: true} removes it")))
            continue
        if sid is not None:
            seen[sid] = j
        if sid is not None and sid in by_id:
            k = by_id[sid]
            if item.get("drop") is True:
                dropped.add(k)
                continue
            sources[k] = ("both", (sources[k][2], j), k)
            merged[k] = item
        else:
            if sid is not None:
                by_id.setdefault(sid, len(merged))
            merged.append(item)
            sources.append(("child", item, j))
    if problems:
        raise InputError(problems)
    result = []
    for k, (kind, item, idx) in enumerate(sources):
        if k in dropped:
            continue
        new = ("states", len(result))
        if kind == "base":
            out.update(_rekey(bo, ("states", idx), new))
            result.append(item)
        elif kind == "child":
            out.update(_rekey(co, ("states", idx), new))
            result.append(item)
        else:
            bi, cj = item
            sub: dict = {}
            value = _merge(base[bi], child[cj], ("states", bi), bo, _rekey(co, ("states", cj), ("states", bi)), sub)
            value.pop("drop", None)
            out.update(_rekey(sub, ("states", bi), new))
            result.append(value)
    out[("states",)] = co.get(("states",), bo.get(("states",)))
    return result


#: Longest chain of ``extends`` (a variant of a variant of ...); a longer one is surely a mistake.
MAX_EXTENDS = 16


def _resolve(path: Path, display: str, chain: tuple[Path, ...]) -> Located:
    doc = read_yaml(path, display)
    here = _located(doc)
    parent = doc.data.pop("extends", None)
    if parent is None:
        return here
    line = doc.lines.get(("extends",))
    if not isinstance(parent, str):
        raise InputError([Problem(display, line, "extends",
                                  f"expected the path of a scenario file, found {_short(parent)}")])
    if len(chain) >= MAX_EXTENDS:
        raise InputError([Problem(display, line, "extends", (
            f"more than {MAX_EXTENDS} files extend one another, starting from {chain[0].name}; "
            "extend the scenario the variant differs from directly"))])
    target = (path.parent / parent).resolve()
    target_display = str(Path(display).parent / parent)
    if not target.is_file() and shipped.path_of(parent) is not None:
        # `extends: paris` from a file anywhere: the scenario that ships with sim.
        target = shipped.path_of(parent).resolve()
        target_display = str(target)
    if target in chain or target == path.resolve():
        cycle = " -> ".join([str(p.name) for p in chain + (path.resolve(),)] + [target.name])
        raise InputError([Problem(display, line, "extends", f"'extends' forms a cycle: {cycle}")])
    if not target.is_file():
        raise InputError([Problem(display, line, "extends", f"the file it extends does not exist: {parent}")])
    base = _resolve(target, target_display, chain + (path.resolve(),))
    origin: dict = {}
    merged = _merge(base.data, here.data, (), base.origin, here.origin, origin)
    return Located(merged, origin, base.files + here.files)


def read_located(path: str | Path) -> Located:
    """Read a scenario file and everything it extends, merged, with origins."""
    path = Path(path)
    located = _resolve(path, str(path), ())
    digest = hashlib.sha256()
    for name in located.files:
        digest.update(Path(name).read_bytes())
    located.text_hash = digest.hexdigest()
    return located


# --------------------------------------------------------------------------- errors


def _model_classes(annotation: Any) -> set[type[BaseModel]]:
    found: set[type[BaseModel]] = set()
    stack = [annotation]
    while stack:
        a = stack.pop()
        if isinstance(a, type) and issubclass(a, BaseModel):
            found.add(a)
            continue
        stack.extend(typing.get_args(a))
    return found


def _field_names_at(loc: tuple, root: type[BaseModel]) -> list[str]:
    """Valid keys of the mapping at ``loc`` (for did-you-mean)."""
    candidates: set[type[BaseModel]] = {root}
    for el in loc:
        if isinstance(el, int):
            continue
        if el in _TAG_CLASSES:
            candidates = {c for c in candidates if c in _TAG_CLASSES[el]} or candidates
            continue
        nxt: set[type[BaseModel]] = set()
        for cls in candidates:
            for name, f in cls.model_fields.items():
                if el in (name, f.alias):
                    nxt |= _model_classes(f.annotation)
                    nxt |= {m for meta in f.metadata for m in _model_classes(meta)}
        candidates = nxt
    return sorted({f.alias or n for c in candidates for n, f in c.model_fields.items()})


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_PATH_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _parse_path(text: str) -> Path_:
    return tuple(m.group(1) if m.group(1) else int(m.group(2)) for m in _PATH_PART.finditer(text))


def validation_problems(
    exc: ValidationError, located: Located, root: type[BaseModel] = schema.Scenario
) -> list[Problem]:
    """Turn pydantic's errors into one :class:`Problem` each (``root``: the file's model)."""
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = tuple(p for p in loc if p not in UNION_TAGS)
        kind = err["type"]
        msg = err["msg"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            names = _field_names_at(loc[:-1], root)
            close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else f"; expected one of: {', '.join(names)}"
            problems.append(located.problem(path, f"unknown field '{key}'{hint}"))
            continue
        if kind == "missing":
            problems.append(located.problem(path, "required field is missing"))
            continue
        if kind in ("value_error", "assertion_error"):
            msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
            if path == ():
                # Cross-field checks report "field.path: message" lines.
                for line in msg.splitlines():
                    where, _, what = line.partition(": ")
                    problems.append(located.problem(_parse_path(where), what))
                continue
            problems.append(located.problem(path, msg))
            continue
        if kind in ("param", "level", "axis", "union_tag_invalid", "union_tag_not_found"):
            problems.append(located.problem(path, f"{msg}, found {_short(err.get('input'))}"))
            continue
        text = msg[0].lower() + msg[1:]
        text = text.replace("input should be", "expected")
        problems.append(located.problem(path, f"{text}, found {_short(err.get('input'))}"))
    return problems


def load(path: str | Path) -> tuple[schema.Scenario, Located]:
    """Load and validate a scenario file (no evidence checks; see :mod:`sim.evidence`).

    Raises :class:`InputError` with one problem per mistake.
    """
    located = read_located(path)
    if located.origin.get(("id",), (None,))[0] != str(path):
        # A scenario's id is its own file's, never inherited through `extends`.
        located.data["id"] = _default_id(Path(path))
    try:
        scenario = schema.Scenario.model_validate(located.data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, located)) from None
    return scenario, located


def _default_id(path: Path) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")
    return slug or "scenario"
