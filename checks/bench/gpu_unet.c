/* Benchmark (issue #13, item 4): the Tiny U-Net of L36 4.2.2 (common/tiny_unet.h, the lecture
   layout, 28x28, 584,449 parameters) on the CPU (common/ad, nn, optim) and on the device, where
   the same common/ad code is recorded in record-only mode and its tape replayed
   (gpu/gpu_ad_replay.h: the path gm_train takes with a GpuContext).

   1. One DDPM training step (the noise-prediction loss, one t per image, linear betas 1e-4..0.02
      over T = 1000, Adam lr 2e-4): images per second. Device: record (the family's loss in
      deferred mode, minibatch and noise drawn on the host) + translate + zero-grad + backward +
      Adam, then one submission (gad_run). Printed per step: wall, kernel time (timestamps,
      gad_run's gpu_seconds), wall/kernel, and the host's record+translate time.
   2. Sampling through common/diffusion_sampler.h (the same plan code on both paths; the noise
      prediction is the only difference): DDPM (T = 1000 ancestral steps) and DDIM (50 steps,
      eta 0). A step is one network forward on all images. Only --ddpm-steps / --ddim-steps
      steps are timed; images_per_s is for the full plan, extrapolated from the timed steps
      (extrapolated=1 on the line) unless all of them ran.

   The defaults are small (d 8, 8x8 images, batch 4) so that `make bench GPU=on` on Mesa's
   llvmpipe stays short (the lecture's net, d 64 at 28x28, did not finish one batch-8 step within
   the 60 s fence timeout on llvmpipe on a loaded 2-core machine); a real GPU gets the issue's
   sizes from run.sh's environment variables (UNET_GPU_D=64 UNET_GPU_SIZE=28
   UNET_GPU_BATCH=128 or 1024, ...).

   Prints RESULT lines:
     RESULT bench=unet_train path=cpu|gpu batch=B steps=N s_per_step=S images_per_s=I
            [kernel_s_per_step=K wall_over_kernel=R record_ms_per_step=M build_ms translate_ms
            backward_adam_ms] last_loss=L  (record = build: the family's loss recorded in deferred
            mode, with the minibatch and noise drawn; translate: gad_replay_record; the rest:
            zero-grad, backward and Adam recorded)
     RESULT bench=unet_ddpm|unet_ddim path=cpu|gpu images=N timed_steps=K full_steps=F
            s_per_step=S images_per_s=I extrapolated=0|1 [kernel_s_per_step=K wall_over_kernel=R] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_sampler.h"
#include "common/diffusion_schedule.h"
#include "common/nn.h"
#include "common/optim.h"
#include "common/parallel.h"
#include "common/tiny_unet.h"
#include "common/util.h"
#include "gpu/gpu.h"
#include "gpu/gpu_ad.h"
#include "gpu/gpu_ad_replay.h"

typedef struct {
    TinyUNet net;
    NnParams params;
    DiffusionSchedule sched;
    int H;
} Bench;

/* The DDPM loss on a batch of synthetic images (uniform in [-1, 1]: the cost does not depend on
   them), recorded in `a` (normal or deferred). */
static AdTensor *ddpm_loss(AdArena *a, const Bench *b, int n, Rng *rng) {
    const int H = b->H, D = H * H, shape[4] = {n, 1, H, H};
    AdTensor *xt = ad_input(a, AD_F32, 4, shape), *eps = ad_input(a, AD_F32, 4, shape);
    int *tv = ad_arena_alloc(a, (size_t)n * sizeof *tv);
    for (int i = 0; i < n; i++) {
        tv[i] = 1 + (int)rng_below(rng, (uint32_t)b->sched.T);
        const double ab = b->sched.alpha_bar[tv[i]], sa = sqrt(ab), sb = sqrt(1 - ab);
        for (int q = 0; q < D; q++) {
            const double e = rng_normal(rng), x0 = rng_uniform_range(rng, -1, 1);
            ad_f32(eps)[(size_t)i * D + q] = (float)e;
            ad_f32(xt)[(size_t)i * D + q] = (float)(sa * x0 + sb * e);
        }
    }
    return ad_mean(a, ad_square(a, ad_sub(a, tiny_unet_forward(a, &b->net, xt, tv, NULL, NULL), eps)));
}

static void train_cpu(Bench *b, int n, long steps, uint64_t seed) {
    Rng rng;
    rng_init(&rng, seed, 1);
    ParamBlock blocks[64];
    const int nb = nn_params_blocks(&b->params, blocks, 64);
    Optimizer *adam = optim_new(blocks, nb, optim_adam(2e-4, 0.9, 0.999, 1e-8, 0.0));
    AdArena *a = ad_arena_new(1 << 20);
    double t0 = 0, loss = NAN;
    for (long s = 0; s <= steps; s++) { /* step 0 warms up */
        if (s == 1) t0 = now_seconds();
        ad_arena_reset(a);
        AdTensor *l = ddpm_loss(a, b, n, &rng);
        optim_zero_grad(adam);
        ad_backward(a, l);
        optim_step(adam);
        loss = ad_item(l);
    }
    const double sps = (now_seconds() - t0) / (double)steps;
    printf("RESULT bench=unet_train path=cpu d=%d H=%d batch=%d threads=%d steps=%ld s_per_step=%.4f "
           "images_per_s=%.2f last_loss=%.4f\n", b->net.cfg.d_model, b->H, n, par_max_threads(), steps, sps, n / sps, loss);
    optim_free(adam);
    ad_arena_free(a);
}

static int train_gpu(Bench *b, GpuContext *g, int n, long steps, uint64_t seed) {
    Rng rng;
    rng_init(&rng, seed, 1);
    GadGraph *gr = gad_graph_new(g);
    GadReplay *rp = gr ? gad_replay_new(gr, b->params.t, b->params.n) : NULL;
    AdArena *a = ad_arena_new(1 << 20);
    ad_arena_set_deferred(a, 1);
    const OptimConfig oc = optim_adam(2e-4, 0.9, 0.999, 1e-8, 0.0);
    double t0 = 0, kern = 0, rec = 0, t_build = 0, t_trans = 0, t_back = 0;
    float loss = NAN;
    int rc = rp ? 0 : -1;
    for (long s = 0; s <= steps && !rc; s++) {
        if (s == 1) t0 = now_seconds(), kern = rec = t_build = t_trans = t_back = 0;
        const double r0 = now_seconds();
        ad_arena_reset(a);
        gad_graph_reset(gr);
        AdTensor *loss_ad = ddpm_loss(a, b, n, &rng);
        const double r1 = now_seconds();
        GadTensor *gl = gad_replay_record(rp, loss_ad);
        const double r2 = now_seconds();
        GadTensor **dev = gad_replay_params(rp);
        rc = !gl || gad_zero_grad(gr, dev, b->params.n) || gad_backward(gr, gl) ||
             gad_adam_step(gr, dev, b->params.n, &oc, s + 1);
        const double r3 = now_seconds();
        rec += r3 - r0, t_build += r1 - r0, t_trans += r2 - r1, t_back += r3 - r2;
        double ks = 0;
        rc = rc || gad_run(gr, &ks) || gad_read(gl, &loss);
        kern += ks;
    }
    if (rc) {
        printf("RESULT bench=unet_train path=gpu batch=%d failed=1 why=\"%s\"\n", n,
               rp && gad_replay_error(rp)[0] ? gad_replay_error(rp) : gr ? gad_error(gr) : "no graph");
        gpu_run_batch(g, NULL);
    } else {
        const double sps = (now_seconds() - t0) / (double)steps, ks = kern / (double)steps;
        printf("RESULT bench=unet_train path=gpu d=%d H=%d batch=%d steps=%ld s_per_step=%.4f images_per_s=%.2f "
               "kernel_s_per_step=%.4f wall_over_kernel=%.2f record_ms_per_step=%.3f build_ms=%.3f "
               "translate_ms=%.3f backward_adam_ms=%.3f last_loss=%.4f\n",
               b->net.cfg.d_model, b->H, n, steps, sps, n / sps, ks, ks > 0 ? sps / ks : NAN, 1e3 * rec / (double)steps,
               1e3 * t_build / (double)steps, 1e3 * t_trans / (double)steps, 1e3 * t_back / (double)steps,
               (double)loss);
        /* the trained parameters back into the AdTensors (the CPU path trained its copy too) */
        gad_replay_download(rp);
    }
    ad_arena_free(a);
    gad_replay_free(rp);
    gad_graph_free(gr);
    return rc ? -1 : 0;
}

/* ---- the noise prediction for diffusion_sampler.h, CPU and device ---- */

typedef struct {
    Bench *b;
    GpuContext *g;
    GadGraph *gr;  /* NULL: the CPU */
    GadReplay *rp;
    AdArena *a;
    float *buf;
    double kernel_s;
    int failed;
} EpsCtx;

static void eps_fn(const double *x, size_t n, size_t dim, int t, double abar_t, double *eps_out,
                   void *ctx) {
    (void)abar_t;
    EpsCtx *c = ctx;
    const int H = c->b->H, shape[4] = {(int)n, 1, H, H};
    if (c->failed) {
        for (size_t i = 0; i < n * dim; i++) eps_out[i] = 0;
        return;
    }
    ad_arena_reset(c->a);
    AdTensor *xt = ad_input(c->a, AD_F32, 4, shape);
    for (size_t i = 0; i < n * dim; i++) ad_f32(xt)[i] = (float)x[i];
    int *tv = ad_arena_alloc(c->a, n * sizeof *tv);
    for (size_t i = 0; i < n; i++) tv[i] = t;
    if (!c->gr) {
        AdTensor *e = tiny_unet_forward_nograd(c->a, &c->b->net, xt, tv, NULL);
        for (size_t i = 0; i < n * dim; i++) eps_out[i] = ad_f32(e)[i];
        return;
    }
    /* device: the forward recorded (parameters carry gradients, so it is deferred), a scalar
       on top so the tape ends in a loss, replayed without a backward; eps read back */
    gad_graph_reset(c->gr);
    AdTensor *e = tiny_unet_forward(c->a, &c->b->net, xt, tv, NULL, NULL);
    GadTensor *gl = gad_replay_record(c->rp, ad_sum(c->a, e));
    GadTensor *ge = gl ? gad_replay_lookup(c->rp, e) : NULL;
    double ks = 0;
    if (!ge || gad_run(c->gr, &ks) || gad_read(ge, c->buf)) {
        fprintf(stderr, "gpu_unet: device eps failed: %s\n",
                gad_replay_error(c->rp)[0] ? gad_replay_error(c->rp) : gad_error(c->gr));
        gpu_run_batch(c->g, NULL);
        c->failed = 1;
        return;
    }
    c->kernel_s += ks;
    for (size_t i = 0; i < n * dim; i++) eps_out[i] = c->buf[i];
}

static void sample(Bench *b, GpuContext *g, const char *what, const DiffStep *plan, int full,
                   int timed, int n, uint64_t seed) {
    const size_t dim = (size_t)b->H * b->H;
    EpsCtx c = {.b = b, .a = ad_arena_new(1 << 20)};
    if (g) {
        c.g = g;
        c.gr = gad_graph_new(g);
        c.rp = c.gr ? gad_replay_new(c.gr, b->params.t, b->params.n) : NULL;
        c.failed = !c.rp;
        ad_arena_set_deferred(c.a, 1);
        c.buf = xmalloc((size_t)n * dim * sizeof *c.buf);
    }
    DiffSampler s;
    diff_sampler_init(&s, (size_t)n, dim, b->sched.alpha_bar, eps_fn, &c, seed);
    s.draw_prior = 1;
    s.block = (size_t)n; /* one network call on all images per step */
    s.n_threads = 1;     /* the network's ops use the threads */
    double *x = xcalloc((size_t)n * dim, sizeof *x);
    if (timed > full) timed = full;
    /* one warm-up step (pipelines, arena growth), then the timed steps */
    diff_run(&s, plan, 1, x);
    c.kernel_s = 0;
    const double t0 = now_seconds();
    diff_run(&s, plan, timed, x);
    const double sps = (now_seconds() - t0) / timed, ks = c.kernel_s / timed;
    if (c.failed) {
        printf("RESULT bench=%s path=gpu images=%d failed=1\n", what, n);
    } else {
        printf("RESULT bench=%s path=%s d=%d H=%d images=%d timed_steps=%d full_steps=%d s_per_step=%.4f "
               "images_per_s=%.3f extrapolated=%d", what, g ? "gpu" : "cpu", b->net.cfg.d_model, b->H, n, timed, full, sps,
               n / (sps * full), timed < full);
        if (g) printf(" kernel_s_per_step=%.4f wall_over_kernel=%.2f", ks, ks > 0 ? sps / ks : NAN);
        printf("\n");
    }
    free(x);
    free(c.buf);
    ad_arena_free(c.a);
    gad_replay_free(c.rp);
    gad_graph_free(c.gr);
}

int main(int argc, char **argv) {
    long batch = 4, steps = 5, images = 4, ddpm_steps = 5, ddim_steps = 5, d_model = 8, size = 8;
    int no_cpu = 0;
    const CliExtra extras[] = {
        {"--batch", CLI_LONG, &batch, "training images per step (default 4)"},
        {"--steps", CLI_LONG, &steps, "timed training steps (default 5, after one warm-up)"},
        {"--images", CLI_LONG, &images, "images sampled (default 4)"},
        {"--ddpm-steps", CLI_LONG, &ddpm_steps, "DDPM steps timed (of 1000; default 5)"},
        {"--ddim-steps", CLI_LONG, &ddim_steps, "DDIM steps timed (of 50; default 5)"},
        {"--d-model", CLI_LONG, &d_model, "channels d (default 8; the lecture's net: 64)"},
        {"--image-size", CLI_LONG, &size, "image side H (default 8; the lecture's: 28)"},
        {"--no-cpu", CLI_FLAG, &no_cpu, "skip the CPU path (the issue's sizes take minutes a step there)"},
        {0}};
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "benchmark: Tiny U-Net DDPM training step and DDPM/DDIM sampling, CPU vs device", 0, extras);
    if (batch < 1 || steps < 1 || images < 1 || ddpm_steps < 1 || ddim_steps < 1)
        die("--batch, --steps, --images, --ddpm-steps and --ddim-steps must be at least 1");
    char why[256] = "";
    GpuContext *g = gpu_open(cli.gpu, NULL, why, sizeof why);
    Bench b = {.sched = diffusion_schedule_linear(1000, 1e-4, 0.02)};
    Rng init;
    rng_init(&init, cli.seed, 0);
    /* the lecture's layout; d and H small by default (llvmpipe), 64 and 28 for the runs */
    TinyUNetConfig cfg = tiny_unet_config_lecture();
    cfg.d_model = (int)d_model;
    cfg.image_size = (int)size;
    if (d_model != 64) cfg.t_emb = (int)(2 * d_model), cfg.t_hidden = (int)(4 * d_model);
    if (cfg.d_model % cfg.groups) cfg.groups = 1;
    b.H = cfg.image_size;
    printf("network: Tiny U-Net (L36 4.2.2 layout) d %d, %dx%d, time MLP %d-%d, %d groups\n",
           cfg.d_model, b.H, b.H, cfg.t_emb, (int)tiny_unet_hidden(&cfg), cfg.groups);
    DiffStep *ddpm = xmalloc(1000 * sizeof *ddpm), *ddim = xmalloc(50 * sizeof *ddim);
    int tau[50];
    if (diff_plan_ddpm(b.sched.beta, b.sched.alpha_bar, 1000, DIFF_VAR_BETA, ddpm) != 1000 ||
        diff_timesteps(1000, 50, DIFF_TAU_LINSPACE, tau) || diff_plan_ddim(b.sched.alpha_bar, tau, 50, 0.0, ddim) != 50)
        die("gpu_unet: the sampling plans failed");
    for (int path = no_cpu ? 1 : 0; path < (g ? 2 : 1); path++) {
        /* the same initial network on both paths */
        rng_init(&init, cli.seed, 0);
        tiny_unet_init(&b.net, &cfg, &init);
        nn_params_init(&b.params);
        tiny_unet_params(&b.net, &b.params);
        if (path == 0) {
            train_cpu(&b, (int)batch, steps, cli.seed);
        } else {
            train_gpu(&b, g, (int)batch, steps, cli.seed);
        }
        sample(&b, path ? g : NULL, "unet_ddpm", ddpm, 1000, (int)ddpm_steps, (int)images, cli.seed);
        sample(&b, path ? g : NULL, "unet_ddim", ddim, 50, (int)ddim_steps, (int)images, cli.seed);
        nn_params_free(&b.params);
        tiny_unet_free(&b.net);
    }
    if (!g) printf("RESULT bench=unet_train path=gpu failed=1 why=\"no device: %s\"\n", why);
    free(ddpm), free(ddim);
    diffusion_schedule_free(&b.sched);
    gpu_close(g);
    return check_end();
}
