/*: # anneal1d — ensembles of one-dimensional annealing chains (CPU path, double)

Introduced by the study note's bridge lectures (lectures/n2_diffusion_annealing: simulated
annealing and annealed Langevin in B2, annealed importance sampling in B5). Both are many
independent 1-D chains whose update changes along a schedule; the GPU runs the same chains as
the kernels of gpu/gpu_anneal.h, with the **same Philox words** for every chain and step
(layout in gpu/gpu_anneal_shared.h), so a seed means the same run on either device.

**ULA under a schedule.** Step $t$ of chain $c$ is
$$ x \leftarrow x + a_t\,F(x; s_t) + b_t\,z_{c,t}, $$ {#eq:common.anneal1d.ula}
with $F$ a polynomial force ($F = -E'$ for simulated annealing, $a_t = \eta$, $b_t = \sqrt{2\eta T_t}$)
or the score of a 1-D Gaussian mixture convolved with $\mathcal N(0, s_t)$ (annealed Langevin,
$a_t = \alpha_t/2$, $b_t = \sqrt{\alpha_t}$, $s_t = \sigma_t^2$). $z_{c,t}$: the Box–Muller pair of
Philox block $\lfloor t/2\rfloor$ of stream $(c, 0)$, computed here in double from the same words.

**AIS with Metropolis moves.** On the path $\log f_\lambda(x) = -(1-\lambda)x^2/2 - \lambda E_1(x)$,
$\lambda_0, \dots, \lambda_K$, a chain adds $\log f_{\lambda_k}(x) - \log f_{\lambda_{k-1}}(x)$ to its log-weight
and then, for $k < K$, makes $m$ Metropolis moves at $\lambda_k$ with the uniform proposal
$y = x + h(2u-1)$ (symmetric, so the acceptance is $\min(1, f(y)/f(x))$). A decreasing table
$\lambda$ runs the reverse protocol (Crooks).
*/
#ifndef COMMON_ANNEAL1D_H
#define COMMON_ANNEAL1D_H

#include <stdint.h>

#define ANNEAL1D_POLY 0 /* = GPU_ANNEAL_POLY */
#define ANNEAL1D_MIX 1  /* = GPU_ANNEAL_MIX */
#define ANNEAL1D_MAX_K 8

typedef struct {
    int model;           /* ANNEAL1D_POLY or ANNEAL1D_MIX */
    int k;               /* polynomial degree, or number of mixture components */
    const double *table; /* POLY: c_0 .. c_k of F(x) = sum c_j x^j; MIX: k x (log pi, mu, v) */
    const double *sched; /* nsteps x (a, b, s) */
    long nsteps;
    uint32_t step0;      /* global noise index of the schedule's first step */
    uint64_t seed;
} Anneal1dUla;

typedef struct {
    int deg;             /* E1(x) = sum_{j <= deg} e1[j] x^j */
    const double *e1;
    const double *lam;   /* lambda_0 .. lambda_K */
    int K, m;            /* K switches, m moves after each but the last */
    double h;            /* proposal half-width */
    uint64_t seed;
} Anneal1dAis;

/* F(x; s) of eq. [eq:common.anneal1d.ula] */
double anneal1d_force(int model, int k, const double *table, double x, double s);
/* every chain x[0..n) through the schedule (in place); OpenMP over chains, thread-independent */
void anneal1d_ula(const Anneal1dUla *job, double *x, long n);
/* log f_lambda(x) */
double anneal1d_log_f(const Anneal1dAis *job, double lam, double x);
/* AIS: x[] holds the start points (drawn from f_{lambda_0}) and receives the end points;
   logw[] receives log w */
void anneal1d_ais(const Anneal1dAis *job, double *x, double *logw, long n);

#endif
