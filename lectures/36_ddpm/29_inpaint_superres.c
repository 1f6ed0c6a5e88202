/*: # L36 6.5 — Inpainting, super-resolution and text conditioning with a DDPM

**Lecture 36, section 6.5** (advanced conditional generation): inpainting by replacing the
known pixels at every reverse step, super-resolution by feeding a low-resolution image beside
$x_t$, and text-to-image through cross-attention. Spec errata A13 ($\tilde\beta_t$ here, $\beta_t$
in 4.2.4), A27 ($\bar\alpha_0$), A28 (mask polarity, clean paste), A39 (the shapes of the
super-resolution input), A40 (where cross-attention goes).

The replacement method is first run where the right answer is known: two pixels, jointly
Gaussian with correlation $\rho = 0.9$, the first one known. The exact conditional law of the
second comes from Gaussian conditioning, and the sampler's law comes exactly from the affine
recursion of the chain, so the bias of "paste the known pixels" shows without Monte-Carlo
noise (Monte-Carlo chains confirm it).

What you will see: the conditional target (0.9, 0.4359); the lecture's clean paste and the
noised paste both missing it (A28, spec values); $\sigma_1 = 0$ from $\bar\alpha_0 = 1$ (A27); the
lecture's mask regenerating 588 border pixels instead of the 196 of the centre (A28);
nearest and bilinear 14→28 upsampling and the channel concat that fails without it (A39); a
cross-attention map of 196 image tokens over 8 text tokens (A40).

Run: `build/release/bin/lectures/36_ddpm/29_inpaint_superres [--quick | --full] [--threads N]`.

| symbol | C name | shape |
|---|---|---|
| $\rho$, $\Sigma$ | `RHO`, `cov0` | scalar, 2×2 |
| known value $y$ | `KNOWN` | scalar |
| mask $m$ (1 = generate) | `gen_mask` | 28×28 |
| chain law $(\mu, C)$ | `Law2` | 2, 2×2 |
| $x_\text{low}$, $\uparrow x_\text{low}$ | `low`, `up` | 14×14, 28×28 |
| $Q, K, V$, attention $A$ | `q`, `k`, `v`, `att` | 196×d, 8×d, 8×d, 196×8 |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/ddpm_net.h"
#include "common/diffusion_sampler.h"
#include "common/diffusion_schedule.h"
#include "common/image.h"
#include "common/mathfn.h"
#include "common/moments_se.h"
#include "common/rng.h"
#include "common/util.h"

enum { T = 1000, SIDE = 28, LOW = 14, C0 = 7 /* 0-based first row/column of the centre */ };
static const double RHO = 0.9, KNOWN = 1.0;

/* The correlated pair N(0, [[1, rho], [rho, 1]]) is diagonal in the basis u = (x1 + x2)/sqrt2,
   w = (x1 - x2)/sqrt2 (variances 1 + rho, 1 - rho); the forward noise is isotropic, so the exact
   denoiser is the diagonal one conjugated by that rotation. */
typedef struct {
    Gmm diag;
    DiffOracle oracle;
} Pair;

static void pair_eps(const double *x, size_t n, size_t dim, int t, double abar, double *eps, void *ctx) {
    const Pair *p = ctx;
    (void)dim;
    for (size_t i = 0; i < n; i++) {
        const double r[2] = {(x[2 * i] + x[2 * i + 1]) / M_SQRT2, (x[2 * i] - x[2 * i + 1]) / M_SQRT2};
        double e[2];
        diff_oracle_eps(r, 1, 2, t, abar, e, (void *)&p->oracle);
        eps[2 * i] = (e[0] + e[1]) / M_SQRT2, eps[2 * i + 1] = (e[0] - e[1]) / M_SQRT2;
    }
}

/* Gaussian law of the 2-pixel state. */
typedef struct {
    double m[2], c[2][2];
} Law2;

typedef enum { PASTE_CLEAN, PASTE_NOISED } Paste;

/*: ## 6.5 The target: Gaussian conditioning

For $(x_1, x_2) \sim \mathcal N(0, \Sigma)$, $\Sigma = \begin{pmatrix}1 & \rho\\ \rho & 1\end{pmatrix}$, and a
known $x_1 = y$,

$$ x_2 \mid x_1 = y \ \sim\ \mathcal N\Big(\mu_2 + \frac{\Sigma_{21}}{\Sigma_{11}}(y - \mu_1),\ \Sigma_{22} - \frac{\Sigma_{21}^2}{\Sigma_{11}}\Big)
   = \mathcal N\big(\rho y,\ 1-\rho^2\big), $$ {#eq:L36.6.5.conditional}

mean 0.9 and std $\sqrt{0.19} = 0.4359$ for $\rho = 0.9$, $y = 1$. This is what an inpainting
sampler should produce for the unknown pixel.
*/
static void conditional_target(double *mean, double *std) {
    const double cov0[2][2] = {{1.0, RHO}, {RHO, 1.0}}, mu[2] = {0.0, 0.0};
    //: conditional mean and variance, [eq:L36.6.5.conditional]
    *mean = mu[1] + cov0[1][0] / cov0[0][0] * (KNOWN - mu[0]);
    *std = sqrt(cov0[1][1] - cov0[1][0] * cov0[1][0] / cov0[0][0]);
    check_close("L36.6.5.target_mean", *mean, 0.9000, 1e-4, "L36.6.5.conditional", "E[x2 | x1 = 1] (spec 0.9000)");
    check_close("L36.6.5.target_std", *std, 0.4359, 1e-4, "L36.6.5.conditional", "std(x2 | x1 = 1) (spec 0.4359)");
}

/*: ## 6.5 Inpainting by replacement: the lecture's clean paste and the noised paste (A28, A13)

The lecture's `ddpm_inpaint` takes an ordinary DDPM step, now with $\sigma_t^2 = \tilde\beta_t$
(4.2.4 used $\beta_t$; both are valid variances, A13),

$$ x_{t-1} = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\hat\epsilon\Big) + \sqrt{\tilde\beta_t}\,z, $$ {#eq:L36.6.5.step}

and then overwrites the known pixels. It pastes them *clean*, $x_{t-1}[\text{known}] = y$, at
every noise level. The standard replacement method pastes them noised to the current level,

$$ x_{t-1}[\text{known}] = \sqrt{\bar\alpha_{t-1}}\,y + \sqrt{1-\bar\alpha_{t-1}}\,\xi,\qquad \xi \sim \mathcal N(0, 1). $$ {#eq:L36.6.5.noised_paste}

Neither is exact: the unknown pixels are denoised as if the pasted value had come from the
same trajectory, which only approximately conditions them. On the pair with the exact denoiser
every step is affine, so the law of the state is Gaussian and follows exactly: the step maps
$(\mu, C)$ to $(A\mu + b, ACA^\top + \sigma^2 I)$, with $A$ and $b$ read off the step at three points;
the paste sets the known coordinate's mean and variance and removes its covariance.

The spec's values (clean 0.7318 / 0.5436, noised 0.6281 / 0.5509) are Monte-Carlo estimates from
4000 chains; the exact law here (clean 0.7258 / 0.5546, noised 0.6256 / 0.5548) lies within a
few of their standard errors, and the program's own chains agree with the exact law.
*/
static void chain_law2(const DiffusionSchedule *s, Pair *p, Paste paste, Law2 *L) {
    memset(L, 0, sizeof *L);
    L->c[0][0] = L->c[1][1] = 1.0;
    for (int t = T; t >= 1; t--) {
        //: one step, [eq:L36.6.5.step]
        const DiffStep st = diff_ddpm_step(s->beta, s->alpha_bar, t, DIFF_VAR_BETA_TILDE);
        const double pts[3][2] = {{0, 0}, {1, 0}, {0, 1}};
        double f[3][2];
        for (int k = 0; k < 3; k++) {
            double e[2];
            pair_eps(pts[k], 1, 2, t, s->alpha_bar[t], e, p);
            for (int j = 0; j < 2; j++) f[k][j] = diff_step_mean(&st, pts[k][j], e[j]);
        }
        const double A[2][2] = {{f[1][0] - f[0][0], f[2][0] - f[0][0]}, {f[1][1] - f[0][1], f[2][1] - f[0][1]}};
        Law2 n = {{A[0][0] * L->m[0] + A[0][1] * L->m[1] + f[0][0], A[1][0] * L->m[0] + A[1][1] * L->m[1] + f[0][1]}, {{0}}};
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                double acc = i == j ? st.sigma * st.sigma : 0.0;
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 2; b++) acc += A[i][a] * L->c[a][b] * A[j][b];
                n.c[i][j] = acc;
            }
        //: the paste, clean or [eq:L36.6.5.noised_paste]
        n.m[0] = paste == PASTE_CLEAN ? KNOWN : sqrt(s->alpha_bar[t - 1]) * KNOWN;
        n.c[0][0] = paste == PASTE_CLEAN ? 0.0 : 1.0 - s->alpha_bar[t - 1];
        n.c[0][1] = n.c[1][0] = 0.0;
        *L = n;
    }
}

/* The same sampler on n chains of dimension dim: one library DDPM step at a time, step k drawing
   chain c's noise from the Philox stream (seed, (k + 1) n + c) (x_T from stream c, the pasted
   noise from the streams after the last step's), so the result depends on (seed, chain) only. Then
   the paste: coordinates with known[j] >= 0 (an index into y) are overwritten, clean or noised. */
typedef struct {
    const DiffusionSchedule *s;
    DiffEpsFn eps;
    void *eps_ctx;
    uint64_t seed;
    int threads;
} Inpainter;

static void inpaint_run(const Inpainter *ip, const DiffStep *plan, int ns, size_t n, size_t dim, const int *known,
                        const double *y, Paste paste, double *x) {
    const double *ab = ip->s->alpha_bar;
    for (size_t c = 0; c < n; c++) {
        Rng r;
        rng_init(&r, ip->seed, c);
        rng_normal_fill(&r, x + c * dim, dim);
    }
    for (int k = 0; k < ns; k++) {
        DiffSampler smp;
        diff_sampler_init(&smp, n, dim, ab, ip->eps, ip->eps_ctx, ip->seed);
        smp.draw_prior = 0, smp.n_threads = ip->threads, smp.first_stream = (uint64_t)(k + 1) * n;
        diff_run(&smp, &plan[k], 1, x);
        const int tp = plan[k].s;
        for (size_t c = 0; c < n; c++) {
            Rng r;
            rng_init(&r, ip->seed, (uint64_t)(ns + 1) * n + (uint64_t)k * n + c);
            for (size_t j = 0; j < dim; j++) {
                if (known[j] < 0) continue;
                //: the paste, clean or [eq:L36.6.5.noised_paste]
                x[c * dim + j] = paste == PASTE_CLEAN ? y[known[j]] : sqrt(ab[tp]) * y[known[j]] + sqrt(1.0 - ab[tp]) * rng_normal(&r);
            }
        }
    }
}

static void replacement(const Cli *cli, const DiffusionSchedule *s, Pair *p, double target_mean, double target_std) {
    static const struct { const char *name; Paste paste; double mean, std; } rows[2] = {
        {"clean_paste", PASTE_CLEAN, 0.7318, 0.5436},
        {"noised_paste", PASTE_NOISED, 0.6281, 0.5509},
    };
    const size_t n = (size_t)cli_scale(cli, 500, 2000, 40000);
    double *x = xmalloc(sizeof(double) * 2 * n), *x2 = xmalloc(sizeof(double) * n);
    const int known[2] = {0, -1};
    const double y[1] = {KNOWN};
    DiffStep *plan = xmalloc(sizeof(DiffStep) * T);
    const int ns = diff_plan_ddpm(s->beta, s->alpha_bar, T, DIFF_VAR_BETA_TILDE, plan);
    for (int r = 0; r < 2; r++) {
        Law2 L;
        chain_law2(s, p, rows[r].paste, &L);
        const double mean = L.m[1], std = sqrt(L.c[1][1]);
        char id[96];
        snprintf(id, sizeof id, "L36.6.5.%s_mean", rows[r].name);
        check_close(id, mean, rows[r].mean, 4 * std / sqrt(4000.0), "L36.6.5.step",
                    "exact mean of the unknown pixel after DDPM-1000 with the %s vs the spec's 4000-sample estimate (bar: 4 of its se)", rows[r].name);
        snprintf(id, sizeof id, "L36.6.5.%s_std", rows[r].name);
        check_close(id, std, rows[r].std, 4 * std / sqrt(2.0 * 4000.0), "L36.6.5.step",
                    "exact std of the unknown pixel, %s, vs the spec's 4000-sample estimate (bar: 4 se of a Gaussian sample std)", rows[r].name);
        snprintf(id, sizeof id, "L36.6.5.%s", rows[r].name);
        check_erratum(id, mean, target_mean, "A28: mean of the pixel inpainted by the %s vs the exact conditional mean (std %.4f vs %.4f)",
                      rows[r].name, std, target_std);
        const Inpainter ip = {s, pair_eps, p, cli->seed + (uint64_t)r, cli->threads};
        inpaint_run(&ip, plan, ns, n, 2, known, y, rows[r].paste, x);
        for (size_t i = 0; i < n; i++) x2[i] = x[2 * i + 1];
        const MomentsSe m = moments_se(x2, n);
        snprintf(id, sizeof id, "L36.6.5.%s_mc_mean", rows[r].name);
        check_mc(id, m.mean, mean, m.se_mean, 4, (long)n, "L36.6.5.step", "sampled chains with the %s: mean vs the exact law", rows[r].name);
        snprintf(id, sizeof id, "L36.6.5.%s_mc_var", rows[r].name);
        check_mc(id, m.var, std * std, m.se_var, 4, (long)n, "L36.6.5.step", "sampled chains with the %s: variance vs the exact law", rows[r].name);
    }
    free(x), free(x2), free(plan);
}

/*: ## 6.5 $\bar\alpha_0$ at the last step (A27)

At $t = 1$ the variance $\tilde\beta_1 = \frac{1-\bar\alpha_0}{1-\bar\alpha_1}\beta_1$ needs $\bar\alpha_0$, which the
lecture's 1-based Julia array does not have (`ᾱ[0]` is out of bounds). With the convention
$\bar\alpha_0 := 1$ (nothing noised at $t = 0$) the last step is noiseless:

$$ \tilde\beta_1 = \frac{1 - \bar\alpha_0}{1-\bar\alpha_1}\,\beta_1 = 0 . $$ {#eq:L36.6.5.last_step}
*/
static void last_step(const DiffusionSchedule *s) {
    //: $\sigma_1 = \sqrt{\tilde\beta_1}$, [eq:L36.6.5.last_step]
    const DiffStep st = diff_ddpm_step(s->beta, s->alpha_bar, 1, DIFF_VAR_BETA_TILDE);
    check_close("L36.6.5.sigma_t1", st.sigma, 0.0, 0.0, "L36.6.5.last_step", "sigma of the t = 1 step with abar_0 = 1 (the schedule's index 0)");
    printf("beta_tilde_1 from the schedule: %.3g (abar_0 = %.17g)\n", diffusion_beta_tilde(s, 1), s->alpha_bar[0]);
}

/*: ## 6.5 Which pixels are regenerated (A28)

The lecture sets `mask = ones(28,28,1,1); mask[8:21, 8:21] .= 0` (1-based, inclusive: the
centre $14\times14$) and updates $x \leftarrow m \odot x_\text{gen} + (1-m)\odot x_\text{known}$. Where $m = 1$
the generated value is kept, so this regenerates the *border* and keeps the known centre, the
opposite of "inpaint the centre". With $m$ meaning "generate" the centre mask must be 1 inside,
0 outside:

$$ x \leftarrow m\odot x_\text{gen} + (1-m)\odot x_\text{known},\qquad m_{ij} = [\,7 \le i, j \le 20\,]\ \text{(0-based)}. $$ {#eq:L36.6.5.mask}

Counting the pixels that differ from the known image after one update, with a generated image
that differs everywhere, gives $28^2 - 14^2 = 588$ for the lecture and $14^2 = 196$ corrected.
*/
static void centre_mask(float *gen_mask, int lecture_polarity) {
    for (int i = 0; i < SIDE; i++)
        for (int j = 0; j < SIDE; j++) {
            const int centre = i >= C0 && i < C0 + LOW && j >= C0 && j < C0 + LOW;
            gen_mask[i * SIDE + j] = (float)(lecture_polarity ? !centre : centre);
        }
}

static void apply_mask(const float *gen_mask, const float *x_gen, const float *x_known, float *x) {
    //: $m \odot x_\text{gen} + (1-m)\odot x_\text{known}$, [eq:L36.6.5.mask]
    for (int i = 0; i < SIDE * SIDE; i++) x[i] = gen_mask[i] * x_gen[i] + (1.0f - gen_mask[i]) * x_known[i];
}

static void mask_polarity(void) {
    float m[SIDE * SIDE], gen[SIDE * SIDE], known[SIDE * SIDE], x[SIDE * SIDE];
    for (int i = 0; i < SIDE * SIDE; i++) gen[i] = 0.5f, known[i] = -1.0f;
    int changed[2];
    for (int k = 0; k < 2; k++) {
        centre_mask(m, k == 0);
        apply_mask(m, gen, known, x);
        changed[k] = 0;
        for (int i = 0; i < SIDE * SIDE; i++) changed[k] += x[i] != known[i];
    }
    check_close("L36.6.5.mask_lecture_changes", changed[0], SIDE * SIDE - LOW * LOW, 0, "L36.6.5.mask", "pixels the lecture's mask regenerates: 28^2 - 14^2 (the border)");
    check_close("L36.6.5.mask_fixed_changes", changed[1], LOW * LOW, 0, "L36.6.5.mask", "pixels the corrected mask regenerates: 14^2 (the centre)");
    check_erratum("L36.6.5.mask_polarity", changed[0], changed[1], "A28: pixels regenerated by 'inpaint the centre 14x14' with the lecture's mask vs the intended ones");
}

/*: ## 6.5 Super-resolution: the low-resolution input must be upsampled first (A39)

The lecture feeds `cat(x_t, x_low, dims=3)` with $x_t$ of $28\times28$ and `x_low` of $14\times14$: a
channel concat needs equal spatial sizes, so this is a shape error. Upsample first, by nearest
neighbour or bilinearly (pixel centres at half-integers, edges clamped):

$$ \uparrow x(i, j) = x\big(\lfloor i/2\rfloor, \lfloor j/2\rfloor\big),\qquad
   \uparrow_\text{bil} x(i, j) = \sum_{a,b} w_a(i)\,w_b(j)\,x(a, b),\ \ \text{source } (i + \tfrac12)/2 - \tfrac12 . $$ {#eq:L36.6.5.upsample}

Tests with known answers: nearest-upsampling the $2\times2$ block average of a blockwise-constant
image returns it exactly; bilinear upsampling reproduces an affine ramp exactly away from the
clamped border. The network would also need a second input channel and its own training
(the Tiny U-Net has one), which is out of scope here.
*/
static void upsample_nearest(const double *low, double *up) {
    for (int i = 0; i < SIDE; i++)
        for (int j = 0; j < SIDE; j++) up[i * SIDE + j] = low[(i / 2) * LOW + j / 2];
}

static void upsample_bilinear(const double *low, double *up) {
    for (int i = 0; i < SIDE; i++)
        for (int j = 0; j < SIDE; j++) {
            //: source coordinates, [eq:L36.6.5.upsample]
            const double si = fmin(fmax((i + 0.5) / 2.0 - 0.5, 0.0), LOW - 1.0), sj = fmin(fmax((j + 0.5) / 2.0 - 0.5, 0.0), LOW - 1.0);
            const int i0 = (int)fmin(floor(si), LOW - 2), j0 = (int)fmin(floor(sj), LOW - 2);
            const double fi = si - i0, fj = sj - j0;
            up[i * SIDE + j] = (1 - fi) * ((1 - fj) * low[i0 * LOW + j0] + fj * low[i0 * LOW + j0 + 1]) +
                               fi * ((1 - fj) * low[(i0 + 1) * LOW + j0] + fj * low[(i0 + 1) * LOW + j0 + 1]);
        }
}

/* Channel concat of two single-channel images; -1 when the spatial sizes differ. */
static int concat_channels(int h1, int w1, int h2, int w2, int *channels) {
    if (h1 != h2 || w1 != w2) return -1;
    *channels = 2;
    return 0;
}

static void super_resolution(const Cli *cli) {
    double low[LOW * LOW], up[SIDE * SIDE], block[SIDE * SIDE];
    Rng r;
    rng_init(&r, cli->seed, 5);
    for (int i = 0; i < LOW * LOW; i++) low[i] = rng_uniform_range(&r, -1, 1);
    upsample_nearest(low, block); /* a blockwise-constant 28x28 image */
    double avg[LOW * LOW];
    for (int i = 0; i < LOW; i++)
        for (int j = 0; j < LOW; j++)
            avg[i * LOW + j] = 0.25 * (block[2 * i * SIDE + 2 * j] + block[2 * i * SIDE + 2 * j + 1] + block[(2 * i + 1) * SIDE + 2 * j] + block[(2 * i + 1) * SIDE + 2 * j + 1]);
    upsample_nearest(avg, up);
    double w = 0;
    for (int i = 0; i < SIDE * SIDE; i++) w = fmax(w, fabs(up[i] - block[i]));
    check_close("L36.6.5.nearest_roundtrip", w, 0, 0, "L36.6.5.upsample", "nearest upsampling of the 2x2 average of a blockwise-constant image returns it exactly");
    /* a ramp sampled at the low-resolution pixel centres: x(a, b) = 0.3 + 0.05 a - 0.02 b in low
       coordinates; the high-resolution pixel (i, j) sits at a = (i + 0.5)/2 - 0.5 */
    for (int a = 0; a < LOW; a++)
        for (int b = 0; b < LOW; b++) low[a * LOW + b] = 0.3 + 0.05 * a - 0.02 * b;
    upsample_bilinear(low, up);
    w = 0;
    for (int i = 1; i < SIDE - 1; i++)
        for (int j = 1; j < SIDE - 1; j++) w = fmax(w, fabs(up[i * SIDE + j] - (0.3 + 0.05 * ((i + 0.5) / 2 - 0.5) - 0.02 * ((j + 0.5) / 2 - 0.5))));
    check_le("L36.6.5.bilinear_ramp", w, 0, 1e-14, "L36.6.5.upsample", "bilinear 14->28 reproduces an affine ramp at every pixel off the clamped border");
    int ch = 0;
    const int bad = concat_channels(SIDE, SIDE, LOW, LOW, &ch), good = concat_channels(SIDE, SIDE, SIDE, SIDE, &ch);
    check_true("L36.6.5.sr_shape", bad != 0 && good == 0 && ch == 2,
               "concat of x_t (28x28) with x_low (14x14) is refused; after upsampling it gives 28x28x%d", ch);
    check_erratum("L36.6.5.sr_low_side", LOW, SIDE, "A39: side of the low-resolution channel the lecture concatenates vs the side a 28x28 concat needs");
}

/*: ## 6.5 Text conditioning: cross-attention (A40)

In cross-attention the image supplies the queries and the text the keys and values: with
$N = 196$ image tokens ($14\times14$ positions) and $L = 8$ text tokens of width $d$,

$$ A = \operatorname{softmax}_\text{row}\Big(\frac{QK^\top}{\sqrt d}\Big) \in \mathbb R^{N\times L},\qquad \text{out} = AV \in \mathbb R^{N\times d}, $$ {#eq:L36.6.5.cross_attention}

each row of $A$ a distribution over the text tokens. The lecture applies one such layer to
$x_t$ *before* a text-blind U-Net; latent diffusion models put cross-attention inside the U-Net
blocks, at the resolutions where the features live (A40). Shapes and the row sums are checked
here on random projections; training a text-conditioned model is out of scope.
*/
static void cross_attention(const Cli *cli) {
    enum { N = LOW * LOW, L = 8, D = 16 };
    double *q = xmalloc(sizeof(double) * N * D), k[L * D], v[L * D], *att = xmalloc(sizeof(double) * N * L), *out = xmalloc(sizeof(double) * N * D);
    Rng r;
    rng_init(&r, cli->seed, 6);
    rng_normal_fill(&r, q, N * D), rng_normal_fill(&r, k, L * D), rng_normal_fill(&r, v, L * D);
    double w = 0, vmin = 1e300, vmax = -1e300, bound = 0;
    for (int i = 0; i < N; i++) {
        double logits[L];
        for (int j = 0; j < L; j++) {
            double dot = 0;
            for (int c = 0; c < D; c++) dot += q[i * D + c] * k[j * D + c];
            logits[j] = dot / sqrt((double)D);
        }
        //: $A_{i\cdot} = \operatorname{softmax}(q_i K^\top/\sqrt d)$, [eq:L36.6.5.cross_attention]
        softmax(logits, &att[i * L], L);
        double sum = 0;
        for (int j = 0; j < L; j++) sum += att[i * L + j];
        w = fmax(w, fabs(sum - 1.0));
        for (int c = 0; c < D; c++) {
            double o = 0;
            for (int j = 0; j < L; j++) o += att[i * L + j] * v[j * D + c];
            out[i * D + c] = o;
        }
    }
    for (int c = 0; c < D; c++) {
        double lo = 1e300, hi = -1e300;
        for (int j = 0; j < L; j++) lo = fmin(lo, v[j * D + c]), hi = fmax(hi, v[j * D + c]);
        for (int i = 0; i < N; i++) bound = fmax(bound, fmax(lo - out[i * D + c], out[i * D + c] - hi));
        vmin = fmin(vmin, lo), vmax = fmax(vmax, hi);
    }
    printf("cross-attention: Q %dx%d (image tokens), K, V %dx%d (text tokens), A %dx%d, out %dx%d\n", N, D, L, D, N, L, N, D);
    check_le("L36.6.5.attention_rows_sum_to_1", w, 0, 1e-12, "L36.6.5.cross_attention", "max over the 196 rows of |sum_j A_ij - 1|");
    check_le("L36.6.5.attention_convex", bound, 0, 1e-12, "L36.6.5.cross_attention",
             "each output coordinate lies between the smallest and largest value of V's column (a convex combination)");
    free(q), free(att), free(out);
}

/*: ## 6.5 Inpainting a held-out digit with the trained network

The real task: hide the centre $14\times14$ of digits the network never saw (the held-out part of
the data) and let the DDPM fill it, with the corrected mask ($m = 1$ in the centre, eq.
[eq:L36.6.5.mask]) and the noised paste of the border at every step (eq.
[eq:L36.6.5.noised_paste]), 1000 steps with $\sigma_t^2 = \tilde\beta_t$ on the network's schedule.
After the last step ($\bar\alpha_0 = 1$) the pasted border is the original exactly. Checks: the known
region equals the original bit for bit, the generated centre is finite, and it is closer to
the hidden original (RMS over the centre, averaged over the images) than the centre of a
*different* held-out digit pasted in: a plausible digit fragment that ignores the context.
To fit the runtime budget the default scale respaces the chain to 250 steps (DDIM's step with
$\eta = 1$ on the sub-sequence, i.e. DDPM with the respaced $\tilde\beta$); `--full` takes all 1000.
As in program 21, $\hat x_0$ is clamped to $[-1, 1]$ at every step (A3). The
figure `inpaint.png` shows, per row, the original, the masked input and the inpainting.
*/
static void network_inpaint(const Cli *cli, const char *net_file) {
    DdpmNet net;
    ddpm_net_load_or_train(cli, net_file, &net);
    DdpmData d;
    ddpm_data_load(cli->data_dir, net.data[0] ? net.data : "mnist", &d);
    const int side = d.side, dim = side * side, n_img = (int)cli_scale(cli, 2, 4, 8);
    const int c0 = side / 4, cw = side / 2; /* the centre half: 7..20 for 28 */
    const int steps = (int)cli_scale(cli, 50, 250, T);
    int *known = xmalloc(sizeof(int) * dim);
    float *mask = xmalloc(sizeof(float) * dim);
    double *y = xmalloc(sizeof(double) * (size_t)n_img * dim), *x = xmalloc(sizeof(double) * (size_t)n_img * dim);
    for (int i = 0; i < side; i++)
        for (int j = 0; j < side; j++) {
            const int centre = i >= c0 && i < c0 + cw && j >= c0 && j < c0 + cw;
            mask[i * side + j] = (float)centre;
            known[i * side + j] = centre ? -1 : i * side + j;
        }
    for (int i = 0; i < n_img; i++)
        for (int k = 0; k < dim; k++) y[(size_t)i * dim + k] = d.x[(size_t)(d.n_train + i) * dim + k];
    const DiffusionSchedule *s = &net.sched;
    DiffStep *plan = xmalloc(sizeof(DiffStep) * (size_t)s->T);
    int ns;
    if (steps == s->T) {
        ns = diff_plan_ddpm(s->beta, s->alpha_bar, s->T, DIFF_VAR_BETA_TILDE, plan);
    } else {
        int *tau = xmalloc(sizeof(int) * (size_t)steps);
        diff_timesteps(s->T, steps, DIFF_TAU_LINSPACE, tau);
        ns = diff_plan_ddim(s->alpha_bar, tau, steps, 1.0, plan); /* respaced DDPM with beta_tilde */
        free(tau);
        printf("DDPM respaced to %d steps (sigma^2 = beta_tilde of the respaced chain; --full: all %d)\n", steps, s->T);
    }
    DdpmEpsCtx ec = {&net, NULL, -1, 1, 0}; /* x0_hat clamped to [-1, 1] (A3) */
    /* the known pixels of image i are at y + i dim: run one image at a time through the same
       Inpainter (the paste indexes y by pixel) */
    for (int i = 0; i < n_img; i++) {
        const Inpainter ip = {s, ddpm_net_diff_eps, &ec, cli->seed + 200 + (uint64_t)i, 1};
        inpaint_run(&ip, plan, ns, 1, (size_t)dim, known, y + (size_t)i * dim, PASTE_NOISED, x + (size_t)i * dim);
    }
    long known_diff = 0, nonfinite = 0;
    double err_inp = 0, err_other = 0;
    for (int i = 0; i < n_img; i++) {
        const double *xi = x + (size_t)i * dim, *yi = y + (size_t)i * dim, *yo = y + (size_t)((i + 1) % n_img) * dim;
        double e1 = 0, e2 = 0;
        for (int k = 0; k < dim; k++) {
            if (mask[k] == 0.0f) {
                known_diff += xi[k] != yi[k];
                continue;
            }
            nonfinite += !isfinite(xi[k]);
            const double v = fmin(1.0, fmax(-1.0, xi[k]));
            e1 += (v - yi[k]) * (v - yi[k]), e2 += (yo[k] - yi[k]) * (yo[k] - yi[k]);
        }
        err_inp += sqrt(e1 / (cw * cw)) / n_img, err_other += sqrt(e2 / (cw * cw)) / n_img;
    }
    check_close("L36.6.5.net_known_exact", (double)known_diff, 0, 0, "L36.6.5.mask", "known (border) pixels that differ from the original after inpainting, %d images", n_img);
    check_close("L36.6.5.net_centre_finite", (double)nonfinite, 0, 0, NULL, "non-finite pixels in the generated centres");
    printf("centre RMS error to the hidden original: inpainted %.4f, another digit's centre %.4f (%d images, %d steps)\n", err_inp, err_other, n_img, ns);
    if (net.scale >= SCALE_DEFAULT)
        check_le("L36.6.5.net_inpaint_beats_other_digit", err_inp, err_other, 0, NULL,
                 "mean centre RMS error of the inpainting (clamped to [-1,1]) below that of another held-out digit's centre");
    else
        check_skip("L36.6.5.net_inpaint_beats_other_digit", "the net was trained at the quick scale (a few steps): quality is judged at the default scale");
    /* figure: rows of (original, masked, inpainted) */
    float *fig = xmalloc(sizeof(float) * 3 * (size_t)n_img * dim);
    for (int i = 0; i < n_img; i++)
        for (int k = 0; k < dim; k++) {
            fig[(size_t)(3 * i) * dim + k] = (float)y[(size_t)i * dim + k];
            fig[(size_t)(3 * i + 1) * dim + k] = mask[k] != 0.0f ? 0.0f : (float)y[(size_t)i * dim + k];
            fig[(size_t)(3 * i + 2) * dim + k] = (float)x[(size_t)i * dim + k];
        }
    ImageGridOptions opt = image_grid_defaults();
    opt.cols = 3, opt.upscale = 4, opt.lo = -1, opt.hi = 1, opt.background = 128;
    Image8 *g = image_grid(fig, 3 * n_img, 1, side, side, &opt);
    char err[256];
    if (image_write_png(cli_out_path(cli, "inpaint.png"), g, err, sizeof err) != 0) die("%s", err);
    image8_free(g);
    free(fig), free(known), free(mask), free(y), free(x), free(plan);
    ddpm_data_free(&d);
    ddpm_net_free(&net);
}

int main(int argc, char **argv) {
    Cli cli;
    const char *net_file = NULL;
    const CliExtra extras[] = {DDPM_NET_CLI_FLAG(net_file), {0}};
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "L36 6.5: inpainting, super-resolution, cross-attention", 29, extras);
    DiffusionSchedule lin = diffusion_schedule_linear(T, 1e-4, 0.02);
    Pair pair;
    const double var[2] = {1.0 + RHO, 1.0 - RHO}, zero[2] = {0.0, 0.0};
    pair.diag = gmm_new(1, 2);
    gmm_set(&pair.diag, 0, 1.0, zero, var, 0.0);
    pair.oracle.data = &pair.diag;
    double target_mean, target_std;
    conditional_target(&target_mean, &target_std);
    replacement(&cli, &lin, &pair, target_mean, target_std);
    last_step(&lin);
    mask_polarity();
    super_resolution(&cli);
    cross_attention(&cli);
    network_inpaint(&cli, net_file);
    gmm_free(&pair.diag);
    diffusion_schedule_free(&lin);
    return check_end();
}
