"""A run's report: one self-contained HTML file for policy discussion.

The file needs nothing else: CSS is inline, figures are embedded (PNG as
base64, or SVG inline), and there is no link to any outside resource, so it
can be mailed, archived or opened offline.  It reads on a phone (viewport,
fluid layout, tables that stack their cells at phone width) and prints
cleanly.

It has two parts.  The **brief** (about five printed A4 pages) gives the key
findings, each with its simulation-noise interval and its spread across the
assumptions (the range to quote); what drives them (a sensitivity analysis of
the run's own replications, :mod:`sim.analysis.sensitivity`); the main
figures; the sources, the evidence coverage and the command that reproduces
the run.  The **appendix**, a collapsed section printed only when opened,
holds the other figures, the coalition state by state, every parameter with
its evidence, the register of cited facts (each listed once, with an anchor
every citing row links to) and the recorded versions.

Every number it states comes from the stored results' summary, each outcome
over its own denominator named in words, with the label declared in
:mod:`sim.model.outcomes`; every parameter is shown with the facts it cites
or the assumption behind it.  :func:`render_comparison_report` does the same
for a comparison of scenarios, with their paired differences.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import re
import shlex
from pathlib import Path
from typing import Iterable

from . import __version__
from .figures import labels as L
from .model.outcomes import BY_NAME
from .results import RunResult

#: Captions of the run figures, by file name.
CAPTIONS = {
    "force_distribution": "How large the force in Ukraine gets, given a ceasefire, against the minimum "
                          "effective and target sizes.",
    "troops_by_state": "Expected troops by state, with 95% simulation-noise intervals, and which contributions "
                       "depend on a US backstop or a parliamentary vote.",
    "outcome_funnel": "From ceasefire to activation: each stage as a share of the one before it, with its "
                      "denominator.",
    "timeline": "Month by month: ceasefire, guarantee in force, deployment, violations, activation and "
                "collapse; Russia's actions each month.",
    "survival": "How long the ceasefire holds, and how long until the first violation (Kaplan–Meier).",
    "timeline_fan": "Month by month across the assumptions: the ceasefire reached, violated and collapsed so far, "
                    "as bands over the draws of the uncertain parameters (90% of the draws: the range to quote).",
}

#: The figures of the brief, in reading order; the other run figures go to the appendix.
BRIEF_FIGURES = ("outcome_funnel", "timeline_fan", "force_distribution")

#: Outcomes stated among the key findings, in this order: the key declarations with the context
#: that explains them (whether a guarantee was in force, how soon violations come).
FINDINGS = ("ceasefire", "guarantee_in_force", "force_ge_minimum", "force_in_ukraine", "violation",
            "violation_within_12", "violations_per_year", "attributed", "no_guarantee", "activated", "collapsed")


def esc(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


# --------------------------------------------------------------------------- findings


def finding(e, extra: str = "") -> str:
    """One outcome as a sentence: its declared label, its estimate over its denominator in words with
    its simulation-noise interval, ``extra`` (more about the estimate), and, when the run computed it,
    the spread across the assumptions, said to be the range to quote."""
    if e.n == 0:
        return f"{e.label}: not measurable in this run — there are no {e.denominator_label}."
    spread = L.spread_phrase(e)
    return f"{e.label}: {L.estimate_phrase(e)}{extra}" + (f"; {spread}." if spread else ".")


def findings(result: RunResult) -> list[str]:
    """The key findings as plain sentences: each outcome with its 95% simulation-noise interval, the
    replications it is a share (or mean, or rate) of, and its 90% spread across the assumptions."""
    s = result.summary
    sc = result.scenario
    th = sc.thresholds
    horizon = sc.run.horizon_months
    out = []
    for name in FINDINGS:
        e = s[name]
        if name == "ceasefire" and sc.ceasefire.assumed_month is not None:
            out.append(f"A ceasefire is assumed from month {sc.ceasefire.assumed_month} in every replication; "
                       "everything below is conditional on it.")
            continue
        extra = ""
        if name == "ceasefire":
            extra = f", within the {horizon} months simulated"
        elif name == "force_ge_minimum":
            extra = (f" (the minimum effective size is {L.troops(th.minimum_effective_force)} troops, the target "
                     f"{L.troops(th.target_force)})")
        elif name == "force_in_ukraine" and e.n:
            q = e.quantiles
            extra = (f"; median {L.troops(q['q50'])}, half of these replications between {L.troops(q['q25'])} "
                     f"and {L.troops(q['q75'])}, 90% between {L.troops(q['q05'])} and {L.troops(q['q95'])}")
        out.append(finding(e, extra))
    held = s.survival.get("collapsed")
    if held is not None and held.n:
        end = held.months[-1]
        out.append(f"Kaplan–Meier: the ceasefire has not collapsed {end} months after it began in "
                   f"{L.share_with_interval(held.survival[-1], held.low[-1], held.high[-1])} of the "
                   f"{held.n:,} replications with a ceasefire (a ceasefire that ends at the horizon is censored).")
    levels = [(k, v) for k, v in s.us_backstop.items() if v > 0]
    if levels:
        order = {name: i for i, name in enumerate(L.LEVELS)}
        levels.sort(key=lambda kv: order.get(kv[0], 99))
        out.append("The US backstop realised is " + _join([f"{k} in {L.pct(v)}" for k, v in levels])
                   + " of all replications.")
    names = {st.id: st for st in sc.states}
    top = [r for r in s.top_contributors if r.expected_troops > 0][:3]
    if top:
        parts = []
        for r in top:
            st = names.get(r.state)
            where = ", next to Ukraine" if st is not None and st.troops.deployment == "nearby" else ""
            parts.append(f"{st.name if st else r.state} ({L.troops(r.expected_troops)} troops{where}, "
                         f"{L.NOISE_INTERVAL} {L.troops(r.expected_troops_low)}–{L.troops(r.expected_troops_high)})")
        out.append("The largest expected contributions (means over all replications) come from "
                   + _join(parts) + ".")
    cost = s["cost_usd_bn"]
    if cost.n and not L.is_missing(cost.mean):
        out.append(finding(cost))
    return out


def spread_design(result: RunResult) -> dict | None:
    """The run's two-level design behind the assumption spread (``points``, ``inner``), or None."""
    if result.spread is None or not len(result.spread):
        return None
    return {"points": len(result.spread), "inner": result.spread_inner}


def intervals_note(result: RunResult) -> str:
    """What the two ranges of every finding are, in plain words, and which to quote."""
    spread = any(L.has_spread(e) for e in result.summary.outcomes.values())
    noise = (f"Each number is over the replications named after it (its denominator). The {L.NOISE_INTERVAL} "
             "says how far the estimate could still move if the same scenario were run with more replications "
             "(Wilson for shares, a ratio estimator for rates, the normal approximation for means); it says "
             "nothing about doubts over the scenario's assumptions.")
    if not spread:
        return noise + (" The spread across those assumptions was not computed for this run (run it with "
                        "--spread-points K), so the numbers below understate the real uncertainty.")
    design = spread_design(result)
    how = (f" ({design['points']} draws of the uncertain parameters, {design['inner']:,} replications each, "
           "each draw's own noise removed)") if design and design.get("inner") else ""
    return noise + (f" The {L.ASSUMPTION_SPREAD} is the range of answers the scenario's own doubts allow: the "
                    f"5th to 95th percentile across draws of its uncertain parameters{how}. It is the range to "
                    "quote.")


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# --------------------------------------------------------------------------- figures


def _png_uri(fig) -> str:
    """A figure as a data: URI of a PNG, drawn in memory."""
    from .figures.style import house_style

    buf = io.BytesIO()
    with house_style():
        fig.savefig(buf, format="png", dpi=150, facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _render_run_figures(result: RunResult) -> dict[str, str]:
    """The run figures as data: URIs of PNGs, drawn in memory (the fan chart when the run has its
    two-level design)."""
    from .figures.run import figures_for

    return {name: _png_uri(draw(result)) for name, draw in figures_for(result).items()}


def _img_figure(uri: str, caption: str, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return (f'<figure{klass}><div class="figscroll"><img src="{uri}" alt="{esc(caption)}"></div>'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


_SVG_STRIP = (
    re.compile(r"<\?xml.*?\?>", re.S),
    re.compile(r"<!DOCTYPE.*?>", re.S),
    re.compile(r"<metadata>.*?</metadata>", re.S),
)


def _inline_svg(text: str) -> str:
    """An SVG file's markup for inlining: no prolog, doctype or metadata (which name outside URLs)."""
    for pattern in _SVG_STRIP:
        text = pattern.sub("", text)
    return text.strip()


def _figure_html(name: str, path: Path, caption: str | None = None) -> str:
    path = Path(path)
    caption = caption or CAPTIONS.get(name, name.replace("_", " "))
    if path.suffix.lower() == ".svg" and path.with_suffix(".png").is_file():
        path = path.with_suffix(".png")  # PNGs scale predictably on phones
    if path.suffix.lower() == ".png":
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        body = f'<div class="figscroll"><img src="data:image/png;base64,{data}" alt="{esc(caption)}"></div>'
    elif path.suffix.lower() == ".svg":
        body = (f'<div class="figscroll"><div class="svg" role="img" aria-label="{esc(caption)}">'
                f'{_inline_svg(path.read_text(encoding="utf-8"))}</div></div>')
    else:
        raise ValueError(f"figure {name!r}: expected a .png or .svg file, found {path}")
    return f"<figure>{body}<figcaption>{esc(caption)}</figcaption></figure>"


def _figure_items(result: RunResult, figures: dict[str, Path] | None) -> dict[str, str]:
    """Each figure's ``<figure>`` markup by name: the given files, or the run figures drawn now."""
    if figures is None:
        return {name: _img_figure(uri, CAPTIONS.get(name, name.replace("_", " ")))
                for name, uri in _render_run_figures(result).items()}
    return {name: _figure_html(name, path) for name, path in figures.items()}


def _figures_section(items: dict[str, str]) -> str:
    """The brief's figures (:data:`BRIEF_FIGURES`, those present)."""
    shown = [items[name] for name in BRIEF_FIGURES if name in items]
    if not shown:
        return ""
    return ('<section id="figures"><h2>Figures</h2><p class="muted small">More figures (troops by state, the '
            'month-by-month timeline, survival curves) are in the <a href="#appendix">appendix</a>.</p>'
            + "".join(shown) + "</section>")


# --------------------------------------------------------------------------- what drives these numbers

#: Drivers named per key outcome in the brief.
TOP_DRIVERS = 3


def driver_analysis(result: RunResult):
    """The sensitivity of the key outcomes to the run's uncertain inputs, from its stored
    replications (:func:`sim.analysis.sensitivity.given_data`, with the two-level design's noise
    when the run has one); returns ``(Sensitivity, "")`` or ``(None, why not)``."""
    inputs = result.inputs
    if inputs is None or inputs.drop(columns=["replication"], errors="ignore").empty:
        return None, ("this run stored no uncertain inputs (inputs.parquet), so nothing can be attributed to them"
                      if inputs is None else "the scenario declares no uncertain parameter: every input is fixed")
    if len(inputs) != len(result.runs):
        return None, "the stored inputs do not match the stored replications row for row"
    try:
        from .analysis import MissingExtra
        from .analysis.sensitivity import given_data
    except ImportError as exc:  # pragma: no cover - the analysis room ships with the package
        return None, str(exc)
    names = {st.id: st.name for st in result.scenario.states}
    try:
        sens = given_data(inputs, result.runs, design_runs=result.spread_runs, state_names=names,
                          seed=result.seed % (2 ** 31))
    except MissingExtra as exc:
        return None, str(exc)
    except ValueError as exc:
        return None, str(exc)
    sens.about.update(scenario=result.scenario.id, seed=result.seed)
    return sens, ""


def _share(x: float) -> str:
    if L.is_missing(x) or x != x:
        return "n/a"
    return f"{100 * x:.0f}%" if abs(x) >= 0.095 else f"{100 * x:.1f}%"


def _scaled(v) -> bool:
    """Whether an outcome's shares are quoted of the variance the assumptions cause (the noise was
    measured by the two-level design and the assumptions' part is told from zero)."""
    return bool(v.get("assumptions_detected")) and v.get("noise_share") == v.get("noise_share")


def drivers(sens, name: str, top: int = TOP_DRIVERS) -> list[dict]:
    """The inputs that explain a share of an outcome's variance distinguishable from zero, largest
    first: ``input``, ``input_label``, ``description``, ``share``, ``low``, ``high`` and ``of`` (what
    the share is of, in words)."""
    from .analysis.sensitivity import primary_index

    v = sens.variance.set_index("outcome").loc[name]
    rows = sens.for_outcome(name, primary_index(sens.method))
    rows = rows[rows["low"] > 0].head(top)
    scaled = _scaled(v) and "of_assumptions" in rows and rows["of_assumptions"].notna().all()
    out = []
    for _, r in rows.iterrows():
        key = "of_assumptions" if scaled else "estimate"
        out.append({
            "input": r["input"], "input_label": r["input_label"], "description": r.get("description", ""),
            "share": float(r[key]), "low": float(r[f"{key}_low" if scaled else "low"]),
            "high": float(r[f"{key}_high" if scaled else "high"]),
            "of": "of the variance the assumptions cause" if scaled else "of its variance across replications",
        })
    return out


def _variance_words(v) -> str:
    """What an outcome's variance splits into, in words."""
    noise = v.get("noise_share")
    if noise == noise and noise is not None:
        head = (f"the replications' own chance is {_share(noise)} [{_share(v['noise_low'])}–"
                f"{_share(v['noise_high'])}] of its variance")
        if _scaled(v):
            return head + f"; the assumptions cause the other {_share(1 - noise)}"
        return head + "; the assumptions' part cannot be told from zero"
    return (f"single inputs explain {_share(v['first_order_sum'])} of its variance; noise and interactions "
            "are not told apart (no two-level design)")


def _input_cell(d: dict) -> str:
    desc = str(d.get("description") or "").strip()
    extra = ""
    if desc and desc.rstrip(".").lower() not in d["input_label"].lower():
        extra = f'<br><span class="muted small">{esc(desc)}</span>'
    return f'<strong>{esc(d["input_label"])}</strong> <code class="small">{esc(d["input"])}</code>{extra}'


def _drivers_table(sens) -> str:
    """The top drivers of each outcome that has some, a short list each under a line saying what the
    outcome's variance splits into; the outcomes with none, or not analysed, in one sentence after them.
    (Lists, not a table: a printed page breaks between their items, and they wrap at phone width.)"""
    groups, quiet = [], []
    for _, v in sens.variance.iterrows():
        note = v.get("note")
        if isinstance(note, str) and note:
            quiet.append(f"{esc(v['outcome_label'])} (not analysed: {esc(note.split(':')[0])})")
            continue
        found = drivers(sens, v["outcome"])
        if not found:
            noise = v.get("noise_share")
            quiet.append(esc(v["outcome_label"]) + (f" (own chance {_share(noise)} of its variance)"
                                                     if noise == noise and noise is not None else ""))
            continue
        items = "".join(
            f'<li><span class="input">{_input_cell(d)}</span><span class="share"><strong>{_share(d["share"])}</strong> '
            f'[{_share(d["low"])}–{_share(d["high"])}]</span></li>' for d in found)
        groups.append(
            f'<div class="driver"><p class="drv-head"><strong>{esc(v["outcome_label"])}</strong> '
            f'<span class="muted small">over the {int(v["n"]):,} {esc(v["denominator"])}: {esc(_variance_words(v))}; '
            f'each input below (its path in the scenario) with the share it explains alone, '
            f'{esc(found[0]["of"])} [95% bootstrap interval]</span></p><ul class="drivers">{items}</ul></div>')
    out = "".join(groups)
    if quiet:
        out += ("<p>No single input explains a share distinguishable from zero of: " + "; ".join(quiet)
                + ".</p>")
    return out


def tornado_outcome(sens) -> str | None:
    """The outcome whose tornado the brief shows: of those with a driver told from zero, the one whose
    variance the assumptions cause most (or, without a measured noise, the one single inputs explain most)."""
    best, score = None, -1.0
    for _, v in sens.variance.iterrows():
        if isinstance(v.get("note"), str) and v["note"] or not drivers(sens, v["outcome"], 1):
            continue
        noise = v.get("noise_share")
        value = (1 - noise) if _scaled(v) else float(v["first_order_sum"])
        if value == value and value > score:
            best, score = v["outcome"], value
    return best


def _drivers_section(result: RunResult, sens, why_not: str, differences_html: str = "") -> str:
    parts = ['<section id="drivers"><h2>What drives these numbers</h2>']
    if sens is None:
        parts.append(f'<p class="warn">No analysis of what drives the outcomes: {esc(why_not)}.</p>')
    else:
        from .figures.sensitivity import tornado

        design = spread_design(result)
        parts.append(
            f"<p>Which uncertain assumptions move each key outcome, from the run's own {result.replications:,} "
            "replications: the share of the outcome's variance each input explains on its own (a first-order "
            "index, SALib's RBD-FAST on given data, with a 95% bootstrap interval)"
            + ("; the replications' own chance was measured apart by the two-level design. " if design else ". ")
            + f"Named: at most {TOP_DRIVERS} inputs per outcome whose bootstrap interval excludes zero; "
            "<code>python -m sim sensitivity</code> gives them all.</p>")
        parts.append(_drivers_table(sens))
        name = tornado_outcome(sens)
        if name is not None:
            label = BY_NAME[name].label if name in BY_NAME else name
            caption = (f"What drives “{label}”: the inputs that explain most of its variance, each with its 95% "
                       "bootstrap interval (pale: the interval includes zero).")
            parts.append(_img_figure(_png_uri(tornado(sens, name, top=8)), caption, "tornado"))
    parts.append(differences_html)
    parts.append("</section>")
    return "".join(parts)


# --------------------------------------------------------------------------- evidence


def fact_anchor(fid: str) -> str:
    """The HTML id of a fact's entry in the appendix's register (``fact-<id>``)."""
    return "fact-" + re.sub(r"[^A-Za-z0-9_.-]", "-", str(fid))


def _fact_item(fid: str, evidence: dict) -> str:
    """A fact's one entry in the register: id (the anchor), claim, any numbers, its source."""
    anchor = f'id="{esc(fact_anchor(fid))}"'
    fact = evidence.get("facts", {}).get(fid)
    if fact is None:
        return (f'<li {anchor}><span class="fid">{esc(fid)}</span> '
                '<span class="muted">(not in the register)</span></li>')
    src = evidence.get("sources", {}).get(fact.get("source"), {})
    when = L.date_words(src.get("date")) + (" (approximate)" if src.get("date_approximate") else "")
    quantity = fact.get("quantity")
    qtext = ""
    if quantity:
        if quantity.get("value") is not None:
            qtext = f"{quantity['value']:,g} {quantity.get('unit', '')}"
        else:
            qtext = f"{quantity.get('low', 0):,g}–{quantity.get('high', 0):,g} {quantity.get('unit', '')}"
        qtext = f' <span class="qty">[{esc(qtext.strip())}]</span>'
    source = ", ".join(x for x in (src.get("outlet", fact.get("source")), when) if x)
    return (f'<li {anchor}><span class="fid">{esc(fid)}</span>: {esc(fact.get("claim"))}{qtext} '
            f'<span class="src">— {esc(source)}</span></li>')


def _cited_facts(result: RunResult) -> list[str]:
    """Every fact id the scenario's parameters and states cite, each once, in id order."""
    ev = result.evidence or {}
    ids = {f for r in ev.get("parameters", []) for f in r.get("facts", [])}
    ids |= {f for st in ev.get("states", []) for f in st.get("facts", [])}
    return sorted(ids)


def _facts_section(result: RunResult) -> str:
    """The register of cited facts: each listed once with its claim and source; rows link here."""
    if result.evidence is None:
        return ""
    ids = _cited_facts(result)
    items = "".join(_fact_item(f, result.evidence) for f in ids)
    return ('<section id="facts"><h3>Facts cited</h3>'
            f"<p>The {len(ids)} facts from the register that this scenario cites, each once, in our own words "
            "with its source; every row above that cites one links here.</p>"
            f'<ul class="facts register">{items}</ul></section>')


def _fact_links(facts: Iterable[str]) -> str:
    return ", ".join(f'<a class="fid" href="#{esc(fact_anchor(f))}">{esc(f)}</a>' for f in facts)


def _evidence_cell(facts: Iterable[str], assumption: str | None, evidence: dict) -> str:
    """The evidence behind a number: links to the facts it cites (listed once in the register) and
    the reasoning or assumption."""
    parts = []
    facts = list(facts)
    if facts:
        parts.append(f'<p class="cites">Facts: {_fact_links(facts)}</p>')
    if assumption:
        # With facts it is the step from the facts to the number; alone it is the whole basis.
        tag = "Reasoning" if facts else "Assumption"
        parts.append(f'<p class="assumption"><span class="tag">{tag}</span> {esc(assumption)}</p>')
    if not parts:
        parts.append('<span class="muted">schema default (documented modelling constant)</span>')
    return "".join(parts)


def _group_key(name: str) -> str:
    m = re.match(r"(states\[\d+\])", name)
    return m.group(1) if m else name.split(".")[0]


def _parameter_rows(rows: list[dict], evidence: dict, state_names: dict[str, str], explicit: bool) -> str:
    """Table rows grouped by block; consecutive rows with the same evidence share one cell."""
    out = []
    group = None
    i = 0
    while i < len(rows):
        key = _group_key(rows[i]["parameter"])
        if key != group:
            group = key
            label = state_names.get(key, key)
            out.append(f'<tr class="group"><th colspan="3">{esc(label)}</th></tr>')
        j = i + 1
        same = (tuple(rows[i]["facts"]), rows[i]["assumption"])
        while j < len(rows) and _group_key(rows[j]["parameter"]) == key and \
                (tuple(rows[j]["facts"]), rows[j]["assumption"]) == same:
            j += 1
        cell = _evidence_cell(rows[i]["facts"], rows[i]["assumption"], evidence)
        for k in range(i, j):
            r = rows[k]
            cls = ' class="explicit"' if explicit else ""
            ev = f'<td rowspan="{j - i}" class="ev" data-label="Evidence">{cell}</td>' if k == i else ""
            out.append(f"<tr{cls}><td data-label=\"Parameter\"><code class=\"name\">{esc(r['parameter'])}</code></td>"
                       f"<td data-label=\"Value\"><code>{esc(r['value'])}</code></td>{ev}</tr>")
        i = j
    return "".join(out)


def _parameters_without_evidence(result: RunResult) -> list[dict]:
    from .evidence import parameters

    return [{"parameter": p.name, "value": p.describe(), "explicit": p.explicit,
             "facts": list(p.facts), "assumption": p.assumption} for p in parameters(result.scenario)]


def _assumptions_section(result: RunResult) -> str:
    ev = result.evidence
    state_names = {f"states[{i}]": f"{s.name} ({s.id}) — states[{i}]" for i, s in enumerate(result.scenario.states)}
    head = ('<thead><tr><th scope="col">Parameter</th><th scope="col">Value or distribution</th>'
            '<th scope="col">Facts cited, or the assumption behind it</th></tr></thead>')
    if ev is None:
        rows = _parameters_without_evidence(result)
        note = ('<p class="warn">Evidence unavailable: this result was run from a bare scenario, without '
                "the fact register, so the facts and assumptions behind each number cannot be shown. Run "
                "it from its scenario file to get them.</p>")
        ev = {}
    else:
        rows = ev.get("parameters", [])
        note = ""
    explicit = [r for r in rows if r.get("explicit")]
    defaults = [r for r in rows if not r.get("explicit")]
    parts = ['<section id="assumptions"><h3>Assumptions and their evidence</h3>', note,
             f"<p>The {len(explicit)} parameters set in the scenario file (marked with a blue edge), each with the "
             "facts it cites (linked to the list of facts below) or the reason for its assumption. A value may be "
             "a distribution: it is then drawn anew in every replication.</p>"]
    if explicit:
        parts.append('<div class="scroll"><table class="params stack">' + head + "<tbody>"
                     + _parameter_rows(explicit, ev, state_names, True) + "</tbody></table></div>")
    if defaults:
        parts.append(f"<details><summary>{len(defaults)} parameters left at their documented defaults</summary>"
                     '<div class="scroll"><table class="params stack">' + head + "<tbody>"
                     + _parameter_rows(defaults, ev, state_names, False) + "</tbody></table></div></details>")
    parts.append("</section>")
    return "".join(parts)


def _states_section(result: RunResult) -> str:
    sc = result.scenario
    ev = result.evidence
    by_row = {r.state: r.model_dump() for r in result.summary.states}
    state_ev = {s["id"]: s for s in (ev or {}).get("states", [])}
    rows = []
    # Largest expected contribution first; states sending none keep the scenario's order.
    ordered = sorted(sc.states, key=lambda st: -(by_row.get(st.id, {}).get("expected_troops") or 0.0))
    for st in ordered:
        r = by_row.get(st.id, {})
        interval = (f'{esc(L.troops(r.get("expected_troops")))}<br><span class="muted">'
                    f'{esc(L.troops(r.get("expected_troops_low")))}–{esc(L.troops(r.get("expected_troops_high")))}'
                    "</span>")
        cond = L.us_condition(st.conditions.us_backstop_at_least) or "none"
        vote = "yes" if st.parliament.vote_required else "no"
        if not (r.get("expected_troops") or 0) > 0:
            where = "none sent"
        else:
            where = "next to Ukraine" if st.troops.deployment == "nearby" else "in Ukraine"
        if ev is None:
            cell = '<span class="muted">evidence unavailable</span>'
        else:
            e = state_ev.get(st.id, {"facts": [], "assumption": None})
            cell = _evidence_cell(e.get("facts", []), e.get("assumption"), ev)
        rows.append(
            f"<tr><th scope=\"row\">{esc(st.name)} <span class=\"muted\">({esc(st.id)})</span></th>"
            f'<td class="num" data-label="Expected troops (95% simulation-noise interval)">{interval}</td>'
            f'<td class="num" data-label="Deploys">{esc(L.pct(r.get("p_deploys")))}</td>'
            f'<td class="num" data-label="Ratifies">{esc(L.pct(r.get("p_ratified")))}</td>'
            f'<td class="num" data-label="Withdraws">{esc(L.pct(r.get("p_withdrew")))}</td>'
            f'<td class="num" data-label="Responds militarily">{esc(L.pct(r.get("p_military_response")))}</td>'
            f'<td data-label="Troops go">{esc(where)}</td><td data-label="Needs US backstop">{esc(cond)}</td>'
            f'<td data-label="Vote">{vote}</td><td class="ev" data-label="Evidence">{cell}</td></tr>'
        )
    head = ("<thead><tr><th scope=\"col\">State</th><th scope=\"col\">Expected troops (95% simulation-noise "
            "interval)</th><th scope=\"col\">Deploys</th><th scope=\"col\">Ratifies the treaty</th>"
            "<th scope=\"col\">Withdraws its mandate</th><th scope=\"col\">Responds militarily</th>"
            "<th scope=\"col\">Troops go</th><th scope=\"col\">Needs US backstop</th><th scope=\"col\">Vote</th>"
            "<th scope=\"col\">Evidence for its stance</th></tr></thead>")
    return ('<section id="states"><h3>The coalition, state by state</h3>'
            "<p>Largest expected contribution first. Expected troops are means over all replications; "
            "the shares (deploys, ratifies, withdraws, responds militarily to an attributed action) are "
            "of all replications. The evidence for each state's stance links to the list of facts below.</p>"
            '<div class="scroll"><table class="states stack">' + head + "<tbody>" + "".join(rows)
            + "</tbody></table></div></section>")


def _coverage_section(result: RunResult) -> str:
    cov = (result.evidence or {}).get("coverage") or result.meta.get("coverage")
    if not cov:
        return ('<section id="coverage"><h2>Evidence coverage</h2><p class="warn">Evidence coverage is '
                "unavailable for this result.</p></section>")
    total = cov["cited"] + cov["assumed"]
    share = cov["cited"] / total if total else 0.0
    return (
        '<section id="coverage"><h2>Evidence coverage</h2>'
        f"<p>{cov['cited']} of the {total} parameters set in the scenario ({L.pct(share)}) cite facts; "
        f"{cov['assumed']} rest on labelled assumptions only; {cov['defaults']} are left at documented "
        f"defaults. {cov['facts_used']} distinct facts are cited.</p>"
        f'<div class="bar" role="img" aria-label="{esc(L.pct(share))} of set parameters cite facts">'
        f'<span style="width:{100 * share:.1f}%"></span></div>'
        '<p class="muted small noprint">Dark: parameters citing facts; light: parameters resting on an assumption.</p>'
        "</section>"
    )


def _sources_section(result: RunResult) -> str:
    sc = result.scenario
    ev = result.evidence
    if ev is None:
        ids = "".join(f"<li><code>{esc(s)}</code></li>" for s in sc.sources)
        return ('<section id="sources"><h2>Sources</h2><p class="warn">Evidence unavailable: only the source '
                "ids the scenario names are known.</p>" + (f"<ul>{ids}</ul>" if ids else "") + "</section>")
    sources = ev.get("sources", {})
    order = list(dict.fromkeys([*sc.sources, *sorted(sources)]))
    items = []
    for sid in order:
        src = sources.get(sid)
        if src is None:
            items.append(f"<li><code>{esc(sid)}</code> <span class=\"muted\">(not in the register)</span></li>")
            continue
        when = L.date_words(src.get("date")) + (" (approximate)" if src.get("date_approximate") else "")
        named = "" if sid in sc.sources else ' <span class="muted">(cited through a fact)</span>'
        items.append(
            f"<li><strong>{esc(src.get('outlet'))}</strong>, “{esc(src.get('title'))}”, {esc(when)}{named}"
            f"<span class=\"noprint\"> — <span class=\"muted\">{esc(src.get('moment'))}</span></span> "
            f"<code class=\"small\">{esc(sid)}</code></li>"
        )
    return '<section id="sources"><h2>Sources</h2><ul class="sources">' + "".join(items) + "</ul></section>"


# --------------------------------------------------------------------------- reproduce


def _scenario_file(result: RunResult) -> str:
    file = result.meta.get("scenario_file")
    if not file:
        return f"scenarios/{result.scenario.id}.yaml"
    p = Path(file)
    try:
        return str(p.relative_to(Path.cwd())) if p.is_absolute() else file
    except ValueError:
        return file


def reproduce_command(result: RunResult) -> str:
    """The command that runs this result again (the same seed, replications, design and overrides)."""
    command = (f"python -m sim run {shlex.quote(_scenario_file(result))} "
               f"--replications {result.replications} --seed {result.seed}")
    design = spread_design(result)
    if design:
        command += f" --spread-points {design['points']}"
    else:
        command += " --spread-points 0"
    for o in result.meta.get("overrides") or []:
        command += f" --set {shlex.quote(o['set'])}"
    return command


def _reproduce_section(result: RunResult) -> str:
    """The brief's part: the command, and why the seed and block size pin the numbers."""
    sc = result.scenario
    block_note = (
        f"Replications are drawn in blocks of {result.block_size}; block k uses child k of the seed, so "
        "the same seed and block size give bit-identical results on any number of workers or machines."
    )
    if result.block_size != sc.run.block_size:
        block_note += (f" This run's block size differs from the scenario's run.block_size "
                       f"({sc.run.block_size}): set run.block_size: {result.block_size} to reproduce it.")
    return ('<section id="reproduce"><h2>How to reproduce</h2>'
            f"<pre><code>{esc(reproduce_command(result))}</code></pre><p>{esc(block_note)} The scenario file's "
            'hash, the git commit and the recorded versions are in the <a href="#provenance">appendix</a>.</p>'
            "</section>")


def _provenance_section(result: RunResult, manifest: dict | None) -> str:
    """The appendix's part: seed, sizes, file hash, commit, timing and the recorded versions."""
    from .results.storage import versions as current_versions

    manifest = manifest or {}
    sc = result.scenario
    recorded = manifest.get("versions") or result.meta.get("versions")
    if recorded:
        vnote = "Versions recorded with the run:"
        vers = recorded
    else:
        vnote = "Versions were not recorded with this result; the report was written with:"
        vers = current_versions()
    vrows = "".join(f"<tr><th scope=\"row\">{esc(k)}</th><td><code>{esc(v)}</code></td></tr>" for k, v in vers.items())
    facts = [
        ("Seed", result.seed),
        ("Replications", f"{result.replications:,}"),
        ("Block size", result.block_size),
        ("Horizon", f"{sc.run.horizon_months} months"),
        ("Scenario file", result.meta.get("scenario_file") or manifest.get("scenario_file")),
        ("Scenario file SHA-256", result.meta.get("scenario_sha256") or manifest.get("scenario_sha256")),
        ("Git commit", manifest.get("git_commit") or result.meta.get("git_commit")),
        ("Run created", manifest.get("created")),
        ("Run time", f"{result.meta['timing']['seconds']:.2f} s" if result.meta.get("timing") else None),
        ("sim version of this report", __version__),
    ]
    frows = "".join(f"<tr><th scope=\"row\">{esc(k)}</th><td><code>{esc(v)}</code></td></tr>"
                    for k, v in facts if v not in (None, ""))
    return (
        '<section id="provenance"><h3>Provenance and versions</h3>'
        f'<div class="scroll"><table class="kv"><tbody>{frows}</tbody></table></div>'
        f"<p>{esc(vnote)}</p>"
        f'<div class="scroll"><table class="kv"><tbody>{vrows}</tbody></table></div></section>'
    )


# --------------------------------------------------------------------------- page

CSS = """
:root{--ink:#1f1f1f;--muted:#5a5a5a;--line:#d9d9d9;--accent:#0072B2;--soft:#f3f6f9;--warn:#D55E00}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;color:var(--ink);background:#fff;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif}
main{max-width:62rem;margin:0 auto;padding:1rem 1rem 3rem}
h1{font-size:1.7rem;line-height:1.25;margin:.6rem 0 .3rem}
h2,.h2{font-size:1.25rem;margin:2.2rem 0 .6rem;padding-bottom:.2rem;border-bottom:2px solid var(--accent)}
h3{font-size:1.08rem;margin:1.8rem 0 .5rem}
a{color:var(--accent)}
p,li{max-width:48rem}
.meta{color:var(--muted);margin:.2rem 0 1rem}
.muted{color:var(--muted)}
.small{font-size:.85em}
.lede{font-size:1.05rem}
.findings{background:var(--soft);border-left:4px solid var(--accent);padding:.8rem 1rem .8rem 2.2rem;margin:0}
.findings li{margin:.35rem 0}
figure{margin:1.6rem 0}
figure img,.svg svg{display:block;max-width:100%;height:auto;border:1px solid var(--line)}
figcaption{color:var(--muted);font-size:.9rem;margin-top:.3rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.6rem 0}
table{border-collapse:collapse;width:100%;font-size:.88rem}
table.params,table.states{min-width:44rem}
th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid var(--line)}
thead th{background:var(--soft);font-weight:600}
tr.group th{background:#fff;padding-top:1rem;font-size:.95rem;color:var(--accent);border-bottom:1px solid var(--accent)}
tr.explicit td:first-child{border-left:4px solid var(--accent)}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.ev{min-width:18rem}
code{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.85em;overflow-wrap:anywhere}
code.name{overflow-wrap:normal;white-space:nowrap}
.figscroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
pre{background:var(--soft);padding:.7rem;overflow-x:auto;border-radius:4px}
ul.facts{margin:0;padding-left:1.1rem}
ul.facts li{margin:.15rem 0}
ul.register li{margin:.35rem 0;scroll-margin-top:1rem}
ul.register li:target{background:#fff3c4}
.cites{margin:.1rem 0}
ul.drivers{list-style:none;padding:0;margin:.2rem 0 .9rem;max-width:none}
ul.drivers li{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.2rem 1rem;max-width:none;margin:0;padding:.3rem 0;border-bottom:1px solid var(--line);font-size:.92rem}
ul.drivers .share{white-space:nowrap;margin-left:auto}
.drv-head{margin:.8rem 0 .2rem}
.quote{color:#8A5A00}
.warn-inline{color:var(--warn)}
table.compare td{min-width:8rem}
details.appendix{margin:2.4rem 0 0}
details.appendix>summary{list-style-position:outside}
details.appendix>summary .h2{display:inline;border:0;margin:0}
.fid{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.8em;color:var(--muted)}
.src{color:var(--muted);font-style:italic}
.qty{white-space:nowrap}
.assumption{margin:.2rem 0}
.tag{display:inline-block;font-size:.72rem;font-weight:600;text-transform:uppercase;letter-spacing:.03em;color:#fff;background:#6e6e6e;border-radius:3px;padding:0 .3rem;margin-right:.3rem}
.warn{border-left:4px solid var(--warn);padding:.4rem .8rem;background:#fdf1ea}
.bar{height:.9rem;background:#cfe3f1;border-radius:3px;max-width:30rem;overflow:hidden}
.bar span{display:block;height:100%;background:var(--accent)}
ul.sources li{margin:.35rem 0;font-size:.92rem}
details{margin:.8rem 0}
summary{cursor:pointer;font-weight:600}
table.kv{width:auto}
footer{color:var(--muted);font-size:.85rem;margin-top:3rem;border-top:1px solid var(--line);padding-top:.6rem}
@media (max-width:40rem){body{font-size:15px}h1{font-size:1.35rem}main{padding:.6rem .7rem 2rem}.findings{padding-left:1.6rem}
  .figscroll img,.figscroll svg{min-width:40rem}figcaption::after{content:" (Scroll sideways to see the whole figure.)"}
  /* Tables stack at phone width: one block per row, each cell with its column's name. */
  table.stack{min-width:0}
  table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
  table.stack,table.stack tbody,table.stack tr,table.stack td,table.stack th{display:block;width:auto}
  table.stack tr{border-bottom:1px solid var(--line);padding:.35rem 0}
  table.stack td,table.stack th{border:0;padding:.12rem 0;min-width:0}
  table.stack td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:var(--muted)}
  table.stack td.num{text-align:left;white-space:normal}
  table.stack tr.explicit td:first-child{border-left:0}
  table.stack tr.explicit{border-left:4px solid var(--accent);padding-left:.4rem}
  code.name{white-space:normal;overflow-wrap:anywhere}
  td.ev{min-width:0}}
@media print{
  body{font-size:10pt}
  main{max-width:none;padding:0}
  h2{break-after:avoid}
  figure,tr,li{break-inside:avoid}
  .scroll,.figscroll{overflow:visible}
  .figscroll img,.figscroll svg{min-width:0}
  table.params,table.states{min-width:0}
  .findings{background:none}
  thead{display:table-header-group}
  @page{size:A4;margin:14mm 13mm}
  figure{margin:.8rem 0}
  figure img{max-height:7.4cm;width:auto;margin:0 auto}
  .noprint{display:none}
  pre{white-space:pre-wrap;overflow-wrap:anywhere;overflow:visible}
  footer{margin-top:1rem;padding-top:.3rem}
  figure.tornado img{max-height:6.6cm}
  .findings li{margin:.2rem 0}
  .drv-head{break-after:avoid}
  figcaption{margin-top:.1rem}
  h2{margin:1.2rem 0 .4rem}
  /* A closed appendix is not printed: printing gives the brief; open the appendix to print it too. */
  details.appendix:not([open]){display:none}
  a{color:inherit;text-decoration:none}
}
"""

#: A link into the collapsed appendix opens it (and any section around its target) first; printing
#: opens the sections nested in an open appendix, and leaves a closed appendix closed (the brief).
_SCRIPT = ("<script>function openTo(id){var t=id&&document.getElementById(decodeURIComponent(id));"
           "for(;t;t=t.parentElement){if(t.tagName==='DETAILS')t.open=true}}"
           "document.addEventListener('click',function(e){var a=e.target.closest&&e.target.closest('a[href^=\"#\"]');"
           "if(a)openTo(a.getAttribute('href').slice(1))});"
           "addEventListener('hashchange',function(){openTo(location.hash.slice(1))});openTo(location.hash.slice(1));"
           "addEventListener('beforeprint',function(){document.querySelectorAll('details[open] details')"
           ".forEach(function(d){d.open=true})})</script>")


_NO_ANALYSIS = object()


def _page(title: str, body: list[str]) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)} — sim report</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(b for b in body if b)
        + f"\n</main>\n{_SCRIPT}\n</body>\n</html>\n"
    )


def _appendix(summary: str, parts: list[str]) -> str:
    return ('<details id="appendix" class="appendix"><summary><span class="h2">Appendix</span> '
            f'<span class="muted small">{esc(summary)} (click to open; open it before printing to print '
            "it too)</span></summary>" + "".join(p for p in parts if p) + "</details>")


def render_report(result: RunResult, figures: dict[str, Path] | None = None, *,
                  manifest: dict | None = None, sensitivity=_NO_ANALYSIS) -> str:
    """The report as an HTML string (see :func:`write_report`)."""
    manifest = manifest or result.meta.get("manifest")
    sc = result.scenario
    title = sc.title or sc.id
    as_of = L.date_words(sc.as_of)
    meta_line = " · ".join(x for x in (
        f"scenario {sc.id}", f"as of {as_of}" if as_of else "", f"{result.replications:,} replications",
        f"seed {result.seed}", f"horizon {sc.run.horizon_months} months") if x)
    items = "".join(f"<li>{esc(s)}</li>" for s in findings(result))
    if sensitivity is _NO_ANALYSIS:
        sens, why_not = driver_analysis(result)
    else:
        sens, why_not = sensitivity, "not computed for this report"
    figs = _figure_items(result, figures)
    written = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    more = "".join(html for name, html in figs.items() if name not in BRIEF_FIGURES)
    body = [
        "<header>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">{esc(meta_line)}</p>',
        f'<p class="lede">{esc(sc.description)}</p>' if sc.description else "",
        "</header>",
        '<section id="findings"><h2>Key findings</h2>'
        f'<p class="muted small">{esc(intervals_note(result))}</p>'
        f'<ul class="findings">{items}</ul></section>',
        _figures_section(figs),
        _drivers_section(result, sens, why_not),
        _sources_section(result),
        _coverage_section(result),
        _reproduce_section(result),
        _appendix("more figures, the coalition state by state, every parameter with its evidence, the facts "
                  "cited, provenance and versions", [
                      f'<section id="more-figures"><h3>More figures</h3>{more}</section>' if more else "",
                      _states_section(result),
                      _assumptions_section(result),
                      _facts_section(result),
                      _provenance_section(result, manifest),
                  ]),
        f"<footer>Written by sim {esc(__version__)} on {esc(written)} from the stored results of scenario "
        f"{esc(sc.id)}.</footer>",
    ]
    return _page(title, body)


def write_report(result: RunResult, path: str | Path, figures: dict[str, Path] | None = None, *,
                 manifest: dict | None = None, sensitivity=_NO_ANALYSIS) -> Path:
    """Write one self-contained HTML report of a run to ``path``; return the file's path.

    ``figures`` maps names to PNG or SVG files to embed (e.g. from
    :func:`sim.figures.save_run_figures`); when None the run figures are
    drawn in memory.  ``manifest`` (the results folder's ``manifest.json``)
    supplies recorded versions, the git commit and the run's date.
    ``sensitivity``: a :class:`sim.analysis.sensitivity.Sensitivity` of this
    run for "What drives these numbers" (None: leave the analysis out); by
    default it is computed from the run's stored inputs.  If ``path`` is a
    directory the report is written to ``report.html`` in it.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_report(result, figures, manifest=manifest, sensitivity=sensitivity)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


# --------------------------------------------------------------------------- a comparison of scenarios


def _over(denominator: str) -> str:
    """``over the replications with a ceasefire``, ``over all replications``."""
    return f"over {denominator}" if denominator.startswith("all ") else f"over the {denominator}"


def _cell(e, result: RunResult) -> str:
    """One scenario's estimate of one outcome: the estimate with its noise interval, the spread to
    quote, and what it is over."""
    from .results.compare import assumed

    if assumed(e.outcome, result.scenario):
        return f'{esc(L.number(e.value, e.outcome.unit))} <span class="muted">(assumed)</span>'
    if e.n == 0:
        return f'<span class="muted">n/a: no {esc(e.denominator_label)}</span>'
    text = L.estimate_text(e).replace(" [", ' <span class="muted">[', 1).replace("]", "]</span>", 1)
    if L.has_spread(e):
        quote = L.short_spread(e)
        text += (f'<br><span class="quote">quote {esc(quote)}</span>' if quote else
                 '<br><span class="muted small">no spread across the assumptions</span>')
    return text + f'<br><span class="muted small">over {e.n:,}</span>'


def _comparison_table(results: list[RunResult]) -> str:
    from .figures.compare import OUTCOMES as COMPARED

    head = "".join(f'<th scope="col">{esc(r.scenario.id)}</th>' for r in results)
    rows = []
    for o in COMPARED:
        cells = "".join(f'<td data-label="{esc(r.scenario.id)}">{_cell(r.summary[o.name], r)}</td>'
                        for r in results)
        rows.append(f'<tr><th scope="row">{esc(o.label)}<br><span class="muted small">{esc(_over(o.denominator_label))}'
                    f"</span></th>{cells}</tr>")
    return ('<div class="scroll"><table class="compare stack"><thead><tr><th scope="col">Outcome</th>' + head
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>")


def _differences_section(results: list[RunResult], diffs) -> str:
    """Each later scenario against the first, paired by replication, from ``differences.csv``."""
    from .model.outcomes import KEY_OUTCOMES as KEY
    from .results.compare import difference_text

    first = results[0].scenario.id
    if diffs is None or len(diffs) == 0:
        return ('<h3>What changes between the scenarios</h3><p class="warn">No paired differences are stored with '
                "this comparison (differences.csv): the scenarios did not run on the same seed, replications and "
                "block size, or the comparison was written by an older sim.</p>")
    later = [r.scenario.id for r in results[1:]]
    rows = []
    for o in KEY:
        cells = []
        for sid in later:
            d = diffs[(diffs["scenario"] == sid) & (diffs["outcome"] == o.name)]
            if d.empty:
                cells.append(f'<td data-label="{esc(sid)}"><span class="muted">n/a</span></td>')
                continue
            d = d.iloc[0]
            note = d.get("note")
            note = note if isinstance(note, str) and note else ""
            if note.startswith("assumed"):
                value = f'<span class="muted">{esc(note)}</span>'
            else:
                value = esc(difference_text(float(d["difference"]), float(d["low"]), float(d["high"]), d["unit"]))
                if note:
                    value += '<br><span class="warn-inline small">not like for like</span>'
            cells.append(f'<td data-label="{esc(sid)}">{value}</td>')
        if any("n/a</span>" not in c for c in cells):
            rows.append(f'<tr><th scope="row">{esc(o.label)}</th>{"".join(cells)}</tr>')
    head = "".join(f'<th scope="col">{esc(sid)} minus {esc(first)}</th>' for sid in later)
    unlike = sorted({n for n in diffs.get("note", []) if isinstance(n, str) and n and not n.startswith("assumed")})
    return ("<h3>What changes between the scenarios</h3>"
            f"<p>Each scenario minus the first ({esc(first)}), outcome by outcome, with the difference's "
            f"{L.NOISE_INTERVAL}. Every scenario ran on the same random numbers (common random numbers: the same "
            "seed, replications and block size), so a difference is paired replication by replication and its "
            "interval is the noise in the difference itself, much narrower than the two intervals side by side. "
            "Shares differ in percentage points. It says how the scenarios' stated assumptions change the "
            "answer, not how sure those assumptions are: for that, read each scenario's spread above.</p>"
            '<div class="scroll"><table class="diffs stack"><thead><tr><th scope="col">Outcome</th>' + head
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>"
            + (f'<p class="muted small">Not like for like: {esc("; ".join(unlike))}.</p>' if unlike else ""))


def _comparison_figures(results: list[RunResult], diffs, figures: dict[str, Path] | None) -> str:
    captions = {
        "comparison": "The key outcomes side by side, each over its own denominator, and each scenario's paired "
                      "difference against the first.",
        "comparison_trend": "The key outcomes as a trend over the scenarios' dates.",
    }
    if figures is None:
        from .figures.compare import comparison, comparison_trend

        items = [_img_figure(_png_uri(comparison(results, diffs)), captions["comparison"])]
        trend = comparison_trend(results)
        if trend is not None:
            items.append(_img_figure(_png_uri(trend), captions["comparison_trend"]))
    else:
        items = [_figure_html(name, path, captions.get(name)) for name, path in figures.items()]
    return '<section id="figures"><h2>Figures</h2>' + "".join(items) + "</section>" if items else ""


def render_comparison_report(results: list[RunResult], differences=None, figures: dict[str, Path] | None = None,
                             *, folder: str | Path | None = None) -> str:
    """A comparison of scenarios as an HTML string (see :func:`write_comparison_report`)."""
    results = list(results)
    if not results:
        raise ValueError("a comparison report needs at least one scenario")
    first = results[0]
    ids = [r.scenario.id for r in results]
    title = "Comparison: " + ", ".join(ids)
    reps = sorted({r.replications for r in results})
    meta_line = " · ".join([f"{len(results)} scenarios", f"{reps[0]:,} replications each" if len(reps) == 1 else
                            "replications " + "/".join(f"{n:,}" for n in reps), f"seed {first.seed}"])
    scenarios = "".join(
        f"<li><strong>{esc(r.scenario.id)}</strong>: {esc(r.scenario.title or '')}"
        + (f" <span class=\"muted\">(as of {esc(L.date_words(r.scenario.as_of))})</span>" if r.scenario.as_of else "")
        + "</li>" for r in results)
    spread = any(L.has_spread(e) for r in results for e in r.summary.outcomes.values())
    note = intervals_note(next((r for r in results if r.spread is not None), first))
    from .results.compare import unlike_warning

    warning = unlike_warning(results)
    where = f"{folder}/<scenario id>" if folder else "<comparison folder>/<scenario id>"
    command = "python -m sim compare " + " ".join(shlex.quote(_scenario_file(r)) for r in results) + \
        f" --replications {first.replications} --seed {first.seed}"
    design = spread_design(first)
    command += f" --spread-points {design['points']}" if design else " --spread-points 0"
    written = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sources: dict = {}
    for r in results:
        for sid, src in ((r.evidence or {}).get("sources") or {}).items():
            sources.setdefault(sid, src)
    source_items = "".join(
        f"<li><strong>{esc(src.get('outlet'))}</strong>, “{esc(src.get('title'))}”, "
        f"{esc(L.date_words(src.get('date')))} <code class=\"small\">{esc(sid)}</code></li>"
        for sid, src in sorted(sources.items(), key=lambda kv: str(kv[1].get("date") or "")))
    per_scenario = "".join(
        f'<section id="scenario-{esc(r.scenario.id)}"><h3>{esc(r.scenario.title or r.scenario.id)}</h3>'
        f"<p>{esc(r.scenario.description or '')}</p>"
        f"<p class=\"muted small\">Its own report, with what drives its numbers and every assumption with its "
        f"evidence: <code>python -m sim report {esc(where.replace('<scenario id>', r.scenario.id))}</code></p>"
        "</section>" for r in results)
    body = [
        "<header>", f"<h1>{esc(title)}</h1>", f'<p class="meta">{esc(meta_line)}</p>',
        f'<ul class="lede">{scenarios}</ul>', "</header>",
        '<section id="findings"><h2>Key findings</h2>'
        f'<p class="muted small">{esc(note)}</p>'
        + (f'<p class="warn">{esc(warning)}</p>' if warning else "")
        + "<p>Each cell: the estimate [its " + L.NOISE_INTERVAL + "]"
        + (f"; below it, after “quote”, the {L.ASSUMPTION_SPREAD}: the range to quote" if spread else "")
        + "; and the count of replications it is over.</p>" + _comparison_table(results) + "</section>",
        '<section id="drivers"><h2>What drives these numbers</h2>' + _differences_section(results, differences)
        + "</section>",
        _comparison_figures(results, differences, figures),
        f'<section id="sources"><h2>Sources</h2><ul class="sources">{source_items}</ul></section>'
        if source_items else "",
        '<section id="reproduce"><h2>How to reproduce</h2>'
        f"<pre><code>{esc(command)}</code></pre></section>",
        _appendix("each scenario in words, with the command for its own report", [per_scenario]),
        f"<footer>Written by sim {esc(__version__)} on {esc(written)} from the stored results of "
        f"{len(results)} scenarios.</footer>",
    ]
    return _page(title, body)


def write_comparison_report(results: list[RunResult], path: str | Path, differences=None,
                            figures: dict[str, Path] | None = None, *, folder: str | Path | None = None) -> Path:
    """Write one self-contained HTML report of a comparison to ``path`` (``report.html`` in it when a
    directory); return the file's path.

    ``differences``: the paired differences against the first scenario (``differences.csv`` of a
    comparison folder, :func:`sim.results.compare.differences`); ``figures`` maps names to PNG or SVG
    files to embed (drawn in memory when None); ``folder`` is the comparison folder, named in the
    commands that make each scenario's own report.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_comparison_report(results, differences, figures, folder=folder)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
