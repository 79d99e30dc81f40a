/* Copies: im2col for convolutions that are not 1x1 stride 1 (cols[b, oy, ox][(ky kw + kx) c + ch] = x
 * at the tap, 0 in the padding; gemm_f32 then reads cols as its [m, kh kw c] input), strided block
 * copies (concat, pad) and fills. */
#include "simd.h"

static inline void copy_floats(float *dst, const float *src, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_v128_load(src + i));
  for (; i < n; i++) dst[i] = src[i];
}

static inline void zero_floats(float *dst, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_f32x4_splat(0.0f));
  for (; i < n; i++) dst[i] = 0.0f;
}

EXPORT void im2col_f32(const float *x, int batch, int h, int w, int c, int kh, int kw, int sh, int sw,
                       int dh, int dw, int pt, int pl, int ho, int wo, float *cols) {
  for (int b = 0; b < batch; b++) {
    const float *xb = x + b * h * w * c;
    for (int oy = 0; oy < ho; oy++)
      for (int ox = 0; ox < wo; ox++)
        for (int ky = 0; ky < kh; ky++) {
          int iy = oy * sh - pt + ky * dh;
          for (int kx = 0; kx < kw; kx++, cols += c) {
            int ix = ox * sw - pl + kx * dw;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) zero_floats(cols, c);
            else copy_floats(cols, xb + (iy * w + ix) * c, c);
          }
        }
  }
}

/* Strided block copy: n0 x n1 runs of n2 floats (concat along any axis, pad's interior). */
EXPORT void copy_f32(const float *src, int s0, int s1, float *dst, int d0, int d1, int n0, int n1, int n2) {
  for (int i = 0; i < n0; i++)
    for (int j = 0; j < n1; j++) copy_floats(dst + i * d0 + j * d1, src + i * s0 + j * s1, n2);
}

EXPORT void fill_f32(float *dst, int n, float value) {
  v128_t v = wasm_f32x4_splat(value);
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, v);
  for (; i < n; i++) dst[i] = value;
}
