"""Render report.html in headless Chromium (Debian's package): flow diagram, RTL Arabic, no
network. ``make test`` installs chromium first (scripts/ensure-chromium.sh)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cli

CHROMIUM = shutil.which("chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", '--host-resolver-rules=MAP * ~NOTFOUND',
]  # fmt: skip

# Measures the rendered page and writes the answer into the DOM for --dump-dom.
PROBE = """<script>
const svg = document.getElementById('flow-diagram');
const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
const arabic = [...document.querySelectorAll('bdi')]
  .filter(b => /^[^A-Za-z]*[\\u0600-\\u06FF]/.test(b.textContent));
const order = arabic.map(b => {
  const t = b.firstChild, r1 = document.createRange(), r2 = document.createRange();
  r1.setStart(t, 0); r1.setEnd(t, 1); r2.setStart(t, t.length - 1); r2.setEnd(t, t.length);
  return {dir: getComputedStyle(b).direction, first: r1.getBoundingClientRect().right,
          last: r2.getBoundingClientRect().left, lines: r1.getBoundingClientRect().top ===
          r2.getBoundingClientRect().top};
});
const pre = document.createElement('pre'); pre.id = 'lh-probe';
pre.textContent = JSON.stringify({svg: [box.width, box.height],
  nodes: svg ? svg.querySelectorAll('g.node').length : 0, arabic: order});
document.body.appendChild(pre);
</script>"""


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.skipif(CHROMIUM is None, reason="chromium missing: run scripts/ensure-chromium.sh")
def test_report_renders_offline_with_diagram_and_rtl(sim_case, tmp_path):
    out = tmp_path / "case"
    r = run_cli("investigate", "--posts", sim_case.scenario / "posts", "--out", out,
                store=sim_case.store)  # fmt: skip
    assert r.exit_code == 0, r.stderr
    page = (out / "report.html").read_text()
    # no resource is loaded from anywhere: no http(s) src/href, a CSP that forbids fetching
    assert not re.search(r'\b(src|href|xlink:href)\s*=\s*["\']?\s*(https?:)?//', page, re.I)
    assert "default-src 'none'" in page and "<script" not in page.lower()

    shot = tmp_path / "report.png"
    res = _chromium(["--window-size=1200,1800", f"--screenshot={shot}", out.as_uri() +
                     "/report.html"], tmp_path / "profile1")  # fmt: skip
    assert shot.exists() and shot.stat().st_size > 20_000, res.stderr[-500:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    probe_page = tmp_path / "probe.html"
    no_csp = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    probe_page.write_text(no_csp.replace("</body>", PROBE + "</body>"))
    res = _chromium(["--dump-dom", probe_page.as_uri()], tmp_path / "profile2")
    m = re.search(r'<pre id="lh-probe">(.*?)</pre>', res.stdout, re.S)
    assert m, res.stderr[-500:]
    probe = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    width, height = probe["svg"]
    assert width > 500 and height > 100
    assert probe["nodes"] >= 3  # sources, seeds and cash-out services drawn
    assert probe["arabic"], "no Arabic post text in the report"
    for a in probe["arabic"]:
        assert a["dir"] == "rtl"
        if a["lines"]:
            assert a["first"] > a["last"]  # starts on the right: rendered right to left
