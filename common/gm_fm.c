/* gm_fm — see gm_fm.h. */
#include "common/gm_fm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/gauss.h"
#include "common/util.h"

AdTensor *gm_fm_velocity(AdArena *arena, GmFm *fm, AdTensor *x, const double *t, int n) {
    int tshape[2] = {n, 1};
    AdTensor *tt = ad_input(arena, x->dtype, 2, tshape);
    for (int i = 0; i < n; i++) ad_set(tt, i, t[i]);
    AdTensor *parts[2] = {x, tt};
    return nn_mlp_forward(arena, &fm->net, ad_concat(arena, parts, 2, 1));
}

static AdTensor *fm_train_step(GenModel *m, int player, AdArena *arena, const float *rows, int n,
                               Rng *rng, GmLoss *terms) {
    (void)player, (void)terms;
    GmFm *fm = m->self;
    const int D = m->dim, row = fm->paired ? 2 * D : D;
    int shape[2] = {n, D};
    AdTensor *x_t = ad_input(arena, AD_F32, 2, shape), *u = ad_input(arena, AD_F32, 2, shape);
    double *t = ad_arena_alloc(arena, (size_t)n * sizeof *t);
    for (int i = 0; i < n; i++) {
        t[i] = rng_uniform(rng);
        for (int j = 0; j < D; j++) {
            double x0 = rows[(size_t)i * row + j];
            double x1 = fm->paired ? rows[(size_t)i * row + D + j] : rng_normal(rng);
            //: $x_t = (1-t)x_0 + t x_1$, $u_t = x_1 - x_0$, [eq:L42.4.3.fm_loss]
            ad_f32(x_t)[(size_t)D * i + j] = (float)((1 - t[i]) * x0 + t[i] * x1);
            ad_f32(u)[(size_t)D * i + j] = (float)(x1 - x0);
        }
    }
    //: $\mathcal L = \mathrm{mean}\,\lVert v_\theta(x_t,t) - u_t\rVert^2$
    return ad_mean(arena, ad_square(arena, ad_sub(arena, gm_fm_velocity(arena, fm, x_t, t, n), u)));
}

double gm_fm_integrate(GmFm *fm, float *x, int n, int steps, float *traj) {
    const int D = fm->dim;
    AdArena *arena = ad_arena_new(1 << 20);
    int shape[2] = {n, D};
    float *x1 = xmalloc((size_t)n * D * sizeof *x1), *vs = xmalloc((size_t)steps * n * D * sizeof *vs);
    double *t = xmalloc((size_t)n * sizeof *t);
    memcpy(x1, x, (size_t)n * D * sizeof *x);
    if (traj) memcpy(traj, x, (size_t)n * D * sizeof *x);
    const double h = 1.0 / steps;
    for (int k = 0; k < steps; k++) {
        ad_arena_reset(arena);
        for (int i = 0; i < n; i++) t[i] = 1.0 - k * h;
        AdTensor *v = gm_fm_velocity(arena, fm, ad_from_array(arena, AD_F32, 2, shape, x), t, n);
        fm->net_rows += n;
        //: $x_{t-h} = x_t - h\,v_\theta(x_t, t)$: backwards in time (the correction of B9)
        for (size_t i = 0; i < (size_t)D * n; i++) {
            vs[(size_t)k * D * n + i] = ad_f32(v)[i];
            x[i] -= (float)h * ad_f32(v)[i];
        }
        if (traj) memcpy(traj + (size_t)(k + 1) * n * D, x, (size_t)n * D * sizeof *x);
    }
    //: $S = \frac1K\sum_k \lVert v_k - (x_1 - x_0)\rVert^2$: zero iff every path is straight
    double S = 0;
    for (int k = 0; k < steps; k++)
        for (size_t i = 0; i < (size_t)D * n; i++) {
            double d = vs[(size_t)k * D * n + i] - (x1[i] - x[i]);
            S += d * d;
        }
    free(x1), free(vs), free(t);
    ad_arena_free(arena);
    return S / ((double)steps * n);
}

static void fm_sample(GenModel *m, int n, float *x_out, Rng *rng) {
    GmFm *fm = m->self;
    rng_normal_fill_f(rng, x_out, (size_t)n * m->dim);
    gm_fm_integrate(fm, x_out, n, fm->sample_steps, NULL);
}

void gm_fm_divergence(AdArena *arena, GmFm *fm, AdTensor *xp, const double *t, int n, float *v_out,
                          double *div) {
    const int D = fm->dim;
    for (int j = 0; j < D; j++) {
        ad_arena_reset(arena);
        memset(xp->grad, 0, (size_t)n * D * sizeof(float));
        AdTensor *v = gm_fm_velocity(arena, fm, xp, t, n);
        if (j == 0) memcpy(v_out, ad_f32(v), (size_t)n * D * sizeof *v_out);
        ad_backward(arena, ad_sum(arena, ad_slice(arena, v, 1, j, j + 1)));
        //: $\nabla\cdot v = \sum_j \partial v_j/\partial x_j$
        for (int i = 0; i < n; i++) div[i] = (j == 0 ? 0 : div[i]) + ad_grad_f32(xp)[(size_t)D * i + j];
    }
}

void gm_fm_log_likelihood_steps(GenModel *m, const float *x, int n, double *lp, int steps) {
    GmFm *fm = m->self;
    const int D = m->dim;
    AdArena *arena = ad_arena_new(1 << 20);
    int shape[2] = {n, D};
    AdTensor *xp = ad_param_new(AD_F32, 2, shape);
    float *xc = xmalloc((size_t)n * D * sizeof *xc), *kv[4], *v = xmalloc((size_t)n * D * sizeof *v);
    double *div = xmalloc((size_t)n * sizeof *div), *tt = xmalloc((size_t)n * sizeof *tt);
    double *z = xmalloc((size_t)D * sizeof *z), *zero = xcalloc((size_t)D, sizeof *zero);
    for (int s = 0; s < 4; s++) kv[s] = xmalloc((size_t)n * D * sizeof(float));
    memcpy(xc, x, (size_t)n * D * sizeof *xc);
    for (int i = 0; i < n; i++) lp[i] = 0;
    const double h = 1.0 / steps, cx[4] = {0, 0.5, 0.5, 1}, w[4] = {1, 2, 2, 1};
    for (int k = 0; k < steps; k++) {
        for (int s = 0; s < 4; s++) {
            for (size_t i = 0; i < (size_t)D * n; i++) ad_f32(xp)[i] = xc[i] + (s ? (float)(cx[s] * h) * kv[s - 1][i] : 0.0f);
            for (int i = 0; i < n; i++) tt[i] = k * h + cx[s] * h;
            gm_fm_divergence(arena, fm, xp, tt, n, v, div);
            memcpy(kv[s], v, (size_t)n * D * sizeof *v);
            //: RK4 on the augmented state $(x, \int\nabla\cdot v)$
            for (int i = 0; i < n; i++) lp[i] += h / 6 * w[s] * div[i];
        }
        for (size_t i = 0; i < (size_t)D * n; i++) xc[i] += (float)(h / 6) * (kv[0][i] + 2 * kv[1][i] + 2 * kv[2][i] + kv[3][i]);
    }
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < D; j++) z[j] = xc[(size_t)D * i + j];
        //: [eq:L42.4.3.pf_loglik]
        lp[i] += gauss_logpdf_iso(z, zero, 1.0, D);
    }
    for (int s = 0; s < 4; s++) free(kv[s]);
    free(xc), free(v), free(div), free(tt), free(z), free(zero);
    ad_tensor_free(xp);
    ad_arena_free(arena);
}

static void fm_log_likelihood(GenModel *m, const float *x, int n, double *lp) {
    gm_fm_log_likelihood_steps(m, x, n, lp, 40);
}

static void fm_destroy(GenModel *m) {
    GmFm *fm = m->self;
    nn_mlp_free(&fm->net);
    free(fm);
}

static const GenModelVT FM_VT = {
    .name = "FlowMatching", .family = GM_FAM_FLOW, .paradigm = GM_PAR_FLOW,
    .caps = GM_CAP_SAMPLE | GM_CAP_LOGLIK, /* PF-ODE: exact up to the ODE solver */
    .train_step = fm_train_step, .sample = fm_sample, .log_likelihood = fm_log_likelihood,
    .destroy = fm_destroy,
};

void gm_fm_init(GenModel *m, int dim, int hidden, int paired, Rng *rng) {
    GmFm *fm = xcalloc(1, sizeof *fm);
    int widths[4] = {dim + 1, hidden, hidden, dim};
    nn_mlp_init(&fm->net, 3, widths, NN_ACT_SILU, AD_F32, rng);
    fm->paired = paired, fm->dim = dim, fm->sample_steps = 50;
    gm_init(m, &FM_VT, fm, dim);
    nn_mlp_params(&fm->net, "velocity", &m->player[0].params);
}
