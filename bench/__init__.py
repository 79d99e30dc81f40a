"""Benchmarks (not tests): `python -m bench.cpu`."""

import argparse
import datetime
import json
import platform
import sys
from pathlib import Path

RESULTS = Path(__file__).with_name("results")


def models_and_runs(description: str, runs: int = 50) -> argparse.Namespace:
    """The page benchmarks' command line: --models (comma-separated) and --runs."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--models", default="selfie,meet,blazeface")
    parser.add_argument("--runs", type=int, default=runs)
    return parser.parse_args()


def write_results(kind: str, **fields) -> Path:
    """bench/results/KIND-DATE.json: the command that made it, the machine, and `fields`."""
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{kind}-{datetime.date.today()}.json"
    out.write_text(json.dumps({"command": " ".join([f"python -m bench.{kind}", *sys.argv[1:]]),
                               "machine": platform.platform(), **fields}, indent=1))
    return out
