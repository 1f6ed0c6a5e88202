/*: # N2 B3 — The forward SDE's density by FFTW, against sampled paths

**Study note, bridge lecture B-I, program B3** (spec N004 §3.1 B3). A diffusion model's
forward process is a stochastic differential equation; its density obeys a Fokker–Planck
equation which, for the variance-preserving (VP) SDE, can be solved *exactly* in Fourier
space. This program does so with FFTW and checks it against the closed form, against
Euler–Maruyama paths, against the log-Sobolev bound on the KL decay, and then uses the score
$\partial_x\log p_t$ of the FFTW solution to run the probability-flow ODE forward and the
reverse SDE backward — the two samplers of score-based diffusion models.

What you will see: spectral vs closed-form density (max error $\sim10^{-15}$) and mass; KS
distances of Euler–Maruyama samples; $\mathrm{KL}(p_t\|\pi)$ nonincreasing and below
$e^{-B(t)}\mathrm{KL}(p_0\|\pi)$; flow-ODE and reverse-SDE samples with the right laws; the
2-D solver on $512^2$ points against its closed form and a sampled 2-D histogram (section 6).
Figures: `fp_heatmap.png`, `kl_decay.png`, `fp2d_density.png`.

Run: `make run L=n2`, or `build/release/bin/lectures/n2_diffusion_annealing/03_fokker_planck_fftw`.

| symbol | C name | shape |
|---|---|---|
| $\beta(t)$, $B(t)$ | `beta_of`, `B_of` | functions |
| $a = e^{-B/2}$ | `a` | scalar |
| $p_t$ on the grid | `p` | (N) |
| $\hat p_0(ak_m)$, then $\hat p_t(k_m)$ | `f->spec` | (N/2+1) complex |
| $\partial_x\log p_t$ | `score` | (N) per time |
*/
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/fft.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

static const double PI = 3.14159265358979323846;
static const double BMIN = 0.1, BMAX = 20.0;
static const double W0[2] = {0.7, 0.3}, M0[2] = {-1.0, 1.0}, V0 = 0.25;

static void save(Plot *p, const Cli *cli, const char *name) {
    char err[256];
    if (plot_save(p, cli_out_path(cli, name), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

/*: ## 1. The VP SDE and its exact solution operator

$$ dx = -\tfrac12\beta(t)x\,dt + \sqrt{\beta(t)}\,dW,\quad \beta(t) = \beta_{min} + t(\beta_{max}-\beta_{min}),\quad
   B(t) = \int_0^t\beta = \beta_{min}t + \tfrac12(\beta_{max}-\beta_{min})t^2 $$ {#eq:N2.B3.vp_sde}

(Song et al. 2021; $\beta_{min} = 0.1$, $\beta_{max} = 20$). Its Fokker–Planck equation is
$\partial_tp = \tfrac12\beta(t)[\partial_x(xp) + \partial_x^2p]$, and because
$X_t = e^{-B/2}X_0 + \sqrt{1-e^{-B}}\,Z$ the solution is, in Fourier space,

$$ \hat p_t(k) = \hat p_0(k\,a)\,e^{-k^2(1-a^2)/2},\qquad a = e^{-B(t)/2} : $$ {#eq:N2.B3.fourier_solution}

a rescaling of frequencies (the drift) times a heat-kernel multiplier (the noise), with no
time stepping and no splitting error. On a grid of $N = 4096$ points on $[-16, 16)$, the
program evaluates $\hat p_0$ at the scaled frequencies $ak_m$ by a direct sum (the
trapezoid rule, spectrally accurate for a smooth decaying $p_0$), multiplies, and returns to
$x$ with FFTW's c2r transform. The closed form for the mixture data
$q_0 = 0.7\,\mathcal N(-1, 0.25) + 0.3\,\mathcal N(1, 0.25)$ is component-wise
$\mathcal N(\mu_ia, s_i^2a^2 + 1 - a^2)$.
*/
static double B_of(double t) { return BMIN * t + 0.5 * (BMAX - BMIN) * t * t; }
static double beta_of(double t) { return BMIN + t * (BMAX - BMIN); }
static double normal_pdf(double x, double m, double v) { return exp(-0.5 * (x - m) * (x - m) / v) / sqrt(2 * PI * v); }
static double closed_form(double x, double t) {
    double a = exp(-0.5 * B_of(t)), v = V0 * a * a + 1 - a * a;
    return W0[0] * normal_pdf(x, M0[0] * a, v) + W0[1] * normal_pdf(x, M0[1] * a, v);
}

typedef struct {
    int n;
    double L, h;
    double *x, *p0;
    fft_cplx *base; /* e^{-i a dk x_j}, rebuilt per time */
    fft_cplx *spec;
} Fp;

static Fp fp_new(int n, double L) {
    Fp f = {n, L, 2 * L / n, xmalloc(sizeof(double) * n), xmalloc(sizeof(double) * n),
            xmalloc(sizeof(fft_cplx) * n), xmalloc(sizeof(fft_cplx) * (n / 2 + 1))};
    for (int j = 0; j < n; j++) f.x[j] = -L + f.h * j, f.p0[j] = closed_form(f.x[j], 0.0);
    return f;
}
static void fp_free(Fp *f) { free(f->x), free(f->p0), free(f->base), free(f->spec); }

/* p (n values) at time t; dp (may be NULL) its spectral x-derivative */
static void fp_solve(Fp *f, double t, double *p, double *dp) {
    const int n = f->n, half = n / 2 + 1;
    const double a = exp(-0.5 * B_of(t)), dk = 2 * PI / (n * f->h);
    for (int m = 0; m < half; m++) f->spec[m] = 0;
    for (int j = 0; j < n; j++) {
        fft_cplx z = cexp(-I * a * dk * f->x[j]), zm = 1;
        for (int m = 0; m < half; m++) {
            //: $\hat p_0(ak_m) = h\sum_j p_0(x_j)e^{-iak_mx_j}$ (powers of $e^{-ia\,\Delta k\,x_j}$)
            f->spec[m] += f->p0[j] * zm;
            zm *= z;
        }
    }
    for (int m = 0; m < half; m++) {
        double k = dk * m;
        //: eq. [eq:N2.B3.fourier_solution]; the DFT of the samples is $\hat p(k_m)e^{-ik_mL}/h$ (the $h$ of the sum cancels)
        f->spec[m] *= exp(-0.5 * k * k * (1 - a * a)) * cexp(-I * k * f->L);
    }
    if (n % 2 == 0) f->spec[n / 2] = creal(f->spec[n / 2]); /* the Nyquist term of a real signal */
    fft_c2r_inverse((size_t)n, f->spec, p);
    if (dp) {
        for (int m = 0; m < half; m++) f->spec[m] *= I * dk * m;
        f->spec[n / 2] = 0;
        fft_c2r_inverse((size_t)n, f->spec, dp);
    }
}

static void section_spectral(const Cli *cli) {
    Fp f = fp_new(cli->scale == SCALE_QUICK ? 1024 : 4096, 16.0);
    double *p = xmalloc(sizeof(double) * f.n);
    const double ts[3] = {0.1, 0.5, 1.0};
    double worst = 0, worst_mass = 0;
    for (int q = 0; q < 3; q++) {
        fp_solve(&f, ts[q], p, NULL);
        double mass = 0;
        for (int j = 0; j < f.n; j++) worst = fmax(worst, fabs(p[j] - closed_form(f.x[j], ts[q]))), mass += p[j] * f.h;
        worst_mass = fmax(worst_mass, fabs(mass - 1));
    }
    check_close("N2.B3.spectral_vs_closed", worst, 0, 1e-12, "N2.B3.fourier_solution",
                "max |p_t(FFTW) - closed form| over the grid at t = 0.1, 0.5, 1");
    check_close("N2.B3.mass", worst_mass, 0, 1e-13, "N2.B3.fourier_solution", "mass of p_t is 1 at t = 0.1, 0.5, 1");
    // heat map p(t, x) for the figure (a coarser 512-point grid on [-8, 8) suffices)
    enum { NT = 60, NXP = 200 };
    Fp g = fp_new(512, 8.0);
    double *hm = xmalloc(sizeof(double) * NT * NXP), *pg = xmalloc(sizeof(double) * g.n);
    for (int i = 0; i < NT; i++) {
        fp_solve(&g, (i + 0.5) / NT, pg, NULL);
        for (int c = 0; c < NXP; c++) {
            double x = -4 + 8.0 * (c + 0.5) / NXP;
            int j = (int)((x + g.L) / g.h);
            hm[i * NXP + c] = pg[j];
        }
    }
    free(pg);
    fp_free(&g);
    Plot *pl = plot_new(800, 520, "VP SDE: p(t, x) by FFTW (rows: t from 0 at the bottom to 1)");
    plot_heatmap(pl, hm, NXP, NT, -4, 4, 0, 1, "p(t, x)");
    plot_xlabel(pl, "x");
    plot_ylabel(pl, "t");
    save(pl, cli, "fp_heatmap.png");
    free(hm), free(p);
    fp_free(&f);
}

/*: ## 2. Euler–Maruyama paths and the KS distance

$x_{k+1} = x_k - \tfrac12\beta(t_k)x_k\Delta t + \sqrt{\beta(t_k)\Delta t}\,\xi_k$, 1000 steps on
$[0,1]$, one Philox stream per path. The Kolmogorov–Smirnov distance between the empirical
CDF of the paths and the CDF of the FFTW solution (cumulative trapezoid, interpolated) is
compared with $3/\sqrt n$ — three times the scale of its sampling fluctuations; Euler–Maruyama's
own $O(\Delta t)$ bias is far below that.
*/
static double ks_against_grid(double *xs, long n, const double *cdf, const Fp *f) {
    qsort(xs, (size_t)n, sizeof(double), stats_cmp_double);
    double d = 0;
    for (long i = 0; i < n; i++) {
        double u = (xs[i] + f->L) / f->h;
        int j = (int)floor(u);
        if (j < 0) j = 0;
        if (j > f->n - 2) j = f->n - 2;
        double F = cdf[j] + (u - j) * (cdf[j + 1] - cdf[j]);
        //: $D = \max_i\max(\lvert F(x_{(i)}) - i/n\rvert, \lvert F(x_{(i)}) - (i+1)/n\rvert)$
        d = fmax(d, fmax(fabs(F - (double)i / n), fabs(F - (double)(i + 1) / n)));
    }
    return d;
}
static void cdf_of(const Fp *f, const double *p, double *cdf) {
    cdf[0] = 0;
    for (int j = 1; j < f->n; j++) cdf[j] = cdf[j - 1] + 0.5 * f->h * (p[j - 1] + p[j]);
}
static double sample_q0(Rng *r) { return (rng_uniform(r) < W0[0] ? M0[0] : M0[1]) + sqrt(V0) * rng_normal(r); }

static void section_em(const Cli *cli) {
    const long n = cli_scale(cli, 5000, 50000, 1000000);
    const int steps = 1000;
    Fp f = fp_new(cli->scale == SCALE_QUICK ? 1024 : 4096, 16.0);
    double *x = xmalloc(sizeof(double) * n), *snap = xmalloc(sizeof(double) * n * 3), *p = xmalloc(sizeof(double) * f.n),
           *cdf = xmalloc(sizeof(double) * f.n);
    const int at[3] = {100, 500, 1000};
    for (long i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, cli->seed, (uint64_t)i);
        double xi = sample_q0(&r);
        int s = 0;
        for (int k = 0; k < steps; k++) {
            double t = (double)k / steps, dt = 1.0 / steps;
            //: Euler–Maruyama for eq. [eq:N2.B3.vp_sde]
            xi += -0.5 * beta_of(t) * xi * dt + sqrt(beta_of(t) * dt) * rng_normal(&r);
            if (k + 1 == at[s]) snap[s * n + i] = xi, s++;
        }
        x[i] = xi;
    }
    for (int s = 0; s < 3; s++) {
        fp_solve(&f, at[s] / 1000.0, p, NULL);
        cdf_of(&f, p, cdf);
        double ks = ks_against_grid(snap + s * n, n, cdf, &f);
        char id[32];
        snprintf(id, sizeof id, "N2.B3.em_ks_t%g", at[s] / 1000.0);
        check_le(id, ks, 3 / sqrt((double)n), 0, "N2.B3.fourier_solution",
                 "KS distance of %ld Euler-Maruyama paths (1000 steps) to the FFTW law at t = %g", n, at[s] / 1000.0);
    }
    free(x), free(snap), free(p), free(cdf);
    fp_free(&f);
}

/*: ## 3. KL decay and the log-Sobolev bound

With the time change $ds = \tfrac12\beta\,dt$ the VP SDE is the standard OU process, whose
stationary law $\pi = \mathcal N(0,1)$ satisfies a log-Sobolev inequality with constant 1, so

$$ \mathrm{KL}(p_t\,\|\,\pi)\le e^{-B(t)}\,\mathrm{KL}(p_0\,\|\,\pi) . $$ {#eq:N2.B3.lsi}

The KL is integrated on the grid from the FFTW solution.
*/
static double kl_to_normal(const Fp *f, const double *p) {
    double kl = 0;
    for (int j = 0; j < f->n; j++)
        if (p[j] > 1e-300) kl += f->h * p[j] * (log(p[j]) - log(normal_pdf(f->x[j], 0, 1)));
    return kl;
}

static void section_kl(const Cli *cli) {
    Fp f = fp_new(cli->scale == SCALE_QUICK ? 1024 : 2048, 16.0);
    double *p = xmalloc(sizeof(double) * f.n);
    enum { NT = 21 };
    double tt[NT], kl[NT], bound[NT];
    fp_solve(&f, 0.0, p, NULL);
    double kl0 = kl_to_normal(&f, p), worst_ratio = 0, worst_rise = -INFINITY;
    for (int i = 0; i < NT; i++) {
        tt[i] = 0.5 * i / (NT - 1);
        fp_solve(&f, tt[i], p, NULL);
        kl[i] = kl_to_normal(&f, p);
        //: eq. [eq:N2.B3.lsi]
        bound[i] = exp(-B_of(tt[i])) * kl0;
        if (i > 0) worst_ratio = fmax(worst_ratio, kl[i] / bound[i]);
        if (i > 0) worst_rise = fmax(worst_rise, kl[i] - kl[i - 1]);
    }
    printf("KL(p_0 || pi) = %.6f, KL(p_0.5 || pi) = %.3e (bound %.3e)\n", kl0, kl[NT - 1], bound[NT - 1]);
    check_le("N2.B3.kl_monotone", worst_rise, 0, 1e-15, "N2.B3.lsi", "KL(p_t || pi) is nonincreasing on t in [0, 0.5]");
    check_le("N2.B3.kl_lsi_bound", worst_ratio, 1, 0, "N2.B3.lsi",
             "max over 20 times t in (0, 0.5] of KL(p_t || pi) / (e^{-B(t)} KL(p_0 || pi)) <= 1 (log-Sobolev, constant 1)");
    Plot *pl = plot_new(800, 500, "KL(p_t || N(0,1)) and the log-Sobolev bound");
    plot_ylog(pl, 1);
    plot_line(pl, tt, kl, NT, "KL(p_t || pi), FFTW");
    plot_line(pl, tt, bound, NT, "e^{-B(t)} KL(p_0 || pi)");
    plot_xlabel(pl, "t");
    save(pl, cli, "kl_decay.png");
    free(p);
    fp_free(&f);
}

/*: ## 4. Samplers driven by the FFTW score

The score $\partial_x\log p_t = \partial_xp_t/p_t$ comes from the same Fourier solution
(derivative by multiplying with $ik$), tabulated at $t_i = i/1000$ on a 512-point grid and
interpolated linearly in $x$. Two samplers use it:

$$ \text{probability flow: } \frac{dx}{dt} = -\tfrac12\beta(t)\big[x + \partial_x\log p_t(x)\big],\qquad
   \text{reverse SDE: } dx = -\beta(t)\big[\tfrac12x + \partial_x\log p_t(x)\big]dt + \sqrt{\beta(t)}\,d\bar W $$ {#eq:N2.B3.samplers}

(Anderson 1982; Song et al. 2021). The flow is integrated forward from exact samples of $q_0$
with RK4 (stage times on the table), the reverse SDE backward from samples of $p_1$ with
Euler–Maruyama; the end points must follow $p_{0.5}$, $p_1$ and $q_0$ (KS $< 3/\sqrt n$).
*/
typedef struct {
    int nx, nt;
    double L, h;
    double *score; /* nt x nx */
} ScoreTable;

static double score_at(const ScoreTable *s, int it, double x) {
    double u = (x + s->L) / s->h;
    int j = (int)floor(u);
    if (j < 0) j = 0;
    if (j > s->nx - 2) j = s->nx - 2;
    const double *row = s->score + (size_t)it * s->nx;
    return row[j] + (u - j) * (row[j + 1] - row[j]);
}

static void section_samplers(const Cli *cli) {
    const int nt = 1000;
    Fp f = fp_new(512, 8.0);
    ScoreTable st = {f.n, nt + 1, f.L, f.h, xmalloc(sizeof(double) * f.n * (nt + 1))};
    double *p = xmalloc(sizeof(double) * f.n), *dp = xmalloc(sizeof(double) * f.n);
    for (int i = 0; i <= nt; i++) {
        fp_solve(&f, (double)i / nt, p, dp);
        for (int j = 0; j < f.n; j++) st.score[(size_t)i * f.n + j] = p[j] > 1e-200 ? dp[j] / p[j] : 0.0;
    }
    const long n = cli_scale(cli, 3000, 20000, 200000);
    double *x = xmalloc(sizeof(double) * n), *xh = xmalloc(sizeof(double) * n), *cdf = xmalloc(sizeof(double) * f.n);
    // probability flow ODE, RK4 with dt = 2/nt
    for (long i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, cli->seed + 1, (uint64_t)i);
        double y = sample_q0(&r);
        for (int k = 0; k < nt; k += 2) {
            double t0 = (double)k / nt, dt = 2.0 / nt;
            //: eq. [eq:N2.B3.samplers], flow: RK4 stages at $t_k, t_{k+1}, t_{k+2}$
#define FLOW(tt, it, yy) (-0.5 * beta_of(tt) * ((yy) + score_at(&st, it, yy)))
            double k1 = FLOW(t0, k, y), k2 = FLOW(t0 + 0.5 * dt, k + 1, y + 0.5 * dt * k1);
            double k3 = FLOW(t0 + 0.5 * dt, k + 1, y + 0.5 * dt * k2), k4 = FLOW(t0 + dt, k + 2, y + dt * k3);
#undef FLOW
            y += dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
            if (k + 2 == nt / 2) xh[i] = y;
        }
        x[i] = y;
    }
    const double tcheck[2] = {0.5, 1.0};
    double *sets[2] = {xh, x};
    for (int q = 0; q < 2; q++) {
        fp_solve(&f, tcheck[q], p, NULL);
        cdf_of(&f, p, cdf);
        double ks = ks_against_grid(sets[q], n, cdf, &f);
        char id[32];
        snprintf(id, sizeof id, "N2.B3.flow_ks_t%g", tcheck[q]);
        check_le(id, ks, 3 / sqrt((double)n), 0, "N2.B3.samplers",
                 "probability-flow ODE with the FFTW score: KS to p_t at t = %g (%ld samples)", tcheck[q], n);
    }
    // reverse SDE from p_1 (sampled by inverting the FFTW CDF) to t = 0
    fp_solve(&f, 1.0, p, NULL);
    cdf_of(&f, p, cdf);
    for (long i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, cli->seed + 2, (uint64_t)i);
        double u = rng_uniform(&r) * cdf[f.n - 1];
        int a = 0, b = f.n - 1;
        while (b - a > 1) {
            int mid = (a + b) / 2;
            if (cdf[mid] < u) a = mid;
            else b = mid;
        }
        double y = f.x[a] + f.h * (u - cdf[a]) / (cdf[b] - cdf[a]);
        for (int k = nt; k > 0; k--) {
            double t = (double)k / nt, dt = 1.0 / nt;
            //: eq. [eq:N2.B3.samplers], reverse SDE stepped backward in time
            y += beta_of(t) * (0.5 * y + score_at(&st, k, y)) * dt + sqrt(beta_of(t) * dt) * rng_normal(&r);
        }
        x[i] = y;
    }
    fp_solve(&f, 0.0, p, NULL);
    cdf_of(&f, p, cdf);
    double ks = ks_against_grid(x, n, cdf, &f);
    check_le("N2.B3.reverse_sde_ks", ks, 3 / sqrt((double)n), 0, "N2.B3.samplers",
             "reverse SDE (1000 Euler-Maruyama steps) with the FFTW score recovers q0 (KS, %ld samples)", n);
    free(p), free(dp), free(x), free(xh), free(cdf), free(st.score);
    fp_free(&f);
}

/*: ## 5. The same solver in two dimensions

In $d$ dimensions the VP SDE acts coordinate-wise, $X_t = aX_0 + \sqrt{1-a^2}\,Z$, and the
solution operator factors the other way round too: rescaling then heat flow,
$S_aG_v = G_{a^2v}S_a$, so

$$ p_t = G_{1-a^2}\,S_a\,p_0,\qquad (S_ap_0)(x) = a^{-2}p_0(x/a),\qquad
   \widehat{G_vf}(k) = e^{-v\lvert k\rvert^2/2}\hat f(k) . $$ {#eq:N2.B3.fp2d}

With $p_0$ a function that can be evaluated, $S_ap_0$ is sampled directly on the grid, and
FFTW's 2-D r2c/c2r transforms apply the heat multiplier — no interpolation, no time stepping
(the multiplier is real and even, so the grid's offset needs no phase). The data are eight
Gaussians ($s = 0.15$) on the circle of radius 2, on a $512^2$ grid over $[-8, 8)^2$; the
result is checked against the component-wise closed form and against a 2-D histogram of
exactly sampled forward paths by a $\chi^2$ test.
*/
static double q2_pdf(double x, double y, double a) {
    const double s2 = 0.15 * 0.15, v = s2 * a * a + 1 - a * a;
    double acc = 0;
    for (int c = 0; c < 8; c++) {
        double mx = 2 * cos(PI * c / 4) * a, my = 2 * sin(PI * c / 4) * a;
        acc += exp(-0.5 * ((x - mx) * (x - mx) + (y - my) * (y - my)) / v) / (2 * PI * v) / 8;
    }
    return acc;
}

static void fp2d_solve(int n, double L, double t, double *p) {
    const double h = 2 * L / n, a = exp(-0.5 * B_of(t)), dk = 2 * PI / (n * h);
    const int half = n / 2 + 1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            //: $(S_ap_0)(x) = a^{-2}p_0(x/a)$, eq. [eq:N2.B3.fp2d]
            p[i * n + j] = q2_pdf((-L + h * j) / a, (-L + h * i) / a, 1.0) / (a * a);
    fft_cplx *X = xmalloc(sizeof(fft_cplx) * (size_t)n * half);
    fft_r2c_forward_2d((size_t)n, (size_t)n, p, X);
    for (int i = 0; i < n; i++) {
        double ky = dk * (i <= n / 2 ? i : i - n);
        for (int j = 0; j < half; j++) {
            double kx = dk * j;
            //: heat multiplier $e^{-(1-a^2)\lvert k\rvert^2/2}$
            X[i * half + j] *= exp(-0.5 * (1 - a * a) * (kx * kx + ky * ky));
        }
    }
    fft_c2r_inverse_2d((size_t)n, (size_t)n, X, p);
    free(X);
}

static void section_fp2d(const Cli *cli) {
    const int n = 512, nb = 32;
    const double L = 8.0, h = 2 * L / n, t = 0.1, a = exp(-0.5 * B_of(t)), bw = 0.25;
    double *p = xmalloc(sizeof(double) * n * n), err = 0, mass = 0;
    fp2d_solve(n, L, t, p);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            err = fmax(err, fabs(p[i * n + j] - q2_pdf(-L + h * j, -L + h * i, a)));
            mass += p[i * n + j] * h * h;
        }
    check_close("N2.B3.fp2d_closed_form", err, 0, 1e-12, "N2.B3.fp2d",
                "2-D, 512^2, t = %g: max |p_FFTW - closed form| (eight Gaussians on a circle)", t);
    check_close("N2.B3.fp2d_mass", mass, 1, 1e-12, "N2.B3.fp2d", "2-D mass h^2 sum p");
    // chi^2: 32 x 32 bins of width 0.25 on [-4, 4)^2 (8 x 8 grid cells each) plus one outside bin
    const long ns = cli_scale(cli, 20000, 200000, 2000000);
    double *expct = xcalloc((size_t)nb * nb + 1, sizeof(double)), *obs = xcalloc((size_t)nb * nb + 1, sizeof(double));
    const int off = (int)((L - 4.0) / h), per = (int)(bw / h);
    double inside = 0;
    for (int bi = 0; bi < nb; bi++)
        for (int bj = 0; bj < nb; bj++) {
            double e = 0;
            //: bin probability: 2-D trapezoid rule on the grid points of the bin's closed square
            for (int i = 0; i <= per; i++)
                for (int j = 0; j <= per; j++)
                    e += (i == 0 || i == per ? 0.5 : 1) * (j == 0 || j == per ? 0.5 : 1) * p[(off + bi * per + i) * n + off + bj * per + j] * h * h;
            expct[bi * nb + bj] = e * ns, inside += e;
        }
    expct[nb * nb] = (1 - inside) * ns;
    Rng r;
    rng_init(&r, cli->seed, 7000);
    for (long k = 0; k < ns; k++) {
        int c = (int)rng_below(&r, 8);
        double x0 = 2 * cos(PI * c / 4) + 0.15 * rng_normal(&r), y0 = 2 * sin(PI * c / 4) + 0.15 * rng_normal(&r);
        //: the SDE's exact transition $X_t = aX_0 + \sqrt{1-a^2}\,Z$
        double x = a * x0 + sqrt(1 - a * a) * rng_normal(&r), y = a * y0 + sqrt(1 - a * a) * rng_normal(&r);
        int bj = (int)floor((x + 4.0) / bw), bi = (int)floor((y + 4.0) / bw);
        obs[bi >= 0 && bi < nb && bj >= 0 && bj < nb ? bi * nb + bj : nb * nb] += 1;
    }
    double chi2 = 0;
    int df = -1;
    for (int b = 0; b <= nb * nb; b++)
        if (expct[b] >= 5) chi2 += (obs[b] - expct[b]) * (obs[b] - expct[b]) / expct[b], df++;
    double z = (chi2 - df) / sqrt(2.0 * df);
    check_le("N2.B3.fp2d_histogram", z, 4, 0, "N2.B3.fp2d",
             "2-D histogram of %ld exact forward samples at t = %g vs the FFTW density: chi^2 = %.1f on %d df, z = (chi^2 - df)/sqrt(2 df)",
             ns, t, chi2, df);
    double *img = xmalloc(sizeof(double) * 128 * 128);
    for (int i = 0; i < 128; i++)
        for (int j = 0; j < 128; j++) img[i * 128 + j] = p[(off + 2 * i) * n + off + 2 * j]; /* every second point of [-4, 4)^2 */
    Plot *pl = plot_new(600, 560, "VP forward density at t = 0.1 by 2-D FFTW (eight Gaussians at t = 0)");
    plot_heatmap(pl, img, 128, 128, -4, 4, -4, 4, "p_t");
    save(pl, cli, "fp2d_density.png");
    free(p), free(expct), free(obs), free(img);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "N2 B3: VP forward SDE density by FFTW vs closed form, EM paths, LSI, flow ODE and reverse SDE", 203,
              NULL);
    section_spectral(&cli);
    section_em(&cli);
    section_kl(&cli);
    section_samplers(&cli);
    section_fp2d(&cli);
    return check_end();
}
