#!/usr/bin/env bash
# Debian's chromium and chromium-driver for the console's browser test
# (tests/e2e/test_console.py). Does nothing when both are installed; installs them only as root
# with apt-get; otherwise, or when the install fails, says so on one line and exits 0: the test
# then skips, saying why. Its output goes to $TMPDIR/acctguard-install-browser.log.
set -uo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "== browser: chromium/chromium-driver missing and not root with apt-get; the console browser test will skip" >&2
    exit 0
fi
log="${TMPDIR:-/tmp}/acctguard-install-browser.log"
export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -y -q chromium chromium-driver >>"$log" 2>&1; }
if install || { apt-get update -q >>"$log" 2>&1 && install; }; then
    echo "== browser: installed chromium and chromium-driver (Debian)"
else
    echo "== browser: could not install chromium/chromium-driver (see $log); the console browser test will skip" >&2
fi
exit 0
