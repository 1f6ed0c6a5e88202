/*: # gm_fsq — finite scalar quantisation of lecture 42 (4.2) and an FSQ autoencoder

Introduced in L42 4.2 (`lectures/42_unified/05_fsq.c`, which derives the quantiser
[eq:L42.4.2.fsq_round], its bounding [eq:L42.4.2.fsq_bound] (B6), the code index
[eq:L42.4.2.fsq_index] and the straight-through estimator [eq:L42.4.2.fsq_ste], and checks them).
Levels $[8,8,8,5,5,5]$ (the lecture's), 64000 codes.

## An FSQ autoencoder on the 8x8 digits

Encoder $64\to128\to6$, quantiser [eq:L42.4.2.fsq_ste] with levels $[8,8,8,5,5,5]$, decoder
$6\to128\to64$ with a sigmoid output, trained through `gm_train` on the reconstruction loss alone,

$$ \mathcal L_{\text{FSQ}} = \frac1B\sum_b \lVert x_b - \mathrm{Dec}(z_q^{\text{st}}(x_b))\rVert^2 , $$ {#eq:L42.4.2.fsq_loss}

(summed over pixels, averaged over the batch; the lecture sums over the batch too, which makes
the loss scale with $B$ — erratum B4). There is no codebook to learn or collapse. The yardstick
is the test MSE of the best constant image (the training mean): the autoencoder must halve it
and more. As a GenModel it can `encode` and `decode` but not `sample` or give a likelihood: both
need a prior over the codes, which the lecture never defines (B7; program 04 fits one for VQ-VAE).
*/
#ifndef COMMON_GM_FSQ_H
#define COMMON_GM_FSQ_H

#include "common/genmodel.h"

enum { GM_FSQ_D = 6 };
extern const int GM_FSQ_LEVELS[GM_FSQ_D]; /* the lecture's [8,8,8,5,5,5] */

/* k = round((z_b + 1)(L - 1)/2) (halves away from zero) [eq:L42.4.2.fsq_round] */
int gm_fsq_digit(double z_b, int L);
/* z_q = 2k/(L - 1) - 1 */
double gm_fsq_level(int k, int L);
/* One latent vector z_e (GM_FSQ_D) -> bounded, quantised z_q, digits (may be NULL); returns the index. */
long gm_fsq_quantize(const double *z_e, double *z_q, int *digit);
void gm_fsq_index_to_digits(long index, int *digit);
/* z_q^st = tanh(z_e) + sg[z_q - tanh(z_e)] for z_e (n, GM_FSQ_D) */
AdTensor *gm_fsq_ste(AdArena *arena, AdTensor *z_e);

typedef struct {
    NnMlp enc, dec;
} GmFsqAe;

/* encoder D -> hidden -> 6, decoder 6 -> hidden -> D (sigmoid); encode gives z_q (n, 6). */
void gm_fsq_ae_init(GenModel *m, int D, int hidden, Rng *rng);

#endif
