/*: # gm_realnvp — RealNVP, the normalizing flow of lecture 42 (4.3), as a GenModel

Introduced in L42 4.3 (`lectures/42_unified/06_realnvp_flow.c`, which checks the log-determinant,
the inverse and the normalisation) and shared with the benchmark of 5.3 (14). Affine couplings
with conditioners $D/2\to H\to H\to D$ (tanh), log-scales bounded by $s = 1.5\tanh(\cdot)$.

## 4.3 Affine coupling and the change of variables

Split $x$ into a half $x_a$ that passes unchanged and a half $x_b$ that is scaled and shifted by
functions of $x_a$ (layer $k$ keeps the first half when $k$ is even, the second when odd):

$$ y_a = x_a,\qquad y_b = x_b\odot e^{s(x_a)} + t(x_a). $$ {#eq:L42.4.3.coupling}

The Jacobian is block-triangular with $\mathrm{diag}(e^{s})$ on the diagonal, so
$\log\lvert\det J\rvert = \sum_j s_j(x_a)$ without any determinant computed. The inverse needs
only the same network on the unchanged half,

$$ x_b = \big(y_b - t(y_a)\big)\odot e^{-s(y_a)} . $$ {#eq:L42.4.3.coupling_inverse}

Composing $K$ couplings, $z = f_K\circ\dots\circ f_1(x)$ and

$$ \log p_\theta(x) = \log\mathcal N(z; 0, I) + \sum_{k=1}^K \log\lvert\det J_{f_k}\rvert,\qquad
   \log\mathcal N(z;0,I) = -\tfrac12\lVert z\rVert^2 - \tfrac D2\log 2\pi . $$ {#eq:L42.4.3.flow_logp}

The lecture writes $\log p(z) = -\tfrac12\lVert z\rVert^2$ (erratum B2): a density that
integrates to $(2\pi)^{D/2}$.
*/
#ifndef COMMON_GM_REALNVP_H
#define COMMON_GM_REALNVP_H

#include "common/genmodel.h"

enum { GM_FLOW_MAX_LAYERS = 8 };

typedef struct {
    int D, nlayers;
    AdDtype dtype;
    NnMlp layers[GM_FLOW_MAX_LAYERS]; /* conditioner of coupling k: D/2 -> H -> H -> D (raw s, t) */
} GmFlow;

void gm_flow_init(GmFlow *f, int D, int nlayers, int hidden, AdDtype dtype, Rng *rng);
void gm_flow_free(GmFlow *f);
/* Coupling k forward (inverse = 0) or inverse; logdet (may be NULL): (n) tensor. */
void gm_flow_coupling(AdArena *arena, const GmFlow *f, int k, AdTensor *x, int inverse, AdTensor **out,
                      AdTensor **logdet);
/* x (n, D) -> z, and log p(x) (n) by [eq:L42.4.3.flow_logp]; `lecture`: without -D/2 log 2 pi. */
AdTensor *gm_flow_logp(AdArena *arena, const GmFlow *f, AdTensor *x, int lecture, AdTensor **z_out);
AdTensor *gm_flow_inverse(AdArena *arena, const GmFlow *f, AdTensor *z);

/* The flow as a GenModel: one player, loss = mean negative log-likelihood, exact log-likelihood,
   encode = f, decode = f^{-1}, sampling z ~ N(0, I) decoded. Weights drawn from rng. */
void gm_realnvp_init(GenModel *m, int D, int nlayers, int hidden, Rng *rng);

#endif
