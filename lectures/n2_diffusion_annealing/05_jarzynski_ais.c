/*: # N2 B5 — Annealed importance sampling, Jarzynski, Crooks, and the diffusion model's weight

**Study note, bridge lecture B-I, program B5** (spec N004 §3.1 B5; the note's Q6, Q11, errata
E36, E39, E42). Sohl-Dickstein et al. (2015) motivate their model's likelihood with annealed
importance sampling and the Jarzynski equality; the note stops just before that connection.
This program builds AIS on a one-dimensional path of laws, verifies Neal's unbiasedness,
Jarzynski's equality, the "second law" $\mathbb E[W]\ge\Delta F$ (the *same* Jensen step as
the paper's bound $L\ge K$, which the note writes the wrong way round), Crooks' fluctuation
theorem, and the quasi-static limit $\mathrm{Var}(\log w)\to0$. It then feeds the note's own
reverse kernel through the same weight formula.

What you will see: $\mathbb E[w] = Z_1/Z_0$ within Monte-Carlo error for two targets; the
Jensen gap and $K\cdot\mathrm{Var}(\log w)\to$ const; forward and reverse work histograms
crossing at $\Delta F$ with log-ratio slope 1; the note's kernel giving $w\equiv\pi(x^{(0)})$.
Figures: `work_hist_FR.png`, `varlogw_vs_K.png`.

**GPU path.** The AIS chains (sections 1–3) are one call each, `goc_anneal_ais`
(gpu/gpu_anneal.h): with `--gpu on|auto` and a device the kernel `anneal_ais` runs them alone,
otherwise common/anneal1d.h on the CPU, with the same Philox words per chain and move. Every
check below must pass either way; the kernel's agreement with its C twin is
`checks/unit/test_gpu_anneal.c`.

Run: `make run L=n2`, or `build/release/bin/lectures/n2_diffusion_annealing/05_jarzynski_ais [--gpu auto|off|on]`.

| symbol | C name | shape |
|---|---|---|
| $f_\lambda$ | `log_f` | function |
| $\lambda_{k-1}, \lambda_k$, $K$ | `l0`, `l1`, `K` | scalars, integer |
| $\log w$, $W = -\log w$ | `logw`, `work` | (chains) |
| $\log(Z_1/Z_0)$, $\Delta F$ | `lz`, `dF` | scalars |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/anneal1d.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/mathfn.h"
#include "common/mix1_chain.h"
#include "common/plot.h"
#include "common/quadrature.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"
#include "gpu/gpu.h"
#include "gpu/gpu_anneal.h"

static const double PI = 3.14159265358979323846;

static void save(Plot *p, const Cli *cli, const char *name) {
    char err[256];
    if (plot_save(p, cli_out_path(cli, name), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

/*: ## 1. AIS along a geometric path

The path from $\mathcal N(0,1)$ to the target $e^{-E_1}$ is

$$ f_\lambda(x) = \exp\big(-(1-\lambda)x^2/2 - \lambda E_1(x)\big),\qquad 0 = \lambda_0 < \dots < \lambda_K = 1 . $$ {#eq:N2.B5.path}

Start $x_0\sim\mathcal N(0,1)$; at step $k$ switch $\lambda_{k-1}\to\lambda_k$ at the current
point, then move with $m$ Metropolis steps that leave $f_{\lambda_k}$ invariant (here uniform
proposals $y = x + h(2u-1)$ with $h = \sqrt3\,s$, the variance of an $\mathcal N(0, s^2)$ step;
symmetric, so a move is accepted with probability $\min(1, f_{\lambda_k}(y)/f_{\lambda_k}(x))$). The weight
and the work are

$$ \log w = \sum_{k=1}^K\big[\log f_{\lambda_k}(x_{k-1}) - \log f_{\lambda_{k-1}}(x_{k-1})\big],\qquad W = -\log w,\qquad \mathbb E[w] = \frac{Z_1}{Z_0} = e^{-\Delta F} $$ {#eq:N2.B5.ais_weight}

(Neal 2001; Jarzynski 1997: $\mathbb E[e^{-W}] = e^{-\Delta F}$).
*/
typedef enum { QUARTIC, DOUBLE_WELL } Target;

static double E1(Target t, double x) {
    return t == QUARTIC ? 0.25 * x * x * x * x : (x * x - 1) * (x * x - 1) / 0.1;
}
static double log_f(Target t, double lam, double x) {
    //: eq. [eq:N2.B5.path]
    return -(1 - lam) * 0.5 * x * x - lam * E1(t, x);
}

/* E_1 as polynomial coefficients for the chains (common/anneal1d.h): x^4/4, and
   (x^2 - 1)^2 / 0.1 = 10 - 20 x^2 + 10 x^4 */
static const double E1_POLY[2][5] = {{0, 0, 0, 0, 0.25}, {10, 0, -20, 0, 10}};

/* n AIS chains from the start points x (in place) along lambda_k = k/K (reverse: 1 - k/K), m
   Metropolis moves of half-width sqrt(3) * step (the variance of a N(0, step^2) proposal);
   logw[] receives log w. One call: the GPU kernel, or common/anneal1d on the CPU. */
static GocWhere ais_run(GpuContext *g, Target t, int K, int m, double step, uint64_t seed, int reverse, double *x,
                        double *logw, long n) {
    double *lam = xmalloc(sizeof(double) * (K + 1));
    for (int k = 0; k <= K; k++) lam[k] = reverse ? (double)(K - k) / K : (double)k / K;
    //: eq. [eq:N2.B5.ais_weight]: switch at the current point, then move (common/anneal1d.h)
    const Anneal1dAis job = {4, E1_POLY[t], lam, K, m, sqrt(3.0) * step, seed};
    GocWhere where = goc_anneal_ais(g, &job, x, logw, n);
    free(lam);
    return where;
}

/* start points x ~ N(0, 1) = f_0 / Z_0, one Philox stream each */
static void normal_starts(double *x, long n, uint64_t seed) {
    for (long c = 0; c < n; c++) {
        Rng r;
        rng_init(&r, seed, (uint64_t)c);
        x[c] = rng_normal(&r);
    }
}

static double unnorm(double x, void *ctx) { return exp(-E1(*(Target *)ctx, x)); }

static double log_z_ratio(Target t) {
    double z1 = quad_gauss_legendre_composite(unnorm, &t, -8, 8, 40, 64);
    return log(z1) - 0.5 * log(2 * PI);
}

/* Jarzynski's equality and the second law for log-weights whose exact log E[w] is lz:
   E[w e^{-lz}] = 1 within 4 SE, E[log w] <= lz. Sections 1 and 5 both use it. Returns E[log w]. */
static double weight_checks(const char *tag, const char *what, const double *logw, long n, double lz) {
    double *w = xmalloc(sizeof(double) * n);
    // mean of w = exp(log w) around exp(lz) to avoid overflow: ratio w / exp(lz)
    for (long c = 0; c < n; c++) w[c] = exp(logw[c] - lz);
    double se, mw = stats_mean_se(w, (size_t)n, &se);
    char id[64];
    snprintf(id, sizeof id, "N2.B5.ais_unbiased_%s", tag);
    check_mc(id, mw, 1.0, se, 4, n, "N2.B5.ais_weight", "%s: mean of w / E[w] is 1 (Neal; Jarzynski E[e^-W] = e^-dF)", what);
    double se_l, ml = stats_mean_se(logw, (size_t)n, &se_l);
    snprintf(id, sizeof id, "N2.B5.second_law_%s", tag);
    check_le(id, ml, lz, 0, "N2.B5.ais_weight", "%s: E[log w] = %.5f <= log E[w] (Jensen; 'second law' E[W] >= dF)", what, ml);
    free(w);
    return ml;
}

static void section_ais(const Cli *cli, GpuContext *g) {
    const long n = cli_scale(cli, 4000, 40000, 200000);
    const int K = 100, m = 2;
    const Target ts[2] = {QUARTIC, DOUBLE_WELL};
    const double ref_logz[2] = {0.0225104, -1.4766215}, steps[2] = {1.0, 0.25};
    const char *names[2] = {"quartic", "double_well"};
    double *logw = xmalloc(sizeof(double) * n), *x = xmalloc(sizeof(double) * n);
    for (int q = 0; q < 2; q++) {
        double lz = log_z_ratio(ts[q]);
        char id[64];
        snprintf(id, sizeof id, "N2.B5.logZ_%s", names[q]);
        check_close(id, lz, ref_logz[q], 1e-7, NULL, "log(Z1/Z0) by quadrature vs the spec value (%s)", names[q]);
        // the chains' polynomial table against eq. [eq:N2.B5.path] written out (a printed identity)
        double lam3[2] = {0, 1}, dmax = 0;
        const Anneal1dAis tab = {4, E1_POLY[ts[q]], lam3, 1, 0, 0, 0};
        for (int j = 0; j <= 40; j++)
            for (int l = 0; l <= 4; l++)
                dmax = fmax(dmax, fabs(anneal1d_log_f(&tab, 0.25 * l, -2 + 0.1 * j) - log_f(ts[q], 0.25 * l, -2 + 0.1 * j)));
        printf("%s: polynomial table vs log f_lambda formula, max difference on a grid: %.1e\n", names[q], dmax);
        normal_starts(x, n, cli->seed + q);
        GocWhere where = ais_run(g, ts[q], K, m, steps[q], cli->seed + 1000 + q, 0, x, logw, n);
        printf("%s: %ld AIS chains ran on the %s\n", names[q], n, goc_where_name(where));
        char what[64];
        snprintf(what, sizeof what, "%s, K = 100, E[w] = Z1/Z0", names[q]);
        double ml = weight_checks(names[q], what, logw, n, lz);
        if (q == 1) {
            check_erratum("N2.B5.E42_jensen_direction", lz, ml,
                          "note l.642 writes the Jensen step with '>=': it would need E[log w] >= log E[w] = log(Z1/Z0); here E[log w] is below");
        }
    }
    free(logw), free(x);
}

/*: ## 2. The quasi-static limit

With more, smaller steps the protocol approaches a reversible one: the work concentrates on
$\Delta F$. For a smooth path $\mathrm{Var}(\log w)\approx\tfrac1K\int_0^1\mathrm{Var}_{f_\lambda}
(\partial_\lambda\log f_\lambda)\,\tau_{int}(\lambda)\,d\lambda$, so

$$ K\cdot\mathrm{Var}(\log w)\to\text{const},\qquad \log\mathbb E[w] - \mathbb E[\log w]\approx\tfrac12\mathrm{Var}(\log w)\to0 . $$ {#eq:N2.B5.quasi_static}

This is the paper's "quasi-static" remark: with perfect reverse kernels a single sample
already has the right weight. The program fits the log–log slope of $\mathrm{Var}(\log w)$ in
$K$ for the quartic target.
*/
static void section_quasi_static(const Cli *cli, GpuContext *g) {
    const long n = cli_scale(cli, 2000, 10000, 50000);
    const int Ks[5] = {50, 100, 200, 400, 800};
    double lk[5], lv[5], kk[5], vv[5], gap[5], se_lv[5];
    double lz = log_z_ratio(QUARTIC);
    double *logw = xmalloc(sizeof(double) * n), *x = xmalloc(sizeof(double) * n);
    for (int q = 0; q < 5; q++) {
        normal_starts(x, n, cli->seed + 10 + q);
        ais_run(g, QUARTIC, Ks[q], 2, 1.0, cli->seed + 1010 + q, 0, x, logw, n);
        double mean, var;
        stats_mean_var(logw, (size_t)n, &mean, &var);
        kk[q] = Ks[q], vv[q] = var, lk[q] = log(Ks[q]), lv[q] = log(var), gap[q] = lz - mean;
        // se of ln(sample variance): sqrt((m4 / var^2 - 1) / n), m4 the fourth central moment
        double m4 = 0;
        for (long c = 0; c < n; c++) m4 += pow(logw[c] - mean, 4) / n;
        se_lv[q] = sqrt((m4 / (var * var) - 1) / n);
        printf("K = %3d: E[log w] = %.6f (log Z1/Z0 = %.6f), Var(log w) = %.3e, K Var = %.4f\n", Ks[q], mean, lz, var,
               Ks[q] * var);
    }
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int q = 0; q < 5; q++) sx += lk[q], sy += lv[q], sxx += lk[q] * lk[q], sxy += lk[q] * lv[q];
    double slope = (5 * sxy - sx * sy) / (5 * sxx - sx * sx), sdx = 0, se_slope = 0;
    // the slope's Monte-Carlo error from the independent runs: sum_q (x_q - xbar)^2 se_q^2 / Sxx^2
    for (int q = 0; q < 5; q++) sdx += pow(lk[q] - sx / 5, 2), se_slope += pow((lk[q] - sx / 5) * se_lv[q], 2);
    se_slope = sqrt(se_slope) / sdx;
    check_close("N2.B5.varlogw_slope", slope, -1, 0.1 + 4 * se_slope, "N2.B5.quasi_static",
                "log-log slope of Var(log w) in K (quartic, K = 50..800): the quasi-static limit; 0.1 (the spec's) + 4 Monte-Carlo SE of the slope (%.3f, n = %ld)",
                se_slope, n);
    check_true("N2.B5.jensen_gap_shrinks", gap[4] < gap[0] && gap[0] > 0,
               "Jensen gap log(Z1/Z0) - E[log w] shrinks from K = 50 (%.2e) to K = 800 (%.2e)", gap[0], gap[4]);
    Plot *p = plot_new(800, 500, "quasi-static limit: Var(log w) ~ 1/K (quartic target)");
    plot_ylog(p, 1);
    plot_series_marker(plot_scatter(p, kk, vv, 5, "Var(log w)"), 4);
    double ref[5];
    for (int q = 0; q < 5; q++) ref[q] = vv[0] * kk[0] / kk[q];
    plot_line(p, kk, ref, 5, "1/K");
    plot_xlabel(p, "K (linear)");
    save(p, cli, "varlogw_vs_K.png");
    free(logw), free(x);
}

/*: ## 3. Crooks' fluctuation theorem

Run the protocol backwards: start from the target, $y\sim e^{-E_1}/Z_1$ (drawn here by
inverting its CDF tabulated on a fine grid), switch $\lambda_k\to\lambda_{k-1}$, then move with
$M_{k-1}$. With reversible kernels the path probabilities satisfy

$$ \frac{p_F(W)}{p_R(-W)} = e^{W - \Delta F}, $$ {#eq:N2.B5.crooks}

so the two work histograms cross at $W = \Delta F$ and $\ln[p_F(W)/p_R(-W)]$ is a line of slope
1. Target: the double well, $K = 10$ (so that the histograms are wide and overlap).
*/
static void section_crooks(const Cli *cli, GpuContext *g) {
    const Target t = DOUBLE_WELL;
    const int K = 10, m = 2;
    const long n = cli_scale(cli, 20000, 200000, 1000000);
    const double step = 0.25, dF = -log_z_ratio(t);
    // tabulated inverse CDF of the target
    enum { NG = 200001 };
    const double lo = -2.5, hi = 2.5, hg = (hi - lo) / (NG - 1);
    double *cdf = xmalloc(sizeof(double) * NG);
    cdf[0] = 0;
    for (int i = 1; i < NG; i++)
        cdf[i] = cdf[i - 1] + 0.5 * hg * (exp(-E1(t, lo + hg * (i - 1))) + exp(-E1(t, lo + hg * i)));
    double *wf = xmalloc(sizeof(double) * n), *wr = xmalloc(sizeof(double) * n), *x = xmalloc(sizeof(double) * n);
    normal_starts(x, n, cli->seed + 50);
    ais_run(g, t, K, m, step, cli->seed + 1050, 0, x, wf, n);
    for (long c = 0; c < n; c++) {
        wf[c] = -wf[c]; /* W_F = -log w */
        Rng r;
        rng_init(&r, cli->seed + 51, (uint64_t)c);
        double u = rng_uniform(&r) * cdf[NG - 1];
        int a = 0, b = NG - 1;
        while (b - a > 1) {
            int mid = (a + b) / 2;
            if (cdf[mid] < u) a = mid;
            else b = mid;
        }
        x[c] = lo + hg * (a + (u - cdf[a]) / (cdf[b] - cdf[a]));
    }
    //: reverse protocol $\lambda_k\to\lambda_{k-1}$ from the target: its log-weight is $-W_R$, $W_R = \sum_k [E_{\lambda_{k-1}}(y) - E_{\lambda_k}(y)]$
    ais_run(g, t, K, m, step, cli->seed + 1051, 1, x, wr, n);
    for (long c = 0; c < n; c++) wr[c] = -wr[c];
    // histograms of W_F and -W_R on common bins
    enum { NB = 40 };
    double wmin = dF - 1.5, wmax = dF + 1.5, bw = (wmax - wmin) / NB;
    long hf[NB] = {0}, hr[NB] = {0};
    for (long c = 0; c < n; c++) {
        int i = (int)floor((wf[c] - wmin) / bw), j = (int)floor((-wr[c] - wmin) / bw);
        if (i >= 0 && i < NB) hf[i]++;
        if (j >= 0 && j < NB) hr[j]++;
    }
    double sx = 0, sy = 0, sxx = 0, sxy = 0, sw = 0, xc[NB], pf[NB], pr[NB];
    int used = 0;
    for (int i = 0; i < NB; i++) {
        xc[i] = wmin + (i + 0.5) * bw, pf[i] = (double)hf[i] / (n * bw), pr[i] = (double)hr[i] / (n * bw);
        if (hf[i] < 200 || hr[i] < 200) continue;
        // weighted least squares: var of ln(hf/hr) ~ 1/hf + 1/hr
        double y = log((double)hf[i] / hr[i]), wgt = 1.0 / (1.0 / hf[i] + 1.0 / hr[i]);
        sw += wgt, sx += wgt * xc[i], sy += wgt * y, sxx += wgt * xc[i] * xc[i], sxy += wgt * xc[i] * y;
        used++;
    }
    double slope = (sw * sxy - sx * sy) / (sw * sxx - sx * sx), icpt = (sy - slope * sx) / sw;
    printf("Crooks: %d bins with >= 200 counts in both; slope %.4f, crossing at W = %.4f (dF = %.4f)\n", used, slope,
           -icpt / slope, dF);
    check_close("N2.B5.crooks_slope", slope, 1, 0.05, "N2.B5.crooks",
                "slope of ln[p_F(W)/p_R(-W)] vs W (double well, K = 10, %ld chains each way)", n);
    check_close("N2.B5.crooks_crossing", -icpt / slope, dF, 0.05, "N2.B5.crooks",
                "the forward and reverse work densities cross at W = dF = -log(Z1/Z0)");
    Plot *p = plot_new(800, 500, "work distributions: forward p_F(W) and reverse p_R(-W)");
    plot_line(p, xc, pf, NB, "p_F(W)");
    plot_line(p, xc, pr, NB, "p_R(-W)");
    plot_vline(p, dF, "dF");
    plot_xlabel(p, "W");
    save(p, cli, "work_hist_FR.png");
    free(cdf), free(wf), free(wr), free(x);
}

/*: ## 4. The note's reverse kernel through the same formula (E36, E39)

The paper's weight is an AIS weight, $w = p(x^{(0..T)})/q(x^{(1..T)}\mid x^{(0)})$ with
$q$ the forward diffusion $T_\pi(x^t\mid x^{t-1}) = \mathcal N(\sqrt{1-\beta}\,x^{t-1}, \beta)$
and $p = \pi(x^{(T)})\prod_t p(x^{t-1}\mid x^t)$. The note (l.581–585) takes the *forward*
kernel with swapped arguments as $p(x^{t-1}\mid x^t)$. $T_\pi$ is reversible with respect to
$\pi = \mathcal N(0,1)$, $T_\pi(a\mid b)\pi(b) = T_\pi(b\mid a)\pi(a)$, so every ratio is
$\pi(a)/\pi(b)$ for *any* $\beta$ and the product telescopes:

$$ w = \pi(x^{(T)})\prod_{t=1}^T\frac{T_\pi(x^{t-1}\mid x^t)}{T_\pi(x^t\mid x^{t-1})} = \pi(x^{(0)}) . $$ {#eq:N2.B5.telescoping}

The "model" assigns every datum its probability under $\pi$ and learns nothing (E36); the
ratio of kernels does not tend to 1 as $\beta\to0$ (E39). The paper's reverse kernels are
learned Gaussians.
*/
static double log_kernel(double to, double from, double beta) {
    double m = sqrt(1 - beta) * from;
    return -0.5 * (to - m) * (to - m) / beta - 0.5 * log(2 * PI * beta);
}

static void section_note_kernel(const Cli *cli) {
    Rng r;
    rng_init(&r, cli->seed, 777);
    const int T = 100, paths = 1000;
    const double beta = 0.02;
    double worst = 0, x[101];
    for (int c = 0; c < paths; c++) {
        x[0] = (rng_uniform(&r) < 0.7 ? -1.0 : 1.0) + 0.5 * rng_normal(&r); /* data from a mixture */
        for (int t = 1; t <= T; t++) x[t] = sqrt(1 - beta) * x[t - 1] + sqrt(beta) * rng_normal(&r);
        //: $\log w = \log\pi(x^T) + \sum_t[\log T_\pi(x^{t-1}\mid x^t) - \log T_\pi(x^t\mid x^{t-1})]$
        double logw = -0.5 * x[T] * x[T] - 0.5 * log(2 * PI);
        for (int t = 1; t <= T; t++) logw += log_kernel(x[t - 1], x[t], beta) - log_kernel(x[t], x[t - 1], beta);
        worst = fmax(worst, fabs(logw - (-0.5 * x[0] * x[0] - 0.5 * log(2 * PI))));
    }
    check_close("N2.B5.note_kernel_weight", worst, 0, 1e-10, "N2.B5.telescoping",
                "note's kernel: log w = log pi(x0) on 1000 forward paths (T = 100, beta = 0.02): the weights carry no model");
    // E36: the model density the note's construction assigns at the data mode x = -1
    const double q0_at = 0.7 * exp(-0.5 * 0 / 0.25) / sqrt(2 * PI * 0.25) + 0.3 * exp(-0.5 * 4 / 0.25) / sqrt(2 * PI * 0.25);
    check_erratum("N2.B5.E36_reverse_kernel", exp(-0.5) / sqrt(2 * PI), q0_at,
                  "note l.581-585: with the forward kernel as reverse kernel, p(x0 = -1) = pi(-1) for any data; the data density there is q0(-1)");
    // E39: the kernel ratio at tiny beta for one step
    const double b = 1e-4, a0 = 0.3;
    double a1 = sqrt(1 - b) * a0 + sqrt(b) * 0.7;
    double ratio = exp(log_kernel(a0, a1, b) - log_kernel(a1, a0, b));
    check_erratum("N2.B5.E39_ratio_to_one", 1.0, exp(-0.5 * a0 * a0 + 0.5 * a1 * a1),
                  "note l.612-614: T(x0|x1)/T(x1|x0) 'tends to 1' as beta -> 0; it is pi(x0)/pi(x1) for every beta (beta = 1e-4: %.10f)", ratio);
}

/*: ## 5. The diffusion model of A8 through the same bookkeeping (B5.4)

Program A8 (lectures/n1_sohl_dickstein/08) defines a diffusion model's density by an
importance weight over forward paths, eq. [eq:common.mix1_chain.logw] (common/mix1_chain.h:
data $q_0 = 0.7\,\mathcal N(-1, 0.5^2) + 0.3\,\mathcal N(1, 0.5^2)$, $T$ steps of constant
$\beta = 1 - e^{-8/T}$, reverse kernels the Gaussians with the true posterior's moments). Read
as AIS, the forward diffusion from $x^0$ is the protocol, the model's reverse kernels are what
make the reverse path law, and the "partition-function ratio" is the model density:

$$ \mathbb E_q[w\mid x^0] = p_0(x^0),\qquad \Delta F = -\log p_0(x^0),\qquad \mathbb E_q[\log w\mid x^0]\le\log p_0(x^0) , $$ {#eq:N2.B5.diffusion_as_ais}

Jarzynski's equality and the second law of section 1, with $p_0$ from A8's grid propagation
(841 points) as the exact value. The same function (`weight_checks`) judges both. The Jensen gap
$\log p_0(x^0) - \mathbb E\log w$ is the KL divergence between the forward path law and the
model's reverse path law given $x^0$. Unlike section 2, the limit $T\to\infty$ here changes
the model itself ($p_0$ at T = 40 is not $p_0$ at T = 10), and the gap need not shrink at every
point: from T = 10 to 40 it shrinks at $x^0 = \pm1$ but *grows* at $x^0 = 0$, between the
modes (printed). Only its average over $x^0\sim q_0$ decreases, which is what A8 checks
(`N1.2.3.gap_decreases`). With the note's kernel (section 4) the same weights are the
constant $\pi(x^0)$.
*/
static void section_diffusion_model(const Cli *cli) {
    static const Mix1 q0 = {2, {0.7, 0.3}, {-1, 1}, {0.25, 0.25}};
    enum { NG = 841 };
    const double lo = -7.0, hg = 14.0 / (NG - 1);
    const long n = cli_scale(cli, 4000, 20000, 100000);
    const int Ts[2] = {10, 40}, idx[3] = {360, 420, 480}; /* x0 = -1, 0, 1 on the grid */
    double *p0 = xmalloc(sizeof(double) * NG), *logw = xmalloc(sizeof(double) * n), gap[2][3], var[2][3];
    for (int a = 0; a < 2; a++) {
        const int T = Ts[a];
        mix1_chain_grid_p0(&q0, MIX1_CHAIN_MATCHED, T, lo, hg, NG, p0);
        for (int b = 0; b < 3; b++) {
            const double x0 = lo + hg * idx[b], lz = log(p0[idx[b]]);
            for (long c = 0; c < n; c++) {
                Rng r;
                rng_init(&r, cli->seed + 60 + a, (uint64_t)(b * n + c));
                double xT;
                //: eq. [eq:common.mix1_chain.logw]: a forward path from $x^0$ and its weight
                logw[c] = mix1_chain_logw(&q0, MIX1_CHAIN_MATCHED, T, x0, &r, &xT);
            }
            double mean, v;
            stats_mean_var(logw, (size_t)n, &mean, &v);
            gap[a][b] = lz - mean, var[a][b] = v;
            printf("A8's model, T = %2d, x0 = %+.0f: log p0 = %.6f, E[log w] = %.6f (gap %.2e), Var(log w) = %.3e\n", T, x0, lz, mean,
                   gap[a][b], v);
            if (T == 40) {
                char tag[32], what[96];
                snprintf(tag, sizeof tag, "diffusion_x%+.0f", x0);
                snprintf(what, sizeof what, "A8's diffusion model, T = 40, x0 = %+.0f, E[w] = p0(x0) (grid)", x0);
                //: eq. [eq:N2.B5.diffusion_as_ais]
                weight_checks(tag, what, logw, n, lz);
            }
        }
    }
    printf("Jensen gap T = 10 -> 40: x0 = -1 %.2e -> %.2e, x0 = 0 %.2e -> %.2e (grows), x0 = +1 %.2e -> %.2e; Var(log w) at x0 = 0 %.2e -> %.2e\n",
           gap[0][0], gap[1][0], gap[0][1], gap[1][1], gap[0][2], gap[1][2], var[0][1], var[1][1]);
    // the note's kernel through the same weight formula: constant weights pi(x0)
    double worst = 0;
    for (long c = 0; c < 1000; c++) {
        Rng r;
        rng_init(&r, cli->seed + 62, (uint64_t)c);
        double xT, l = mix1_chain_logw(&q0, MIX1_CHAIN_NOTE, 40, 0.5, &r, &xT);
        worst = fmax(worst, fabs(l - (-0.125 - 0.5 * log(2 * PI))));
    }
    printf("the note's kernel in the same code, T = 40, x0 = 0.5: max |log w - log pi(x0)| = %.1e over 1000 paths (section 4's E36)\n", worst);
    free(p0), free(logw);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "N2 B5: AIS, Jarzynski, Crooks, quasi-static limit, the note's kernel",
              205, NULL);
    char why[256];
    GpuContext *g = gpu_open(cli.gpu, NULL, why, sizeof why); /* prints "backend: ..."; NULL = CPU */
    section_ais(&cli, g);
    section_quasi_static(&cli, g);
    section_crooks(&cli, g);
    gpu_close(g);
    section_note_kernel(&cli);
    section_diffusion_model(&cli);
    return check_end();
}
