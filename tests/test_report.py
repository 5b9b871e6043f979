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
from sim.figures.run import RUN_FIGURES  # noqa: E402
from sim.report import FINDINGS, write_report  # noqa: E402

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


def sentence_with(text: str, start: str) -> str:
    """The sentence that begins with ``start``."""
    sentence = next((s for s in re.split(r"(?<=\.) ", text) if s.startswith(start)), None)
    assert sentence, f"no sentence starting with {start!r}"
    return sentence


def sentence_shares(sentence: str) -> list[tuple[float, float, float, int, str]]:
    """Every 'X% of the N <denominator> (95% simulation-noise interval A–B%)' in a sentence."""
    found = re.findall(rf"{NUM}% of (?:the|all) ([\d,]+) ([a-z0-9 ]+?) \(95% simulation-noise interval {NUM}–{NUM}%\)",
                       sentence)
    assert found, f"no share with its denominator and interval in: {sentence}"
    return [(float(p) / 100, float(lo) / 100, float(hi) / 100, int(n.replace(",", "")), words)
            for p, n, words, lo, hi in found]


def matches(shown: tuple, e) -> bool:
    return all(abs(a - b) <= 0.005 + 1e-9 for a, b in zip(shown, (e.p, e.noise.low, e.noise.high)))


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
    assert len(images) == len(RUN_FIGURES)
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
    """Each finding starts with its outcome's declared label and states its estimate over its
    denominator, in words and as a count."""
    text = text_of(report[1])
    s = paris.summary
    stated = [name for name in FINDINGS if not (name == "ceasefire" and paris.scenario.ceasefire.assumed_month == 0)]
    assert paris.scenario.ceasefire.assumed_month == 0  # paris assumes one: said, not estimated
    assert "A ceasefire is assumed from month 0 in every replication" in text
    for name in stated:
        e = s[name]
        sentence = sentence_with(text, f"{e.label}:")
        if e.kind == "share":
            (shown,) = sentence_shares(sentence)
            assert matches(shown[:3], e), name
            assert shown[3:] == (e.n, e.denominator_label), name
        else:
            assert f"over the {e.n:,} {e.denominator_label}" in sentence, name
    force = s["force_in_ukraine"]
    assert f"median {force.quantiles['q50']:,.0f}" in sentence_with(text, f"{force.label}:")
    minimum = f"{paris.scenario.thresholds.minimum_effective_force:,.0f}"
    assert f"the minimum effective size is {minimum} troops" in sentence_with(text, s["force_ge_minimum"].label)
    assert "95% simulation-noise intervals" in text and "95% Wilson" not in text


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
    for head in ("Ratifies the treaty", "Withdraws its mandate", "Responds militarily"):
        assert head in text
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
