/*: # conv_direct — 3x3 convolutions without a column matrix

The convolution of eq. common.ad.conv2d with a 3x3 kernel, stride 1 and padding 1 keeps the
image size, and then every tap is a *shift*: read an image plane $x_c$ of $P = HW$ pixels as one
long vector, and output position $q = rW + s$ of tap $t = 3i + j$ reads input position
$q + \delta_t$, $\delta_t = (i-1)W + (j-1)$, unless the pixel $(r + i - 1, s + j - 1)$ lies
outside the image (then it reads 0). So
$$ y_o[q] = b_o + \sum_c \sum_{t=0}^{8} W_{o,c,t}\; x_c[q + \delta_t]\,[\text{inside}], $$ {#eq:common.conv_direct.forward}
$$ \bar x_c[q] \mathrel{+}= \sum_o \sum_t W_{o,c,8-t}\; \bar y_o[q + \delta_t]\,[\text{inside}], $$ {#eq:common.conv_direct.data_grad}
$$ \bar W_{o,c,t} \mathrel{+}= \sum_n \sum_q \bar y_{n,o}[q]\; x_{n,c}[q + \delta_t]\,[\text{inside}]. $$ {#eq:common.conv_direct.weight_grad}
The data gradient is the forward sum again with the kernel flipped ($8 - t$ is the tap
$(2-i, 2-j)$, whose shift is $-\delta_t$), so one kernel serves both.

Why not im2col (ad_conv.c's general route)? With the Tiny U-Net's 16 to 64 channels a column
matrix entry is used by only $O$ multiply-adds, so building it, packing it for the GEMM and
scattering it back cost more than the arithmetic: two thirds of a training step was the
convolutions and less than a third of that the products. Here the products read the planes in
place.

**Vectors.** 16 consecutive positions form one AVX-512 register. For each vector and tap a
16-bit lane mask marks the lanes that read inside the image (the plan, built once per op); a
masked load leaves the other lanes 0 and never touches their memory. The forward kernel holds a
block of 8 output channels x 32 positions in 16 accumulators: each tap costs two masked loads and
eight broadcast weights for sixteen fused multiply-adds. The weight gradient holds 8 output
channels x the 3 taps of one kernel row for one input channel in 24 accumulators: per vector
eight loads of $\bar y$ and three of $x$ for twenty-four multiply-adds; lanes are summed at the
end by a fixed tree.

**Order.** Every output sums its terms in one fixed order: the bias, then channel by channel,
taps in order ($\bar x$: the sum, then added to $\bar x$); $\bar W$ per lane over images in
order and positions in order, then across lanes. The thread count never enters (the forward and
data-gradient loops run one image per thread, the weight gradient one (block of output
channels, input channel, kernel row) unit per thread), so the results are the same bits for any
number of threads.
*/
#include <string.h>

#include "common/conv_direct.h"
#include "common/gemm.h"
#include "common/parallel.h"
#include "common/util.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CD_HAVE_X86 1
#else
#define CD_HAVE_X86 0
#endif

enum { OB = 8 }; /* output channels per block of the forward kernel */

int conv_direct_fits(int kh, int kw, int stride, int pad) {
    return kh == 3 && kw == 3 && stride == 1 && pad == 1;
}

int conv_direct_available(void) {
#if CD_HAVE_X86
    return gemm_uses_avx512();
#else
    return 0;
#endif
}

size_t conv_direct_plan_bytes(int h, int w) {
    const long nv = ((long)h * w + 15) / 16;
    return (size_t)(nv + 1) * 10 * sizeof(uint16_t);
}

ConvDirectPlan conv_direct_plan(int h, int w, void *mem) {
    const long P = (long)h * w;
    ConvDirectPlan pl = {h, w, (int)((P + 15) / 16), mem, NULL};
    pl.tail = pl.mask + (long)(pl.nv + 1) * 9;
    for (int v = 0; v <= pl.nv; v++) {
        uint16_t tail = 0, m[9] = {0};
        for (int l = 0; l < 16; l++) {
            const long q = 16L * v + l;
            if (q >= P) continue;
            tail |= (uint16_t)(1u << l);
            const int r = (int)(q / w), s = (int)(q % w);
            for (int t = 0; t < 9; t++) {
                const int rr = r + t / 3 - 1, ss = s + t % 3 - 1;
                if (rr >= 0 && rr < h && ss >= 0 && ss < w) m[t] |= (uint16_t)(1u << l);
            }
        }
        memcpy(pl.mask + (long)v * 9, m, sizeof m);
        pl.tail[v] = tail;
    }
    return pl;
}

#if CD_HAVE_X86
/* p + i elements as an address: a tap's read starts up to W + 1 elements before a plane (or
   after it); only lanes inside the plane are read, so the address itself may lie outside. */
static inline const float *shifted(const float *p, long i) {
    return (const float *)((uintptr_t)p + (uintptr_t)(i * (long)sizeof(float)));
}

/* Output channels o0 .. o0 + NOB - 1 at vectors v0, v0 + 1 (NOB a constant after inlining, so
   the accumulators live in registers); wb: the block's packed weights, (C, 9, OB). */
__attribute__((target("avx512f"), always_inline)) static inline void
image_block(const ConvDirectPlan *pl, int C, const float *x, const float *wb, int o0, const int NOB,
            int v0, const float *b, float *y, int accumulate) {
    const long P = (long)pl->h * pl->w, q0 = 16L * v0;
    long off[9];
#pragma GCC unroll 9
    for (int t = 0; t < 9; t++) off[t] = (long)(t / 3 - 1) * pl->w + (t % 3 - 1);
    const uint16_t *m0 = pl->mask + (long)v0 * 9, *m1 = m0 + 9;
    __m512 a0[OB], a1[OB];
#pragma GCC unroll 8
    for (int k = 0; k < NOB; k++)
        a0[k] = a1[k] = !accumulate && b ? _mm512_set1_ps(b[o0 + k]) : _mm512_setzero_ps();
    for (int c = 0; c < C; c++) {
        const float *xc = x + c * P + q0, *wc = wb + (long)c * 9 * OB;
#pragma GCC unroll 9
        for (int t = 0; t < 9; t++) {
            //: $x_c[q + \delta_t]$ on the lanes inside the image, 0 elsewhere
            const __m512 x0 = _mm512_maskz_loadu_ps(m0[t], shifted(xc, off[t]));
            const __m512 x1 = _mm512_maskz_loadu_ps(m1[t], shifted(xc, off[t] + 16));
#pragma GCC unroll 8
            for (int k = 0; k < NOB; k++) {
                //: $y_o[q] \mathrel{+}= W_{o,c,t}\,x_c[q + \delta_t]$, [eq:common.conv_direct.forward]
                const __m512 wv = _mm512_set1_ps(wc[t * OB + k]);
                a0[k] = _mm512_fmadd_ps(wv, x0, a0[k]);
                a1[k] = _mm512_fmadd_ps(wv, x1, a1[k]);
            }
        }
    }
    const __mmask16 t0 = pl->tail[v0], t1 = pl->tail[v0 + 1];
#pragma GCC unroll 8
    for (int k = 0; k < NOB; k++) {
        float *yo = y + (o0 + k) * P + q0;
        if (accumulate) {
            a0[k] = _mm512_add_ps(_mm512_maskz_loadu_ps(t0, yo), a0[k]);
            a1[k] = _mm512_add_ps(_mm512_maskz_loadu_ps(t1, shifted(yo, 16)), a1[k]);
        }
        _mm512_mask_storeu_ps(yo, t0, a0[k]);
        _mm512_mask_storeu_ps((float *)shifted(yo, 16), t1, a1[k]);
    }
}

__attribute__((target("avx512f"))) static void image_avx512(const ConvDirectPlan *pl, int C, int O,
                                                            const float *x, const float *wp,
                                                            const float *b, float *y, int acc) {
    for (int o0 = 0; o0 < O; o0 += OB) {
        const float *wb = wp + (long)o0 * C * 9;
        for (int v0 = 0; v0 < pl->nv; v0 += 2) switch (O - o0 < OB ? O - o0 : OB) {
            case 1: image_block(pl, C, x, wb, o0, 1, v0, b, y, acc); break;
            case 2: image_block(pl, C, x, wb, o0, 2, v0, b, y, acc); break;
            case 3: image_block(pl, C, x, wb, o0, 3, v0, b, y, acc); break;
            case 4: image_block(pl, C, x, wb, o0, 4, v0, b, y, acc); break;
            case 5: image_block(pl, C, x, wb, o0, 5, v0, b, y, acc); break;
            case 6: image_block(pl, C, x, wb, o0, 6, v0, b, y, acc); break;
            case 7: image_block(pl, C, x, wb, o0, 7, v0, b, y, acc); break;
            default: image_block(pl, C, x, wb, o0, OB, v0, b, y, acc); break;
            }
    }
}

/* W-bar of output channels o0 .. o0 + NOB - 1, input channel c, kernel row i (taps 3i .. 3i+2),
   over all images: 3 NOB accumulators; per vector three loads of x serve 3 NOB multiply-adds. */
__attribute__((target("avx512f"), always_inline)) static inline void
wgrad_unit(const ConvDirectPlan *pl, int N, int C, int O, const float *x, const float *gy,
           float *gw, int o0, const int NOB, int c, int i) {
    const long P = (long)pl->h * pl->w;
    long off[3];
#pragma GCC unroll 3
    for (int j = 0; j < 3; j++) off[j] = (long)(i - 1) * pl->w + (j - 1);
    __m512 a[OB][3];
#pragma GCC unroll 8
    for (int k = 0; k < NOB; k++)
#pragma GCC unroll 3
        for (int j = 0; j < 3; j++) a[k][j] = _mm512_setzero_ps();
    for (int n = 0; n < N; n++) {
        const float *xc = x + ((long)n * C + c) * P, *g = gy + ((long)n * O + o0) * P;
        for (int v = 0; v < pl->nv; v++) {
            const long q = 16L * v;
            const __mmask16 tm = pl->tail[v];
            const uint16_t *m = pl->mask + (long)v * 9 + 3 * i;
            const __m512 x0 = _mm512_maskz_loadu_ps(m[0], shifted(xc, q + off[0]));
            const __m512 x1 = _mm512_maskz_loadu_ps(m[1], shifted(xc, q + off[1]));
            const __m512 x2 = _mm512_maskz_loadu_ps(m[2], shifted(xc, q + off[2]));
#pragma GCC unroll 8
            for (int k = 0; k < NOB; k++) {
                const __m512 gk = _mm512_maskz_loadu_ps(tm, g + k * P + q);
                //: $\bar W_{o,c,t} \mathrel{+}= \bar y_{n,o}[q]\,x_{n,c}[q + \delta_t]$, [eq:common.conv_direct.weight_grad]
                a[k][0] = _mm512_fmadd_ps(gk, x0, a[k][0]);
                a[k][1] = _mm512_fmadd_ps(gk, x1, a[k][1]);
                a[k][2] = _mm512_fmadd_ps(gk, x2, a[k][2]);
            }
        }
    }
#pragma GCC unroll 8
    for (int k = 0; k < NOB; k++)
#pragma GCC unroll 3
        for (int j = 0; j < 3; j++)
            gw[((long)(o0 + k) * C + c) * 9 + 3 * i + j] += _mm512_reduce_add_ps(a[k][j]);
}

__attribute__((target("avx512f"))) static void wgrad_avx512(const ConvDirectPlan *pl, int N, int C,
                                                            int O, const float *x,
                                                            const float *gy, float *gw) {
    const int blocks = (O + OB - 1) / OB, units = blocks * C * 3;
    int par = (long)N * O * C * 9 * pl->nv * 16 > 200000;
#ifdef _OPENMP
    if (omp_in_parallel()) par = 0;
#endif
#pragma omp parallel for schedule(static) if (par)
    for (int u = 0; u < units; u++) {
        const int o0 = OB * (u / (3 * C)), c = u / 3 % C, i = u % 3;
        switch (O - o0 < OB ? O - o0 : OB) {
        case 1: wgrad_unit(pl, N, C, O, x, gy, gw, o0, 1, c, i); break;
        case 2: wgrad_unit(pl, N, C, O, x, gy, gw, o0, 2, c, i); break;
        case 3: wgrad_unit(pl, N, C, O, x, gy, gw, o0, 3, c, i); break;
        case 4: wgrad_unit(pl, N, C, O, x, gy, gw, o0, 4, c, i); break;
        case 5: wgrad_unit(pl, N, C, O, x, gy, gw, o0, 5, c, i); break;
        case 6: wgrad_unit(pl, N, C, O, x, gy, gw, o0, 6, c, i); break;
        case 7: wgrad_unit(pl, N, C, O, x, gy, gw, o0, 7, c, i); break;
        default: wgrad_unit(pl, N, C, O, x, gy, gw, o0, OB, c, i); break;
        }
    }
}
#endif

long conv_direct_packed_floats(int C, int O) { return (long)(O + OB - 1) / OB * OB * C * 9; }

void conv_direct_pack(int C, int O, const float *w, long so, long sc, int flip, float *wp) {
    for (int o0 = 0; o0 < O; o0 += OB)
        for (int c = 0; c < C; c++)
            for (int t = 0; t < 9; t++)
                for (int k = 0; k < OB; k++) {
                    const int o = o0 + k;
                    wp[(((long)o0 * C + (long)c * OB) * 9) + t * OB + k] =
                        o < O ? w[o * so + c * sc + (flip ? 8 - t : t)] : 0.0f;
                }
}

void conv_direct_image(const ConvDirectPlan *pl, int C, int O, const float *x, const float *wp,
                       const float *b, float *y, int accumulate) {
#if CD_HAVE_X86
    image_avx512(pl, C, O, x, wp, b, y, accumulate);
#else
    (void)pl, (void)C, (void)O, (void)x, (void)wp, (void)b, (void)y, (void)accumulate;
    die("conv_direct_image: no AVX-512 on this build (conv_direct_available() is 0)");
#endif
}

void conv_direct_weight_grad(const ConvDirectPlan *pl, int N, int C, int O, const float *x,
                             const float *gy, float *gw) {
#if CD_HAVE_X86
    wgrad_avx512(pl, N, C, O, x, gy, gw);
#else
    (void)pl, (void)N, (void)C, (void)O, (void)x, (void)gy, (void)gw;
    die("conv_direct_weight_grad: no AVX-512 on this build (conv_direct_available() is 0)");
#endif
}
