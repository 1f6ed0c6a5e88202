/*: # N2 B2 — Langevin at fixed temperature, simulated annealing, annealed Langevin

**Study note, bridge lecture B-I, program B2** (spec N004 §3.1 B2). Three samplers share one
update rule, the unadjusted Langevin algorithm (ULA), and differ only in *which law* each step
targets: a fixed Boltzmann law, a tempering path $e^{-E/T(t)}$ with $T\downarrow$ (simulated
annealing, SA), or the convolution path $q_0 * \mathcal N(0,\sigma^2)$ with $\sigma\downarrow$
(annealed Langevin dynamics of NCSN, Song & Ermon 2019). The program measures what each path
does to the result: SA freezes out when the barrier-crossing rate falls below the cooling
rate, and ends with the mode weights of the freeze-out temperature; annealed Langevin along
the convolution path ends with the data's weights.

What you will see: the ULA stationary variance $T/(1-\eta/2)$; the tilted double well's
critical points and equilibrium populations against the spec; SA's final population against
a two-state master equation with Kramers rates and with exact rates (the Fokker–Planck gap of
program 04, common/tridiag.h); Hajek's logarithmic schedule $T = c/\ln(t+t_0)$ converging for
$c > d^*$ and freezing for $c < d^*$ up to $t = 10^6$ (section 3b); annealed Langevin vs plain
Langevin vs tempered SA on a two-mode mixture. Figures: `sa_success_vs_time.png`,
`hajek_log_schedule.png`, `ncsn_vs_tempering.png`.

**GPU path.** Every particle ensemble here (SA in sections 3 and 3b, annealed Langevin, plain
Langevin and tempered SA in section 4) is one call, `goc_anneal_ula` (gpu/gpu_anneal.h): ULA
under a per-step schedule $(a_t, b_t, s_t)$, eq. [eq:common.anneal1d.ula]. With `--gpu on|auto`
and a device the kernel `anneal_ula` runs it alone (float32), otherwise common/anneal1d.h
(double), with the same Philox words for every particle and step, so a seed means the same run.
Every check must pass either way; the kernel-vs-twin parity is `checks/unit/test_gpu_anneal.c`.

Run: `make run L=n2`, or `build/release/bin/lectures/n2_diffusion_annealing/02_langevin_annealing [--gpu auto|off|on]`.

| symbol | C name | shape |
|---|---|---|
| $E(x)$, $E'(x)$ | `energy`, `grad` | functions |
| $\eta$, $T$ | `eta`, `T` | scalars |
| $x_L, x_m, x_R$ | `xl`, `xm`, `xr` | scalars |
| $P_R(T)$ | `p_right` | scalar |
| $k_{LR}, k_{RL}$ | `k_lr`, `k_rl` | scalars |
| $d^*$, $c$, $F = 1 - P_R$ | `dstar`, `cs`, `f` | scalar, (3), (3 x 13) |
| $\sigma_i$, $\alpha_i$ | `sigma`, `alpha` | (L) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/anneal1d.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/plot.h"
#include "common/quadrature.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/tridiag.h"
#include "common/util.h"
#include "gpu/gpu.h"
#include "gpu/gpu_anneal.h"

static const double PI = 3.14159265358979323846;

static void save(Plot *p, const Cli *cli, const char *name) {
    char err[256];
    if (plot_save(p, cli_out_path(cli, name), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

/*: ## 1. ULA and its bias

$$ x_{k+1} = x_k - \eta\nabla E(x_k) + \sqrt{2\eta T}\,\xi_k $$ {#eq:N2.B2.ula}

is the Euler–Maruyama discretisation of $dX = -\nabla E\,dt + \sqrt{2T}\,dW$, whose stationary
law is $\propto e^{-E/T}$. The discrete chain is biased: for $E = x^2/2$ its variance obeys
$v' = (1-\eta)^2v + 2\eta T$, with fixed point $T/(1-\eta/2)$, not $T$.
*/
static void section_ula(const Cli *cli) {
    const long n = cli_scale(cli, 20000, 200000, 1000000);
    const double eta = 0.1, T = 1.0;
    double *x = xmalloc(sizeof(double) * n);
    for (long i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, cli->seed, (uint64_t)i);
        double xi = rng_normal(&r);
        //: eq. [eq:N2.B2.ula] with $\nabla E = x$, 200 steps ($0.9^{400}\approx10^{-18}$ of the start remains)
        for (int k = 0; k < 200; k++) xi = xi - eta * xi + sqrt(2 * eta * T) * rng_normal(&r);
        x[i] = xi;
    }
    double mean, var;
    stats_mean_var(x, (size_t)n, &mean, &var);
    // se of a sample variance of a Gaussian: var sqrt(2/(n-1))
    check_mc("N2.B2.ula_variance", var, T / (1 - eta / 2), var * sqrt(2.0 / (n - 1)), 4, n, "N2.B2.ula",
             "ULA on E = x^2/2, eta = 0.1, T = 1: stationary variance T/(1 - eta/2) = 1.0526316, not T");
    free(x);
}

/*: ## 2. The tilted double well

$E(x) = (x^2-1)^2 - 0.25x$ has minima $x_L < x_m < x_R$ (global at $x_R$), barriers
$\Delta_L = E(x_m) - E(x_L)$, $\Delta_R = E(x_m) - E(x_R)$, and the equilibrium population of the
right well

$$ P_R(T) = \frac{\int_{x>x_m}e^{-E/T}dx}{\int e^{-E/T}dx} . $$ {#eq:N2.B2.p_right}

Kramers' rates (large-barrier asymptotics) are
$k_{LR} = \frac{\sqrt{E''(x_L)\lvert E''(x_m)\rvert}}{2\pi}e^{-\Delta_L/T}$ and likewise
$k_{RL}$ with $x_R$, $\Delta_R$.
*/
static double energy(double x) { return (x * x - 1) * (x * x - 1) - 0.25 * x; }
static double grad(double x) { return 4 * x * (x * x - 1) - 0.25; }
static double curv(double x) { return 12 * x * x - 4; }
static double newton(double x) {
    for (int i = 0; i < 60; i++) x -= grad(x) / curv(x);
    return x;
}
typedef struct {
    double T;
} Temp;
static double boltz(double x, void *c) { return exp(-energy(x) / ((Temp *)c)->T); }
static double p_right(double T, double xm) {
    Temp c = {T};
    double l = quad_gauss_legendre_composite(boltz, &c, -3, xm, 30, 60), r = quad_gauss_legendre_composite(boltz, &c, xm, 3, 30, 60);
    return r / (l + r);
}

typedef struct {
    double xl, xm, xr;
} Wells;

static Wells section_double_well(void) {
    Wells w = {newton(-1.0), newton(0.0), newton(1.0)};
    check_close("N2.B2.x_left", w.xl, -0.9671489, 1e-7, NULL, "left minimum of E (Newton) vs spec");
    check_close("N2.B2.x_saddle", w.xm, -0.0627470, 1e-7, NULL, "saddle of E vs spec");
    check_close("N2.B2.x_right", w.xr, 1.0298960, 1e-7, NULL, "right (global) minimum vs spec");
    check_close("N2.B2.barrier_left", energy(w.xm) - energy(w.xl), 0.7618645, 1e-7, NULL, "barrier from the left well");
    check_close("N2.B2.barrier_right", energy(w.xm) - energy(w.xr), 1.2616191, 1e-7, NULL, "barrier from the right well");
    const double Ts[6] = {1, 0.5, 0.3, 0.2, 0.1, 0.05};
    const double ref[6] = {0.6132858, 0.7095523, 0.8228619, 0.9148004, 0.9925417, 0.9999496};
    double worst = 0;
    double worst_simpson = 0;
    for (int k = 0; k < 6; k++) {
        double pr = p_right(Ts[k], w.xm);
        Temp c = {Ts[k]};
        //: second route: composite Simpson, $2\cdot10^5$ intervals on each side of $x_m$
        double l = quad_simpson(boltz, &c, -3, w.xm, 200000), r = quad_simpson(boltz, &c, w.xm, 3, 200000);
        worst_simpson = fmax(worst_simpson, fabs(pr - r / (l + r)));
        worst = fmax(worst, fabs(pr - ref[k]));
        printf("T = %4.2f: P_R = %.9f (spec %.7f)\n", Ts[k], pr, ref[k]);
    }
    check_close("N2.B2.p_right_two_rules", worst_simpson, 0, 1e-10, "N2.B2.p_right",
                "P_R(T) at six T: Gauss-Legendre and Simpson agree");
    check_close("N2.B2.p_right_table", worst, 0, 1e-5, "N2.B2.p_right",
                "P_R(T) vs the spec table: agrees to 1e-6 for T <= 0.3; the spec's T = 1 and 0.5 entries are 8.5e-6 and 4e-6 low");
    return w;
}

/*: ## 3. Simulated annealing freezes out

SA runs eq. ula with $T(t) = T_0(T_1/T_0)^{t/t_{tot}}$, $T_0 = 1$, $T_1 = 0.05$. Reduced to the
two wells, the population obeys

$$ \dot P_R = k_{LR}(T)(1-P_R) - k_{RL}(T)P_R . $$ {#eq:N2.B2.master}

While $k_{LR}+k_{RL}$ exceeds the cooling rate, $P_R$ follows $P_R^{eq}(T)$; below that it
freezes — SA's analogue of Kibble–Zurek. The program integrates eq. master with Kramers'
rates and with *exact* rates: the total rate is the Fokker–Planck gap $E_1(T)$ of $D\partial^2
- E'\partial$ with $D = T$ (birth–death chain on 2000 points, as in program 04), split by
detailed balance $k_{LR}/k_{RL} = P_R^{eq}/(1-P_R^{eq})$. Particles start from the $T = 1$
equilibrium (inverse-CDF draws), one Philox stream each, ULA step $\eta = 0.01$; the noise
is common/anneal1d.h's layout (a second seed), so the GPU kernel draws the same numbers.
*/
typedef struct {
    int n;
    double logT[240], loggap[240], pr[240];
} RateTable;

static double fp_gap(double T) {
    const int n = 2000;
    const double X = 2.2, h = 2 * X / (n - 1);
    double *pi = xmalloc(sizeof(double) * n), *c = xmalloc(sizeof(double) * n), emin = INFINITY;
    for (int i = 0; i < n; i++) emin = fmin(emin, energy(-X + h * i));
    for (int i = 0; i < n; i++) pi[i] = exp(-(energy(-X + h * i) - emin) / T);
    for (int i = 0; i < n - 1; i++) c[i] = sqrt(pi[i] * pi[i + 1]);
    //: total rate = FP gap, $E_1 = \frac{T}{h^2}\lambda$, eq. [eq:common.tridiag.birth_death]
    double g = T / (h * h) * birth_death_gap(n, pi, c, NULL);
    free(pi), free(c);
    return g;
}

static void rates(const RateTable *tab, const Wells *w, double T, int exact, double *k_lr, double *k_rl) {
    if (!exact) {
        double pre_l = sqrt(curv(w->xl) * fabs(curv(w->xm))) / (2 * PI), pre_r = sqrt(curv(w->xr) * fabs(curv(w->xm))) / (2 * PI);
        *k_lr = pre_l * exp(-(energy(w->xm) - energy(w->xl)) / T);
        *k_rl = pre_r * exp(-(energy(w->xm) - energy(w->xr)) / T);
        return;
    }
    double u = (log(T) - tab->logT[0]) / (tab->logT[1] - tab->logT[0]);
    int j = (int)floor(u);
    if (j < 0) j = 0;
    if (j > tab->n - 2) j = tab->n - 2;
    double f = u - j, g = exp(tab->loggap[j] + f * (tab->loggap[j + 1] - tab->loggap[j])),
           pr = tab->pr[j] + f * (tab->pr[j + 1] - tab->pr[j]);
    *k_lr = g * pr, *k_rl = g * (1 - pr);
}

static double master(const RateTable *tab, const Wells *w, double t_tot, int exact) {
    const double T0 = 1.0, T1 = 0.05;
    double P = p_right(T0, w->xm);
    const int steps = 20000;
    const double dt = t_tot / steps;
    for (int k = 0; k < steps; k++) {
        double t = k * dt, kk[4], Ps = P;
        for (int s = 0; s < 4; s++) {
            double ts = t + (s == 0 ? 0 : s == 3 ? dt : 0.5 * dt), T = T0 * pow(T1 / T0, ts / t_tot), klr, krl;
            rates(tab, w, T, exact, &klr, &krl);
            double Pin = s == 0 ? P : s == 3 ? P + dt * kk[2] : P + 0.5 * dt * kk[s - 1];
            //: eq. [eq:N2.B2.master] (RK4)
            kk[s] = klr * (1 - Pin) - krl * Pin;
        }
        Ps += dt / 6 * (kk[0] + 2 * kk[1] + 2 * kk[2] + kk[3]);
        P = Ps;
    }
    return P;
}

/* equilibrium e^{-E/T} on [-2.5, 2.5] by a tabulated (trapezoid) inverse CDF */
enum { NG = 20001 };
typedef struct {
    double cdf[NG];
} EqSampler;
static const double EQ_LO = -2.5, EQ_H = 5.0 / (NG - 1);

static void eq_sampler_init(EqSampler *s, double T) {
    s->cdf[0] = 0;
    for (int i = 1; i < NG; i++)
        s->cdf[i] = s->cdf[i - 1] + 0.5 * EQ_H * (exp(-energy(EQ_LO + EQ_H * (i - 1)) / T) + exp(-energy(EQ_LO + EQ_H * i) / T));
}

static double eq_draw(const EqSampler *s, Rng *r) {
    double u = rng_uniform(r) * s->cdf[NG - 1];
    int a = 0, b = NG - 1;
    while (b - a > 1) {
        int mid = (a + b) / 2;
        if (s->cdf[mid] < u) a = mid;
        else b = mid;
    }
    return EQ_LO + EQ_H * (a + (u - s->cdf[a]) / (s->cdf[b] - s->cdf[a]));
}

/* the force -E'(x) = 0.25 + 4x - 4x^3 as polynomial coefficients (common/anneal1d.h) */
static const double FORCE[4] = {0.25, 4, 0, -4};

static void section_sa(const Cli *cli, const Wells *w, GpuContext *g) {
    static RateTable tab;
    tab.n = 200;
    for (int i = 0; i < tab.n; i++) {
        double T = 0.04 * pow(1.1 / 0.04, (double)i / (tab.n - 1));
        tab.logT[i] = log(T), tab.loggap[i] = log(fp_gap(T)), tab.pr[i] = p_right(T, w->xm);
    }
    // initial law: T = 1 equilibrium by a tabulated inverse CDF
    static EqSampler eq;
    eq_sampler_init(&eq, 1.0);
    const int nt = cli->scale == SCALE_QUICK ? 2 : 3;
    const double ttot[3] = {10, 100, 1000};
    const long n_all = cli_scale(cli, 300, 1000, 20000);
    const double eta = 0.01;
    double tx[3], p_sim[3], p_kr[3], p_ex[3];
    for (int q = 0; q < nt; q++) {
        long steps = (long)(ttot[q] / eta), right = 0, n = q == 2 ? n_all / 2 : n_all;
        double *x = xmalloc(sizeof(double) * n), *sched = xmalloc(sizeof(double) * 3 * steps);
        for (long i = 0; i < n; i++) {
            Rng r;
            rng_init(&r, cli->seed + 100 + q, (uint64_t)i);
            x[i] = eq_draw(&eq, &r);
        }
        for (long k = 0; k < steps; k++) {
            //: eq. [eq:N2.B2.ula] at $T(t)$, $T$ at the middle of step $k$: $0.05^{(k+1/2)/\mathrm{steps}}$ (simulated annealing)
            sched[3 * k] = eta, sched[3 * k + 1] = sqrt(2 * eta * pow(0.05, (k + 0.5) / steps)), sched[3 * k + 2] = 0;
        }
        const Anneal1dUla job = {ANNEAL1D_POLY, 3, FORCE, sched, steps, 0, cli->seed + 1100 + q};
        GocWhere where = goc_anneal_ula(g, &job, x, n); /* the particles: GPU kernel or CPU path */
        for (long i = 0; i < n; i++) right += x[i] > w->xm;
        free(x), free(sched);
        p_sim[q] = (double)right / n, tx[q] = ttot[q];
        printf("t_tot = %g: %ld particles x %ld steps ran on the %s\n", ttot[q], n, steps, goc_where_name(where));
        p_kr[q] = master(&tab, w, ttot[q], 0), p_ex[q] = master(&tab, w, ttot[q], 1);
        double se = sqrt(p_ex[q] * (1 - p_ex[q]) / n);
        printf("t_tot = %6g: SA particles P_R = %.4f (se %.4f); master eq. Kramers %.4f, exact rates %.4f\n", ttot[q],
               p_sim[q], se, p_kr[q], p_ex[q]);
        char id[64];
        snprintf(id, sizeof id, "N2.B2.sa_vs_master_exact_t%g", ttot[q]);
        check_close(id, p_sim[q], p_ex[q], 0.02 + 4 * se, "N2.B2.master",
                    "t_tot = %g: SA final P_R vs two-state master eq. with exact (FP-gap) rates: 0.02 + 4 se (n = %ld)", ttot[q], n);
        snprintf(id, sizeof id, "N2.B2.sa_vs_master_kramers_t%g", ttot[q]);
        check_close(id, p_sim[q], p_kr[q], 0.05 + 4 * se, "N2.B2.master",
                    "t_tot = %g: the same with Kramers rates (asymptotic in dE/T ~ 2.5-5 near freeze-out): 0.05 + 4 se", ttot[q]);
    }
    Plot *p = plot_new(800, 500, "simulated annealing T: 1 -> 0.05 on the tilted double well");
    plot_series_marker(plot_scatter(p, tx, p_sim, nt, "SA particles (ULA)"), 5);
    plot_line(p, tx, p_ex, nt, "master eq., exact rates");
    plot_line(p, tx, p_kr, nt, "master eq., Kramers rates");
    plot_hline(p, p_right(0.05, w->xm), "P_R at T = 0.05");
    plot_xlabel(p, "t_tot (log-spaced)");
    plot_ylabel(p, "final P(x > x_m)");
    save(p, cli, "sa_success_vs_time.png");
}

/*: ## 3b. Hajek's logarithmic schedule and the critical depth

Hajek (1988) answers how slowly one must cool for SA to converge: with
$T(t) = c/\ln(t + t_0)$ the probability of ending in the global minimum tends to 1 if and only
if $c \ge d^*$, the depth of the deepest well that is not the global one. Here $d^*$ is the
barrier seen from the left well, $d^* = E(x_m) - E(x_L) = 0.7618645$. The two-state equation
shows why: with an Arrhenius rate $k_{LR} = A e^{-d^* / T}$ the schedule gives
$k_{LR}(t) = A (t + t_0)^{-d^* / c}$, and a particle left behind escapes with probability one
iff $\int^\infty k_{LR}\,dt = \infty$, i.e. iff $d^* / c \le 1$. For $c < d^*$, neglecting the
backward rate, the failure probability $F = 1 - P_R$ freezes at

$$ F(t_2) = F(t_1)\exp\Big(-\frac{A\big[(t_1+t_0)^{1-d^* / c} - (t_2+t_0)^{1-d^* / c}\big]}{d^* / c - 1}\Big) , $$ {#eq:N2.B2.hajek_tail}

while for $c > d^*$ it keeps following the equilibrium $1 - P_R^{eq}(T(t))$, which only falls
like a power of $t$ — convergence, but slow. The program integrates eq. [eq:N2.B2.master]
with exact (FP-gap) rates up to $t = 10^6$ in the variable $\ln(t + t_0)$, $t_0 = e$ (so
$T(0) = c$), for $c = 0.6 < d^*$, $c = d^*$ and $c = 1 > d^*$ (the rate table stops at $T = 0.04$, reached by $c = 0.6$ only after $t = 10^6$), beside the geometric schedule
of section 3 stretched to the same $t_{tot}$, and checks the particles against the master
equation up to $t = 10^3$.
*/
/* failure F = 1 - P_R at the times t_out[] under T = c / ln(t + e), exact (FP-gap) or Kramers rates */
static void master_log(const RateTable *tab, const Wells *w, int exact, double c, const double *t_out, double *f_out, int nout) {
    const double t0 = exp(1.0);
    double P = p_right(c, w->xm), u = 1.0;
    const double du = 2e-4;
    int q = 0;
    while (q < nout) {
        double u_next = fmin(u + du, log(t_out[q] + t0)), h = u_next - u, kk[4];
        for (int st = 0; st < 4; st++) {
            double us = u + (st == 0 ? 0 : st == 3 ? h : 0.5 * h), T = c / us, klr, krl;
            rates(tab, w, T, exact, &klr, &krl);
            double Pin = st == 0 ? P : st == 3 ? P + h * kk[2] : P + 0.5 * h * kk[st - 1];
            //: eq. [eq:N2.B2.master] in $u = \ln(t + t_0)$: $dP_R/du = e^u\,[k_{LR}(1-P_R) - k_{RL}P_R]$
            kk[st] = exp(us) * (klr * (1 - Pin) - krl * Pin);
        }
        P += h / 6 * (kk[0] + 2 * kk[1] + 2 * kk[2] + kk[3]);
        u = u_next;
        if (u >= log(t_out[q] + t0)) f_out[q++] = 1 - P;
    }
}

static void section_hajek(const Cli *cli, const Wells *w, GpuContext *g) {
    static RateTable tab;
    tab.n = 240;
    for (int i = 0; i < tab.n; i++) {
        double T = 0.04 * pow(1.1 / 0.04, (double)i / (tab.n - 1)); /* fp_gap's grid: T >= 0.04 */
        tab.logT[i] = log(T), tab.loggap[i] = log(fp_gap(T)), tab.pr[i] = p_right(T, w->xm);
    }
    const double dstar = energy(w->xm) - energy(w->xl), cs[3] = {0.6, dstar, 1.0};
    enum { NO = 13 };
    double tt[NO], f[3][NO], feq[NO], fgeo[NO];
    for (int k = 0; k < NO; k++) tt[k] = pow(10.0, 0.5 * k);
    for (int q = 0; q < 3; q++) master_log(&tab, w, 1, cs[q], tt, f[q], NO);
    for (int k = 0; k < NO; k++) feq[k] = 1 - p_right(1.0 / log(tt[k] + exp(1.0)), w->xm);
    printf("Hajek: d* = %.7f.  failure 1 - P_R (two-state master eq., exact rates):\n      t   c=0.6    c=d*     c=1.0    eq(T_c=1(t))  geometric 1->0.05 over t\n", dstar);
    for (int k = 0; k < NO; k++) {
        fgeo[k] = k >= 2 && k <= 8 ? 1 - master(&tab, w, tt[k], 1) : NAN; /* RK4 in t: stable up to t_tot = 1e4 */
        if (k % 2 == 0)
            printf("%8.0e  %.3e  %.3e  %.3e  %.3e     %.3e\n", tt[k], f[0][k], f[1][k], f[2][k], feq[k], fgeo[k]);
    }
    // c < d*: Kramers-rate master equation against the closed-form tail, then the exact rates
    const double A = sqrt(curv(w->xl) * fabs(curv(w->xm))) / (2 * PI), t0 = exp(1.0), c = 0.6, ex = dstar / c;
    double fk[NO];
    master_log(&tab, w, 0, c, tt, fk, NO);
    //: eq. [eq:N2.B2.hajek_tail] between $t_1 = 10^4$ and $t_2 = 10^6$
    double tail = exp(-A * (pow(tt[8] + t0, 1 - ex) - pow(tt[12] + t0, 1 - ex)) / (ex - 1));
    // the neglected backward flux adds at most int k_RL dt (closed form, exponent d_R / c > 1) to F(t2)
    const double AR = sqrt(curv(w->xr) * fabs(curv(w->xm))) / (2 * PI), exr = (energy(w->xm) - energy(w->xr)) / c;
    double back = AR * pow(tt[8] + t0, 1 - exr) / (exr - 1) / fk[12];
    check_close("N2.B2.hajek_tail_kramers", fk[12] / fk[8], tail, back * (fk[12] / fk[8]), "N2.B2.hajek_tail",
                "c = 0.6 < d*: F(1e6)/F(1e4) of the Kramers-rate master eq. (RK4 in ln t) vs the closed-form tail; bound: the neglected backward flux, %.1e relative", back);
    check_close("N2.B2.hajek_freezes", f[0][12] / f[0][8], tail, 0.25 * (1 - tail), "N2.B2.hajek_tail",
                "c = 0.6 < d*: with exact rates F levels off at %.4f: F(1e6)/F(1e4) = the Kramers tail %.5f, to 25%% of its exponent (exact/Kramers rate 0.9-0.98)",
                f[0][12], tail);
    check_rel("N2.B2.hajek_converges", f[2][12], feq[12], 0.05, "N2.B2.p_right",
              "c = 1 > d*: F(1e6) follows the equilibrium 1 - P_R(T = 1/ln(1e6 + e)) by quadrature (lag ~ (dlnF_eq/dt)/k ~ 2%%)");
    check_le("N2.B2.hajek_keeps_falling", f[2][12] / f[2][8], 0.2, 0, "N2.B2.master",
             "c = 1 > d*: F(1e6)/F(1e4) = %.3f: the failure keeps decreasing (vs %.3f for c = 0.6)", f[2][12] / f[2][8], f[0][12] / f[0][8]);
    // particles: ULA under T = c / ln(t + e) from the T = c equilibrium, up to t = 1e3 (1e2 quick)
    const int kp = cli->scale == SCALE_QUICK ? 4 : 6;
    const long np = cli_scale(cli, 200, 400, 4000), steps = (long)(tt[kp] / 0.01);
    for (int q = 0; q < 3; q += 2) {
        static EqSampler eq;
        eq_sampler_init(&eq, cs[q]);
        long right = 0;
        double *x = xmalloc(sizeof(double) * np), *sched = xmalloc(sizeof(double) * 3 * steps);
        for (long i = 0; i < np; i++) {
            Rng r;
            rng_init(&r, cli->seed + 200 + q, (uint64_t)i);
            x[i] = eq_draw(&eq, &r);
        }
        for (long k = 0; k < steps; k++) {
            //: eq. [eq:N2.B2.ula] at $T = c/\ln(t + t_0)$, $t$ at the middle of the step
            sched[3 * k] = 0.01, sched[3 * k + 1] = sqrt(2 * 0.01 * cs[q] / log((k + 0.5) * 0.01 + t0)), sched[3 * k + 2] = 0;
        }
        const Anneal1dUla job = {ANNEAL1D_POLY, 3, FORCE, sched, steps, 0, cli->seed + 1200 + q};
        goc_anneal_ula(g, &job, x, np);
        for (long i = 0; i < np; i++) right += x[i] > w->xm;
        free(x), free(sched);
        double fp = 1 - (double)right / np, se = sqrt(f[q][kp] * (1 - f[q][kp]) / np);
        char id[48];
        snprintf(id, sizeof id, "N2.B2.hajek_particles_c%g", cs[q]);
        check_close(id, fp, f[q][kp], 0.02 + 4 * se, "N2.B2.master",
                    "c = %g, t = %g: ULA particles' failure vs the master eq. with exact rates: 0.02 + 4 se (n = %ld), as in section 3",
                    cs[q], tt[kp], np);
    }
    Plot *p = plot_new(800, 500, "SA on the tilted double well: logarithmic schedules T = c / ln(t + e)");
    double lt[NO];
    for (int k = 0; k < NO; k++) lt[k] = log10(tt[k]);
    plot_ylog(p, 1);
    plot_line(p, lt, f[0], NO, "c = 0.6 < d* (freezes)");
    plot_line(p, lt, f[1], NO, "c = d* = 0.762");
    plot_line(p, lt, f[2], NO, "c = 1 > d*");
    plot_line(p, lt, feq, NO, "equilibrium 1 - P_R(T_{c=1}(t))");
    plot_line(p, lt + 2, fgeo + 2, 7, "geometric 1 -> 0.05 over t_tot = t");
    plot_xlabel(p, "log10 t");
    plot_ylabel(p, "failure 1 - P_R (master eq., exact rates)");
    save(p, cli, "hajek_log_schedule.png");
}

/*: ## 4. Convolution path vs tempering path on a two-mode mixture

Data $q_0 = 0.8\,\mathcal N(-4, 0.1^2) + 0.2\,\mathcal N(4, 1)$. Annealed Langevin (NCSN,
Algorithm 1) uses the exact score of $q_\sigma = q_0 * \mathcal N(0,\sigma^2)$ — still a mixture
with weights $(0.8, 0.2)$ — at $L = 20$ geometric levels $\sigma = 10\to0.01$, 300 steps each
($\epsilon = 2\cdot10^{-5}$):

$$ x \leftarrow x + \tfrac{\alpha_i}2\nabla\log q_{\sigma_i}(x) + \sqrt{\alpha_i}\,z,\qquad \alpha_i = \epsilon\,\sigma_i^2/\sigma_L^2 . $$ {#eq:N2.B2.ald}

At large $\sigma$ the modes overlap and particles move freely between them *with the right
proportions*, because every $q_\sigma$ carries the data's weights; as $\sigma$ shrinks they
only refine their position. The convolution path freezes too — once the modes separate
(here near $\sigma\approx2$) no particle crosses — but the basin fraction it freezes at,
$P_\sigma(x<0) = 0.8\,\Phi(4/\sqrt{0.01+\sigma^2}) + 0.2\,\Phi(-4/\sqrt{1+\sigma^2})$, is
already close to 0.8 (0.789 at $\sigma = 2$), so the final weight is 0.78, not the spec's
$0.8\pm0.005$: its remaining bias is the wide component's tail that sat at $x<0$ at
freeze-out. Smaller steps freeze earlier (0.778 at $\epsilon = 10^{-5}$), not later. Plain Langevin at $\sigma_L$ from a broad start instead keeps
whatever basin each particle started in, and tempered SA ($T = 100\to1$ on $E = -\log q_0$, same
number of steps, fixed step $\eta = 0.005$) ends with the weights of its freeze-out
temperature, $\tilde w\propto w^\beta s^{1-\beta}$ of program 01, which favour the wide mode.
*/
/* q_0 as the mixture table of common/anneal1d.h: (log weight, mean, variance) per component */
static const double MIX[6] = {-0.22314355131420976, -4, 0.01, -1.6094379124341003, 4, 1};

static void section_ncsn(const Cli *cli, GpuContext *g) {
    const long n = cli_scale(cli, 500, 4000, 100000);
    enum { L = 20, PER = 300 };
    const double eps = 2e-5, s1 = 10, sL = 0.01;
    double *xa = xmalloc(sizeof(double) * n), *xp = xmalloc(sizeof(double) * n), *xt = xmalloc(sizeof(double) * n);
    double *sa = xmalloc(sizeof(double) * 3 * L * PER), *sp = xmalloc(sizeof(double) * 3 * L * PER),
           *st = xmalloc(sizeof(double) * 3 * L * PER);
    long left_a = 0, left_p = 0, left_t = 0, left_level[L] = {0};
    for (long i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, cli->seed + 7, (uint64_t)i);
        xa[i] = 10 * rng_normal(&r), xp[i] = 10 * rng_normal(&r), xt[i] = 10 * rng_normal(&r);
    }
    for (int l = 0; l < L; l++) {
        double sigma = s1 * pow(sL / s1, (double)l / (L - 1)), alpha = eps * sigma * sigma / (sL * sL);
        double T = 100 * pow(0.01, (double)l / (L - 1)), eta = 0.005; /* stable on the narrow mode: eta/0.01 < 2 */
        for (int k = 0; k < PER; k++) {
            double *a = sa + 3 * (l * PER + k), *p = sp + 3 * (l * PER + k), *t = st + 3 * (l * PER + k);
            //: eq. [eq:N2.B2.ald]: $a = \alpha_i/2$, $b = \sqrt{\alpha_i}$, score of $q_{\sigma_i}$
            a[0] = 0.5 * alpha, a[1] = sqrt(alpha), a[2] = sigma * sigma;
            //: plain Langevin at $\sigma_L$: $a = \epsilon/2$, $b = \sqrt\epsilon$
            p[0] = 0.5 * eps, p[1] = sqrt(eps), p[2] = sL * sL;
            //: tempered SA: $z \leftarrow z + \eta\nabla\log q_0(z) + \sqrt{2\eta T}\,\xi$
            t[0] = eta, t[1] = sqrt(2 * eta * T), t[2] = 0;
        }
    }
    GocWhere where = GOC_CPU;
    for (int l = 0; l < L; l++) { /* ALD level by level, to record the fraction x < 0 after each */
        const Anneal1dUla ald = {ANNEAL1D_MIX, 2, MIX, sa + 3 * l * PER, PER, (uint32_t)(l * PER), cli->seed + 1007};
        where = goc_anneal_ula(g, &ald, xa, n);
        for (long i = 0; i < n; i++) left_level[l] += xa[i] < 0;
    }
    const Anneal1dUla plain = {ANNEAL1D_MIX, 2, MIX, sp, L * PER, 0, cli->seed + 1008};
    const Anneal1dUla tempered = {ANNEAL1D_MIX, 2, MIX, st, L * PER, 0, cli->seed + 1009};
    goc_anneal_ula(g, &plain, xp, n);
    goc_anneal_ula(g, &tempered, xt, n);
    printf("%ld x 3 ensembles of %d steps ran on the %s\n", n, L * PER, goc_where_name(where));
    for (long i = 0; i < n; i++) left_a += xa[i] < 0, left_p += xp[i] < 0, left_t += xt[i] < 0;
    free(sa), free(sp), free(st);
    double wa = (double)left_a / n, wp = (double)left_p / n, wt = (double)left_t / n;
    printf("narrow-mode weight: annealed Langevin %.4f, plain Langevin at sigma_L %.4f, tempered SA %.4f (data 0.8)\n", wa, wp, wt);
    // the basin fraction P_sigma(x < 0) of the convolution path, level by level
    double worst_z = 0;
    for (int l = 0; l < L; l++) {
        double sigma = s1 * pow(sL / s1, (double)l / (L - 1));
        //: $P_\sigma(x<0) = 0.8\,\Phi(4/\sqrt{0.01+\sigma^2}) + 0.2\,\Phi(-4/\sqrt{1+\sigma^2})$
        double ex = 0.8 * 0.5 * erfc(-4 / sqrt(2 * (0.01 + sigma * sigma))) + 0.2 * 0.5 * erfc(4 / sqrt(2 * (1 + sigma * sigma)));
        double fr = (double)left_level[l] / n, z = (fr - ex) / sqrt(ex * (1 - ex) / n);
        printf("level %2d sigma = %7.4f: fraction x<0 = %.4f, convolution path P_sigma(x<0) = %.4f (z = %+.1f)\n", l, sigma, fr, ex, z);
        if (sigma >= 3) worst_z = fmax(worst_z, fabs(z));
    }
    check_le("N2.B2.ald_tracks_path", worst_z, 4, 0, "N2.B2.ald",
             "at every level with sigma >= 3 the ALD fraction x<0 equals the convolution path's P_sigma(x<0) (max |z|)");
    check_close("N2.B2.ald_weight", wa, 0.8, 0.03 + 4 * sqrt(0.16 / n), "N2.B2.ald",
                "ALD ends within 0.03 of the data weight 0.8 (+ 4 SE = %.3f, n = %ld): it freezes once the modes separate (sigma < 1.5), where P_sigma(x<0) > 0.79",
                4 * sqrt(0.16 / n), n);
    check_ge("N2.B2.plain_langevin_off", fabs(wp - 0.8) - 4 * sqrt(0.16 / n), 0.05, 0, "N2.B2.ula",
             "plain Langevin at sigma_L from N(0, 100): |weight - 0.8| - 4 se >= 0.05 (basin capture)");
    check_ge("N2.B2.tempered_off", fabs(wt - 0.8) - 4 * sqrt(0.16 / n), 0.05, 0, "N2.B2.ula",
             "tempered SA (T 100 -> 1, same steps): |weight - 0.8| - 4 se >= 0.05 (frozen tempering weights)");
    enum { NB = 120 };
    double xc[NB], ha[NB] = {0}, hp[NB] = {0}, ht[NB] = {0}, bw = 16.0 / NB;
    for (int b = 0; b < NB; b++) xc[b] = -8 + (b + 0.5) * bw;
    for (long i = 0; i < n; i++) {
        int a = (int)floor((xa[i] + 8) / bw), b = (int)floor((xp[i] + 8) / bw), c = (int)floor((xt[i] + 8) / bw);
        if (a >= 0 && a < NB) ha[a] += 1.0 / (n * bw);
        if (b >= 0 && b < NB) hp[b] += 1.0 / (n * bw);
        if (c >= 0 && c < NB) ht[c] += 1.0 / (n * bw);
    }
    Plot *p = plot_new(850, 500, "final samples: convolution path (ALD) vs plain Langevin vs tempering (SA)");
    plot_line(p, xc, ha, NB, "annealed Langevin");
    plot_line(p, xc, hp, NB, "plain Langevin at sigma_L");
    plot_line(p, xc, ht, NB, "tempered SA");
    plot_ylog(p, 1);
    plot_ylim(p, 1e-3, 10);
    plot_xlabel(p, "x");
    save(p, cli, "ncsn_vs_tempering.png");
    free(xa), free(xp), free(xt);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "N2 B2: ULA bias, tilted double well, SA freeze-out vs master equation, ALD vs tempering", 202, NULL);
    section_ula(&cli);
    Wells w = section_double_well();
    char why[256];
    GpuContext *g = gpu_open(cli.gpu, NULL, why, sizeof why); /* prints "backend: ..."; NULL = CPU */
    section_sa(&cli, &w, g);
    section_hajek(&cli, &w, g);
    section_ncsn(&cli, g);
    gpu_close(g);
    return check_end();
}
