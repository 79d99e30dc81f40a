/* Bilinear resize, NHWC, with TF's source coordinates (align_corners, half_pixel_centers) computed in
 * float64 and its lerp order: top = tl + (tr - tl) fx, bottom likewise, then top + (bottom - top) fy. */
#include "simd.h"

/* source index pair and fraction of output pixel o along an axis of size n */
static inline void source(int o, int n, double scale, int half_pixel, int *i0, int *i1, float *frac) {
  double s = half_pixel ? ((double)o + 0.5) * scale - 0.5 : (double)o * scale;
  double lo = __builtin_floor(s), hi = __builtin_ceil(s);
  *frac = (float)(s - lo);
  *i0 = lo < 0.0 ? 0 : (int)lo;
  *i1 = hi > (double)(n - 1) ? n - 1 : (int)hi;
}

EXPORT void resize_bilinear_f32(const float *x, int batch, int h, int w, int c, float *y, int oh, int ow,
                                int align_corners, int half_pixel) {
  double sy = align_corners && oh > 1 ? (double)(h - 1) / (double)(oh - 1) : (double)h / (double)oh;
  double sx = align_corners && ow > 1 ? (double)(w - 1) / (double)(ow - 1) : (double)w / (double)ow;
  int c4 = c & ~3;
  for (int b = 0; b < batch; b++) {
    const float *xb = x + b * h * w * c;
    for (int oy = 0; oy < oh; oy++) {
      int y0, y1;
      float fy;
      source(oy, h, sy, half_pixel, &y0, &y1, &fy);
      v128_t vfy = wasm_f32x4_splat(fy);
      for (int ox = 0; ox < ow; ox++, y += c) {
        int x0, x1;
        float fx;
        source(ox, w, sx, half_pixel, &x0, &x1, &fx);
        v128_t vfx = wasm_f32x4_splat(fx);
        const float *tl = xb + (y0 * w + x0) * c, *tr = xb + (y0 * w + x1) * c;
        const float *bl = xb + (y1 * w + x0) * c, *br = xb + (y1 * w + x1) * c;
        for (int ch = 0; ch < c4; ch += 4) {
          v128_t l = wasm_v128_load(tl + ch), r = wasm_v128_load(tr + ch);
          v128_t top = wasm_f32x4_add(l, wasm_f32x4_mul(wasm_f32x4_sub(r, l), vfx));
          l = wasm_v128_load(bl + ch), r = wasm_v128_load(br + ch);
          v128_t bottom = wasm_f32x4_add(l, wasm_f32x4_mul(wasm_f32x4_sub(r, l), vfx));
          wasm_v128_store(y + ch, wasm_f32x4_add(top, wasm_f32x4_mul(wasm_f32x4_sub(bottom, top), vfy)));
        }
        for (int ch = c4; ch < c; ch++) {
          float top = tl[ch] + (tr[ch] - tl[ch]) * fx, bottom = bl[ch] + (br[ch] - bl[ch]) * fx;
          y[ch] = top + (bottom - top) * fy;
        }
      }
    }
  }
}
