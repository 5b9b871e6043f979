"""A run's report: one self-contained HTML file for policy discussion.

The file needs nothing else: CSS is inline, figures are embedded (PNG as
base64, or SVG inline), and there is no link to any outside resource, so it
can be mailed, archived or opened offline.  It reads on a phone (viewport,
fluid layout, wide tables scroll sideways) and prints cleanly.

Every number it states comes from the stored results' summary, each outcome
over its own denominator named in words, with the label declared in
:mod:`sim.model.outcomes`; every parameter is shown with the facts it cites
or the assumption behind it.
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
}

#: Outcomes stated among the key findings, in this order: the key declarations with the context
#: that explains them (whether a guarantee was in force, how soon violations come).
FINDINGS = ("ceasefire", "guarantee_in_force", "force_ge_minimum", "force_in_ukraine", "violation",
            "violation_within_12", "violations_per_year", "attributed", "no_guarantee", "activated", "collapsed")


def esc(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


# --------------------------------------------------------------------------- findings


def finding(e) -> str:
    """One outcome as a sentence: its declared label, its estimate over its denominator in words."""
    if e.n == 0:
        return f"{e.label}: not measurable in this run — there are no {e.denominator_label}."
    return f"{e.label}: {L.estimate_phrase(e)}."


def findings(result: RunResult) -> list[str]:
    """The key findings as plain sentences: each outcome with its 95% simulation-noise interval and
    the replications it is a share (or mean, or rate) of."""
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
        sentence = finding(e)
        if name == "ceasefire":
            sentence = sentence[:-1] + f", within the {horizon} months simulated."
        elif name == "force_ge_minimum":
            sentence = sentence[:-1] + (f"; the minimum effective size is {L.troops(th.minimum_effective_force)} "
                                        f"troops, the target {L.troops(th.target_force)}.")
        elif name == "force_in_ukraine" and e.n:
            q = e.quantiles
            sentence = sentence[:-1] + (
                f"; median {L.troops(q['q50'])}, half of these replications between {L.troops(q['q25'])} and "
                f"{L.troops(q['q75'])}, 90% between {L.troops(q['q05'])} and {L.troops(q['q95'])}.")
        out.append(sentence)
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


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# --------------------------------------------------------------------------- figures


def _render_run_figures(result: RunResult) -> dict[str, str]:
    """The run figures as data: URIs of PNGs, drawn in memory."""
    from .figures import run as figs
    from .figures.style import house_style

    out = {}
    for name in CAPTIONS:
        fig = getattr(figs, name)(result)
        buf = io.BytesIO()
        with house_style():
            fig.savefig(buf, format="png", dpi=150, facecolor="white")
        out[name] = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return out


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


def _figure_html(name: str, path: Path) -> str:
    path = Path(path)
    caption = CAPTIONS.get(name, name.replace("_", " "))
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


def _figures_section(result: RunResult, figures: dict[str, Path] | None) -> str:
    if figures is None:
        items = [
            f'<figure><div class="figscroll"><img src="{uri}" alt="{esc(CAPTIONS[name])}"></div>'
            f'<figcaption>{esc(CAPTIONS[name])}'
            "</figcaption></figure>"
            for name, uri in _render_run_figures(result).items()
        ]
    else:
        items = [_figure_html(name, path) for name, path in figures.items()]
    if not items:
        return ""
    return '<section id="figures"><h2>Figures</h2>' + "".join(items) + "</section>"


# --------------------------------------------------------------------------- evidence


def _fact_html(fid: str, evidence: dict) -> str:
    fact = evidence.get("facts", {}).get(fid)
    if fact is None:
        return f'<li><span class="fid">{esc(fid)}</span> <span class="muted">(not in the register)</span></li>'
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
    return (f'<li><span class="fid">{esc(fid)}</span>: {esc(fact.get("claim"))}{qtext} '
            f'<span class="src">— {esc(source)}</span></li>')


def _evidence_cell(facts: Iterable[str], assumption: str | None, evidence: dict) -> str:
    parts = []
    facts = list(facts)
    if facts:
        parts.append('<ul class="facts">' + "".join(_fact_html(f, evidence) for f in facts) + "</ul>")
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
            ev = f'<td rowspan="{j - i}" class="ev">{cell}</td>' if k == i else ""
            out.append(f"<tr{cls}><td><code class=\"name\">{esc(r['parameter'])}</code></td>"
                       f"<td><code>{esc(r['value'])}</code></td>{ev}</tr>")
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
    parts = ['<section id="assumptions"><h2>Assumptions and their evidence</h2>', note,
             f"<p>The {len(explicit)} parameters set in the scenario file (marked with a blue edge), each with the "
             "facts it cites from the fact register or the reason for its assumption. A value may be a "
             "distribution: it is then drawn anew in every replication.</p>"]
    if explicit:
        parts.append('<div class="scroll"><table class="params">' + head + "<tbody>"
                     + _parameter_rows(explicit, ev, state_names, True) + "</tbody></table></div>")
    if defaults:
        parts.append(f"<details><summary>{len(defaults)} parameters left at their documented defaults</summary>"
                     '<div class="scroll"><table class="params">' + head + "<tbody>"
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
            f'<td class="num">{interval}</td><td class="num">{esc(L.pct(r.get("p_deploys")))}</td>'
            f'<td class="num">{esc(L.pct(r.get("p_ratified")))}</td>'
            f'<td class="num">{esc(L.pct(r.get("p_withdrew")))}</td>'
            f'<td class="num">{esc(L.pct(r.get("p_military_response")))}</td>'
            f"<td>{esc(where)}</td><td>{esc(cond)}</td><td>{vote}</td><td class=\"ev\">{cell}</td></tr>"
        )
    head = ("<thead><tr><th scope=\"col\">State</th><th scope=\"col\">Expected troops (95% simulation-noise "
            "interval)</th><th scope=\"col\">Deploys</th><th scope=\"col\">Ratifies the treaty</th>"
            "<th scope=\"col\">Withdraws its mandate</th><th scope=\"col\">Responds militarily</th>"
            "<th scope=\"col\">Troops go</th><th scope=\"col\">Needs US backstop</th><th scope=\"col\">Vote</th>"
            "<th scope=\"col\">Evidence for its stance</th></tr></thead>")
    return ('<section id="states"><h2>The coalition, state by state</h2>'
            "<p>Largest expected contribution first. Expected troops are means over all replications; "
            "the shares (deploys, ratifies, withdraws, responds militarily to an attributed action) are "
            "of all replications.</p>"
            '<div class="scroll"><table class="states">' + head + "<tbody>" + "".join(rows)
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
        '<p class="muted small">Dark: parameters citing facts; light: parameters resting on an assumption.</p>'
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
            f"<br><span class=\"muted\">{esc(src.get('moment'))}</span> <code class=\"small\">{esc(sid)}</code></li>"
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


def _reproduce_section(result: RunResult, manifest: dict | None) -> str:
    from .results.storage import versions as current_versions

    manifest = manifest or {}
    sc = result.scenario
    command = (f"python -m sim run {shlex.quote(_scenario_file(result))} "
               f"--replications {result.replications} --seed {result.seed}")
    for o in result.meta.get("overrides") or []:
        command += f" --set {shlex.quote(o['set'])}"
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
    block_note = (
        f"Replications are drawn in blocks of {result.block_size}; block k uses child k of the seed, so "
        "the same seed and block size give bit-identical results on any number of workers or machines."
    )
    if result.block_size != sc.run.block_size:
        block_note += (f" This run's block size differs from the scenario's run.block_size "
                       f"({sc.run.block_size}): set run.block_size: {result.block_size} to reproduce it.")
    return (
        '<section id="reproduce"><h2>How to reproduce</h2>'
        f"<pre><code>{esc(command)}</code></pre><p>{esc(block_note)}</p>"
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
h2{font-size:1.25rem;margin:2.2rem 0 .6rem;padding-bottom:.2rem;border-bottom:2px solid var(--accent)}
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
.fid{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.8em;color:var(--muted)}
.src{color:var(--muted);font-style:italic}
.qty{white-space:nowrap}
.assumption{margin:.2rem 0}
.tag{display:inline-block;font-size:.72rem;font-weight:600;text-transform:uppercase;letter-spacing:.03em;color:#fff;background:#6e6e6e;border-radius:3px;padding:0 .3rem;margin-right:.3rem}
.warn{border-left:4px solid var(--warn);padding:.4rem .8rem;background:#fdf1ea}
.bar{height:.9rem;background:#cfe3f1;border-radius:3px;max-width:30rem;overflow:hidden}
.bar span{display:block;height:100%;background:var(--accent)}
ul.sources li{margin:.5rem 0}
details{margin:.8rem 0}
summary{cursor:pointer;font-weight:600}
table.kv{width:auto}
footer{color:var(--muted);font-size:.85rem;margin-top:3rem;border-top:1px solid var(--line);padding-top:.6rem}
@media (max-width:40rem){body{font-size:15px}h1{font-size:1.35rem}main{padding:.6rem .7rem 2rem}.findings{padding-left:1.6rem}
  .figscroll img,.figscroll svg{min-width:40rem}figcaption::after{content:" (Scroll sideways to see the whole figure.)"}}
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
}
"""

_PRINT_OPENS_DETAILS = ("<script>addEventListener('beforeprint',function(){"
                        "document.querySelectorAll('details').forEach(function(d){d.open=true})})</script>")


def render_report(result: RunResult, figures: dict[str, Path] | None = None, *,
                  manifest: dict | None = None) -> str:
    """The report as an HTML string (see :func:`write_report`)."""
    manifest = manifest or result.meta.get("manifest")
    sc = result.scenario
    title = sc.title or sc.id
    as_of = L.date_words(sc.as_of)
    meta_line = " · ".join(x for x in (
        f"scenario {sc.id}", f"as of {as_of}" if as_of else "", f"{result.replications:,} replications",
        f"seed {result.seed}", f"horizon {sc.run.horizon_months} months") if x)
    items = "".join(f"<li>{esc(s)}</li>" for s in findings(result))
    written = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        "<header>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">{esc(meta_line)}</p>',
        f'<p class="lede">{esc(sc.description)}</p>' if sc.description else "",
        "</header>",
        '<section id="findings"><h2>Key findings</h2>'
        "<p class=\"muted small\">Each number is over the replications named after it (its denominator). "
        "Intervals are 95% simulation-noise intervals: they cover the randomness of running a finite number "
        "of replications (Wilson for shares, a ratio estimator for rates, the normal approximation for means), "
        "not doubts about the assumptions below; the spread across those assumptions is not computed "
        "here.</p>"
        f'<ul class="findings">{items}</ul></section>',
        _figures_section(result, figures),
        _sources_section(result),
        _assumptions_section(result),
        _states_section(result),
        _coverage_section(result),
        _reproduce_section(result, manifest),
        f"<footer>Written by sim {esc(__version__)} on {esc(written)} from the stored results of scenario "
        f"{esc(sc.id)}.</footer>",
    ]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)} — sim report</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(b for b in body if b)
        + f"\n</main>\n{_PRINT_OPENS_DETAILS}\n</body>\n</html>\n"
    )


def write_report(result: RunResult, path: str | Path, figures: dict[str, Path] | None = None, *,
                 manifest: dict | None = None) -> Path:
    """Write one self-contained HTML report of a run to ``path``; return the file's path.

    ``figures`` maps names to PNG or SVG files to embed (e.g. from
    :func:`sim.figures.save_run_figures`); when None the run figures are
    drawn in memory.  ``manifest`` (the results folder's ``manifest.json``)
    supplies recorded versions, the git commit and the run's date.  If
    ``path`` is a directory the report is written to ``report.html`` in it.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_report(result, figures, manifest=manifest)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
