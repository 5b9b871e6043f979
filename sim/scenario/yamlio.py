"""Safe YAML reading with line numbers, duplicate-key and alias-bomb checks.

Every YAML file the project reads (scenarios, sweeps, the fact register) goes
through :func:`read_yaml`.  It uses a subclass of PyYAML's ``SafeLoader`` (so
tags that would build Python objects are refused), composes the node tree
first and checks it before anything is constructed:

* duplicate keys in a mapping are errors (PyYAML would silently keep the last);
* aliases may not expand beyond :data:`MAX_EXPANDED_NODES` nodes, which
  answers a "billion laughs" file at once instead of exhausting memory;
* every key path gets the line it was written on, for error messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: Upper bound on the number of nodes a document may expand to through aliases.
MAX_EXPANDED_NODES = 100_000

Path_ = tuple[str | int, ...]
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, ready to be printed."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        # One problem, one line: a key such as 'title\r' must not split the message.
        return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


class InputError(Exception):
    """Raised with every problem found in one or more input files."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def format_path(path: Path_) -> str:
    """``("states", 3, "parliament", "approval")`` -> ``states[3].parliament.approval``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class _Loader(yaml.SafeLoader):
    """SafeLoader; the subclass exists so that nothing registered here leaks into PyYAML."""


@dataclass
class Document:
    """A parsed YAML file: its data and the line of every key path in it."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        for cut in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line is not None:
                return line
        return None


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # guards against recursive aliases while we count
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(v, memo) for v in node.value)
    else:
        size = 1
    memo[key] = min(size, MAX_EXPANDED_NODES + 1)
    return memo[key]


def _walk(node: yaml.Node, path: Path_, doc: Document, problems: list[Problem]) -> None:
    """Record lines and find duplicate keys; the node tree is known to be small."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    Problem(doc.file, line, format_path(path + (key,)),
                            f"duplicate key '{key}' (first given on line {seen[key]})")
                )
                continue
            seen[key] = line
            doc.lines[path + (key,)] = line
            _walk(value_node, path + (key,), doc, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            doc.lines[path + (i,)] = item.start_mark.line + 1
            _walk(item, path + (i,), doc, problems)


def read_yaml(path: str | Path, display: str | None = None) -> Document:
    """Read one YAML file safely; raise :class:`InputError` listing every problem.

    ``display`` is the file name used in messages (defaults to ``path``).
    """
    name = display or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Problem(name, None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(name, None, "", f"cannot read file: {exc}")]) from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> Document:
    """Parse YAML text (see :func:`read_yaml`)."""
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            what = exc.problem or str(exc)
            raise InputError([Problem(name, line, "", f"YAML syntax error: {what}")]) from None
        except yaml.YAMLError as exc:
            raise InputError([Problem(name, None, "", f"YAML syntax error: {exc}")]) from None
        if node is None:
            raise InputError([Problem(name, None, "", "the file is empty; expected a mapping of keys")])
        if _expanded_size(node, {}) > MAX_EXPANDED_NODES:
            raise InputError([Problem(
                name, node.start_mark.line + 1, "",
                f"aliases expand to more than {MAX_EXPANDED_NODES:,} nodes; refusing to read the file",
            )])
        doc = Document(name, None)
        problems: list[Problem] = []
        _walk(node, (), doc, problems)
        try:
            doc.data = loader.construct_document(node)
        except yaml.constructor.ConstructorError as exc:
            mark = exc.problem_mark or exc.context_mark
            problems.append(Problem(
                name, mark.line + 1 if mark else None, "",
                f"{exc.problem}: only plain YAML data (mappings, lists, numbers, strings) is allowed",
            ))
        except yaml.YAMLError as exc:
            problems.append(Problem(name, None, "", f"cannot read YAML: {exc}"))
        if problems:
            raise InputError(problems)
        if not isinstance(doc.data, dict):
            raise InputError([Problem(
                name, node.start_mark.line + 1, "",
                f"expected a mapping of keys at the top level, found {type(doc.data).__name__}",
            )])
        return doc
    finally:
        loader.dispose()
