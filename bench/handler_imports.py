"""Cold-start import cost of each Lambda handler module, beside `import boto3`, in fresh processes.

Prints `name: value unit` lines: the median of 5 fresh interpreters for each module, and each
handler's ratio to boto3 measured in the same run (the issue's aim: at most 1.5x boto3).

    .venv/bin/python bench/handler_imports.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5
PROBE = (
    "import time, importlib; t = time.perf_counter(); "
    "importlib.import_module({module!r}); print(time.perf_counter() - t)"
)


def import_seconds(module: str) -> float:
    samples = []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(module=module)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        samples.append(float(out.strip().splitlines()[-1]))
    return statistics.median(samples)


def main() -> None:
    handlers = sorted(f"functions.{path.parent.name}.app" for path in (ROOT / "functions").glob("*/app.py"))
    baseline = import_seconds("boto3")
    print(f"import_boto3: {baseline * 1000:.0f} ms")
    for module in handlers:
        seconds = import_seconds(module)
        name = module.split(".")[1]
        print(f"import_{name}: {seconds * 1000:.0f} ms")
        print(f"import_{name}_vs_boto3: {seconds / baseline:.2f} x")


if __name__ == "__main__":
    main()
