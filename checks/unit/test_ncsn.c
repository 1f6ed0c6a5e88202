/* Unit tests of common/ncsn.h: the schedule, the eps-parametrised score, the loss against the
   tape-free forward (3-layer tanh and 5-layer SiLU with the mapped noise input), its gradient
   (finite differences), a zero network's loss, short training on
   a Gaussian (whose floor is known in closed form), and a NaN reported with its step. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/ncsn.h"
#include "common/util.h"

enum { D = 2, L = 4, N = 16 };
static const double SIG[L] = {2.0, 1.0, 0.5, 0.25};

typedef struct {
    NcsnNet *net;
    const double *x;
    uint64_t seed;
} LossCtx;

static AdTensor *loss_fn(AdArena *arena, AdTensor **params, int nparams, void *ctx) {
    (void)params, (void)nparams;
    LossCtx *c = ctx;
    Rng r;
    rng_init(&r, c->seed, 0); /* the same noise at every call */
    return ncsn_loss(arena, c->net, c->x, N, SIG, L, &r, NULL);
}

static void gaussian_data(Rng *r, double *x, int n, void *ctx) {
    (void)ctx;
    for (int i = 0; i < n * D; i++) x[i] = rng_normal(r);
}
static void nan_data(Rng *r, double *x, int n, void *ctx) {
    (void)r, (void)ctx;
    for (int i = 0; i < n * D; i++) x[i] = NAN;
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the NCSN module", 11, NULL);

    double s[5];
    ncsn_geometric_schedule(5.0, 0.01, 5, s);
    /* 5 * 0.002^(i/4): closed form */
    double e = 0;
    for (int i = 0; i < 5; i++) e = fmax(e, fabs(s[i] - 5.0 * pow(0.002, i / 4.0)));
    check_close("common.ncsn.schedule", e, 0.0, 1e-15, NULL, "geometric schedule 5 -> 0.01 in 5 levels");

    Rng rng;
    rng_init(&rng, cli.seed, 1);
    NcsnNet net64;
    ncsn_init(&net64, D, 8, AD_F64, &rng);
    net64.input_scale = 0.5;
    double x[N * D];
    for (int i = 0; i < N * D; i++) x[i] = 2.0 * rng_normal(&rng);
    LossCtx lc = {&net64, x, 5};
    NnParams p;
    nn_params_init(&p);
    ncsn_params(&net64, &p);
    double gerr = ad_gradcheck(loss_fn, p.t, p.n, &lc, 1e-6);
    check_le("common.ncsn.loss_gradcheck", gerr, 1e-6, 0.0, "common.ncsn.loss",
             "max relative error of the loss gradient vs central differences (float64 net)");

    /* Loss from the tape vs the tape-free forward (float32 net). */
    NcsnNet net;
    ncsn_init(&net, D, 16, AD_F32, &rng);
    net.input_scale = 0.5;
    AdArena *arena = ad_arena_new(1 << 16);
    Rng r1, r2;
    rng_init(&r1, 9, 0);
    rng_init(&r2, 9, 0);
    double level[L];
    double loss = ad_item(ncsn_loss(arena, &net, x, N, SIG, L, &r1, level));
    double rows[N * L * (D + 1)], eps[N * L * D], direct = 0, lsum = 0;
    ncsn_noisy_batch(&net, x, N, SIG, L, &r2, rows, eps);
    for (int i = 0; i < L; i++) {
        double xt[N * D], eh[N * D], sc[N * D], ident = 0;
        for (int b = 0; b < N; b++)
            for (int a = 0; a < D; a++) xt[b * D + a] = rows[(i * N + b) * (D + 1) + a] / net.input_scale;
        ncsn_eval(&net, xt, N, SIG[i], eh, sc);
        for (int k = 0; k < N * D; k++) {
            direct += (eh[k] - eps[i * N * D + k]) * (eh[k] - eps[i * N * D + k]) / (N * L);
            /* sigma^2 |s + eps/sigma|^2 = |eps - eps_hat|^2 (eq. common.ncsn.loss) */
            ident = fmax(ident, fabs(SIG[i] * SIG[i] * pow(sc[k] + eps[i * N * D + k] / SIG[i], 2) -
                                     pow(eh[k] - eps[i * N * D + k], 2)));
        }
        lsum += level[i] / L;
        char id[64];
        snprintf(id, sizeof id, "common.ncsn.weighting_identity_%d", i);
        check_le(id, ident, 1e-9, 0.0, "common.ncsn.eps_param",
                 "sigma^2 |s + eps/sigma|^2 = |eps - eps_hat|^2 at level %d", i);
    }
    check_close("common.ncsn.loss_vs_eval", loss, direct, 1e-5 * fmax(1.0, direct), "common.ncsn.loss",
                "loss from the tape equals the tape-free forward (float32 rounding)");
    check_close("common.ncsn.level_losses_sum", lsum, loss, 1e-6 * fmax(1.0, loss), "common.ncsn.loss",
                "mean of the per-level terms equals the loss");

    /* The deep SiLU variant with the noise input mapped onto [-1, 1]: gamma at the ends and at the
       geometric midpoint (closed form -1, 1, 0), and the tape's loss against the tape-free forward
       (which must apply SiLU and gamma(sigma) exactly as the training rows do). */
    {
        NcsnNet deep;
        Rng deep_rng;
        rng_init(&deep_rng, cli.seed, 7);
        ncsn_init_deep(&deep, D, 16, 5, NN_ACT_SILU, AD_F32, &deep_rng);
        deep.input_scale = 0.5;
        ncsn_set_sigma_range(&deep, SIG[L - 1], SIG[0]);
        double cond_err = fabs(ncsn_cond(&deep, SIG[L - 1]) + 1.0) + fabs(ncsn_cond(&deep, SIG[0]) - 1.0) +
                      fabs(ncsn_cond(&deep, sqrt(SIG[0] * SIG[L - 1])));
        check_close("common.ncsn.cond_range", cond_err, 0.0, 1e-12, "common.ncsn.cond",
                    "gamma(sigma_min) = -1, gamma(sigma_max) = 1, gamma(geometric mean) = 0 (sum of |errors|)");
        Rng q1, q2;
        rng_init(&q1, 10, 0);
        rng_init(&q2, 10, 0);
        ad_arena_reset(arena);
        double dloss = ad_item(ncsn_loss(arena, &deep, x, N, SIG, L, &q1, NULL)), ddirect = 0;
        ncsn_noisy_batch(&deep, x, N, SIG, L, &q2, rows, eps);
        for (int i = 0; i < L; i++) {
            double xt[N * D], eh[N * D];
            for (int b = 0; b < N; b++)
                for (int a = 0; a < D; a++) xt[b * D + a] = rows[(i * N + b) * (D + 1) + a] / deep.input_scale;
            ncsn_eval(&deep, xt, N, SIG[i], eh, NULL);
            for (int k = 0; k < N * D; k++)
                ddirect += (eh[k] - eps[i * N * D + k]) * (eh[k] - eps[i * N * D + k]) / (N * L);
        }
        check_close("common.ncsn.deep_silu_loss_vs_eval", dloss, ddirect, 1e-5 * fmax(1.0, ddirect),
                    "common.ncsn.loss", "5-layer SiLU net with gamma(sigma): tape loss equals the tape-free forward");
        ncsn_free(&deep);
    }

    /* Zero network: loss d (SE from theory: Var |eps|^2 = 2d per row). */
    nn_init_constant(net.mlp.layers[2].weight, 0.0);
    nn_init_constant(net.mlp.layers[2].bias, 0.0);
    double acc = 0;
    const int nb = cli.scale == SCALE_QUICK ? 20 : 200;
    for (int b = 0; b < nb; b++) {
        ad_arena_reset(arena);
        acc += ad_item(ncsn_loss(arena, &net, x, N, SIG, L, &r1, NULL)) / nb;
    }
    check_mc("common.ncsn.zero_net_loss", acc, (double)D, sqrt(2.0 * D / (nb * N * L)), 4, (long)nb * N * L,
             "common.ncsn.loss", "loss of eps_hat = 0 is d");
    ncsn_free(&net);

    /* Training on N(0, I): per level the floor is d - sigma^2 J(q_sigma) = d / (1 + sigma^2). */
    NcsnNet tnet;
    ncsn_init(&tnet, D, 32, AD_F32, &rng);
    const long steps = cli.scale == SCALE_QUICK ? 300 : 1500;
    double *losses = xmalloc(sizeof(double) * steps), floor_ = 0;
    for (int i = 0; i < L; i++) floor_ += D / (1.0 + SIG[i] * SIG[i]) / L;
    NcsnTrainConfig tc = {steps, 128, 3e-3, 1e-4, 3, NULL};
    char err[200];
    int st = ncsn_train(&tnet, SIG, L, gaussian_data, NULL, &tc, losses, err, sizeof err);
    double tail = 0, tq = 0;
    for (long k = steps - 100; k < steps; k++) tail += losses[k] / 100, tq += losses[k] * losses[k] / 100;
    double se = sqrt(fmax(tq - tail * tail, 0.0) / 100);
    check_true("common.ncsn.train_ok", st == 0, "training on N(0, I) returns 0");
    check_ge("common.ncsn.train_above_floor", tail, floor_, 4 * se, "common.ncsn.loss",
             "last-100 mean loss >= the floor sum_i d/(1+sigma_i^2)/L = %.4f - 4 SE", floor_);
    check_le("common.ncsn.train_near_floor", tail - floor_, 0.05, 4 * se, "common.ncsn.loss",
             "last-100 mean loss - floor <= 0.05 + 4 SE");
    /* the optimum eps_hat = sigma x / (1 + sigma^2) at x = (1, -1), sigma = 1: (0.5, -0.5) */
    double xp[2] = {1.0, -1.0}, eh[2];
    ncsn_eval(&tnet, xp, 1, 1.0, eh, NULL);
    check_close("common.ncsn.trained_eps_hat", hypot(eh[0] - 0.5, eh[1] + 0.5), 0.0, 0.1, "common.ncsn.eps_param",
                "trained eps_hat(1, -1; sigma 1) vs the exact sigma x/(1+sigma^2) = (0.5, -0.5)");
    err[0] = 0;
    st = ncsn_train(&tnet, SIG, L, nan_data, NULL, &tc, losses, err, sizeof err);
    check_true("common.ncsn.nan_reported", st == -1 && strstr(err, "step 1 ") != NULL,
               "a NaN batch stops training with the step in the message (%s)", err);
    free(losses);
    ncsn_free(&tnet);
    nn_params_free(&p);
    ncsn_free(&net64);
    ad_arena_free(arena);
    return check_end();
}
