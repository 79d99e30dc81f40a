import hashlib
import json
import shutil

import numpy as np
import pytest
from modelfiles import W_BYTES, graph_model, write_model

from pyapp.api import load_graph_model
from pyapp.errors import ModelFormatError, PyappError, WeightsError
from pyapp.model.shards import HASH_KEY, parse_size, shard_records, split
from pyapp.commands.shard import main, shard_model
from tools.golden import ensure, golden_dir
from tools.tfjs_load import tfjs_predict


@pytest.mark.parametrize("text, size", [("4MB", 4 * 2**20), ("1 MiB", 2**20), ("512KB", 512 * 1024),
                                        ("65536", 65536), ("1.5M", 3 * 2**19), ("100B", 100)])
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "MB", "0", "-1MB", "4GB", "lots"])
def test_parse_size_refuses(text):
    with pytest.raises(ValueError):
        parse_size(text)


def test_split_names_and_cuts_like_tfjs_converter():
    shards = split(bytes(range(10)), 1, 4)
    assert shards == {"group2-shard1of3.bin": bytes([0, 1, 2, 3]), "group2-shard2of3.bin": bytes([4, 5, 6, 7]),
                      "group2-shard3of3.bin": bytes([8, 9])}
    assert split(b"", 0, 4) == {"group1-shard1of1.bin": b""}


@pytest.fixture(scope="module")
def selfie_64k(assets_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("selfie-64k")
    return shard_model(assets_dir / "models/selfie/model.json", out, 64 * 1024)


def test_selfie_recut_keeps_bytes_and_lists_hashes(assets_dir, selfie_64k):
    original = json.loads((assets_dir / "models/selfie/model.json").read_text())
    model = json.loads(selfie_64k.read_text())
    names = [f"group1-shard{i}of4.bin" for i in range(1, 5)]
    assert model["weightsManifest"] == [{"paths": names, "weights": original["weightsManifest"][0]["weights"]}]
    assert {k: v for k, v in model.items() if k not in ("weightsManifest", HASH_KEY)} == \
        {k: v for k, v in original.items() if k != "weightsManifest"}
    data = [(selfie_64k.parent / name).read_bytes() for name in names]
    assert [len(d) for d in data] == [65536] * 3 + [212886 - 3 * 65536]
    assert b"".join(data) == (assets_dir / "models/selfie/selfie.bin").read_bytes()
    assert shard_records(model) == {n: {"bytes": len(d), "sha256": hashlib.sha256(d).hexdigest()} for n, d in zip(names, data)}


def test_recut_predicts_exactly_as_the_original(assets_dir, selfie_64k):
    x = np.load(golden_dir(assets_dir) / ensure(assets_dir)["models"]["selfie"]["cases"]["astronaut"]["input"])
    want = load_graph_model(assets_dir / "models/selfie/model.json").predict(x)
    np.testing.assert_array_equal(load_graph_model(selfie_64k).predict(x), want)


def test_tfjs_loads_the_recut_model_over_http(assets_dir, selfie_64k):
    """TF.js's own loader fetches the four shards; same weights, same TF.js: the golden output exactly."""
    entry = ensure(assets_dir)["models"]["selfie"]
    files = entry["cases"]["camera"]
    got = tfjs_predict(assets_dir / "tfjs/tf.min.js", selfie_64k.parent, np.load(golden_dir(assets_dir) / files["input"]))
    np.testing.assert_array_equal(got["activation_10"], np.load(golden_dir(assets_dir) / files["outputs"][0]))


def test_recutting_a_folder_removes_its_old_shards(assets_dir, tmp_path):
    shard_model(assets_dir / "models/meet/model.json", tmp_path, 100_000)
    shard_model(assets_dir / "models/meet/model.json", tmp_path, 200_000, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["group1-shard1of2.bin", "group1-shard2of2.bin", "model.json"]


def test_a_non_empty_out_dir_needs_force(assets_dir, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(PyappError, match=r"OUT_DIR .* is not empty \(notes\.txt\): choose an empty folder, or pass --force"):
        shard_model(assets_dir / "models/meet/model.json", tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    shard_model(assets_dir / "models/meet/model.json", tmp_path, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["group1-shard1of1.bin", "model.json", "notes.txt"]


def test_force_never_removes_shards_it_did_not_list(assets_dir, tmp_path):
    """Over another model (tfjs-converter's model.json, no pyapp key) only same-named shards are replaced;
    over a pyapp cut, only the shards its model.json lists go."""
    other = {"group1-shard1of3.bin": b"a", "group1-shard2of3.bin": b"b", "group1-shard3of3.bin": b"c"}
    write_model(tmp_path, graph_model(paths=tuple(other)), other)
    shard_model(assets_dir / "models/meet/model.json", tmp_path, 200_000, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["group1-shard1of2.bin", "group1-shard2of2.bin", *other, "model.json"])
    model = json.loads((tmp_path / "model.json").read_text())
    model[HASH_KEY]["shards"].update({"../outside.bin": {"bytes": 1, "sha256": "0" * 64},
                                      "notes.txt": {"bytes": 1, "sha256": "0" * 64}})
    (tmp_path / "model.json").write_text(json.dumps(model))
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path.parent / "outside.bin").write_bytes(b"x")
    shard_model(assets_dir / "models/meet/model.json", tmp_path, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["group1-shard1of1.bin", *other, "model.json", "notes.txt"])
    assert (tmp_path.parent / "outside.bin").exists()


def test_refuses_its_own_folder_and_bad_sources(tmp_path):
    source = write_model(tmp_path / "m", graph_model(), {"w.bin": W_BYTES[:-1]})
    with pytest.raises(PyappError, match="own folder"):
        shard_model(source, tmp_path / "m")
    with pytest.raises(WeightsError, match=r"w\.bin hold 7 bytes .* need 8"):
        shard_model(source, tmp_path / "out")
    (tmp_path / "m/w.bin").unlink()
    with pytest.raises(WeightsError, match=r"cannot read .*w\.bin"):
        shard_model(source, tmp_path / "out")


def test_a_corrupt_source_shard_is_refused(assets_dir, tmp_path):
    shutil.copytree(assets_dir / "served-models/meet", tmp_path / "m", copy_function=shutil.copyfile)
    shard = tmp_path / "m/group1-shard1of1.bin"
    shard.write_bytes(shard.read_bytes()[:-1] + b"?")
    with pytest.raises(WeightsError, match=r"shard group1-shard1of1\.bin: sha256 .* \(corrupt or changed\)"):
        shard_model(tmp_path / "m/model.json", tmp_path / "out")


def test_malformed_hash_records_are_refused():
    with pytest.raises(ModelFormatError, match=r"pyapp\.shards\['a\.bin'\]"):
        shard_records({HASH_KEY: {"shards": {"a.bin": {"bytes": 3, "sha256": "abc"}}}})
    assert shard_records({}) == {}


def test_cli(assets_dir, tmp_path, capsys):
    assert main([str(assets_dir / "models/meet/model.json"), str(tmp_path), "--shard-size", "256KB"]) == 0
    out = capsys.readouterr().out
    assert "2 shard(s), 372,228 bytes" in out and "group1-shard1of2.bin     262,144 bytes" in out
    with pytest.raises(SystemExit):
        main([str(assets_dir / "models/meet/model.json"), str(tmp_path), "--shard-size", "huge"])
    assert "not a size: 'huge'" in capsys.readouterr().err


def test_cli_out_dir_that_is_a_file_or_not_empty(assets_dir, tmp_path, capsys):
    model = str(assets_dir / "models/meet/model.json")
    (tmp_path / "taken").write_text("mine")
    assert main([model, str(tmp_path / "taken")]) == 1
    assert capsys.readouterr().err == f"pyapp shard: OUT_DIR {tmp_path / 'taken'} is a file, not a folder\n"
    assert main([model, str(tmp_path / "taken" / "sub")]) == 1
    assert capsys.readouterr().err.startswith(f"pyapp shard: cannot write the model into {tmp_path / 'taken' / 'sub'}: ")
    assert main([model, str(tmp_path)]) == 1
    assert "is not empty (taken)" in capsys.readouterr().err
    assert main([model, str(tmp_path), "--force"]) == 0 and (tmp_path / "taken").read_text() == "mine"
