/* Copies: strided block copies (concat, pad), fills, and col2im for transposed convolutions. */
#include "simd.h"

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

/* col2im for transposed convolutions: y = 0, then y[b, oy sh - pt + ky dh, ox sw - pl + kx dw] +=
 * cols[b, oy, ox][(ky kw + kx) c ...], taps outside y dropped; taps in the numpy reference's order. */
EXPORT void col2im_f32(const float *cols, int batch, int ho, int wo, int kh, int kw, int c, int sh, int sw,
                       int dh, int dw, int pt, int pl, float *y, int h, int w) {
  fill_f32(y, batch * h * w * c, 0.0f);
  int tap = kh * kw * c;
  for (int ky = 0; ky < kh; ky++)
    for (int kx = 0; kx < kw; kx++)
      for (int b = 0; b < batch; b++)
        for (int oy = 0; oy < ho; oy++) {
          int iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (int ox = 0; ox < wo; ox++) {
            int ix = ox * sw - pl + kx * dw;
            if (ix < 0 || ix >= w) continue;
            const float *src = cols + ((b * ho + oy) * wo + ox) * tap + (ky * kw + kx) * c;
            float *dst = y + ((b * h + iy) * w + ix) * c;
            int i = 0;
            for (; i + 4 <= c; i += 4) wasm_v128_store(dst + i, wasm_f32x4_add(wasm_v128_load(dst + i), wasm_v128_load(src + i)));
            for (; i < c; i++) dst[i] += src[i];
          }
        }
}
