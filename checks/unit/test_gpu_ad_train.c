/* test_gpu_ad_train — the MLP training loop of gpu/gpu_ad_train.h on the device executor against
   the same loop on common/ad (the DSM MLP 2-64-64-2 of L35 4.2, tanh, Adam, the same initial
   weights and the same batches on both paths).

   What is bounded, and how. From a common state (the CPU path's parameters after s steps) one
   device step's loss and every gradient entry are compared with the exact value of the same
   formula, computed here in f64, within a running error bound carried through the network
   (gpu_precision.h's GpErr rules): a matmul entry sum_k a_k W_kj + b_j whose inputs a carry
   bounds e_a gets sum_k e_a |W| + gamma_{k+1} (sum_k (|a| + e_a)|W| + |b|); tanh goes through
   gp_activation (the Vulkan exp and division ulp bounds); the squared error, the fixed
   summation tree (gamma_D) and the host's rounded 1/n as in test_gpu_ops; the backward pass the
   same way through the transposed products and tanh' = 1 - y^2 with y's bound. The bound is
   rigorous (not first order): every conformant device lies inside it.

   What is not bounded: the N-step trajectories. Adam's first steps move a parameter by about
   lr sign(g); a gradient entry within its rounding bound of 0 may take either sign on the two
   paths, so two correct implementations can differ by 2 lr in a parameter after one step, and
   no Lipschitz constant carries a precision bound through the run. The N-step differences are
   printed (a demonstration), the loss curves' agreement is not a check.

   Also checked: the device ran every step; a device lost mid-run falls back to the CPU path from
   the unchanged start with the CPU path's result, bit for bit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/unit/gpu_test_util.h"
#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/nn.h"
#include "common/optim.h"
#include "common/rng.h"
#include "gpu/gpu_ad.h"
#include "gpu/gpu_ad_replay.h"
#include "gpu/gpu_ad_train.h"
#include "gpu/gpu_precision.h"

#define BATCH 256
#define SIGMA 0.5

/* The DSM batch of L35 4.2 for step s: x0 ~ 0.5 N((-2,0), I) + 0.5 N((2,0), I),
   x = x0 + sigma eps, target -eps / sigma; one Philox stream per step. */
typedef struct { uint64_t seed; } DsmCtx;
static void dsm_batch(void *ctx, long step, int batch, float *x, float *y) {
    Rng r;
    rng_init(&r, ((DsmCtx *)ctx)->seed, (uint64_t)step);
    for (int b = 0; b < batch; b++) {
        const double c = rng_uniform(&r) < 0.5 ? -2.0 : 2.0;
        const double x0[2] = {c + rng_normal(&r), rng_normal(&r)};
        for (int j = 0; j < 2; j++) {
            const double e = rng_normal(&r);
            x[2 * b + j] = (float)(x0[j] + SIGMA * e);
            y[2 * b + j] = (float)(-e / SIGMA);
        }
    }
}

static void make_mlp(NnMlp *m, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 99);
    nn_mlp_init(m, 3, (int[]){2, 64, 64, 2}, NN_ACT_TANH, AD_F32, &r);
}

static double gam(double n) { return n * GP_U / (1.0 - n * GP_U); }
static double tree_depth(long n) {
    double d = 0;
    do {
        d += n < 64 ? (double)n : 64.0;
        n = (n + 63) / 64;
    } while (n > 1);
    return d;
}

/* ---------------------------------------------------------------------------------------- */
/* The running bound of one step (loss and gradients) of a tanh MLP with float32 weights     */

typedef struct {
    GpErr loss;
    GpErr *grad[6]; /* W0, b0, W1, b1, W2, b2 */
} StepBound;

static GpErr *errs(long n) { return calloc((size_t)n, sizeof(GpErr)); }

static void step_bound(const NnMlp *m, const float *x, const float *y, int B, StepBound *sb) {
    const int L = m->nlayers;
    GpErr *act[4] = {0}, *z[3] = {0};
    act[0] = errs((long)B * m->layers[0].in);
    for (long i = 0; i < (long)B * m->layers[0].in; i++) act[0][i] = gp_exact(x[i]);
    for (int l = 0; l < L; l++) {
        const int K = m->layers[l].in, N = m->layers[l].out;
        const float *W = ad_f32(m->layers[l].weight), *bb = ad_f32(m->layers[l].bias);
        z[l] = errs((long)B * N);
        for (int i = 0; i < B; i++)
            for (int j = 0; j < N; j++) {
                double v = bb[j], prop = 0, mag = fabs(bb[j]);
                for (int k = 0; k < K; k++) {
                    const GpErr a = act[l][i * K + k];
                    v += a.v * W[k * N + j];
                    prop += a.e * fabs(W[k * N + j]);
                    mag += (fabs(a.v) + a.e) * fabs(W[k * N + j]);
                }
                //: the matmul entry: propagated input bounds plus $\gamma_{K+1}$ of the magnitudes
                z[l][i * N + j] = (GpErr){v, prop + gam(K + 1) * mag};
            }
        if (l < L - 1) {
            act[l + 1] = errs((long)B * N);
            for (long i = 0; i < (long)B * N; i++) act[l + 1][i] = gp_activation(GPU_ACT_TANH, z[l][i]);
        }
    }
    const int out = m->layers[L - 1].out;
    const long n = (long)B * out;
    const GpErr inv_n = {1.0 / (double)n, GP_U / (double)n};
    GpErr *gz = errs(n);
    double S = 0, E = 0, A = 0;
    for (long i = 0; i < n; i++) {
        const GpErr d = gp_sub(z[L - 1][i], gp_exact(y[i]));
        const GpErr q = gp_mul(d, d);
        S += q.v, E += q.e, A += fabs(q.v) + q.e;
        //: mean and square backward: $\bar d = (0 + \bar q d) + \bar q d$, $\bar q = \mathrm{fl}(1/n)$
        const GpErr t = gp_mul(inv_n, d);
        gz[i] = gp_add(t, t);
    }
    sb->loss = gp_mul((GpErr){S, E + gam(tree_depth(n)) * A}, inv_n);
    for (int l = L - 1; l >= 0; l--) {
        const int K = m->layers[l].in, N = m->layers[l].out;
        const float *W = ad_f32(m->layers[l].weight);
        GpErr *gw = errs((long)K * N), *gb = errs(N);
        for (int k = 0; k < K; k++)
            for (int j = 0; j < N; j++) {
                double v = 0, prop = 0, mag = 0;
                for (int i = 0; i < B; i++) {
                    const GpErr a = act[l][i * K + k], g = gz[i * N + j];
                    v += a.v * g.v;
                    prop += fabs(a.v) * g.e + a.e * fabs(g.v) + a.e * g.e;
                    mag += (fabs(a.v) + a.e) * (fabs(g.v) + g.e);
                }
                gw[k * N + j] = (GpErr){v, prop + gam(B + 1) * mag};
            }
        for (int j = 0; j < N; j++) {
            double v = 0, prop = 0, mag = 0;
            for (int i = 0; i < B; i++) {
                v += gz[i * N + j].v, prop += gz[i * N + j].e;
                mag += fabs(gz[i * N + j].v) + gz[i * N + j].e;
            }
            gb[j] = (GpErr){v, prop + gam(B + 1) * mag};
        }
        sb->grad[2 * l] = gw;
        sb->grad[2 * l + 1] = gb;
        if (l == 0) break;
        GpErr *gprev = errs((long)B * K);
        for (int i = 0; i < B; i++)
            for (int k = 0; k < K; k++) {
                double v = 0, prop = 0, mag = 0;
                for (int j = 0; j < N; j++) {
                    const GpErr g = gz[i * N + j];
                    v += g.v * W[k * N + j];
                    prop += g.e * fabs(W[k * N + j]);
                    mag += (fabs(g.v) + g.e) * fabs(W[k * N + j]);
                }
                const GpErr ga = {v, prop + gam(N + 1) * mag};
                //: $\bar z = 0 + \bar a\,(1 - y^2)$ with the device's $y$ and its bound
                const GpErr yv = act[l][i * K + k];
                gprev[i * K + k] = gp_mul(ga, gp_sub(gp_exact(1), gp_mul(yv, yv)));
            }
        free(gz);
        gz = gprev;
    }
    free(gz);
    for (int l = 0; l < 4; l++) free(act[l]);
    for (int l = 0; l < 3; l++) free(z[l]);
}

/* The f64 values of the bound's formula against common/ad f64 on a copy of the network: a check
   of this file's own arithmetic (not of the device). */
static double ad64_agreement(const NnMlp *m, const float *x, const float *y, int B,
                             const StepBound *sb) {
    NnMlp m64;
    Rng r;
    rng_init(&r, 1, 99);
    nn_mlp_init(&m64, 3, (int[]){2, 64, 64, 2}, NN_ACT_TANH, AD_F64, &r);
    for (int l = 0; l < m->nlayers; l++) {
        ad_copy_values(m64.layers[l].weight, m->layers[l].weight);
        ad_copy_values(m64.layers[l].bias, m->layers[l].bias);
    }
    AdArena *ar = ad_arena_new(1 << 20);
    AdTensor *ax = ad_input(ar, AD_F64, 2, (int[]){B, 2});
    AdTensor *ay = ad_input(ar, AD_F64, 2, (int[]){B, 2});
    for (long i = 0; i < 2L * B; i++) ad_set(ax, i, x[i]), ad_set(ay, i, y[i]);
    AdTensor *d = ad_sub(ar, nn_mlp_forward(ar, &m64, ax), ay);
    AdTensor *loss = ad_mean(ar, ad_mul(ar, d, d));
    ad_backward(ar, loss);
    double worst = fabs(ad_item(loss) - sb->loss.v) / fabs(sb->loss.v);
    for (int l = 0; l < m->nlayers; l++)
        for (int w = 0; w < 2; w++) {
            AdTensor *p = w ? m64.layers[l].bias : m64.layers[l].weight;
            for (long i = 0; i < p->size; i++) {
                const double rel = fabs(ad_grad_get(p, i) - sb->grad[2 * l + w][i].v) /
                                   (fabs(sb->grad[2 * l + w][i].v) + 1e-300);
                if (rel > worst && fabs(sb->grad[2 * l + w][i].v) > 1e-12) worst = rel;
            }
        }
    ad_arena_free(ar);
    nn_mlp_free(&m64);
    return worst;
}

/* |device - v| / bound, the bound widened by the f64 evaluation's own rounding */
static double ratio(double dev, GpErr b) {
    return fabs(dev - b.v) / (b.e * (1 + 0x1p-30) + 0x1p-40 * fabs(b.v));
}

/* One device step from the CPU path's state after s steps, on batch s. */
static void test_step_from_cpu_state(GpuContext *g, long s, uint64_t seed) {
    char id[80];
    snprintf(id, sizeof id, "common.gpu.ad_train.step_bound_s%ld", s);
    if (!g) {
        check_skip(id, "no GPU context");
        return;
    }
    NnMlp m;
    make_mlp(&m, seed);
    DsmCtx ctx = {seed};
    const GadMlpTrain job = {&m, BATCH, s, optim_adam(1e-3, 0.9, 0.999, 1e-8, 0), dsm_batch, &ctx, NULL};
    gad_train_mlp(NULL, &job);
    float x[2 * BATCH], y[2 * BATCH];
    dsm_batch(&ctx, s, BATCH, x, y);
    StepBound sb;
    step_bound(&m, x, y, BATCH, &sb);
    const double self = ad64_agreement(&m, x, y, BATCH, &sb);

    /* the loss of gad_train_mlp, recorded in common/ad's record-only mode and replayed */
    GadGraph *gr = gad_graph_new(g);
    AdTensor *list[6];
    gad_mlp_param_list(&m, list);
    GadReplay *rp = gad_replay_new(gr, list, 6);
    AdArena *ar = ad_arena_new(1 << 16);
    ad_arena_set_deferred(ar, 1);
    GadTensor *loss = rp ? gad_replay_record(rp, gad_mlp_loss(ar, &m, x, y, BATCH)) : NULL;
    GadTensor **params = rp ? gad_replay_params(rp) : NULL;
    int rc = !loss;
    float lv = NAN;
    rc = rc || gad_backward(gr, loss) || gad_run(gr, NULL) || gad_read(loss, &lv);
    double worst_loss = rc ? INFINITY : ratio(lv, sb.loss), worst_grad = 0;
    for (int p = 0; p < 6 && !rc; p++) {
        float *gv = malloc(sizeof(float) * (size_t)params[p]->size);
        rc = gad_read_grad(params[p], gv);
        for (long i = 0; i < params[p]->size && !rc; i++) {
            const double r = ratio(gv[i], sb.grad[p][i]);
            if (!(r <= worst_grad)) worst_grad = r;
        }
        free(gv);
    }
    if (rc) worst_grad = INFINITY;
    check_le(id, fmax(worst_loss, worst_grad), 1.0, 0.0, NULL,
             "one device step from the CPU path's state after %ld steps (batch %d): loss %.7g "
             "(exact %.7g, bound %.2g) and every gradient entry within the running bound; worst "
             "error/bound loss %.3g, gradients %.3g (bound's f64 values vs common/ad f64: %.1e "
             "relative)", s, BATCH, (double)lv, sb.loss.v, sb.loss.e, worst_loss, worst_grad, self);
    for (int p = 0; p < 6; p++) free(sb.grad[p]);
    gad_replay_free(rp);
    ad_arena_free(ar);
    gad_graph_free(gr);
    nn_mlp_free(&m);
}

static double max_param_diff(const NnMlp *a, const NnMlp *b) {
    double w = 0;
    for (int l = 0; l < a->nlayers; l++) {
        for (long i = 0; i < a->layers[l].weight->size; i++)
            w = fmax(w, fabs(ad_get(a->layers[l].weight, i) - ad_get(b->layers[l].weight, i)));
        for (long i = 0; i < a->layers[l].bias->size; i++)
            w = fmax(w, fabs(ad_get(a->layers[l].bias, i) - ad_get(b->layers[l].bias, i)));
    }
    return w;
}

/* N steps on both paths: the device runs them all; the differences are printed. */
static void test_trajectories(GpuContext *g, long steps, uint64_t seed) {
    NnMlp mc, mg;
    make_mlp(&mc, seed);
    make_mlp(&mg, seed);
    DsmCtx ctx = {seed};
    double *lc = calloc((size_t)steps, sizeof *lc), *lg = calloc((size_t)steps, sizeof *lg);
    const OptimConfig opt = optim_adam(1e-3, 0.9, 0.999, 1e-8, 0);
    const int cpu = gad_train_mlp(NULL, &(GadMlpTrain){&mc, BATCH, steps, opt, dsm_batch, &ctx, lc});
    check_true("common.gpu.ad_train.cpu_without_context", cpu == 0,
               "without a context the loop runs on common/ad");
    if (!g) {
        check_skip("common.gpu.ad_train.device_ran", "no GPU context");
        check_skip("common.gpu.ad_train.fallback_same_as_cpu", "no GPU context");
    } else {
        const int on = gad_train_mlp(g, &(GadMlpTrain){&mg, BATCH, steps, opt, dsm_batch, &ctx, lg});
        int finite = 1;
        double dl = 0;
        for (long s = 0; s < steps; s++) finite &= isfinite(lg[s]), dl = fmax(dl, fabs(lg[s] - lc[s]));
        check_true("common.gpu.ad_train.device_ran", on == 1 && finite,
                   "the device ran all %ld steps (one submission each), every loss finite", steps);
        printf("  %ld steps: loss %.6g -> %.6g on the device, %.6g -> %.6g on the CPU; max |loss "
               "difference| %.3g, max |parameter difference| %.3g (lr %.0e; not a check: see the "
               "header)\n", steps, lg[0], lg[steps - 1], lc[0], lc[steps - 1], dl,
               max_param_diff(&mc, &mg), opt.lr);
        /* a device lost at the 3rd batch: the CPU path from the unchanged start */
        char why[256];
        GpuOptions o = {.validation = 1, .timeout_s = 120.0, .quiet = 1, .lose_device_at = 3};
        GpuContext *g2 = gpu_open(GPU_ON, &o, why, sizeof why); /* g is open: a device exists */
        NnMlp mf;
        make_mlp(&mf, seed);
        const int on2 = g2 ? gad_train_mlp(g2, &(GadMlpTrain){&mf, BATCH, steps, opt, dsm_batch, &ctx, NULL}) : -1;
        check_true("common.gpu.ad_train.fallback_same_as_cpu", on2 == 0 && max_param_diff(&mf, &mc) == 0,
                   "the device lost at batch 3: the CPU path ran from the start, parameters bit-identical "
                   "to the CPU run (max difference %.3g)", max_param_diff(&mf, &mc));
        nn_mlp_free(&mf);
        gpu_close(g2);
    }
    free(lc), free(lg);
    nn_mlp_free(&mc);
    nn_mlp_free(&mg);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "the MLP training loop on gpu_ad vs common/ad", 17, NULL);
    char why[512];
    GpuContext *g = gpu_test_open(&cli, argc, argv, why, sizeof why);
    const long steps = cli_scale(&cli, 20, 60, 400);
    test_step_from_cpu_state(g, 0, cli.seed);
    test_step_from_cpu_state(g, steps / 2, cli.seed);
    test_step_from_cpu_state(g, steps, cli.seed);
    test_trajectories(g, steps, cli.seed);
    gpu_test_close(g, "common.gpu.ad_train_validation_clean");
    return check_end();
}
