"""Writing figures to disk: PNG (for reports and slides), and SVG (for print) on request.

SVG is not written by default: it takes as long as the PNG, and the default
run should spend its time on the model, not on drawing (``--svg``, and
``sim plot``, write both).
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from . import style as S

DPI = 150


def save_figure(fig: Figure, folder: str | Path, name: str, dpi: int = DPI, svg: bool = False) -> list[Path]:
    """Write ``<folder>/<name>.png`` (``dpi`` dots per inch) and, with ``svg``, ``<name>.svg``; return the paths.

    The folder is created if needed.  The figure is not closed: it holds no
    pyplot state, so it is freed when the caller drops it.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.png"] + ([folder / f"{name}.svg"] if svg else [])
    with S.house_style():
        fig.savefig(paths[0], dpi=dpi, facecolor="white")
        if svg:
            fig.savefig(paths[1], facecolor="white", metadata={"Date": None})
    return paths
