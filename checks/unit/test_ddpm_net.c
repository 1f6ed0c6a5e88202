/* Unit tests of common/ddpm_net.h: a few training steps on synthetic 8x8 images (finite, the EMA
   differs from the live weights, the loss history filled, the quarter-cosine LR), save -> load
   -> eps bitwise, damaged / foreign / mismatched files rejected with a message, the DiffEpsFn
   adaptor equal to ddpm_net_eps, and results independent of the thread count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/ddpm_net.h"
#include "common/diffusion_sampler.h"
#include "common/parallel.h"
#include "common/rng.h"
#include "common/util.h"

#define SIDE 8
#define DIM (SIDE * SIDE)
#define NIMG 64

static DdpmNetConfig small_net(int classes) {
    DdpmNetConfig c;
    DdpmTrainConfig t;
    ddpm_recipe(SCALE_QUICK, &c, &t);
    c.net.d_model = 4, c.net.groups = 2, c.net.t_emb = 8, c.net.t_hidden = 16;
    c.net.image_size = SIDE, c.net.n_classes = classes;
    return c;
}

/* bars: image i is a horizontal bar at row i % 8, label i % 4 */
static void make_data(float *x, int *y) {
    for (int i = 0; i < NIMG; i++) {
        for (int q = 0; q < DIM; q++) x[i * DIM + q] = (q / SIDE == i % SIDE) ? 1.0f : -1.0f;
        y[i] = i % 4;
    }
}

static void write_bytes(const char *path, const unsigned char *b, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) die("cannot write %s", path);
    fwrite(b, 1, n, f);
    fclose(f);
}

static unsigned char *read_bytes(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = xmalloc(*n);
    if (fread(b, 1, *n, f) != *n) die("short read %s", path);
    fclose(f);
    return b;
}

static void test_train_save_load(const Cli *cli) {
    float x[NIMG * DIM];
    int y[NIMG];
    make_data(x, y);
    DdpmNetConfig nc = small_net(4);
    DdpmTrainConfig tc = {.steps = 20, .batch = 8, .lr = 1e-3, .clip_norm = 1.0, .ema_decay = 0.9,
                          .lr_quarter_cosine = 1, .label_dropout = 0.2, .seed = 3,
                          .label = "unit", .check_id = "unit.ddpm_net.train_finite"};
    DdpmNet net;
    ddpm_net_init(&net, &nc, 11);
    DdpmTrainResult r = ddpm_net_train(&net, &tc, x, y, NIMG);
    int all = r.steps_done == 20;
    for (long s = 0; s < r.steps_done; s++) all &= isfinite(r.loss[s]) && isfinite(r.grad_norm[s]);
    check_true("unit.ddpm_net.history", all, "20 steps recorded, every loss and gradient norm finite");
    check_close("unit.ddpm_net.lr_last", r.lr[19], 1e-3 * cos(0.5 * M_PI * 19 / 20.0), 1e-15, NULL,
                "quarter-cosine learning rate at the last step: eta cos(pi/2 * 19/20)");
    double live_vs_ema = fabs(ad_get(net.live.out.weight, 0) - ad_get(net.ema.out.weight, 0));
    check_true("unit.ddpm_net.ema_kept", live_vs_ema > 0,
               "the EMA (decay 0.9) and the live weights differ after training (|diff| %.3g)", live_vs_ema);
    double mean = 0;
    for (int i = 0; i < NIMG * DIM; i++) mean += x[i];
    mean /= NIMG * DIM;
    check_close("unit.ddpm_net.x0_mean", net.x0_mean, mean, 1e-12, NULL,
                "the net keeps its training images' mean pixel value (the samplers' prior at tiny abar)");
    const char *path = cli_out_path(cli, "net.bin");
    char err[512];
    net.scale = SCALE_DEFAULT;
    snprintf(net.data, sizeof net.data, "bars");
    int rc = ddpm_net_save(&net, &net.ema, path, err, sizeof err);
    check_true("unit.ddpm_net.save", rc == 0, "save: %s", rc == 0 ? "ok" : err);
    DdpmNet back;
    rc = ddpm_net_load(&back, path, err, sizeof err);
    check_true("unit.ddpm_net.load", rc == 0 && back.scale == SCALE_DEFAULT && back.steps_trained == 20 &&
               strcmp(back.data, "bars") == 0 && back.cfg.net.n_classes == 4 && back.x0_mean == net.x0_mean,
               "load: %s (scale, steps, data name, data mean and config restored)", rc == 0 ? "ok" : err);
    float xe[4 * DIM], e1[4 * DIM], e2[4 * DIM];
    int te[4] = {1, 10, 500, 1000}, ye[4] = {0, 1, 4, 2};
    memcpy(xe, x, sizeof xe);
    ddpm_net_eps(&net, xe, te, ye, 4, e1);
    if (rc == 0) ddpm_net_eps(&back, xe, te, ye, 4, e2);
    check_true("unit.ddpm_net.roundtrip_bitwise", rc == 0 && memcmp(e1, e2, sizeof e1) == 0,
               "save -> load -> eps equals the saved net's eps bitwise");
    /* the DiffEpsFn adaptor: same numbers through doubles */
    double xd[4 * DIM], ed[4 * DIM];
    for (int i = 0; i < 4 * DIM; i++) xd[i] = xe[i];
    DdpmEpsCtx ctx = {.net = &net, .weights = NULL, .label = 1};
    ddpm_net_diff_eps(xd, 4, DIM, 77, net.sched.alpha_bar[77], ed, &ctx);
    int t77[4] = {77, 77, 77, 77}, y1[4] = {1, 1, 1, 1};
    ddpm_net_eps(&net, xe, t77, y1, 4, e1);
    double dmax = 0;
    for (int i = 0; i < 4 * DIM; i++) dmax = fmax(dmax, fabs(ed[i] - e1[i]));
    check_close("unit.ddpm_net.diff_adaptor", dmax, 0, 0, NULL, "the DiffEpsFn adaptor equals ddpm_net_eps exactly");
    if (rc == 0) ddpm_net_free(&back);

    /* damaged and foreign files: a message, never a crash */
    size_t n;
    unsigned char *b = read_bytes(path, &n);
    const char *bad = cli_out_path(cli, "bad.bin");
    int rejected = 0;
    b[n / 2] ^= 0x20;
    write_bytes(bad, b, n);
    rejected += ddpm_net_load(&back, bad, err, sizeof err) != 0;
    b[n / 2] ^= 0x20;
    write_bytes(bad, b, n / 3);
    rejected += ddpm_net_load(&back, bad, err, sizeof err) != 0;
    write_bytes(bad, (const unsigned char *)"hello", 5);
    rejected += ddpm_net_load(&back, bad, err, sizeof err) != 0;
    rejected += ddpm_net_load(&back, cli_out_path(cli, "missing.bin"), err, sizeof err) != 0;
    /* a valid parameter file of another model */
    NnParams p;
    nn_params_init(&p);
    tiny_unet_params(&net.live, &p);
    nn_params_save(bad, &p, err, sizeof err);
    nn_params_free(&p);
    rejected += ddpm_net_load(&back, bad, err, sizeof err) != 0;
    check_close("unit.ddpm_net.bad_files", rejected, 5, 0, NULL,
                "flipped byte, truncated, not a parameter file, missing, weights without meta: all rejected");
    free(b);
    ddpm_train_result_free(&r);
    ddpm_net_free(&net);
}

static void test_threads(void) {
    float x[NIMG * DIM];
    int y[NIMG];
    make_data(x, y);
    DdpmNetConfig nc = small_net(0);
    DdpmTrainConfig tc = {.steps = 5, .batch = 8, .lr = 1e-3, .ema_decay = 0.9, .seed = 4, .label = "unit"};
    float out[2][NIMG * DIM];
    int t[NIMG];
    for (int i = 0; i < NIMG; i++) t[i] = 1 + 15 * i;
    for (int k = 0; k < 2; k++) {
        par_set_threads(k == 0 ? 1 : 2);
        DdpmNet net;
        ddpm_net_init(&net, &nc, 5);
        DdpmTrainResult r = ddpm_net_train(&net, &tc, x, NULL, NIMG);
        ddpm_net_eps(&net, x, t, NULL, NIMG, out[k]);
        ddpm_train_result_free(&r);
        ddpm_net_free(&net);
    }
    par_set_threads(0);
    check_true("unit.ddpm_net.threads", memcmp(out[0], out[1], sizeof out[0]) == 0,
               "training 5 steps and eps on 64 images: bitwise equal with 1 and 2 threads");
}

/* load_or_train at the quick scale into a fresh directory: the first call trains and saves,
   the second loads the same weights (same eps bitwise); an explicit bad --net file exits 2 is
   not tested here (it exits). */
static void test_load_or_train(const Cli *cli) {
    Cli c = *cli;
    c.scale = SCALE_QUICK;
    c.program = "lectures/36_ddpm/99_unit_caller";
    const char *dir = cli_out_path(cli, "load_or_train");
    if (strlen(dir) >= sizeof c.out_dir) die("out dir too long");
    memcpy(c.out_dir, dir, strlen(dir) + 1);
    mkdir_p(c.out_dir);
    remove(cli_out_path(&c, "weights_ema.bin"));
    DdpmNet a, b;
    int r1 = ddpm_net_load_or_train(&c, NULL, &a);
    int r2 = ddpm_net_load_or_train(&c, NULL, &b);
    const int D = a.cfg.net.image_size * a.cfg.net.image_size;
    float *x = xcalloc((size_t)2 * D, sizeof *x), *e1 = xmalloc((size_t)2 * D * sizeof *e1),
          *e2 = xmalloc((size_t)2 * D * sizeof *e2);
    for (int i = 0; i < 2 * D; i++) x[i] = (float)sin(0.1 * i);
    int t[2] = {5, 900};
    ddpm_net_eps(&a, x, t, NULL, 2, e1);
    ddpm_net_eps(&b, x, t, NULL, 2, e2);
    check_true("unit.ddpm_net.load_or_train", r1 == 0 && r2 == 1 && b.scale == SCALE_QUICK &&
               memcmp(e1, e2, (size_t)2 * D * sizeof *e1) == 0,
               "first call trains at the quick scale and saves, second call loads it: same eps bitwise");
    free(x), free(e1), free(e2);
    ddpm_net_free(&a);
    ddpm_net_free(&b);
}

/* The deep layout's switches survive the file (and the weights bitwise); a file of the old
   format (meta.config version 1, 20 entries) is refused with a message that says so. */
static void test_deep_and_old_format(const Cli *cli) {
    DdpmNetConfig nc = small_net(0);
    nc.net.deep = 1, nc.net.time_per_level = 1, nc.net.enc1_skip = 1, nc.net.mid_attention = 1;
    nc.net.mult1 = 2, nc.net.mult2 = 3;
    DdpmNet net, back;
    ddpm_net_init(&net, &nc, 5);
    /* perturb every weight so that the zero-initialised convolutions are not trivially equal */
    NnParams p;
    nn_params_init(&p);
    tiny_unet_params(&net.ema, &p);
    Rng rng;
    rng_init(&rng, 8, 0);
    for (int i = 0; i < p.n; i++)
        for (long j = 0; j < p.t[i]->size; j++) ad_set(p.t[i], j, ad_get(p.t[i], j) + 0.05 * rng_normal(&rng));
    const char *path = cli_out_path(cli, "deep.bin");
    char err[512];
    int rc = ddpm_net_save(&net, &net.ema, path, err, sizeof err);
    if (rc == 0) rc = ddpm_net_load(&back, path, err, sizeof err);
    float x[2 * DIM], e1[2 * DIM], e2[2 * DIM];
    for (int i = 0; i < 2 * DIM; i++) x[i] = (float)rng_normal(&rng);
    int t[2] = {5, 900};
    ddpm_net_eps(&net, x, t, NULL, 2, e1);
    int same = rc == 0 && back.cfg.net.deep == 1 && back.cfg.net.mult1 == 2 && back.cfg.net.mult2 == 3 &&
               back.cfg.net.mid_attention == 1;
    if (rc == 0) {
        ddpm_net_eps(&back, x, t, NULL, 2, e2);
        same = same && memcmp(e1, e2, sizeof e1) == 0;
        ddpm_net_free(&back);
    }
    check_true("unit.ddpm_net.deep_roundtrip", same,
               "deep layout (mult 2/3, attention): save -> load restores the switches, eps bitwise%s%s",
               rc ? ": " : "", rc ? err : "");
    /* an old-format file: the same weights behind a version-1 meta.config of 20 entries */
    AdTensor *meta = ad_param_new(AD_F64, 1, (int[]){20});
    AdTensor *abar = ad_param_new(AD_F64, 1, (int[]){nc.T + 1});
    double *m = ad_f64(meta);
    m[0] = 1, m[1] = nc.net.d_model, m[2] = nc.net.t_emb, m[3] = nc.net.groups, m[4] = nc.net.image_size;
    m[6] = 1, m[7] = 1, m[9] = nc.T, m[10] = nc.beta_clip, m[14] = nc.net.t_hidden;
    memcpy(ad_f64(abar), net.sched.alpha_bar, (size_t)(nc.T + 1) * sizeof(double));
    NnParams f;
    nn_params_init(&f);
    nn_params_add(&f, "meta", "config", meta);
    nn_params_add(&f, "meta", "alpha_bar", abar);
    for (int i = 0; i < p.n; i++) nn_params_add(&f, "", p.name[i], p.t[i]);
    const char *old = cli_out_path(cli, "old.bin");
    nn_params_save(old, &f, err, sizeof err);
    err[0] = 0;
    rc = ddpm_net_load(&back, old, err, sizeof err);
    check_true("unit.ddpm_net.old_format", rc != 0 && strstr(err, "old format") != NULL,
               "a version-1 file is refused with a message naming the old format: \"%s\"", err);
    nn_params_free(&f);
    nn_params_free(&p);
    ad_tensor_free(meta);
    ad_tensor_free(abar);
    ddpm_net_free(&net);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "unit tests of the DDPM net (L36 4.2.3): training, files, inference", 37, NULL);
    test_train_save_load(&cli);
    test_threads();
    test_load_or_train(&cli);
    test_deep_and_old_format(&cli);
    return check_end();
}
