"""The reproduction report: claims.json, the CLI, and the HTML opened in a real headless browser.

The browser test loads a copy of report.html with a small script appended that counts images that
failed to decode (``naturalWidth == 0``) and lists the recipe sections, then reads the DOM back
with ``chromium --dump-dom``; it also saves a screenshot to ``$POLICYSCAPE_TEST_OUTPUT`` (default
``test-output/``). Without chromium the test is skipped, unless ``POLICYSCAPE_REQUIRE_BROWSER=1``
(set by ``.ci/run``, which installs Debian's chromium) makes that a failure.
"""

import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from policyscape.cli import main
from policyscape.recipes.reproduce import RECIPE_MODULES, reproduce, write_report
from policyscape.recipes.verdicts import NOT_RUN, VERDICTS

CHECK_SCRIPT = """
<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const broken = images.filter(img => !img.complete || img.naturalWidth === 0).length;
  const sections = Array.from(document.querySelectorAll("section")).map(s => s.id).join(",");
  const out = document.createElement("div");
  out.id = "browser-check";
  out.textContent = `images=${images.length} broken=${broken} sections=${sections}`;
  document.body.appendChild(out);
});
</script>
"""
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce")
    result = reproduce(["toy", "supervised"], "tiny", out, progress=False)
    return out, result


def test_claims_json_has_every_recipe_and_the_required_fields(reproduced):
    out, result = reproduced
    claims = json.loads((out / "claims.json").read_text())
    assert claims == json.loads(json.dumps(result["claims"]))
    assert {c["recipe"] for c in claims} == set(RECIPE_MODULES)
    for c in claims:
        assert {"recipe", "claim", "measured", "verdict"} <= set(c) and c["verdict"] in VERDICTS
        assert (c["verdict"] == NOT_RUN) == (c["recipe"] not in ("toy", "supervised"))
    assert result["failed"] == []


def test_report_command_rebuilds_the_same_claims_without_recomputing(reproduced, capsys):
    out, _ = reproduced
    before = (out / "claims.json").read_text()
    points = out / "toy/perturb/strict-max/points/perturb.csv"
    stamp = points.stat().st_mtime_ns
    assert main(["report", str(out)]) == 0
    assert (out / "claims.json").read_text() == before
    assert points.stat().st_mtime_ns == stamp
    assert f"report: {out / 'report.html'}" in capsys.readouterr().out


def test_reproduce_reruns_nothing_that_is_done(reproduced):
    out, _ = reproduced
    done = (out / "toy/done.json").read_text()
    reproduce(["toy"], "tiny", out, progress=False)
    assert (out / "toy/done.json").read_text() == done


def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys):
    assert main(["reproduce", "no-such-recipe", "--out", str(tmp_path / "r")]) == 2
    assert "unknown recipe 'no-such-recipe'" in capsys.readouterr().err
    assert main(["reproduce", "toy", "--quick", "--full", "--out", str(tmp_path / "r")]) == 2
    assert main(["report", str(tmp_path / "missing")]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty")]) == 2
    assert not (tmp_path / "r").exists() and not (tmp_path / "empty/report.html").exists()


def test_a_different_budget_in_the_same_directory_is_refused(reproduced, capsys):
    out, _ = reproduced
    assert main(["reproduce", "toy", "--budget", "quick", "--out", str(out), "--no-progress"]) == 2
    assert "budget: 'tiny' (recorded) vs 'quick' (now)" in capsys.readouterr().err


def test_a_failing_recipe_is_reported_not_run_and_the_exit_code_is_1(tmp_path, monkeypatch, capsys):
    from policyscape.recipes import supervised

    def broken(config, out, progress, executor=None):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(supervised, "RECIPE", replace(supervised.RECIPE, run=broken))
    assert main(["reproduce", "supervised", "--budget", "tiny", "--out", str(tmp_path), "--no-progress"]) == 1
    assert "simulated failure" in (tmp_path / "supervised/error.txt").read_text()
    claims = json.loads((tmp_path / "claims.json").read_text())
    assert {c["verdict"] for c in claims if c["recipe"] == "supervised"} == {NOT_RUN}
    assert "simulated failure" in (tmp_path / "report.html").read_text()


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    if os.environ.get("POLICYSCAPE_REQUIRE_BROWSER") == "1":
        pytest.fail("chromium is required (POLICYSCAPE_REQUIRE_BROWSER=1) but was not found on PATH")
    pytest.skip("chromium not installed (.ci/run installs Debian's chromium)")


def test_report_renders_in_a_headless_browser_with_no_broken_images(reproduced, tmp_path):
    chromium = _chromium()
    out, _ = reproduced
    html = (out / "report.html").read_text()
    assert "http://" not in html and "https://" not in html  # self-contained: nothing to fetch
    checked = tmp_path / "checked.html"
    checked.write_text(html.replace("</body>", CHECK_SCRIPT + "</body>"))
    profile = tmp_path / "profile"
    dom = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=10000",
                          "--dump-dom", checked.as_uri()], check=False, capture_output=True, text=True, timeout=120)
    match = re.search(r'id="browser-check">images=(\d+) broken=(\d+) sections=([^<]*)<', dom.stdout)
    assert match, dom.stderr[-2000:]
    images, broken, sections = int(match[1]), int(match[2]), match[3].split(",")
    assert images >= 10 and broken == 0
    assert sections == list(RECIPE_MODULES)

    shots = Path(os.environ.get("POLICYSCAPE_TEST_OUTPUT", "test-output")).resolve()
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / "report_screenshot.png"
    shot.unlink(missing_ok=True)
    subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,4000",
                    f"--screenshot={shot}", (out / "report.html").as_uri()], check=True, capture_output=True, timeout=120)
    assert shot.read_bytes()[:4] == b"\x89PNG"


def test_write_report_needs_results(tmp_path):
    from policyscape.errors import InputError

    with pytest.raises(InputError, match="holds no recipe results"):
        write_report(tmp_path)
