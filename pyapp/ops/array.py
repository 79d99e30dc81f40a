"""Shape and indexing ops: Reshape, Squeeze, ExpandDims, ConcatV2, Pack, Unpack, Pad, GatherNd, Transpose..."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .registry import Info, const_value, normalize_axes, register, same


@register("Identity", infer=same)
def identity(a: Any, x: np.ndarray) -> np.ndarray:
    return x


def reshape_infer(a: Any, x: Info, shape: Info) -> list[Info]:
    if shape.value is None:
        return [Info(None, x.dtype)]
    dims = [int(d) for d in shape.value]
    if -1 in dims:
        known = math.prod(d for d in dims if d != -1)
        total = None if x.shape is None or None in x.shape else math.prod(x.shape)
        dims[dims.index(-1)] = None if total is None or known == 0 else total // known
    return [Info(tuple(dims), x.dtype)]


@register("Reshape", infer=reshape_infer)
def reshape(a: Any, x: np.ndarray, shape: np.ndarray) -> np.ndarray:
    return x.reshape([int(d) for d in shape])


def squeeze_infer(axes: list[int], x: Info) -> list[Info]:
    if x.shape is None:
        return [Info(None, x.dtype)]
    drop = normalize_axes(axes, len(x.shape)) if axes else tuple(i for i, d in enumerate(x.shape) if d == 1)
    return [Info(tuple(d for i, d in enumerate(x.shape) if i not in drop), x.dtype)]


@register("Squeeze", infer=squeeze_infer, parse=lambda attrs: list(attrs.get("squeeze_dims") or attrs.get("axis") or []))
def squeeze(axes: list[int], x: np.ndarray) -> np.ndarray:
    return np.squeeze(x, axis=normalize_axes(axes, x.ndim)) if axes else np.squeeze(x)


def expand_dims_infer(a: Any, x: Info, axis: Info) -> list[Info]:
    if x.shape is None:
        return [Info(None, x.dtype)]
    at = int(const_value(axis, "ExpandDims axis").reshape(-1)[0]) % (len(x.shape) + 1)
    return [Info((*x.shape[:at], 1, *x.shape[at:]), x.dtype)]


@register("ExpandDims", infer=expand_dims_infer)
def expand_dims(a: Any, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
    return np.expand_dims(x, int(axis.reshape(-1)[0]))


def joined(shapes: list[Any], axis: int, stack: bool) -> tuple | None:
    if any(s is None for s in shapes):
        return None
    rank = len(shapes[0]) + stack
    axis %= rank
    if stack:
        return (*shapes[0][:axis], len(shapes), *shapes[0][axis:])
    sizes = [s[axis] for s in shapes]
    return (*shapes[0][:axis], None if None in sizes else sum(sizes), *shapes[0][axis + 1 :])


def concat_infer(a: Any, *xs: Info) -> list[Info]:
    *parts, axis = xs
    return [Info(joined([p.shape for p in parts], int(const_value(axis, "ConcatV2 axis")), False), parts[0].dtype)]


@register("ConcatV2", infer=concat_infer)
def concat(a: Any, *xs: np.ndarray) -> np.ndarray:
    *parts, axis = xs
    return np.concatenate(parts, axis=int(axis))


@register("Pack", infer=lambda axis, *xs: [Info(joined([x.shape for x in xs], axis, True), xs[0].dtype)], parse=lambda attrs: int(attrs.get("axis", 0)))
def pack(axis: int, *xs: np.ndarray) -> np.ndarray:
    return np.stack(xs, axis=axis)


def unpack_infer(a: tuple[int, int], x: Info) -> list[Info]:
    axis, num = a
    shape = None if x.shape is None else tuple(d for i, d in enumerate(x.shape) if i != axis % len(x.shape))
    return [Info(shape, x.dtype)] * num


@register("Unpack", infer=unpack_infer, parse=lambda attrs: (int(attrs.get("axis", 0)), int(attrs["num"])))
def unpack(a: tuple[int, int], x: np.ndarray) -> tuple[np.ndarray, ...]:
    return tuple(np.moveaxis(x, a[0], 0))


def pad_infer(a: Any, x: Info, paddings: Info, *value: Info) -> list[Info]:
    if x.shape is None or paddings.value is None:
        return [Info(None, x.dtype)]
    return [Info(tuple(None if d is None else d + int(b) + int(e) for d, (b, e) in zip(x.shape, paddings.value)), x.dtype)]


@register("Pad", infer=pad_infer)
def pad(a: Any, x: np.ndarray, paddings: np.ndarray, value: np.ndarray | None = None) -> np.ndarray:
    return np.pad(x, [(int(b), int(e)) for b, e in paddings], constant_values=0 if value is None else value.item())


register("PadV2", infer=pad_infer)(pad)


def gather_nd_infer(a: Any, params: Info, indices: Info) -> list[Info]:
    if params.shape is None or indices.shape is None or indices.shape[-1] is None:
        return [Info(None, params.dtype)]
    return [Info((*indices.shape[:-1], *params.shape[indices.shape[-1] :]), params.dtype)]


@register("GatherNd", infer=gather_nd_infer)
def gather_nd(a: Any, params: np.ndarray, indices: np.ndarray) -> np.ndarray:
    return params[tuple(np.moveaxis(indices, -1, 0))]


def gather_infer(a: None, params: Info, indices: Info, axis: Info) -> list[Info]:
    if params.shape is None or indices.shape is None:
        return [Info(None, params.dtype)]
    ax = int(const_value(axis, "GatherV2 axis")) % len(params.shape)
    return [Info((*params.shape[:ax], *indices.shape, *params.shape[ax + 1 :]), params.dtype)]


def parse_gather(attrs: dict[str, Any]) -> None:
    if int(attrs.get("batch_dims", 0)):
        raise ValueError("GatherV2 with batch_dims is not supported")


@register("GatherV2", infer=gather_infer, parse=parse_gather)
def gather(a: None, params: np.ndarray, indices: np.ndarray, axis: np.ndarray) -> np.ndarray:
    return np.take(params, indices, axis=int(axis))


def transpose_infer(a: Any, x: Info, perm: Info) -> list[Info]:
    if x.shape is None or perm.value is None:
        return [Info(None, x.dtype)]
    return [Info(tuple(x.shape[int(p)] for p in perm.value), x.dtype)]


@register("Transpose", infer=transpose_infer)
def transpose(a: Any, x: np.ndarray, perm: np.ndarray) -> np.ndarray:
    return np.transpose(x, [int(p) for p in perm])


@register("Shape", infer=lambda a, x: [Info(None if x.shape is None else (len(x.shape),), "int32")])
def shape(a: Any, x: np.ndarray) -> np.ndarray:
    return np.array(x.shape, dtype=np.int32)


def tile_infer(a: Any, x: Info, multiples: Info) -> list[Info]:
    if x.shape is None or multiples.value is None:
        return [Info(None, x.dtype)]
    return [Info(tuple(None if d is None else d * int(m) for d, m in zip(x.shape, multiples.value)), x.dtype)]


@register("Tile", infer=tile_infer)
def tile(a: Any, x: np.ndarray, multiples: np.ndarray) -> np.ndarray:
    return np.tile(x, [int(m) for m in multiples])
