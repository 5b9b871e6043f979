"""Figures: each draws, saves a real non-blank PNG, carries its provenance and shows the right numbers.

Runs are small (600 replications) and built once per module.  Sweep figures are
checked on a synthetic points table that follows the sweep contract, with a
categorical US-backstop axis given in scrambled order.
"""

from __future__ import annotations

import dataclasses
import itertools
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import sim  # noqa: E402
from sim import figures  # noqa: E402
from sim.figures import labels as L  # noqa: E402
from sim.figures.run import funnel_stages  # noqa: E402
from sim.model.outcomes import BY_NAME, DENOMINATORS, KEY_OUTCOMES, OUTCOMES  # noqa: E402
from sim.results.summary import wilson  # noqa: E402

from .conftest import SCENARIOS  # noqa: E402

REPS = 600
SEED = 11
LEVELS = ["none", "political", "enablers", "monitoring", "direct"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def paris():
    return sim.run(sim.load_scenario(SCENARIOS / "paris.yaml"), replications=REPS, seed=SEED)


@pytest.fixture(scope="module")
def without_us():
    return sim.run(sim.load_scenario(SCENARIOS / "without-us-2025-03.yaml"), replications=400, seed=3)


# --------------------------------------------------------------------------- helpers


def assert_real_png(path, min_share: float = 0.02) -> np.ndarray:
    """A valid PNG that decodes and is not blank: more than ``min_share`` of its pixels differ
    from the background.  Returns its RGB pixels in [0, 1]."""
    assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    rgb = mpimg.imread(path)[..., :3]
    assert rgb.ndim == 3 and rgb.shape[0] > 200 and rgb.shape[1] > 300
    assert rgb.var() > 1e-3, f"{path} is (nearly) a single colour"
    background = rgb[0, 0]
    differs = (np.abs(rgb - background).max(axis=-1) > 0.05).mean()
    assert differs > min_share, f"only {differs:.1%} of {path}'s pixels differ from the background"
    return rgb


def texts(fig: Figure) -> list[str]:
    """Every text drawn on the figure (figure texts, axes texts, titles, tick labels, annotations)."""
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts]
        out += [ax.get_title(loc) for loc in ("left", "center", "right")]
        out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        out += [ax.get_xlabel(), ax.get_ylabel()]
    return [t for t in out if t]


def footer(fig: Figure) -> str:
    lines = [t.get_text() for t in fig.texts if t.get_text().startswith(f"sim {sim.__version__}")]
    assert len(lines) == 1, f"expected one footer, found {lines}"
    return lines[0]


def assert_run_footer(fig: Figure, result) -> None:
    text = footer(fig)
    assert f"scenario {result.scenario.id}" in text
    assert f"{result.replications:,} replications" in text
    assert f"seed {result.seed}" in text


NUM = r"(\d+(?:\.\d+)?)"


def shares_in(text: str, lead: str) -> tuple[float, float, float]:
    """Parse '<lead> 34% of … (95% simulation-noise interval 32–36%)' → (0.34, 0.32, 0.36)."""
    m = re.search(re.escape(lead) + rf"\s*{NUM}% of [^(]*\(95% simulation-noise interval {NUM}–{NUM}%\)", text)
    assert m, f"no '{lead} X% of … (95% simulation-noise interval A–B%)' in: {text}"
    return tuple(float(g) / 100 for g in m.groups())


def unwrap(text: str) -> str:
    return " ".join(text.split())


def close_to(shown: float, exact: float) -> bool:
    """A percentage printed with 0 or 1 decimals matches the exact share."""
    return abs(shown - exact) <= 0.005 + 1e-9


# --------------------------------------------------------------------------- run figures

RUN_FIGURES = ["force_distribution", "troops_by_state", "outcome_funnel", "timeline", "survival"]


@pytest.fixture(scope="module")
def saved(paris, tmp_path_factory):
    """The run figures written once by save_run_figures, with SVG."""
    return figures.save_run_figures(paris, tmp_path_factory.mktemp("run") / "figures", svg=True)


def test_save_run_figures_writes_png_only_unless_asked(paris, tmp_path):
    """SVG costs as much as PNG: the default run draws PNG alone."""
    paths = figures.save_run_figures(paris, tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"{n}.png" for n in RUN_FIGURES)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.png" for n in RUN_FIGURES)


def test_save_run_figures_writes_named_pairs(saved):
    assert sorted(p.name for p in saved) == sorted(f"{n}.{ext}" for n in RUN_FIGURES for ext in ("png", "svg"))
    for p in saved:
        if p.suffix == ".svg":
            assert p.read_text(encoding="utf-8").lstrip().startswith("<?xml")


@pytest.mark.parametrize("name", RUN_FIGURES)
def test_run_figure_is_a_real_png_with_provenance(paris, saved, name):
    assert_real_png(next(p for p in saved if p.name == f"{name}.png"))
    fig = getattr(figures, name)(paris)
    assert isinstance(fig, Figure)
    assert_run_footer(fig, paris)
    # A title in words, not a variable name.
    title = max(fig.texts, key=lambda t: t.get_fontsize()).get_text()
    assert " " in title and len(title) > 20


def test_figures_leave_pyplot_alone(paris):
    before = plt.get_fignums()
    for name in RUN_FIGURES:
        getattr(figures, name)(paris)
    assert plt.get_fignums() == before


def test_force_distribution_marks_thresholds_and_states_p_minimum(paris):
    fig = figures.force_distribution(paris)
    ax = fig.axes[0]
    th = paris.scenario.thresholds
    vertical = {line.get_xdata()[0] for line in ax.get_lines() if len(set(line.get_xdata())) == 1}
    assert {th.minimum_effective_force, th.target_force} <= vertical
    labels = unwrap(" ".join(texts(fig)))
    assert "Minimum effective" in labels and f"{th.minimum_effective_force:,.0f}" in labels
    assert "Target" in labels and f"{th.target_force:,.0f}" in labels

    runs = paris.runs[paris.runs["ceasefire"]]
    p, low, high = wilson(int((runs["force_in_ukraine"] >= th.minimum_effective_force).sum()), len(runs))
    shown = shares_in(labels, f"{BY_NAME['force_ge_minimum'].label}:")
    assert close_to(shown[0], p) and close_to(shown[1], low) and close_to(shown[2], high)
    assert f"of the {len(runs):,} {DENOMINATORS['ceasefire']}" in labels
    force = BY_NAME["force_in_ukraine"]
    assert fig.axes[0].get_xlabel() == f"{force.label} ({force.unit})"

    # The share at zero is shown, with its own label.
    zero = (runs["force_in_ukraine"] <= 0).mean()
    assert f"No troops\nin Ukraine\n{100 * zero:.1f}%" in texts(fig)


def test_troops_by_state_shows_contributors_and_their_conditions(paris):
    fig = figures.troops_by_state(paris)
    ax, marks = fig.axes[0], fig.axes[1]
    table = [r.model_dump() for r in paris.summary.states if r.expected_troops > 0]
    by_id = {s.id: s for s in paris.scenario.states}
    shown = [t.get_text() for t in ax.get_yticklabels()]
    # Largest first (at the top).
    assert shown == [f"{by_id[r['state']].name} ({r['state']})" for r in table]
    right = [t.get_text() for t in marks.texts]
    assert "Needs US\nbackstop" in right and "Needs a\nvote" in right
    for r in table:
        cond = by_id[r["state"]].conditions.us_backstop_at_least
        if isinstance(cond, str) and cond != "none":
            assert f"≥ {cond}" in right
    # Interval bars match the summary.
    seg = ax.collections[0].get_segments()
    ends = sorted((round(s[0][0]), round(s[1][0])) for s in seg)
    want = sorted((round(r["expected_troops_low"]), round(r["expected_troops_high"])) for r in table)
    assert ends == want


def test_troops_by_state_top_keeps_the_largest(paris):
    fig = figures.troops_by_state(paris, top=3)
    names = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    top3 = [r.state for r in paris.summary.states[:3]]
    assert [n[-4:-1] for n in names] == top3
    assert "smaller contributors not shown" in " ".join(texts(fig))


def test_outcome_funnel_bars_are_nested_shares_with_their_denominators(paris):
    fig = figures.outcome_funnel(paris)
    ax = fig.axes[0]
    widths = [b.get_width() for b in ax.patches]
    runs = paris.runs
    # Each stage as a share of the one before, worked out from the runs by hand.
    tested = runs["guarantee_test"].isin(["activated", "failed"])
    stages = [runs["ceasefire"], runs["violation"], runs["attributed"], tested, runs["guarantee_test"] == "activated"]
    before = [pd.Series(True, index=runs.index), *stages[:-1]]
    exact = [(s & b).sum() / b.sum() for s, b in zip(stages, before)]
    np.testing.assert_allclose(widths, 100 * np.array(exact))
    # Labels are the declarations: outcomes' labels, and the 'tested' denominator for the fourth stage.
    ticks = [unwrap(t.get_text()) for t in ax.get_yticklabels()]
    assert ticks == [BY_NAME[n].label for n in ("ceasefire", "violation", "attributed")] + [
        "Guarantee " + DENOMINATORS["tested"].removeprefix("replications whose guarantee "),
        BY_NAME["activated"].label]
    written = " ".join(unwrap(t) for t in texts(fig))
    for (_, e), b in zip(funnel_stages(paris), before):
        assert e.n == int(b.sum())
        assert f"{e.k:,} of {e.n:,} {BY_NAME[e.name].denominator_label}" in written, e.name
    # Without a two-level design, no band is drawn and the figure says the spread was not computed.
    assert len(ax.patches) == len(stages)
    assert "the spread across the assumptions was not computed" in written


def test_timeline_lines_end_at_the_final_shares(paris):
    fig = figures.timeline(paris)
    ax, actions = fig.axes[0], fig.axes[1]
    tl = paris.timeline
    ends = sorted(round(line.get_ydata()[-1], 6) for line in ax.get_lines())
    curves = ("ceasefire", "guarantee_in_force", "deployed", "violated", "activated", "collapsed")
    want = sorted(round(100 * tl[c].iloc[-1], 6) for c in curves)
    assert ends == want
    assert actions.get_xlabel().startswith("Months")
    # Russia's actions: per 100 replications in a ceasefire that month.
    counts = paris.timeline_counts
    probes = 100 * counts["probe"] / counts["ceasefire"]
    np.testing.assert_allclose(actions.get_lines()[0].get_ydata(), probes.to_numpy())
    shown = " ".join(texts(fig))
    assert all(L.TIMELINE_LABELS[c] in shown for c in (*curves, "probe", "limited", "major"))


def test_survival_draws_the_summary_curves_with_declared_labels(paris):
    fig = figures.survival(paris)
    for ax, name in zip(fig.axes, ("collapsed", "months_to_violation")):
        curve = paris.summary.survival[name]
        step = ax.get_lines()[0]
        np.testing.assert_allclose(step.get_ydata(), 100 * np.array(curve.survival))
        np.testing.assert_allclose(step.get_xdata(), curve.months)
        assert f"event: {BY_NAME[name].label}" in [t.get_text() for t in ax.texts]
    assert "95% simulation-noise interval" in " ".join(texts(fig))


def test_no_ceasefire_is_said_not_drawn_empty(paris, tmp_path):
    runs = paris.runs.copy()
    runs["ceasefire"] = False
    bare = dataclasses.replace(paris, runs=runs)
    fig = figures.force_distribution(bare)
    assert any("No replication reached a ceasefire" in t for t in texts(fig))
    assert_real_png(figures.save_figure(fig, tmp_path, "none")[0], min_share=0.005)


# --------------------------------------------------------------------------- the spread across the assumptions


@pytest.fixture(scope="module")
def spread_runs():
    """Paris (a ceasefire assumed) and Paris without that assumption, each with a small two-level design."""
    return {name: sim.run(sim.load_scenario(SCENARIOS / f"{name}.yaml"), replications=400, seed=SEED,
                          spread_points=10, spread_inner=60)
            for name in ("paris", "paris-unconditional")}


def _band_bounds(collection, months) -> tuple[np.ndarray, np.ndarray]:
    """The lower and upper edge of a fill_between band at each month."""
    verts = collection.get_paths()[0].vertices
    low, high = [], []
    for m in months:
        ys = verts[np.isclose(verts[:, 0], m), 1]
        low.append(ys.min())
        high.append(ys.max())
    return np.array(low), np.array(high)


def test_timeline_fan_bands_match_the_fan_table(spread_runs):
    from sim.results.spread import fan

    for name, result in spread_runs.items():
        fig = figures.timeline_fan(result)
        want = fan(result.spread_runs, result.scenario.run.horizon_months)
        panels = {ax.get_title(loc="left"): ax for ax in fig.axes if ax.get_title(loc="left")}
        drawn = {series for series, label in L.FAN_LABELS.items() if label in panels}
        if result.scenario.ceasefire.assumed_month is not None:
            # Every draw has a ceasefire from month 0: no panel for it, and the figure says why.
            assert drawn == {"violated", "collapsed"}
            assert "A ceasefire is assumed from month 0" in unwrap(" ".join(texts(fig)))
        else:
            assert drawn == {"ceasefire", "violated", "collapsed"}
        for series in drawn:
            ax = panels[L.FAN_LABELS[series]]
            b = want[want["series"] == series].sort_values("month")
            months = b["month"].to_numpy()
            outer, inner = ax.collections[:2]
            for band, (lo, hi) in ((outer, ("q05", "q95")), (inner, ("q25", "q75"))):
                low, high = _band_bounds(band, months)
                np.testing.assert_allclose(low, 100 * b[lo].to_numpy(), atol=1e-9)
                np.testing.assert_allclose(high, 100 * b[hi].to_numpy(), atol=1e-9)
            median = ax.get_lines()[0]
            np.testing.assert_allclose(median.get_xdata(), months)
            np.testing.assert_allclose(median.get_ydata(), 100 * b["q50"].to_numpy())
        words = unwrap(" ".join(texts(fig)))
        legend = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
        assert legend == ["5–95% of the draws (90% spread: the range to quote)", "25–75% of the draws",
                          "median draw"]
        assert f"across {len(result.spread)} draws" in words and "60 replications each" in words
        assert_run_footer(fig, result)


def test_the_fan_chart_is_drawn_when_the_run_has_its_design(spread_runs, paris, tmp_path):
    with_design = figures.save_run_figures(spread_runs["paris"], tmp_path / "with")
    assert sorted(p.stem for p in with_design if p.suffix == ".png") == sorted([*RUN_FIGURES, "timeline_fan"])
    assert_real_png(tmp_path / "with" / "timeline_fan.png")
    without = figures.save_run_figures(paris, tmp_path / "without")
    assert "timeline_fan" not in {p.stem for p in without}
    # Asked for anyway, it says there is nothing to draw.
    assert any("no two-level design" in t for t in texts(figures.timeline_fan(paris)))


def test_funnel_draws_the_assumption_spread_as_a_wider_lighter_band(spread_runs):
    from sim.figures.run import SPREAD_ALPHA

    result = spread_runs["paris"]
    fig = figures.outcome_funnel(result)
    ax = fig.axes[0]
    stages = funnel_stages(result)
    bars = [b for b in ax.patches if b.get_alpha() is None]
    bands = [b for b in ax.patches if b.get_alpha() == SPREAD_ALPHA]
    assert len(bars) == len(stages) and len(bands) == sum(L.has_spread(e) for _, e in stages)
    bar_height = bars[0].get_height()
    s = result.summary
    for band, (_, e) in zip(bands, [st for st in stages if L.has_spread(st[1])]):
        assert band.get_height() > bar_height  # wider than the bar
        a = e.assumptions
        centre, width = band.get_x() + band.get_width() / 2, band.get_width()
        assert centre == pytest.approx(100 * (a.low + a.high) / 2)
        assert width == pytest.approx(max(100 * (a.high - a.low), 0.6))
    # The fourth stage's spread is the complement of no_guarantee's.
    in_force = stages[3][1].assumptions
    assert (in_force.low, in_force.high) == pytest.approx((1 - s["no_guarantee"].assumptions.high,
                                                           1 - s["no_guarantee"].assumptions.low))
    words = unwrap(" ".join(texts(fig)))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["95% simulation-noise interval", "90% spread across the assumptions: quote this"]
    assert "the range to quote" in words
    for _, e in stages:
        quote = L.short_spread(e)
        assert (f"across the assumptions {quote}" if quote else "no spread across the assumptions") in words


def test_force_distribution_states_the_spread_to_quote(spread_runs):
    result = spread_runs["paris"]
    fig = figures.force_distribution(result)
    words = unwrap(" ".join(texts(fig)))
    at_min = result.summary["force_ge_minimum"]
    assert f"90% spread across the assumptions {L.spread_text(at_min)} (the range to quote)" in words
    assert f"{L.short_spread(at_min)} across the assumptions" in words


def test_spread_labels_say_which_range_to_quote(spread_runs):
    e = spread_runs["paris"].summary["force_ge_minimum"]
    a = e.assumptions
    assert L.spread_phrase(e) == (f"90% spread across the assumptions {100 * a.low:.1f}%–{100 * a.high:.1f}% "
                                  "(the range to quote)")
    fixed = spread_runs["paris"].summary["ceasefire"]  # assumed: the same in every draw
    assert L.short_spread(fixed) == ""
    assert "the range to quote" not in L.spread_phrase(fixed)
    assert L.spread_phrase(e.model_copy(update={"assumptions": None})) == ""


def test_comparison_draws_each_scenarios_spread_behind_its_noise_bar(spread_runs):
    from sim.figures.compare import OUTCOMES as COMPARED, SPREAD_WIDTH
    from sim.results.compare import assumed

    results = [spread_runs["paris"], spread_runs["paris-unconditional"]]
    fig = figures.comparison(results)
    panels = [ax for ax in fig.axes if ax.get_title(loc="left")][:len(COMPARED)]
    for ax, o in zip(panels, COMPARED):
        scale = 100 if o.unit == "share" else 1
        bands = [c for c in ax.collections if c.get_linewidth()[0] == SPREAD_WIDTH]
        assert len(bands) == 1, o.name
        drawn = sorted((round(seg[0][0], 6), round(seg[1][0], 6)) for seg in bands[0].get_segments())
        want = sorted((round(scale * r.summary[o.name].assumptions.low, 6), round(scale * r.summary[o.name].assumptions.high, 6))
                      for r in results if r.summary[o.name].assumptions is not None and r.summary[o.name].n
                      and not assumed(o, r.scenario))
        assert drawn == want, o.name
    assert "wide light band: 90% spread across the assumptions, the range to quote" in unwrap(" ".join(texts(fig)))


# --------------------------------------------------------------------------- sweep figures


#: The outcomes in synthetic points tables: every declared share and rate.
SWEEP_OUTCOMES = [o for o in OUTCOMES if o.kind in ("share", "rate")]


def synthetic_points(params: dict[str, list], replications: int = 200, seed: int = 0) -> pd.DataFrame:
    """A points table following the sweep contract: outcomes rise with the US level and acceptance."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, combo in enumerate(itertools.product(*params.values())):
        row = {"point": i, **dict(zip(params, combo)), "replications": replications}
        level = LEVELS.index(row.get("united_states.backstop", "political"))
        acc = row.get("russia.acceptance.without_troops", 0.5)
        base = -2.0 + 0.6 * level + 2.0 * acc
        for j, o in enumerate(SWEEP_OUTCOMES):
            p = 1 / (1 + np.exp(-(base - 0.3 * j)))
            k = rng.binomial(replications, p)
            value = wilson(k, replications)
            if o.kind == "rate":  # events per ceasefire-year, on the order of one
                value = tuple(2 * v for v in value)
            row[o.name], row[f"{o.name}_low"], row[f"{o.name}_high"] = value
            row[f"{o.name}_n"] = replications
        for q, v in zip(("q05", "q25", "q50", "q75", "q95"), (2000, 5000, 8000, 11000, 15000)):
            row[f"force_in_ukraine_{q}"] = v * (1 + 0.1 * level)
        rows.append(row)
    return pd.DataFrame(rows)


GRID = {"united_states.backstop": ["monitoring", "none", "direct", "political", "enablers"],
        "russia.acceptance.without_troops": [0.1, 0.5, 0.9]}


@pytest.fixture(scope="module")
def grid():
    points = synthetic_points(GRID).sample(frac=1.0, random_state=4).reset_index(drop=True)
    manifest = {"parameters": list(GRID), "sweep": "us-by-acceptance", "seed": 5, "replications": 200}
    return points, manifest


def assert_sweep_footer(fig, manifest, n_points):
    text = footer(fig)
    assert f"sweep {manifest['sweep']}" in text
    assert f"{n_points:,} points × {manifest['replications']:,} replications" in text
    assert f"seed {manifest['seed']}" in text


def test_sweep_heatmap_orders_levels_and_shows_values(grid, tmp_path):
    points, manifest = grid
    fig = figures.sweep_heatmap(points, "united_states.backstop", "russia.acceptance.without_troops",
                                "force_ge_minimum", manifest)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == LEVELS
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.1", "0.5", "0.9"]
    # The cell for (direct, 0.9) shows that point's value.
    row = points[(points["united_states.backstop"] == "direct") & (points["russia.acceptance.without_troops"] == 0.9)]
    v = 100 * row["force_ge_minimum"].iloc[0]
    cell = [t.get_text() for t in ax.texts if t.get_position() == (4, 2)]
    assert cell == [f"{v:.0f}%" if v >= 10 else f"{v:.1f}%"]
    assert "(US backstop level)" in ax.get_xlabel() and "(probability)" in ax.get_ylabel()
    title = max(fig.texts, key=lambda t: t.get_fontsize()).get_text()
    assert unwrap(title).startswith(BY_NAME["force_ge_minimum"].label + ",")
    assert f"% of {DENOMINATORS['ceasefire']}" in unwrap(fig.axes[-1].get_ylabel())
    assert_sweep_footer(fig, manifest, len(points))
    assert_real_png(figures.save_figure(fig, tmp_path, "heat")[0])


def test_sweep_figures_refuse_to_average_over_a_varying_parameter(grid):
    points, manifest = grid
    with pytest.raises(ValueError, match="russia.acceptance.without_troops"):
        figures.sweep_line(points, "united_states.backstop", "activated", manifest)
    third = {**GRID, "states.DEU.troops.willingness": [0.0, 1.0]}
    points3 = synthetic_points(third)
    manifest3 = {**manifest, "parameters": list(third)}
    with pytest.raises(ValueError, match="states.DEU.troops.willingness"):
        figures.sweep_heatmap(points3, "united_states.backstop", "russia.acceptance.without_troops",
                              "activated", manifest3)
    # Filtered to one value, it draws and says what was held.
    held = points3[points3["states.DEU.troops.willingness"] == 1.0]
    fig = figures.sweep_heatmap(held, "united_states.backstop", "russia.acceptance.without_troops",
                                "activated", manifest3)
    assert any("states.DEU.troops.willingness = 1" in t for t in texts(fig))
    # Or faceted: one panel per value.
    fig = figures.sweep_heatmap(points3, "united_states.backstop", "russia.acceptance.without_troops",
                                "activated", manifest3, facet="states.DEU.troops.willingness")
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")]
    assert titles == ["states.DEU.troops.willingness = 0", "states.DEU.troops.willingness = 1"]


def test_sweep_line_follows_the_level_order_with_its_band(grid, tmp_path):
    points, manifest = grid
    one = points[points["russia.acceptance.without_troops"] == 0.5]
    fig = figures.sweep_line(one, "united_states.backstop", "activated", manifest)
    ax = fig.axes[0]
    line = ax.get_lines()[0]
    by_level = one.set_index("united_states.backstop").loc[LEVELS]
    np.testing.assert_allclose(line.get_ydata(), 100 * by_level["activated"].to_numpy())
    np.testing.assert_allclose(line.get_xdata(), np.arange(5))
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(100 * by_level["activated_low"].min())
    assert band[:, 1].max() == pytest.approx(100 * by_level["activated_high"].max())
    assert [t.get_text() for t in ax.get_xticklabels()] == LEVELS
    assert unwrap(ax.get_ylabel()).startswith(BY_NAME["activated"].label)
    assert DENOMINATORS["tested"] in unwrap(ax.get_ylabel())
    assert_sweep_footer(fig, manifest, len(one))
    assert_real_png(figures.save_figure(fig, tmp_path, "line")[0])

    # A rate is drawn in its unit, not as a percentage.
    rate = figures.sweep_line(one, "united_states.backstop", "violations_per_year", manifest)
    line = rate.axes[0].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), by_level["violations_per_year"].to_numpy())
    assert "per ceasefire-year" in rate.axes[0].get_ylabel()

    by = figures.sweep_line(points, "united_states.backstop", "activated", manifest,
                            by="russia.acceptance.without_troops")
    assert len(by.axes[0].get_lines()) == 3


def test_save_sweep_figures_grid_and_sampled(grid, tmp_path):
    points, manifest = grid
    paths = figures.save_sweep_figures(points, manifest, tmp_path / "grid")
    names = sorted(p.name for p in paths if p.suffix == ".png")
    assert names == sorted(f"sweep_{kind}_{o}.png" for kind in ("heatmap", "line")
                           for o in ("force_ge_minimum", "violations_per_year", "activated"))
    for p in paths:
        if p.suffix == ".png":
            assert_real_png(p)

    # A sampled design: every point differs in every parameter, so nothing can be held fixed.
    rng = np.random.default_rng(8)
    rows = []
    for i in range(40):
        values = {"united_states.backstop": [str(rng.choice(LEVELS))],
                  "russia.acceptance.without_troops": [float(rng.uniform())],
                  "states.DEU.troops.willingness": [float(rng.uniform())]}
        rows.append(synthetic_points(values, seed=i).iloc[0].to_dict() | {"point": i})
    sampled = pd.DataFrame(rows)
    manifest3 = {**manifest, "parameters": ["united_states.backstop", "russia.acceptance.without_troops",
                                            "states.DEU.troops.willingness"]}
    paths = figures.save_sweep_figures(sampled, manifest3, tmp_path / "sampled")
    names = sorted(p.name for p in paths if p.suffix == ".png")
    assert names == ["sweep_points_activated.png", "sweep_points_force_ge_minimum.png",
                     "sweep_points_violations_per_year.png"]
    for p in paths:
        if p.suffix == ".png":
            assert_real_png(p)


# --------------------------------------------------------------------------- comparison


def test_comparison_side_by_side(paris, without_us, tmp_path):
    fig = figures.comparison([without_us, paris])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == \
        ["without-us-2025-03\nMar 2025", "paris\nJan 2026"]
    text = footer(fig)
    assert "without-us-2025-03" in text and "paris" in text
    assert "replications 400/600" in text and "seed 3/11" in text
    # One panel per key outcome (a level has no single value), titled with its declared label.
    titles = [unwrap(ax.get_title(loc="left")) for ax in fig.axes]
    assert titles == [o.label for o in KEY_OUTCOMES if o.kind != "level"]
    # The force ≥ minimum panel shows each scenario's summary value over its own denominator.
    panel = fig.axes[titles.index(BY_NAME["force_ge_minimum"].label)]
    xs = sorted(panel.get_lines()[0].get_xdata())
    want = sorted(100 * r.summary["force_ge_minimum"].p for r in (paris, without_us))
    np.testing.assert_allclose(xs, want)
    assert unwrap(panel.get_xlabel()) == f"% of {DENOMINATORS['ceasefire']}"
    assert_real_png(figures.save_figure(fig, tmp_path, "comparison")[0])


def test_comparison_trend_needs_two_dates(paris, without_us, tmp_path):
    fig = figures.comparison_trend([paris, without_us])
    assert isinstance(fig, Figure)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["5 Mar\n2025", "4 Jan\n2026"]  # date order, whatever the input order
    assert_real_png(figures.save_figure(fig, tmp_path, "trend")[0])

    undated = dataclasses.replace(without_us, scenario=without_us.scenario.model_copy(update={"as_of": None}))
    assert figures.comparison_trend([paris, undated]) is None
    assert figures.comparison_trend([undated]) is None
    paths = figures.save_comparison_figures([paris, undated], tmp_path / "cmp", svg=True)
    assert sorted(p.name for p in paths) == ["comparison.png", "comparison.svg"]


def test_labels_are_the_declarations():
    for o in OUTCOMES:
        assert L.outcome_label(o.name) == o.label
