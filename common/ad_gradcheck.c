/*: # ad_gradcheck — the tape's gradient against central finite differences

For every element $\theta_i$ of every parameter,
$$ \widehat{g}_i = \frac{L(\theta + h e_i) - L(\theta - h e_i)}{2h} = g_i + O(h^2), $$ {#eq:common.ad.central_difference}
with a rounding error of order $\epsilon_{\mathrm{mach}} |L| / h$. In double precision with
$h = 10^{-5}$ both are about $10^{-10}$ relative, far below the $10^{-6}$ the unit tests demand,
so a larger error means a wrong backward pass (or an input sitting on a kink).
*/
#include <math.h>

#include "common/ad_internal.h"
#include "common/util.h"

static double eval_loss(AdArena *arena, AdLossFn loss_fn, AdTensor **params, int nparams,
                        void *ctx) {
    ad_arena_reset(arena);
    AdTensor *loss = loss_fn(arena, params, nparams, ctx);
    if (loss->size != 1) die("ad_gradcheck: the loss function must return one element");
    return ad_item(loss);
}

double ad_gradcheck(AdLossFn loss_fn, AdTensor **params, int nparams, void *ctx, double h) {
    if (h <= 0) h = 1e-5;
    for (int p = 0; p < nparams; p++)
        if (params[p]->dtype != AD_F64 || !params[p]->is_param)
            die("ad_gradcheck: parameter %d must be an AD_F64 parameter (ad_param_new)", p);
    AdArena *arena = ad_arena_new(1 << 16);
    ad_zero_grad(params, nparams);
    ad_arena_reset(arena);
    ad_backward(arena, loss_fn(arena, params, nparams, ctx));
    double worst = 0;
    for (int p = 0; p < nparams; p++) {
        double *theta = params[p]->data;
        const double *g = params[p]->grad;
        double max_err = 0, max_fd = 0;
        for (long i = 0; i < params[p]->size; i++) {
            double saved = theta[i];
            theta[i] = saved + h;
            double up = eval_loss(arena, loss_fn, params, nparams, ctx);
            theta[i] = saved - h;
            double down = eval_loss(arena, loss_fn, params, nparams, ctx);
            theta[i] = saved;
            //: $\widehat g_i = (L(\theta + h e_i) - L(\theta - h e_i)) / 2h$
            double fd = (up - down) / (2 * h);
            if (fabs(g[i] - fd) > max_err || isnan(g[i])) max_err = isnan(g[i]) ? INFINITY : fabs(g[i] - fd);
            if (fabs(fd) > max_fd) max_fd = fabs(fd);
        }
        double rel = max_err / (max_fd > 1e-12 ? max_fd : 1e-12);
        if (rel > worst || isnan(rel)) worst = rel;
    }
    ad_arena_free(arena);
    return worst;
}
