#!/usr/bin/env bash
# Build the image and smoke-test it: the container turns healthy (its HEALTHCHECK, i.e.
# `acctguard health`), one Score answers, and /metrics is reachable from outside the container.
# Where no Docker engine runs, says so and exits 0. The container runs with
# ACCTGUARD_ALLOW_INSECURE=true, published on 127.0.0.1 only: a smoke test, not a deployment.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
    echo "docker not available, skipped"
    exit 0
fi
image="${IMAGE:-acctguard:smoke}"
name="acctguard-smoke-$$"
docker build --tag "$image" .
docker run --detach --name "$name" --env ACCTGUARD_ALLOW_INSECURE=true \
    --publish 127.0.0.1::50051 --publish 127.0.0.1::9464 "$image" >/dev/null
trap 'docker rm --force "$name" >/dev/null 2>&1 || true' EXIT

echo "== health"
for _ in $(seq 60); do
    state=$(docker inspect --format '{{.State.Health.Status}}' "$name")
    [ "$state" = healthy ] && break
    if [ "$(docker inspect --format '{{.State.Running}}' "$name")" != true ]; then
        docker logs "$name"; echo "container exited"; exit 1
    fi
    sleep 1
done
if [ "$state" != healthy ]; then docker logs "$name"; echo "not healthy: $state"; exit 1; fi
docker exec "$name" acctguard health --target 127.0.0.1:50051

echo "== score"
docker exec "$name" sh -c \
    'acctguard example normal-week | head -n 1 | acctguard score --target 127.0.0.1:50051' \
    | tee /dev/stderr | grep -q '"decision"'

echo "== metrics"
metrics=$(docker port "$name" 9464/tcp | head -n 1)
python3 -c 'import sys, urllib.request
body = urllib.request.urlopen(f"http://{sys.argv[1]}/metrics", timeout=5).read().decode()
sys.exit(0 if "acctguard_" in body else "no acctguard_ metrics")' "$metrics"
echo "docker smoke test passed"
