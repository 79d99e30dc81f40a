"""Golden-set driver: writes the inputs, runs tfjs_run.js in Node per model, records a manifest; skips when up to date."""

import hashlib
import json
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from pyapp.assets import assets_dir
from tools.golden.inputs import CASES, MODELS, make_input

NODE_SCRIPT = Path(__file__).with_name("tfjs_run.js")
SOURCES = (NODE_SCRIPT, Path(__file__).with_name("inputs.py"), Path(__file__))


def golden_dir(assets: Path | None = None) -> Path:
    return (assets or assets_dir()) / "golden"


def model_json(assets: Path, model: str) -> Path:
    return assets / "models" / model / "model.json"


def cache_key(assets: Path) -> str:
    """Hash of everything the golden set depends on: these tools, the TF.js bundle, the models, the images."""
    digest = hashlib.sha256()
    files = [*SOURCES, assets / "tfjs" / "tf.min.js", *sorted((assets / "images").glob("*.png"))]
    for model in MODELS:
        files += sorted(model_json(assets, model).parent.iterdir())
    for f in files:
        digest.update(f.name.encode())
        digest.update(hashlib.sha256(f.read_bytes()).digest())
    return digest.hexdigest()


def run_node(assets: Path, model: str, cases: list[dict], workdir: Path, bench_runs: int = 0) -> dict:
    """Runs tfjs_run.js for one model (job and report files kept in `workdir`); returns the report plus the command."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node (Node.js 18+) not found on PATH; it runs the TF.js reference")
    job_file, report_file = workdir / "tfjs_job.json", workdir / "tfjs_report.json"
    job_file.write_text(json.dumps({"tfjs": str(assets / "tfjs" / "tf.min.js"),
                                    "model": str(model_json(assets, model)), "cases": cases}, indent=1))
    command = [node, str(NODE_SCRIPT), str(job_file), str(report_file)]
    command += ["--bench", str(bench_runs)] if bench_runs else []
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"TF.js run for {model} failed: {' '.join(command)}\n{done.stderr[-4000:]}")
    return {**json.loads(report_file.read_text()), "command": command}


def generate_model(assets: Path, model: str) -> dict:
    out = golden_dir(assets)
    cases = {}
    for case in CASES:
        case_dir = out / model / case
        case_dir.mkdir(parents=True)
        np.save(case_dir / "input.npy", make_input(model, case, assets / "images"))
        cases[case] = case_dir
    report = run_node(assets, model, [{"input": str(d / "input.npy"), "outdir": str(d)} for d in cases.values()],
                      out / model)
    return {
        "model_json": str(model_json(assets, model).relative_to(assets)),
        "tfjs_version": report["tfjs_version"],
        "backend": report["backend"],
        "command": report["command"],
        "input": report["input"],
        "outputs": report["outputs"],
        "cases": {
            case: {
                "input": str((d / "input.npy").relative_to(out)),
                "outputs": [str((d / f"output_{i}.npy").relative_to(out)) for i in range(len(report["outputs"]))],
            }
            for case, d in cases.items()
        },
    }


def generate(assets: Path) -> dict:
    out = golden_dir(assets)
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    # The TF.js CPU backend is single-threaded: one Node process per model, as many at once as there are cores.
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        models = dict(zip(MODELS, pool.map(lambda m: generate_model(assets, m), MODELS)))
    manifest = {"key": cache_key(assets), "seconds": round(time.perf_counter() - started, 2), "models": models}
    # Written last: its presence marks a complete golden set.
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def ensure(assets: Path | None = None, force: bool = False) -> dict:
    """The golden manifest, regenerated only when forced or when what it depends on changed."""
    assets = assets or assets_dir()
    manifest_file = golden_dir(assets) / "manifest.json"
    if not force and manifest_file.exists():
        manifest = json.loads(manifest_file.read_text())
        if manifest.get("key") == cache_key(assets):
            return manifest
    return generate(assets)
