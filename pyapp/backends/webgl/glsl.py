"""GLSL: the fragment shader of a pass, built from a producer kernel and an elementwise epilogue.

Every pass draws one texel of its output per fragment: output coordinate (n, h, w, c) with c the
texel (4 channels). Shapes and kernel parameters are uniforms (os, q0, q1, s0..), so one program
serves every layer of the same kind and epilogue.
"""

from __future__ import annotations

VERTEX = """#version 300 es
void main() {
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
"""

HEADER = """#version 300 es
precision highp float;
precision highp int;
precision highp sampler2D;
out vec4 o;
uniform ivec4 os;
uniform ivec4 q0;
uniform ivec4 q1;
"""


def operand(k: int) -> str:
    """Sampler k holding a tensor of shape s{k} (N, H, W, C): texel fetch x{k}, broadcasting fetch
    b{k} (dims of 1 repeat, C=1 splats), one element e{k}."""
    return f"""uniform sampler2D t{k};
uniform ivec4 s{k};
vec4 x{k}(int n, int h, int w, int c) {{ return texelFetch(t{k}, ivec2(w * ((s{k}.w + 3) >> 2) + c, n * s{k}.y + h), 0); }}
vec4 b{k}(int n, int h, int w, int c) {{
  vec4 v = x{k}(min(n, s{k}.x - 1), min(h, s{k}.y - 1), min(w, s{k}.z - 1), s{k}.w == 1 ? 0 : c);
  return s{k}.w == 1 ? v.xxxx : v;
}}
float e{k}(ivec4 p) {{ return x{k}(p.x, p.y, p.z, p.w >> 2)[p.w & 3]; }}
"""


WINDOW = """  int y = h * q0.z - q1.z + ky * q1.x;
    if (y < 0 || y >= s0.y) continue;
    for (int kx = 0; kx < q0.y; kx++) {
      int x = w * q0.w - q1.w + kx * q1.y;
      if (x < 0 || x >= s0.z) continue;
"""

# Producers: GLSL computing `vec4 v` at (n, h, w, c). Window kernels: q0 = (kh, kw, sh, sw),
# q1 = (dh, dw, pad top, pad left). Operand 0 is the data, operand 1 a packed filter where there is one.
PRODUCERS: dict[str, str] = {
    "conv": """  vec4 v = vec4(0.0);
  int ci4 = (s0.w + 3) >> 2, co4 = (os.w + 3) >> 2;
  for (int ky = 0; ky < q0.x; ky++) {
  """ + WINDOW + """      ivec2 r = ivec2(0, (ky * q0.y + kx) * co4 + c);
      for (int i = 0; i < ci4; i++, r.x += 4) {
        vec4 a = x0(n, y, x, i);
        v += a.x * texelFetch(t1, r, 0) + a.y * texelFetch(t1, r + ivec2(1, 0), 0)
           + a.z * texelFetch(t1, r + ivec2(2, 0), 0) + a.w * texelFetch(t1, r + ivec2(3, 0), 0);
      }
    }
  }
""",
    "depthwise": """  vec4 v = vec4(0.0);
  for (int ky = 0; ky < q0.x; ky++) {
  """ + WINDOW + """      v += x0(n, y, x, c) * texelFetch(t1, ivec2(c, ky * q0.y + kx), 0);
    }
  }
""",
    "avgpool": """  vec4 v = vec4(0.0);
  float count = 0.0;
  for (int ky = 0; ky < q0.x; ky++) {
  """ + WINDOW + """      v += x0(n, y, x, c);
      count += 1.0;
    }
  }
  v /= count;
""",
    "maxpool": """  vec4 v = vec4(-3.4e38);
  for (int ky = 0; ky < q0.x; ky++) {
  """ + WINDOW + """      v = max(v, x0(n, y, x, c));
    }
  }
""",
    # Conv2DBackpropInput: output pixel y gathers input rows (y + pad - ky*dh) / sh where that divides.
    "deconv": """  vec4 v = vec4(0.0);
  int ci4 = (s0.w + 3) >> 2, co4 = (os.w + 3) >> 2;
  for (int ky = 0; ky < q0.x; ky++) {
    int yy = h + q1.z - ky * q1.x;
    if (yy < 0 || yy % q0.z != 0 || yy / q0.z >= s0.y) continue;
    for (int kx = 0; kx < q0.y; kx++) {
      int xx = w + q1.w - kx * q1.y;
      if (xx < 0 || xx % q0.w != 0 || xx / q0.w >= s0.z) continue;
      ivec2 r = ivec2(0, (ky * q0.y + kx) * co4 + c);
      for (int i = 0; i < ci4; i++, r.x += 4) {
        vec4 a = x0(n, yy / q0.z, xx / q0.w, i);
        v += vec4(dot(a, texelFetch(t1, r, 0)), dot(a, texelFetch(t1, r + ivec2(1, 0), 0)),
                  dot(a, texelFetch(t1, r + ivec2(2, 0), 0)), dot(a, texelFetch(t1, r + ivec2(3, 0), 0)));
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


def concat(count: int) -> str:
    """ConcatV2 of `count` tensors along axis q0.x (of N, H, W, C), element by element."""
    lines = ["  vec4 v;", "  for (int k = 0; k < 4; k++) {", "    ivec4 p = ivec4(n, h, w, c * 4 + k);"]
    for k in range(count - 1):
        lines += [f"    if (p[q0.x] < s{k}[q0.x]) {{ v[k] = e{k}(p); continue; }}", f"    p[q0.x] -= s{k}[q0.x];"]
    lines += [f"    v[k] = e{count - 1}(p);", "  }"]
    return "\n".join(lines) + "\n"


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


def fragment(producer: str | None, operands: int, scalars: int, fetched: list[int], epilogue: list[tuple[str, list[str]]]) -> str:
    """The whole shader. fetched: tensor operands the epilogue reads at the output coordinate;
    epilogue: (op, argument names) in order, each defining r{i}; names are v, r{i}, a{k}, f{j}."""
    body = PRODUCERS[producer] if producer in PRODUCERS else concat(int(producer[6:])) if producer else ""
    lines = [f"  vec4 a{k} = b{k}(n, h, w, c);" for k in fetched]
    last = "v"
    for i, (op, args) in enumerate(epilogue):
        lines.append(f"  vec4 r{i} = {expression(op, args)};")
        last = f"r{i}"
    return (
        HEADER
        + "".join(operand(k) for k in range(operands))
        + "".join(f"uniform float f{j};\n" for j in range(scalars))
        + "void main() {\n"
        + "  ivec2 p = ivec2(gl_FragCoord.xy);\n"
        + "  int c4 = (os.w + 3) >> 2;\n"
        + "  int c = p.x % c4, w = p.x / c4, h = p.y % os.y, n = p.y / os.y;\n"
        + body
        + "\n".join(lines) + "\n"
        + f"  o = mix(vec4(0.0), {last}, lessThan(ivec4(c * 4) + ivec4(0, 1, 2, 3), ivec4(os.w)));\n"
        + "}\n"
    )
