"""ConcatV2 of 2 to 4 tensors along a constant axis."""

from __future__ import annotations

from ....graph import Node
from ..kernel import Consts, Infos, Kernel, Lowering, Producer


def concat_body(count: int) -> str:
    """Along axis q0.x (of N, H, W, C). q0.y = 1: every seam falls between texels (not the channel
    axis, or channel counts that are multiples of 4), so whole texels are copied; else element by
    element."""
    texels = ["  vec4 v;", "  if (q0.y == 1) {", "    ivec4 p = ivec4(n, h, w, c);"]
    lanes = ["  } else {", "    for (int k = 0; k < 4; k++) {", "      ivec4 p = ivec4(n, h, w, c * 4 + k);"]
    for k in range(count - 1):
        size = f"(q0.x == 3 ? s{k}.w >> 2 : s{k}[q0.x])"
        texels += [f"    if (p[q0.x] < {size}) v = x{k}(p.x, p.y, p.z, p.w); else {{", f"    p[q0.x] -= {size};"]
        lanes += [f"      if (p[q0.x] < s{k}[q0.x]) {{ v[k] = e{k}(p); continue; }}", f"      p[q0.x] -= s{k}[q0.x];"]
    texels += [f"    v = x{count - 1}(p.x, p.y, p.z, p.w);" + " }" * (count - 1)]
    lanes += [f"      v[k] = e{count - 1}(p);", "    }", "  }"]
    return "\n".join(texels + lanes) + "\n"


CONCAT = {count: Kernel(f"concat{count}", concat_body(count)) for count in (2, 3, 4)}


def concat(node: Node, infos: Infos, consts: Consts) -> Producer | None:
    *xs, axis = node.inputs
    rank = len(infos[xs[0]].shape)
    if axis not in consts or len(xs) not in CONCAT:
        return None
    axis4 = int(consts[axis]) % rank + 4 - rank
    whole_texels = axis4 != 3 or all(infos[x].shape[-1] % 4 == 0 for x in xs[:-1])
    return Producer(CONCAT[len(xs)], tuple(xs), (), (axis4, int(whole_texels), 0, 0))


LOWERINGS: dict[str, Lowering] = {"ConcatV2": concat}
