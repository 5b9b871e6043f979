"""Notebook display: compact, valid HTML tables with the declared labels; short reprs; figures inline."""

from __future__ import annotations

import html
import os
import subprocess
import sys
import types
from html.parser import HTMLParser

import pytest
from matplotlib.figure import Figure

import sim
from sim.figures import labels as L
from sim.model.outcomes import KEY_OUTCOMES, OUTCOMES

from .conftest import SCENARIOS

VOID = {"br", "hr", "img", "meta", "link", "input", "col", "wbr"}


class _Checker(HTMLParser):
    """Collects the text and checks that every tag is closed in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(fragment: str) -> _Checker:
    """Parse an HTML fragment; fails unless every element is closed, in order."""
    checker = _Checker()
    checker.feed(fragment)
    checker.close()
    assert checker.stack == [], f"unclosed: {checker.stack}"
    return checker


def text_of(fragment: str) -> str:
    return " ".join("".join(parse(fragment).text).split())


@pytest.fixture(scope="module")
def loaded():
    return sim.load_scenario(SCENARIOS / "paris.yaml")


@pytest.fixture(scope="module")
def result(loaded):
    return sim.run(loaded, replications=600, seed=5)


@pytest.fixture(scope="module")
def spread_result(loaded):
    return sim.run(loaded, replications=400, seed=5, spread_points=4, spread_inner=50)


def test_result_html_is_a_small_valid_table_of_the_key_outcomes(result):
    fragment = result._repr_html_()
    assert len(fragment) < 8_000
    checker = parse(fragment)
    assert "table" in checker.tags
    text = text_of(fragment)
    for o in KEY_OUTCOMES:
        assert o.label in text
    e = result.summary["activated"]
    # the estimate, its noise interval and its denominator in words, as the summary has them
    assert L.number(e.p, "share") in text
    assert f"{L.number(e.noise.low, 'share')}–{L.number(e.noise.high, 'share')}" in text
    assert f"{e.k:,} of the {e.n:,} {e.denominator_label}" in text
    assert f"{result.summary['ceasefire'].k:,} of all {result.replications:,} replications" in text
    assert L.NOISE_INTERVAL in text
    assert L.ASSUMPTION_SPREAD not in text.split("Of")[0]  # no spread column when not computed
    assert "spread_points" in text  # says how to get it
    assert result.scenario.title in text and "seed 5" in text


def test_result_html_has_the_spread_column_when_computed(spread_result):
    text = text_of(spread_result._repr_html_())
    assert L.ASSUMPTION_SPREAD in text
    for o in KEY_OUTCOMES:
        assert L.spread_text(spread_result.summary[o.name]) in text


def test_summary_html_lists_every_declared_outcome(result):
    fragment = result.summary._repr_html_()
    assert len(fragment) < 20_000
    text = text_of(fragment)
    for o in OUTCOMES:
        assert o.label in text
        n = result.summary[o.name].n
        assert (f"all {n:,} replications" if o.denominator == "all" else f"{n:,} {o.denominator_label}") in text
    for level in result.summary["max_response"].levels:
        assert f"{result.summary['max_response'].label}: {level}" in text


def test_reprs_are_short_and_name_the_run(result, loaded):
    for obj in (result, result.summary, loaded, loaded.scenario):
        text = repr(obj)
        assert len(text) < 2_000, type(obj).__name__
        assert "paris" in text
    assert "600 replications" in repr(result)
    assert all(o.label in repr(result) for o in KEY_OUTCOMES)
    assert str(result.summary) == repr(result.summary)
    assert "31 states" in repr(loaded) and "175/209" in repr(loaded)


def test_scenario_html_shows_the_scenario_its_evidence_and_every_state(loaded):
    for fragment in (loaded._repr_html_(), loaded.scenario._repr_html_()):
        assert len(fragment) < 30_000
        text = text_of(fragment)
        sc = loaded.scenario
        assert sc.id in text and sc.title in text and L.date_words(sc.as_of) in text
        for sid in sc.sources:
            assert sid in text
        c = loaded.coverage
        assert f"{c.cited}/{c.cited + c.assumed} parameters cite facts" in text
        for state in sc.states:
            assert state.id in text and html.unescape(state.name) in text
        fra = next(s for s in sc.states if s.id == "FRA")
        assert fra.troops.pledge.describe() in text
    # with the register, sources get their outlet and title
    assert "Reuters" in text_of(loaded._repr_html_())


def test_result_figure_returns_a_figure_by_name(result):
    assert isinstance(result.figure("survival"), Figure)
    with pytest.raises(KeyError, match="force_distribution"):
        result.figure("force")


def test_figures_render_as_png_in_ipython(monkeypatch, result):
    formatters = pytest.importorskip("IPython.core.formatters")  # comes with ipykernel (test extra)
    DisplayFormatter = formatters.DisplayFormatter

    from sim import notebook

    shell = types.SimpleNamespace(display_formatter=DisplayFormatter())
    monkeypatch.setattr(sys.modules["IPython"], "get_ipython", lambda: shell, raising=False)
    assert notebook.show_figures_inline()
    assert not notebook.show_figures_inline()  # once is enough; a formatter set already is kept
    data, _ = shell.display_formatter.format(result.figure("force_distribution"))
    assert data["image/png"][:8] == b"\x89PNG\r\n\x1a\n"


def test_import_sim_leaves_the_backend_alone():
    # Jupyter's kernel sets MPLBACKEND to its inline backend: importing sim must not replace it.
    code = ("import sim, sim.api, sim.figures, sim.notebook, sim.report, matplotlib; "
            "print(matplotlib.rcParams['backend'])")
    env = {**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "module://matplotlib_inline.backend_inline"
