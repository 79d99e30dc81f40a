"""Golden-set driver: writes the inputs, runs tfjs_run.js in Node per model, records a manifest; skips when up to date."""

import fcntl
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
    """Runs tfjs_run.js for one model in `workdir` (case paths relative to it; job and report files kept there).
    Returns the report plus the command line."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node (Node.js 18+) not found on PATH; it runs the TF.js reference")
    (workdir / "tfjs_job.json").write_text(json.dumps({"tfjs": str(assets / "tfjs" / "tf.min.js"),
                                                       "model": str(model_json(assets, model)), "cases": cases}, indent=1))
    command = [node, str(NODE_SCRIPT), "tfjs_job.json", "tfjs_report.json"]
    command += ["--bench", str(bench_runs)] if bench_runs else []
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"TF.js run for {model} failed: (cd {workdir} && {' '.join(command)})\n{done.stderr[-4000:]}")
    return {**json.loads((workdir / "tfjs_report.json").read_text()), "command": command}


def generate_model(assets: Path, model: str, out: Path) -> dict:
    (out / model).mkdir(parents=True)
    for case in CASES:
        (out / model / case).mkdir()
        np.save(out / model / case / "input.npy", make_input(model, case, assets / "images"))
    report = run_node(assets, model, [{"input": f"{case}/input.npy", "outdir": case} for case in CASES], out / model)
    return {
        "model_json": str(model_json(assets, model).relative_to(assets)),
        "tfjs_version": report["tfjs_version"],
        "backend": report["backend"],
        "command": {"cwd": f"golden/{model}", "argv": report["command"]},  # cwd relative to the assets folder
        "input": report["input"],
        "outputs": report["outputs"],
        "cases": {
            case: {
                "input": f"{model}/{case}/input.npy",
                "outputs": [f"{model}/{case}/output_{i}.npy" for i in range(len(report["outputs"]))],
            }
            for case in CASES
        },
    }


def generate(assets: Path) -> dict:
    """Builds the set beside the old one, then swaps it in, so a reader never sees a half-written set."""
    out, building = golden_dir(assets), golden_dir(assets).with_name("golden.building")
    shutil.rmtree(building, ignore_errors=True)
    started = time.perf_counter()
    # The TF.js CPU backend is single-threaded: one Node process per model, as many at once as there are cores.
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        models = dict(zip(MODELS, pool.map(lambda m: generate_model(assets, m, building), MODELS)))
    manifest = {"key": cache_key(assets), "seconds": round(time.perf_counter() - started, 2), "models": models}
    (building / "manifest.json").write_text(json.dumps(manifest, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    building.rename(out)
    return manifest


def ensure(assets: Path | None = None, force: bool = False) -> dict:
    """The golden manifest, regenerated only when forced or when what it depends on changed."""
    assets = assets or assets_dir()
    manifest_file = golden_dir(assets) / "manifest.json"
    # Test sessions and `make test` may run at once: one generates, the others wait and then reuse it.
    with open(assets / "golden.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and manifest_file.exists():
            manifest = json.loads(manifest_file.read_text())
            if manifest.get("key") == cache_key(assets):
                return manifest
        return generate(assets)
