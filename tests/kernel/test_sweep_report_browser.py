# -*- coding: utf-8 -*-
"""The sweep's report.html renders in a real browser: headless Chromium screenshots it.

The report is made from synthetic records (sweep/demo.py) of each order: one
axis, a heatmap of two, a bisection. Each screenshot must exist, have the
requested size and not be blank; the sweep's red (impaired links, target
lines) must be on it. The page must be self-contained: no URL is fetched.
AIFABRIC_SCREENSHOT_DIR keeps the screenshots for a person to look at.
"""
import os
import re
import shutil
import subprocess

import pytest

from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import demo, outputs, report

WIDTH, HEIGHT = 1280, 2000
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed; tools/bootstrap installs it "
                                                         "as root (apt-get install chromium)")


def screenshot(html, png, tmp_path):
    argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            "--user-data-dir=%s" % (tmp_path / "profile"), "--screenshot=%s" % png,
            "--window-size=%d,%d" % (WIDTH, HEIGHT), "file://%s" % html]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False,
                         env=dict(os.environ, HOME=str(tmp_path)))
    assert res.returncode == 0 and os.path.exists(png), res.stderr[-2000:]


@pytest.mark.parametrize("kind", demo.KINDS)
def test_report_renders_in_headless_chromium(kind, tmp_path):
    image = pytest.importorskip("matplotlib.image")
    run = tmp_path / "run"
    demo.synthetic_run(str(run), kind, fail_index=2)
    summary = outputs.write_all(str(run))
    html = report.write(str(run), summary=summary)
    text = open(html).read()
    assert summary["headline"] in text.replace("&#39;", "'")
    assert not re.search(r'(src|href)="(https?:)?//', text), "the report fetches something"
    assert text.count('src="data:image/png;base64,') == {"one_axis": 2, "two_axes": 4, "bisect": 2}[kind]

    png = str(tmp_path / ("report-%s.png" % kind))
    screenshot(html, png, tmp_path)
    pixels = image.imread(png)
    assert pixels.shape[:2] == (HEIGHT, WIDTH)
    rgb = pixels[:, :, :3]
    assert float(rgb.std()) > 0.05, "the screenshot is blank"
    red = (rgb[:, :, 0] > 0.75) & (rgb[:, :, 1] < 0.3) & (rgb[:, :, 2] < 0.3)
    assert int(red.sum()) > 500, "no red on the page: the plots did not render"
    dark = (rgb.sum(axis=2) < 0.6).sum()
    assert int(dark) > 5000, "no text on the page"
    keep = os.environ.get("AIFABRIC_SCREENSHOT_DIR")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(png, keep)
