/* Shared by every kernel file: exports, activation codes (kept equal to pyapp/backends/wasm/codes.py),
 * exp and the activations on f32x4, partial stores, float copies. Everything is inline: no data, no stack. */
#ifndef PYAPP_SIMD_H
#define PYAPP_SIMD_H

#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))

enum { ACT_NONE, ACT_RELU, ACT_RELU6, ACT_SIGMOID, ACT_TANH, ACT_ABS, ACT_NEG, ACT_SQUARE, ACT_EXP };

/* exp(x) for f32x4: 2^n * p(r), r = x - n ln2 (Cody-Waite split), degree-6 polynomial; relative
 * error ~2e-7. x is clamped to [-87.3, 88.7] so 2^n stays a normal float. */
static inline v128_t vexp(v128_t x) {
  x = wasm_f32x4_min(wasm_f32x4_max(x, wasm_f32x4_splat(-87.3f)), wasm_f32x4_splat(88.7f));
  v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), wasm_f32x4_add(r, wasm_f32x4_splat(1.0f)));
  v128_t scale = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, scale);
}

static inline v128_t vsigmoid(v128_t x) {
  v128_t one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, vexp(wasm_f32x4_neg(x))));
}

static inline v128_t activate(v128_t v, int act) {
  switch (act) {
    /* pmax(v, 0) = v < 0 ? 0 : v keeps a NaN (as numpy does) in one instruction; f32x4.max takes several */
    case ACT_RELU: return wasm_f32x4_pmax(v, wasm_f32x4_splat(0.0f));
    case ACT_RELU6: return wasm_f32x4_pmin(wasm_f32x4_pmax(v, wasm_f32x4_splat(0.0f)), wasm_f32x4_splat(6.0f));
    case ACT_SIGMOID: return vsigmoid(v);
    case ACT_TANH: /* 2 sigmoid(2x) - 1: absolute error ~1e-7 */
      return wasm_f32x4_sub(wasm_f32x4_mul(wasm_f32x4_splat(2.0f), vsigmoid(wasm_f32x4_add(v, v))), wasm_f32x4_splat(1.0f));
    case ACT_ABS: return wasm_f32x4_abs(v);
    case ACT_NEG: return wasm_f32x4_neg(v);
    case ACT_SQUARE: return wasm_f32x4_mul(v, v);
    case ACT_EXP: return vexp(v);
    default: return v;
  }
}

static inline float activate1(float v, int act) {
  return wasm_f32x4_extract_lane(activate(wasm_f32x4_splat(v), act), 0);
}

/* The first n (0..3) lanes of v to y. */
static inline void store_lanes(float *y, v128_t v, int n) {
  if (n > 0) y[0] = wasm_f32x4_extract_lane(v, 0);
  if (n > 1) y[1] = wasm_f32x4_extract_lane(v, 1);
  if (n > 2) y[2] = wasm_f32x4_extract_lane(v, 2);
}

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

#endif
