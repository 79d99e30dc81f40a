"""Shader assembly: the fragment shader of a pass, from a producer Kernel (its GLSL body lives with
its op in webgl/ops/) and the epilogue's elementwise expressions.

Every fragment draws one texel column of ROWS consecutive output rows, one per layer of the output
texture (layout.py): output coordinates (n, h + m, w, c), m < ROWS, with c the texel (4 channels).
Blocked kernels compute the ROWS values together, fetching each filter texel once for all of them;
the others compute one value at a time. Shapes and kernel parameters are uniforms (os, q0, q1,
s0..), so one program serves every layer of the same kind and epilogue.
"""

from __future__ import annotations

from .kernel import Kernel
from .layout import ROWS

SHIFT = ROWS.bit_length() - 1  # h // ROWS as a shift
assert ROWS == 1 << SHIFT

HEADER = """#version 300 es
precision highp float;
precision highp int;
precision highp sampler2DArray;
""" + "".join(f"layout(location = {m}) out vec4 o{m};\n" for m in range(ROWS)) + """uniform ivec4 os;
uniform ivec4 q0;
uniform ivec4 q1;
// a / b for 0 <= a, b < 2^20 with float math: SwiftShader has no vector integer division
int idiv(int a, int b) { return int((float(a) + 0.5) / float(b)); }
"""


def texel(k: int, rows: int = ROWS) -> str:
    """GLSL ivec3 of tensor k's texel (n, h, w, c) in a texture of `rows` layers."""
    shift = rows.bit_length() - 1
    return (f"ivec3(w * ((s{k}.w + 3) >> 2) + c, n * ((s{k}.y + {rows - 1}) >> {shift}) + (h >> {shift}), h & {rows - 1})")


def operand(k: int, rows: int = ROWS) -> str:
    """Sampler k holding a tensor of shape s{k} (N, H, W, C): texel fetch x{k}, broadcasting fetch
    b{k} (dims of 1 repeat, C=1 splats), one element e{k}. rows: its texture's layers (an image: 1)."""
    return f"""uniform sampler2DArray t{k};
uniform ivec4 s{k};
vec4 x{k}(int n, int h, int w, int c) {{ return texelFetch(t{k}, {texel(k, rows)}, 0); }}
vec4 b{k}(int n, int h, int w, int c) {{
  vec4 v = x{k}(min(n, s{k}.x - 1), min(h, s{k}.y - 1), min(w, s{k}.z - 1), s{k}.w == 1 ? 0 : c);
  return s{k}.w == 1 ? v.xxxx : v;
}}
float e{k}(ivec4 p) {{ return x{k}(p.x, p.y, p.z, p.w >> 2)[p.w & 3]; }}
"""


def rows(line: str) -> str:
    """A line of GLSL once per output row m ({m})."""
    return "".join(line.replace("{m}", str(m)) for m in range(ROWS))


# What a blocked kernel's body starts with: a scratch texel and the ROWS outputs.
ACCUMULATORS = "  vec4 u, " + ", ".join(f"v{m} = vec4(0.0)" for m in range(ROWS)) + ";\n"

# A producer's packed filter, W(texel x, row y), is the texture after its data operands. (A uniform
# block was measured too: SwiftShader reads it per lane and it was 1.5-1.8x slower than texelFetch.)
FILTER = "vec4 W(int x, int y) { return texelFetch(t1, ivec3(x, y, 0), 0); }\n"


def fragment(kernel: Kernel | None, operands: int, scalars: int, fetched: list[int],
             epilogue: list[str], image: bool = False) -> str:
    """The whole shader. kernel: the producer (None: the epilogue alone, from v = 0); fetched: tensor
    operands the epilogue reads at the output coordinate; epilogue: GLSL expressions in order, each
    defining r{i}, over names v, r{i}, a{k}, f{j}. image: operand 0 is an image (one layer, plain rows)."""
    if kernel is not None and kernel.blocked:
        produce, body = "", kernel.body
    else:
        generic = kernel.body if kernel is not None else "  vec4 v = vec4(0.0);\n"
        produce = "vec4 produce(int n, int h, int w, int c) {\n" + generic + "  return v;\n}\n"
        # rows past the output's last (a tensor of H < ROWS) are not computed
        body = "  vec4 v0 = produce(n, h, w, c);\n" + "".join(
            f"  vec4 v{m} = vec4(0.0);\n  if (h + {m} < os.y) v{m} = produce(n, h + {m}, w, c);\n" for m in range(1, ROWS))
    lines = [f"  vec4 a{k} = b{k}(n, h, w, c);" for k in fetched]
    last = "v"
    for i, expression in enumerate(epilogue):
        lines.append(f"  vec4 r{i} = {expression};")
        last = f"r{i}"
    return (
        HEADER
        + "".join(operand(k, 1 if image and k == 0 else ROWS) for k in range(operands))
        + "".join(f"uniform float f{j};\n" for j in range(scalars))
        + (FILTER if kernel is not None and kernel.filtered else "")
        + produce
        + "vec4 finish(vec4 v, int n, int h, int w, int c) {\n"
        + "".join(line + "\n" for line in lines)
        + f"  return mix(vec4(0.0), {last}, lessThan(ivec4(c * 4) + ivec4(0, 1, 2, 3), ivec4(os.w)));\n"
        + "}\n"
        + "void main() {\n"
        + "  ivec2 p = ivec2(gl_FragCoord.xy);\n"
        + f"  int c4 = (os.w + 3) >> 2, hb = (os.y + {ROWS - 1}) >> {SHIFT};\n"
        + "  int w = idiv(p.x, c4), n = idiv(p.y, hb);\n"
        + f"  int c = p.x - w * c4, h = (p.y - n * hb) << {SHIFT};\n"
        + body
        + rows("  o{m} = finish(v{m}, n, h + {m}, w, c);\n")
        + "}\n"
    )


# An output kept on the GPU for rendering, copied into a plain 2D texture (row n * H + h).
FLATTEN = f"""#version 300 es
precision highp float;
precision highp int;
precision highp sampler2DArray;
out vec4 o;
uniform sampler2DArray t0;
uniform ivec4 s0;
int idiv(int a, int b) {{ return int((float(a) + 0.5) / float(b)); }}
void main() {{
  ivec2 p = ivec2(gl_FragCoord.xy);
  int n = idiv(p.y, s0.y), h = p.y - n * s0.y, w = 0, c = p.x;
  o = texelFetch(t0, {texel(0)}, 0);
}}
"""
