/* gm_diffusion — see gm_diffusion.h. */
#include "common/gm_diffusion.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/diffusion_sampler.h"
#include "common/gauss.h"
#include "common/util.h"

AdTensor *gm_ddpm_eps_u(AdArena *arena, GmDdpm *e, AdTensor *x, const double *u, int n) {
    int tshape[2] = {n, 1};
    AdTensor *tt = ad_input(arena, x->dtype, 2, tshape);
    for (int i = 0; i < n; i++) ad_set(tt, i, u[i]);
    AdTensor *parts[2] = {x, tt};
    return nn_mlp_forward(arena, &e->net, ad_concat(arena, parts, 2, 1));
}

AdTensor *gm_ddpm_eps(AdArena *arena, GmDdpm *e, AdTensor *x, const int *t, int n) {
    double *u = ad_arena_alloc(arena, (size_t)n * sizeof *u);
    for (int i = 0; i < n; i++) u[i] = (double)t[i] / e->sched.T;
    return gm_ddpm_eps_u(arena, e, x, u, n);
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

/* ---- the continuous-time view and its probability-flow ODE (L42 5.3) ---- */

GmVpLinear gm_vp_linear_of(const DiffusionSchedule *s) {
    return (GmVpLinear){.T = s->T, .beta_min = s->beta[1], .beta_max = s->beta[s->T]};
}

/* b(tau): the linear beta formula at real tau (b(t) = beta_t at integer t) */
static double vp_b(const GmVpLinear *v, double tau) {
    return v->beta_min + (tau - 1.0) / (v->T - 1) * (v->beta_max - v->beta_min);
}

double gm_vp_beta(const GmVpLinear *v, double u) {
    //: $\beta(u) = -T\log(1 - b(uT + \tfrac12))$, [eq:common.gm_diffusion.vp_continuous]
    return -v->T * log1p(-vp_b(v, u * v->T + 0.5));
}

double gm_vp_log_abar(const GmVpLinear *v, double u) {
    /* 4-point Gauss-Legendre on [0, uT]: log(1 - b) of a linear b in [0, 0.02] is a polynomial to
       far below double precision at degree 7 (the closed form w log w - w cancels catastrophically) */
    static const double xg[4] = {-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526};
    static const double wg[4] = {0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538};
    const double U = u * v->T;
    double s = 0;
    //: $\log\bar\alpha(u) = \int_0^{uT}\log(1 - b(\tau + \tfrac12))\,d\tau$, [eq:common.gm_diffusion.vp_continuous]
    for (int k = 0; k < 4; k++) s += wg[k] * log1p(-vp_b(v, 0.5 * U * (1.0 + xg[k]) + 0.5));
    return 0.5 * U * s;
}

typedef struct {
    const GmVpLinear *v;
    GmEpsTraceFn f;
    void *fctx;
    int n, dim;
    double *eps, *trace;
    long calls;
} PfCtx;

/* the augmented field: y = (x (n x dim), l (n)) -> (v, div v) */
static void pf_field(double u, const double *y, double *dydt, int len, void *ctx) {
    (void)len;
    PfCtx *c = ctx;
    const int n = c->n, D = c->dim;
    c->f(u, y, n, D, c->eps, c->trace, c->fctx);
    c->calls++;
    const double beta = gm_vp_beta(c->v, u), sigma = sqrt(-expm1(gm_vp_log_abar(c->v, u)));
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < D; j++) {
            const size_t q = (size_t)D * i + j;
            //: $v = -\tfrac12\beta(u)\,(x - \hat\epsilon/\sigma(u))$, [eq:common.gm_diffusion.pf_loglik]
            dydt[q] = -0.5 * beta * (y[q] - c->eps[q] / sigma);
        }
        //: $\nabla\cdot v = -\tfrac12\beta(u)\,(D - \operatorname{tr}\partial_x\hat\epsilon/\sigma(u))$
        dydt[(size_t)n * D + i] = -0.5 * beta * (D - c->trace[i] / sigma);
    }
}

long gm_vp_pf_flow(const GmVpLinear *v, GmEpsTraceFn f, void *ctx, const double *x, int n, int dim, double u0,
                   int steps, OdeMethod method, double *x1, double *delta) {
    const size_t nd = (size_t)n * dim;
    double *y = xmalloc((nd + (size_t)n) * sizeof *y), *grid = xmalloc(((size_t)steps + 1) * sizeof *grid);
    PfCtx c = {.v = v, .f = f, .fctx = ctx, .n = n, .dim = dim, .eps = xmalloc(nd * sizeof(double)),
               .trace = xmalloc((size_t)n * sizeof(double))};
    memcpy(y, x, nd * sizeof *y);
    for (int i = 0; i < n; i++) y[nd + i] = 0;
    //: $u_k = u_0^{1-k/K}$: equal steps in $\log u$
    for (int k = 0; k <= steps; k++) grid[k] = k == steps ? 1.0 : pow(u0, 1.0 - (double)k / steps);
    //: $\log p_{u_0}(x_{u_0}) = \log p_1(x_1) + \int_{u_0}^1\nabla\cdot v\,du$, [eq:common.gm_diffusion.pf_loglik]
    ode_solve_grid(method, pf_field, &c, grid, steps, y, (int)(nd + (size_t)n), NULL);
    if (x1) memcpy(x1, y, nd * sizeof *y);
    memcpy(delta, y + nd, (size_t)n * sizeof *delta);
    free(y), free(grid), free(c.eps), free(c.trace);
    return c.calls;
}

void gm_ddpm_eps_trace(double u, const double *x, int n, int dim, double *eps, double *trace, void *ctx) {
    GmDdpm *e = ctx;
    AdArena *arena = ad_arena_new(1 << 20);
    int shape[2] = {n, dim};
    AdTensor *xp = ad_param_new(AD_F32, 2, shape);
    double *uu = xmalloc((size_t)n * sizeof *uu);
    for (int i = 0; i < n; i++) uu[i] = u, trace[i] = 0;
    for (size_t i = 0; i < (size_t)n * dim; i++) ad_f32(xp)[i] = (float)x[i];
    for (int j = 0; j < dim; j++) {
        ad_arena_reset(arena);
        memset(xp->grad, 0, (size_t)n * dim * sizeof(float));
        AdTensor *y = gm_ddpm_eps_u(arena, e, xp, uu, n);
        if (j == 0)
            for (size_t i = 0; i < (size_t)n * dim; i++) eps[i] = ad_f32(y)[i];
        //: one vector-Jacobian product per coordinate: $\operatorname{tr}\partial_x\hat\epsilon = \sum_j \partial\hat\epsilon_j/\partial x_j$
        ad_backward(arena, ad_sum(arena, ad_slice(arena, y, 1, j, j + 1)));
        for (int i = 0; i < n; i++) trace[i] += ad_grad_f32(xp)[(size_t)dim * i + j];
    }
    ad_tensor_free(xp);
    free(uu);
    ad_arena_free(arena);
}

long gm_ddpm_pf_log_likelihood(GenModel *m, const float *x, int n, double u0, int steps, OdeMethod method,
                               double *lp) {
    GmDdpm *e = m->self;
    const int D = m->dim;
    const GmVpLinear v = gm_vp_linear_of(&e->sched);
    double *xd = xmalloc((size_t)n * D * sizeof *xd), *x1 = xmalloc((size_t)n * D * sizeof *x1);
    double *zero = xcalloc((size_t)D, sizeof *zero);
    for (size_t i = 0; i < (size_t)n * D; i++) xd[i] = x[i];
    const long calls = gm_vp_pf_flow(&v, gm_ddpm_eps_trace, e, xd, n, D, u0, steps, method, x1, lp);
    //: the prior $p_1 = \mathcal N(0, I)$: $\log p_{u_0}(x) = \log\mathcal N(x_1; 0, I) + \int\nabla\cdot v$
    for (int i = 0; i < n; i++) lp[i] += gauss_logpdf_iso(x1 + (size_t)D * i, zero, 1.0, D);
    /* the vector-Jacobian products left gradients on the network's parameters: clear them */
    nn_params_zero_grad(&m->player[0].params);
    free(xd), free(x1), free(zero);
    return calls;
}
