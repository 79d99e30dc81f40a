"""Unary and broadcasting binary ops, plus the activations that fused conv/matmul ops reuse (fused.py)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .registry import Info, broadcast, register, same

F32 = np.float32


def sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(-x) -> inf for x < -88 gives the right 0
        return F32(1) / (F32(1) + np.exp(-x))


def elu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.expm1(np.minimum(x, F32(0))))


UNARY: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "Relu": lambda x: np.maximum(x, x.dtype.type(0)),
    "Relu6": lambda x: np.clip(x, x.dtype.type(0), x.dtype.type(6)),
    "Elu": elu,
    "Selu": lambda x: F32(1.0507009873554805) * np.where(x > 0, x, F32(1.6732632423543772) * np.expm1(np.minimum(x, F32(0)))),
    "Sigmoid": sigmoid,
    "HardSigmoid": lambda x: np.clip(x * F32(0.2) + F32(0.5), F32(0), F32(1)),
    "Tanh": np.tanh,
    "Softplus": lambda x: np.logaddexp(x, F32(0)).astype(x.dtype),
    "Sqrt": np.sqrt,
    "Rsqrt": lambda x: F32(1) / np.sqrt(x),
    "Square": np.square,
    "Abs": np.abs,
    "Neg": np.negative,
    "Exp": np.exp,
    "Log": np.log,
    "Floor": np.floor,
    "Ceil": np.ceil,
    "Reciprocal": lambda x: F32(1) / x,
}


def floor_div(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if np.issubdtype(x.dtype, np.integer):
        return np.floor_divide(x, y)
    return np.floor(x / y)


BINARY: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "Add": np.add,
    "AddV2": np.add,
    "Sub": np.subtract,
    "Mul": np.multiply,
    "RealDiv": np.divide,
    "Div": lambda x, y: floor_div(x, y) if np.issubdtype(x.dtype, np.integer) else np.divide(x, y),
    "FloorDiv": floor_div,
    "FloorMod": np.mod,
    "Maximum": np.maximum,
    "Minimum": np.minimum,
    "Pow": np.power,
    "SquaredDifference": lambda x, y: np.square(x - y),
    "Greater": np.greater,
    "GreaterEqual": np.greater_equal,
    "Less": np.less,
    "LessEqual": np.less_equal,
    "Equal": np.equal,
}
COMPARISONS = {"Greater", "GreaterEqual", "Less", "LessEqual", "Equal"}


def binary_infer(name: str) -> Callable[..., list[Info]]:
    def infer(a: Any, x: Info, y: Info) -> list[Info]:
        return [Info(broadcast(x.shape, y.shape), "bool" if name in COMPARISONS else x.dtype)]

    return infer


def keep_dtype(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """TF keeps the input dtype; numpy would promote int32 / float32 scalars in places."""

    def kernel(a: Any, x: np.ndarray, *ys: np.ndarray) -> np.ndarray:
        out = fn(x, *ys)
        return out if out.dtype == x.dtype or out.dtype == np.bool_ else out.astype(x.dtype)

    return kernel


for _name, _fn in UNARY.items():
    register(_name, infer=same)(keep_dtype(_fn))
for _name, _fn in BINARY.items():
    register(_name, infer=binary_infer(_name))(keep_dtype(_fn))


def leaky_relu(x: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(x > 0, x, x * F32(alpha))


@register("LeakyRelu", infer=same, parse=lambda attrs: float(attrs.get("alpha", 0.2)))
def leaky_relu_op(alpha: float, x: np.ndarray) -> np.ndarray:
    return leaky_relu(x, alpha)


def prelu(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, x * alpha)


@register("Prelu", infer=lambda a, x, alpha: [Info(x.shape, x.dtype)])
def prelu_op(a: Any, x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return prelu(x, alpha)


@register("BiasAdd", infer=lambda a, x, b: [Info(x.shape, x.dtype)])
def bias_add(a: Any, x: np.ndarray, b: np.ndarray) -> np.ndarray:
    return x + b  # NHWC: the bias runs along the last axis, which broadcasting already does


def addn_infer(a: Any, *xs: Info) -> list[Info]:
    return [Info(broadcast(*(x.shape for x in xs)), xs[0].dtype)]


@register("AddN", infer=addn_infer)
def add_n(a: Any, *xs: np.ndarray) -> np.ndarray:
    out = xs[0] + xs[1] if len(xs) > 1 else xs[0].copy()
    for x in xs[2:]:
        out += x
    return out


@register("Cast", infer=lambda dst, x: [Info(x.shape, dst)], parse=lambda attrs: attrs["DstT"])
def cast(dst: str, x: np.ndarray) -> np.ndarray:
    if np.issubdtype(np.dtype(dst), np.integer) and np.issubdtype(x.dtype, np.floating):
        return np.trunc(x).astype(dst)  # TF casts float -> int by truncation toward zero
    return x.astype(dst)
