"""Why two scenarios differ: each group of changed parameters' share of the change in each outcome.

From the runs of :mod:`sim.experiment.explain` (A, B and the scenarios in
between, on common random numbers) this module computes, for each outcome:

* the total change ``B − A``, each estimate over its own denominator;
* each group's **effect**: its marginal effect when swapped in, averaged over
  the two orders (a two-order approximation of a Shapley attribution); the
  effects add up to the total exactly;
* each group's effect **alone** (swapped into A by itself), and the
  **interaction** ``total − Σ alone``: the part of the change that only the
  groups together make;

each with a 95% simulation-noise interval paired by replication
(:mod:`sim.results.differences`).  The changes themselves are listed with both
sides' values and evidence (fact ids and claims, or the assumption).

Folder (written atomically by ``explain``): ``explain.json`` (what was compared and
how), ``changes.csv``, ``effects.csv``, ``totals.csv``, ``steps.csv``, ``figures/``.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

from ..model.outcomes import Outcome
from ..scenario import params, schema
from ..scenario.diff import ABSENT, Change
from .compare import assumed, assumes_ceasefire, ceasefire_dependent, difference_text
from .differences import PairedRuns, parts
from .storage import write_json
from .summary import denominator

METHOD = ("two-order approximation of a Shapley attribution: each group's marginal effect swapped in "
          "A→B in a fixed order and in the reverse order, averaged; all runs on common random numbers "
          "(one seed, replications and block size)")
INTERACTION = "interaction: the total change minus the sum of every group's effect alone (swapped into A by itself)"
FORMAT = "sim.explain/1"


@dataclass
class Explanation:
    """An explain result: what changed, and each group's effect on each outcome."""

    about: dict
    changes: pd.DataFrame
    effects: pd.DataFrame
    totals: pd.DataFrame
    steps: pd.DataFrame

    def write_into(self, folder: Path) -> None:
        folder = Path(folder)
        write_json(folder / "explain.json", self.about)
        for name in ("changes", "effects", "totals", "steps"):
            getattr(self, name).to_csv(folder / f"{name}.csv", index=False)

    @classmethod
    def read(cls, folder: str | Path) -> Explanation:
        folder = Path(folder)
        about = json.loads((folder / "explain.json").read_text(encoding="utf-8"))
        frames = {name: pd.read_csv(folder / f"{name}.csv", keep_default_na=False, na_values=[""])
                  for name in ("changes", "effects", "totals", "steps")}
        return cls(about, **frames)


# --------------------------------------------------------------------------- evidence of a change


def _node(scenario: schema.Scenario, path: str) -> tuple[Any, tuple[str, ...], str | None]:
    """The value at a dotted path (states by id) and the nearest evidence on the way to it
    (its own, else its block's, as :func:`sim.evidence.parameters` inherits it)."""
    obj: Any = scenario
    facts: tuple[str, ...] = ()
    assumption: str | None = None

    def note(o):
        nonlocal facts, assumption
        if isinstance(o, params.Evidence) and (o.facts or o.assumption):
            facts, assumption = tuple(o.facts), o.assumption

    for part in path.split("."):
        if isinstance(obj, list):
            obj = next((s for s in obj if getattr(s, "id", None) == part), ABSENT)
        else:
            obj = getattr(obj, part, ABSENT)
        if obj is ABSENT:
            return ABSENT, (), None
        note(obj)
    return obj, facts, assumption


def describe(value: Any) -> str:
    """A value as the assumptions table writes it: ``beta(a=7, b=3)``, ``monitoring``, ``yes``."""
    if value is ABSENT:
        return "absent"
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, schema.State):
        return f"{value.name} ({value.id}), present"
    if isinstance(value, (schema.FixedLevel, schema.LevelChoice)):
        return schema.describe_level(value)
    if isinstance(value, (int, float, params._Dist)):
        return params.describe(value)
    if isinstance(value, list):
        if value and isinstance(value[0], BaseModel):  # e.g. elections: one item after another
            return "; ".join(describe(v) for v in value)
        return ", ".join(map(str, value)) if value else "none"
    if isinstance(value, BaseModel):
        return ", ".join(f"{k} {describe(getattr(value, k))}" for k in type(value).model_fields
                         if k not in ("facts", "assumption"))
    return str(value)


def change_table(found: list[Change], units: list[tuple[str, ...]], a: schema.Scenario, b: schema.Scenario,
                 register_a, register_b) -> pd.DataFrame:
    """One row per changed path: its group (unit), A's and B's values, and each side's evidence:
    fact ids, their claims (from the fact register), or the assumption."""
    unit_of = {g: " + ".join(u) for u in units for g in u}
    rows = []
    for c in found:
        row = {"group": unit_of.get(c.group, c.group), "path": c.path}
        for side, scenario, register in (("a", a, register_a), ("b", b, register_b)):
            value, facts, assumption = _node(scenario, c.path)
            claims = [register.facts[f].claim for f in facts if register is not None and f in register.facts]
            row.update({f"{side}_value": describe(value), f"{side}_facts": "; ".join(facts),
                        f"{side}_claims": " | ".join(claims),
                        f"{side}_assumption": "" if value is ABSENT or facts else (assumption or "")})
        rows.append(row)
    return pd.DataFrame(rows, columns=["group", "path", "a_value", "a_facts", "a_claims", "a_assumption",
                                       "b_value", "b_facts", "b_claims", "b_assumption"])


# --------------------------------------------------------------------------- effects


def explain(p, step_runs: dict, outcomes: list[Outcome], seed: int, block_size: int | None = None,
            registers=(None, None), files: tuple[str, str] | None = None) -> Explanation:
    """Effects of each unit of ``p`` (a :class:`sim.experiment.explain.Plan`) on each outcome, from
    ``step_runs`` (each step's runs on the same replications)."""
    replications = len(next(iter(step_runs.values())))
    paired = PairedRuns(replications, seed, name="explain")
    for step, runs in step_runs.items():
        for o in outcomes:
            paired.add((step, o.name), parts(o, runs))
    k = len(p.units)
    none, every = p.forward[0], p.forward[-1]
    effect_rows, total_rows = [], []
    for o in outcomes:

        def contrast(weights: dict) -> Any:
            return paired.difference({(s, o.name): w for s, w in weights.items()})

        total = contrast({every: 1.0, none: -1.0})
        alone_sum: dict = defaultdict(float)
        alone_sum[every] += 1.0
        alone_sum[none] -= 1.0
        for j, name in enumerate(p.names):
            w: dict = defaultdict(float)
            fwd = (p.forward[j + 1], p.forward[j])  # added j-th, after 0..j-1
            rev = (p.reverse[k - j], p.reverse[k - j - 1])  # added after j+1..k-1
            for s, sign in ((fwd[0], 0.5), (fwd[1], -0.5), (rev[0], 0.5), (rev[1], -0.5)):
                w[s] += sign
            effect = contrast(w)
            forward = paired.value((fwd[0], o.name)) - paired.value((fwd[1], o.name))
            reverse = paired.value((rev[0], o.name)) - paired.value((rev[1], o.name))
            alone = contrast({p.alone[j]: 1.0, none: -1.0})
            alone_sum[p.alone[j]] -= 1.0
            alone_sum[none] += 1.0
            share = effect.value / total.value if total.value and total.value == total.value else math.nan
            effect_rows.append({
                "outcome": o.name, "label": o.label, "kind": o.kind, "unit": o.unit, "group": name, "order": j + 1,
                "effect": effect.value, "low": effect.low, "high": effect.high, "share_of_total": share,
                "forward": forward, "reverse": reverse,
                "alone": alone.value, "alone_low": alone.low, "alone_high": alone.high, "method": effect.method,
            })
        interaction = contrast(alone_sum)
        total_rows.append({
            "outcome": o.name, "label": o.label, "kind": o.kind, "unit": o.unit,
            "denominator": o.denominator_label,
            "a": paired.value((none, o.name)), "a_n": int(denominator(step_runs[none], o.denominator).sum()),
            "b": paired.value((every, o.name)), "b_n": int(denominator(step_runs[every], o.denominator).sum()),
            "total": total.value, "total_low": total.low, "total_high": total.high,
            "sum_of_effects": sum(r["effect"] for r in effect_rows if r["outcome"] == o.name),
            "sum_alone": sum(r["alone"] for r in effect_rows if r["outcome"] == o.name),
            "interaction": interaction.value, "interaction_low": interaction.low,
            "interaction_high": interaction.high,
        })
    steps = []
    for step in p.steps:
        kinds = [name for name, seq in (("forward", p.forward), ("reverse", p.reverse), ("alone", p.alone))
                 if step in seq]
        row = {"step": len(steps), "orders": "; ".join(kinds), "from_b": p.label(step), "groups_from_b": len(step)}
        for o in outcomes:
            row[o.name] = paired.value((step, o.name))
        steps.append(row)
    a, b = p.a, p.b
    warning = None
    if assumes_ceasefire(a) != assumes_ceasefire(b):
        cond, other = (a, b) if assumes_ceasefire(a) else (b, a)
        dependent = [o.name for o in outcomes if ceasefire_dependent(o)]
        warning = (f"warning: {cond.id} is conditional on a ceasefire (assumed from month "
                   f"{cond.ceasefire.assumed_month}); {other.id} is not. The 'ceasefire' group's effect on "
                   f"{', '.join(dependent) or 'the ceasefire-dependent outcomes'} is the assumption itself, not "
                   "a comparison of like with like.")
    about = {
        "format": FORMAT, "a": a.id, "b": b.id, "a_title": a.title, "b_title": b.title,
        "files": list(files) if files else None, "seed": seed, "replications": replications,
        "block_size": block_size, "groups": p.names, "changed_paths": len(p.changes), "scenarios_run": len(p.steps),
        "outcomes": [o.name for o in outcomes], "method": METHOD, "interaction": INTERACTION,
        "interval": "95% simulation-noise interval, paired by replication", "warning": warning,
        "assumed_in_both": [o.name for o in outcomes if assumed(o, a) and assumed(o, b)],
    }
    changes = change_table(p.changes, p.units, a, b, *registers)
    return Explanation(about, changes, pd.DataFrame(effect_rows), pd.DataFrame(total_rows), pd.DataFrame(steps))


# --------------------------------------------------------------------------- words


def _value_text(v: float, unit: str) -> str:
    if v != v:
        return "n/a"
    if unit == "share":
        return f"{100 * v:.1f}%"
    if unit == "troops" or abs(v) >= 100:
        return f"{v:,.0f}" + ("" if unit == "troops" else f" {unit}")
    return f"{v:.2f} {unit}"


def _within_noise(row) -> bool:
    return not (row["low"] > 0 or row["high"] < 0)


def sentences(expl: Explanation, top: int = 3) -> list[str]:
    """For each outcome: the change from A to B and the groups that contribute most to it."""
    a, b = expl.about["a"], expl.about["b"]
    out = []
    for t in expl.totals.itertuples():
        rows = expl.effects[expl.effects["outcome"] == t.outcome]
        total = difference_text(t.total, t.total_low, t.total_high, t.unit)
        head = (f"{t.label}: {_value_text(t.a, t.unit)} in {a}, {_value_text(t.b, t.unit)} in {b} "
                f"({total}).")
        if t.outcome in expl.about.get("assumed_in_both", []):
            out.append(f"{t.label}: assumed in both {a} and {b}, not estimated.")
            continue
        if t.total != t.total:
            missing = " and ".join(x for x, v in ((a, t.a), (b, t.b)) if v != v)
            out.append(f"{t.label}: not defined in {missing}: no replications in its denominator "
                       f"({t.denominator}).")
            continue
        if t.total == 0:
            out.append(head + " No change at all on these replications.")
            continue
        ranked = rows.reindex(rows["effect"].abs().sort_values(ascending=False).index).head(top)
        clear = not (t.total_low <= 0 <= t.total_high)  # shares of a change within noise of zero mean nothing
        parts_ = []
        for r in ranked.to_dict(orient="records"):
            if r["effect"] == 0 and r["low"] == 0 and r["high"] == 0:
                parts_.append(f"{r['group']} none at all (the same in every replication)")
                continue
            words = difference_text(r["effect"], r["low"], r["high"], r["unit"])
            notes = [x for x in (_share_words(r["share_of_total"]) if clear else "",
                                 "within noise of zero" if _within_noise(r) else "") if x]
            parts_.append(f"{r['group']} {words}" + (f" ({'; '.join(notes)})" if notes else ""))
        inter = difference_text(t.interaction, t.interaction_low, t.interaction_high, t.unit)
        lead = "Largest contributors" if clear else "The total is within noise of zero; largest contributors"
        out.append(f"{head} {lead}: " + "; ".join(parts_)
                   + f". What only the groups together do (the interaction): {inter}.")
    return out


def format_explanation(expl: Explanation, max_paths: int = 6) -> str:
    """The terminal text: the changes by group with both sides' values and evidence, then each key
    outcome's change and the groups' effects, then the sentences."""
    about = expl.about
    lines = [f"explain {about['a']} → {about['b']}: {len(about['groups'])} groups of changed parameters "
             f"({about['changed_paths']} paths), {about['scenarios_run']} scenarios × {about['replications']:,} "
             f"replications, seed {about['seed']} (common random numbers)", ""]
    lines.append(f"What changed (value in {about['a']} → value in {about['b']}; evidence: facts cited, or the "
                 "assumption)")
    cited: dict[str, str] = {}
    for group, rows in expl.changes.groupby("group", sort=False):
        lines.append(f"  {group}")
        for r in rows.head(max_paths).to_dict(orient="records"):
            path = r["path"][len(group) + 1:] if r["path"].startswith(group + ".") else ""
            lines.append(f"    {path or '(the state)'}: {_clip(r['a_value'], 70)} → {_clip(r['b_value'], 70)}")
            evidence = {}
            for side in ("a", "b"):
                facts = r[f"{side}_facts"]
                if facts:
                    cited.update(zip(facts.split("; "), (r[f"{side}_claims"] or "").split(" | ")))
                evidence[side] = (f"facts {facts}" if facts else
                                  f"assumption: {r[f'{side}_assumption']}" if r[f"{side}_assumption"] else "")
            if evidence["a"] and evidence["a"] == evidence["b"]:
                lines.append(f"      both: {_clip(evidence['a'], 140)}")
            else:
                lines += [f"      {about[side]}: {_clip(evidence[side], 140)}" for side in ("a", "b") if evidence[side]]
        if len(rows) > max_paths:
            lines.append(f"    … and {len(rows) - max_paths} more paths (changes.csv)")
    if cited:
        lines += ["", "Facts cited above (seeds/facts.yaml)"]
        lines += [f"  {fid}: {_clip(claim, 150)}" for fid, claim in cited.items()]
    lines += ["", f"Effects: difference [{about['interval']}], share of the total change"]
    for t in expl.totals.itertuples():
        if t.outcome in about.get("assumed_in_both", []):
            lines.append(f"  {t.label}: {_value_text(t.a, t.unit)}, assumed in both (not estimated)")
            continue
        if t.total != t.total:
            missing = " and ".join(x for x, v in ((about["a"], t.a), (about["b"], t.b)) if v != v)
            lines.append(f"  {t.label}: not defined in {missing} (no {t.denominator})")
            continue
        lines.append(f"  {t.label}: {_value_text(t.a, t.unit)} → {_value_text(t.b, t.unit)}, total "
                     f"{difference_text(t.total, t.total_low, t.total_high, t.unit)}")
        rows = expl.effects[expl.effects["outcome"] == t.outcome]
        width = max(len(g) for g in rows["group"]) + 1
        texts = [difference_text(r["effect"], r["low"], r["high"], r["unit"]) for r in rows.to_dict(orient="records")]
        column = max(len(x) for x in texts)
        clear = not (t.total_low <= 0 <= t.total_high)
        for r, text in zip(rows.to_dict(orient="records"), texts):
            share = _share_words(r["share_of_total"]) if clear else ""
            lines.append(f"    {r['group'] + ':':<{width}} {text:<{column}}  {share}".rstrip())
        lines.append(f"    {'interaction:':<{width}} "
                     f"{difference_text(t.interaction, t.interaction_low, t.interaction_high, t.unit)}")
    lines += ["", f"  ({about['method']}; the effects add up to the total; {about['interaction']})", ""]
    lines.append("In words:")
    lines += [f"  {s}" for s in sentences(expl)]
    if about.get("warning"):
        lines += ["", about["warning"]]
    return "\n".join(lines)


def _share_words(share: float) -> str:
    """A group's share of the total change: ``61% of the change``; nothing when the total is ~0."""
    if share != share or abs(share) >= 10:  # a total near zero makes shares meaningless
        return ""
    return f"{abs(100 * share):.0f}% of the change" if round(100 * share) >= 0 else \
        f"{100 * share:.0f}% of the change (against it)"


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


__all__ = ["Explanation", "METHOD", "change_table", "describe", "explain", "format_explanation", "sentences"]
