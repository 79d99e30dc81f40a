"""ResizeBilinear, with TF's source coordinate rule (align_corners, half_pixel_centers). The executor
also draws image inputs through this kernel."""

from __future__ import annotations

from ....graph import Node
from ..kernel import Consts, Infos, Kernel, Lowering, Producer

# q0.x = align_corners, q0.y = half_pixel_centers.
BILINEAR = Kernel("bilinear", """  vec2 size = vec2(s0.zy), outsize = vec2(os.zy);
  vec2 scale = (q0.x == 1 && os.z > 1) ? (size - 1.0) / (outsize - 1.0) : size / outsize;
  vec2 src = (q0.y == 1) ? (vec2(w, h) + 0.5) * scale - 0.5 : vec2(w, h) * scale;
  vec2 lo = floor(src), f = src - lo;
  ivec2 a = max(ivec2(lo), 0), b = min(ivec2(ceil(src)), ivec2(s0.zy) - 1);
  vec4 top = mix(x0(n, a.y, a.x, c), x0(n, a.y, b.x, c), f.x);
  vec4 bottom = mix(x0(n, b.y, a.x, c), x0(n, b.y, b.x, c), f.x);
  vec4 v = mix(top, bottom, f.y);
""")


def bilinear(node: Node, infos: Infos, consts: Consts) -> Producer:
    return Producer(BILINEAR, node.inputs[:1], (), (int(node.attrs.align_corners), int(node.attrs.half_pixel_centers), 0, 0))


LOWERINGS: dict[str, Lowering] = {"ResizeBilinear": bilinear}
