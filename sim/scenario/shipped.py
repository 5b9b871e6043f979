"""The scenarios and the fact register that ship with sim, found by name.

The repository keeps them at its top level (``scenarios/``, ``seeds/``); a
non-editable install copies both into the package as ``sim/data/`` (the build
step in ``setup.py``), so ``sim.load_scenario("paris")`` works outside a clone.
An editable install or a source tree has no ``sim/data/`` and reads the
repository's own folders, so an edit there is seen at once.

A scenario's name is its path below ``scenarios/`` without ``.yaml``:
``paris``, ``history/korea-1953``.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from .yamlio import InputError, Problem

_PACKAGE = Path(__file__).resolve().parents[1]
SUFFIXES = (".yaml", ".yml")


def data_folder() -> Path:
    """The folder holding ``scenarios/`` and ``seeds/``: ``sim/data`` when installed, else the repository."""
    installed = _PACKAGE / "data"
    return installed if (installed / "scenarios").is_dir() else _PACKAGE.parent


def scenarios_folder() -> Path:
    return data_folder() / "scenarios"


def seeds_folder() -> Path:
    """The fact register that ships with sim (``sources.yaml``, ``facts.yaml``)."""
    return data_folder() / "seeds"


def names() -> list[str]:
    """Every shipped scenario's name, sorted: ``armed-neutrality``, ..., ``history/korea-1953``, ..."""
    folder = scenarios_folder()
    found = {p.relative_to(folder).with_suffix("").as_posix() for p in folder.rglob("*.yaml")}
    return sorted(found, key=lambda n: (n.count("/"), n))


def path_of(name: str) -> Path | None:
    """The shipped file of a scenario name, or None when no scenario has that name."""
    return scenarios_folder() / f"{name}.yaml" if name in names() else None


def resolve(path: str | Path) -> Path:
    """The file a command-line or API argument means.

    A file that exists wins; an argument without ``.yaml`` that names no file is
    a shipped scenario's name.  Raises :class:`InputError` for a name sim does
    not ship (listing the names it does) and for a missing ``.yaml`` path whose
    scenario ships under a name (saying which).
    """
    given = Path(path)
    text = str(path)
    if given.is_file():
        return given
    if given.suffix in SUFFIXES:
        if not given.exists():
            name = _shipped_name_for(given)
            if name is not None:
                raise InputError([Problem(text, None, "", f"file not found; sim ships this scenario as "
                                          f"'{name}': give the name instead of the path")])
        return given  # reading it reports what is wrong
    shipped = path_of(given.as_posix())
    if shipped is not None:
        return shipped
    if given.exists():
        return given
    known = names()
    close = difflib.get_close_matches(given.as_posix(), known, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise InputError([Problem(text, None, "", f"no such file, and no scenario of that name ships with sim; "
                              f"{hint}shipped scenarios: {', '.join(known)}")])


def _shipped_name_for(path: Path) -> str | None:
    """``scenarios/history/korea-1953.yaml`` -> ``history/korea-1953`` when that name ships."""
    parts = path.with_suffix("").parts
    for cut in range(len(parts)):
        candidate = "/".join(parts[cut:])
        if cut and parts[cut - 1] != "scenarios":
            continue
        if candidate in names():
            return candidate
    return None
