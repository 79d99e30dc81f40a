/* Average and max pooling, NHWC, any window, stride and padding. Average sums in float64 and divides
 * by the number of real (unpadded) pixels, as the numpy reference (TF.js's CPU backend) does. */
#include "simd.h"

static inline int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* One output pixel from the window rows [y0, y1) x columns [x0, x1) of xb (row length w, c channels). */
static inline void average(const float *xb, int w, int c, int y0, int y1, int x0, int x1, float *y) {
  int c4 = c & ~3;
  double count = (double)((y1 - y0) * (x1 - x0));
  v128_t vcount = wasm_f64x2_splat(count);
  for (int ch = 0; ch < c4; ch += 4) {
    v128_t lo = wasm_f64x2_splat(0.0), hi = lo;
    for (int iy = y0; iy < y1; iy++)
      for (int ix = x0; ix < x1; ix++) {
        v128_t v = wasm_v128_load(xb + (iy * w + ix) * c + ch);
        lo = wasm_f64x2_add(lo, wasm_f64x2_promote_low_f32x4(v));
        hi = wasm_f64x2_add(hi, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1)));
      }
    v128_t mlo = wasm_f32x4_demote_f64x2_zero(wasm_f64x2_div(lo, vcount));
    v128_t mhi = wasm_f32x4_demote_f64x2_zero(wasm_f64x2_div(hi, vcount));
    wasm_v128_store(y + ch, wasm_i32x4_shuffle(mlo, mhi, 0, 1, 4, 5));
  }
  for (int ch = c4; ch < c; ch++) {
    double s = 0.0;
    for (int iy = y0; iy < y1; iy++)
      for (int ix = x0; ix < x1; ix++) s += xb[(iy * w + ix) * c + ch];
    y[ch] = (float)(s / count);
  }
}

static inline void maximum(const float *xb, int w, int c, int y0, int y1, int x0, int x1, float *y) {
  int c4 = c & ~3;
  for (int ch = 0; ch < c4; ch += 4) {
    v128_t m = wasm_f32x4_splat(-__builtin_inff());
    for (int iy = y0; iy < y1; iy++)
      for (int ix = x0; ix < x1; ix++) m = wasm_f32x4_pmax(m, wasm_v128_load(xb + (iy * w + ix) * c + ch));
    wasm_v128_store(y + ch, m);
  }
  for (int ch = c4; ch < c; ch++) {
    float m = -__builtin_inff();
    for (int iy = y0; iy < y1; iy++)
      for (int ix = x0; ix < x1; ix++) {
        float v = xb[(iy * w + ix) * c + ch];
        m = m < v ? v : m;
      }
    y[ch] = m;
  }
}

/* max: 0 average, 1 max */
EXPORT void pool_f32(const float *x, int batch, int h, int w, int c, int kh, int kw, int sh, int sw, int pt, int pl,
                     float *y, int ho, int wo, int max) {
  for (int b = 0; b < batch; b++) {
    const float *xb = x + b * h * w * c;
    for (int oy = 0; oy < ho; oy++) {
      int y0 = clamp(oy * sh - pt, 0, h), y1 = clamp(oy * sh - pt + kh, 0, h);
      for (int ox = 0; ox < wo; ox++, y += c) {
        int x0 = clamp(ox * sw - pl, 0, w), x1 = clamp(ox * sw - pl + kw, 0, w);
        if (max) maximum(xb, w, c, y0, y1, x0, x1, y);
        else average(xb, w, c, y0, y1, x0, x1, y);
      }
    }
  }
}
