"""python -m tools.golden [--force]: (re)generate the TF.js golden outputs under $PYAPP_ASSETS/golden."""

import argparse
import time

from tools.golden.generate import ensure, golden_dir

parser = argparse.ArgumentParser(prog="python -m tools.golden", description=__doc__)
parser.add_argument("--force", action="store_true", help="regenerate even when the cached set is up to date")
args = parser.parse_args()
started = time.perf_counter()
manifest = ensure(force=args.force)
versions = sorted({(m["tfjs_version"], m["backend"]) for m in manifest["models"].values()})
print(f"golden set: {golden_dir()} (TF.js/backend {versions}, {len(manifest['models'])} models, "
      f"generated in {manifest['seconds']} s; this call {time.perf_counter() - started:.2f} s)")
