/*: # L42 4.8 — Inference kernels: one update per family, as plain C

**Lecture 42, Part 2, section 4.8** (the "zero-copy FFI" inference engine). The lecture ends its
implementation chapter with three kernels that a serving engine calls in a loop, each a pure
function over a flat float array: a diffusion step, a flow step and a VAE decoder. In C there is
no foreign-function boundary to cross — the kernel's signature *is* the ABI — so this program
writes the kernels once, runs the lecture's demo through them, and then uses them as what they
are: the inner step of a sampler, checked on Gaussian data where every sampler's output law is
known exactly.

What you will see: the demo values ($x_t[0] = 0.4939$, flow $x[0] = 0.5001$); the "DDPM step"
recognised as the deterministic DDIM ($\eta = 0$) update (B16) and the demo's $\bar\alpha$ pair
running *towards* noise; one DDIM step recovering the exact point when $\hat\epsilon$ is the true
noise; 50-, 1000- and 10-step DDIM chains and the DDPM ancestral sampler mapping $\mathcal N(0,1)$
to the Gaussian data law with the spec's reference moments; the VAE decoder against a double
reference. Figure: `ddim_moments.png` (sampler std against the number of DDIM steps).

Run: `build/release/bin/lectures/42_unified/02_inference_kernels [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $x_t$ | `x_t` | (n) float |
| $\hat\epsilon$ | `eps_hat` | (n) float |
| $\bar\alpha_t, \bar\alpha_{t-1}$ | `ab_t`, `ab_prev` | scalars |
| $v$, $\Delta t$ | `velocity`, `dt` | (n), scalar |
| $W, b, z$ | `W`, `b`, `z` | (dx, dz), (dx), (dz) |
| data law $\mathcal N(m, s^2)$ | `DATA_M`, `DATA_S` | scalars |
| $\epsilon^\star(x, t)$ | `eps_star_coefs` | affine in $x$ |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_schedule.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/util.h"

static const double DATA_M = 2.0, DATA_S = 0.5;

/*: ## 4.8 The three kernels

The diffusion kernel predicts the clean point from the noise estimate and re-noises it to the
previous level, with no fresh noise:

$$ \hat x_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\hat\epsilon}{\sqrt{\bar\alpha_t}},\qquad
   x_{t-1} = \sqrt{\bar\alpha_{t-1}}\,\hat x_0 + \sqrt{1-\bar\alpha_{t-1}}\,\hat\epsilon . $$ {#eq:L42.4.8.ddim_step}

This is DDIM with $\eta = 0$, not the DDPM ancestral step the lecture names it after (erratum
B16): DDPM draws $x_{t-1} \sim \mathcal N(\tilde\mu_t, \sigma_t^2)$ with
$\tilde\mu_t = (x_t - \beta_t\hat\epsilon/\sqrt{1-\bar\alpha_t})/\sqrt{\alpha_t}$. The flow kernel is one
explicit Euler step of $\dot x = v$,

$$ x \leftarrow x + v\,\Delta t, $$ {#eq:L42.4.8.flow_step}

and the decoder of a linear VAE is an affine map, to which the lecture passes no dimensions — here
they are arguments:

$$ \hat x = W z + b,\qquad W\in\mathbb R^{d_x\times d_z}. $$ {#eq:L42.4.8.vae_decode}
*/
static void unified_gen_ddim_step(float *x_t, size_t n, const float *eps_hat, float ab_t,
                                  float ab_prev) {
    const float sa = sqrtf(ab_t), s1a = sqrtf(1.0f - ab_t);
    const float sp = sqrtf(ab_prev), s1p = sqrtf(1.0f - ab_prev);
    for (size_t i = 0; i < n; i++) {
        //: $\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\hat\epsilon)/\sqrt{\bar\alpha_t}$, [eq:L42.4.8.ddim_step]
        float x0 = (x_t[i] - s1a * eps_hat[i]) / sa;
        //: $x_{t-1} = \sqrt{\bar\alpha_{t-1}}\hat x_0 + \sqrt{1-\bar\alpha_{t-1}}\hat\epsilon$
        x_t[i] = sp * x0 + s1p * eps_hat[i];
    }
}

static void unified_gen_flow_step(float *x, size_t n, const float *velocity, float dt) {
    //: $x \leftarrow x + v\Delta t$, [eq:L42.4.8.flow_step]
    for (size_t i = 0; i < n; i++) x[i] += velocity[i] * dt;
}

static void vae_decode(const float *z, const float *W, const float *b, float *out, int dz, int dx) {
    for (int r = 0; r < dx; r++) {
        //: $\hat x_r = \sum_j W_{rj} z_j + b_r$, [eq:L42.4.8.vae_decode]
        float acc = b[r];
        for (int j = 0; j < dz; j++) acc += W[(size_t)r * dz + j] * z[j];
        out[r] = acc;
    }
}

/*: ## 4.8 The lecture's demo

$n = 1024$ entries $x_t = 0.5$, $\hat\epsilon = 0.1$, $\bar\alpha_t = 0.9$, $\bar\alpha_{t-1} = 0.85$;
flow with $v = 0.01$, $\Delta t = 0.01$. The lecture prints the results without stating them;
by hand $\hat x_0 = 0.4937129$, $x_{t-1} = 0.4939107$ and $x = 0.5001$. Two remarks the
lecture does not make: the pair $\bar\alpha_t = 0.9 > \bar\alpha_{t-1} = 0.85$ would mean
$\alpha_t = \bar\alpha_t/\bar\alpha_{t-1} > 1$, a step *towards* noise (fine for DDIM's algebra,
impossible for a DDPM step, whose $\beta_t = 1 - \alpha_t$ would be negative); and on a valid pair
the DDPM mean differs from the DDIM update.
*/
static void section_4_8_demo(void) {
    enum { N = 1024 };
    float *x_t = xmalloc(N * sizeof *x_t), *eps_hat = xmalloc(N * sizeof *eps_hat);
    for (int i = 0; i < N; i++) x_t[i] = 0.5f, eps_hat[i] = 0.1f;
    unified_gen_ddim_step(x_t, N, eps_hat, 0.9f, 0.85f);
    printf("DDPM step (as the lecture names it): x_t[0] = %.4f\n", x_t[0]);
    check_close("L42.4.8.ddpm_demo", x_t[0], 0.4939106765, 1e-6, "L42.4.8.ddim_step",
                "demo kernel value (spec hand value 0.4939106765)");
    int all_equal = 1;
    for (int i = 1; i < N; i++) all_equal &= x_t[i] == x_t[0];
    check_true("L42.4.8.ddpm_all_equal", all_equal, "all %d entries bitwise equal to entry 0", N);

    float *velocity = xmalloc(N * sizeof *velocity);
    for (int i = 0; i < N; i++) x_t[i] = 0.5f, velocity[i] = 0.01f;
    unified_gen_flow_step(x_t, N, velocity, 0.01f);
    printf("Flow step: x[0] = %.4f\n", x_t[0]);
    check_close("L42.4.8.flow_demo", x_t[0], 0.5001, 1e-7, "L42.4.8.flow_step",
                "flow demo 0.5 + 0.01 * 0.01");

    //: $\alpha_t = \bar\alpha_t/\bar\alpha_{t-1}$ of the demo pair must be $\le 1$
    double alpha_demo = 0.9 / 0.85;
    check_erratum("L42.4.8.demo_alpha", alpha_demo, 0.85 / 0.9,
                  "demo alpha_t = abar_t/abar_prev > 1 (step towards noise); a denoising step "
                  "has abar_prev > abar_t, e.g. the swapped pair gives alpha_t = 0.944");
    /* B16 on the valid (swapped) pair: DDIM update vs DDPM ancestral mean */
    float one_x = 0.5f, one_eps = 0.1f;
    unified_gen_ddim_step(&one_x, 1, &one_eps, 0.85f, 0.9f);
    double a_t = 0.85 / 0.9, beta_t = 1.0 - a_t;
    //: $\tilde\mu_t = (x_t - \beta_t\hat\epsilon/\sqrt{1-\bar\alpha_t})/\sqrt{\alpha_t}$, [eq:common.diffusion.mean_eps]
    double ddpm_mean = (0.5 - beta_t * 0.1 / sqrt(1.0 - 0.85)) / sqrt(a_t);
    check_erratum("L42.4.8.ddpm_is_ddim", one_x, ddpm_mean,
                  "B16: the kernel called ddpm_step is DDIM eta=0 (lecture value); the DDPM "
                  "ancestral mean on the same input (abar 0.85 -> 0.9) is the correct value");
    free(x_t), free(eps_hat), free(velocity);
}

/*: ## DDIM is exact when the noise estimate is

If $x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon$ and $\hat\epsilon = \epsilon$,
[eq:L42.4.8.ddim_step] recovers $\hat x_0 = x_0$ and lands exactly on
$\sqrt{\bar\alpha_{t-1}}x_0 + \sqrt{1-\bar\alpha_{t-1}}\epsilon$, the same noise at a lower level.
*/
static void section_ddim_exact(void) {
    const double x0 = 0.3, eps = -1.2, ab_t = 0.5, ab_prev = 0.8;
    float x = (float)(sqrt(ab_t) * x0 + sqrt(1 - ab_t) * eps), e = (float)eps;
    unified_gen_ddim_step(&x, 1, &e, (float)ab_t, (float)ab_prev);
    check_close("L42.4.8.ddim_exact", x, sqrt(ab_prev) * x0 + sqrt(1 - ab_prev) * eps, 1e-6,
                "L42.4.8.ddim_step", "one step with the true noise (x0=0.3, eps=-1.2, abar 0.5 -> 0.8)");
}

/*: ## The kernel as a sampler, on Gaussian data

For data $\mathcal N(m, s^2)$ the noised marginal is $\mathcal N(\sqrt{\bar\alpha_t}m,\
\bar\alpha_t s^2 + 1-\bar\alpha_t)$, and the optimal noise predictor is affine in $x$:

$$ \epsilon^\star(x,t) = \frac{\sqrt{1-\bar\alpha_t}\,(x - \sqrt{\bar\alpha_t}\,m)}{\bar\alpha_t s^2 + 1 - \bar\alpha_t}. $$ {#eq:L42.4.8.eps_star}

Every DDIM step is then affine, so the whole chain maps $x_T \mapsto a + b\,x_T$ and
$x_T\sim\mathcal N(0,1)$ ends at $\mathcal N(a, b^2)$. Running the *float* kernel on the two
points $x_T = 0$ and $x_T = 1$ reads off $a$ and $b$ — no Monte Carlo. Schedule: L36's linear
$\beta$ from $10^{-4}$ to $0.02$, $T = 1000$ (`common/diffusion_schedule.h`), ending at
$\bar\alpha_0 = 1$. The DDPM ancestral sampler adds independent noise, so its mean and variance
propagate exactly through the affine mean map plus $\sigma_t^2$ per step, in double (no noise
on the final step $t = 1$, as in Ho et al.'s Algorithm 2; with it, the $\sigma_t^2 = \beta_t$ std
would be $0.5008514$, the extra $\beta_1 = 10^{-4}$ of variance). Reference
moments (spec §3 item 3): DDIM-50 $(1.9940105, 0.4714027)$, DDIM-1000 $(1.9936663, 0.4984953)$,
DDIM-10 $(1.9952995, 0.3699548)$, DDPM with $\sigma_t^2=\beta_t$ $(1.9999798, 0.5007515)$ and
with $\tilde\beta_t$ $(1.9999798, 0.4961101)$ — few DDIM steps *shrink* the spread.
*/
static double eps_star(const DiffusionSchedule *s, int t, double x) {
    double ab = s->alpha_bar[t];
    //: [eq:L42.4.8.eps_star]
    return sqrt(1 - ab) * (x - sqrt(ab) * DATA_M) / (ab * DATA_S * DATA_S + 1 - ab);
}

/* DDIM from t = T down through `stride`-spaced levels to 0; returns a and b of x_T -> a + b x_T. */
static void ddim_chain(const DiffusionSchedule *s, int stride, double *a, double *b) {
    float x[2] = {0.0f, 1.0f}, e[2];
    for (int t = s->T; t > 0; t -= stride) {
        int prev = t - stride > 0 ? t - stride : 0;
        for (int k = 0; k < 2; k++) e[k] = (float)eps_star(s, t, x[k]);
        unified_gen_ddim_step(x, 2, e, (float)s->alpha_bar[t], (float)s->alpha_bar[prev]);
    }
    *a = x[0], *b = x[1] - x[0];
}

static void ddpm_moments(const DiffusionSchedule *s, int tilde, double *mean, double *sd) {
    double mu = 0, var = 1;
    for (int t = s->T; t >= 1; t--) {
        double ab = s->alpha_bar[t], c = sqrt(1 - ab) / (ab * DATA_S * DATA_S + 1 - ab);
        double k = s->beta[t] / sqrt(1 - ab);
        //: $\tilde\mu_t(x) = (x - \beta_t\epsilon^\star/\sqrt{1-\bar\alpha_t})/\sqrt{\alpha_t}$, affine: slope, offset
        double slope = (1 - k * c) / sqrt(s->alpha[t]), offset = k * c * sqrt(ab) * DATA_M / sqrt(s->alpha[t]);
        mu = slope * mu + offset;
        var = slope * slope * var;
        //: $\sigma_t^2 = \beta_t$ or $\tilde\beta_t$, fresh noise at every step but the last ($z = 0$ at $t = 1$)
        if (t > 1) var += tilde ? diffusion_beta_tilde(s, t) : s->beta[t];
    }
    *mean = mu, *sd = sqrt(var);
}

static void section_samplers(const Cli *cli) {
    DiffusionSchedule s = diffusion_schedule_linear(1000, 1e-4, 0.02);
    double a, b;
    ddim_chain(&s, 20, &a, &b);
    check_close("L42.4.8.ddim50_mean", a, 1.9940105, 1e-5, "L42.4.8.eps_star", "50-step DDIM chain (float kernel) mean");
    check_close("L42.4.8.ddim50_std", fabs(b), 0.4714027, 1e-5, "L42.4.8.eps_star", "50-step DDIM chain std");
    ddim_chain(&s, 1, &a, &b);
    check_close("L42.4.8.ddim1000_mean", a, 1.9936663, 1e-4, "L42.4.8.eps_star", "1000-step DDIM chain (float kernel) mean");
    check_close("L42.4.8.ddim1000_std", fabs(b), 0.4984953, 1e-4, "L42.4.8.eps_star", "1000-step DDIM chain std");
    ddim_chain(&s, 100, &a, &b);
    check_close("L42.4.8.ddim10_std", fabs(b), 0.3699548, 1e-5, "L42.4.8.eps_star", "10-step DDIM chain std (mean %.7f)", a);
    double m, sd;
    ddpm_moments(&s, 0, &m, &sd);
    check_close("L42.4.8.ddpm_beta_mean", m, 1.9999798, 1e-6, NULL, "DDPM ancestral, sigma^2 = beta_t: mean");
    check_close("L42.4.8.ddpm_beta_std", sd, 0.5007515, 1e-6, NULL, "DDPM ancestral, sigma^2 = beta_t: std");
    ddpm_moments(&s, 1, &m, &sd);
    check_close("L42.4.8.ddpm_tilde_std", sd, 0.4961101, 1e-6, NULL, "DDPM ancestral, sigma^2 = beta_tilde_t: std (mean %.7f)", m);

    /* figure: DDIM std against the number of steps */
    const int strides[] = {1, 2, 4, 5, 8, 10, 20, 25, 40, 50, 100, 125, 200, 250, 500, 1000};
    enum { NS = sizeof strides / sizeof strides[0] };
    double steps[NS], sds[NS];
    for (int i = 0; i < NS; i++) {
        ddim_chain(&s, strides[i], &a, &b);
        steps[i] = 1000.0 / strides[i], sds[i] = fabs(b);
    }
    Plot *p = plot_new(640, 420, "DDIM (eta=0) with the exact eps*: output std vs steps");
    plot_line(p, steps, sds, NS, "DDIM output std");
    plot_hline(p, DATA_S, "data std 0.5");
    plot_xlabel(p, "number of DDIM steps");
    plot_ylabel(p, "std of x_0");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "ddim_moments.png"), err, sizeof err) != 0)
        fprintf(stderr, "ddim_moments.png: %s\n", err);
    plot_free(p);
    diffusion_schedule_free(&s);
}

/*: ## The VAE decoder kernel

$\hat x = Wz + b$ with $d_z = 8$, $d_x = 64$ and random $W, b, z$, against the same sums in double.
The float kernel's error is bounded by $d_z$ roundings of terms of size $\lvert W\rvert\lvert z\rvert$.
*/
static void section_vae_decode(const Cli *cli) {
    enum { DZ = 8, DX = 64 };
    Rng r;
    rng_init(&r, cli->seed, 1);
    float W[DX * DZ], b[DX], z[DZ], out[DX];
    for (int i = 0; i < DX * DZ; i++) W[i] = (float)rng_normal(&r);
    for (int i = 0; i < DX; i++) b[i] = (float)rng_normal(&r);
    for (int i = 0; i < DZ; i++) z[i] = (float)rng_normal(&r);
    vae_decode(z, W, b, out, DZ, DX);
    double err = 0;
    for (int rr = 0; rr < DX; rr++) {
        double ref = b[rr];
        for (int j = 0; j < DZ; j++) ref += (double)W[rr * DZ + j] * z[j];
        err = fmax(err, fabs(out[rr] - ref));
    }
    check_le("L42.4.8.vae_decode", err, 1e-5, 0, "L42.4.8.vae_decode",
             "max |float kernel - double reference| of W z + b (dz=8, dx=64)");
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 4.8: inference kernels (DDIM/flow/VAE decode), demo values, samplers on Gaussian data",
              4208, NULL);
    section_4_8_demo();
    section_ddim_exact();
    section_samplers(&cli);
    section_vae_decode(&cli);
    return check_end();
}
