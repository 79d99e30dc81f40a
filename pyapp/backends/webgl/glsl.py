"""GLSL: the fragment shader of a pass, built from a producer kernel and an elementwise epilogue.

Every fragment draws one texel column of ROWS consecutive output rows, one per layer of the output
texture (layout.py): output coordinates (n, h + m, w, c), m < ROWS, with c the texel (4 channels).
Row-blocked producers (BLOCKED) compute the ROWS values together, fetching each filter texel once
for all of them; the others (PRODUCERS) compute one value at a time. Shapes and kernel parameters
are uniforms (os, q0, q1, s0..), so one program serves every layer of the same kind and epilogue.
"""

from __future__ import annotations

from typing import Callable

from .layout import ROWS

SHIFT = ROWS.bit_length() - 1  # h // ROWS as a shift
assert ROWS == 1 << SHIFT

VERTEX = """#version 300 es
void main() {
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
"""

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

# Producers: GLSL computing `vec4 v` at (n, h, w, c). Window kernels: q0 = (kh, kw, sh, sw),
# q1 = (dh, dw, pad top, pad left). Operand 0 is the data, operand 1 a packed filter where there is one.
PRODUCERS: dict[str, str] = {
    "conv": """  vec4 v = vec4(0.0);
  int ci4 = (s0.w + 3) >> 2, co4 = (os.w + 3) >> 2;
  for (int ky = 0; ky < q0.x; ky++) {
  """ + WINDOW + """      ivec2 r = ivec2(0, (ky * q0.y + kx) * co4 + c);
      for (int i = 0; i < ci4; i++, r.x += 4) {
        vec4 a = x0(n, y, x, i) * inside;
        int left = s0.w - i * 4;  // no filter fetch for padding lanes (first layers: 1 or 3 channels)
        v += a.x * W(r.x, r.y);
        if (left > 1) v += a.y * W(r.x + 1, r.y);
        if (left > 2) v += a.z * W(r.x + 2, r.y);
        if (left > 3) v += a.w * W(r.x + 3, r.y);
      }
    }
  }
""",
    "depthwise": """  vec4 v = vec4(0.0);
  for (int ky = 0; ky < q0.x; ky++) {
  """ + WINDOW + """      v += x0(n, y, x, c) * (W(c, ky * q0.y + kx) * inside);
    }
  }
""",
    "avgpool": """  vec4 v = vec4(0.0);
  float count = 0.0;
  for (int ky = 0; ky < q0.x; ky++) {
  """ + WINDOW + """      v += x0(n, y, x, c) * inside;
      count += inside;
    }
  }
  v /= count;
""",
    "maxpool": """  vec4 v = vec4(-3.4e38);
  for (int ky = 0; ky < q0.x; ky++) {
  """ + WINDOW + """      v = inside > 0.0 ? max(v, x0(n, y, x, c)) : v;
    }
  }
""",
    # Conv2DBackpropInput (dilation 1): output row h gathers input row (h + pad - ky) / sh from the
    # taps ky congruent to h + pad modulo the stride.
    "deconv": """  vec4 v = vec4(0.0);
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
""",
    # q0.x = align_corners, q0.y = half_pixel_centers (TF's source coordinate rule).
    "bilinear": """  vec2 size = vec2(s0.zy), outsize = vec2(os.zy);
  vec2 scale = (q0.x == 1 && os.z > 1) ? (size - 1.0) / (outsize - 1.0) : size / outsize;
  vec2 src = (q0.y == 1) ? (vec2(w, h) + 0.5) * scale - 0.5 : vec2(w, h) * scale;
  vec2 lo = floor(src), f = src - lo;
  ivec2 a = max(ivec2(lo), 0), b = min(ivec2(ceil(src)), ivec2(s0.zy) - 1);
  vec4 top = mix(x0(n, a.y, a.x, c), x0(n, a.y, b.x, c), f.x);
  vec4 bottom = mix(x0(n, b.y, a.x, c), x0(n, b.y, b.x, c), f.x);
  vec4 v = mix(top, bottom, f.y);
""",
    # q0 = padding before each of (N, H, W, C); zeros outside.
    "pad": """  vec4 v;
  for (int k = 0; k < 4; k++) {
    ivec4 p = ivec4(n, h, w, c * 4 + k) - q0;
    v[k] = all(greaterThanEqual(p, ivec4(0))) && all(lessThan(p, s0)) ? e0(p) : 0.0;
  }
""",
}


def rows(line: str) -> str:
    """A line of GLSL once per output row m ({m})."""
    return "".join(line.replace("{m}", str(m)) for m in range(ROWS))


ACCUMULATORS = "  vec4 u, " + ", ".join(f"v{m} = vec4(0.0)" for m in range(ROWS)) + ";\n"

# 1x1, stride 1, no padding (and MatMul): the input's rows h + m are layer m of one texel row, so
# each step over 4 input channels reads 4 filter texels and ROWS input texels.
POINTWISE = ACCUMULATORS + f"""  int ci4 = (s0.w + 3) >> 2;
  ivec3 at = ivec3(w * ci4, n * ((s0.y + {ROWS - 1}) >> {SHIFT}) + (h >> {SHIFT}), 0);
  for (int i = 0, r = 0; i < ci4; i++, at.x++, r += 4) {{
    vec4 w0 = W(r, c), w1 = W(r + 1, c), w2 = W(r + 2, c), w3 = W(r + 3, c);
""" + rows("""    u = texelFetch(t0, at + ivec3(0, 0, {m}), 0);
    v{m} += u.x * w0 + u.y * w1 + u.z * w2 + u.w * w3;
""") + "  }\n"


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


def depthwise_tap(j: int, t: str) -> str:
    return f"    u = W(c, {t});\n" + rows(f"    v{{m}} += texelFetch(t0, ivec3(col{j} + c, at{{m}}), 0) * (u * (in{j} * yin{{m}}));\n")


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


SQUARE_SIZES = (3, 5)  # the windows of the models we target; other windows take the generic loops
BLOCKED: dict[str, str] = {"pointwise": POINTWISE} | {
    f"{kernel}{k}": square_window(k, tap)
    for kernel, tap in (("depthwise", depthwise_tap), ("conv", conv_tap), ("stem", stem_tap)) for k in SQUARE_SIZES}
FILTERED = frozenset({"conv", "depthwise", "deconv"} | set(BLOCKED))


def concat(count: int) -> str:
    """ConcatV2 of `count` tensors along axis q0.x (of N, H, W, C). q0.y = 1: every seam falls between
    texels (not the channel axis, or channel counts that are multiples of 4), so whole texels are
    copied; else element by element."""
    texels = ["  vec4 v;", "  if (q0.y == 1) {", "    ivec4 p = ivec4(n, h, w, c);"]
    lanes = ["  } else {", "    for (int k = 0; k < 4; k++) {", "      ivec4 p = ivec4(n, h, w, c * 4 + k);"]
    for k in range(count - 1):
        size = f"(q0.x == 3 ? s{k}.w >> 2 : s{k}[q0.x])"
        texels += [f"    if (p[q0.x] < {size}) v = x{k}(p.x, p.y, p.z, p.w); else {{", f"    p[q0.x] -= {size};"]
        lanes += [f"      if (p[q0.x] < s{k}[q0.x]) {{ v[k] = e{k}(p); continue; }}", f"      p[q0.x] -= s{k}[q0.x];"]
    texels += [f"    v = x{count - 1}(p.x, p.y, p.z, p.w);" + " }" * (count - 1)]
    lanes += [f"      v[k] = e{count - 1}(p);", "    }", "  }"]
    return "\n".join(texels + lanes) + "\n"


UNARY: dict[str, str] = {
    "Relu": "max({0}, 0.0)",
    "Relu6": "clamp({0}, 0.0, 6.0)",
    "Elu": "mix(exp(min({0}, 0.0)) - 1.0, {0}, greaterThan({0}, vec4(0.0)))",
    "Selu": "1.0507009873554805 * mix(1.6732632423543772 * (exp(min({0}, 0.0)) - 1.0), {0}, greaterThan({0}, vec4(0.0)))",
    "Sigmoid": "1.0 / (1.0 + exp(-{0}))",
    "HardSigmoid": "clamp({0} * 0.2 + 0.5, 0.0, 1.0)",
    "Tanh": "tanh({0})",
    "Softplus": "max({0}, 0.0) + log(1.0 + exp(-abs({0})))",
    "Sqrt": "sqrt({0})",
    "Rsqrt": "inversesqrt({0})",
    "Square": "({0} * {0})",
    "Abs": "abs({0})",
    "Neg": "(-{0})",
    "Exp": "exp({0})",
    "Log": "log({0})",
    "Floor": "floor({0})",
    "Ceil": "ceil({0})",
    "Reciprocal": "(1.0 / {0})",
}
BINARY: dict[str, str] = {
    "Add": "({0} + {1})",
    "AddV2": "({0} + {1})",
    "BiasAdd": "({0} + {1})",
    "Sub": "({0} - {1})",
    "Mul": "({0} * {1})",
    "RealDiv": "({0} / {1})",
    "Div": "({0} / {1})",
    "FloorDiv": "floor({0} / {1})",
    "FloorMod": "({0} - {1} * floor({0} / {1}))",
    "Maximum": "max({0}, {1})",
    "Minimum": "min({0}, {1})",
    "SquaredDifference": "(({0} - {1}) * ({0} - {1}))",
    "Prelu": "mix({0} * {1}, {0}, greaterThan({0}, vec4(0.0)))",
    "LeakyRelu": "mix({0} * {1}, {0}, greaterThan({0}, vec4(0.0)))",  # {1}: alpha, a scalar uniform
}


def expression(op: str, args: list[str]) -> str:
    if op == "AddN":
        return "(" + " + ".join(args) + ")"
    return (UNARY[op] if op in UNARY else BINARY[op]).format(*args)


# A producer's packed filter, W(texel x, row y), is the texture after its data operands. (A uniform
# block was measured too: SwiftShader reads it per lane and it was 1.5-1.8x slower than texelFetch.)
FILTER = "vec4 W(int x, int y) { return texelFetch(t1, ivec3(x, y, 0), 0); }\n"


def fragment(producer: str | None, operands: int, scalars: int, fetched: list[int],
             epilogue: list[tuple[str, list[str]]], image: bool = False) -> str:
    """The whole shader. fetched: tensor operands the epilogue reads at the output coordinate;
    epilogue: (op, argument names) in order, each defining r{i}; names are v, r{i}, a{k}, f{j}.
    image: operand 0 is an image (one layer, plain rows)."""
    if producer in BLOCKED:
        produce, body = "", BLOCKED[producer]
    else:
        generic = PRODUCERS[producer] if producer in PRODUCERS else concat(int(producer[6:])) if producer else "  vec4 v = vec4(0.0);\n"
        produce = "vec4 produce(int n, int h, int w, int c) {\n" + generic + "  return v;\n}\n"
        # rows past the output's last (a tensor of H < ROWS) are not computed
        body = "  vec4 v0 = produce(n, h, w, c);\n" + "".join(
            f"  vec4 v{m} = vec4(0.0);\n  if (h + {m} < os.y) v{m} = produce(n, h + {m}, w, c);\n" for m in range(1, ROWS))
    lines = [f"  vec4 a{k} = b{k}(n, h, w, c);" for k in fetched]
    last = "v"
    for i, (op, args) in enumerate(epilogue):
        lines.append(f"  vec4 r{i} = {expression(op, args)};")
        last = f"r{i}"
    return (
        HEADER
        + "".join(operand(k, 1 if image and k == 0 else ROWS) for k in range(operands))
        + "".join(f"uniform float f{j};\n" for j in range(scalars))
        + (FILTER if producer in FILTERED else "")
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
