"""Conv2DBackpropInput (a transposed conv, dilation 1) with constant sizes and filter; the filter is
packed transposed (layout.pack_blocks), its In axis being this op's output channels."""

from __future__ import annotations

from ....graph import Node
from ..kernel import Consts, Infos, Kernel, Lowering, Producer
from ..layout import pack_blocks
from .window import window_params

# Output row h gathers input row (h + pad - ky) / sh from the taps ky congruent to h + pad modulo
# the stride.
DECONV = Kernel("deconv", """  vec4 v = vec4(0.0);
  int ci4 = (s0.w + 3) >> 2, co4 = (os.w + 3) >> 2;
  int hp = h + q1.z, wp = w + q1.w, outs = os.w - c * 4;
  for (int ky = hp - idiv(hp, q0.z) * q0.z; ky < q0.x; ky += q0.z) {
    int y = idiv(hp - ky, q0.z);
    if (hp < ky || y >= s0.y) continue;
    for (int kx = wp - idiv(wp, q0.w) * q0.w; kx < q0.y; kx += q0.w) {
      int x = idiv(wp - kx, q0.w);
      if (wp < kx || x >= s0.z) continue;
      ivec2 r = ivec2(0, (ky * q0.y + kx) * co4 + c);
      for (int i = 0; i < ci4; i++, r.x += 4) {
        vec4 a = x0(n, y, x, i);
        v.x += dot(a, W(r.x, r.y));  // no filter fetch for padding output lanes (a 1-channel mask)
        if (outs > 1) v.y += dot(a, W(r.x + 1, r.y));
        if (outs > 2) v.z += dot(a, W(r.x + 2, r.y));
        if (outs > 3) v.w += dot(a, W(r.x + 3, r.y));
      }
    }
  }
""", filtered=True)


def deconv(node: Node, infos: Infos, consts: Consts) -> Producer | None:
    sizes, wref, dy = node.inputs
    if wref not in consts or sizes not in consts:
        return None
    wt = consts[wref]
    kh, kw, ci, co = wt.shape
    _, h, w, _ = (int(v) for v in consts[sizes])
    q0, q1 = window_params(node.attrs.window, h, w, kh, kw)
    return Producer(DECONV, (dy,), (pack_blocks(wt.reshape(kh * kw, ci, co), transpose=True),), q0, q1)


LOWERINGS: dict[str, Lowering] = {"Conv2DBackpropInput": deconv}
