/* y[m, n] = act(a[m, k] @ w[k, n] + bias [+ r[m, n]]) with w packed at load (pyapp/backends/wasm/pack.py):
 * panels of 8 output columns, each [8 bias][k rows of 8 weights], zero past n.
 * Register tile 4 rows x 8 columns (8 accumulators, 2 weight and 4 splatted input registers). r: a
 * residual tensor laid out like y (0: none), added before the activation (ResNet-style blocks). */
#include "simd.h"

static inline void store_row(float *y, v128_t lo, v128_t hi, int cols, int act, const float *r) {
  if (r) { /* a full 8 are read even for fewer columns: the arena has slack past its end */
    lo = wasm_f32x4_add(lo, wasm_v128_load(r));
    hi = wasm_f32x4_add(hi, wasm_v128_load(r + 4));
  }
  lo = activate(lo, act);
  hi = activate(hi, act);
  if (cols >= 8) {
    wasm_v128_store(y, lo);
    wasm_v128_store(y + 4, hi);
  } else if (cols >= 4) {
    wasm_v128_store(y, lo);
    store_lanes(y + 4, hi, cols - 4);
  } else {
    store_lanes(y, lo, cols);
  }
}

EXPORT void gemm_f32(const float *a, int lda, int m, int k, const float *packed, float *y, int ldy, int n, int act,
                     const float *r) {
  int panel = 8 + 8 * k;
  int i = 0;
  for (; i + 4 <= m; i += 4) {
    const float *a0 = a + i * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
    for (int j = 0; j < n; j += 8) {
      const float *w = packed + (j / 8) * panel;
      v128_t c00 = wasm_v128_load(w), c01 = wasm_v128_load(w + 4);
      v128_t c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
      w += 8;
      for (int p = 0; p < k; p++, w += 8) {
        v128_t w0 = wasm_v128_load(w), w1 = wasm_v128_load(w + 4);
        v128_t x0 = wasm_v128_load32_splat(a0 + p), x1 = wasm_v128_load32_splat(a1 + p);
        v128_t x2 = wasm_v128_load32_splat(a2 + p), x3 = wasm_v128_load32_splat(a3 + p);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x0, w0));
        c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x0, w1));
        c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x1, w0));
        c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x1, w1));
        c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x2, w0));
        c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x2, w1));
        c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x3, w0));
        c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x3, w1));
      }
      float *yr = y + i * ldy + j;
      const float *rr = r ? r + i * ldy + j : 0;
      int cols = n - j;
      store_row(yr, c00, c01, cols, act, rr);
      store_row(yr + ldy, c10, c11, cols, act, rr ? rr + ldy : 0);
      store_row(yr + 2 * ldy, c20, c21, cols, act, rr ? rr + 2 * ldy : 0);
      store_row(yr + 3 * ldy, c30, c31, cols, act, rr ? rr + 3 * ldy : 0);
    }
  }
  for (; i < m; i++) {
    const float *a0 = a + i * lda;
    for (int j = 0; j < n; j += 8) {
      const float *w = packed + (j / 8) * panel;
      v128_t c0 = wasm_v128_load(w), c1 = wasm_v128_load(w + 4);
      w += 8;
      for (int p = 0; p < k; p++, w += 8) {
        v128_t x0 = wasm_v128_load32_splat(a0 + p);
        c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(x0, wasm_v128_load(w)));
        c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(x0, wasm_v128_load(w + 4)));
      }
      store_row(y + i * ldy + j, c0, c1, n - j, act, r ? r + i * ldy + j : 0);
    }
  }
}
