#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the service on its embedded defaults:
# gRPC on 127.0.0.1:50051, SQLite and the model under ./data (the model is trained from the
# project's own simulator on first start, which takes about 20 s on 2 cores and logs its
# progress). Extra arguments go to `acctguard serve` (for example --listen 127.0.0.1:6000
# --data-dir /tmp/ag).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/acctguard serve "$@"
