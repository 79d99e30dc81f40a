"""pyapp.tasks.config and the shared Task: model names, per-model configs, overrides, checks."""

import pytest

from pyapp.errors import InputError
from pyapp.tasks import CONFIGS, FaceDetector, ImageSegmenter
from pyapp.tasks.config import config_for, model_name
from pyapp.tasks.preprocess import Preprocess


def test_model_names_come_from_the_folder_of_model_json():
    assert model_name(".assets/models/blazeface/model.json") == "blazeface"
    assert model_name("http://127.0.0.1:8000/models/movenet-lightning/model.json?v=2") == "movenet-lightning"


def test_every_served_model_has_a_config(assets_dir):
    assert sorted(CONFIGS) == sorted(p.name for p in (assets_dir / "models").iterdir())


def test_overrides_change_the_preprocessing_only_where_asked():
    config = config_for("blazeface", "face", {"resize": "stretch", "score_threshold": 0.7})
    assert config.preprocess == Preprocess((256, 256), "stretch", "signed")
    assert config_for("selfie", "segment", {"input_size": [128, 128]}).preprocess.size == (128, 128)


@pytest.mark.parametrize("name, kind, overrides, words", [
    ("yolo", "face", {}, "no task configuration for model 'yolo'"),
    ("selfie", "face", {}, "model 'selfie' is a 'segment' model, not 'face'"),
    ("blazeface", "face", {"resize": "zoom"}, "resize='zoom'"),
])
def test_bad_configs_are_named(name, kind, overrides, words):
    with pytest.raises(InputError, match=words):
        config_for(name, kind, overrides)


def test_a_task_checks_options_and_the_models_input(assets_dir):
    path = assets_dir / "models" / "selfie" / "model.json"
    with pytest.raises(InputError, match="unknown option colour"):
        ImageSegmenter.load(path, colour="red")
    with pytest.raises(InputError, match=r"selfie: the model's input 'input_1' is \(1, 256, 256, 3\).*\(1, 128, 128, 3\)"):
        ImageSegmenter.load(path, input_size=(128, 128))
    with pytest.raises(InputError, match="not 'face'"):
        FaceDetector.load(path)


@pytest.mark.parametrize("options, words", [({"threshold": 1.5}, r"threshold=1.5 must be a number within \[0, 1\]"),
                                            ({"smoothing": 1.0}, r"smoothing=1.0 must be a number within \[0, 0.95\]"),
                                            ({"softness": "wide"}, "softness='wide'")])
def test_option_values_are_checked(assets_dir, options, words):
    with pytest.raises(InputError, match=words):
        ImageSegmenter.load(assets_dir / "models" / "selfie" / "model.json", **options)
