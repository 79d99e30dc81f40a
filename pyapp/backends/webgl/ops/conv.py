"""Conv2D / _FusedConv2D with a constant filter: a 1x1 conv as "pointwise", a conv over at most 4
channels (an image model's first layer) as "stem", the others as "conv"; square 3x3 and 5x5 windows
unrolled. The filter is packed in 4x4 blocks (layout.pack_blocks)."""

from __future__ import annotations

from ....graph import Node
from ..glsl import ACCUMULATORS, SHIFT, rows
from ..kernel import Consts, Infos, Kernel, Lowering, Producer
from ..layout import ROWS, pack_blocks
from .elementwise import fused_steps
from .window import square, square_kernels, window_loop, window_params

CONV = Kernel("conv", window_loop("""  vec4 v = vec4(0.0);
  int ci4 = (s0.w + 3) >> 2, co4 = (os.w + 3) >> 2;
""", """      ivec2 r = ivec2(0, (ky * q0.y + kx) * co4 + c);
      for (int i = 0; i < ci4; i++, r.x += 4) {
        vec4 a = x0(n, y, x, i) * inside;
        int left = s0.w - i * 4;  // no filter fetch for padding lanes (first layers: 1 or 3 channels)
        v += a.x * W(r.x, r.y);
        if (left > 1) v += a.y * W(r.x + 1, r.y);
        if (left > 2) v += a.z * W(r.x + 2, r.y);
        if (left > 3) v += a.w * W(r.x + 3, r.y);
      }
"""), filtered=True)

# 1x1, stride 1, no padding (and MatMul): the input's rows h + m are layer m of one texel row, so
# each step over 4 input channels reads 4 filter texels and ROWS input texels.
POINTWISE = Kernel("pointwise", ACCUMULATORS + f"""  int ci4 = (s0.w + 3) >> 2;
  ivec3 at = ivec3(w * ci4, n * ((s0.y + {ROWS - 1}) >> {SHIFT}) + (h >> {SHIFT}), 0);
  for (int i = 0, r = 0; i < ci4; i++, at.x++, r += 4) {{
    vec4 w0 = W(r, c), w1 = W(r + 1, c), w2 = W(r + 2, c), w3 = W(r + 3, c);
""" + rows("""    u = texelFetch(t0, at + ivec3(0, 0, {m}), 0);
    v{m} += u.x * w0 + u.y * w1 + u.z * w2 + u.w * w3;
""") + "  }\n", blocked=True, filtered=True)
POINTWISE_PARAMS = ((1, 1, 1, 1), (1, 1, 0, 0))  # (q0, q1) of a 1x1 window, stride 1, no padding


def conv_tap(j: int, t: str) -> str:
    """Every input texel i of the pixel; filter rows as for "conv"."""
    return f"""    for (int i = 0, r = ({t}) * co4 + c; i < ci4; i++) {{
      vec4 w0 = W(i * 4, r), w1 = W(i * 4 + 1, r), w2 = W(i * 4 + 2, r), w3 = W(i * 4 + 3, r);
""" + rows(f"""      u = texelFetch(t0, ivec3(col{j} + i, at{{m}}), 0) * (in{j} * yin{{m}});
      v{{m}} += u.x * w0 + u.y * w1 + u.z * w2 + u.w * w3;
""") + "    }\n"


def stem_tap(j: int, t: str) -> str:
    """A conv over at most 4 channels (an image model's first layer): one texel a tap, no loop, and
    no fetch of the 4th filter texel for 3 channels."""
    return f"""    {{
      int r = ({t}) * co4 + c;
      vec4 w0 = W(0, r), w1 = W(1, r), w2 = W(2, r), w3 = vec4(0.0);
      if (s0.w > 3) w3 = W(3, r);
""" + rows(f"""      u = texelFetch(t0, ivec3(col{j}, at{{m}}), 0) * (in{j} * yin{{m}});
      v{{m}} += u.x * w0 + u.y * w1 + u.z * w2 + u.w * w3;
""") + "    }\n"


SQUARE_CONV = square_kernels("conv", conv_tap)
SQUARE_STEM = square_kernels("stem", stem_tap)  # other stem windows run as CONV


def conv(node: Node, infos: Infos, consts: Consts) -> Producer | None:
    x, wref, *extra = node.inputs
    if wref not in consts or (epilogue := fused_steps(node.attrs.fused, tuple(extra))) is None:
        return None
    wt = consts[wref]
    kh, kw, ci, co = wt.shape
    _, h, w, _ = infos[x].shape
    q0, q1 = window_params(node.attrs.window, h, w, kh, kw)
    kernel = POINTWISE if (q0, q1) == POINTWISE_PARAMS else square(SQUARE_CONV if ci > 4 else SQUARE_STEM, CONV, kh, kw)
    return Producer(kernel, (x,), (pack_blocks(wt.reshape(kh * kw, ci, co)),), q0, q1, epilogue)


LOWERINGS: dict[str, Lowering] = {"Conv2D": conv, "_FusedConv2D": conv}
