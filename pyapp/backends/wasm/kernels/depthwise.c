/* Depthwise conv (channel multiplier 1), NHWC, any kernel size, stride, dilation and padding, with
 * bias and activation, then optionally + r (a residual laid out like y, 0: none; after the
 * activation, as the graph's Add reads the activated output).
 *
 * Weights are packed at load (pyapp/backends/wasm/pack.py): per block of 4 channels, [4 bias][kh kw
 * taps of 4], zeros past c. Input rows are copied, as they are first needed, into `scratch`: a ring of
 * (kh - 1) dh + 1 rows, each [channel block][padded column][4], zero in the padding columns, then one
 * row of zeros for the rows above and below the input. There every tap of a block sits at a constant
 * offset from its row's pointer, which the load instruction carries (NHWC's runtime strides cost an
 * address add per tap and, with 9 or 25 offsets live, spilled registers: most of the old kernel's
 * time), and the border needs no special case. 3x3 and 5x5 with dilation 1 run unrolled taps with the
 * weights in registers, one pixel per step (two per step spilled more than they saved). */
#include "simd.h"

typedef struct {
  int nb, wpad, rows;  /* channel blocks, padded row length in pixels, ring rows */
  v128_t lo, hi;       /* the activation as a clamp (none, relu, relu6) */
} Ring;

static inline int ring_rows(int kh, int dh) { return (kh - 1) * dh + 1; }

/* act(acc) + r for the activations that are a clamp to [lo, hi]: pmax / pmin keep a NaN, as the numpy
 * reference does. Other activations get lo = -inf, hi = inf and a pass over the row afterwards. */
static inline v128_t clamp(v128_t acc, const Ring *g) {
  return wasm_f32x4_pmin(wasm_f32x4_pmax(acc, g->lo), g->hi);
}

static inline void store4(float *y, v128_t v, const float *r) {
  wasm_v128_store(y, r ? wasm_f32x4_add(v, wasm_v128_load(r)) : v);
}

/* Input row iy (NHWC, c channels) into its ring slot, at padded columns [pl, pl + w) (those < wpad). */
static inline __attribute__((always_inline)) void copy_row(const Ring *g, const float *xrow, int w, int c, int pl, float *slot) {
  int n = w < g->wpad - pl ? w : g->wpad - pl;
  int c4 = c & ~3;
  for (int cb = 0; cb * 4 < c4; cb++) {
    float *dst = slot + (cb * g->wpad + pl) * 4;
    const float *src = xrow + cb * 4;
    for (int ix = 0; ix < n; ix++) wasm_v128_store(dst + ix * 4, wasm_v128_load(src + ix * c));
  }
  if (c4 < c) {
    float *dst = slot + ((c4 / 4) * g->wpad + pl) * 4;
    for (int ix = 0; ix < n; ix++)
      for (int ch = c4; ch < c; ch++) dst[ix * 4 + ch - c4] = xrow[ix * c + ch];
  }
}

/* Where one output row's tap rows are: ring slot of input row iy at ring + (iy % rows) slot floats. */
typedef struct {
  const float *ring, *zero;
  int iy0, dh, h, rows, slot, block;
} Tap;

/* Channel block cb of tap row ky: its ring row, or the zero row above or below the input. */
static inline __attribute__((always_inline)) const float *tap_row(const Tap *t, int cb, int ky) {
  int iy = t->iy0 + ky * t->dh;
  return iy < 0 || iy >= t->h ? t->zero : t->ring + (iy % t->rows) * t->slot + cb * t->block;
}

/* One output row of one channel block, K x K taps (dilation 1) unrolled, weights in registers. wb: the
 * block's packed weights. R: whether r is set (a loop without the test). */
static inline __attribute__((always_inline)) void row_unrolled(const Ring *g, const Tap *t, int cb, const float *wb,
                                                               int sw, int wo, int c, float *y, const float *r,
                                                               const int K, const int R) {
  v128_t bias = wasm_v128_load(wb), wv[25]; /* K <= 5 (a K-sized array would be a VLA: stack) */
  for (int i = 0; i < K * K; i++) wv[i] = wasm_v128_load(wb + 4 + i * 4);
  const float *p[5];
  for (int ky = 0; ky < K; ky++) p[ky] = tap_row(t, cb, ky);
  for (int ox = 0; ox < wo; ox++, y += c, r += R ? c : 0) {
    v128_t a = bias;
    for (int ky = 0; ky < K; ky++) {
      v128_t row = wasm_f32x4_mul(wasm_v128_load(p[ky]), wv[ky * K]);
      for (int kx = 1; kx < K; kx++) row = wasm_f32x4_add(row, wasm_f32x4_mul(wasm_v128_load(p[ky] + 4 * kx), wv[ky * K + kx]));
      a = wasm_f32x4_add(a, row);
      p[ky] += sw * 4;
    }
    a = clamp(a, g);
    wasm_v128_store(y, R ? wasm_f32x4_add(a, wasm_v128_load(r)) : a);
  }
}

/* Any kernel size and dilation, and the last block when c is not a multiple of 4 (`lanes` < 4). */
static inline __attribute__((always_inline)) void row_generic(const Ring *g, const Tap *t, int cb, const float *wb, int kh, int kw,
                                                               int sw, int dw, int wo, int c, int lanes, float *y,
                                                               const float *r) {
  for (int ox = 0; ox < wo; ox++, y += c, r = r ? r + c : 0) {
    v128_t a = wasm_v128_load(wb);
    for (int ky = 0; ky < kh; ky++)
      for (int kx = 0; kx < kw; kx++)
        a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load(tap_row(t, cb, ky) + (ox * sw + kx * dw) * 4),
                                             wasm_v128_load(wb + 4 + (ky * kw + kx) * 4)));
    a = clamp(a, g);
    if (lanes == 4) {
      store4(y, a, r);
    } else {
      if (r) a = wasm_f32x4_add(a, wasm_f32x4_make(r[0], lanes > 1 ? r[1] : 0.0f, lanes > 2 ? r[2] : 0.0f, 0.0f));
      store_lanes(y, a, lanes);
    }
  }
}

/* y = act(y) + r over n floats: the activations that are not a clamp. */
static void activate_row(float *y, int n, int act, const float *r) {
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = activate(wasm_v128_load(y + i), act);
    wasm_v128_store(y + i, r ? wasm_f32x4_add(v, wasm_v128_load(r + i)) : v);
  }
  for (; i < n; i++) y[i] = r ? activate1(y[i], act) + r[i] : activate1(y[i], act);
}

static inline void fill_zero(float *p, int n) {
  for (int i = 0; i < n; i += 4) wasm_v128_store(p + i, wasm_f32x4_splat(0.0f));
}

/* scratch: (ring rows x blocks + 1) x wpad x 4 floats, wpad = (wo - 1) sw + (kw - 1) dw + 1 (lower.py). */
EXPORT void depthwise_f32(const float *x, int batch, int h, int w, int c, const float *packed, int kh, int kw,
                          int sh, int sw, int dh, int dw, int pt, int pl, float *y, int ho, int wo,
                          float *scratch, int act, const float *r) {
  int clamped = act == ACT_NONE || act == ACT_RELU || act == ACT_RELU6;
  float inf = __builtin_inff();
  Ring g = {(c + 3) / 4, (wo - 1) * sw + (kw - 1) * dw + 1, ring_rows(kh, dh),
            wasm_f32x4_splat(act == ACT_RELU || act == ACT_RELU6 ? 0.0f : -inf),
            wasm_f32x4_splat(act == ACT_RELU6 ? 6.0f : inf)};
  int slot = g.nb * g.wpad * 4, taps = 4 + kh * kw * 4;
  float *zero = scratch + g.rows * slot;
  int c4 = c & ~3, fast = dw == 1 && ((kh == 3 && kw == 3) || (kh == 5 && kw == 5));
  const float *rr = clamped ? r : 0; /* other activations: the residual is added after them */
  fill_zero(scratch, (g.rows * g.nb + 1) * g.wpad * 4); /* padding columns, lanes past c, the zero row: */
  for (int b = 0; b < batch; b++) {                       /* copy_row never writes them */
    const float *xb = x + b * h * w * c;
    int next = 0; /* the first input row not yet in the ring */
    for (int oy = 0; oy < ho; oy++, y += wo * c, r = r ? r + wo * c : 0, rr = rr ? rr + wo * c : 0) {
      int iy0 = oy * sh - pt, last = iy0 + (kh - 1) * dh;
      for (int iy = next > iy0 ? next : iy0 > 0 ? iy0 : 0; iy <= last && iy < h; iy++, next = iy)
        copy_row(&g, xb + iy * w * c, w, c, pl, scratch + (iy % g.rows) * slot);
      Tap t = {scratch, zero, iy0, dh, h, g.rows, slot, g.wpad * 4};
      for (int cb = 0; cb < g.nb; cb++) {
        const float *wb = packed + cb * taps;
        float *yc = y + cb * 4;
        const float *rc = rr ? rr + cb * 4 : 0;
        if (cb * 4 + 4 > c)
          row_generic(&g, &t, cb, wb, kh, kw, sw, dw, wo, c, c - c4, yc, rc);
        else if (fast && kh == 3 && rc)
          row_unrolled(&g, &t, cb, wb, sw, wo, c, yc, rc, 3, 1);
        else if (fast && kh == 3)
          row_unrolled(&g, &t, cb, wb, sw, wo, c, yc, rc, 3, 0);
        else if (fast && rc)
          row_unrolled(&g, &t, cb, wb, sw, wo, c, yc, rc, 5, 1);
        else if (fast)
          row_unrolled(&g, &t, cb, wb, sw, wo, c, yc, rc, 5, 0);
        else
          row_generic(&g, &t, cb, wb, kh, kw, sw, dw, wo, c, 4, yc, rc);
      }
      if (!clamped) activate_row(y, wo * c, act, r);
    }
  }
}
