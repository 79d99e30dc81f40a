"""Slice, StridedSlice, Split, SplitV: TF's slicing rules written as numpy index tuples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .registry import Info, register

BIG, BIGGER = 1_000_003, 1_000_033  # stand-ins for unknown dims: a dim that follows them is unknown too


def indexed_shape(shape, index: tuple) -> tuple | None:
    """Shape of x[index] for a static shape with possibly unknown (None) dims, without data."""
    if shape is None:
        return None
    a, b = ([d if d is not None else big for d in shape] for big in (BIG, BIGGER))
    sa, sb = np.broadcast_to(False, a)[index].shape, np.broadcast_to(False, b)[index].shape
    return tuple(x if x == y else None for x, y in zip(sa, sb))


def slice_index(begin: np.ndarray, size: np.ndarray) -> tuple:
    return tuple(slice(int(b), None if int(s) == -1 else int(b) + int(s)) for b, s in zip(begin, size))


def slice_infer(a: Any, x: Info, begin: Info, size: Info) -> list[Info]:
    if begin.value is None or size.value is None:
        return [Info(None, x.dtype)]
    return [Info(indexed_shape(x.shape, slice_index(begin.value, size.value)), x.dtype)]


@register("Slice", infer=slice_infer)
def slice_op(a: Any, x: np.ndarray, begin: np.ndarray, size: np.ndarray) -> np.ndarray:
    return x[slice_index(begin, size)]


@dataclass(frozen=True)
class Masks:
    begin: int
    end: int
    ellipsis: int
    new_axis: int
    shrink_axis: int

    def index(self, begin: np.ndarray, end: np.ndarray, strides: np.ndarray) -> tuple:
        out: list[Any] = []
        for i, (b, e, s) in enumerate(zip(begin, end, strides)):
            bit = 1 << i
            if self.ellipsis & bit:
                out.append(Ellipsis)
            elif self.new_axis & bit:
                out.append(None)
            elif self.shrink_axis & bit:
                out.append(int(b))
            else:
                out.append(slice(None if self.begin & bit else int(b), None if self.end & bit else int(e), int(s)))
        return tuple(out)


def parse_masks(attrs: dict[str, Any]) -> Masks:
    return Masks(*(int(attrs.get(f"{k}_mask", 0)) for k in ("begin", "end", "ellipsis", "new_axis", "shrink_axis")))


def strided_slice_infer(m: Masks, x: Info, begin: Info, end: Info, strides: Info) -> list[Info]:
    if begin.value is None or end.value is None or strides.value is None:
        return [Info(None, x.dtype)]
    return [Info(indexed_shape(x.shape, m.index(begin.value, end.value, strides.value)), x.dtype)]


@register("StridedSlice", infer=strided_slice_infer, parse=parse_masks)
def strided_slice(m: Masks, x: np.ndarray, begin: np.ndarray, end: np.ndarray, strides: np.ndarray) -> np.ndarray:
    return x[m.index(begin, end, strides)]


def split_sizes(size: int | None, sizes: np.ndarray | None, num: int) -> list[int | None]:
    """SplitV's size_splits (one may be -1), or num equal parts (Split)."""
    if sizes is None:
        return [None if size is None else size // num] * num
    known = [int(s) for s in sizes]
    if -1 in known:
        known[known.index(-1)] = None if size is None else size - (sum(known) + 1)
    return known


def split_infer(num: int, x: Info, sizes: np.ndarray | None, axis: Info) -> list[Info]:
    if x.shape is None or axis.value is None:
        return [Info(None, x.dtype)] * num
    ax = int(axis.value) % len(x.shape)
    return [Info((*x.shape[:ax], s, *x.shape[ax + 1 :]), x.dtype) for s in split_sizes(x.shape[ax], sizes, num)]


def split_parts(x: np.ndarray, sizes: list[int], axis: int) -> tuple[np.ndarray, ...]:
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=axis))


@register("Split", infer=lambda num, axis, x: split_infer(num, x, None, axis), parse=lambda attrs: int(attrs["num_split"]))
def split(num: int, axis: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, ...]:
    ax = int(axis) % x.ndim
    return split_parts(x, split_sizes(x.shape[ax], None, num), ax)


@register("SplitV", infer=lambda num, x, sizes, axis: split_infer(num, x, sizes.value, axis), parse=lambda attrs: int(attrs["num_split"]))
def split_v(num: int, x: np.ndarray, sizes: np.ndarray, axis: np.ndarray) -> tuple[np.ndarray, ...]:
    ax = int(axis) % x.ndim
    return split_parts(x, split_sizes(x.shape[ax], sizes, num), ax)
