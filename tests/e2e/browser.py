"""Headless Chromium (Debian's chromium and chromium-driver) through Selenium, for tests that
check what a person would see. Nothing is downloaded: the driver path is given explicitly and
Selenium Manager is kept offline."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "install_browser.sh"


def _installed() -> bool:
    return all(os.access(p, os.X_OK) for p in (CHROMIUM, CHROMEDRIVER))


def require_chromium() -> None:
    """Skip (saying why) unless chromium and chromedriver are there; under CI=true, try
    scripts/install_browser.sh first."""
    if _installed():
        return
    if os.environ.get("CI") == "true" and shutil.which("bash"):
        subprocess.run(["bash", str(INSTALL_SCRIPT)], check=False, timeout=900)
        if _installed():
            return
    pytest.skip(f"needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}); "
                "install them with scripts/install_browser.sh as root (apt-get)")


@contextmanager
def headless_chromium(width: int = 1280, height: int = 2000) -> Iterator[Any]:
    """A Selenium WebDriver for headless Chromium, quit on exit."""
    require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not fetch anything
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--disable-dev-shm-usage",
                     "--no-first-run", "--disable-extensions", "--disable-sync",
                     f"--window-size={width},{height}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                              options=options)
    try:
        driver.set_page_load_timeout(20)
        yield driver
    finally:
        driver.quit()
