"""TF.js 4.22 (Node, CPU backend) loading a model folder over HTTP with its own loader, as a browser
would: proves a model.json + shards written by pyapp load in TF.js unchanged."""

import functools
import http.server
import json
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).with_name("load.js")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def tfjs_predict(tfjs: Path, model_dir: Path, x: np.ndarray) -> dict[str, np.ndarray]:
    """{output name: array} from TF.js running model_dir/model.json on x, fetched from a local HTTP server."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node (Node.js 18+) not found on PATH; it runs TF.js")
    handler = functools.partial(_QuietHandler, directory=str(model_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory() as work:
            (Path(work) / "input.bin").write_bytes(np.ascontiguousarray(x).tobytes())
            command = [node, str(SCRIPT), str(tfjs), f"http://127.0.0.1:{server.server_port}/model.json",
                       str(Path(work) / "input.bin"), str(x.dtype), ",".join(map(str, x.shape)), work]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"TF.js could not load {model_dir}: {done.stderr[-3000:]}")
            return {out["name"].removesuffix(":0"): np.fromfile(out["file"], out["dtype"]).reshape(out["shape"])
                    for out in json.loads(done.stdout)["outputs"]}
    finally:
        server.shutdown()
        server.server_close()
