"""Results on disk: atomic writes, folders that never overwrite, the manifest.

A run's folder is assembled under a hidden temporary name beside its final
place and renamed into place in one step, so a crash leaves no half-written
run; an existing folder is never written into.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import uuid
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

DEPENDENCIES = ("mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "pyyaml", "matplotlib", "tqdm")


class ResultsExist(Exception):
    """The requested results folder already holds a run."""


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


def write_json(path: Path, data) -> None:
    """Write JSON atomically (NaN becomes null)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(_jsonable(data), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_bytes(path: Path, data: bytes) -> None:
    """Write bytes atomically (temporary name, then rename)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Write a Parquet file atomically (temporary name, then rename)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp)
    os.replace(tmp, path)


def read_parquet(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    return pq.read_table(path, columns=columns).to_pandas()


def run_id(seed: int) -> str:
    """A sortable, unique run id: UTC time and seed."""
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{now}-seed{seed}"


def default_dir(root: Path, name: str, seed: int) -> Path:
    """``root/<name>/<run-id>/``, made unique if two runs start in the same second."""
    base = root / name / run_id(seed)
    candidate, i = base, 1
    while candidate.exists():
        i += 1
        candidate = base.with_name(f"{base.name}-{i}")
    return candidate


@contextmanager
def staged_dir(final: Path):
    """Yield a temporary folder; on success rename it to ``final`` (which must not exist)."""
    final = Path(final)
    if final.exists() and (not final.is_dir() or any(final.iterdir())):
        raise ResultsExist(f"{final} already exists and is not empty; results are never overwritten")
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".{final.name}.{uuid.uuid4().hex}.partial"
    staging.mkdir()
    try:
        yield staging
        if final.exists():
            final.rmdir()  # empty, checked above
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


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
