"""Safe YAML reading with line numbers, duplicate-key and alias-bomb checks.

Every YAML file the project reads (scenarios, sweeps, the fact register) goes
through :func:`read_yaml`.  It uses a subclass of PyYAML's ``SafeLoader`` (so
tags that would build Python objects are refused), composes the node tree
first and checks it before anything is constructed:

* duplicate keys in a mapping are errors (PyYAML would silently keep the last),
  and so are keys that are not text (``1:``, ``on:``, which YAML 1.1 reads as true);
* aliases may not add more than :data:`MAX_EXPANDED_NODES` nodes, which
  answers a "billion laughs" file at once instead of exhausting memory (a
  large file without aliases is not limited); an alias inside the node it
  names is refused;
* data may not nest deeper than :data:`MAX_DEPTH` levels (aliases included), so
  no reader recurses without bound;
* a scalar that its tag cannot read (``!!int abc``, a date such as
  ``2026-02-30``) and a character YAML forbids (a NUL byte) are messages;
* every key path gets the line it was written on, for error messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: Upper bound on the number of nodes aliases may add to a document.
MAX_EXPANDED_NODES = 100_000
#: Deepest nesting of mappings and lists a document may have (scenarios need about eight).
MAX_DEPTH = 100

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


class _Refused(Exception):
    """A document the loader will not build, with where it stopped."""

    def __init__(self, mark, message: str):
        super().__init__(message)
        self.line = mark.line + 1 if mark is not None else None
        self.message = message


class _BadScalar(yaml.constructor.ConstructorError):
    """A scalar its tag cannot read (``!!int abc``, ``2026-02-30``)."""


_TAG_WORDS = {"int": "a whole number", "float": "a number", "bool": "true or false",
              "timestamp": "a date", "null": "null", "binary": "base64 data"}


class _Loader(yaml.SafeLoader):
    """SafeLoader that bounds nesting and alias expansion while it composes the node tree.

    Composing is where PyYAML recurses and where aliases multiply nodes, so the
    limits are checked there, node by node, before anything is built.  (The
    subclass also keeps anything registered here out of PyYAML's own loaders.)
    """

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._open: list[str | None] = []  # anchors of the nodes being composed
        self._extent: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded nodes, expanded depth)
        self._added = 0  # nodes added through aliases so far

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open:
                raise _Refused(event.start_mark, f"alias *{event.anchor} is inside the node it names; "
                               "recursive data is not allowed")
            node = super().compose_node(parent, index)
            size, depth = self._extent[id(node)]
            self._added += size
            if self._added > MAX_EXPANDED_NODES:
                raise _Refused(event.start_mark, f"aliases expand to more than {MAX_EXPANDED_NODES:,} nodes; "
                               "refusing to read the file")
            if self._depth + depth > MAX_DEPTH:
                raise _Refused(event.start_mark, f"data nested more than {MAX_DEPTH} levels deep "
                               f"(through alias *{event.anchor})")
            return node
        if self._depth >= MAX_DEPTH:
            raise _Refused(event.start_mark, f"data nested more than {MAX_DEPTH} levels deep")
        self._depth += 1
        self._open.append(getattr(event, "anchor", None))
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open.pop()
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = []
        extents = [self._extent[id(c)] for c in children]
        self._extent[id(node)] = (1 + sum(n for n, _ in extents), 1 + max((d for _, d in extents), default=0))
        return node

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            kind = _TAG_WORDS.get(node.tag.rsplit(":", 1)[-1], node.tag)
            detail = f" ({exc})" if kind == "a date" else ""  # e.g. 'day is out of range for month'
            raise _BadScalar(None, None, f"cannot read {node.value!r} as {kind}{detail}",
                             node.start_mark) from None


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


def _walk(node: yaml.Node, path: Path_, doc: Document, problems: list[Problem]) -> None:
    """Record lines and find duplicate keys; the node tree is known to be small."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                what = "a list" if isinstance(key_node, yaml.SequenceNode) else "a mapping"
                problems.append(Problem(doc.file, line, format_path(path), f"expected a text key, found {what}"))
                continue
            key = key_node.value
            if key_node.tag != "tag:yaml.org,2002:str":
                kind = _TAG_WORDS.get(key_node.tag.rsplit(":", 1)[-1], key_node.tag)
                problems.append(Problem(doc.file, line, format_path(path),
                                        f"expected a text key, found {key!r}, which YAML reads as {kind}; "
                                        "put it in quotes"))
                continue
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
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, such as NUL
        line = text.count("\n", 0, exc.position) + 1
        raise InputError([Problem(name, line, "", f"character {chr(exc.character)!r} is not allowed in "
                                  "a YAML file")]) from None
    try:
        try:
            node = loader.get_single_node()
        except _Refused as exc:
            raise InputError([Problem(name, exc.line, "", exc.message)]) from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            what = exc.problem or str(exc)
            raise InputError([Problem(name, line, "", f"YAML syntax error: {what}")]) from None
        except yaml.reader.ReaderError as exc:  # met while reading on (e.g. a non-printable character)
            line = text.count("\n", 0, exc.position) + 1
            raise InputError([Problem(name, line, "", f"character {chr(exc.character)!r} is not allowed "
                                      "in a YAML file")]) from None
        except yaml.YAMLError as exc:
            raise InputError([Problem(name, None, "", f"YAML syntax error: {exc}")]) from None
        if node is None:
            raise InputError([Problem(name, 1, "", "the file is empty; expected a mapping of keys")])
        doc = Document(name, None)
        problems: list[Problem] = []
        _walk(node, (), doc, problems)
        if problems:
            raise InputError(problems)
        try:
            doc.data = loader.construct_document(node)
        except _BadScalar as exc:
            mark = exc.problem_mark
            raise InputError([Problem(name, mark.line + 1 if mark else None, "", exc.problem)]) from None
        except yaml.constructor.ConstructorError as exc:
            mark = exc.problem_mark or exc.context_mark
            raise InputError([Problem(
                name, mark.line + 1 if mark else None, "",
                f"{exc.problem}: only plain YAML data (mappings, lists, numbers, strings) is allowed",
            )]) from None
        except yaml.YAMLError as exc:
            raise InputError([Problem(name, node.start_mark.line + 1, "", f"cannot read YAML: {exc}")]) from None
        if not isinstance(doc.data, dict):
            raise InputError([Problem(
                name, node.start_mark.line + 1, "",
                f"expected a mapping of keys at the top level, found {type(doc.data).__name__}",
            )])
        return doc
    finally:
        loader.dispose()
