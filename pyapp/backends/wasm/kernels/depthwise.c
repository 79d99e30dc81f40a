/* Depthwise conv (channel multiplier 1), NHWC, any kernel size, stride, dilation and padding, with
 * bias and activation. w: [kh][kw][c] as TF stores it. Taps outside the input are skipped (zero
 * padding), so the border needs no padded copy; 4 channels per vector, a scalar tail. */
#include "simd.h"

static inline int first_tap(int start, int d) { /* smallest t >= 0 with start + t d >= 0 */
  return start >= 0 ? 0 : (-start + d - 1) / d;
}

static inline int end_tap(int start, int d, int k, int size) { /* taps t < end have start + t d < size */
  int end = start >= size ? 0 : (size - 1 - start) / d + 1;
  return end < k ? end : k;
}

/* One output row. K: the kernel size when known at compile time (3, 5), else 0 (generic): interior
 * pixels of a known size run fully unrolled taps. */
static inline __attribute__((always_inline)) void row(const float *xb, int h, int w, int c, const float *wt,
                                                     int kh, int kw, int sw, int dh, int dw, int pl, float *y,
                                                     int wo, int iy0, int ky0, int ky1, const float *bias,
                                                     int act, const int K) {
  int c4 = c & ~3;
  for (int ox = 0; ox < wo; ox++, y += c) {
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
        wasm_v128_store(y + ch, activate(a0, act));
        wasm_v128_store(y + c + ch, activate(a1, act));
      }
      for (int ch = c4; ch < c; ch++) {  /* both pixels' scalar tails */
        float a0 = bias[ch], a1 = bias[ch];
        for (int t = 0; t < K * K; t++) {
          int at = ((t / K) * dh * w + (t % K) * dw) * c + ch;
          a0 += x0[at] * wt[t * c + ch];
          a1 += x1[at] * wt[t * c + ch];
        }
        y[ch] = activate1(a0, act);
        y[c + ch] = activate1(a1, act);
      }
      ox++;
      y += c;
      continue;
    }
    if (inside) {
      for (int ch = 0; ch < c4; ch += 4) {
        v128_t acc = wasm_v128_load(bias + ch);
        for (int ky = 0; ky < K; ky++)
          for (int kx = 0; kx < K; kx++)
            acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(x0 + (ky * dh * w + kx * dw) * c + ch),
                                                     wasm_v128_load(wt + (ky * K + kx) * c + ch)));
        wasm_v128_store(y + ch, activate(acc, act));
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
        wasm_v128_store(y + ch, activate(acc, act));
      }
    }
    for (int ch = c4; ch < c; ch++) {
      float acc = bias[ch];
      for (int ky = ky0; ky < ky1; ky++)
        for (int kx = kx0; kx < kx1; kx++) acc += x0[(ky * dh * w + kx * dw) * c + ch] * wt[(ky * kw + kx) * c + ch];
      y[ch] = activate1(acc, act);
    }
  }
}

EXPORT void depthwise_f32(const float *x, int batch, int h, int w, int c, const float *wt, int kh, int kw,
                          int sh, int sw, int dh, int dw, int pt, int pl, float *y, int ho, int wo,
                          const float *bias, int act) {
  for (int b = 0; b < batch; b++) {
    const float *xb = x + b * h * w * c;
    for (int oy = 0; oy < ho; oy++, y += wo * c) {
      int iy0 = oy * sh - pt, ky0 = first_tap(iy0, dh), ky1 = end_tap(iy0, dh, kh, h);
      if (kh == 3 && kw == 3)
        row(xb, h, w, c, wt, kh, kw, sw, dh, dw, pl, y, wo, iy0, ky0, ky1, bias, act, 3);
      else if (kh == 5 && kw == 5)
        row(xb, h, w, c, wt, kh, kw, sw, dh, dw, pl, y, wo, iy0, ky0, ky1, bias, act, 5);
      else
        row(xb, h, w, c, wt, kh, kw, sw, dh, dw, pl, y, wo, iy0, ky0, ky1, bias, act, 0);
    }
  }
}
