"""MatMul (transpose_a/b), _FusedMatMul (bias + activation), BatchMatMul / BatchMatMulV2 (adj_x/adj_y)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .fused import Fused, apply_fused, parse_fused
from .gemm import gemm
from .registry import Info, broadcast, register


@dataclass(frozen=True)
class MatMul:
    transpose_a: bool
    transpose_b: bool
    fused: Fused = Fused()  # _FusedMatMul's bias and activation (extra inputs after b)


def parse_matmul(attrs: dict[str, Any]) -> MatMul:
    return MatMul(bool(attrs.get("transpose_a", attrs.get("adj_x", False))), bool(attrs.get("transpose_b", attrs.get("adj_y", False))))


def parse_fused_matmul(attrs: dict[str, Any]) -> MatMul:
    return replace(parse_matmul(attrs), fused=parse_fused(attrs))


def matmul_infer(a: MatMul, x: Info, y: Info, *args: Info) -> list[Info]:
    if x.shape is None or y.shape is None:
        return [Info(None, x.dtype)]
    m = x.shape[-1] if a.transpose_a else x.shape[-2]
    n = y.shape[-2] if a.transpose_b else y.shape[-1]
    return [Info((*broadcast(x.shape[:-2], y.shape[:-2]), m, n), x.dtype)]


@register("MatMul", infer=matmul_infer, parse=parse_matmul)
def matmul(a: MatMul, x: np.ndarray, y: np.ndarray, *args: np.ndarray) -> np.ndarray:
    x, y = (np.swapaxes(x, -1, -2) if a.transpose_a else x), (np.swapaxes(y, -1, -2) if a.transpose_b else y)
    out = gemm(x, y) if x.ndim == y.ndim == 2 else np.matmul(x, y)
    return apply_fused(a.fused, out, args)


register("_FusedMatMul", infer=matmul_infer, parse=parse_fused_matmul)(matmul)
register("BatchMatMul", infer=matmul_infer, parse=parse_matmul)(matmul)
register("BatchMatMulV2", infer=matmul_infer, parse=parse_matmul)(matmul)
