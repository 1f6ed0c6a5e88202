/* gm_diffusion — see gm_diffusion.h. */
#include "common/gm_diffusion.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/diffusion_sampler.h"
#include "common/util.h"

AdTensor *gm_ddpm_eps(AdArena *arena, GmDdpm *e, AdTensor *x, const int *t, int n) {
    int tshape[2] = {n, 1};
    AdTensor *tt = ad_input(arena, x->dtype, 2, tshape);
    for (int i = 0; i < n; i++) ad_set(tt, i, (double)t[i] / e->sched.T);
    AdTensor *parts[2] = {x, tt};
    return nn_mlp_forward(arena, &e->net, ad_concat(arena, parts, 2, 1));
}

static AdTensor *eps_train_step(GenModel *m, int player, AdArena *arena, const float *rows, int n,
                                Rng *rng, GmLoss *terms) {
    (void)player, (void)terms;
    GmDdpm *e = m->self;
    const int D = m->dim;
    int shape[2] = {n, D};
    AdTensor *x_t = ad_input(arena, AD_F32, 2, shape), *eps = ad_input(arena, AD_F32, 2, shape);
    int *t = ad_arena_alloc(arena, (size_t)n * sizeof *t);
    for (int i = 0; i < n; i++) {
        t[i] = 1 + (int)(rng_uniform(rng) * e->sched.T);
        if (t[i] > e->sched.T) t[i] = e->sched.T;
        for (int j = 0; j < D; j++) {
            double z = rng_normal(rng);
            //: $x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon$, [eq:common.diffusion.q_xt_x0]
            ad_f32(x_t)[(size_t)D * i + j] = (float)(diffusion_sqrt_alpha_bar(&e->sched, t[i]) * rows[(size_t)D * i + j] +
                                                     diffusion_sqrt_one_minus_alpha_bar(&e->sched, t[i]) * z);
            ad_f32(eps)[(size_t)D * i + j] = (float)z;
        }
    }
    //: [eq:L42.4.5.eps_loss]
    return ad_mean(arena, ad_square(arena, ad_sub(arena, gm_ddpm_eps(arena, e, x_t, t, n), eps)));
}

void gm_ddpm_eps_fn(const double *x, size_t n, size_t dim, int t, double abar_t, double *out, void *ctx) {
    (void)abar_t;
    GmDdpm *e = ctx;
    e->net_rows += (long)n;
    AdArena *arena = ad_arena_new(1 << 18);
    int shape[2] = {(int)n, (int)dim};
    AdTensor *xt = ad_input(arena, AD_F32, 2, shape);
    int *tt = xmalloc(n * sizeof *tt);
    for (size_t i = 0; i < n; i++) tt[i] = t;
    for (size_t i = 0; i < n * dim; i++) ad_f32(xt)[i] = (float)x[i];
    AdTensor *y = gm_ddpm_eps(arena, e, xt, tt, (int)n);
    for (size_t i = 0; i < n * dim; i++) out[i] = ad_f32(y)[i];
    free(tt);
    ad_arena_free(arena);
}

static void eps_sample(GenModel *m, int n, float *x_out, Rng *rng) {
    GmDdpm *e = m->self;
    const int T = e->sched.T, S = e->ddim_steps > 0 ? e->ddim_steps : T, D = m->dim;
    int *tau = xmalloc((size_t)S * sizeof *tau);
    DiffStep *steps = xmalloc((size_t)(S > T ? S : T) * sizeof *steps);
    int ns;
    if (e->ddim_steps > 0) {
        //: DDIM, $\eta = 0$, on the trailing sub-sequence of $S$ steps (4.8)
        diff_timesteps(T, S, DIFF_TAU_TRAILING, tau);
        ns = diff_plan_ddim(e->sched.alpha_bar, tau, S, 0.0, steps);
    } else {
        //: DDPM ancestral, $\sigma_t^2 = \beta_t$, all $T$ steps
        ns = diff_plan_ddpm(e->sched.beta, e->sched.alpha_bar, T, DIFF_VAR_BETA, steps);
    }
    DiffSampler s;
    diff_sampler_init(&s, (size_t)n, (size_t)D, e->sched.alpha_bar, gm_ddpm_eps_fn, e, rng_u64(rng));
    s.draw_prior = 1, s.n_threads = 1;
    double *x = xmalloc((size_t)n * D * sizeof *x);
    diff_run(&s, steps, ns, x);
    for (size_t i = 0; i < (size_t)D * n; i++) x_out[i] = (float)x[i];
    free(x), free(tau), free(steps);
}

static void eps_destroy(GenModel *m) {
    GmDdpm *e = m->self;
    nn_mlp_free(&e->net);
    diffusion_schedule_free(&e->sched);
    free(e);
}

static const GenModelVT EPS_VT = {
    .name = "DDPM", .family = GM_FAM_DIFFUSION, .paradigm = GM_PAR_SCORE, .caps = GM_CAP_SAMPLE,
    .train_step = eps_train_step, .sample = eps_sample, .destroy = eps_destroy,
};


void gm_ddpm_init(GenModel *m, int dim, int hidden, const DiffusionSchedule *sched, Rng *rng) {
    GmDdpm *e = xcalloc(1, sizeof *e);
    int widths[4] = {dim + 1, hidden, hidden, dim};
    nn_mlp_init(&e->net, 3, widths, NN_ACT_SILU, AD_F32, rng);
    e->sched = diffusion_schedule_copy(sched);
    e->ddim_steps = 50;
    gm_init(m, &EPS_VT, e, dim);
    nn_mlp_params(&e->net, "eps", &m->player[0].params);
}
