/* y[m, n] = act(a[m, k] @ w[k, n] + bias [+ r[m, n]]) with w packed at load (pyapp/backends/wasm/pack.py):
 * panels of 8 output columns, each [8 bias][k rows of 8 weights], zero past n.
 * Register tile 4 rows x 8 columns (8 accumulators, 2 weight and 4 splatted input registers). r: a
 * residual tensor laid out like y (0: none), added before the activation (ResNet-style blocks).
 * Convolutions other than 1x1 stride 1 (conv_f32) are this GEMM reading the input in place where every
 * tap is inside it, and im2col (a block of output pixels at a time, in cache) then GEMM at the border. */
#include "simd.h"

/* ACT: the activation when it is known at compile time, -1 for `act` (sigmoid, tanh); RES: r is set. */
static inline __attribute__((always_inline)) void store_row(float *y, v128_t lo, v128_t hi, int cols, int act,
                                                           const float *r, const int ACT, const int RES) {
  if (RES) { /* a full 8 are read even for fewer columns: the arena has slack past its end */
    lo = wasm_f32x4_add(lo, wasm_v128_load(r));
    hi = wasm_f32x4_add(hi, wasm_v128_load(r + 4));
  }
  lo = activate(lo, ACT < 0 ? act : ACT);
  hi = activate(hi, ACT < 0 ? act : ACT);
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

/* Row i of a is `segs` runs of `seg` floats, `gap` floats apart: a + i lda + s gap + q (k = segs seg). A
 * plain matrix is one run (segs 1, seg k); a direct convolution's pixel is one run per tap row. */
static inline __attribute__((always_inline)) void gemm_tiles(const float *a, int lda, int m, int segs, int seg, int gap,
                                                            const float *packed, float *y, int ldy, int n, int act,
                                                            const float *r, const int ACT, const int RES) {
  int panel = 8 + 8 * segs * seg;
  int i = 0;
  for (; i + 4 <= m; i += 4) {
    const float *a0 = a + i * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
    for (int j = 0; j < n; j += 8) {
      const float *w = packed + (j / 8) * panel;
      v128_t c00 = wasm_v128_load(w), c01 = wasm_v128_load(w + 4);
      v128_t c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
      w += 8;
      for (int s = 0; s < segs; s++)
      for (int q = s * gap, end = q + seg; q < end; q++, w += 8) {
        v128_t w0 = wasm_v128_load(w), w1 = wasm_v128_load(w + 4);
        v128_t x0 = wasm_v128_load32_splat(a0 + q), x1 = wasm_v128_load32_splat(a1 + q);
        v128_t x2 = wasm_v128_load32_splat(a2 + q), x3 = wasm_v128_load32_splat(a3 + q);
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
      const float *rr = r + i * ldy + j;
      int cols = n - j;
      store_row(yr, c00, c01, cols, act, rr, ACT, RES);
      store_row(yr + ldy, c10, c11, cols, act, rr + ldy, ACT, RES);
      store_row(yr + 2 * ldy, c20, c21, cols, act, rr + 2 * ldy, ACT, RES);
      store_row(yr + 3 * ldy, c30, c31, cols, act, rr + 3 * ldy, ACT, RES);
    }
  }
  for (; i < m; i++) {
    const float *a0 = a + i * lda;
    for (int j = 0; j < n; j += 8) {
      const float *w = packed + (j / 8) * panel;
      v128_t c0 = wasm_v128_load(w), c1 = wasm_v128_load(w + 4);
      w += 8;
      for (int s = 0; s < segs; s++)
      for (int q = s * gap, end = q + seg; q < end; q++, w += 8) {
        v128_t x0 = wasm_v128_load32_splat(a0 + q);
        c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(x0, wasm_v128_load(w)));
        c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(x0, wasm_v128_load(w + 4)));
      }
      store_row(y + i * ldy + j, c0, c1, n - j, act, r + i * ldy + j, ACT, RES);
    }
  }
}

/* The tiles compiled per common epilogue: relu / relu6 / none, with or without a residual. */
static __attribute__((noinline)) void gemm(const float *a, int lda, int m, int segs, int seg, int gap,
                                           const float *packed, float *y, int ldy, int n, int act, const float *r) {
  switch (r ? act : act + 16) {
    case ACT_NONE: gemm_tiles(a, lda, m, segs, seg, gap, packed, y, ldy, n, act, r, ACT_NONE, 1); break;
    case ACT_RELU: gemm_tiles(a, lda, m, segs, seg, gap, packed, y, ldy, n, act, r, ACT_RELU, 1); break;
    case ACT_RELU6: gemm_tiles(a, lda, m, segs, seg, gap, packed, y, ldy, n, act, r, ACT_RELU6, 1); break;
    case ACT_NONE + 16: gemm_tiles(a, lda, m, segs, seg, gap, packed, y, ldy, n, act, r, ACT_NONE, 0); break;
    case ACT_RELU + 16: gemm_tiles(a, lda, m, segs, seg, gap, packed, y, ldy, n, act, r, ACT_RELU, 0); break;
    case ACT_RELU6 + 16: gemm_tiles(a, lda, m, segs, seg, gap, packed, y, ldy, n, act, r, ACT_RELU6, 0); break;
    default:
      if (r) gemm_tiles(a, lda, m, segs, seg, gap, packed, y, ldy, n, act, r, -1, 1);
      else gemm_tiles(a, lda, m, segs, seg, gap, packed, y, ldy, n, act, r, -1, 0);
  }
}

EXPORT void gemm_f32(const float *a, int lda, int m, int k, const float *packed, float *y, int ldy, int n, int act,
                     const float *r) {
  gemm(a, lda, m, 1, k, 0, packed, y, ldy, n, act, r);
}

/* im2col of output pixels [p0, p0 + count) (p = (b ho + oy) wo + ox): cols[p - p0][(ky kw + kx) c + ch]
 * = x at the tap, 0 in the padding. */
static inline void im2col(const float *x, int h, int w, int c, int kh, int kw, int sh, int sw, int dh, int dw,
                          int pt, int pl, int ho, int wo, int p0, int count, float *cols) {
  int ox = p0 % wo, oy = (p0 / wo) % ho, b = p0 / (wo * ho);
  for (int i = 0; i < count; i++) {
    const float *xb = x + b * h * w * c;
    int ix0 = ox * sw - pl;
    int whole_rows = dw == 1 && ix0 >= 0 && ix0 + kw <= w; /* a row's kw taps are kw c contiguous floats */
    for (int ky = 0; ky < kh; ky++, cols += kw * c) {
      int iy = oy * sh - pt + ky * dh;
      if (iy < 0 || iy >= h) {
        zero_floats(cols, kw * c);
      } else if (whole_rows) {
        copy_floats(cols, xb + (iy * w + ix0) * c, kw * c);
      } else {
        for (int kx = 0; kx < kw; kx++) {
          int ix = ix0 + kx * dw;
          if (ix < 0 || ix >= w) zero_floats(cols + kx * c, c);
          else copy_floats(cols + kx * c, xb + (iy * w + ix) * c, c);
        }
      }
    }
    if (++ox == wo) {
      ox = 0;
      if (++oy == ho) oy = 0, b++;
    }
  }
}

/* Output pixels [p0, p0 + count) by im2col + gemm, `rows` at a time through cols. */
static void conv_im2col(const float *x, int h, int w, int c, int kh, int kw, int sh, int sw, int dh, int dw, int pt,
                        int pl, int ho, int wo, float *cols, int rows, const float *packed, float *y, int n, int act,
                        const float *r, int p0, int count) {
  int k = kh * kw * c;
  for (int p = p0; p < p0 + count; p += rows) {
    int pixels = p0 + count - p < rows ? p0 + count - p : rows;
    im2col(x, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo, p, pixels, cols);
    gemm(cols, k, pixels, 1, k, 0, packed, y + p * n, n, n, act, r ? r + p * n : 0);
  }
}

/* Convolution y[b, oy, ox, :] = act(conv + bias [+ r]). Output pixels whose taps are all inside the input
 * (dilation 1 across) are a gemm reading x in place: a pixel's row of the product is kh runs of kw c
 * floats, one per tap row, and the next pixel's starts sw c floats on. The others (the border) go
 * through im2col, `rows` pixels at a time through cols (rows x kh kw c floats). */
EXPORT void conv_f32(const float *x, int batch, int h, int w, int c, int kh, int kw, int sh, int sw, int dh, int dw,
                     int pt, int pl, int ho, int wo, float *cols, int rows, const float *packed, float *y, int n,
                     int act, const float *r) {
  /* columns [ox0, ox1) have every tap inside the input */
  int ox0 = (pl + sw - 1) / sw, last = w - 1 + pl - (kw - 1) * dw;
  int ox1 = last < 0 ? 0 : last / sw + 1;
  ox0 = ox0 < wo ? ox0 : wo;
  ox1 = ox1 < ox0 ? ox0 : ox1 < wo ? ox1 : wo;
  if (dw != 1 || ox1 == ox0) {
    conv_im2col(x, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo, cols, rows, packed, y, n, act, r, 0, batch * ho * wo);
    return;
  }
  for (int b = 0; b < batch; b++)
    for (int oy = 0; oy < ho; oy++) {
      int p = (b * ho + oy) * wo, iy0 = oy * sh - pt;
      if (iy0 < 0 || iy0 + (kh - 1) * dh >= h) {
        conv_im2col(x, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo, cols, rows, packed, y, n, act, r, p, wo);
        continue;
      }
      conv_im2col(x, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo, cols, rows, packed, y, n, act, r, p, ox0);
      const float *a = x + ((b * h + iy0) * w + ox0 * sw - pl) * c;
      gemm(a, sw * c, ox1 - ox0, kh, kw * c, dh * w * c, packed, y + (p + ox0) * n, n, n, act, r ? r + (p + ox0) * n : 0);
      conv_im2col(x, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo, cols, rows, packed, y, n, act, r, p + ox1, wo - ox1);
    }
}
