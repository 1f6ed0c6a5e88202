/*: # gm_ar — the masked autoregressive model of lecture 42 (4.6) as a GenModel

Introduced in L42 4.6 (`lectures/42_unified/11_autoregressive.c`, which checks the masks, the
normalisation and the trained bits/dim); shared with the benchmark of 5.3 (14).

## 4.6 A masked autoregressive network, its masks and its likelihood

Pixels are taken in raster order, input $i$ gets degree $i+1$, each hidden unit $k$ a degree
$m(k)\in\{1..D-1\}$. A weight from a unit of degree $a$ to a hidden unit of degree $b$ is kept
iff $b \ge a$; a weight into the logits of pixel $i$ (degree $i+1$) is kept iff $i+1 > b$:
$$ h^{(1)} = \mathrm{ReLU}\big(x (W^{(1)}\odot M^{(1)}) + b^{(1)}\big),\quad
   h^{(2)} = \mathrm{ReLU}\big(h^{(1)}(W^{(2)}\odot M^{(2)}) + b^{(2)}\big),\quad
   \ell = h^{(2)}(W^{(3)}\odot M^{(3)}) + b^{(3)}, $$ {#eq:L42.4.6.made}
so the $V$ logits of pixel $i$ depend on $x_{<i}$ only (pixel 0's on the bias alone), and
$$ \log p(x) = \sum_{i} \log\mathrm{softmax}(\ell_{i,\cdot})_{x_i},\qquad
   \text{bits/dim} = -\frac{\log_2 p(x)}{D} . $$ {#eq:L42.4.6.nll}
The softmax runs over the $V$ levels of one pixel (B12: the lecture's runs over dim 1 of a
$[B, H, W, V]$ tensor, i.e. over image rows), and the loss is the *negative* log-likelihood,
named so. The input is the level scaled to $[0, 1]$.

## 4.6 (B12) Ancestral sampling, pixel by pixel

For $i = 0..D-1$: one forward pass on the current (partly filled) batch, the softmax of pixel
$i$'s logits at temperature $\tau$, a categorical draw, and — the line the lecture comments
out — the draw written into $x_i$ before the next pass. Pixels $> i$ are still 0 when pixel
$i$ is drawn, which the masks make irrelevant.
*/
#ifndef COMMON_GM_AR_H
#define COMMON_GM_AR_H

#include "common/genmodel.h"

typedef struct {
    int D, V, H;
    AdDtype dtype;
    NnLinear l1, l2, l3;
    double *mask[3]; /* (D,H), (H,H), (H,D*V), 0/1 */
    long net_rows;   /* rows evaluated by the sampler's forward passes (a counter for 5.3) */
} GmMade;

void gm_made_init(GmMade *m, int D, int V, int H, AdDtype dtype, Rng *rng);
void gm_made_free(GmMade *m);
/* logits (n, D*V) of levels lev (n, D) */
AdTensor *gm_made_logits(AdArena *arena, const GmMade *m, const int *lev, int n);
/* log p(x) in nats for each of n rows (exact) */
void gm_made_logp(const GmMade *m, const int *lev, int n, double *lp);
/* n ancestral samples (levels) at temperature temp */
void gm_made_sample_levels(GmMade *m, int n, int *lev, double temp, Rng *rng);
/* The independent-pixel yardstick (5.3): a categorical per pixel fitted to n_fit level rows with
   add-one smoothing, its bits/dim on n_test rows (levels 0..V-1, D per row). */
double gm_ar_independent_bits(const int *lev_fit, int n_fit, const int *lev_test, int n_test, int D, int V);
/* the level of a pixel value v in [0, 1]: round(v (V-1)), clamped */
int gm_ar_level(float v, int V);

/* The GenModel: rows are pixels in [0, 1] (level / (V-1)); exact log-likelihood of the levels
   (a discrete probability, nats); one player, Adam 3e-3. */
void gm_made_model_init(GenModel *gm, int D, int V, int H, Rng *rng);

#endif
