import json

import numpy as np
import pytest

from pyapp.api import load_graph_model
from pyapp.backends.cpu import compile as cpu_compile
from pyapp.commands.profile import OUTSIDE, calm_pairs, format_profile, main, profile_cpu


@pytest.fixture(scope="module")
def emotion(assets_dir):
    return load_graph_model(str(assets_dir / "models/emotion/model.json"))


def test_every_step_of_the_numpy_plan_is_timed(emotion):
    x = np.random.default_rng(1).random((1, 64, 64, 1)).astype(np.float32)
    p = profile_cpu(emotion.graph, {"input_1": x}, runs=3)
    assert [s["name"] for s in p["steps"]] == [n.name for n in cpu_compile(emotion.graph).plan.steps] + [OUTSIDE]
    assert all(s["ms"] > 0 for s in p["steps"])
    assert p["steps"][-1]["ms"] < 0.2 * p["sum_ms"], "the executor's own time should be small next to its kernels"
    assert sum(e["count"] for e in p["by_op"].values()) == len(p["steps"])
    assert p["sum_ms"] == pytest.approx(sum(s["ms"] for s in p["steps"]))
    assert list(p["by_op"].values()) == sorted(p["by_op"].values(), key=lambda e: -e["ms"])
    # per-node timers add a little; a sum far from the untimed run would mean steps are missed
    assert 0.3 < p["sum_ms"] / p["run_ms"] < 3
    text = format_profile(p)
    assert text.startswith(f"cpu: run {p['run_ms']:.2f} ms (mean of the calm half of 3 pairs)") and "_FusedConv2D" in text


def test_the_calm_half_of_the_pairs_is_kept():
    untimed = [9.0, 1.0, 5.0, 100.0, 4.0, 6.0, 3.0, 7.0]
    profiled = [1.0, 50.0, 5.0, 1.0, 4.0, 2.0, 3.0, 8.0]  # the pairs' slower runs: 9 50 5 100 4 6 3 8
    assert calm_pairs(untimed, profiled) == [6, 4, 2, 5]
    assert calm_pairs([2.0, 1.0, 3.0], [1.0, 1.0, 1.0]) == [1, 0] and calm_pairs([50.0], [60.0]) == [0]


def test_main_with_an_input_file(assets_dir, tmp_path, capsys):
    path = tmp_path / "x.npy"
    np.save(path, np.zeros((1, 64, 64, 1), np.float32))
    assert main([str(assets_dir / "models/emotion/model.json"), "--input", str(path), "--runs", "2", "--json"]) == 0
    p = json.loads(capsys.readouterr().out)
    assert p["backend"] == "cpu" and p["runs"] == 2 and p["steps"]


@pytest.mark.parametrize("args, error", [
    (["--backend", "webgl"], "pyapp profile: the webgl backend runs in the browser's worker"),
    (["--input", "nope.npy"], "pyapp profile: --input nope.npy: not a readable .npy file"),
    (["--input", "WRONG"], "pyapp profile: input 'input_1': expected shape (?, 64, 64, 1), got (1, 32, 32, 1)"),
])
def test_main_reports_errors(assets_dir, tmp_path, capsys, args, error):
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((1, 32, 32, 1), np.float32))
    args = [str(wrong) if a == "WRONG" else a for a in args]
    assert main([str(assets_dir / "models/emotion/model.json"), *args]) == 1
    assert capsys.readouterr().err.startswith(error)
