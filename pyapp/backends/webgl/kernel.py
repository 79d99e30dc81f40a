"""What lowering makes of a node (webgl/ops/): a Producer, one GLSL Kernel applied to tensors, packed
filters and parameters, then the node's own fused ops as elementwise epilogue steps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from ...graph import Node, Ref
from ...ops import Info
from .layout import Shape4

Arg = Ref | float  # an epilogue argument: a tensor, or a scalar constant (a uniform)
EpilogueStep = tuple[str, tuple[Arg, ...]]  # (elementwise op, its arguments after the value)
Infos = Mapping[Ref, Info]
Consts = Mapping[Ref, np.ndarray]


@dataclass(frozen=True)
class Kernel:
    """GLSL computing `vec4 v` at the output coordinate (n, h, w, c), c a texel of 4 channels; a
    blocked kernel computes v0..v{ROWS-1}, the rows h + m together, sharing its filter fetches.
    filtered: it reads a packed filter, W(x, y), the operand after its tensor inputs. split: when
    the kernel runs faster as two passes, (producer, its input's shape) -> Split, else None."""

    name: str
    body: str
    blocked: bool = False
    filtered: bool = False
    split: Callable[[Producer, Shape4], Split | None] | None = None


@dataclass(frozen=True)
class Producer:
    kernel: Kernel
    inputs: tuple[Ref, ...]  # operands 0.. (tensors)
    filters: tuple[np.ndarray, ...] = ()  # packed texture data, the operands after the inputs
    q0: tuple[int, int, int, int] = (0, 0, 0, 0)  # the kernel's parameters (uniforms)
    q1: tuple[int, int, int, int] = (0, 0, 0, 0)
    epilogue: tuple[EpilogueStep, ...] = ()  # the node's own fused ops, value first


@dataclass(frozen=True)
class Split:
    """A producer as two passes: `first` writes a tensor of `shape` (named after the node + suffix),
    `then` reads it as its only input."""

    suffix: str
    first: Producer
    shape: Shape4
    then: Producer


# An op's lowering: the node as a Producer, or None where the GPU does not run it (numpy does).
Lowering = Callable[[Node, Infos, Consts], Producer | None]
