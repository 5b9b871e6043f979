"""The HTML report: self-contained, states the run's numbers, traces every parameter, renders.

The numbers are checked by parsing the report's sentences and comparing them
with the summary (within the printed rounding), not by re-using the report's
own formatting code.  Where chromium is installed, the brief is printed to PDF
(at most six A4 pages) and laid out at phone width (nothing wider than the
screen but figures and code).
"""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import sim  # noqa: E402
from sim.figures import labels as L  # noqa: E402
from sim.figures import save_run_figures  # noqa: E402
from sim.figures.run import figures_for  # noqa: E402
from sim.report import FINDINGS, fact_anchor, write_report  # noqa: E402

from .conftest import SCENARIOS  # noqa: E402

REPS = 2000
SEED = 7
#: The two-level design behind the assumption spread: draws of the uncertain parameters × replications.
SPREAD = {"spread_points": 10, "spread_inner": 60}
NUM = r"(\d+(?:\.\d+)?)"
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""", re.I)


@pytest.fixture(scope="module")
def paris():
    return sim.run(sim.load_scenario(SCENARIOS / "paris.yaml"), replications=REPS, seed=SEED, **SPREAD)


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


def test_figures_are_embedded_pngs(paris, report):
    _, page = report
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    # The run figures with the fan chart (the run has its design), and the tornado of what drives them.
    assert "timeline_fan" in figures_for(paris)
    assert len(images) == len(figures_for(paris)) + page.count('<figure class="tornado">')
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"


def test_given_figure_files_are_embedded(paris, tmp_path):
    paths = save_run_figures(paris, tmp_path / "figures", svg=True)
    pngs = {p.stem: p for p in paths if p.suffix == ".png"}
    page = write_report(paris, tmp_path / "a.html", pngs, sensitivity=None).read_text(encoding="utf-8")
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
    assert "The 95% simulation-noise interval says how far the estimate could still move" in text
    assert "95% Wilson" not in text


#: How closely a printed number in each unit can match: half its last printed digit.
TOLERANCE = {"share": 0.0005, "troops": 0.5, "billion USD": 0.05, "months": 0.05, "states": 0.05}


def test_findings_give_both_intervals_in_words(paris, report):
    """Each finding gives its simulation-noise interval and its spread across the assumptions, named
    in words, and the report says the spread is the range to quote."""
    text = text_of(report[1])
    s = paris.summary
    assert "The 90% spread across the assumptions is the range of answers the scenario's own doubts allow" in text
    assert "It is the range to quote." in text
    assert "(10 draws of the uncertain parameters, 60 replications each" in text
    spread = re.compile(r"90% spread across the assumptions ([\d,.]+)%?–([\d,.]+)%?[a-z -]* \(the range to quote\)")
    checked = 0
    for name in FINDINGS:
        e = s[name]
        if name == "ceasefire" or e.n == 0:
            continue
        sentence = sentence_with(text, f"{e.label}:")
        assert f"({L.NOISE_INTERVAL} " in sentence, name
        assert e.assumptions is not None, name
        if not L.spread_text(e)[:1].isdigit():  # none measurable: said in words
            assert f"90% spread across the assumptions: {L.spread_text(e)}" in sentence, name
            continue
        m = spread.search(sentence)
        assert m, f"no spread to quote in: {sentence}"
        scale = 100 if e.outcome.unit == "share" else 1
        tol = scale * TOLERANCE.get(e.outcome.unit, 0.005) + 1e-9
        low, high = (float(g.replace(",", "")) for g in m.groups())
        assert abs(low - scale * e.assumptions.low) <= tol and abs(high - scale * e.assumptions.high) <= tol, name
        checked += 1
    assert checked >= 5


def test_the_report_says_when_the_spread_was_not_computed(tmp_path):
    run = sim.run(sim.load_scenario(SCENARIOS / "paris.yaml"), replications=300, seed=1)
    text = text_of(write_report(run, tmp_path / "r.html", {}, sensitivity=None).read_text(encoding="utf-8"))
    assert "The spread across those assumptions was not computed for this run" in text
    assert "(the range to quote)" not in text


def test_no_interval_is_called_95_percent_without_saying_what_it_covers(report):
    text = text_of(report[1])
    assert not re.search(r"95% (?:confidence )?intervals?\b", text)
    for m in re.finditer(r"\binterval", text):
        before = text[max(0, m.start() - 60):m.start()]
        assert re.search(r"simulation-noise|bootstrap|spread", before), text[m.start() - 80:m.end() + 20]


def test_the_package_never_calls_an_interval_a_bare_95_percent_interval():
    """Every output names what its interval covers (simulation noise, a bootstrap, the assumptions)."""
    bare = re.compile(r"95 ?% (?:confidence )?intervals?\b|\[95% interval\]|95% CI\b")
    found = []
    for path in sorted(Path(sim.__file__).parent.rglob("*.py")):
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if bare.search(line):
                found.append(f"{path.name}:{i}: {line.strip()}")
    assert not found, "\n".join(found)


# --------------------------------------------------------------------------- what drives these numbers


def test_drivers_are_the_sensitivity_modules_top_inputs(paris, report):
    from sim.analysis.inputs import description
    from sim.analysis.sensitivity import given_data

    page = report[1]
    section = page[page.index('<section id="drivers">'):]
    section = section[:section.index("</section>")]
    text = text_of(section)
    sens = given_data(paris.inputs, paris.runs, design_runs=paris.spread_runs,
                      state_names={st.id: st.name for st in paris.scenario.states}, seed=SEED)
    named = 0
    for _, v in sens.variance.iterrows():
        rows = sens.for_outcome(v["outcome"], "S1")
        detected = rows[rows["low"] > 0].head(3)
        if detected.empty:
            # Said in one sentence, not left out.
            assert v["outcome_label"] in text.split("No single input explains a share distinguishable from zero of:")[1]
            continue
        assert v["outcome_label"] in text
        scaled = bool(v["assumptions_detected"])
        key = "of_assumptions" if scaled else "estimate"
        for _, r in detected.iterrows():
            assert f'<code class="small">{html.escape(r["input"])}</code>' in section
            assert html.escape(r["input_label"]) in section
            if description(r["input"]).rstrip(".").lower() not in r["input_label"].lower():
                assert description(r["input"]) in text
            group = text[text.index(f"{v['outcome_label']} over the {v['n']:,}"):]  # this outcome's rows
            m = re.search(re.escape(r["input"]) + r".*?(\d+(?:\.\d+)?)% \[(-?\d+(?:\.\d+)?)%–(-?\d+(?:\.\d+)?)%\]", group)
            assert m, r["input"]
            shown = [float(g) / 100 for g in m.groups()]
            want = [r[key], r[f"{key}_low" if scaled else "low"], r[f"{key}_high" if scaled else "high"]]
            assert all(abs(a - b) <= 0.0051 for a, b in zip(shown, want)), (r["input"], shown, want)
            named += 1
    assert named >= 1, "the Paris run should have at least one detectable driver"
    assert "SALib's RBD-FAST on given data" in text and "95% bootstrap interval" in text
    # The tornado of one of the outcomes, embedded.
    assert re.search(r'<figure class="tornado"><div class="figscroll"><img src="data:image/png;base64,', section)


def test_without_stored_inputs_the_report_says_why(paris, tmp_path):
    bare = dataclasses.replace(paris, inputs=None)
    text = text_of(write_report(bare, tmp_path / "r.html", {}).read_text(encoding="utf-8"))
    assert "No analysis of what drives the outcomes: this run stored no uncertain inputs" in text


# --------------------------------------------------------------------------- the appendix


def _sections(page: str) -> tuple[str, str]:
    """The brief (before the appendix) and the appendix."""
    start = page.index('<details id="appendix"')
    return page[:start], page[start:page.index("</details>\n<footer>") if "</details>\n<footer>" in page else None]


def test_the_appendix_is_collapsed_and_holds_the_tables(report):
    page = report[1]
    brief, appendix = _sections(page)
    assert re.search(r'<details id="appendix" class="appendix"><summary>', page)  # closed
    for sid in ("findings", "figures", "drivers", "sources", "coverage", "reproduce"):
        assert f'<section id="{sid}">' in brief, sid
    for sid in ("more-figures", "states", "assumptions", "facts", "provenance"):
        assert f'<section id="{sid}">' in appendix, sid
    # The printed brief leaves a closed appendix out.
    assert "details.appendix:not([open]){display:none}" in page


def _evidence_cells(table: str) -> list[tuple[str, str]]:
    """(row key, evidence cell) for every row of a parameters or states table, following rowspans."""
    out, cell, left = [], "", 0
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
        ev = re.search(r'<td(?: rowspan="(\d+)")? class="ev"[^>]*>(.*?)</td>', row, re.S)
        if ev:
            cell, left = ev.group(2), int(ev.group(1) or 1)
        key = re.search(r'<code class="name">(.*?)</code>|<th scope="row">(.*?) <span', row)
        if key is None:
            continue
        assert left > 0, f"a row without its evidence: {row[:200]}"
        out.append((html.unescape(key.group(1) or key.group(2)), cell))
        left -= 1
    return out


def test_facts_are_listed_once_and_every_citing_row_links_to_them(paris, report):
    page = report[1]
    ev = paris.evidence
    cited = {f for r in ev["parameters"] for f in r["facts"]} | {f for st in ev["states"] for f in st["facts"]}
    anchors = re.findall(r'<li id="(fact-[^"]+)">', page)
    assert sorted(anchors) == sorted(fact_anchor(f) for f in cited), "each cited fact listed exactly once"
    for f in cited:
        fact = ev["facts"][f]
        assert page.count(html.escape(fact["claim"], quote=True)) == 1, f
        src = ev["sources"][fact["source"]]
        entry = re.search(rf'<li id="{re.escape(fact_anchor(f))}">(.*?)</li>', page, re.S).group(1)
        assert html.escape(f) in entry and html.escape(src["outlet"]) in entry

    _, appendix = _sections(page)
    params = {r["parameter"]: r for r in ev["parameters"]}
    rows = _evidence_cells(appendix[appendix.index('<section id="assumptions">'):appendix.index('<section id="facts">')])
    assert {k for k, _ in rows} == set(params)
    for key, cell in rows:
        for f in params[key]["facts"]:
            assert f'href="#{fact_anchor(f)}"' in cell, (key, f)
        assert "claim" not in cell and all(ev["facts"][f]["claim"] not in html.unescape(cell)
                                           for f in params[key]["facts"])
    names = {st.name: st.id for st in paris.scenario.states}
    states = {st["id"]: st for st in ev["states"]}
    rows = _evidence_cells(appendix[appendix.index('<section id="states">'):appendix.index('<section id="assumptions">')])
    assert len(rows) == len(paris.scenario.states)
    for name, cell in rows:
        for f in states[names[name]]["facts"]:
            assert f'href="#{fact_anchor(f)}"' in cell, (name, f)
    # Every link inside the page lands on something.
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    for target in re.findall(r'href="#([^"]+)"', page):
        assert target in ids, target


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
    assert all(c in text for c in claims)  # in the register of facts, which the rows link to
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


def chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """Run headless chromium with a throw-away profile; skip the test when it is not installed."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium); the rendering check needs it")
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_renders_in_headless_chromium(report, tmp_path):
    path, _ = report
    shot = tmp_path / "shot.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,2000", path.resolve().as_uri())
    assert shot.is_file(), f"no screenshot; chromium said: {done.stderr[-2000:]}"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rgb = mpimg.imread(shot)[..., :3]
    assert rgb.shape[:2] == (2000, 1200)
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 1, "the screenshot is a single colour"
    ink = (np.abs(rgb - rgb[0, 0]).max(axis=-1) > 0.1).mean()
    assert ink > 0.02, f"only {ink:.1%} of the screenshot differs from the page background"


def test_the_brief_prints_on_at_most_six_a4_pages(report, tmp_path):
    path, _ = report
    pdf = tmp_path / "brief.pdf"
    done = chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", path.resolve().as_uri())
    assert pdf.is_file(), f"no PDF; chromium said: {done.stderr[-2000:]}"
    data = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
    assert 1 <= pages <= 6, f"the brief prints on {pages} pages"
    size = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert size and abs(float(size.group(1)) - 595) < 2 and abs(float(size.group(2)) - 842) < 2, "not A4"


def test_tables_stack_at_phone_width(report, tmp_path):
    """At 390 CSS pixels wide, with the appendix open, nothing but a figure or a code block is wider than
    the screen: the tables stack their cells instead of scrolling the page sideways."""
    _, page = report
    probe = tmp_path / "phone.html"
    probe.write_text(
        '<!DOCTYPE html><html><body style="margin:0"><iframe id="f" style="width:390px;height:844px;border:0" '
        f'srcdoc="{html.escape(page, quote=True)}"></iframe><script>'
        "document.getElementById('f').addEventListener('load',function(){var d=this.contentDocument,"
        "w=this.contentWindow,over=[];d.querySelectorAll('details').forEach(function(x){x.open=true});"
        "d.querySelectorAll('main *').forEach(function(e){var r=e.getBoundingClientRect();"
        "if(r.right>w.innerWidth+1&&!e.closest('.figscroll,pre'))over.push(e.tagName+'.'+e.className)});"
        "document.body.setAttribute('data-result',JSON.stringify({inner:w.innerWidth,"
        "width:d.documentElement.scrollWidth,over:over.slice(0,10)}))})</script></body></html>",
        encoding="utf-8")
    done = chromium(tmp_path, "--virtual-time-budget=20000", "--dump-dom", probe.resolve().as_uri())
    found = re.search(r'data-result="([^"]*)"', done.stdout)
    assert found, f"the probe did not run; chromium said: {done.stderr[-2000:]}"
    result = json.loads(html.unescape(found.group(1)))
    assert result["inner"] == 390
    assert result["over"] == [] and result["width"] <= 390, result
