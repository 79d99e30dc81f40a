/* Depthwise conv (channel multiplier 1), NHWC, any kernel size, stride, dilation and padding, with
 * bias and activation, then optionally + r (a residual laid out like y, 0: none; after the
 * activation, as the graph's Add reads the activated output). w: [kh][kw][c] as TF stores it. Taps outside the input are skipped (zero
 * padding), so the border needs no padded copy; 4 channels per vector, a scalar tail. */
#include "simd.h"

static inline int first_tap(int start, int d) { /* smallest t >= 0 with start + t d >= 0 */
  return start >= 0 ? 0 : (-start + d - 1) / d;
}

static inline int end_tap(int start, int d, int k, int size) { /* taps t < end have start + t d < size */
  int end = start >= size ? 0 : (size - 1 - start) / d + 1;
  return end < k ? end : k;
}

static inline void store4(float *y, v128_t acc, int act, const float *r) {
  v128_t v = activate(acc, act);
  wasm_v128_store(y, r ? wasm_f32x4_add(v, wasm_v128_load(r)) : v);
}

static inline float out1(float acc, int act, const float *r) {
  float v = activate1(acc, act);
  return r ? v + *r : v;
}

/* One output row. K: the kernel size when known at compile time (3, 5), else 0 (generic): interior
 * pixels of a known size run fully unrolled taps. */
static inline __attribute__((always_inline)) void row(const float *xb, int h, int w, int c, const float *wt,
                                                     int kh, int kw, int sw, int dh, int dw, int pl, float *y,
                                                     int wo, int iy0, int ky0, int ky1, const float *bias,
                                                     int act, const float *r, const int K) {
  int c4 = c & ~3;
  for (int ox = 0; ox < wo; ox++, y += c, r = r ? r + c : 0) {
    int ix0 = ox * sw - pl, kx0 = first_tap(ix0, dw), kx1 = end_tap(ix0, dw, kw, w);
    const float *x0 = xb + (iy0 * w + ix0) * c;
    int inside = K && ky0 == 0 && ky1 == K && kx0 == 0 && kx1 == K;
    if (inside && ox + 1 < wo && end_tap(ix0 + sw, dw, kw, w) == K) {
      /* two interior pixels at once: each weight vector is loaded once for both */
      const float *x1 = x0 + sw * c;
      for (int ch = 0; ch < c4; ch += 4) {
        v128_t a0 = wasm_v128_load(bias + ch), a1 = a0;
        for (int ky = 0; ky < K; ky++)
          for (int kx = 0; kx < K; kx++) {
            int at = (ky * dh * w + kx * dw) * c + ch;
            v128_t wv = wasm_v128_load(wt + (ky * K + kx) * c + ch);
            a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(x0 + at), wv));
            a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(x1 + at), wv));
          }
        store4(y + ch, a0, act, r ? r + ch : 0);
        store4(y + c + ch, a1, act, r ? r + c + ch : 0);
      }
      for (int ch = c4; ch < c; ch++) {  /* both pixels' scalar tails */
        float a0 = bias[ch], a1 = bias[ch];
        for (int t = 0; t < K * K; t++) {
          int at = ((t / K) * dh * w + (t % K) * dw) * c + ch;
          a0 += x0[at] * wt[t * c + ch];
          a1 += x1[at] * wt[t * c + ch];
        }
        y[ch] = out1(a0, act, r ? r + ch : 0);
        y[c + ch] = out1(a1, act, r ? r + c + ch : 0);
      }
      ox++;
      y += c;
      r = r ? r + c : 0;
      continue;
    }
    if (inside) {
      for (int ch = 0; ch < c4; ch += 4) {
        v128_t acc = wasm_v128_load(bias + ch);
        for (int ky = 0; ky < K; ky++)
          for (int kx = 0; kx < K; kx++)
            acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(x0 + (ky * dh * w + kx * dw) * c + ch),
                                                     wasm_v128_load(wt + (ky * K + kx) * c + ch)));
        store4(y + ch, acc, act, r ? r + ch : 0);
      }
    } else {
      for (int ch = 0; ch < c4; ch += 4) {
        v128_t acc = wasm_v128_load(bias + ch);
        for (int ky = ky0; ky < ky1; ky++) {
          const float *xr = x0 + ky * dh * w * c + ch;
          const float *wr = wt + ky * kw * c + ch;
          for (int kx = kx0; kx < kx1; kx++)
            acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(xr + kx * dw * c), wasm_v128_load(wr + kx * c)));
        }
        store4(y + ch, acc, act, r ? r + ch : 0);
      }
    }
    for (int ch = c4; ch < c; ch++) {
      float acc = bias[ch];
      for (int ky = ky0; ky < ky1; ky++)
        for (int kx = kx0; kx < kx1; kx++) acc += x0[(ky * dh * w + kx * dw) * c + ch] * wt[(ky * kw + kx) * c + ch];
      y[ch] = out1(acc, act, r ? r + ch : 0);
    }
  }
}

EXPORT void depthwise_f32(const float *x, int batch, int h, int w, int c, const float *wt, int kh, int kw,
                          int sh, int sw, int dh, int dw, int pt, int pl, float *y, int ho, int wo,
                          const float *bias, int act, const float *r) {
  for (int b = 0; b < batch; b++) {
    const float *xb = x + b * h * w * c;
    for (int oy = 0; oy < ho; oy++, y += wo * c, r = r ? r + wo * c : 0) {
      int iy0 = oy * sh - pt, ky0 = first_tap(iy0, dh), ky1 = end_tap(iy0, dh, kh, h);
      if (kh == 3 && kw == 3)
        row(xb, h, w, c, wt, kh, kw, sw, dh, dw, pl, y, wo, iy0, ky0, ky1, bias, act, r, 3);
      else if (kh == 5 && kw == 5)
        row(xb, h, w, c, wt, kh, kw, sw, dh, dw, pl, y, wo, iy0, ky0, ky1, bias, act, r, 5);
      else
        row(xb, h, w, c, wt, kh, kw, sw, dh, dw, pl, y, wo, iy0, ky0, ky1, bias, act, r, 0);
    }
  }
}
