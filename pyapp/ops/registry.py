"""The op table: for each TF op name, how to read its attributes, infer its output shapes and run it.

An entry is three small functions:
  parse(attrs) -> A          NodeDef attrs (decoded by pyapp.model) -> what the kernel needs, once at load:
                             a plain record (or value) every backend reads; none re-reads the attrs
  infer(a, *ins) -> [Info]   static shape/dtype of each output from the inputs' Info (values when constant)
  kernel(a, *xs) -> ndarray | tuple[ndarray, ...]   the numpy reference implementation (float32)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

Shape = tuple[int | None, ...] | None  # None: rank unknown; a None dim: size unknown


@dataclass(frozen=True)
class Info:
    """What is known about a tensor before running: shape, dtype, and its value when constant."""

    shape: Shape
    dtype: str
    value: np.ndarray | None = None


@dataclass(frozen=True)
class Op:
    name: str
    kernel: Callable[..., Any]
    infer: Callable[..., list[Info]]
    parse: Callable[[dict[str, Any]], Any]


OPS: dict[str, Op] = {}


def no_attrs(attrs: dict[str, Any]) -> None:
    """The parse of ops whose kernel needs no attribute (dtype attributes like T are implied by the inputs)."""
    return None


def register(name: str, infer: Callable[..., list[Info]], parse: Callable[[dict[str, Any]], Any] = no_attrs):
    """Decorator: @register("Relu", infer=same) def relu(a, x): ..."""

    def add(kernel: Callable[..., Any]) -> Callable[..., Any]:
        OPS[name] = Op(name, kernel, infer, parse)
        return kernel

    return add


def parse_placeholder(attrs: dict[str, Any]) -> Info:
    """A Placeholder's declared dtype and shape (a None dim: any size; shape None: any rank)."""
    return Info(attrs.get("shape"), text(attrs.get("dtype", "float32")))


# --- attribute readers shared by the op modules -------------------------------------------------


def text(v: Any) -> str:
    """A string attribute as str (pyapp.model leaves bytes that are not UTF-8 as bytes)."""
    return v.decode() if isinstance(v, bytes) else str(v)


def attr_str(attrs: dict[str, Any], key: str, default: str | None = None) -> str:
    v = attrs.get(key, default)
    if v is None:
        raise ValueError(f"missing attribute {key!r}")
    return text(v)


def nhwc_pair(attrs: dict[str, Any], key: str) -> tuple[int, int]:
    """strides / dilations / ksize given as [1, h, w, 1] in NHWC: -> (h, w)."""
    if attr_str(attrs, "data_format", "NHWC") != "NHWC":
        raise ValueError(f"data_format {attr_str(attrs, 'data_format')} is not supported (only NHWC)")
    v = list(attrs.get(key) or [1, 1, 1, 1])
    if len(v) == 2:
        return int(v[0]), int(v[1])
    if len(v) != 4 or v[0] != 1 or v[3] != 1:
        raise ValueError(f"{key}={v} is not supported (batch and channel entries must be 1)")
    return int(v[1]), int(v[2])


# --- shape inference helpers --------------------------------------------------------------------


def same(a: Any, x: Info, *rest: Info) -> list[Info]:
    return [Info(x.shape, x.dtype)]


def broadcast(*shapes: Shape) -> Shape:
    if any(s is None for s in shapes):
        return None
    rank = max(len(s) for s in shapes)
    out: list[int | None] = []
    for dims in zip(*[(1,) * (rank - len(s)) + tuple(s) for s in shapes]):
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            raise ValueError(f"shapes {shapes} do not broadcast")
        out.append(known.pop() if known else (None if None in dims else 1))
    return tuple(out)


def const_value(x: Info, what: str) -> np.ndarray:
    if x.value is None:
        raise ValueError(f"{what} must be a constant")
    return x.value


def normalize_axes(axes: Any, rank: int) -> tuple[int, ...]:
    return tuple(sorted({int(a) % rank for a in np.atleast_1d(axes)}))
