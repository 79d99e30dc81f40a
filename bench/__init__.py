"""Benchmarks (not tests), outside the pyapp package so that none of them ships in the wheel.

    .venv/bin/python -m bench [--quick] [...]     every engine side by side (`make bench`; run.py)
    .venv/bin/python -m bench NAME [-h] [...]     one of BENCHMARKS

Results go to bench/results/ (git-ignored) unless --out says otherwise.
"""

import argparse
import datetime
import json
import platform
from pathlib import Path

RESULTS = Path(__file__).with_name("results")

# `python -m bench NAME` runs bench/NAME.py's main(ARGS): NAME -> what it measures.
BENCHMARKS = {
    "cpu": "numpy backend in CPython next to TF.js's cpu backend in Node",
    "webgl": "WebGL2 backend in the worker next to TF.js webgl: load, first, steady, passes",
    "wasm": "wasm backend in the worker next to TF.js wasm, with pyapp's kernel profile",
    "tasks": "face detection per camera frame, stage by stage (CPython; worker cpu and webgl)",
    "boot": "page open -> ready -> first result, cold and warm, per profile and network",
    "load": "load_model's timings in the worker, cold and from IndexedDB",
    "demo": "the webcam demo's rAF rate, fps and long tasks on a fake camera",
}


def arguments(name: str, description: str) -> argparse.ArgumentParser:
    """The argument parser of `python -m bench NAME`; the description keeps its line breaks."""
    return argparse.ArgumentParser(prog=f"python -m bench {name}", description=description,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def add_out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder (default: bench/results)")


def models_and_runs(name: str, description: str, argv: list[str], runs: int = 50) -> argparse.Namespace:
    """The page benchmarks' command line: --models (comma-separated), --runs and --out."""
    parser = arguments(name, description)
    parser.add_argument("--models", default="selfie,meet,blazeface")
    parser.add_argument("--runs", type=int, default=runs)
    add_out(parser)
    return parser.parse_args(argv)


def write_results(kind: str, argv: list[str], out: Path = RESULTS, **fields) -> Path:
    """OUT/KIND-DATE.json: the command that made it, the machine, and `fields`."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{kind}-{datetime.date.today()}.json"
    path.write_text(json.dumps({"command": " ".join(["python -m bench", kind, *argv]),
                                "machine": platform.platform(), **fields}, indent=1))
    return path
