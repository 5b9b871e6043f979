"""Write scenario.schema.json, the JSON Schema of scenario files that editors read.

    python schema/make_schema.py           # write schema/scenario.schema.json
    python schema/make_schema.py --check   # exit 1 when the file is not what sim generates

The file is generated, never typed: it is ``python -m sim schema`` (see
sim/scenario/json_schema.py), kept in the repository so that an editor can point
at it without running sim. Regenerate it after changing sim/scenario/schema.py or
params.py; tests/test_json_schema.py fails while it is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.scenario.json_schema import dumps, scenario_schema

TARGET = Path(__file__).resolve().parent / "scenario.schema.json"


def main(argv: list[str]) -> int:
    text = dumps(scenario_schema())
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.is_file() else ""
        if current != text:
            print(f"{TARGET} is out of date: run python schema/make_schema.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(TARGET)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
