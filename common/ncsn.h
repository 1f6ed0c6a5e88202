/*: # ncsn — a noise-conditional score network and its multi-level DSM training

Introduced in L35 §5.2 (NCSN on the 2-D mixture), used again by §5.3 (annealed Langevin with
the learned score) and §7.7b (swiss roll).

**The model.** Song & Ermon's noise-conditional score network (NCSN) learns one score
$s_\theta(x, \sigma) \approx \nabla_x \log q_\sigma(x)$ for a whole list of noise levels
$\sigma_1 > \dots > \sigma_L$, where $q_\sigma = p * \mathcal N(0, \sigma^2 I)$. The lecture does
not say how $\sigma$ enters the network (spec L35 E6); here an MLP with tanh takes
$(x, \log\sigma)$ and predicts the noise, and the score is that prediction scaled:

$$ \hat\epsilon_\theta(x, \sigma) = \mathrm{MLP}_\theta(c\,x_1, \dots, c\,x_d, \log\sigma),\qquad
   s_\theta(x, \sigma) = -\frac{\hat\epsilon_\theta(x, \sigma)}{\sigma} $$ {#eq:common.ncsn.eps_param}

so the output stays of order one at every level although the score grows like $1/\sigma$.
($c$ = `input_scale`, 1 by default, brings data of a large range, such as the swiss roll of
§7.7b, to the unit scale where tanh is not saturated.)

**Depth, activation and the noise input.** `ncsn_init` makes the 3-layer tanh MLP of §5.2
(enough for the 2-D mixture). `ncsn_init_deep` makes $n_\text{layers}$ linear layers with tanh or
SiLU between them: a target with fine structure, such as the swiss roll at $\sigma = 0.1$
(where $\hat\epsilon$ is the signed distance to a long thin curve divided by $\sigma$), is
learned far faster by a deeper SiLU network than by a wider tanh one (measured in §7.7b).
By default the noise input is $\log\sigma$ itself; `ncsn_set_sigma_range` maps it linearly onto
$[-1, 1]$ over $[\sigma_\text{min}, \sigma_\text{max}]$,
$$ \gamma(\sigma) = 2\,\frac{\log\sigma - \log\sigma_\text{min}}{\log\sigma_\text{max} - \log\sigma_\text{min}} - 1, $$ {#eq:common.ncsn.cond}
so that it has the same unit scale as the data input.

**The loss.** Denoising score matching at level $\sigma$ (L35 §4.2) weighted by
$\lambda(\sigma) = \sigma^2$ and averaged over the levels (§5.2):

$$ \mathcal L_\text{NCSN}(\theta) = \frac1L\sum_{i=1}^L \sigma_i^2\,
   \mathbb E_{x,\epsilon}\Big\lVert s_\theta(x + \sigma_i\epsilon, \sigma_i) + \frac{\epsilon}{\sigma_i}\Big\rVert^2
   = \frac1L\sum_{i=1}^L \mathbb E\,\big\lVert \hat\epsilon_\theta(x + \sigma_i\epsilon, \sigma_i) - \epsilon\big\rVert^2 $$ {#eq:common.ncsn.loss}

(the second form is the identity $\sigma^2\lVert s + \epsilon/\sigma\rVert^2 = \lVert\epsilon - \hat\epsilon\rVert^2$
under eq. [eq:common.ncsn.eps_param]). As in the lecture, every batch is used at **all** $L$
levels, each with its own fresh $\epsilon$: one forward pass over $L\cdot B$ rows. The
$\sigma^2$ weight makes every level's term of order $d$ (it is at most $d$, the value of
$\hat\epsilon \equiv 0$), so no level dominates the gradient.

**Training** (`ncsn_train`): Adam, a fresh batch from a caller's sampler at every step, float32
parameters (Glorot-uniform weights, zero biases). A non-finite loss stops the run with the step
number in the message.

**Sampling side** (`ncsn_score`, `ncsn_langevin_score`): a plain forward pass in double over
the float32 weights, with no tape, safe to call from several threads at once, and a callback in
the shape `common/langevin.h` wants.
*/
#ifndef COMMON_NCSN_H
#define COMMON_NCSN_H

#include <stddef.h>

#include "common/ad.h"
#include "common/langevin.h"
#include "common/nn.h"
#include "common/rng.h"

#define NCSN_MAX_WIDTH 256

typedef struct {
    NnMlp mlp;          /* (dim + 1) -> hidden -> ... -> dim (tanh or SiLU); output eps_hat */
    int dim, hidden;
    double input_scale; /* x enters the MLP as input_scale * x (init: 1); set it before
                           training for data far from unit scale (tanh saturates) */
    double cond_scale, cond_shift; /* noise input cond_scale * log sigma + cond_shift (init: 1, 0) */
} NcsnNet;

/* The geometric schedule sigma_i = sigma_max (sigma_min / sigma_max)^{i / (L - 1)}, i = 0..L-1. */
void ncsn_geometric_schedule(double sigma_max, double sigma_min, int L, double *sigma);

/* dtype AD_F32 for training, AD_F64 for gradient checks. hidden <= NCSN_MAX_WIDTH. */
void ncsn_init(NcsnNet *net, int dim, int hidden, AdDtype dtype, Rng *rng);
/* nlayers (2..6) linear layers (dim+1) -> hidden -> ... -> hidden -> dim with act (NN_ACT_TANH or
   NN_ACT_SILU) between them; ncsn_init is (nlayers 3, NN_ACT_TANH). */
void ncsn_init_deep(NcsnNet *net, int dim, int hidden, int nlayers, NnActivation act, AdDtype dtype,
                    Rng *rng);
/* Noise input gamma(sigma) of eq. common.ncsn.cond (sets cond_scale, cond_shift); before training. */
void ncsn_set_sigma_range(NcsnNet *net, double sigma_min, double sigma_max);
/* The network's noise input for the level sigma: cond_scale * log sigma + cond_shift. */
double ncsn_cond(const NcsnNet *net, double sigma);
void ncsn_free(NcsnNet *net);
void ncsn_params(const NcsnNet *net, NnParams *out); /* names "ncsn.<i>.weight", ... */

/* The (n*L, dim+1) input rows [c (x + sigma_i eps), ncsn_cond(sigma_i)] (c = input_scale) and the noise eps (n*L, dim) of
   one batch x (n x dim): level i occupies rows i*n .. i*n+n-1; eps drawn from r in that order. */
void ncsn_noisy_batch(const NcsnNet *net, const double *x, int n, const double *sigma, int L,
                      Rng *r, double *rows, double *eps);
/* The loss eq. common.ncsn.loss on the batch x (n x dim) as a scalar tensor in arena (noise
   from r). level_loss (L values, may be NULL) receives each level's term. */
AdTensor *ncsn_loss(AdArena *arena, const NcsnNet *net, const double *x, int n,
                    const double *sigma, int L, Rng *r, double *level_loss);

/* Data sampler for training: n points (n x dim) from r. */
typedef void (*NcsnDataFn)(Rng *r, double *x, int n, void *ctx);

typedef struct {
    long steps;
    int batch;
    double lr;          /* Adam, beta (0.9, 0.999), eps 1e-8 */
    double lr_final;    /* <= 0 or == lr: constant; else cosine decay from lr to lr_final */
    uint64_t seed;      /* data from stream 1, noise from stream 2 of this seed */
    const char *label;  /* progress label (stderr), may be NULL */
} NcsnTrainConfig;

/* Trains net (AD_F32). losses (steps values, may be NULL) receives every batch loss. Returns 0,
   or -1 when a batch or a loss is not finite (message with the step in err; training stops there). */
int ncsn_train(NcsnNet *net, const double *sigma, int L, NcsnDataFn data, void *ctx,
               const NcsnTrainConfig *cfg, double *losses, char *err, size_t errlen);

/* eps_hat and the score s = -eps_hat / sigma at n points x (n x dim); float32 arithmetic (as
   the GPU twin) on a float32 network, results in double, no tape;
   thread safe. Either output may be NULL. */
void ncsn_eval(const NcsnNet *net, const double *x, long n, double sigma, double *eps_hat,
               double *score);
/* A LangevinScoreFn (common/langevin.h) with ctx = const NcsnNet *: score at the level sigma. */
void ncsn_langevin_score(const double *x, size_t n, size_t dim, double sigma, double *score_out,
                         void *ctx);

/* Annealed Langevin of L35 5.3 (Song & Ermon's algorithm 1) as common/langevin parameters: L
   levels sigma[0..L), `steps` steps each, step alpha_i = alpha_scale sigma_i^2 (the SIGMA2 rule of
   eq. common.langevin.annealed_step), chains continuing past a non-finite value (keep_going). */
void ncsn_ald_params(LangevinParams *lp, size_t n, size_t dim, LangevinScoreFn score, void *ctx,
                     const double *sigma, int L, double alpha_scale, int steps, uint64_t seed);
/* ALD's start x ~ N(0, sd^2 I) (n x dim): chain c from Philox stream (seed, c). */
void ncsn_init_wide(double *x, long n, int dim, uint64_t seed, double sd);

#endif
