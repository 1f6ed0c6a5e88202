/*: # gm_fm — flow matching and rectified flow of lecture 42 (4.3) as a GenModel

Introduced in L42 4.3 (`lectures/42_unified/08_flow_matching_rectified.c`, which derives the loss
[eq:L42.4.3.fm_loss], the sampling direction (B9), the probability-flow likelihood
[eq:L42.4.3.pf_loglik] and reflow (B10), and checks them); shared with the benchmark of 5.3 (14).

A velocity MLP $(x, t)\mapsto v_\theta(x, t)$, $(D+1)\to H\to H\to D$ with SiLU, trained on
$x_t = (1-t)x_0 + t x_1$, $u_t = x_1 - x_0$ with $x_1\sim\mathcal N(0, I)$ (or, for reflow,
$x_1$ coupled to $x_0$: training rows $(x_0, x_1)$ of $2D$ floats). Sampling integrates
$\dot x = v_\theta$ by Euler from $t = 1$ (noise) to $t = 0$ (data); the log-likelihood
integrates the probability-flow ODE by RK4 from $t = 0$ to 1 with the exact divergence ($D$
backward passes per stage, so it is meant for small $D$).
*/
#ifndef COMMON_GM_FM_H
#define COMMON_GM_FM_H

#include "common/genmodel.h"

typedef struct {
    NnMlp net;        /* (x, t) D+1 -> H -> H -> D, SiLU */
    int dim;          /* D */
    int paired;       /* training rows are (x0, x1) couplings (reflow) instead of x0 alone */
    int sample_steps; /* Euler steps of sample() (50, the lecture's) */
    long net_rows;    /* rows evaluated by gm_fm_integrate (a counter for 5.3) */
} GmFm;

void gm_fm_init(GenModel *m, int dim, int hidden, int paired, Rng *rng);
/* v(x, t) for a batch: x (n, D) tensor, t (n) values. */
AdTensor *gm_fm_velocity(AdArena *arena, GmFm *fm, AdTensor *x, const double *t, int n);
/* Euler from t = 1 to 0 in `steps` steps; x (n, D) in place; traj (optional): (steps+1) x n x D;
   returns the straightness S = mean over steps and points of |v - (x1 - x0)|^2. */
double gm_fm_integrate(GmFm *fm, float *x, int n, int steps, float *traj);
/* v at (xp, t) into v_out (n x D) and its exact divergence div (n): the input is a parameter
   tensor, and D backward passes of sum_i v_j(x_i) give d v_j / d x_j per point. */
void gm_fm_divergence(AdArena *arena, GmFm *fm, AdTensor *xp, const double *t, int n, float *v_out, double *div);
/* [eq:L42.4.3.pf_loglik] by RK4 from t = 0 to 1 in `steps` steps. */
void gm_fm_log_likelihood_steps(GenModel *m, const float *x, int n, double *lp, int steps);

#endif
