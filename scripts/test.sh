#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run every check: generated code current, ruff, mypy, the docs
# site (mkdocs --strict), the deployment files (Kubernetes manifests against the API schemas,
# the Dockerfile through hadolint), and the whole pytest suite (unit, end-to-end over loopback
# gRPC, benchmarks in their short mode). scripts/docker_smoke.sh builds and runs the image.
# pytest exit code 5 (no tests collected) fails this script like any other failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/install_browser.sh  # Debian chromium + chromium-driver for the console test, when missing
echo "== generated code"; .venv/bin/python scripts/gen_protos.py --check
echo "== ruff";           .venv/bin/ruff check --no-cache .
echo "== mypy";           .venv/bin/mypy
echo "== docs";           NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --quiet \
    --site-dir "$(mktemp -d)"  # outside the repository: nothing to clean up or ignore
echo "== deploy"; shopt -s globstar  # ** below: every directory under deploy/kubernetes
.venv/bin/kubernetes-validate --strict --quiet --kubernetes-version 1.35.0 \
    deploy/kubernetes/**/*.yaml  # schemas ship with the package: no network
.venv/bin/hadolint Dockerfile
echo "== pytest"
.venv/bin/pytest --benchmark-enable --benchmark-min-rounds=5 --benchmark-max-time=0.5 \
    --benchmark-columns=min,median,mean,max,ops,rounds "$@"
