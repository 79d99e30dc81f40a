"""What every task shares: loading (model + config), checking the config against the model's
input, preprocessing an image, running the model, timing each stage."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..api import GraphModel, load_graph_model
from ..errors import InputError
from .config import PREPROCESS_KEYWORDS, ModelConfig, config_for, model_name
from .preprocess import Transform, prepare


def default_backend(backend: str) -> str:
    """"auto" in CPython is the numpy backend (the worker chooses for itself: tasks_methods)."""
    return "cpu" if backend == "auto" else backend


class Task:
    kind = ""  # a ModelConfig.task
    verb = ""  # the method that takes an image and gives the result
    defaults: dict[str, Any] = {}  # the task's options and their defaults
    limits: dict[str, tuple[float, float]] = {}  # numeric options: (lowest, highest) allowed

    def __init__(self, model: GraphModel, name: str, **options: Any):
        """model: a loaded GraphModel; name: its key in CONFIGS; options: the task's options
        (defaults) and preprocessing overrides (resize, value_range, input_size)."""
        if unknown := sorted(set(options) - set(self.defaults) - set(PREPROCESS_KEYWORDS)):
            known = sorted([*self.defaults, *PREPROCESS_KEYWORDS])
            raise InputError(f"{type(self).__name__}: unknown option {', '.join(unknown)} (options: {', '.join(known)})")
        self.model, self.name = model, name
        self.config: ModelConfig = config_for(name, self.kind, options)
        self.options = self.checked({**self.defaults, **{k: v for k, v in options.items() if k in self.defaults}})
        self.timings: dict[str, float] = {}  # ms of the last call: preprocess, model, decode
        self.check_input()

    def checked(self, options: dict[str, Any]) -> dict[str, Any]:
        """options, once each numeric one is within its limits (None only where that is the default)."""
        for name, (low, high) in self.limits.items():
            value = options[name]
            if value is None and self.defaults[name] is None:
                continue
            if isinstance(value, bool) or not (isinstance(value, (int, float)) and low <= value <= high):
                raise InputError(f"{type(self).__name__}: option {name}={value!r} must be a number within [{low}, {high}]")
        return options

    @classmethod
    def load(cls, source: str, backend: str = "auto", model: str | None = None, **options: Any):
        """model.json at a path or URL; model: the config's name when the folder's differs."""
        return cls(load_graph_model(source, default_backend(backend)), model or model_name(source), **options)

    def check_input(self) -> None:
        (spec,) = self.model.inputs
        pre = self.config.preprocess
        want = (*pre.size, pre.channels)
        if spec.shape is not None and any(d is not None and d != w for d, w in zip(spec.shape[1:], want)):
            raise InputError(f"{self.name}: the model's input {spec.name!r} is {tuple(spec.shape)}, the preprocessing "
                             f"makes (1, {want[0]}, {want[1]}, {want[2]}) (input_size, value_range)")

    def run(self, image) -> tuple[dict[str, np.ndarray], Transform]:
        """The model's outputs for an image, and the transform back to the image's pixels."""
        t0 = time.perf_counter()
        batch, transform = prepare(image, self.config.preprocess)
        t1 = time.perf_counter()
        outputs = self.model.predict(batch, list(self.model.output_names))
        self.timings = {"preprocess": (t1 - t0) * 1000, "model": (time.perf_counter() - t1) * 1000}
        return outputs, transform

    def decoded(self, started: float) -> None:
        self.timings["decode"] = (time.perf_counter() - started) * 1000

    def dispose(self) -> None:
        self.model.dispose()
