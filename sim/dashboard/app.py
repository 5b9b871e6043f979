"""The dashboard's page (Solara): only what is shown and how it reacts.

The controls come from :mod:`sim.dashboard.controls` (the scenario schema), the runs
from :mod:`sim.dashboard.engine`, the figures from :mod:`sim.figures.run`, the step view
from :class:`sim.model.trace.WatchedModel` driven by Mesa's own ``ModelController``.
Served by ``python -m sim dashboard`` (:func:`sim.dashboard.serve`); the scenario to open
first comes from the environment variable ``SIM_DASHBOARD_FILE``.
"""

from __future__ import annotations

import html
import math
import os
import threading
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import solara  # noqa: E402
from mesa.visualization.solara_viz import ModelController  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from ..model.trace import WatchedModel  # noqa: E402
from ..scenario.yamlio import InputError  # noqa: E402
from . import SOURCE_ENV  # noqa: E402
from .controls import Control, controls, export_yaml  # noqa: E402
from .engine import REPLICATIONS, SPREAD_INNER, SPREAD_POINTS, Engine, Outcome, scenario_choices  # noqa: E402

CSS = """
.sim-control { border-bottom: 1px solid #e0e0e0; padding: 6px 0 10px 0; }
.sim-path { font-family: monospace; font-size: 12px; color: #333; }
.sim-label { font-size: 13px; }
.sim-evidence { font-size: 11px; color: #555; }
.sim-changed .sim-path { color: #d55e00; font-weight: bold; }
table.sim-outcomes { border-collapse: collapse; width: 100%; font-size: 14px; }
table.sim-outcomes th, table.sim-outcomes td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #ddd;
  vertical-align: top; }
table.sim-outcomes td.sim-value { font-weight: bold; white-space: nowrap; }
table.sim-outcomes .sim-small { font-size: 11px; color: #555; font-weight: normal; }
table.sim-steps { border-collapse: collapse; font-size: 12px; width: 100%; }
table.sim-steps th, table.sim-steps td { padding: 3px 6px; border-bottom: 1px solid #eee; text-align: left;
  vertical-align: top; }
table.sim-steps tr.sim-act td { background: #fff4e5; }
"""


def _initial_source() -> str:
    return os.environ.get(SOURCE_ENV) or "paris"


class Runner:
    """At most one run in flight per page; while it runs, only the latest request waits (a slider
    dragged across ten values runs the last one, not ten)."""

    def __init__(self, engine: Engine, publish, failed, busy, drawn):
        self.engine, self.publish, self.failed, self.busy, self.drawn = engine, publish, failed, busy, drawn
        self.lock = threading.Lock()
        self.pending: tuple | None = None
        self.working = False

    def request(self, changes: dict, replications: int, seed: int, spread: bool) -> None:
        with self.lock:
            self.pending = (dict(changes), replications, seed, spread)
            if self.working:
                return
            self.working = True
        self.busy(True)
        threading.Thread(target=self._work, daemon=True).start()

    def _work(self) -> None:
        while True:
            with self.lock:
                job, self.pending = self.pending, None
                if job is None:
                    self.working = False
                    break
            changes, replications, seed, spread = job
            try:
                out = self.engine.run(changes, replications=replications, seed=seed, spread=spread)
            except InputError as exc:
                self.failed([str(p) for p in exc.problems])
                continue
            self.publish(out)
            # The numbers first; the figures (about a second to draw) follow unless a newer run waits.
            with self.lock:
                newer = self.pending is not None
            if not newer:
                self.drawn((out, self.engine.figures(out)))
        self.busy(False)


# --------------------------------------------------------------------------- controls


def _snap(c: Control, x: float) -> float:
    """A value on the slider's grid (the slider itself snaps to it, and reports the snapped value)."""
    if c.whole:
        return float(round(x))
    return round(c.low + round((x - c.low) / c.step) * c.step, 10)


@solara.component
def ControlView(c: Control, value, on_change, on_reset):
    changed = value is not None
    shown = c.value if value is None else value

    def moved(v):
        v = _snap(c, v)
        # The slider reports the file's value snapped to its grid when it appears: not a change.
        if value is None and v == _snap(c, c.value):
            return
        on_change(int(v) if c.whole else v)

    classes = "sim-control sim-changed" if changed else "sim-control"
    with solara.v.Html(tag="div", class_=classes, attributes={"data-path": c.path}):
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(c.path), classes=["sim-path"])
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(c.label), classes=["sim-label"])
        if c.kind == "level":
            solara.Select(label=c.unit, values=list(c.options), value=shown, on_value=on_change, dense=True)
        else:
            solara.SliderFloat(label="", value=_snap(c, float(shown)), min=c.low, max=c.high, step=c.step,
                               on_value=moved, thumb_label=True)
        file_value = f"file: {c.current}" + (f" (mean {_num(c.value)})" if c.uncertain and c.kind == "number" else "")
        now = f"now: {_num(shown)} {c.unit}".rstrip() if c.kind == "number" else f"now: {shown}"
        with solara.Row(style={"align-items": "center"}):
            solara.HTML(tag="span", unsafe_innerHTML=html.escape(f"{now} · {file_value}"), classes=["sim-evidence"])
            if changed:
                solara.Button("reset", text=True, small=True, on_click=on_reset)
        what = (f"{len(c.facts)} fact{'s' if len(c.facts) != 1 else ''}" if c.facts
                else "assumption" if c.assumption else "schema default")
        solara.HTML(tag="details", classes=["sim-evidence"], unsafe_innerHTML=(
            f"<summary>evidence: {what}</summary>{html.escape(c.evidence())}"))


def _num(x) -> str:
    if isinstance(x, str):
        return x
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


@solara.component
def Controls(engine: Engine, changes: solara.Reactive, state: solara.Reactive, defaults: solara.Reactive):
    sc = engine.scenario
    ids = [s.id for s in sc.states]
    with solara.Column(gap="2px"):
        solara.Checkbox(label="also the shared calibration (schema defaults)", value=defaults)
        if changes.value:
            solara.Button(f"reset all ({len(changes.value)} changed)", outlined=True,
                          on_click=lambda: changes.set({}))

        def setter(path):
            return lambda v: changes.set({**changes.value, path: v})

        def resetter(path):
            return lambda: changes.set({k: v for k, v in changes.value.items() if k != path})

        solara.HTML(tag="h4", unsafe_innerHTML="Scenario-wide")
        for c in controls(engine.loaded, defaults=defaults.value):
            ControlView(c, changes.value.get(c.path), setter(c.path), resetter(c.path)).key(c.path)
        if ids:
            solara.HTML(tag="h4", unsafe_innerHTML="One state")
            names = {s.id: s.name for s in sc.states}
            solara.Select(label="state", values=ids, value=state.value if state.value in ids else ids[0],
                          on_value=state.set)
            sid = state.value if state.value in ids else ids[0]
            solara.Text(names[sid])
            for c in controls(engine.loaded, state=sid, defaults=defaults.value):
                ControlView(c, changes.value.get(c.path), setter(c.path), resetter(c.path)).key(c.path)


# --------------------------------------------------------------------------- outcomes


def outcomes_html(out: Outcome) -> str:
    """The key outcomes as a table; each value cell carries ``data-outcome`` and ``data-value``."""
    changed = bool(out.changes)
    head = ("<tr><th>Key outcome</th><th>Estimate [95% simulation-noise interval]</th>"
            "<th>90% spread across the assumptions</th>"
            f"<th>{'Change from the file (paired, same seed)' if changed else 'Change from the file'}</th></tr>")
    rows = []
    for r in out.rows:
        value = "" if r.value is None or (isinstance(r.value, float) and math.isnan(r.value)) else f"{r.value:.6g}"
        rows.append(
            f"<tr><td>{html.escape(r.label)}<div class='sim-small'>{html.escape(r.denominator)}</div></td>"
            f"<td class='sim-value' data-outcome='{r.name}' data-value='{value}'>{html.escape(r.estimate)}</td>"
            f"<td>{html.escape(r.spread)}</td><td>{html.escape(r.difference)}</td></tr>")
    return f"<table class='sim-outcomes'>{head}{''.join(rows)}</table>"


@solara.component
def Figures(out: Outcome, drawn):
    if drawn is None or drawn[0] is not out:
        solara.Text("drawing the figures…")
        return
    with solara.Columns([1, 1]):
        for png in drawn[1]:
            solara.Image(png, width="100%")


@solara.component
def OutcomesView(out: Outcome | None, drawn, busy: bool, problems: list[str], replications: int, seed: int,
                 spread: bool):
    for p in problems:
        solara.Error(p)
    if out is None:
        solara.Info("running…")
        return
    spread_words = (f"assumption spread from {SPREAD_POINTS} draws of the uncertain parameters × "
                    f"{SPREAD_INNER} replications" if spread else "assumption spread off")
    status = "running…" if busy else f"ran in {out.seconds:.2f} s"
    solara.HTML(tag="div", unsafe_innerHTML=html.escape(
        f"{out.result.scenario.title or out.result.scenario.id} · {replications:,} replications, seed {seed} "
        f"(common random numbers: the same draws for everything not changed) · {spread_words} · {status}"),
        attributes={"data-status": "busy" if busy else "idle"}, classes=["sim-evidence", "sim-status"])
    solara.HTML(tag="div", unsafe_innerHTML=outcomes_html(out))
    Figures(out, drawn)


# --------------------------------------------------------------------------- one replication


def steps_html(rows: list[dict]) -> str:
    def ids(x):
        return ", ".join(x)

    head = ("<tr><th>Month</th><th>Ceasefire / guarantee</th><th>US backstop</th><th>Coalition</th>"
            "<th>Troops in Ukraine</th><th>Russia</th><th>Seen</th><th>Who answered</th>"
            "<th>Russia's perceived P(response)</th></tr>")
    body = []
    for r in rows:
        coalition = "; ".join(part for part in (
            r["ratified"] and f"ratified: {ids(r['ratified'])}",
            r["treaty_failed"] and f"treaty failed: {ids(r['treaty_failed'])}",
            r["mandate_passed"] and f"mandate passed: {ids(r['mandate_passed'])}",
            r["mandate_failed"] and f"mandate failed: {ids(r['mandate_failed'])}",
            r["deployed"] and f"deploying: {ids(r['deployed'])}",
            r["withdrew"] and f"withdrew: {ids(r['withdrew'])}",
        ) if part)
        ceasefire = ("ceasefire" if r["ceasefire"] else "no ceasefire") + (
            ", guarantee in force" if r["guarantee_in_force"] else "")
        if r["collapsed"]:
            ceasefire += ", COLLAPSED"
        russia = r["russia"] if r["opportunity"] else ("—" if not r["ceasefire"] else "no opportunity")
        seen = ", ".join(w for w, f in (("detected", r["detected"]), ("attributed", r["attributed"])) if f)
        answered = [f"US {r['us_response']}"] if r["us_response"] != "none" else []
        answered += [f"{s} {lvl}" for s, lvl in r["responses"]]
        test = f" → guarantee {r['guarantee_test'].replace('_', ' ')}" if r["guarantee_test"] else ""
        belief = "" if math.isnan(r["perceived_response"]) else f"{r['perceived_response']:.0%}"
        cls = " class='sim-act'" if r["russia"] != "comply" else ""
        body.append(
            f"<tr{cls}><td>{r['month']}</td><td>{ceasefire}</td><td>{r['us_backstop']}</td>"
            f"<td>{html.escape(coalition)}</td><td>{r['force_in_ukraine']:,.0f}</td><td>{russia}</td>"
            f"<td>{seen}</td><td>{html.escape(', '.join(answered))}{test}</td><td>{belief}</td></tr>")
    return f"<table class='sim-steps'>{head}{''.join(reversed(body))}</table>"


@solara.component
def StepView(engine: Engine, changes: dict, seed: int):
    replication = solara.use_reactive(0)
    try:
        scenario = engine.load(changes).scenario
    except InputError:
        scenario = engine.scenario
    params = solara.use_reactive({"scenario": scenario, "replication": replication.value, "seed": seed})
    model = solara.use_reactive(None)
    play_interval = solara.use_reactive(300)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)

    def rebuild():
        params.set({"scenario": scenario, "replication": replication.value, "seed": seed})
        model.set(WatchedModel(**params.value))

    solara.use_effect(rebuild, [scenario, replication.value, seed])
    update_counter.get()  # Mesa's controller bumps it after every step
    # Plain HTML, not Markdown: Solara's Markdown asks a CDN for KaTeX, and nothing here leaves the machine.
    solara.HTML(tag="p", unsafe_innerHTML=(
        "One replication of the current settings, month by month: Russia's choice each month it sees an "
        "opportunity, whether monitoring saw it, who answered and at what level, and what the coalition's "
        "states decided. <b>Step</b> advances a month, <b>&#9654;</b> plays, <b>Reset</b> starts the replication "
        "again. Each replication number has its own draws."))
    with solara.Row(style={"align-items": "center"}):
        solara.InputInt("replication", value=replication, style={"max-width": "140px"})
        solara.Button("another replication", outlined=True, on_click=lambda: replication.set(replication.value + 1))
    if model.value is None:
        return
    ModelController(model, model_parameters=params, play_interval=play_interval,
                    render_interval=render_interval, use_threads=use_threads)
    m = model.value
    solara.Text(f"month {m.month} of {m.horizon}")
    solara.HTML(tag="div", unsafe_innerHTML=steps_html(m.rows))


# --------------------------------------------------------------------------- export


@solara.component
def ExportView(engine: Engine, changes: dict, seed: int):
    folder = Path.cwd()
    text = export_yaml(engine.loaded, changes, folder, seed=seed)
    name = f"{engine.scenario.id}-dashboard.yaml"
    saved = solara.use_reactive("")
    solara.HTML(tag="p", unsafe_innerHTML=html.escape(
        "The current settings as a scenario file: it extends the file and sets only the values changed "
        "here, each marked as the assumption 'set in the dashboard'. A relative path in 'extends' is from "
        f"{folder}; check the file with: python -m sim validate {name}"))

    def save():
        target = folder / name
        if target.exists():
            saved.set(f"{target} exists; not overwritten")
            return
        target.write_text(text, encoding="utf-8")
        saved.set(f"saved {target}")

    try:
        engine.load(changes)
    except InputError as exc:
        for p in exc.problems:
            solara.Error(f"{p} (the file would not validate: change the value back)")
    with solara.Row():
        solara.FileDownload(text, filename=name, label=f"download {name}", mime_type="text/yaml")
        solara.Button(f"save {name} in {folder}", outlined=True, on_click=save)
    if saved.value:
        solara.Text(saved.value)
    solara.Preformatted(text)


# --------------------------------------------------------------------------- the page


@solara.component
def Page():
    solara.Style(CSS)
    source = solara.use_reactive(_initial_source())

    def open_source():
        try:
            return Engine(source.value), []
        except InputError as exc:
            return None, [str(p) for p in exc.problems]

    engine, load_problems = solara.use_memo(open_source, [source.value])
    changes = solara.use_reactive({})
    state = solara.use_reactive("")
    defaults = solara.use_reactive(False)
    replications = solara.use_reactive(REPLICATIONS)
    spread = solara.use_reactive(True)
    seed = solara.use_reactive(engine.scenario.run.seed if engine else 0)
    out = solara.use_reactive(None)
    drawn = solara.use_reactive(None)
    busy = solara.use_reactive(False)
    problems = solara.use_reactive([])

    def publish(o):
        problems.set([])
        out.set(o)

    def new_scenario():
        if engine is not None:
            seed.set(engine.scenario.run.seed)

    solara.use_effect(new_scenario, [engine])
    runner = solara.use_memo(lambda: Runner(engine, publish, problems.set, busy.set, drawn.set) if engine else None,
                             [engine])

    def rerun():
        if runner is not None:
            runner.request(changes.value, replications.value, seed.value, spread.value)

    solara.use_effect(rerun, [runner, str(sorted(changes.value.items())), replications.value, seed.value,
                              spread.value])

    def pick(name):
        changes.set({})
        out.set(None)
        source.set(name)

    choices = scenario_choices()
    if source.value not in choices:
        choices = [source.value, *choices]
    with solara.AppBar():
        solara.AppBarTitle("sim — security guarantees for Ukraine")
    with solara.Sidebar():
        solara.Select(label="scenario", values=choices, value=source.value, on_value=pick)
        if engine is not None:
            solara.HTML(tag="div", unsafe_innerHTML=(
                f"<b>{html.escape(engine.scenario.title or engine.scenario.id)}</b><br>as of "
                f"{engine.scenario.as_of or 'undated'} · <code>{html.escape(str(engine.path))}</code>"))
            with solara.Row():
                solara.Select(label="replications", values=[500, 1000, 2000, 5000, 10000], value=replications)
                solara.InputInt("seed", value=seed)
            solara.Checkbox(label=f"assumption spread ({SPREAD_POINTS} × {SPREAD_INNER} more replications)",
                            value=spread)
            Controls(engine, changes, state, defaults)
    for p in load_problems:
        solara.Error(p)
    if engine is None:
        return
    with solara.lab.Tabs(lazy=True):
        with solara.lab.Tab("Outcomes"):
            OutcomesView(out.value, drawn.value, busy.value, problems.value, replications.value, seed.value,
                         spread.value)
        with solara.lab.Tab("Step one replication"):
            StepView(engine, changes.value, seed.value)
        with solara.lab.Tab("Export"):
            ExportView(engine, changes.value, seed.value)

