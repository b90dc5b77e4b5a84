// Training kernels for the tfjs WebAssembly backend (NHWC float32, dilation 1, depth multiplier 1).
// The module imports the tfjs backend's own memory, so every pointer below is an offset into the heap that
// holds the tensors: no copies in or out. The functions use no stack and no globals, so they never touch
// memory the tfjs module owns besides the given output buffers. Vectorised over channels with wasm SIMD.
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

static inline int clamp_lo(int v, int lo) { return v < lo ? lo : v; }
static inline int clamp_hi(int v, int hi) { return v > hi ? hi : v; }

// g where 0 < y < 6, else 0 (the relu6 gradient mask; y = the relu6 output or its pre-activation), 4 lanes.
static inline v128_t relu6_mask(v128_t g, v128_t y) {
  return wasm_v128_and(g, wasm_v128_and(wasm_f32x4_gt(y, wasm_f32x4_splat(0.f)), wasm_f32x4_lt(y, wasm_f32x4_splat(6.f))));
}
static inline float relu6_mask1(float g, float y) { return (y > 0.f && y < 6.f) ? g : 0.f; }

// One past the last output column j whose input column j*sw + q - pl is inside [0, W). When the tap lies right of
// every input column (a kernel wider than the map: a 7x7 on a 2x2 map), there is none: C's division truncates
// towards zero, so (W - 1 - q + pl) / sw + 1 would wrongly give 1 there and read or write a pixel past the row.
static inline int col_end(int W, int Wo, int q, int pl, int sw) {
  int last = W - 1 - q + pl;
  if (last < 0) return 0;
  return clamp_hi(last / sw + 1, Wo);
}

static void zero(float *p, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(p + i, wasm_f32x4_splat(0.f));
  for (; i < n; i++) p[i] = 0.f;
}

// o[c] += s * b[c] for c < n
static inline void axpy_row(float *o, float s, const float *b, int n) {
  v128_t sv = wasm_f32x4_splat(s);
  int c = 0;
  for (; c + 8 <= n; c += 8) {
    v128_t o0 = wasm_v128_load(o + c), o1 = wasm_v128_load(o + c + 4);
    o0 = wasm_f32x4_add(o0, wasm_f32x4_mul(sv, wasm_v128_load(b + c)));
    o1 = wasm_f32x4_add(o1, wasm_f32x4_mul(sv, wasm_v128_load(b + c + 4)));
    wasm_v128_store(o + c, o0);
    wasm_v128_store(o + c + 4, o1);
  }
  for (; c + 4 <= n; c += 4) wasm_v128_store(o + c, wasm_f32x4_add(wasm_v128_load(o + c), wasm_f32x4_mul(sv, wasm_v128_load(b + c))));
  for (; c < n; c++) o[c] += s * b[c];
}

// Depthwise filter gradient: dw[p,q,c] = sum over b,i,j of x[b, i*sh+p-pt, j*sw+q-pl, c] * dy[b,i,j,c].
// For each tap (p,q) and block of 16 channels the sum over j stays in registers: two loads per multiply-add.
EXPORT("dw_backprop_filter")
void dw_backprop_filter(const float *x, const float *dy, float *dw, int B, int H, int W, int C, int Ho, int Wo,
                        int KH, int KW, int sh, int sw, int pt, int pl) {
  zero(dw, KH * KW * C);
  for (int b = 0; b < B; b++) {
    for (int i = 0; i < Ho; i++) {
      const float *dyRow = dy + ((long)(b * Ho + i) * Wo) * C;
      for (int p = 0; p < KH; p++) {
        int h = i * sh + p - pt;
        if (h < 0 || h >= H) continue;
        const float *xRow = x + ((long)(b * H + h) * W) * C;
        for (int q = 0; q < KW; q++) {
          float *o = dw + (p * KW + q) * C;
          // valid j: 0 <= j*sw + q - pl < W
          int jLo = pl - q > 0 ? (pl - q + sw - 1) / sw : 0;
          int jHi = col_end(W, Wo, q, pl, sw);
          if (jLo >= jHi) continue;
          const float *xs = xRow + (jLo * sw + q - pl) * C;
          const float *ds = dyRow + jLo * C;
          const long xStep = (long)sw * C;
          int c = 0;
          for (; c + 16 <= C; c += 16) {
            v128_t a0 = wasm_v128_load(o + c), a1 = wasm_v128_load(o + c + 4);
            v128_t a2 = wasm_v128_load(o + c + 8), a3 = wasm_v128_load(o + c + 12);
            const float *xp = xs + c, *dp = ds + c;
            for (int j = jLo; j < jHi; j++, xp += xStep, dp += C) {
              a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(xp), wasm_v128_load(dp)));
              a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(xp + 4), wasm_v128_load(dp + 4)));
              a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(xp + 8), wasm_v128_load(dp + 8)));
              a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(xp + 12), wasm_v128_load(dp + 12)));
            }
            wasm_v128_store(o + c, a0);
            wasm_v128_store(o + c + 4, a1);
            wasm_v128_store(o + c + 8, a2);
            wasm_v128_store(o + c + 12, a3);
          }
          for (; c + 4 <= C; c += 4) {
            v128_t a0 = wasm_v128_load(o + c);
            const float *xp = xs + c, *dp = ds + c;
            for (int j = jLo; j < jHi; j++, xp += xStep, dp += C) a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(xp), wasm_v128_load(dp)));
            wasm_v128_store(o + c, a0);
          }
          for (; c < C; c++) {
            float a = o[c];
            const float *xp = xs + c, *dp = ds + c;
            for (int j = jLo; j < jHi; j++, xp += xStep, dp += C) a += *xp * *dp;
            o[c] = a;
          }
        }
      }
    }
  }
}

// Depthwise input gradient: dx[b,h,w,c] = sum over p,q of dy[b,i,j,c] * f[p,q,c] where h = i*sh+p-pt, w = j*sw+q-pl.
// Gathered per input pixel: the rows i and columns j that reach (h, w) are ranges (no tap checks inside), and for
// each block of 16 channels the sum stays in registers and dx is written once. This replaced a scatter per output
// row (a load and a store of dx per multiply-add), which was 1.3-1.9x slower on the issue-5 shapes.
static inline int ceil_div_pos(int a, int b) { return a <= 0 ? -((-a) / b) : (a + b - 1) / b; }

EXPORT("dw_backprop_input")
void dw_backprop_input(const float *dy, const float *f, float *dx, int B, int H, int W, int C, int Ho, int Wo,
                       int KH, int KW, int sh, int sw, int pt, int pl) {
  for (int b = 0; b < B; b++) {
    for (int h = 0; h < H; h++) {
      // i*sh = h + pt - p with 0 <= p < KH and 0 <= i < Ho
      int iLo = clamp_lo(ceil_div_pos(h + pt - KH + 1, sh), 0);
      int iHi = h + pt < 0 ? -1 : clamp_hi((h + pt) / sh, Ho - 1);
      for (int w = 0; w < W; w++) {
        int jLo = clamp_lo(ceil_div_pos(w + pl - KW + 1, sw), 0);
        int jHi = w + pl < 0 ? -1 : clamp_hi((w + pl) / sw, Wo - 1);
        float *o = dx + ((long)(b * H + h) * W + w) * C;
        int c = 0;
        for (; c + 16 <= C; c += 16) {
          v128_t a0 = wasm_f32x4_splat(0.f), a1 = a0, a2 = a0, a3 = a0;
          for (int i = iLo; i <= iHi; i++) {
            const float *dyRow = dy + ((long)(b * Ho + i) * Wo) * C + c;
            const float *fRow = f + ((h + pt - i * sh) * KW) * C + c;
            for (int j = jLo; j <= jHi; j++) {
              const float *d = dyRow + (long)j * C;
              const float *k = fRow + (w + pl - j * sw) * C;
              a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(d), wasm_v128_load(k)));
              a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(d + 4), wasm_v128_load(k + 4)));
              a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(d + 8), wasm_v128_load(k + 8)));
              a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(d + 12), wasm_v128_load(k + 12)));
            }
          }
          wasm_v128_store(o + c, a0);
          wasm_v128_store(o + c + 4, a1);
          wasm_v128_store(o + c + 8, a2);
          wasm_v128_store(o + c + 12, a3);
        }
        for (; c + 4 <= C; c += 4) {
          v128_t a0 = wasm_f32x4_splat(0.f);
          for (int i = iLo; i <= iHi; i++)
            for (int j = jLo; j <= jHi; j++)
              a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(dy + ((long)(b * Ho + i) * Wo + j) * C + c),
                                                     wasm_v128_load(f + ((h + pt - i * sh) * KW + (w + pl - j * sw)) * C + c)));
          wasm_v128_store(o + c, a0);
        }
        for (; c < C; c++) {
          float a = 0.f;
          for (int i = iLo; i <= iHi; i++)
            for (int j = jLo; j <= jHi; j++) a += dy[((long)(b * Ho + i) * Wo + j) * C + c] * f[((h + pt - i * sh) * KW + (w + pl - j * sw)) * C + c];
          o[c] = a;
        }
      }
    }
  }
}

// Column sums: out[c] = sum over n of x[n, c] (bias gradients: a Sum over every axis but the last).
EXPORT("column_sum")
void column_sum(const float *x, float *out, int N, int C) {
  zero(out, C);
  for (int n = 0; n < N; n++) {
    const float *r = x + (long)n * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) wasm_v128_store(out + c, wasm_f32x4_add(wasm_v128_load(out + c), wasm_v128_load(r + c)));
    for (; c < C; c++) out[c] += r[c];
  }
}

// Column means: out[c] = mean over n of x[n, c] (batch-norm statistics: a Mean over every axis but the last, which
// wasm's Mean runs through a transpose).
EXPORT("column_mean")
void column_mean(const float *x, float *out, int N, int C) {
  column_sum(x, out, N, C);
  if (N <= 0) return;
  const v128_t inv = wasm_f32x4_splat(1.f / (float)N);
  int c = 0;
  for (; c + 4 <= C; c += 4) wasm_v128_store(out + c, wasm_f32x4_mul(wasm_v128_load(out + c), inv));
  for (; c < C; c++) out[c] *= 1.f / (float)N;
}

// 1x1 convolution filter gradient: dw[ci, co] = sum over n of x[n, ci] * dy[n, co] (x [N,Cin], dy [N,Cout]).
// Rows are taken in blocks that stay in cache; inside a block, 4x8 tiles of dw live in registers.
#define ROW_BLOCK 128
EXPORT("matmul_tn")
void matmul_tn(const float *x, const float *dy, float *dw, int N, int Cin, int Cout) {
  zero(dw, Cin * Cout);
  for (int n0 = 0; n0 < N; n0 += ROW_BLOCK) {
    int n1 = n0 + ROW_BLOCK < N ? n0 + ROW_BLOCK : N;
    int ci = 0;
    for (; ci + 4 <= Cin; ci += 4) {
      int co = 0;
      for (; co + 8 <= Cout; co += 8) {
        float *o = dw + ci * Cout + co;
        v128_t a00 = wasm_v128_load(o), a01 = wasm_v128_load(o + 4);
        v128_t a10 = wasm_v128_load(o + Cout), a11 = wasm_v128_load(o + Cout + 4);
        v128_t a20 = wasm_v128_load(o + 2 * Cout), a21 = wasm_v128_load(o + 2 * Cout + 4);
        v128_t a30 = wasm_v128_load(o + 3 * Cout), a31 = wasm_v128_load(o + 3 * Cout + 4);
        for (int n = n0; n < n1; n++) {
          const float *xr = x + (long)n * Cin + ci;
          const float *dr = dy + (long)n * Cout + co;
          v128_t d0 = wasm_v128_load(dr), d1 = wasm_v128_load(dr + 4);
          v128_t x0 = wasm_f32x4_splat(xr[0]), x1 = wasm_f32x4_splat(xr[1]);
          v128_t x2 = wasm_f32x4_splat(xr[2]), x3 = wasm_f32x4_splat(xr[3]);
          a00 = wasm_f32x4_add(a00, wasm_f32x4_mul(x0, d0)); a01 = wasm_f32x4_add(a01, wasm_f32x4_mul(x0, d1));
          a10 = wasm_f32x4_add(a10, wasm_f32x4_mul(x1, d0)); a11 = wasm_f32x4_add(a11, wasm_f32x4_mul(x1, d1));
          a20 = wasm_f32x4_add(a20, wasm_f32x4_mul(x2, d0)); a21 = wasm_f32x4_add(a21, wasm_f32x4_mul(x2, d1));
          a30 = wasm_f32x4_add(a30, wasm_f32x4_mul(x3, d0)); a31 = wasm_f32x4_add(a31, wasm_f32x4_mul(x3, d1));
        }
        wasm_v128_store(o, a00); wasm_v128_store(o + 4, a01);
        wasm_v128_store(o + Cout, a10); wasm_v128_store(o + Cout + 4, a11);
        wasm_v128_store(o + 2 * Cout, a20); wasm_v128_store(o + 2 * Cout + 4, a21);
        wasm_v128_store(o + 3 * Cout, a30); wasm_v128_store(o + 3 * Cout + 4, a31);
      }
      for (; co < Cout; co++) {
        for (int k = 0; k < 4; k++) {
          float s = dw[(ci + k) * Cout + co];
          for (int n = n0; n < n1; n++) s += x[(long)n * Cin + ci + k] * dy[(long)n * Cout + co];
          dw[(ci + k) * Cout + co] = s;
        }
      }
    }
    for (; ci < Cin; ci++)
      for (int n = n0; n < n1; n++) axpy_row(dw + ci * Cout, x[(long)n * Cin + ci], dy + (long)n * Cout, Cout);
  }
}

// General convolution filter gradient (any kernel, stride, padding):
// dw[p,q,ci,co] = sum over b,i,j of x[b, i*sh+p-pt, j*sw+q-pl, ci] * dy[b,i,j,co].
EXPORT("conv_backprop_filter")
void conv_backprop_filter(const float *x, const float *dy, float *dw, int B, int H, int W, int Cin, int Ho, int Wo,
                          int Cout, int KH, int KW, int sh, int sw, int pt, int pl) {
  zero(dw, KH * KW * Cin * Cout);
  for (int b = 0; b < B; b++) {
    for (int i = 0; i < Ho; i++) {
      const float *dyRow = dy + ((long)(b * Ho + i) * Wo) * Cout;
      for (int p = 0; p < KH; p++) {
        int h = i * sh + p - pt;
        if (h < 0 || h >= H) continue;
        const float *xRow = x + ((long)(b * H + h) * W) * Cin;
        for (int q = 0; q < KW; q++) {
          float *o = dw + (p * KW + q) * Cin * Cout;
          int jLo = pl - q > 0 ? (pl - q + sw - 1) / sw : 0;
          int jHi = col_end(W, Wo, q, pl, sw);
          for (int j = jLo; j < jHi; j++) {
            const float *xp = xRow + (j * sw + q - pl) * Cin;
            const float *d = dyRow + j * Cout;
            for (int ci = 0; ci < Cin; ci++) axpy_row(o + ci * Cout, xp[ci], d, Cout);
          }
        }
      }
    }
  }
}

// relu6 gradient: dx = dy where 0 < x < 6, else 0.
EXPORT("relu6_grad")
void relu6_grad(const float *dy, const float *x, float *dx, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dx + i, relu6_mask(wasm_v128_load(dy + i), wasm_v128_load(x + i)));
  for (; i < n; i++) dx[i] = relu6_mask1(dy[i], x[i]);
}

// relu6 gradient and the bias gradient in one pass over [N, C]: dx = dy where 0 < y < 6 (y = the layer's
// relu6 output, which is strictly inside (0, 6) exactly where its pre-activation is), sum[c] = sum over n of dx.
EXPORT("relu6_grad_column_sum")
void relu6_grad_column_sum(const float *dy, const float *y, float *dx, float *sum, int N, int C) {
  zero(sum, C);
  for (int n = 0; n < N; n++) {
    const long o = (long)n * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      v128_t g = relu6_mask(wasm_v128_load(dy + o + c), wasm_v128_load(y + o + c));
      wasm_v128_store(dx + o + c, g);
      wasm_v128_store(sum + c, wasm_f32x4_add(wasm_v128_load(sum + c), g));
    }
    for (; c < C; c++) {
      const float g = relu6_mask1(dy[o + c], y[o + c]);
      dx[o + c] = g;
      sum[c] += g;
    }
  }
}

// Batch norm in training mode over x [N, C] (every axis but the channel one), optionally followed by relu6:
//   mean[c] = Σ x / N;  var[c] = Σ (x − mean)² / N (biased, as tf.moments);  invstd[c] = 1 / √(var + eps)
//   y = (x − mean) · invstd · gamma + beta, clamped to [0, 6] when relu6.
// Three passes over x (mean, variance, output); mean, var and invstd are outputs the gradient reuses.
EXPORT("bn_train_forward")
void bn_train_forward(const float *x, const float *gamma, const float *beta, float *y, float *mean, float *var, float *invstd,
                      int N, int C, float eps, int relu6) {
  column_mean(x, mean, N, C);
  zero(var, C);
  for (int n = 0; n < N; n++) {
    const float *r = x + (long)n * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      v128_t d = wasm_f32x4_sub(wasm_v128_load(r + c), wasm_v128_load(mean + c));
      wasm_v128_store(var + c, wasm_f32x4_add(wasm_v128_load(var + c), wasm_f32x4_mul(d, d)));
    }
    for (; c < C; c++) {
      float d = r[c] - mean[c];
      var[c] += d * d;
    }
  }
  const float invN = N > 0 ? 1.f / (float)N : 0.f;
  for (int c = 0; c < C; c++) {
    var[c] *= invN;
    invstd[c] = 1.f / __builtin_sqrtf(var[c] + eps);
  }
  const v128_t lo = wasm_f32x4_splat(0.f), hi = wasm_f32x4_splat(6.f);
  for (int n = 0; n < N; n++) {
    const float *r = x + (long)n * C;
    float *o = y + (long)n * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      v128_t s = wasm_f32x4_mul(wasm_v128_load(invstd + c), wasm_v128_load(gamma + c));
      v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(r + c), wasm_v128_load(mean + c)), s), wasm_v128_load(beta + c));
      if (relu6) v = wasm_f32x4_pmin(wasm_f32x4_pmax(v, lo), hi);
      wasm_v128_store(o + c, v);
    }
    for (; c < C; c++) {
      float v = (r[c] - mean[c]) * invstd[c] * gamma[c] + beta[c];
      if (relu6) v = v < 0.f ? 0.f : (v > 6.f ? 6.f : v);
      o[c] = v;
    }
  }
}

// Its gradient. g = dy, masked to 0 < y < 6 when relu6 (y: the forward output); x̂ = (x − mean) · invstd:
//   dbeta[c] = Σ g;  dgamma[c] = Σ g · x̂;  dx = gamma · invstd / N · (N · g − dbeta − x̂ · dgamma)
// Two passes: the column sums, then dx.
EXPORT("bn_train_backward")
void bn_train_backward(const float *dy, const float *x, const float *y, const float *mean, const float *invstd, const float *gamma,
                       float *dx, float *dgamma, float *dbeta, int N, int C, int relu6) {
  zero(dgamma, C);
  zero(dbeta, C);
  for (int n = 0; n < N; n++) {
    const long o = (long)n * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      v128_t g = wasm_v128_load(dy + o + c);
      if (relu6) g = relu6_mask(g, wasm_v128_load(y + o + c));
      v128_t xh = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + o + c), wasm_v128_load(mean + c)), wasm_v128_load(invstd + c));
      wasm_v128_store(dbeta + c, wasm_f32x4_add(wasm_v128_load(dbeta + c), g));
      wasm_v128_store(dgamma + c, wasm_f32x4_add(wasm_v128_load(dgamma + c), wasm_f32x4_mul(g, xh)));
    }
    for (; c < C; c++) {
      const float g = relu6 ? relu6_mask1(dy[o + c], y[o + c]) : dy[o + c];
      float xh = (x[o + c] - mean[c]) * invstd[c];
      dbeta[c] += g;
      dgamma[c] += g * xh;
    }
  }
  const float fN = (float)N;
  const v128_t vN = wasm_f32x4_splat(fN), invN = wasm_f32x4_splat(N > 0 ? 1.f / fN : 0.f);
  for (int n = 0; n < N; n++) {
    const long o = (long)n * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      v128_t g = wasm_v128_load(dy + o + c);
      if (relu6) g = relu6_mask(g, wasm_v128_load(y + o + c));
      v128_t is = wasm_v128_load(invstd + c);
      v128_t xh = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + o + c), wasm_v128_load(mean + c)), is);
      v128_t k = wasm_f32x4_mul(wasm_f32x4_mul(wasm_v128_load(gamma + c), is), invN);
      v128_t t = wasm_f32x4_sub(wasm_f32x4_sub(wasm_f32x4_mul(vN, g), wasm_v128_load(dbeta + c)), wasm_f32x4_mul(xh, wasm_v128_load(dgamma + c)));
      wasm_v128_store(dx + o + c, wasm_f32x4_mul(k, t));
    }
    for (; c < C; c++) {
      const float g = relu6 ? relu6_mask1(dy[o + c], y[o + c]) : dy[o + c];
      float xh = (x[o + c] - mean[c]) * invstd[c];
      dx[o + c] = gamma[c] * invstd[c] / fN * (fN * g - dbeta[c] - xh * dgamma[c]);
    }
  }
}
