"""The epilogue of a fused conv / matmul node (_FusedConv2D, FusedDepthwiseConv2dNative, _FusedMatMul):
TF's fused_ops / leakyrelu_alpha attributes decoded once into a record every backend reads, and the
numpy form of that record."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Callable

import numpy as np

from .elementwise import F32, UNARY, leaky_relu, prelu
from .registry import text

# Unary activations the fusion pass folds into a conv / matmul (graph/fuse.py).
FUSABLE = ("Relu", "Relu6", "Elu", "Selu", "Sigmoid", "Tanh", "HardSigmoid")
# What a converted model's fused_ops may name after BiasAdd: Prelu reads its slope from an input.
ACTIVATIONS = (*FUSABLE, "LeakyRelu", "Prelu")


@dataclass(frozen=True)
class Fused:
    """After the product: add the bias (the node's extra input 0) when `bias`, then `activation`.
    Prelu's slope is extra input 1; LeakyRelu's is `alpha`. Fused() does nothing (a plain Conv2D)."""

    bias: bool = False
    activation: str | None = None
    alpha: float = 0.2


def parse_fused(attrs: dict[str, Any]) -> Fused:
    ops = [text(v) for v in attrs.get("fused_ops") or ()]
    if ops and ops[0] != "BiasAdd":
        raise ValueError(f"fused_ops {ops} are not supported (the first must be BiasAdd)")
    if len(ops) > 2:
        raise ValueError(f"fused_ops {ops} are not supported (at most BiasAdd + one activation)")
    activation = ops[1] if len(ops) == 2 else None
    if activation is not None and activation not in ACTIVATIONS:
        raise ValueError(f"fused activation {activation!r} is not supported")
    return Fused(bool(ops), activation, float(attrs.get("leakyrelu_alpha", 0.2)))


Step = Callable[[np.ndarray, tuple[np.ndarray, ...]], np.ndarray]


@cache  # one list of steps per distinct record, made at the first run
def numpy_steps(fused: Fused) -> tuple[Step, ...]:
    """fn(y, extra_args) per fused op, in place where numpy can."""
    steps: list[Step] = []
    if fused.bias:
        steps.append(lambda y, args: np.add(y, args[0], out=y))
    act = fused.activation
    if act == "Relu":
        steps.append(lambda y, args: np.maximum(y, F32(0), out=y))
    elif act == "Relu6":
        steps.append(lambda y, args: np.clip(y, F32(0), F32(6), out=y))
    elif act == "LeakyRelu":
        steps.append(lambda y, args: leaky_relu(y, fused.alpha))
    elif act == "Prelu":
        steps.append(lambda y, args: prelu(y, args[1]))
    elif act is not None:
        steps.append(lambda y, args, fn=UNARY[act]: fn(y))
    return tuple(steps)


def apply_fused(fused: Fused, y: np.ndarray, args: tuple[np.ndarray, ...]) -> np.ndarray:
    """y (the conv / matmul product, owned by the caller) after the node's fused ops."""
    for step in numpy_steps(fused):
        y = step(y, args)
    return y
