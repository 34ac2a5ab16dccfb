"""``make bench``: run every benchmark script in this folder, one after another.

Each script measures its own baseline in the same run and prints ratios, so
results are comparable on a shared, noisy machine. ``python -m benchmarks NAME``
runs only the scripts whose name contains NAME.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    wanted = sys.argv[1:]
    scripts = sorted(p for p in HERE.glob("bench_*.py") if not wanted or any(w in p.stem for w in wanted))
    failed = []
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        if code:
            failed.append(script.stem)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
