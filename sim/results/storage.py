"""Results on disk: atomic writes, folders that never overwrite, the manifest.

A run's folder is assembled under a hidden temporary name beside its final
place and renamed into place in one step, so a crash leaves no half-written
run; an existing folder is never written into.  Files are flushed to disk
(fsync) before they are renamed into place, so a power cut cannot leave an
empty file under a final name.
"""

from __future__ import annotations

import datetime as dt
import errno
import itertools
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import uuid
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..scenario.yamlio import InputError, Problem

DEPENDENCIES = ("mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "pyyaml", "matplotlib", "tqdm")


class OutError(Exception):
    """The results folder asked for cannot be used; ``message`` says why."""

    def __init__(self, folder: Path, message: str):
        super().__init__(f"{folder}: {message}")
        self.folder, self.message = folder, message


class ResultsExist(OutError):
    """The requested results folder already holds a run."""


class WriteFailed(OSError):
    """Writing a results folder failed (a full disk, ...); nothing of it was kept."""


def _jsonable(obj):
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "item"):  # numpy scalars
        return _jsonable(obj.item())
    if isinstance(obj, (dt.date, Path)):
        return str(obj)
    return obj


def _fsync(path: Path) -> None:
    """Flush a file's or a folder's contents to disk (folders only where the system allows it)."""
    if path.is_dir() and os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic(path: Path, write) -> None:
    """Call ``write(tmp)``, flush it to disk, then rename it to ``path`` in one step."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync(path.parent)


def write_json(path: Path, data) -> None:
    """Write JSON atomically (NaN becomes null)."""
    text = json.dumps(_jsonable(data), indent=2, ensure_ascii=False) + "\n"
    _atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    """Write bytes atomically (temporary name, then rename)."""
    _atomic(path, lambda tmp: tmp.write_bytes(data))


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Write a Parquet file atomically (temporary name, then rename)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    _atomic(path, lambda tmp: pq.write_table(table, tmp))


class DamagedResults(InputError):
    """A stored results file that is missing, damaged or not sim's; ``file`` and ``line`` say where.

    An :class:`InputError`, so any command that meets one ends with its message and exit status 2.
    """

    def __init__(self, file: Path, message: str, line: int | None = None):
        super().__init__([Problem(str(file), line, "", message)])
        self.file, self.message, self.line = file, message, line


def read_parquet(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a Parquet file; :class:`DamagedResults` if it is missing or damaged (e.g. cut short)."""
    try:
        return pq.read_table(path, columns=columns).to_pandas()
    except FileNotFoundError:
        raise DamagedResults(path, "missing") from None
    except (OSError, pa.ArrowException) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DamagedResults(path, f"damaged or not a Parquet file ({reason})") from None


def read_json(path: Path) -> dict:
    """Read a JSON object; :class:`DamagedResults` (with the line) if it is missing or damaged."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DamagedResults(path, "missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DamagedResults(path, f"cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DamagedResults(path, f"damaged JSON: {exc.msg}", exc.lineno) from None
    if not isinstance(data, dict):
        raise DamagedResults(path, f"expected a JSON object, found {type(data).__name__}", 1)
    return data


def run_id(seed: int) -> str:
    """A sortable, unique run id: UTC time and seed."""
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{now}-seed{seed}"


def default_dir(root: Path, name: str, seed: int) -> Path:
    """``root/<name>/<run-id>/``, or ``<run-id>-2``, ... if that is taken.

    Two runs started in the same second may both be given the same name here;
    :class:`staged_dir` with ``unique=True`` settles that when it claims the name.
    """
    base = root / name / run_id(seed)
    candidate, i = base, 1
    while candidate.exists():
        i += 1
        candidate = base.with_name(f"{base.name}-{i}")
    return candidate


def check_target(final: Path) -> None:
    """Refuse, before any work is done, a results folder that cannot be written.

    ``final`` may not exist yet, or be an empty folder; the nearest folder
    that exists above it must be one we can create folders in.  Raises
    :class:`OutError` (or :class:`ResultsExist`) saying why.
    """
    final = Path(final)
    if final.exists() or final.is_symlink():
        if not final.is_dir():
            raise OutError(final, "exists and is not a folder; give a new folder for the results")
        if any(final.iterdir()):
            raise ResultsExist(final, "already exists and is not empty; results are never overwritten")
    above = final.parent
    while not above.exists() and above != above.parent:
        above = above.parent
    if not above.is_dir():
        raise OutError(final, f"cannot be created: {above} is not a folder")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".sim-probe-", dir=above))
    except OSError as exc:
        raise OutError(final, f"cannot be created: {above} is not writable ({exc.strerror})") from None


class staged_dir:
    """``with staged_dir(final) as tmp:`` — fill ``tmp``; on success it becomes ``final`` in one rename.

    ``final`` must not exist or be an empty folder (checked on entry: :class:`ResultsExist`).
    With ``unique=True`` a taken name is not an error: the folder goes to
    ``final-2``, ``final-3``, ..., each claimed with ``os.mkdir`` (which only
    one process can win), so runs started in the same second never collide.
    The folder used is ``.final`` afterwards.  If anything fails, ``tmp`` is
    removed and nothing is kept; an ``OSError`` (a full disk, ...) comes out
    as :class:`WriteFailed` naming the folder.
    """

    def __init__(self, final: str | Path, unique: bool = False):
        self.final = Path(final)
        self.unique = unique
        self.staging: Path | None = None

    def __enter__(self) -> Path:
        if not self.unique:
            check_target(self.final)
        try:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self.staging = self.final.parent / f".{self.final.name}.{uuid.uuid4().hex}.partial"
            self.staging.mkdir()
        except OSError as exc:
            raise self._failed(exc) from None
        return self.staging

    def __exit__(self, kind, exc, tb) -> bool:
        if kind is None:
            try:
                self.final = self._place()
                return False
            except BaseException as err:
                shutil.rmtree(self.staging, ignore_errors=True)
                if isinstance(err, OSError) and not isinstance(err, WriteFailed):
                    raise self._failed(err) from None
                raise
        shutil.rmtree(self.staging, ignore_errors=True)
        if isinstance(exc, OSError) and not isinstance(exc, WriteFailed):
            raise self._failed(exc) from None
        return False

    def _failed(self, exc: OSError) -> WriteFailed:
        reason = exc.strerror or str(exc)
        return WriteFailed(exc.errno or errno.EIO, f"cannot write the results folder {self.final}: {reason}; "
                           "nothing of it was kept")

    def _place(self) -> Path:
        _fsync(self.staging)
        names = [self.final]
        if self.unique:
            names = itertools.chain(names, (self.final.with_name(f"{self.final.name}-{i}") for i in itertools.count(2)))
        for name in names:
            if self.unique:
                try:
                    os.mkdir(name)  # the claim: of two processes, only one creates a name
                except FileExistsError:
                    continue
            try:
                os.rename(self.staging, name)  # replaces an empty folder in one step (POSIX)
            except OSError as exc:
                if os.name == "nt" and name.is_dir() and not any(name.iterdir()):
                    name.rmdir()
                    os.rename(self.staging, name)
                elif exc.errno in (errno.ENOTEMPTY, errno.EEXIST) and not self.unique:
                    raise ResultsExist(name, "already exists and is not empty; results are never overwritten") from None
                else:
                    if self.unique:
                        name.rmdir()  # our own claim, still empty
                    raise
            _fsync(name.parent)
            return name
        raise AssertionError("unreachable")  # pragma: no cover


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("sim", *DEPENDENCIES):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit(start: Path) -> str | None:
    """The commit of the source tree, when sim runs from a git checkout."""
    try:
        out = subprocess.run(
            ["git", "-C", str(start), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def manifest(**fields) -> dict:
    """The provenance every results folder carries."""
    return {
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command_line": [Path(sys.argv[0]).name, *sys.argv[1:]],
        "versions": versions(),
        "git_commit": git_commit(Path(__file__).resolve().parent),
        "platform": platform.platform(),
        **fields,
    }
