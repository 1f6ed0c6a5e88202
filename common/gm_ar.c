/* gm_ar — see gm_ar.h. */
#include "common/gm_ar.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/mathfn.h"
#include "common/util.h"

void gm_made_init(GmMade *m, int D, int V, int H, AdDtype dtype, Rng *rng) {
    m->D = D, m->V = V, m->H = H, m->dtype = dtype;
    nn_linear_init(&m->l1, D, H, 1, dtype, NN_INIT_HE_UNIFORM, rng);
    nn_linear_init(&m->l2, H, H, 1, dtype, NN_INIT_HE_UNIFORM, rng);
    nn_linear_init(&m->l3, H, D * V, 1, dtype, NN_INIT_GLOROT_UNIFORM, rng);
    int *deg_h = xmalloc((size_t)H * sizeof *deg_h);
    for (int k = 0; k < H; k++) deg_h[k] = 1 + k % (D - 1);
    m->mask[0] = xmalloc((size_t)D * H * sizeof(double));
    m->mask[1] = xmalloc((size_t)H * H * sizeof(double));
    m->mask[2] = xmalloc((size_t)H * D * V * sizeof(double));
    //: $M^{(1)}_{ik} = [m(k) \ge i+1]$, $M^{(2)}_{jk} = [m(k) \ge m(j)]$, $M^{(3)}_{k,(i,v)} = [i+1 > m(k)]$, [eq:L42.4.6.made]
    for (int i = 0; i < D; i++)
        for (int k = 0; k < H; k++) m->mask[0][i * H + k] = deg_h[k] >= i + 1;
    for (int j = 0; j < H; j++)
        for (int k = 0; k < H; k++) m->mask[1][j * H + k] = deg_h[k] >= deg_h[j];
    for (int k = 0; k < H; k++)
        for (int c = 0; c < D * V; c++) m->mask[2][(size_t)k * D * V + c] = c / V + 1 > deg_h[k];
    free(deg_h);
}

void gm_made_free(GmMade *m) {
    nn_linear_free(&m->l1), nn_linear_free(&m->l2), nn_linear_free(&m->l3);
    for (int k = 0; k < 3; k++) free(m->mask[k]);
}

static AdTensor *masked(AdArena *arena, const NnLinear *l, const double *mask, AdTensor *x) {
    int shape[2] = {l->in, l->out};
    AdTensor *M = ad_from_doubles(arena, l->weight->dtype, 2, shape, mask);
    return ad_linear(arena, x, ad_mul(arena, l->weight, M), l->bias);
}

AdTensor *gm_made_logits(AdArena *arena, const GmMade *m, const int *lev, int n) {
    int shape[2] = {n, m->D};
    AdTensor *x = ad_input(arena, m->dtype, 2, shape);
    for (long i = 0; i < (long)n * m->D; i++) ad_set(x, i, lev[i] / (double)(m->V - 1));
    //: [eq:L42.4.6.made]
    AdTensor *h = ad_relu(arena, masked(arena, &m->l1, m->mask[0], x));
    h = ad_relu(arena, masked(arena, &m->l2, m->mask[1], h));
    return masked(arena, &m->l3, m->mask[2], h);
}

/* mean NLL in nats per dimension over the batch, as a graph */
static AdTensor *made_nll(AdArena *arena, const GmMade *m, const int *lev, int n) {
    int shape[2] = {n * m->D, m->V};
    //: $-\frac1{nD}\sum\log\mathrm{softmax}(\ell_{i,\cdot})_{x_i}$, [eq:L42.4.6.nll]
    return ad_cross_entropy(arena, ad_reshape(arena, gm_made_logits(arena, m, lev, n), 2, shape), lev);
}

void gm_made_logp(const GmMade *m, const int *lev, int n, double *lp) {
    AdArena *arena = ad_arena_new(1 << 22);
    AdTensor *l = gm_made_logits(arena, m, lev, n);
    int shape[2] = {n * m->D, m->V};
    AdTensor *ls = ad_log_softmax(arena, ad_reshape(arena, l, 2, shape));
    for (int i = 0; i < n; i++) {
        lp[i] = 0;
        for (int d = 0; d < m->D; d++) lp[i] += ad_get(ls, ((long)i * m->D + d) * m->V + lev[(long)i * m->D + d]);
    }
    ad_arena_free(arena);
}

double gm_ar_independent_bits(const int *lev_fit, int n_fit, const int *lev_test, int n_test, int D, int V) {
    double bits = 0, *cnt = xmalloc((size_t)V * sizeof *cnt);
    for (int d = 0; d < D; d++) {
        for (int v = 0; v < V; v++) cnt[v] = 1.0;
        for (int i = 0; i < n_fit; i++) cnt[lev_fit[(size_t)i * D + d]] += 1.0;
        //: $p_d(v) = (1 + \#\{x_d = v\})/(n + V)$, bits/dim $= -\frac1{nD}\sum\log_2 p_d(x_d)$
        for (int i = 0; i < n_test; i++) bits += -log2(cnt[lev_test[(size_t)i * D + d]] / (n_fit + V)) / ((double)D * n_test);
    }
    free(cnt);
    return bits;
}

int gm_ar_level(float v, int V) {
    int q = (int)lrintf(v * (float)(V - 1));
    return q < 0 ? 0 : q >= V ? V - 1 : q;
}

/* GenModel wrapper: rows are pixels in [0, 1] */
static AdTensor *made_train_step(GenModel *gm, int player, AdArena *arena, const float *rows, int n,
                                 Rng *rng, GmLoss *terms) {
    (void)player, (void)rng, (void)terms;
    GmMade *m = gm->self;
    int *lev = ad_arena_alloc(arena, (size_t)n * m->D * sizeof *lev);
    for (long i = 0; i < (long)n * m->D; i++) lev[i] = gm_ar_level(rows[i], m->V);
    return made_nll(arena, m, lev, n);
}

static void made_log_likelihood(GenModel *gm, const float *x, int n, double *lp) {
    GmMade *m = gm->self;
    int *lev = xmalloc((size_t)n * m->D * sizeof *lev);
    for (long i = 0; i < (long)n * m->D; i++) lev[i] = gm_ar_level(x[i], m->V);
    gm_made_logp(m, lev, n, lp);
    free(lev);
}

void gm_made_sample_levels(GmMade *m, int n, int *lev, double temp, Rng *rng) {
    memset(lev, 0, (size_t)n * m->D * sizeof *lev);
    AdArena *arena = ad_arena_new(1 << 22);
    for (int d = 0; d < m->D; d++) {
        ad_arena_reset(arena);
        AdTensor *l = gm_made_logits(arena, m, lev, n);
        m->net_rows += n;
        for (int s = 0; s < n; s++) {
            double lg[64], pr[64];
            for (int v = 0; v < m->V; v++) lg[v] = ad_get(l, (long)s * m->D * m->V + d * m->V + v) / temp;
            //: $p(x_i = v\mid x_{<i}) = \mathrm{softmax}(\ell_{i,\cdot}/\tau)_v$
            softmax(lg, pr, m->V);
            double u = rng_uniform(rng), c = 0;
            int v = 0;
            while (v < m->V - 1 && (c += pr[v]) < u) v++;
            //: $x_i \leftarrow v$ (B12: written back)
            lev[(long)s * m->D + d] = v;
        }
    }
    ad_arena_free(arena);
}

static void made_sample(GenModel *gm, int n, float *x_out, Rng *rng) {
    GmMade *m = gm->self;
    int *lev = xmalloc((size_t)n * m->D * sizeof *lev);
    gm_made_sample_levels(m, n, lev, 1.0, rng);
    for (long i = 0; i < (long)n * m->D; i++) x_out[i] = (float)lev[i] / (float)(m->V - 1);
    free(lev);
}

static void made_destroy(GenModel *gm) {
    gm_made_free(gm->self);
    free(gm->self);
}

static const GenModelVT MADE_VT = {
    .name = "MaskedAR", .family = GM_FAM_AR, .paradigm = GM_PAR_LIKELIHOOD,
    .caps = GM_CAP_SAMPLE | GM_CAP_LOGLIK | GM_CAP_EXACT_LOGLIK,
    .train_step = made_train_step, .sample = made_sample, .log_likelihood = made_log_likelihood,
    .destroy = made_destroy,
};


void gm_made_model_init(GenModel *gm, int D, int V, int H, Rng *rng) {
    GmMade *m = xcalloc(1, sizeof *m);
    gm_made_init(m, D, V, H, AD_F32, rng);
    gm_init(gm, &MADE_VT, m, D);
    nn_linear_params(&m->l1, "l1", &gm->player[0].params);
    nn_linear_params(&m->l2, "l2", &gm->player[0].params);
    nn_linear_params(&m->l3, "l3", &gm->player[0].params);
    gm->player[0].opt = optim_adam(3e-3, 0.9, 0.999, 1e-8, 0.0);
}
