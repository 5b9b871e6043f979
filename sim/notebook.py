"""Notebooks: compact HTML tables for results and scenarios, and figures shown inline.

Jupyter shows an object through its ``_repr_html_``; :class:`~sim.results.RunResult`,
:class:`~sim.results.summary.Summary`, :class:`~sim.evidence.LoadedScenario` and
:class:`~sim.scenario.schema.Scenario` delegate theirs (and their short
``__repr__``) to this module, which they import only when asked, so nothing
upstream pays for presentation.  Words and numbers come from
:mod:`sim.figures.labels` and the outcome declarations, as in the terminal and
the report.

Figures are plain :class:`matplotlib.figure.Figure` objects, never registered
with pyplot, so no backend shows them by itself; :func:`show_figures_inline`
tells IPython to render any Figure a cell returns as a PNG (what
``%matplotlib inline`` does), and ``import sim`` calls it when it runs inside
IPython.  Nothing here chooses a matplotlib backend.
"""

from __future__ import annotations

import html
import sys

#: Longest text kept in a table cell (assumptions, descriptions); the rest is in the cell's tooltip.
CELL_CHARS = 90


def esc(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _clip(text: str | None, limit: int = CELL_CHARS) -> str:
    """Escaped text cut to ``limit`` characters; the whole of it in a tooltip when cut."""
    text = "" if text is None else str(text)
    if len(text) <= limit:
        return esc(text)
    return f'<span title="{esc(text)}">{esc(text[: limit - 1].rstrip())}…</span>'


_STYLE = ("<style>.sim-table td,.sim-table th{text-align:left;vertical-align:top;padding:2px 8px}"
          ".sim-table td.num{text-align:right;white-space:nowrap}</style>")


def _table(head: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    """An HTML table; cells are already escaped; ``numeric`` columns are right-aligned."""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f'<table class="sim-table"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


# --------------------------------------------------------------------------- outcomes


def _of(row, o) -> str:
    """The denominator in words with its count: ``7,068 of the 10,000 replications with a ceasefire``."""
    n = int(row["n"])
    whole = f"all {n:,} replications" if o.denominator == "all" else f"the {n:,} {o.denominator_label}"
    if n == 0:
        return f"none: there are no {o.denominator_label}"
    if o.kind == "share" or isinstance(row["level"], str):
        return f"{int(row['k']):,} of {whole}"
    if o.kind == "rate":
        return f"{int(row['k']):,} events over {whole}"
    return f"over {whole}"


def outcome_rows(summary, names=None, spread: bool = False) -> list[list[str]]:
    """Table rows from ``summary.to_frame()``: label, estimate, noise interval, [spread], denominator."""
    from .figures import labels as L
    from .model.outcomes import BY_NAME

    frame = summary.to_frame()
    if names is not None:
        frame = frame[frame["name"].isin(list(names))]
    rows = []
    for row in frame.to_dict(orient="records"):
        o = BY_NAME[row["name"]]
        level = row["level"] if isinstance(row["level"], str) else None  # a level outcome's row
        unit = "share" if level is not None else o.unit
        words = L.unit_words(unit)
        value = L.number(row["estimate"], unit)
        if o.kind == "quantity" and not L.is_missing(row["estimate"]):
            value = f"mean {value}"
        if words and not L.is_missing(row["estimate"]):
            value = f"{value} {words}"
        noise = ("" if L.is_missing(row["low"]) else
                 f"{L.number(row['low'], unit)}–{L.number(row['high'], unit)}")
        label = esc(o.label) + (f": {esc(level)}" if level is not None else "")
        cells = [label, esc(value), esc(noise)]
        if spread:
            e = summary[row["name"]]
            cells.append("" if level is not None else esc(L.spread_text(e)))
        cells.append(esc(_of(row, o)))
        rows.append(cells)
    return rows


def _outcome_table(summary, names=None) -> tuple[str, bool]:
    from .figures import labels as L

    spread = any(e.assumptions is not None for e in summary.outcomes.values())
    head = ["Outcome", "Estimate", esc(L.NOISE_INTERVAL)] + ([esc(L.ASSUMPTION_SPREAD)] if spread else []) + ["Of"]
    numeric = {1, 2} | ({3} if spread else set())
    return _table(head, outcome_rows(summary, names, spread), numeric), spread


def _intervals_note(spread: bool) -> str:
    from .figures import labels as L

    if spread:
        return (f"The {L.NOISE_INTERVAL} says how far more replications could move an estimate; the "
                f"{L.ASSUMPTION_SPREAD} is the range the scenario's own doubts allow (the one to quote).")
    return (f"Each {L.NOISE_INTERVAL} covers simulation noise only, not doubts about the scenario's "
            "assumptions (run with <code>spread_points=40</code> for the spread across them).")


def summary_html(summary) -> str:
    """Every outcome of a :class:`~sim.results.summary.Summary` as one table."""
    table, spread = _outcome_table(summary)
    head = (f"<p><b>Summary</b> of <code>{esc(summary.scenario or '')}</code>: "
            f"{summary.replications:,} replications, seed {esc(summary.seed)}, block size "
            f"{esc(summary.block_size)}; each outcome over its own denominator.</p>")
    note = (f"<p><small>{_intervals_note(spread)} As a DataFrame: <code>summary.to_frame()</code>; one outcome: "
            "<code>summary[\"activated\"]</code>.</small></p>")
    return f'<div class="sim-summary">{_STYLE}{head}{table}{note}</div>'


def _key_lines(summary) -> list[str]:
    from .figures import labels as L

    out = []
    for e in summary.key:
        spread = "" if e.assumptions is None else f"; spread {L.spread_text(e)}"
        out.append(f"  {e.label}: {L.estimate_text(e)} (n = {e.n:,}{spread})")
    return out


def summary_repr(summary) -> str:
    return "\n".join([f"<Summary {summary.scenario or ''}: {summary.replications:,} replications, seed "
                      f"{summary.seed}, {len(summary.outcomes)} outcomes; key outcomes "
                      "[95% simulation-noise interval]:", *_key_lines(summary), ">"])


# --------------------------------------------------------------------------- results


def _result_line(result) -> str:
    sc = result.scenario
    parts = [f"{result.replications:,} replications", f"seed {result.seed}", f"block size {result.block_size}",
             f"horizon {sc.run.horizon_months} months"]
    if result.spread is not None:
        parts.append(f"assumption spread from {len(result.spread)} draws × {result.spread_inner} replications")
    return ", ".join(parts)


def _tables_line(result) -> str:
    tables = [("runs", result.runs), ("states", result.states), ("timeline", result.timeline_counts),
              ("inputs", result.inputs), ("spread", result.spread)]
    return ", ".join(f"<code>.{name}</code> ({len(t):,} rows)" for name, t in tables if t is not None)


def result_html(result) -> str:
    """A run: what was run, the key outcomes as a table, where the rest is."""
    from .figures import labels as L
    from .figures.run import RUN_FIGURES
    from .model.outcomes import KEY_OUTCOMES

    sc = result.scenario
    summary = result.summary
    title = esc(sc.title or sc.id) + (f" (as of {esc(L.date_words(sc.as_of))})" if sc.as_of else "")
    lines = [f"<b>{title}</b>", f"<code>{esc(sc.id)}</code>: {esc(_result_line(result))}"]
    if result.meta.get("coverage"):
        c = result.meta["coverage"]
        lines.append(esc(f"evidence: {c['cited']}/{c['cited'] + c['assumed']} parameters cite facts, "
                         f"{c['assumed']} assumptions, {c['defaults']} schema defaults"))
    if result.meta.get("overrides"):
        lines.append("set: " + esc("; ".join(o["set"] for o in result.meta["overrides"])))
    table, spread = _outcome_table(summary, [o.name for o in KEY_OUTCOMES])
    figures = ", ".join(f"<code>{esc(name)}</code>" for name in RUN_FIGURES)
    note = (f"<p><small>{_intervals_note(spread)} All {len(summary.outcomes)} outcomes: "
            f"<code>result.summary</code>. Tables: {_tables_line(result)}. "
            f"Figures: <code>result.figure(name)</code> for {figures}.</small></p>")
    return f'<div class="sim-result">{_STYLE}<p>{"<br>".join(lines)}</p>{table}{note}</div>'


def result_repr(result) -> str:
    sc = result.scenario
    return "\n".join([f"<RunResult {sc.id}: {_result_line(result)}; key outcomes [95% simulation-noise interval]:",
                      *_key_lines(result.summary), ">"])


# --------------------------------------------------------------------------- scenarios


def _param(value) -> str:
    """A parameter's value or distribution, as the assumptions table writes it."""
    from .scenario import params

    if isinstance(value, (int, float)):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"
    return params.describe(value)


def _evidence(item) -> str:
    if item.facts:
        facts = ", ".join(item.facts)
        return f'<span title="{esc(facts)}">{len(item.facts)} fact{"s" if len(item.facts) != 1 else ""}</span>'
    if item.assumption:
        return "assumption: " + _clip(item.assumption, 60)
    return ""


def _state_rows(scenario) -> list[list[str]]:
    from .figures import labels as L

    rows = []
    for s in scenario.states:
        t = s.troops
        vote = (f"vote, P(pass) {esc(_param(s.parliament.approval))}" if s.parliament.vote_required
                else "no vote")
        rows.append([
            f"<code>{esc(s.id)}</code>", esc(s.name), esc(_param(t.pledge)), esc(t.deployment),
            esc(_param(t.willingness)), vote, esc(L.us_condition(s.conditions.us_backstop_at_least) or ""),
            esc(", ".join(s.offers)), _evidence(s),
        ])
    return rows


def _sources_html(scenario, register=None) -> str:
    items = []
    for sid in scenario.sources:
        src = register.sources.get(sid) if register is not None else None
        if src is None:
            items.append(f"<code>{esc(sid)}</code>")
        else:
            items.append(f"<code>{esc(sid)}</code>: {esc(src.outlet)}, “{esc(src.title)}” ({esc(src.date)})")
    return "<br>".join(items) if items else "none named"


def scenario_html(scenario, loaded=None) -> str:
    """A scenario: id, title, as-of date, sources, evidence coverage, and its states with their pledges."""
    from .evidence import coverage as coverage_of
    from .figures import labels as L

    cov = loaded.coverage if loaded is not None else coverage_of(scenario)
    rows = [
        ("Scenario", f"<code>{esc(scenario.id)}</code>" + (f" — {esc(scenario.title)}" if scenario.title else "")),
        ("As of", esc(L.date_words(scenario.as_of)) or "not given"),
    ]
    if scenario.description:
        rows.append(("Description", _clip(scenario.description, 300)))
    if loaded is not None:
        rows.append(("File", f"<code>{esc(loaded.path)}</code>"))
    rows.append(("Sources", _sources_html(scenario, loaded.register if loaded is not None else None)))
    rows.append(("Evidence", esc(cov.line().removeprefix("evidence: "))))
    if loaded is not None and loaded.overrides:
        rows.append(("Set", esc("; ".join(o.text for o in loaded.overrides))))
    r = scenario.run
    rows.append(("Run", esc(f"{r.replications:,} replications, seed {r.seed}, block size {r.block_size}, "
                            f"horizon {r.horizon_months} months")))
    th = scenario.thresholds
    rows.append(("Force sizes", esc(f"minimum effective {L.troops(th.minimum_effective_force)} troops, "
                                    f"target {L.troops(th.target_force)}")))
    about = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    head = ["State", "Name", "Troop pledge", "Deploys", "Willingness", "Treaty", "Needs US", "Other offers",
            "Evidence"]
    states = _table(head, _state_rows(scenario), numeric={2, 4})
    return (f'<div class="sim-scenario">{_STYLE}<table class="sim-table"><tbody>{about}</tbody></table>'
            f"<p><b>{len(scenario.states)} states</b> (pledges in troops; a distribution is drawn per "
            f"replication)</p>{states}</div>")


def scenario_repr(scenario, loaded=None) -> str:
    kind = "LoadedScenario" if loaded is not None else "Scenario"
    where = f" from {loaded.path}" if loaded is not None else ""
    as_of = f", as of {scenario.as_of}" if scenario.as_of else ""
    title = f" {scenario.title!r}" if scenario.title else ""
    text = f"<{kind} {scenario.id}{where}:{title}{as_of}, {len(scenario.states)} states"
    if loaded is not None:
        text += f"; {loaded.coverage.line()}"
        if loaded.overrides:
            text += "; set " + "; ".join(o.text for o in loaded.overrides)
    return text + ">"


# --------------------------------------------------------------------------- figures


def _figure_png(fig):
    from IPython.core.pylabtools import print_figure

    return print_figure(fig, "png", bbox_inches="tight")


def show_figures_inline() -> bool:
    """Have IPython render any matplotlib Figure a cell returns as a PNG.

    Does nothing outside IPython, or when a Figure formatter is already set
    (``%matplotlib inline`` and friends keep theirs).  Registered by name, so
    matplotlib is not imported here.  Returns whether it registered one.
    """
    ipython_mod = sys.modules.get("IPython")
    if ipython_mod is None:
        return False
    shell = ipython_mod.get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    png = shell.display_formatter.formatters["image/png"]
    key = ("matplotlib.figure", "Figure")
    if key in png.deferred_printers:
        return False
    figure_mod = sys.modules.get("matplotlib.figure")
    if figure_mod is not None and figure_mod.Figure in png.type_printers:
        return False
    png.for_type_by_name(*key, _figure_png)
    return True
