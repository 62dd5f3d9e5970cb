"""Measure `telesales demo --size large --no-tui`: the goals are < 60 s wall and < 1 GiB peak RSS.

Runs the real console script in a child process with a throw-away TELESALES_DATA_DIR, so the figures include
start-up, migration, generation and the inserts, exactly as a user would wait for them.

    .venv/bin/python bench/demo_large.py [--seed N]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 60.0
GOAL_RSS_BYTES = 1024**3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    exe = Path(sys.executable).with_name("telesales")
    with tempfile.TemporaryDirectory(prefix="telesales-bench-") as folder:
        env = {**os.environ, "TELESALES_DATA_DIR": folder, "TELESALES_CONFIG": str(Path(folder) / "none.toml")}
        env.pop("TELESALES_DATABASE_URL", None)
        command = [str(exe), "demo", "--size", "large", "--seed", str(args.seed), "--no-tui"]
        start = time.perf_counter()
        child = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        # ru_maxrss is the largest child's peak, in KiB on Linux
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        db_file = Path(folder) / f"demo-large-seed{args.seed}.db"
        size_mb = sum(p.stat().st_size for p in Path(folder).glob(db_file.name + "*")) / 1e6
    print("command:", " ".join(command[1:]))
    print(f"exit code: {child.returncode}")
    fast = "OK" if seconds < GOAL_SECONDS else "TOO SLOW"
    small = "OK" if peak < GOAL_RSS_BYTES else "TOO BIG"
    print(f"wall time: {seconds:6.1f} s   (goal < {GOAL_SECONDS:.0f} s)    {fast}")
    print(f"peak RSS:  {peak / 2**20:6.0f} MiB (goal < 1024 MiB) {small}")
    print(f"database:  {size_mb:6.0f} MB on disk")
    print("built:")
    for line in child.stdout.splitlines():
        print("  " + line)
    if child.returncode != 0:
        print(child.stderr, file=sys.stderr)
    ok = child.returncode == 0 and seconds < GOAL_SECONDS and peak < GOAL_RSS_BYTES
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
