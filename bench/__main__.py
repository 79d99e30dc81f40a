"""`python -m bench [FLAGS]`: every engine side by side (run.py); `python -m bench NAME ...`: one benchmark."""

import importlib
import sys

from pyapp.errors import PyappError

from . import BENCHMARKS
from .run import main as run_all


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHMARKS:
        return run_all(argv)
    try:
        return importlib.import_module(f"bench.{argv[0]}").main(argv[1:]) or 0
    except PyappError as e:
        print(f"python -m bench {argv[0]}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
