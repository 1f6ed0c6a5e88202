/*: # diffusion_solvers — fast deterministic samplers of the probability-flow ODE

Introduced in L36 §6.1 (program `lectures/36_ddpm/26_fast_solvers.c`); they plug into the same
noise-prediction callback `DiffEpsFn` as the DDPM/DDIM runner of `common/diffusion_sampler.h`,
so a trained network drives them exactly as the exact oracle does.

All of them integrate the PF-ODE of a variance-preserving schedule from a noisy time to a less
noisy one through a list of *nodes* $(t_i, \bar\alpha_i)$ with $\bar\alpha$ increasing. Write
$\alpha = \sqrt{\bar\alpha}$, $\sigma = \sqrt{1-\bar\alpha}$, the half log-SNR
$\lambda = \log(\alpha/\sigma)$, and the data prediction
$\hat x_0 = (x - \sigma\hat\epsilon)/\alpha$. In these variables the ODE's exact solution from
$s$ to $t$ is the exponential-integrator formula (Lu et al. 2022, DPM-Solver++)

$$ x_t = \frac{\sigma_t}{\sigma_s}x_s + \sigma_t\int_{\lambda_s}^{\lambda_t} e^{\lambda}\,\hat x_0(x_\lambda, \lambda)\,d\lambda, $$ {#eq:common.diffusion_solvers.exp_integrator}

and the solvers differ in how they approximate $\hat x_0$ along the step ($h = \lambda_t - \lambda_s$):

- **DDIM** ($\eta = 0$): $\hat x_0$ constant, $x_t = \frac{\sigma_t}{\sigma_s}x_s - \alpha_t(e^{-h}-1)\hat x_0(x_s)$,
  first order, 1 NFE per step;
- **DPM-Solver++(2M)**: linear extrapolation from the previous step's $\hat x_0$,
  $D = (1 + \frac{1}{2r})\hat x_0^{(i)} - \frac{1}{2r}\hat x_0^{(i-1)}$, $r = h_{i-1}/h_i$
  (first step: $D = \hat x_0$), second order, 1 NFE per step;
- **UniPC-$p$** (Zhao et al. 2023, "UniPC", the B(h) = $e^{h}-1$ variant "bh2", data prediction):
  a predictor UniP-$p$ using the last $p$ values of $\hat x_0$ and a corrector UniC that reuses
  the model evaluation at the predicted point (no extra NFE), order $p+1$; the last step is not
  corrected; the first steps warm up with lower order;
- **Heun (EDM)**: in $\bar x = x/\alpha$ and $\bar\sigma = \sigma/\alpha$ the ODE is
  $d\bar x/d\bar\sigma = \hat\epsilon$; Heun's trapezoid in $\bar\sigma$, 2 NFE per step
  (Karras et al. 2022, Algorithm 1), second order.

A final node with $\bar\alpha = 1$ (the data, $\lambda = \infty$) is reached by the denoising step
$x \leftarrow \hat x_0(x)$ (1 NFE) for every solver.

**Node grids.** `diff_nodes_index`: the integer times $\tau$ of `diff_timesteps`, from the largest
down. `diff_nodes_logsnr`: uniform in $\lambda$ between $t = T$ and $t = 1$, the grid on which
the multistep solvers show their orders cleanly (the rounded integer grid makes the step ratios
$h_{i-1}/h_i$ jump, which costs the higher-order methods part of their order). `diff_nodes_karras`: EDM's grid $\bar\sigma_i = \big(\bar\sigma_{max}^{1/\rho} +
\frac{i}{N-1}(\bar\sigma_{min}^{1/\rho} - \bar\sigma_{max}^{1/\rho})\big)^\rho$, with
$\bar\alpha_i = 1/(1+\bar\sigma_i^2)$ exact and the integer label $t_i$ (for a network that takes
an integer time) the $t$ whose $\log\bar\sigma_t$ is nearest.
*/
#ifndef COMMON_DIFFUSION_SOLVERS_H
#define COMMON_DIFFUSION_SOLVERS_H

#include <stddef.h>

#include "common/diffusion_sampler.h" /* DiffEpsFn */

typedef struct {
    int t;       /* integer time label handed to the denoiser */
    double abar; /* alpha_bar at the node, in (0, 1] */
} DiffNode;

typedef enum { DIFF_SOLVER_DDIM, DIFF_SOLVER_DPMPP_2M, DIFF_SOLVER_UNIPC, DIFF_SOLVER_HEUN } DiffSolverKind;

typedef struct {
    DiffSolverKind kind;
    int order; /* UniPC's p (1..3); ignored by the others */
    DiffEpsFn eps;
    void *eps_ctx;
} DiffSolver;

const char *diff_solver_name(DiffSolverKind kind);

/* Integrates the n chains x (n x dim) from nodes[0] to nodes[n_nodes-1] (abar increasing;
   n_nodes >= 2). The denoiser is called on all n rows at once. Returns the number of denoiser
   evaluations per chain (NFE), or -1 for bad nodes or order. */
long diff_solve(const DiffSolver *s, const DiffNode *nodes, int n_nodes, double *x, size_t n, size_t dim);

/* Nodes at the integer times tau[S-1] > ... > tau[0] (tau increasing as from diff_timesteps),
   S nodes; with final_zero, one more node t = 0, abar = 1. Returns the node count. */
int diff_nodes_index(const double *abar, const int *tau, int S, int final_zero, DiffNode *nodes);

/* N >= 2 nodes uniform in lambda = log(alpha/sigma) from t = T to t = 1 (the ends exact), with
   integer labels as in diff_nodes_karras. Returns N, or -1. */
int diff_nodes_logsnr(const double *abar, int T, int N, DiffNode *nodes);

/* EDM's grid of N >= 2 nodes from sigma_bar_max down to sigma_bar_min with exponent rho; the
   integer labels come from abar[1..T]. Returns N, or -1 for bad arguments. */
int diff_nodes_karras(const double *abar, int T, double sbar_min, double sbar_max, double rho, int N,
                      DiffNode *nodes);

#endif
