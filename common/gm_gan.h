/*: # gm_gan — the GAN and WGAN-GP of lecture 42 (4.4) as two-player GenModels

Introduced in L42 4.4 (`lectures/42_unified/09_gan_family.c`, which checks the optimal
discriminator, the penalty's derivatives and the trained samples); shared with the benchmark of
5.3 (14). Discriminator / critic $D\to H\to H\to 1$ and generator $d_z\to H\to H\to D$, tanh MLPs;
player 0 is the discriminator (critic), player 1 the generator.

## 4.4 Vanilla (non-saturating) GAN and WGAN-GP, as two players

Player 0 (discriminator, or critic) and player 1 (generator) minimise

$$ L_D = \mathbb E_{p_d}\operatorname{softplus}(-\ell(x)) + \mathbb E_z\operatorname{softplus}(\ell(G(z))),\qquad
   L_G = \mathbb E_z\operatorname{softplus}(-\ell(G(z))) $$ {#eq:L42.4.4.vanilla}

with $D = \sigma(\ell)$ — the lecture's $-\log D$ and $-\log(1-D)$ written through the logit,
which is the guard against $\log 0$ the lecture's code lacks (B13). WGAN-GP's critic $C$:

$$ L_C = \mathbb E_z C(G(z)) - \mathbb E_{p_d} C(x) + \lambda\,\mathbb E\big(\lVert\nabla_x C(\hat x)\rVert - 1\big)^2,\qquad
   L_G = -\mathbb E_z C(G(z)), $$ {#eq:L42.4.4.wgan_gp}

$\hat x$ uniform on segments between real and generated points, $\lambda = 10$, five critic
updates per generator update. The lecture's WGAN draws $z$ with the data's shape and never
applies its weight clipping (B13); the penalty replaces clipping here.

The penalty needs $\nabla_\theta$ of a function of $\nabla_x C$. `common/ad` has no double
backward, so the input gradient is written out as a graph of ordinary ops — for the tanh MLP
$C = h_2W_2 + b_2$, $h_k = \tanh(a_k)$:

$$ \delta_2 = W_2^\top\odot(1 - h_2^2),\quad \delta_1 = (\delta_2 W_1^\top)\odot(1-h_1^2),\quad
   \nabla_x C = \delta_1 W_0^\top, $$ {#eq:L42.4.4.input_grad}

which autodiff then differentiates in $\theta$ like any other graph.
*/
#ifndef COMMON_GM_GAN_H
#define COMMON_GM_GAN_H

#include "common/genmodel.h"

typedef enum { GM_GAN_VANILLA, GM_GAN_WGAN_GP } GmGanKind;

typedef struct {
    GmGanKind kind;
    NnMlp disc;          /* D -> H -> H -> 1, tanh: a logit (vanilla) or a critic value */
    NnMlp gen;           /* z_dim -> H -> H -> D (unused when shift_only) */
    int z_dim;
    double gp_lambda;    /* lambda of [eq:L42.4.4.wgan_gp], 10 */
    int shift_only;      /* G(z) = z_{1..D} + shift: a fixed, known p_g (a 1-D test) */
    double shift;
} GmGan;

/* Vanilla: Adam(1e-3, 0.5, 0.999), one update per player and step. WGAN-GP: Adam(2e-3, 0.5, 0.9),
   five critic updates per generator update. */
void gm_gan_init(GenModel *m, GmGanKind kind, int dim, int z_dim, int hidden, int shift_only, double shift,
                 AdDtype dtype, Rng *rng);
/* The critic's (or discriminator's logit) value (n, 1), its hidden activations h1, h2. */
AdTensor *gm_gan_critic_forward(AdArena *arena, const NnMlp *m, AdTensor *x, AdTensor **h1, AdTensor **h2);
/* nabla_x C (n, D) as a graph of ordinary ops, [eq:L42.4.4.input_grad]. */
AdTensor *gm_gan_critic_input_grad(AdArena *arena, const NnMlp *m, AdTensor *x);

#endif
