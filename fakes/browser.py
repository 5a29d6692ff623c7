"""Headless Chromium for the report's browser tests (Debian's chromium + chromedriver,
driven by selenium). `chrome()` skips the test, saying why, only where no browser is
installed; `.ci/run` installs one."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib import image

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER = "/usr/bin/chromedriver"
# The machine's network is closed: without these Chromium keeps trying to reach Google.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--window-size=1400,1000",
)


def _browser() -> str | None:
    return next((b for b in CHROMIUM if Path(b).exists()), None) or shutil.which("chromium")


@contextmanager
def chrome() -> Iterator[Any]:
    """A fresh headless Chromium with its own empty profile, closed afterwards."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[dev]')")
    binary = _browser()
    if binary is None or not Path(DRIVER).exists():
        pytest.skip("no Chromium/chromedriver: apt-get install -y chromium chromium-driver")
    profile = tempfile.mkdtemp(prefix="jf-chrome-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_ready(driver: Any, timeout: float = 60) -> None:
    """Until the page has decoded its pair data (body[data-ready])."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script("return document.body.dataset.ready") in ("1", "error")
    )
    assert driver.execute_script("return document.body.dataset.ready") == "1", driver.find_element(
        "id", "status"
    ).text


def assert_nonblank(png: Path) -> None:
    """A screenshot with real content: many colours, and not one colour almost everywhere."""
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = image.imread(str(png))[..., :3].reshape(-1, 3)
    colours, counts = np.unique((pixels * 255).astype(np.uint8), axis=0, return_counts=True)
    assert len(colours) > 20, f"{png}: only {len(colours)} colours"
    assert counts.max() / counts.sum() < 0.97, f"{png}: almost one colour"
