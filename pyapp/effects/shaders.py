"""GLSL for the effects: the same definitions as cpu.py. Textures hold rows top-first (as uploaded
from images and numpy); only the final draw to the canvas turns y around."""

from .blur import MAX_TAPS

HEADER = """#version 300 es
precision highp float;
uniform vec2 size;  // of the target, in pixels
out vec4 o;
"""

# P(person) from the model's output (read texel for texel: kind is segment.OUTPUTS' index), then
# temporal smoothing: blended with the previous mask (weight 0 restarts it).
EMA = HEADER + """
uniform sampler2D mask, previous;
uniform float weight;
uniform int kind;
void main() {
  vec4 v = texelFetch(mask, ivec2(gl_FragCoord.xy), 0);
  float p = kind == 1 ? 1.0 / (1.0 + exp(v.r - v.g)) : v.r;
  o = vec4(mix(p, texture(previous, gl_FragCoord.xy / size).r, weight), 0.0, 0.0, 1.0);
}
"""

# Bilinear downsampling of the frame to the blur's resolution.
COPY = HEADER + """
uniform sampler2D image;
void main() { o = texture(image, gl_FragCoord.xy / size); }
"""

# One axis of the separable gaussian: taps mirrored around the centre, `step` texels apart.
BLUR = HEADER + f"""
#define MAX_TAPS {MAX_TAPS // 2 + 1}
uniform sampler2D image;
uniform vec2 direction;  // one texel along the blurred axis
uniform float weights[MAX_TAPS];
uniform int taps;
uniform float step;
void main() {{
  vec2 uv = gl_FragCoord.xy / size;
  vec3 sum = texture(image, uv).rgb * weights[0];
  for (int k = 1; k < MAX_TAPS; k++) {{
    if (k >= taps) break;
    vec2 d = direction * (float(k) * step);
    sum += weights[k] * (texture(image, uv + d).rgb + texture(image, uv - d).rgb);
  }}
  o = vec4(sum, 1.0);
}}
"""

# The effect, drawn to the canvas: 0 blur, 1 replace (background = `back`), 2 overlay, 3 mask.
COMPOSITE = HEADER + """
uniform sampler2D frame, mask, back;
uniform int effect;
uniform float threshold, half_width, opacity;
uniform vec3 colour;
uniform bool flip;
void main() {
  vec2 uv = gl_FragCoord.xy / size;
  uv.y = 1.0 - uv.y;
  if (flip) uv.x = 1.0 - uv.x;
  float alpha = smoothstep(threshold - half_width, threshold + half_width, texture(mask, uv).r);
  vec3 rgb = texture(frame, uv).rgb;
  vec3 outc;
  if (effect == 3) outc = vec3(alpha);
  else if (effect == 2) outc = mix(rgb, colour, alpha * opacity);
  else outc = mix(texture(back, uv).rgb, rgb, alpha);
  o = vec4(outc, 1.0);
}
"""
