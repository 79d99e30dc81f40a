/* Elementwise ops on float32. Broadcasting is reduced (pyapp/backends/wasm/lower.py) to [outer, inner]
 * with each operand either full (step = inner) or one row repeated (step = 0). */
#include "simd.h"

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MAX, OP_MIN, OP_SQDIFF };

#define BINARY_LOOP(VEC, ONE)                                                            \
  for (int o = 0; o < outer; o++, a += a_step, b += b_step, y += inner) {                \
    int i = 0;                                                                           \
    for (; i + 4 <= inner; i += 4) {                                                     \
      v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i);                     \
      wasm_v128_store(y + i, activate(VEC, act));                                        \
    }                                                                                    \
    for (; i < inner; i++) {                                                             \
      float sa = a[i], sb = b[i];                                                        \
      y[i] = activate1(ONE, act);                                                        \
    }                                                                                    \
  }                                                                                      \
  return;

/* y = act(a op b) */
EXPORT void binary_f32(const float *a, int a_step, const float *b, int b_step, float *y, int outer, int inner,
                       int op, int act) {
  switch (op) {
    case OP_ADD: BINARY_LOOP(wasm_f32x4_add(va, vb), sa + sb)
    case OP_SUB: BINARY_LOOP(wasm_f32x4_sub(va, vb), sa - sb)
    case OP_MUL: BINARY_LOOP(wasm_f32x4_mul(va, vb), sa * sb)
    case OP_DIV: BINARY_LOOP(wasm_f32x4_div(va, vb), sa / sb)
    case OP_MAX: BINARY_LOOP(wasm_f32x4_pmax(va, vb), sa < sb ? sb : sa)
    case OP_MIN: BINARY_LOOP(wasm_f32x4_pmin(va, vb), sb < sa ? sb : sa)
    case OP_SQDIFF: BINARY_LOOP(wasm_f32x4_mul(wasm_f32x4_sub(va, vb), wasm_f32x4_sub(va, vb)), (sa - sb) * (sa - sb))
  }
}

/* y = act(x) */
EXPORT void unary_f32(const float *x, float *y, int n, int act) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, activate(wasm_v128_load(x + i), act));
  for (; i < n; i++) y[i] = activate1(x[i], act);
}

/* y = (x scale) relu6(x + shift): the hard-swish chain Mul, Add, Relu6, Mul as one pass, in its order. */
EXPORT void hardswish_f32(const float *x, float *y, int n, float scale, float shift) {
  v128_t vs = wasm_f32x4_splat(scale), vt = wasm_f32x4_splat(shift);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(x + i);
    v128_t g = activate(wasm_f32x4_add(v, vt), ACT_RELU6);
    wasm_v128_store(y + i, wasm_f32x4_mul(wasm_f32x4_mul(v, vs), g));
  }
  for (; i < n; i++) y[i] = (x[i] * scale) * activate1(x[i] + shift, ACT_RELU6);
}
