/*: # langevin — unadjusted Langevin dynamics over many chains (CPU reference)

Introduced in L35 §4.4 (single chain), §4.8 (preconditioning), §4.9 (batches), §4.10 (a C API
with a callback) and §5.3 (annealing); used again by L36, L42 and the annealing note.

**The update.** Langevin dynamics $dx_t = \nabla_x\log p(x_t)\,dt + \sqrt{2T}\,dW_t$ has
stationary density $\propto p^{1/T}$ ($T = 1$: $p$ itself). Its Euler–Maruyama discretisation
with step $\epsilon$ is the *unadjusted Langevin algorithm* (ULA), written as in the lecture
(§4.4, §4.7, §5.1 Q4):

$$ x_{k+1} = x_k + \epsilon\, G\, s(x_k, \sigma) + \sqrt{2\epsilon T}\, G^{1/2} z_k,
   \qquad z_k \sim \mathcal N(0, I) $$ {#eq:common.langevin.ula}

with $s \approx \nabla_x \log p$ the score, $G = \mathrm{diag}(g_1, \dots, g_d)$ an optional
constant diagonal preconditioner ($G = M^{-1}$ of §4.8; default $I$) and $T$ the temperature
(default 1; $T = 0$ gives plain gradient ascent on $\log p$, no noise). **Step convention:**
$\epsilon$ multiplies the score and the noise is $\sqrt{2\epsilon}$; the other common way of
writing it, $x + \tfrac h2 \nabla\log p + \sqrt h\,z$, is the same algorithm with $h = 2\epsilon$.
ULA has no accept/reject step, so its stationary law differs from $p$ by $O(\epsilon)$ (for
$\mathcal N(0,1)$ the variance becomes $1/(1-\epsilon/2)$). A constant positive $G$ leaves the
stationary density unchanged; a position-dependent one would need an extra drift term
$\nabla\cdot G$, which is why only a constant diagonal is offered.

**Annealing** (NCSN, Song & Ermon 2019; L35 §5.3). With noise levels
$\sigma_1 > \dots > \sigma_L$ the sampler runs `n_steps` updates at each level, the score
callback receiving $\sigma_i$, with step

$$ \epsilon_i = \alpha\,\sigma_i^2/\sigma_L^2 \ \ (\texttt{LANGEVIN\_STEP\_NCSN}) \qquad\text{or}\qquad
   \epsilon_i = \alpha\,\sigma_i^2 \ \ (\texttt{LANGEVIN\_STEP\_SIGMA2}, \text{the lecture's } \alpha_i = \alpha_\text{scale}\sigma_i^2) $$ {#eq:common.langevin.annealed_step}

(the two differ only by the constant $\sigma_L^2$ folded into $\alpha$).

**Determinism.** Chain $c$ draws its noise from the Philox stream `rng_init(&r, seed,
first_stream + c)`: at every step it draws `dim` values `rng_normal(&r)` in coordinate order
(none when $T = 0$). Its path therefore depends only on (seed, chain index), never on the
thread count or the block size, provided the score of a chain depends only on that chain's
state (true of any per-row network forward). The state is updated in place as
`x[j] = x[j] + drift[j] * s[j] + noise[j] * z` with `drift[j] = eps * g[j]` and
`noise[j] = sqrt(2 * eps * g[j] * T)`, so with $G = I$, $T = 1$ a hand-written loop
`x + eps*s + sqrt(2*eps)*z` reproduces it bit for bit.

**Batches.** The chains are cut into fixed blocks of `block_size` chains; the score callback
gets one block at a time (so a network evaluates a whole mini-batch), and blocks run in
parallel (OpenMP). A block runs many steps on its own (it stays in cache, and the threads meet
only where the observer looks or a level ends). The observer, if any, is called from one
thread with all chains, before the first step (step 0) and after every `observe_every`-th step.

**Failures.** A bad configuration returns `LANGEVIN_BAD_CONFIG` with a message. After every
step the states are tested with `isfinite`; the first non-finite one (smallest step, then
smallest chain index: the same for any thread count) is reported as `LANGEVIN_NONFINITE`.
Unless `keep_going` is set the run then stops: the failing block stops at that step, other
blocks may have run on to the end of the current segment (the states are still the same for
any thread count). With `keep_going` it finishes and counts the chains that ended non-finite.

Usage (the whole C API of L35 §4.10 / project 7.7d):

    LangevinParams lp;
    langevin_params_init(&lp, n_chains, dim, my_score, my_ctx);
    lp.step_size = 0.01; lp.n_steps = 1000; lp.seed = 7;
    LangevinResult res;
    if (langevin_run(&lp, x, &res) != LANGEVIN_OK) fprintf(stderr, "%s\n", res.message);
*/
#ifndef COMMON_LANGEVIN_H
#define COMMON_LANGEVIN_H

#include <stddef.h>
#include <stdint.h>

/* Score of a block of n chains: x is n x dim (row-major), score_out n x dim receives
   s(x_c, sigma) for each row. sigma is the current noise level (0 without annealing). The
   callback may be called from several threads at once, on disjoint blocks. */
typedef void (*LangevinScoreFn)(const double *x, size_t n, size_t dim, double sigma,
                                double *score_out, void *ctx);

/* Observer: x is all n_chains x dim states after `step` steps in total (step 0: the initial
   states); level is the annealing level (0-based) of the last step taken. Return nonzero to
   stop the run (status LANGEVIN_STOPPED). Called from one thread. */
typedef int (*LangevinObserveFn)(const double *x, size_t n_chains, size_t dim, size_t step,
                                 size_t level, double sigma, void *ctx);

typedef enum { LANGEVIN_STEP_CONSTANT, LANGEVIN_STEP_SIGMA2, LANGEVIN_STEP_NCSN } LangevinStepRule;

typedef enum {
    LANGEVIN_OK = 0,
    LANGEVIN_BAD_CONFIG = 1, /* see message; nothing was run */
    LANGEVIN_NONFINITE = 2,  /* a state became NaN or infinite: bad_step, bad_chain */
    LANGEVIN_STOPPED = 3     /* the observer asked to stop */
} LangevinStatus;

typedef struct {
    size_t n_chains, dim;
    LangevinScoreFn score;
    void *score_ctx;
    double step_size;           /* epsilon (alpha when annealing), > 0 */
    size_t n_steps;             /* steps (per level when annealing) */
    double temperature;         /* T >= 0; init sets 1 */
    const double *sigmas;       /* NULL: no annealing; else n_levels strictly decreasing, > 0 */
    size_t n_levels;
    LangevinStepRule step_rule; /* how epsilon_i follows from sigma_i (CONSTANT: epsilon) */
    const double *precond;      /* NULL (G = I) or dim values g_j > 0: G = diag(g) = M^{-1} */
    uint64_t seed;
    uint64_t first_stream;      /* chain c uses Philox stream first_stream + c */
    size_t block_size;          /* chains per score call; 0: 256 */
    int n_threads;              /* 0: the OpenMP default */
    LangevinObserveFn observe;  /* NULL: none */
    void *observe_ctx;
    size_t observe_every;       /* >= 1 when observe is set */
    int keep_going;             /* nonzero: do not stop at the first non-finite state */
} LangevinParams;

typedef struct {
    LangevinStatus status;
    size_t steps_done;  /* total steps taken (over all levels) */
    size_t bad_step;    /* first step (1-based) with a non-finite state, if any */
    size_t bad_chain;   /* the smallest chain index non-finite at that step */
    size_t n_nonfinite; /* chains non-finite at the end (keep_going) or at the stop */
    char message[200];
} LangevinResult;

/* Defaults: T = 1, no annealing, no preconditioner, seed 0, block 256, no observer;
   step_size = 0 and n_steps = 0 (the caller must set them). */
void langevin_params_init(LangevinParams *p, size_t n_chains, size_t dim, LangevinScoreFn score,
                          void *ctx);

/* The step of annealing level `level` (eq. annealed_step); step_size when not annealing. */
double langevin_level_step(const LangevinParams *p, size_t level);

/* Validate p; on error write a message to err (errlen) and return LANGEVIN_BAD_CONFIG. */
LangevinStatus langevin_validate(const LangevinParams *p, char *err, size_t errlen);

/* Run the sampler: x (n_chains x dim) holds the initial states and receives the final ones.
   res may be NULL. Returns res->status. */
LangevinStatus langevin_run(const LangevinParams *p, double *x, LangevinResult *res);

/* ---- float32 block path (issue #10 item 3) ----------------------------------------------------

   The same sampler in float32, vectorised over the chains of a block (AVX-512 or AVX2 where the
   processor has it, chosen at run time; a portable loop otherwise, with identical results: both use only
   correctly rounded +, -, *, / and sqrt, and the build has -ffp-contract=off).

   **Same random streams.** Chain c's k-th normal (k = 0, 1, ... over the whole run, coordinate
   order, none when T = 0) is, as in the double path, half of the Box-Muller pair built from Philox
   block k/2 of stream first_stream + c: the first half (cos) for even k, the second (sin) for odd
   k. The float path computes that pair straight from the counter (no walk through an Rng), with
   its own float log, sin and cos (see langevin.c for the error analysis):

       |z_f32 - z_f64| <= 2e-6 (1 + |z_f64|)                        (langevin_normal_f32)

   so a chain of the float path follows the chain of the same index in the double path, up to the
   float rounding of the state, and seeds keep their meaning.

   Not supported in this path: an observer (LANGEVIN_BAD_CONFIG). params->score is ignored. */
typedef void (*LangevinScoreF32Fn)(const float *x, size_t n, size_t dim, float sigma,
                                   float *score_out, void *ctx);

/* Run the float32 path: x (n_chains x dim, float) holds the initial states, receives the final. */
LangevinStatus langevin_run_f32(const LangevinParams *p, LangevinScoreF32Fn score, void *ctx,
                                float *x, LangevinResult *res);

/* Normal number k (0-based) of Philox stream `stream` under `seed`, as the float path draws it
   (the double path's k-th rng_normal of a fresh stream, to the bound above). */
float langevin_normal_f32(uint64_t seed, uint64_t stream, uint64_t k);

/* An isotropic Gaussian mixture as a float score (ctx of langevin_gmm_score_f32): component i has
   weight w_i (> 0, summing to 1), mean mu_i (k x dim, row-major) and variance var_i; at noise
   level sigma the score is that of the mixture with variances var_i + sigma^2 (L35 §5.3):
   s(x) = sum_i r_i(x) (mu_i - x) / v_i, r = softmax_i(log w_i - (dim/2) log v_i - |x - mu_i|^2 / 2v_i).
   At most LANGEVIN_GMM_F32_MAX_K components. */
enum { LANGEVIN_GMM_F32_MAX_K = 16 };
typedef struct {
    size_t k, dim;
    const float *weight, *mean, *var;
} LangevinGmmF32;
void langevin_gmm_score_f32(const float *x, size_t n, size_t dim, float sigma, float *score_out,
                            void *ctx);

/* 1: use the portable loops even where AVX2 exists (for tests); 0: back to automatic. */
void langevin_f32_force_portable(int on);
/* Use the loops of "portable", "avx2" or "avx512" (for tests), or NULL/"auto" for the best this
   processor runs; returns 0 (and changes nothing) when the processor lacks the named one. */
int langevin_f32_force_kernel(const char *name);
/* "avx512", "avx2" or "portable". */
const char *langevin_f32_kernel_name(void);

/* An observer (LangevinObserveFn) that records the path of chain 0: ctx is a double array of
   (n_observations x dim); the state at observation `step` goes to ctx + step * dim, so use it
   with observe_every = 1 (L35 4.4, 4.8 and 5.3 plot single-chain paths with it). */
int langevin_store_path(const double *x, size_t n_chains, size_t dim, size_t step, size_t level,
                        double sigma, void *ctx);

#endif
