"""Reductions over axes given as a tensor (Mean, Sum, Max, Min, Prod), ArgMax/ArgMin, Softmax."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .registry import Info, const_value, normalize_axes, register, same


def reduce_infer(keep_dims: bool, x: Info, axes: Info) -> list[Info]:
    if x.shape is None:
        return [Info(None, x.dtype)]
    drop = normalize_axes(const_value(axes, "reduction axes"), len(x.shape)) if len(x.shape) else ()
    shape = tuple(1 if i in drop else d for i, d in enumerate(x.shape)) if keep_dims else tuple(d for i, d in enumerate(x.shape) if i not in drop)
    return [Info(shape, x.dtype)]


def reduction(fn: Callable[..., np.ndarray], wide: bool) -> Callable[..., np.ndarray]:
    """wide: accumulate float32 in float64 (as TF.js's CPU backend does in JS numbers), then round."""

    def kernel(keep_dims: bool, x: np.ndarray, axes: np.ndarray) -> np.ndarray:
        acc = {"dtype": np.float64} if wide and x.dtype == np.float32 else {}
        out = fn(x, axis=normalize_axes(axes, x.ndim) if x.ndim else None, keepdims=keep_dims, **acc)
        return np.asarray(out, dtype=x.dtype)

    return kernel


for _name, _fn, _wide in (("Mean", np.mean, True), ("Sum", np.sum, True), ("Prod", np.prod, True), ("Max", np.max, False), ("Min", np.min, False)):
    register(_name, infer=reduce_infer, parse=lambda attrs: bool(attrs.get("keep_dims", False)))(reduction(_fn, _wide))


def arg_infer(dtype: str, x: Info, axis: Info) -> list[Info]:
    if x.shape is None:
        return [Info(None, dtype)]
    at = int(const_value(axis, "ArgMax dimension")) % len(x.shape)
    return [Info(tuple(d for i, d in enumerate(x.shape) if i != at), dtype)]


for _name, _fn in {"ArgMax": np.argmax, "ArgMin": np.argmin}.items():
    register(_name, infer=arg_infer, parse=lambda attrs: str(attrs.get("output_type", "int64")))(
        lambda dtype, x, axis, fn=_fn: fn(x, axis=int(axis)).astype(dtype)
    )


@register("Softmax", infer=same)
def softmax(a: Any, x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
