/*: # ad_norm — group normalisation

For $x$ of shape $(N, C, \dots)$ split into $G$ groups of $C/G$ channels, each (sample, group)
block of $m$ values is standardised and then scaled and shifted per channel:
$$ \mu = \tfrac1m \textstyle\sum x,\quad \sigma^2 = \tfrac1m \sum (x-\mu)^2,\quad
   \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}},\quad y = \gamma_c\, \hat x + \beta_c . $$ {#eq:common.ad.group_norm}
The backward pass through the standardisation (with $r = (\sigma^2+\epsilon)^{-1/2}$ and
$\bar{\hat x} = \gamma_c\,\bar y$, means over the block) is
$$ \bar x = r\,\big(\bar{\hat x} - \overline{\bar{\hat x}} - \hat x\;\overline{\bar{\hat x}\,\hat x}\big), $$ {#eq:common.ad.group_norm_grad}
the two subtracted means being the gradient paths through $\mu$ and through $\sigma^2$.
*/
#include <math.h>

#include "common/ad_internal.h"
#include "common/util.h"

/* aux: mean and r per (n, g), 2*N*G doubles. iparam: groups. dparam: eps. */
static void group_norm_backward(AdTensor *y) {
    AdTensor *x = y->in[0], *gamma = y->in[1], *beta = y->in[2];
    AdDtype dt = y->dtype;
    const double *stats = y->aux;
    int nb = x->shape[0], c = x->shape[1], g = y->iparam[0], cg = c / g;
    long s = ad_prod(x->shape, 2, x->ndim), m = (long)cg * s;
    for (int n = 0; n < nb; n++)
        for (int gi = 0; gi < g; gi++) {
            double mu = stats[2 * (n * g + gi)], r = stats[2 * (n * g + gi) + 1];
            long base = ((long)n * c + (long)gi * cg) * s;
            double mean_dxh = 0, mean_dxh_xh = 0;
            for (long e = 0; e < m; e++) {
                int ch = gi * cg + (int)(e / s);
                double xh = (ad_ld(x->data, dt, base + e) - mu) * r;
                double gy = ad_ld(y->grad, dt, base + e);
                //: $\bar\gamma_c \mathrel{+}= \sum \bar y\,\hat x,\quad \bar\beta_c \mathrel{+}= \sum \bar y$
                if (ad_wants_grad(gamma)) ad_acc(gamma->grad, dt, ch, gy * xh);
                if (ad_wants_grad(beta)) ad_acc(beta->grad, dt, ch, gy);
                double dxh = gamma ? gy * ad_get(gamma, ch) : gy;
                mean_dxh += dxh;
                mean_dxh_xh += dxh * xh;
            }
            mean_dxh /= (double)m;
            mean_dxh_xh /= (double)m;
            if (!ad_wants_grad(x)) continue;
            //: $\bar x = r\,(\bar{\hat x} - \overline{\bar{\hat x}} - \hat x\,\overline{\bar{\hat x}\hat x})$
            for (long e = 0; e < m; e++) {
                int ch = gi * cg + (int)(e / s);
                double xh = (ad_ld(x->data, dt, base + e) - mu) * r;
                double gy = ad_ld(y->grad, dt, base + e);
                double dxh = gamma ? gy * ad_get(gamma, ch) : gy;
                ad_acc(x->grad, dt, base + e, r * (dxh - mean_dxh - xh * mean_dxh_xh));
            }
        }
}

AdTensor *ad_group_norm(AdArena *arena, AdTensor *x, int groups, AdTensor *weight,
                        AdTensor *bias, double eps) {
    char sx[64];
    if (x->ndim < 2 || groups < 1 || x->shape[1] % groups)
        die("ad_group_norm: x %s cannot be split into %d groups along axis 1",
            ad_shape_str(x, sx, sizeof sx), groups);
    int c = x->shape[1];
    AdTensor *affine[2] = {weight, bias};
    for (int i = 0; i < 2; i++)
        if (affine[i] && (affine[i]->ndim != 1 || affine[i]->shape[0] != c)) {
            char sa[64];
            die("ad_group_norm: %s %s does not match the %d channels of x %s",
                i ? "bias" : "weight", ad_shape_str(affine[i], sa, sizeof sa), c,
                ad_shape_str(x, sx, sizeof sx));
        }
    AdTensor *y = ad_op_out(arena, "ad_group_norm", x->ndim, x->shape, group_norm_backward, x,
                            weight, bias);
    y->iparam[0] = groups;
    y->dparam[0] = eps;
    AdDtype dt = y->dtype;
    int nb = x->shape[0], cg = c / groups;
    long s = ad_prod(x->shape, 2, x->ndim), m = (long)cg * s;
    double *stats = ad_arena_alloc(arena, sizeof(double) * 2 * (size_t)nb * groups);
    y->aux = stats;
    for (int n = 0; n < nb; n++)
        for (int gi = 0; gi < groups; gi++) {
            long base = ((long)n * c + (long)gi * cg) * s;
            double mu = 0, var = 0;
            //: $\mu = \frac1m \sum x$
            for (long e = 0; e < m; e++) mu += ad_ld(x->data, dt, base + e);
            mu /= (double)m;
            //: $\sigma^2 = \frac1m \sum (x - \mu)^2$ (two passes: no cancellation)
            for (long e = 0; e < m; e++) {
                double d = ad_ld(x->data, dt, base + e) - mu;
                var += d * d;
            }
            var /= (double)m;
            double r = 1.0 / sqrt(var + eps);
            stats[2 * (n * groups + gi)] = mu;
            stats[2 * (n * groups + gi) + 1] = r;
            //: $y = \gamma_c\,(x - \mu)\,r + \beta_c$
            for (long e = 0; e < m; e++) {
                int ch = gi * cg + (int)(e / s);
                double v = (ad_ld(x->data, dt, base + e) - mu) * r;
                if (weight) v *= ad_get(weight, ch);
                if (bias) v += ad_get(bias, ch);
                ad_st(y->data, dt, base + e, v);
            }
        }
    return y;
}
