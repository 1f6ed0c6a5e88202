/* Unit tests of v-prediction in common/ddpm_net.h (DdpmNetConfig.prediction = DDPM_PRED_V):
   the conversions v <-> (x0, eps) round-trip on random values; the exact v-denoiser of Gaussian
   data (a regression closed form, derived here) converted by eps = sqrt(abar) v + sqrt(1-abar) x_t
   gives the exact eps-denoiser; a v-net's eps equals the conversion of the same weights' raw
   output, through ddpm_net_eps and the DiffEpsFn adaptor; the zero predictor's training loss
   matches E v^2 = abar + (1-abar) E x0^2 averaged over t (Monte Carlo, k standard errors); the
   Min-SNR weights of both targets give the same image-space weight min(SNR, gamma); the target
   survives the file, and an unknown target in a file is refused with a message. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/ddpm_net.h"
#include "common/diffusion_schedule.h"
#include "common/nn.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

#define SIDE 8
#define DIM (SIDE * SIDE)
#define NIMG 64

static DdpmNetConfig small_net(DdpmPrediction pred) {
    DdpmNetConfig c;
    DdpmTrainConfig t;
    ddpm_recipe(SCALE_QUICK, &c, &t);
    c.net.d_model = 4, c.net.groups = 2, c.net.t_emb = 8, c.net.t_hidden = 16;
    c.net.image_size = SIDE, c.net.n_classes = 0;
    c.prediction = pred;
    return c;
}

/* Bars of height +-h: image i has row i % 8 at +h, the rest at -h; E[x0^2] = h^2 exactly. */
static void make_data(float *x, float h) {
    for (int i = 0; i < NIMG; i++)
        for (int q = 0; q < DIM; q++) x[i * DIM + q] = (q / SIDE == i % SIDE) ? h : -h;
}

/* v = a eps - b x0, then eps = b x_t + a v and x0 = a x_t - b v on random values: each result
   is a few roundings of O(1) terms, so |error| <= 8 u (1 + |x0| + |eps|) with u = 2^-53. */
static void test_roundtrip(void) {
    Rng rng;
    rng_init(&rng, 361, 0);
    double worst = 0;
    for (int k = 0; k < 1000; k++) {
        double abar = rng_uniform(&rng), x0 = 3 * rng_normal(&rng), eps = rng_normal(&rng), v, xt, e2, x2;
        const double a = sqrt(abar), b = sqrt(1 - abar);
        xt = a * x0 + b * eps;
        diffusion_v_from_x0_eps(abar, &x0, &eps, &v, 1);
        diffusion_eps_from_v(abar, &xt, &v, &e2, 1);
        diffusion_x0_from_v(abar, &xt, &v, &x2, 1);
        const double scale = 1 + fabs(x0) + fabs(eps);
        worst = fmax(worst, fmax(fabs(e2 - eps), fabs(x2 - x0)) / scale);
    }
    check_le("unit.ddpm_vpred.roundtrip", worst, 8 * 0x1p-53, 0, "common.ddpm_net.v_to_eps",
             "eps -> v -> eps and x0 -> v -> x0 on 1000 random (abar, x0, eps): max error / (1 + |x0| + "
             "|eps|) within 8 units of double rounding");
}

/* Gaussian data x0 ~ N(m, s2): x_t = a x0 + b eps is Gaussian with variance V = a^2 s2 + b^2, so
   E[y | x_t] = E y + Cov(y, x_t)/V (x_t - a m) for y = eps and y = v = a eps - b x0:
   Cov(eps, x_t) = b, Cov(v, x_t) = ab - ab s2, E v = -b m. */
static void test_oracle(void) {
    const double m = 0.3, s2 = 0.2;
    const double abars[5] = {0.9999, 0.9, 0.5, 0.02, 1e-6};
    double worst = 0;
    for (int k = 0; k < 5; k++) {
        const double abar = abars[k], a = sqrt(abar), b = sqrt(1 - abar), V = a * a * s2 + b * b;
        for (double xt = -3; xt <= 3; xt += 0.25) {
            double v_or = -b * m + a * b * (1 - s2) / V * (xt - a * m), e_or = b / V * (xt - a * m), e_conv;
            diffusion_eps_from_v(abar, &xt, &v_or, &e_conv, 1);
            worst = fmax(worst, fabs(e_conv - e_or));
        }
    }
    check_le("unit.ddpm_vpred.oracle", worst, 1e-14, 0, "common.ddpm_net.v_to_eps",
             "N(0.3, 0.2) data, abar 0.9999 .. 1e-6, x_t in [-3, 3]: the exact E[v | x_t] converted to eps "
             "equals the exact E[eps | x_t] (max |diff|)");
}

/* The same weights read as eps (raw output) and as v (converted): eps_v = float(b x + a raw). */
static void test_net_conversion(void) {
    float x[NIMG * DIM];
    make_data(x, 0.8f);
    DdpmNetConfig ce = small_net(DDPM_PRED_EPS), cv = small_net(DDPM_PRED_V);
    DdpmNet ne, nv;
    ddpm_net_init(&ne, &ce, 9);
    ddpm_net_init(&nv, &cv, 9);
    int t[NIMG];
    for (int i = 0; i < NIMG; i++) t[i] = 1 + (i * 997) % 1000;
    float raw[NIMG * DIM], ev[NIMG * DIM];
    ddpm_net_eps(&ne, x, t, NULL, NIMG, raw);
    ddpm_net_eps(&nv, x, t, NULL, NIMG, ev);
    double worst = 0, rawmax = 0;
    for (int i = 0; i < NIMG; i++) {
        const double abar = nv.sched.alpha_bar[t[i]];
        for (int q = 0; q < DIM; q++) {
            const double want = sqrt(1 - abar) * x[i * DIM + q] + sqrt(abar) * raw[i * DIM + q];
            worst = fmax(worst, fabs(ev[i * DIM + q] - want) / fmax(fabs(want), 1e-30));
            rawmax = fmax(rawmax, fabs(raw[i * DIM + q]));
        }
    }
    check_le("unit.ddpm_vpred.net_eps", worst, 0x1p-24 * (1 + 0x1p-20), 0, "common.ddpm_net.v_to_eps",
             "a v-net's ddpm_net_eps = sqrt(abar) v_hat + sqrt(1-abar) x_t of the same weights' raw "
             "output (64 images, t = 1..1000, max |v_hat| %.3g): relative error within one float rounding "
             "(2^-24, plus double rounding of the reference)", rawmax);
    /* the DiffEpsFn adaptor (in double) against ddpm_net_eps (rounded to float) at one t */
    double xd[4 * DIM], ed[4 * DIM];
    for (int i = 0; i < 4 * DIM; i++) xd[i] = x[i];
    DdpmEpsCtx ctx = {.net = &nv, .label = -1};
    ddpm_net_diff_eps(xd, 4, DIM, 640, nv.sched.alpha_bar[640], ed, &ctx);
    int t4[4] = {640, 640, 640, 640};
    ddpm_net_eps(&nv, x, t4, NULL, 4, ev);
    double dmax = 0;
    for (int i = 0; i < 4 * DIM; i++) dmax = fmax(dmax, fabs(ed[i] - ev[i]) / fmax(fabs(ed[i]), 1e-30));
    check_le("unit.ddpm_vpred.adaptor", dmax, 0x1p-24 * (1 + 0x1p-20), 0, "common.ddpm_net.v_to_eps",
             "the DiffEpsFn adaptor of a v-net (double) equals ddpm_net_eps (float) to float rounding");
    ddpm_net_free(&ne);
    ddpm_net_free(&nv);
}

/* A net whose output layer is zero predicts 0 exactly; with lr = 0 it stays so, and each step's
   loss is the minibatch mean of target^2. Over S steps (independent t, eps and images) the mean
   loss estimates E[target^2] = (1/T) sum_t (abar_t + (1 - abar_t) E x0^2) for v and 1 for eps. */
static void test_zero_predictor_loss(void) {
    float x[NIMG * DIM];
    const float h = 0.5f;
    make_data(x, h);
    const DdpmPrediction preds[2] = {DDPM_PRED_EPS, DDPM_PRED_V};
    const char *ids[2] = {"unit.ddpm_vpred.zero_loss_eps", "unit.ddpm_vpred.zero_loss_v"};
    for (int k = 0; k < 2; k++) {
        DdpmNetConfig nc = small_net(preds[k]);
        DdpmNet net;
        ddpm_net_init(&net, &nc, 3);
        for (long j = 0; j < net.live.out.weight->size; j++) ad_set(net.live.out.weight, j, 0);
        if (net.live.out.bias)
            for (long j = 0; j < net.live.out.bias->size; j++) ad_set(net.live.out.bias, j, 0);
        DdpmTrainConfig tc = {.steps = 400, .batch = 8, .lr = 0, .seed = 12, .label = "unit v"};
        DdpmTrainResult r = ddpm_net_train(&net, &tc, x, NULL, NIMG);
        double se, mean = stats_mean_se(r.loss, r.steps_done, &se), expect = 0;
        for (int t = 1; t <= net.cfg.T; t++) {
            const double ab = net.sched.alpha_bar[t];
            expect += (preds[k] == DDPM_PRED_V ? ab + (1 - ab) * h * h : 1.0) / net.cfg.T;
        }
        check_mc(ids[k], mean, expect, se, 4, r.steps_done, "common.ddpm_net.loss",
                 "zero predictor, %s target, data E[x0^2] = %.2f: mean loss of %ld steps of batch 8 vs "
                 "(1/T) sum_t E[target_t^2]", ddpm_pred_name(preds[k]), (double)h * h, r.steps_done);
        ddpm_train_result_free(&r);
        ddpm_net_free(&net);
    }
}

/* Min-SNR: the eps weight times SNR and the v weight times (SNR + 1) are both min(SNR, gamma),
   the image-space weight (||eps - eps_hat||^2 = SNR ||x0 - x0_hat||^2, ||v - v_hat||^2 =
   (SNR + 1) ||x0 - x0_hat||^2). */
static void test_min_snr(void) {
    DdpmNetConfig ce = small_net(DDPM_PRED_EPS), cv = small_net(DDPM_PRED_V);
    DdpmNet ne, nv;
    ddpm_net_init(&ne, &ce, 1);
    ddpm_net_init(&nv, &cv, 1);
    double worst = 0, worst1 = 0;
    for (int t = 1; t <= ne.cfg.T; t++) {
        const double ab = ne.sched.alpha_bar[t], snr = ab / (1 - ab);
        const double image_eps = ddpm_loss_weight(&ne, t, 5) * snr, image_v = ddpm_loss_weight(&nv, t, 5) * (snr + 1);
        worst = fmax(worst, fabs(image_eps - image_v) / fmin(snr, 5.0));
        worst1 = fmax(worst1, fabs(ddpm_loss_weight(&nv, t, 0) - 1));
    }
    check_le("unit.ddpm_vpred.min_snr", worst, 1e-13, 0, "common.ddpm_net.min_snr",
             "gamma 5, t = 1..1000: eps weight x SNR = v weight x (SNR + 1) (= min(SNR, 5)), max relative diff");
    check_close("unit.ddpm_vpred.no_weight", worst1, 0, 0, NULL, "gamma 0: weight 1 for the v target too");
    ddpm_net_free(&ne);
    ddpm_net_free(&nv);
}

/* The file keeps the target; a file naming target 7 is refused with a message. */
static void test_file(const Cli *cli) {
    DdpmNetConfig cv = small_net(DDPM_PRED_V);
    DdpmNet net, back;
    ddpm_net_init(&net, &cv, 4);
    char path[1100];
    snprintf(path, sizeof path, "%s", cli_out_path(cli, "vnet.bin")); /* cli_out_path reuses its buffer */
    char err[512] = "";
    int rc = ddpm_net_save(&net, &net.ema, path, err, sizeof err);
    if (rc == 0) rc = ddpm_net_load(&back, path, err, sizeof err);
    float x[NIMG * DIM], e1[2 * DIM], e2[2 * DIM];
    make_data(x, 1.0f);
    int t[2] = {3, 990};
    ddpm_net_eps(&net, x, t, NULL, 2, e1);
    if (rc == 0) ddpm_net_eps(&back, x, t, NULL, 2, e2);
    check_true("unit.ddpm_vpred.file", rc == 0 && back.cfg.prediction == DDPM_PRED_V &&
               memcmp(e1, e2, sizeof e1) == 0,
               "a v-net saved and loaded: prediction v restored, eps bitwise equal%s%s", rc ? ": " : "", err);
    if (rc == 0) ddpm_net_free(&back);
    /* the same file with meta.config entry 22 = 7 (written through the parameter format, so the
       checksum is valid and only the target is wrong) */
    const int T = net.cfg.T;
    AdTensor *meta = ad_param_new(AD_F64, 1, (int[]){24});
    AdTensor *abar = ad_param_new(AD_F64, 1, (int[]){T + 1});
    NnParams p;
    nn_params_init(&p);
    nn_params_add(&p, "meta", "config", meta);
    nn_params_add(&p, "meta", "alpha_bar", abar);
    tiny_unet_params(&net.ema, &p);
    char e2s[512];
    int loaded = nn_params_load(path, &p, e2s, sizeof e2s) == NN_IO_OK;
    ad_f64(meta)[22] = 7;
    const char *bad = cli_out_path(cli, "vnet_bad.bin");
    int saved = loaded && nn_params_save(bad, &p, e2s, sizeof e2s) == NN_IO_OK;
    err[0] = 0;
    int refused = saved && ddpm_net_load(&back, bad, err, sizeof err) != 0 && strstr(err, "prediction");
    check_true("unit.ddpm_vpred.unknown_target", refused,
               "a file naming prediction target 7 is refused with a message: %s", err);
    nn_params_free(&p);
    ad_tensor_free(meta);
    ad_tensor_free(abar);
    ddpm_net_free(&net);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of v-prediction in the DDPM net (ddpm_net.h)",
              38, NULL);
    test_roundtrip();
    test_oracle();
    test_net_conversion();
    test_zero_predictor_loss();
    test_min_snr();
    test_file(&cli);
    return check_end();
}
