"""What the benchmark compares: pyapp's backends in its worker, TF.js 4.22's on the main thread and in a worker."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Engine:
    runtime: str  # "pyapp" | "tfjs"
    backend: str
    where: str  # "main" (the page's thread) | "worker"

    @property
    def label(self) -> str:
        return f"{self.runtime} {self.backend} {self.where}"


ENGINES = (
    Engine("pyapp", "webgl", "worker"),
    Engine("pyapp", "wasm", "worker"),
    Engine("pyapp", "cpu", "worker"),
    Engine("tfjs", "webgl", "main"),
    Engine("tfjs", "wasm", "main"),
    Engine("tfjs", "cpu", "main"),
    Engine("tfjs", "webgl", "worker"),
    Engine("tfjs", "wasm", "worker"),
    Engine("tfjs", "cpu", "worker"),
)
# Ratios are given against these: how most pages run TF.js.
BASELINES = (Engine("tfjs", "webgl", "main"), Engine("tfjs", "wasm", "main"))


def order(repeat: int) -> tuple[Engine, ...]:
    """Engines in the order of one repeat: reversed every other repeat, so none always goes first."""
    return ENGINES if repeat % 2 == 0 else ENGINES[::-1]
