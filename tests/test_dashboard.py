"""The dashboard: controls generated from the schema, the export, the engine, and the page itself
driven in a real browser (Debian's chromium through Playwright)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import sim
from sim.cli import main
from sim.dashboard.controls import DASHBOARD, controls, export_data, export_yaml
from sim.dashboard.engine import Engine
from sim.evidence import parameters
from sim.scenario import params, schema

from .conftest import ROOT, SCENARIOS

# --------------------------------------------------------------------------- controls from the schema


@pytest.fixture(scope="module")
def paris():
    return sim.load_scenario(SCENARIOS / "paris.yaml")


def test_controls_come_from_the_schema(paris):
    found = {c.path: c for c in controls(paris)}
    detection = found["package.monitoring.detection"]
    field = schema.Monitoring.model_fields["detection"]
    assert detection.label == field.description
    bounds = next(m for m in field.metadata if isinstance(m, params.Bounds))
    assert (detection.low, detection.high, detection.unit) == (bounds.low, bounds.high, bounds.unit)
    assert detection.uncertain and detection.current == "beta(18, 2) on [0, 1]"
    assert detection.value == pytest.approx(0.9)  # the distribution's mean
    assert detection.facts and all(f.claim for f in detection.facts)
    assert detection.facts[0].claim in detection.evidence()
    # A level is a choice among the schema's levels.
    backstop = found["united_states.backstop"]
    assert backstop.kind == "level" and backstop.options == tuple(schema.Level.names())
    # Troops and months carry their type's unit; a type without an upper bound gets headroom
    # above the file's largest value.
    assert found["package.multinational_force.ramp_months"].unit == "months"
    assert found["thresholds.minimum_effective_force"].unit == "troops"
    aid = found["package.military_support.aid_usd_bn_per_year"]
    assert aid.unit == "billions of USD per year" and aid.high >= 25


def test_every_parameter_the_file_sets_has_a_control_and_states_have_their_own(paris):
    sc = paris.scenario
    explicit = {".".join(map(str, p.path)) for p in parameters(sc) if p.explicit and p.path[0] != "states"}
    assert {c.path for c in controls(paris)} == explicit
    fra = controls(paris, state="FRA")
    assert fra and all(c.path.startswith("states.FRA.") for c in fra)
    assert {c.path for c in controls(paris, state="FRA", defaults=True)} > {c.path for c in fra}
    for c in controls(paris, defaults=True) + controls(paris, state="FRA", defaults=True):
        if c.kind == "number":
            assert c.low <= c.value <= c.high and c.step > 0, c.path
            assert c.label, c.path


# --------------------------------------------------------------------------- export


CHANGES = {
    "united_states.honour": 0.8,
    "united_states.backstop": "direct",
    "states.FRA.resolve": 0.65,
    "package.multinational_force.ramp_months": 4,
}


def test_the_export_validates_and_sets_only_the_changes(paris, tmp_path, capsys):
    target = tmp_path / "paris-dashboard.yaml"
    target.write_text(export_yaml(paris, CHANGES, tmp_path, seed=7), encoding="utf-8")
    assert main(["validate", str(target)]) == 0
    assert "ok" in capsys.readouterr().out
    data = export_data(paris, CHANGES, tmp_path)
    assert data["extends"] == "paris"  # a shipped scenario, found by name from any folder
    exported = sim.load_scenario(target)
    expected = sim.load_scenario(SCENARIOS / "paris.yaml", overrides=CHANGES).scenario
    by_path = {p.name: p for p in parameters(exported.scenario)}
    for p in parameters(expected):
        assert by_path[p.name].describe() == p.describe(), p.name
    assert exported.scenario.run.seed == 7
    # Each changed value is marked as set in the dashboard; nothing else is.
    ids = [s.id for s in exported.scenario.states]
    marked = {".".join(str(ids[x]) if p.path[0] == "states" and i == 1 else str(x) for i, x in enumerate(p.path))
              for p in parameters(exported.scenario) if p.assumption == DASHBOARD}
    assert marked == set(CHANGES)


def test_a_file_that_is_not_shipped_is_extended_by_its_relative_path(tmp_path):
    own = tmp_path / "mine" / "scenario.yaml"
    own.parent.mkdir()
    shutil.copy(SCENARIOS / "paris.yaml", own)
    loaded = sim.load_scenario(own)
    out = tmp_path / "exports"
    out.mkdir()
    (out / "x.yaml").write_text(export_yaml(loaded, {"united_states.honour": 0.7}, out), encoding="utf-8")
    assert export_data(loaded, {}, out)["extends"] == "../mine/scenario.yaml"
    assert main(["validate", str(out / "x.yaml")]) == 0


# --------------------------------------------------------------------------- engine


def test_the_engine_compares_with_the_file_under_the_same_seed():
    engine = Engine("paris")
    base = engine.run({}, replications=400, seed=5, spread=False)
    assert all(r.difference == "the file's own values" for r in base.rows)
    changed = engine.run({"united_states.honour": 0.95, "states.*.resolve": 0.9}, replications=400, seed=5,
                         spread=False)
    assert changed.base.runs.equals(engine.base(400, 5, False).runs)
    rows = {r.name: r for r in changed.rows}
    assert rows["violation"].change.value < 0 and rows["violation"].change.high < 0
    assert changed.result.meta["overrides"][0]["path"] == "united_states.honour"
    # Outcomes the change cannot touch are identical replication by replication (common random numbers).
    assert rows["ceasefire"].change.value == 0


def test_a_bad_value_is_reported_not_run():
    from sim.scenario.yamlio import InputError

    with pytest.raises(InputError) as exc:
        Engine("paris").run({"thresholds.minimum_effective_force": 50_000}, replications=100, spread=False)
    assert "minimum_effective_force must not exceed target_force" in str(exc.value.problems[0])


# --------------------------------------------------------------------------- in a real browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
# What the page imports (Mesa's visualisation needs altair too), and the browser driver.
MISSING = [m for m in ("solara", "altair", "playwright") if importlib.util.find_spec(m) is None]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening_addresses(port: int) -> set[str]:
    """The local addresses listening on ``port`` (IPv4 and IPv6), from /proc/net/tcp*."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hexport = local.split(":")
            if state == "0A" and int(hexport, 16) == port:
                found.add(address)
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    if MISSING:
        pytest.skip(f"the dashboard extra is not installed (missing {', '.join(MISSING)}): pip install -e '.[dashboard]'")
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = open(tmp_path_factory.mktemp("dashboard") / "server.log", "w+")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "sim", "dashboard", "paris", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"the dashboard did not start:\n{log.read()[-3000:]}")
            time.sleep(0.5)
        yield url, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_the_server_listens_on_this_machine_only(server):
    _, port = server
    addresses = _listening_addresses(port)
    if not os.path.exists("/proc/net/tcp"):
        pytest.skip("no /proc/net/tcp to read the listening address from")
    assert addresses == {"0100007F"}  # 127.0.0.1, and nothing else (no 0.0.0.0, no IPv6)


def test_a_slider_moves_a_probability_in_the_browser(server, tmp_path):
    from playwright.sync_api import sync_playwright

    url, _ = server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, timeout=120_000)
            cell = page.locator("[data-outcome=violation]")
            cell.wait_for(timeout=240_000)
            page.wait_for_selector("[data-status=idle]", timeout=240_000)
            before = float(cell.get_attribute("data-value"))
            shown_before = cell.inner_text()
            assert shown_before.endswith("]") and "%" in shown_before
            # Move the detection slider to its low end with the keyboard, as a person can.
            slider = page.locator('[data-path="package.monitoring.detection"] [role=slider]')
            slider.focus()
            moved = time.monotonic()
            slider.press("Home")
            page.wait_for_function(
                "before => { const c = document.querySelector('[data-outcome=violation]');"
                " return c && c.dataset.value !== '' && Number(c.dataset.value) !== before; }",
                arg=before, timeout=240_000)
            latency = time.monotonic() - moved
            after = float(cell.get_attribute("data-value"))
            assert after > before  # violations nobody detects deter nothing
            assert cell.inner_text() != shown_before
            assert page.locator('[data-path="package.monitoring.detection"].sim-changed').count() == 1
            print(f"rerun after the slider moved: {latency:.1f} s; violated {before:.3f} -> {after:.3f}")
            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot))
            # The step view: Mesa's ModelController steps one replication; each step adds a month's row.
            page.get_by_text("Step one replication").click()
            step = page.get_by_role("button", name="Step")
            step.wait_for(timeout=120_000)
            for month in (1, 2, 3):
                step.click()
                page.wait_for_selector(f"text=month {month} of 60", timeout=60_000)
            assert page.locator("table.sim-steps tr").count() == 1 + 3
        finally:
            browser.close()
    from PIL import Image

    with Image.open(shot) as img:
        colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 500  # text, table, figures: not a blank page
    assert max(n for n, _ in colours) < 0.9 * sum(n for n, _ in colours)
