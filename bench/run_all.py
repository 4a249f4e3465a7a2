"""`make bench`: every headline measurement of bench/RESULTS.md, one after the other.

Each line is a command RESULTS.md quotes; the output is printed as it comes. Pinned runs use
`taskset -c 0` when it is there (the routing target is per core). About 5 minutes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
PIN = ["taskset", "-c", "0"] if shutil.which("taskset") else []

COMMANDS: list[list[str]] = [
    ["machine.py"],
    ["provider_create.py", "--flavor", "cloud"],
    ["provider_create.py", "--flavor", "datacenter"],
    [*PIN, "routing_throughput.py", "--repeat", "3"],
    [*PIN, "routing_throughput.py", "--repeat", "3", "--compose", "--alerts", "5000"],
    ["ingest_batch.py", "--mode", "api"],
    ["ingest_batch.py", "--mode", "serve"],
    ["ingest_single.py", "--mode", "api"],
    ["ingest_single.py", "--mode", "serve"],
    ["pipeline_latency.py"],
    ["pipeline_storm.py"],
    ["ui_pages.py"],
]


def main() -> int:
    failed = 0
    for command in COMMANDS:
        split = command.index(next(c for c in command if c.endswith(".py")))
        argv = [*command[:split], sys.executable, str(HERE / command[split]), *command[split + 1 :]]
        print(f"\n$ {' '.join(command)}", flush=True)
        failed += subprocess.run(argv, cwd=HERE, check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
