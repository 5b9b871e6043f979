"""The HTML report: self-contained, states the run's numbers, traces every parameter, renders.

The numbers are checked by parsing the report's sentences and comparing them
with the summary (within the printed rounding), not by re-using the report's
own formatting code.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import re
import shutil
import subprocess

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import sim  # noqa: E402
from sim.figures import save_run_figures  # noqa: E402
from sim.report import write_report  # noqa: E402

from .conftest import SCENARIOS  # noqa: E402

REPS = 500
SEED = 7
NUM = r"(\d+(?:\.\d+)?)"
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""", re.I)


@pytest.fixture(scope="module")
def paris():
    return sim.run(sim.load_scenario(SCENARIOS / "paris.yaml"), replications=REPS, seed=SEED)


@pytest.fixture(scope="module")
def report(paris, tmp_path_factory):
    path = write_report(paris, tmp_path_factory.mktemp("report") / "report.html")
    return path, path.read_text(encoding="utf-8")


def text_of(page: str) -> str:
    """The page's visible text, tags removed and entities decoded, whitespace collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def sentence_shares(text: str, after: str) -> list[tuple[float, float, float]]:
    """Every 'X% of … (95% interval A–B%)' in the sentence that contains ``after``."""
    sentence = next((s for s in re.split(r"(?<=\.) ", text) if after in s), None)
    assert sentence, f"no sentence containing {after!r}"
    found = re.findall(rf"{NUM}% of [a-z ]+? \(95% interval {NUM}–{NUM}%\)", sentence)
    assert found, f"no share with an interval in: {sentence}"
    return [tuple(float(x) / 100 for x in f) for f in found]


def matches(shown: tuple, d: dict) -> bool:
    return all(abs(a - b) <= 0.005 + 1e-9 for a, b in zip(shown, (d["p"], d["low"], d["high"])))


# --------------------------------------------------------------------------- self-contained


def test_no_external_resources(report):
    _, page = report
    assert not EXTERNAL.search(page), EXTERNAL.search(page).group(0)
    assert "<link" not in page.lower()
    assert not re.search(r"<script[^>]+src", page, re.I)
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media print" in page


def test_figures_are_embedded_pngs(report):
    _, page = report
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 4
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"


def test_given_figure_files_are_embedded(paris, tmp_path):
    paths = save_run_figures(paris, tmp_path / "figures")
    pngs = {p.stem: p for p in paths if p.suffix == ".png"}
    page = write_report(paris, tmp_path / "a.html", pngs).read_text(encoding="utf-8")
    embedded = re.findall(r'data:image/png;base64,([A-Za-z0-9+/=]+)', page)
    assert sorted(base64.b64decode(d) for d in embedded) == sorted(p.read_bytes() for p in pngs.values())

    # SVG alone is inlined, without the prolog, doctype or metadata that name outside URLs.
    svg = next(p for p in paths if p.suffix == ".svg")
    only = tmp_path / "only-svg"
    only.mkdir()
    copy = only / svg.name
    shutil.copy(svg, copy)
    page = write_report(paris, tmp_path / "b.html", {"timeline": copy}).read_text(encoding="utf-8")
    assert "<svg" in page and "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert not EXTERNAL.search(page)


# --------------------------------------------------------------------------- content


def test_title_description_and_sources(paris, report):
    _, page = report
    text = text_of(page)
    sc = paris.scenario
    assert f"<h1>{html.escape(sc.title)}</h1>" in page
    assert "4 January 2026" in text
    assert sc.description.split(".")[0] in text
    for sid in sc.sources:
        src = paris.evidence["sources"][sid]
        assert src["outlet"] in text and src["title"] in text and src["moment"] in text


def test_key_numbers_match_the_summary(paris, report):
    text = text_of(report[1])
    s = paris.summary
    p = s["probabilities"]
    minimum = f"{paris.scenario.thresholds.minimum_effective_force:,.0f}"
    shares = sentence_shares(text, f"minimum effective size of {minimum} troops")
    assert matches(shares[0], p["force_ge_minimum"])
    assert matches(shares[1], p["force_ge_target"])
    cond = s["conditional"]["activated_given_attributed"]
    shares = sentence_shares(text, "When a violation is attributed to Russia")
    assert matches(shares[0], cond) and matches(shares[1], p["activated"])
    assert f"out of {cond['n']:,} attributed violations" in text
    shares = sentence_shares(text, "the ceasefire is violated")
    assert matches(shares[0], p["violation"]) and matches(shares[1], p["attributed"])
    assert f"median force in Ukraine is {s['force_in_ukraine_given_ceasefire']['q50']:,.0f} troops" in text


def test_assumptions_table_traces_every_explicit_parameter(paris, report):
    _, page = report
    text = text_of(page)
    explicit = [r for r in paris.evidence["parameters"] if r["explicit"]]
    assert explicit
    for row in explicit:
        assert f'<code class="name">{html.escape(row["parameter"])}</code>' in page, row["parameter"]
    # Explicit rows are highlighted; defaults are collapsed.
    assert page.count('<tr class="explicit">') == len(explicit)
    defaults = len(paris.evidence["parameters"]) - len(explicit)
    assert f"<summary>{defaults} parameters left at their documented defaults</summary>" in page
    cited = {f for r in explicit for f in r["facts"]}
    claims = [paris.evidence["facts"][f]["claim"] for f in sorted(cited)]
    assert all(c in text for c in claims)
    assumptions = {r["assumption"] for r in explicit if r["assumption"] and not r["facts"]}
    assert all(a in text for a in assumptions)


def test_states_coverage_and_reproduction(paris, report):
    text = text_of(report[1])
    for st in paris.scenario.states:
        assert f"{st.name} ({st.id})" in text
    cov = paris.evidence["coverage"]
    assert f"{cov['cited']} of the {cov['cited'] + cov['assumed']} parameters set in the scenario" in text
    assert f"--replications {REPS} --seed {SEED}" in text
    assert re.search(r"python -m sim run \S*paris\.yaml --replications", text)
    assert f"sim version of this report {sim.__version__}" in text


def test_recorded_versions_come_from_the_manifest(paris, tmp_path):
    folder = paris.save(tmp_path / "run")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    loaded = sim.results.load(folder)
    text = text_of(write_report(loaded, tmp_path, {}, manifest=manifest).read_text(encoding="utf-8"))
    assert "Versions recorded with the run:" in text
    assert f"mesa {manifest['versions']['mesa']}" in text
    assert (tmp_path / "report.html").is_file()  # a folder gets report.html


def test_text_is_escaped(paris, tmp_path):
    evil = "<script>alert('x')</script> & <b>bold</b>"
    sc = paris.scenario.model_copy(update={"title": evil, "description": evil})
    page = write_report(dataclasses.replace(paris, scenario=sc), tmp_path / "e.html", {}).read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<b>bold</b>" not in page
    assert html.escape(evil) in page


def test_without_evidence_the_report_says_so(tmp_path):
    bare = sim.run(sim.load_scenario(SCENARIOS / "paris.yaml").scenario, replications=200, seed=1)
    assert bare.evidence is None
    page = write_report(bare, tmp_path / "bare.html").read_text(encoding="utf-8")
    text = text_of(page)
    assert "Evidence unavailable" in text
    assert "united_states.backstop" in text  # parameters are still listed, with their values
    assert not EXTERNAL.search(page)


# --------------------------------------------------------------------------- rendering


def test_renders_in_headless_chromium(report, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium); the rendering check needs it")
    path, _ = report
    shot = tmp_path / "shot.png"
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,2000",
           path.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert shot.is_file(), f"no screenshot; chromium said: {done.stderr[-2000:]}"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rgb = mpimg.imread(shot)[..., :3]
    assert rgb.shape[:2] == (2000, 1200)
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 1, "the screenshot is a single colour"
    ink = (np.abs(rgb - rgb[0, 0]).max(axis=-1) > 0.1).mean()
    assert ink > 0.02, f"only {ink:.1%} of the screenshot differs from the page background"
