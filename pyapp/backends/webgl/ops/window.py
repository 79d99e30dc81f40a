"""Sliding windows in GLSL, shared by the conv, depthwise and pooling kernels: the generic tap loop,
the unrolled square windows, and a window's parameters as uniforms.

Window kernels read q0 = (kh, kw, sh, sw), q1 = (dh, dw, pad top, pad left); operand 0 is the data."""

from __future__ import annotations

from typing import Callable

from ..glsl import ACCUMULATORS, SHIFT, rows
from ..kernel import Kernel
from ..layout import ROWS

# Window taps without branches: a tap outside the input reads a clamped pixel and weighs it by
# `inside` (0 or 1). The generic loops, for windows other than the square ones square_window unrolls.
WINDOW = """  int y = h * q0.z - q1.z + ky * q1.x;
    bool yin = y >= 0 && y < s0.y;
    y = clamp(y, 0, s0.y - 1);
    for (int kx = 0; kx < q0.y; kx++) {
      int x = w * q0.w - q1.w + kx * q1.y;
      float inside = float(yin && x >= 0 && x < s0.z);
      x = clamp(x, 0, s0.z - 1);
"""


def window_loop(start: str, tap: str, end: str = "") -> str:
    """A generic window kernel: `start` declares v, `tap` accumulates one tap (x0(n, y, x, c) weighed
    by `inside`), `end` finishes v."""
    return start + "  for (int ky = 0; ky < q0.x; ky++) {\n  " + WINDOW + tap + "    }\n  }\n" + end


SQUARE_SIZES = (3, 5)  # the windows of the models we target; other windows take the generic loops


def square_window(k: int, tap: Callable[[int, str], str]) -> str:
    """A k x k window (strides, dilations, pads still uniforms) with the k input columns resolved
    once per fragment and each row's taps unrolled: SwiftShader pays more for per-tap address
    arithmetic in a loop than for the fetches (blazeface's 3x3 depthwise passes: 197 -> 140 ms).
    tap(j, t): the code of tap j (filter row t) for every output row m, reading texel column col{j}
    at (row, layer) at{m}, weighed by in{j} * yin{m}: 1 inside the input, 0 in the padding."""
    columns = "".join(f"""  int col{j} = w * q0.w - q1.w + {j} * q1.y;
  float in{j} = float(col{j} >= 0 && col{j} < s0.z);
  col{j} = clamp(col{j}, 0, s0.z - 1) * ci4;
""" for j in range(k))
    return ACCUMULATORS + f"""  int ci4 = (s0.w + 3) >> 2, co4 = (os.w + 3) >> 2, hin = (s0.y + {ROWS - 1}) >> {SHIFT};
{columns}  for (int ky = 0; ky < {k}; ky++) {{
""" + rows("""    int y{m} = (h + {m}) * q0.z - q1.z + ky * q1.x;
    float yin{m} = float(y{m} >= 0 && y{m} < s0.y);
    y{m} = clamp(y{m}, 0, s0.y - 1);
""") + rows(f"    ivec2 at{{m}} = ivec2(n * hin + (y{{m}} >> {SHIFT}), y{{m}} & {ROWS - 1});\n") + "".join(
        tap(j, f"ky * {k} + {j}") for j in range(k)) + "  }\n"


def square_kernels(name: str, tap: Callable[[int, str], str]) -> dict[int, Kernel]:
    """The unrolled square-window kernels name3, name5 (blocked, filtered)."""
    return {k: Kernel(f"{name}{k}", square_window(k, tap), blocked=True, filtered=True) for k in SQUARE_SIZES}


def square(kernels: dict[int, Kernel], generic: Kernel, kh: int, kw: int) -> Kernel:
    """The unrolled kernel for a square window of a size it has, else the generic loop."""
    return kernels[kh] if kh == kw and kh in kernels else generic


def window_params(win, h: int, w: int, kh: int, kw: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(q0, q1) of a window (pyapp.ops.window.Window) over an h x w input."""
    _, pt, _ = win.axis(h, kh, 0)
    _, pl, _ = win.axis(w, kw, 1)
    return (kh, kw, *win.strides), (*win.dilations, pt, pl)
