/*: # N1 T3, T4 — KL divergence (discrete, mixed, singular) and conditional entropy

**Study note, "定理" T3 (KL divergence, l.260–272) and T4 (conditional entropy, l.276–283).**
The note defines the KL divergence of two mixed laws as "discrete sum + density integral" and the
conditional entropy by a double integral. Both formulas are right in a restricted setting; this
program finds the edges of that setting numerically.

What you will see: a discrete KL pair, its asymmetry and Pinsker's bound; the note's mixed formula
reproduced by Monte Carlo of $\log dP/dQ$, with a *negative* discrete term; the formula returning
$0$ for the Cantor law against the uniform one, where the truth is $+\infty$ (level-$k$
approximations grow like $k\ln\frac32$); a differential conditional entropy that is negative, its
zero crossing at $|\rho| = 0.970284$, the chain rule and the scaling law, all by 2-D quadrature.
ERRATUM lines: E19 (singular parts ignored), E19c (the two terms are not divergences), E21
(a "conditional entropy" that is negative). Figures: `kl_cantor_levels.png`,
`cond_entropy_integrand.png`.

Run: `build/release/bin/lectures/n1_sohl_dickstein/03_kl_and_entropy [--quick|--full]`.

| symbol | C name | shape |
|---|---|---|
| $p, q$ (pmfs) | `p`, `q` | (3) |
| $P = 0.3\delta_0 + 0.7\mathcal N(0,1)$, $Q = 0.5\delta_0+0.5\mathcal N(0,4)$ | `log_dens_ratio` | — |
| $D(P_k\Vert U)$, level-$k$ Cantor approximation | `kl_cantor_level(k)` | scalar |
| $\rho$, $H(Y\mid X)$ | `rho`, `cond_entropy_quad(rho)` | scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/cantor.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/divergence.h"
#include "common/plot.h"
#include "common/quadrature.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

/*: ## T3 discrete KL

$$ D(p\Vert q) = \sum_{x:\,p(x)>0} p(x)\log\frac{p(x)}{q(x)}\quad(+\infty\text{ if } q(x)=0<p(x)) $$ {#eq:N1.T3.kl_discrete}
The note's index "$i=1..\infty$" leaves the support and the zero conventions unstated (E20).
Pinsker: $\mathrm{TV}(p,q)\le\sqrt{D/2}$.
*/
static void discrete_kl(void) {
    const double p[3] = {0.5, 0.3, 0.2}, q[3] = {0.4, 0.4, 0.2}, q0[3] = {0.5, 0.5, 0.0};
    //: eq. [eq:N1.T3.kl_discrete]
    double dpq = kl_discrete(p, q, 3), dqp = kl_discrete(q, p, 3);
    check_close("N1.T3.kl_pq", dpq, 0.0252672, 5e-8, "N1.T3.kl_discrete", "D(p||q), p = (.5,.3,.2), q = (.4,.4,.2) (spec)");
    check_close("N1.T3.kl_qp", dqp, 0.0258154, 5e-8, "N1.T3.kl_discrete", "D(q||p): not symmetric (spec)");
    double tv = 0.0;
    for (int i = 0; i < 3; i++) tv += 0.5 * fabs(p[i] - q[i]);
    check_le("N1.T3.pinsker", tv, sqrt(dpq / 2), 0.0, "N1.T3.kl_discrete", "TV(p,q) = 0.1 <= sqrt(D/2) = 0.1124");
    check_true("N1.T3.kl_infinite", isinf(kl_discrete(p, q0, 3)), "D(p || (.5,.5,0)) = +inf (q = 0 < p at the third point)");
}

/*: ## T3 the mixed formula, and what its two terms are

For $P = 0.3\delta_0 + 0.7\mathcal N(0,1)$ and $Q = 0.5\delta_0 + 0.5\mathcal N(0,4)$ the
Radon–Nikodym derivative is $0.3/0.5$ at the atom and $0.7\varphi_1/(0.5\varphi_2)$ elsewhere, so
$$ D(P\Vert Q) = \int\log\frac{dP}{dQ}\,dP = 0.3\ln\tfrac{0.3}{0.5} + \int 0.7\varphi_1\ln\frac{0.7\varphi_1}{0.5\varphi_2}\,dx , $$ {#eq:N1.T3.kl_mixed}
which is the note's formula with *sub-probability* parts. Its discrete term is negative
($0.3\ln0.6$): the two terms are not divergences (E19c). The naive reading "KL of the normalised
parts" gives $0 + \mathrm{KL}(\mathcal N(0,1)\Vert\mathcal N(0,4)) = 0.3181$, a different number.
*/
static double log_sub_ratio(double x, void *ctx) {
    (void)ctx;
    double lp = log(0.7) - 0.5 * x * x - 0.5 * log(2 * M_PI);
    double lq = log(0.5) - x * x / 8.0 - 0.5 * log(8 * M_PI);
    return exp(lp) * (lp - lq);
}

static void mixed_kl(long n, uint64_t seed) {
    //: discrete term $0.3\ln(0.3/0.5)$ and the density term by quadrature, eq. [eq:N1.T3.kl_mixed]
    double disc = 0.3 * log(0.3 / 0.5);
    double cont = quad_gauss_legendre_composite(log_sub_ratio, NULL, -12.0, 12.0, 20, 48);
    check_close("N1.T3.mixed_density_term", cont, 0.7 * log(1.4) + 0.7 * (log(2.0) + 0.125 - 0.5), 1e-13,
                "N1.T3.kl_mixed", "density term: quadrature vs 0.7 ln 1.4 + 0.7 (ln 2 + 1/8 - 1/2)");
    check_close("N1.T3.mixed_total", disc + cont, 0.3049859, 5e-8, "N1.T3.kl_mixed", "D(P||Q) = 0.3049859 (spec)");
    check_le("N1.T3.discrete_term_negative", disc, 0.0, 0.0, "N1.T3.kl_mixed", "the discrete term 0.3 ln 0.6 = -0.1532 is negative");
    Rng r;
    rng_init(&r, seed, 0);
    Welford w;
    welford_init(&w);
    for (long i = 0; i < n; i++) {
        //: $\log\frac{dP}{dQ}(X)$, $X\sim P$
        if (rng_uniform(&r) < 0.3) { welford_push(&w, log(0.3 / 0.5)); continue; }
        double x = rng_normal(&r);
        welford_push(&w, (log(0.7) - 0.5 * x * x - 0.5 * log(2 * M_PI)) - (log(0.5) - x * x / 8.0 - 0.5 * log(8 * M_PI)));
    }
    check_mc("N1.T3.mixed_monte_carlo", w.mean, disc + cont, sqrt(welford_var(&w) / n), 4.0, n, "N1.T3.kl_mixed",
             "Monte Carlo E_P[log dP/dQ] against the formula");
    check_erratum("N1.T3.parts_as_divergences", kl_gauss_1d(0, 1, 0, 2), disc + cont,
                  "E19c: reading the two terms as KL of the normalised parts gives 0 + KL(N(0,1)||N(0,4))");
}

/*: ## T3 singular parts: the Cantor law against the uniform law

The Cantor law $C$ has no atoms and no density, so the note's formula returns $0 + 0 = 0$ for
$D(C\Vert U[0,1])$. But $C$ lives on a Lebesgue-null set, $C\not\ll U$, and $D = +\infty$ (E19a).
Coarse-graining to the $3^k$ triadic bins gives the data-processing lower bound
$$ D(C_k\Vert U_k) = \sum_{\text{bins}} C(b)\ln\frac{C(b)}{3^{-k}} = k\ln\tfrac32\ \to\infty . $$ {#eq:N1.T3.kl_cantor_levels}
Two biased Cantor laws (ternary digit 2 with probability $\tfrac12$ vs $0.3$) are mutually singular
too: their level-$k$ divergence is $k\,d(0.5\Vert0.3) = 0.0871766\,k$.
*/
static double kl_cantor_level(int k) {
    long nb = lround(pow(3.0, k));
    double s = 0.0, u = 1.0 / (double)nb;
    for (long b = 0; b < nb; b++) {
        //: $C(b) = F_C(\text{right}) - F_C(\text{left})$; eq. [eq:N1.T3.kl_cantor_levels]
        double c = cantor_cdf((b + 1) * u) - cantor_cdf(b * u);
        if (c > 1e-300) s += c * log(c / u);
    }
    return s;
}

static double kl_biased_cantor(int k, double a, double b) {
    /* cylinders: 2^k digit strings; mass a^{#2} (1-a)^{#0} vs b^{...}; enumerate by popcount */
    double s = 0.0;
    for (long m = 0; m < (1L << k); m++) {
        int twos = __builtin_popcountl(m);
        double pa = pow(a, twos) * pow(1 - a, k - twos), pb = pow(b, twos) * pow(1 - b, k - twos);
        s += pa * log(pa / pb);
    }
    return s;
}

static void singular_kl(const Cli *cli) {
    const int kmax = cli->scale == SCALE_QUICK ? 8 : 10;
    double levels[12], ks[12];
    for (int k = 1; k <= kmax; k++) ks[k - 1] = k, levels[k - 1] = kl_cantor_level(k);
    const double holder = 2.0 * pow(3.0 * ldexp(1.0, -53), log(2.0) / log(3.0));
    check_close("N1.T3.cantor_level_k", levels[kmax - 1], kmax * log(1.5), pow(3.0, kmax) * holder * 10,
                "N1.T3.kl_cantor_levels", "D(C_k || U_k) at k = %d from exact bin masses = k ln(3/2)", kmax);
    check_close("N1.T3.biased_cantor", kl_biased_cantor(10, 0.5, 0.3), 10 * 0.0871766, 1e-6,
                "N1.T3.kl_cantor_levels", "level-10 KL of biased Cantor laws = 10 d(0.5||0.3) (spec 0.0871766)");
    check_erratum("N1.T3.singular_ignored", 0.0, levels[kmax - 1],
                  "E19a: the note's formula gives 0 for D(Cantor||U[0,1]); level-%d lower bound %.4f, true value +inf", kmax,
                  levels[kmax - 1]);
    Plot *p = plot_new(700, 480, "D(C_k || U_k): the note's formula says 0");
    plot_scatter(p, ks, levels, kmax, "exact bin masses");
    double guide[12];
    for (int k = 0; k < kmax; k++) guide[k] = ks[k] * log(1.5);
    plot_line(p, ks, guide, kmax, "k ln(3/2)");
    plot_xlabel(p, "level k");
    plot_ylabel(p, "nats");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "kl_cantor_levels.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

/*: ## T4 differential conditional entropy

With a joint density $p(x,y)$ (the note sets this on "$(\mathbb R,\mathfrak B(\mathbb R),F)$", a
space with no joint law, E21):
$$ H(Y\mid X) = -\iint p(x,y)\log\frac{p(x,y)}{p(x)}\,dx\,dy . $$ {#eq:N1.T4.cond_entropy}
For the standard bivariate Gaussian with correlation $\rho$,
$H(Y\mid X) = \tfrac12\ln(2\pi e(1-\rho^2))$, negative once $1-\rho^2 < 1/(2\pi e)$, i.e.
$|\rho| > 0.970284$. The quadrature below integrates the note's formula on $[-10,10]^2$ in the
rotated coordinates $(x, (y-\rho x)/\sqrt{1-\rho^2})$ with composite Gauss–Legendre rules.
*/
typedef struct { double rho, a; int mode; } Biv;

static double biv_inner(double x, double y, const Biv *b) {
    double s2 = 1 - b->rho * b->rho;
    double lpxy = -log(2 * M_PI) - 0.5 * log(s2) - (x * x - 2 * b->rho * x * y + y * y) / (2 * s2);
    double lpx = -0.5 * log(2 * M_PI) - 0.5 * x * x;
    double lpy = -0.5 * log(2 * M_PI) - 0.5 * y * y;
    double p = exp(lpxy);
    if (b->mode == 0) return -p * (lpxy - lpx); /* H(Y|X) */
    if (b->mode == 1) return -p * lpxy;         /* H(X,Y) */
    if (b->mode == 2) return -p * lpy;          /* H(Y) */
    /* H(aY|X): density of (x, a y) is p(x, y)/|a| at the point (x, ay) */
    return -p * (lpxy - log(fabs(b->a)) - lpx);
}

static double cond_entropy_quad(double rho, double a, int mode) {
    enum { NQ = 20, PANELS = 12 };
    static double nodes[NQ], weights[NQ];
    if (weights[0] == 0.0) gauss_legendre(NQ, nodes, weights);
    Biv b = {rho, a, mode};
    const double lim = 10.0, pw = 2 * lim / PANELS, s = sqrt(1 - rho * rho);
    double total = 0.0;
    for (int pi = 0; pi < PANELS; pi++)
        for (int i = 0; i < NQ; i++) {
            double x = -lim + pw * (pi + 0.5 + 0.5 * nodes[i]);
            for (int pj = 0; pj < PANELS; pj++)
                for (int j = 0; j < NQ; j++) {
                    double z = -lim + pw * (pj + 0.5 + 0.5 * nodes[j]);
                    //: integrand of eq. [eq:N1.T4.cond_entropy], $y = \rho x + \sqrt{1-\rho^2}z$, $dy = \sqrt{1-\rho^2}dz$
                    total += 0.25 * pw * pw * weights[i] * weights[j] * s * biv_inner(x, rho * x + s * z, &b);
                }
        }
    return total;
}

static void conditional_entropy(void) {
    const double rho = 0.99, closed = 0.5 * log(2 * M_PI * M_E * (1 - rho * rho));
    double h = cond_entropy_quad(rho, 1, 0);
    check_close("N1.T4.gauss_rho099", h, closed, 1e-8, "N1.T4.cond_entropy", "H(Y|X), rho = 0.99: quadrature vs closed form");
    check_close("N1.T4.gauss_rho099_spec", h, -0.5395792, 5e-8, "N1.T4.cond_entropy", "H(Y|X) at rho = 0.99 (spec value)");
    double lo = 0.9, hi = 0.999;
    for (int it = 0; it < 40; it++) {
        double mid = 0.5 * (lo + hi);
        if (cond_entropy_quad(mid, 1, 0) > 0) lo = mid; else hi = mid;
    }
    check_close("N1.T4.zero_crossing", 0.5 * (lo + hi), sqrt(1 - 1 / (2 * M_PI * M_E)), 1e-9, "N1.T4.cond_entropy",
                "rho where the quadrature H(Y|X) crosses 0 (bisection) = sqrt(1 - 1/(2 pi e)) = 0.970284");
    double hxy = cond_entropy_quad(rho, 1, 1), hx = 0.5 * log(2 * M_PI * M_E), hy = cond_entropy_quad(rho, 1, 2);
    check_close("N1.T4.chain_rule", hxy, hx + h, 1e-9, "N1.T4.cond_entropy", "H(X,Y) = H(X) + H(Y|X) (both by quadrature)");
    check_close("N1.T4.scaling", cond_entropy_quad(rho, 3.0, 3), h + log(3.0), 1e-9, "N1.T4.cond_entropy",
                "H(3Y|X) = H(Y|X) + ln 3: differential entropy is not invariant under reparametrisation");
    check_le("N1.T4.conditioning_reduces", h, hy, 0.0, "N1.T4.cond_entropy", "H(Y|X) <= H(Y)");
    check_erratum("N1.T4.negative_entropy", 0.0, h, "E21: the note's H(Y|X) (an entropy, read as >= 0) is -0.54 nats at rho = 0.99");
    /* discrete contrast: a 3x3 table */
    const double t[3][3] = {{0.2, 0.05, 0.05}, {0.1, 0.2, 0.0}, {0.05, 0.05, 0.3}};
    double hcond = 0.0, hjoint = 0.0, hmarg = 0.0;
    for (int i = 0; i < 3; i++) {
        double px = t[i][0] + t[i][1] + t[i][2];
        hmarg -= px * log(px);
        for (int j = 0; j < 3; j++)
            if (t[i][j] > 0) hcond -= t[i][j] * log(t[i][j] / px), hjoint -= t[i][j] * log(t[i][j]);
    }
    check_ge("N1.T4.discrete_nonneg", hcond, 0.0, 0.0, NULL, "discrete H(Y|X) of a 3x3 table is >= 0");
    check_close("N1.T4.discrete_chain", hcond, hjoint - hmarg, 1e-15, NULL, "discrete H(Y|X) = H(X,Y) - H(X)");
}

/*: ## Where the negative entropy comes from: the integrand

The integrand $-p(x,y)\log p(y\mid x)$ of eq. [eq:N1.T4.cond_entropy] at $\rho = 0.99$ lives on a
ridge of width $\sqrt{1-\rho^2} = 0.14$ along $y = \rho x$, where the conditional density exceeds
1 and its logarithm is positive: the integrand is *negative* on the ridge and positive only on
its flanks (figure `cond_entropy_integrand.png`). A second route to $H(Y\mid X)$ is the plain
rectangle rule on the figure's grid ($601^2$ points on $[-6,6]^2$, spacing 0.02, seven points
per ridge width; for a smooth, rapidly decaying integrand it converges faster than any power).
*/
static void integrand_map(const Cli *cli) {
    enum { NG = 601 };
    const double rho = 0.99, lim = 6.0, h = 2 * lim / (NG - 1);
    const Biv b = {rho, 1, 0};
    double *f = xmalloc(sizeof(double) * NG * NG), sum = 0;
    for (int j = 0; j < NG; j++)
        for (int i = 0; i < NG; i++) {
            //: the integrand of eq. [eq:N1.T4.cond_entropy] at $(x_i, y_j)$
            f[j * NG + i] = biv_inner(-lim + h * i, -lim + h * j, &b);
            sum += f[j * NG + i] * h * h;
        }
    check_close("N1.T4.integrand_grid_sum", sum, cond_entropy_quad(rho, 1, 0), 1e-8, "N1.T4.cond_entropy",
                "rho = 0.99: rectangle rule on the figure's 601^2 grid vs the rotated Gauss-Legendre quadrature");
    Plot *p = plot_new(760, 680, "-p(x,y) log p(y|x), rho = 0.99 (negative on the ridge)");
    plot_heatmap(p, f, NG, NG, -lim, lim, -lim, lim, "integrand");
    plot_xlabel(p, "x");
    plot_ylabel(p, "y");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "cond_entropy_integrand.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
    free(f);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "N1 T3/T4: KL divergence (discrete, mixed, singular), conditional entropy", 403, NULL);
    discrete_kl();
    mixed_kl(cli_scale(&cli, 100000, 1000000, 10000000), cli.seed);
    singular_kl(&cli);
    conditional_entropy();
    integrand_map(&cli);
    return check_end();
}
