"""Run `acctguard serve` as a real process and find the port it bound."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

ACCTGUARD = Path(sys.executable).with_name("acctguard")


class ServeProcess:
    def __init__(self, data_dir: Path, model_path: Path, *extra: str) -> None:
        env = {**os.environ, "ACCTGUARD_LOG_FORMAT": "json",
               "ACCTGUARD_SQLITE_SYNCHRONOUS": "NORMAL",
               "ACCTGUARD_SHUTDOWN_NOTICE_SECONDS": "3"}
        self.process = subprocess.Popen(
            [str(ACCTGUARD), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data_dir),
             "--model-path", str(model_path), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        self.lines: list[str] = []
        self.port = self._wait_for_port(timeout=60)

    def _wait_for_port(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        stream: IO[str] = self.process.stdout  # type: ignore[assignment]
        while time.monotonic() < deadline:
            line = stream.readline()
            if not line:
                break
            self.lines.append(line)
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("event") == "serving":
                return int(record["port"])
        self.process.kill()
        raise RuntimeError("server did not start:\n" + "".join(self.lines))

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def terminate(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=timeout)
        self.lines.extend(out.splitlines(keepends=True))
        return self.process.returncode

    def kill(self) -> None:
        self.process.kill()
        self.process.communicate(timeout=30)
