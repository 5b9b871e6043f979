"""Print the outcomes table of docs/ODD.md §9 from the declarations in sim/model/outcomes.py.

    python docs/make_outcomes_table.py           # print the markdown table
    python docs/make_outcomes_table.py --write   # replace it in docs/ODD.md, between the markers

The table is generated, never typed: one row per declared outcome, in declaration
order, with its label, kind, unit, denominator (in words) and the runs column it
is computed from.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.model.outcomes import OUTCOMES

ODD = Path(__file__).resolve().parent / "ODD.md"
START, END = "<!-- outcomes:start -->", "<!-- outcomes:end -->"


def table() -> str:
    rows = [
        "| name | label | kind | unit | denominator | column |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for o in OUTCOMES:
        name = f"**`{o.name}`**" if o.key else f"`{o.name}`"
        rows.append(f"| {name} | {o.label} | {o.kind} | {o.unit} | {o.denominator_label} | `{o.source}` |")
    return "\n".join(rows)


def write(path: Path = ODD) -> None:
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition(START)
    _, sep2, tail = rest.partition(END)
    if not (sep and sep2):
        raise SystemExit(f"{path}: markers {START} ... {END} not found")
    path.write_text(f"{head}{START}\n{table()}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write()
    else:
        print(table())
