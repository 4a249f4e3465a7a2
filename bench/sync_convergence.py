"""The convergence property of two-way sync over 10,000 schedules (the suite runs 1,000).

Each schedule: one of our issues, a person's changes and our own account's interleaved, the
emulator's real deliveries each delivered 0–3 times in any order, then one reconcile; the alert
must say what Jira's issue says (tests/integration/api/test_sync_convergence.py). Any
divergence fails with the schedule that shows it, shrunk by hypothesis.

    .venv/bin/python bench/sync_convergence.py [--schedules 10000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/integration/api/test_sync_convergence.py"


def main(schedules: int) -> int:
    failures = ROOT / "bench" / "sync_convergence.failures"
    failures.unlink(missing_ok=True)
    env = {
        **os.environ,
        "TB_CONVERGENCE_SCHEDULES": str(schedules),
        "TB_CONVERGENCE_FAILURES": str(failures),  # each divergence as found
        "TB_CONVERGENCE_SHRINK": "0",  # a shrink outlasted a 10,000 run: report, do not shrink
        "TB_CONVERGENCE_TIMEOUT": str(max(1200, schedules)),  # a second each, loaded machine
    }
    started = time.perf_counter()
    command = [sys.executable, "-m", "pytest", TEST, "-q", "-p", "no:randomly"]
    done = subprocess.run(command, cwd=ROOT, env=env, check=False)
    took = time.perf_counter() - started
    verdict = "0 divergences" if done.returncode == 0 else "DIVERGED (see above)"
    if failures.exists():
        print(failures.read_text(encoding="utf-8"))
    each = took / schedules * 1000
    print(f"schedules: {schedules}  {verdict}  in {took:.0f} s ({each:.0f} ms each)")
    return done.returncode


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=10_000)
    sys.exit(main(parser.parse_args().schedules))
