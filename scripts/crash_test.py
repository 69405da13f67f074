"""Crash test, full mode: FREEZE-worthy load while `acctguard serve` is SIGKILLed at random
moments, then every FREEZE reply is checked against what the restarted server stored.

    .venv/bin/python -m scripts.crash_test [--kills 100] [--seed 1] [--workers 4]

Run it from the repository root, as a module: it shares its harness with the test suite
(tests/e2e/crash_harness.py, tests/e2e/processes.py). Trains a small model first unless
``--model`` is given; the server runs on a free 127.0.0.1 port with a fresh data directory
(kept, with the server logs, with ``--keep``). ``--env NAME=VALUE`` adds server settings, e.g.
a database URL for another backend. Exit status 1 if any check fails.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

try:
    from tests.e2e.crash_harness import CrashConfig, run_crash_test
    from tests.e2e.processes import Backend, ServerProcess
except ModuleNotFoundError as missing:  # run as a file, so the repository root is not on the path
    raise SystemExit("run it from the repository root as a module: "
                     ".venv/bin/python -m scripts.crash_test ...") from missing


def train_model(path: Path) -> None:
    """The same small model the test suite trains (tests/conftest.py)."""
    from detectors.simulation import SimulationConfig, simulate
    from detectors.training import TrainingConfig, train

    train(simulate(SimulationConfig(accounts=1000, days=21, seed=11)),
          TrainingConfig(seed=11)).save(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=4, help="load threads")
    parser.add_argument("--min-uptime", type=float, default=0.1,
                        help="seconds of load before a kill, at least")
    parser.add_argument("--max-uptime", type=float, default=0.6, help="... at most")
    parser.add_argument("--model", type=Path, help="model artifact; default: train one")
    parser.add_argument("--backend", default="sqlite", help="a name for the report")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra server environment (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the data and log directory")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="acctguard-crash-"))
    try:
        model = args.model
        if model is None:
            model = work / "model.npz"
            began = time.monotonic()
            train_model(model)
            print(f"trained {model} in {time.monotonic() - began:.0f} s", flush=True)
        backend = Backend(args.backend, dict(item.split("=", 1) for item in args.env))
        config = CrashConfig(kills=args.kills, seed=args.seed, workers=args.workers,
                             min_uptime=args.min_uptime, max_uptime=args.max_uptime)
        with ServerProcess(work / "data", model, env=backend.env,
                           log_dir=work / "logs") as server:
            report = run_crash_test(server, backend, config,
                                    progress=lambda line: print(line, flush=True))
        print()
        print(report.table())
        print()
        print(report.summary_line())
        if args.keep:
            print(f"data and server logs: {work}")
        return 1 if report.problems or report.kills < args.kills else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
