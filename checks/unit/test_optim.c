/* Unit tests of common/optim.h: Adam's first steps by hand, trajectories of SGD-momentum /
   Nesterov / Adam / Adam+L2 / AdamW on a small quadratic against PyTorch, plain SGD's closed
   form, convergence, gradient clipping, the EMA's closed form, and the schedules' endpoints. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/optim.h"
#include "common/parallel.h"
#include "common/rng.h"

/* The test problem: L(x) = 1/2 sum_i h_i (x_i - c_i)^2 over 5 parameters held in two blocks
   (3 + 2 elements), gradient g = h (x - c) computed in float like the PyTorch reference. */
#define NQ 5
static const float QH[NQ] = {1.0f, 4.0f, 0.25f, 10.0f, 2.0f};
static const float QC[NQ] = {1.0f, -2.0f, 0.5f, 3.0f, -1.0f};
static const float QX0[NQ] = {0.5f, 0.3f, -0.7f, 0.1f, 2.0f};

typedef struct {
    float x[NQ], g[NQ];
    ParamBlock blocks[2];
} Quadratic;

static void quad_init(Quadratic *q) {
    memcpy(q->x, QX0, sizeof q->x);
    memset(q->g, 0, sizeof q->g);
    q->blocks[0] = (ParamBlock){q->x, q->g, 3};
    q->blocks[1] = (ParamBlock){q->x + 3, q->g + 3, 2};
}

static void quad_grad(Quadratic *q) {
    for (int i = 0; i < NQ; i++) q->g[i] = QH[i] * (q->x[i] - QC[i]);
}

/* Reference values: python3 (/usr/bin/python3, torch 1.13.0a0, float32) ran torch.optim.SGD /
   Adam / AdamW on this problem with the same x0, setting p.grad = h * (x - c) by hand before
   each opt.step(), and printed x after steps 1, 10 and 50 (%.9g). The same runs in float64
   differ from these by at most 1e-6, the size of float32 rounding here; the tolerance is 1e-5. */
typedef struct {
    const char *name;
    OptimConfig cfg;
    float at[3][NQ]; /* after steps 1, 10, 50 */
} TorchRef;

static const int REF_STEPS[3] = {1, 10, 50};
#define REF_TOL 1e-5

static void test_against_torch(void) {
    TorchRef refs[] = {
        {"sgd_momentum", optim_sgd(0.02, 0.9, false, 0.0),
         {{0.50999999f, 0.116000019f, -0.694000006f, 0.680000007f, 1.88f},
          {0.846440136f, -3.29289198f, -0.462366283f, 2.98724079f, -1.45832002f},
          {0.963031173f, -2.02520514f, 0.517021894f, 3.08844566f, -1.20443797f}}},
        {"sgd_nesterov_wd", optim_sgd(0.02, 0.9, true, 0.01),
         {{0.518809974f, -0.0497139916f, -0.688333988f, 1.20196199f, 1.77124f},
          {0.863829255f, -2.87135458f, -0.427990586f, 2.84674001f, -1.4400872f},
          {0.968449831f, -1.99675393f, 0.494263351f, 2.99712777f, -1.06971657f}}},
        {"adam", optim_adam(0.05, 0.9, 0.999, 1e-8, 0.0),
         {{0.550000012f, 0.25f, -0.649999976f, 0.150000006f, 1.95000005f},
          {0.961875439f, -0.195807725f, -0.209528029f, 0.59679842f, 1.50308001f},
          {1.0024091f, -1.69431067f, 0.589490235f, 2.23175955f, -0.148077741f}}},
        {"adam_l2", optim_adam(0.05, 0.9, 0.999, 1e-8, 0.1),
         {{0.550000012f, 0.25f, -0.649999976f, 0.150000006f, 1.95000005f},
          {0.943911076f, -0.195699826f, -0.211357892f, 0.596760452f, 1.50313687f},
          {0.933104932f, -1.67897761f, 0.413290858f, 2.22663355f, -0.140481427f}}},
        {"adamw", optim_adamw(0.05, 0.9, 0.999, 1e-8, 0.1),
         {{0.547500014f, 0.248500004f, -0.646499991f, 0.149499997f, 1.94000006f},
          {0.931082845f, -0.199343592f, -0.187029272f, 0.580930889f, 1.41702092f},
          {0.988435745f, -1.54719484f, 0.549477339f, 1.99426258f, -0.278737634f}}},
    };
    static const char *eqs[] = {"common.optim.sgd_momentum", "common.optim.sgd_momentum",
                                "common.optim.adam", "common.optim.adam",
                                "common.optim.adamw_decay"};
    for (size_t r = 0; r < sizeof refs / sizeof refs[0]; r++) {
        Quadratic q;
        quad_init(&q);
        Optimizer *opt = optim_new(q.blocks, 2, refs[r].cfg);
        int k = 0;
        for (int t = 1; t <= REF_STEPS[2]; t++) {
            quad_grad(&q);
            optim_step(opt);
            if (t == REF_STEPS[k]) {
                double e = 0;
                for (int i = 0; i < NQ; i++) e = fmax(e, fabs((double)q.x[i] - refs[r].at[k][i]));
                char id[96];
                snprintf(id, sizeof id, "common.optim.torch_%s_t%d", refs[r].name, t);
                check_close(id, e, 0, REF_TOL, eqs[r],
                            "%s on the 5-parameter quadratic: max |x - x_torch| after %d steps",
                            refs[r].name, t);
                k++;
            }
        }
        optim_free(opt);
    }
}

static void test_adam_by_hand(Rng *rng) {
    /* Step 1: m_hat = g, v_hat = g^2, so x moves by lr g / (|g| + eps): lr sign(g) up to
       lr eps / |g|, plus the float rounding of x (x0 = 0 here, so that is ulp(lr) / 2). */
    enum { N = 16 };
    float x[N] = {0}, g[N];
    for (int i = 0; i < N; i++) {
        double mag = pow(10.0, -3.0 + 6.0 * rng_uniform(rng)); /* 1e-3 .. 1e3 */
        g[i] = (float)((i % 2 ? -1 : 1) * mag);
    }
    ParamBlock blk = {x, g, N};
    const double lr = 1e-2, eps = 1e-8;
    Optimizer *opt = optim_new(&blk, 1, optim_adam(lr, 0.9, 0.999, eps, 0.0));
    optim_step(opt);
    double worst = 0; /* error in units of its bound */
    for (int i = 0; i < N; i++) {
        double want = -lr * (g[i] > 0 ? 1 : -1);
        double bound = lr * eps / fabs(g[i]) + lr * FLT_EPSILON;
        worst = fmax(worst, fabs(x[i] - want) / bound);
    }
    check_le("common.optim.adam_step1_sign", worst, 1.0, 0, "common.optim.adam",
             "Adam step 1 moves each parameter by lr sign(g) (|g| from 1e-3 to 1e3), in units "
             "of the bound lr eps/|g| + lr eps_float");

    /* Step 2 with g_2 = -g_1 = -1 (by hand): m_2 = 0.9*0.1 - 0.1 = -0.01, 1 - b1^2 = 0.19, so
       m_hat = -1/19; v_2 = 0.999*0.001 + 0.001 = 1 - 0.999^2, so v_hat = 1. The step is +lr/19. */
    float y = 0, gy = 1;
    ParamBlock by = {&y, &gy, 1};
    Optimizer *o2 = optim_new(&by, 1, optim_adam(lr, 0.9, 0.999, eps, 0.0));
    optim_step(o2);
    float y1 = y;
    gy = -1;
    optim_step(o2);
    check_close("common.optim.adam_step2_hand", (double)y - y1, lr / 19.0, 2 * lr * FLT_EPSILON,
                "common.optim.adam", "Adam step 2 after g = +1, -1 moves by +lr/19 (bias "
                "corrections by hand)");

    /* AdamW step 1: x <- x (1 - lr wd) - lr sign(g). */
    float z = 2.0f, gz = 0.5f;
    ParamBlock bz = {&z, &gz, 1};
    const double wd = 0.1;
    Optimizer *o3 = optim_new(&bz, 1, optim_adamw(lr, 0.9, 0.999, eps, wd));
    optim_step(o3);
    check_close("common.optim.adamw_step1_hand", z, 2.0 * (1 - lr * wd) - lr, 4 * FLT_EPSILON,
                "common.optim.adamw_decay", "AdamW step 1 from x = 2, g = 0.5: 2 (1 - lr wd) - lr");
    /* Adam with L2 instead: g + wd x = 0.7 > 0, so step 1 is still -lr, with no shrink. */
    float u = 2.0f, gu = 0.5f;
    ParamBlock bu = {&u, &gu, 1};
    Optimizer *o4 = optim_new(&bu, 1, optim_adam(lr, 0.9, 0.999, eps, wd));
    optim_step(o4);
    check_close("common.optim.adam_l2_step1_hand", u, 2.0 - lr, 4 * FLT_EPSILON,
                "common.optim.adam", "Adam(+L2) step 1 from x = 2: only the sign of g + wd x "
                "matters, x = 2 - lr");
    optim_free(opt), optim_free(o2), optim_free(o3), optim_free(o4);
}

static void test_sgd_closed_form_and_convergence(void) {
    /* Plain SGD on the quadratic: x_t - c = (1 - lr h)^t (x_0 - c), per coordinate. */
    Quadratic q;
    quad_init(&q);
    const double lr = 0.05;
    Optimizer *opt = optim_new(q.blocks, 2, optim_sgd(lr, 0.0, false, 0.0));
    check_true("common.optim.sgd_plain_no_state", opt->m == NULL && opt->v == NULL,
               "plain SGD allocates no state");
    const int T = 20;
    for (int t = 0; t < T; t++) {
        quad_grad(&q);
        optim_step(opt);
    }
    double e = 0;
    for (int i = 0; i < NQ; i++) {
        double want = QC[i] + pow(1 - lr * QH[i], T) * ((double)QX0[i] - QC[i]);
        e = fmax(e, fabs(q.x[i] - want));
    }
    check_close("common.optim.sgd_closed_form", e, 0, 1e-6, NULL,
                "plain SGD, 20 steps: x_t = c + (1 - lr h)^t (x_0 - c) (float rounding)");
    optim_free(opt);

    /* Convergence to the minimiser c: SGD with momentum, Adam and AdamW(wd = 0) under a
       cosine schedule. */
    const char *names[] = {"sgd_momentum", "adam_cosine", "adamw_cosine"};
    OptimConfig cfgs[] = {optim_sgd(0.02, 0.9, false, 0.0), optim_adam(0.05, 0.9, 0.999, 1e-8, 0),
                          optim_adamw(0.05, 0.9, 0.999, 1e-8, 0)};
    double tols[] = {1e-5, 1e-5, 1e-5};
    const long steps = 2000;
    LrSchedule sched = {LR_COSINE, 0.05, 0.0, 50, steps};
    for (int k = 0; k < 3; k++) {
        quad_init(&q);
        opt = optim_new(q.blocks, 2, cfgs[k]);
        for (long s = 0; s < steps; s++) {
            if (k > 0) optim_set_lr(opt, lr_at(&sched, s));
            quad_grad(&q);
            optim_step(opt);
        }
        e = 0;
        for (int i = 0; i < NQ; i++) e = fmax(e, fabs((double)q.x[i] - QC[i]));
        char id[64];
        snprintf(id, sizeof id, "common.optim.converge_%s", names[k]);
        check_le(id, e, tols[k], 0, NULL, "%s reaches the minimiser of the quadratic: max |x - c| "
                 "after %ld steps", names[k], steps);
        optim_free(opt);
    }
}

static void test_clipping(Rng *rng) {
    enum { NA = 100, NB = 37 };
    float ga[NA], gb[NB], va[NA] = {0}, vb[NB] = {0}, ga0[NA], gb0[NB];
    for (int i = 0; i < NA; i++) ga[i] = ga0[i] = (float)rng_normal(rng);
    for (int i = 0; i < NB; i++) gb[i] = gb0[i] = (float)(3 * rng_normal(rng));
    ParamBlock blocks[2] = {{va, ga, NA}, {vb, gb, NB}};
    double ss = 0; /* the norm, summed here independently */
    for (int i = 0; i < NA; i++) ss += (double)ga0[i] * ga0[i];
    for (int i = 0; i < NB; i++) ss += (double)gb0[i] * gb0[i];
    const double max_norm = 1.5;
    double before = clip_grad_norm(blocks, 2, max_norm);
    check_rel("common.optim.clip_returns_norm", before, sqrt(ss), 1e-14, NULL,
              "clip_grad_norm returns the global norm before clipping");
    check_rel("common.optim.clip_norm_after", grad_global_norm(blocks, 2), max_norm, 1e-6, NULL,
              "after clipping, the global norm equals max_norm (float rounding)");
    double scale = max_norm / before, worst = 0;
    for (int i = 0; i < NA; i++) worst = fmax(worst, fabs(ga[i] - scale * ga0[i]) / fabs(scale * ga0[i]));
    for (int i = 0; i < NB; i++) worst = fmax(worst, fabs(gb[i] - scale * gb0[i]) / fabs(scale * gb0[i]));
    check_le("common.optim.clip_direction", worst, FLT_EPSILON / 2, 0, NULL,
             "clipping keeps the direction: every g_i is the same multiple of the original, to "
             "float rounding");
    /* Below the threshold: unchanged, bit for bit. */
    memcpy(ga0, ga, sizeof ga);
    memcpy(gb0, gb, sizeof gb);
    clip_grad_norm(blocks, 2, 10.0);
    check_true("common.optim.clip_noop", !memcmp(ga, ga0, sizeof ga) && !memcmp(gb, gb0, sizeof gb),
               "gradients with norm below max_norm are left unchanged");
    /* Non-finite gradient: the norm comes back non-finite and nothing is scaled. */
    ga[3] = INFINITY;
    double nf = clip_grad_norm(blocks, 2, 1.0);
    check_true("common.optim.clip_nonfinite", !isfinite(nf) && gb[0] == gb0[0] && ga[0] == ga0[0],
               "an infinite gradient gives a non-finite norm and leaves the gradients untouched");
}

static void test_ema(void) {
    /* A constant parameter theta = c, shadow starting at theta_0: bar theta_k - c = d^k (x0 - c). */
    float x[3] = {1.0f, -2.0f, 4.0f};
    float g[3] = {0};
    ParamBlock blk = {x, g, 3};
    const double decay = 0.9;
    Ema *ema = ema_new(&blk, 1, decay);
    const float c[3] = {0.5f, 1.0f, 4.0f};
    const float x0[3] = {1.0f, -2.0f, 4.0f};
    memcpy(x, c, sizeof x);
    double worst = 0;
    for (int k = 1; k <= 100; k++) {
        ema_update(ema);
        if (k == 10 || k == 100)
            for (int i = 0; i < 3; i++) {
                double want = c[i] + pow(decay, k) * (x0[i] - c[i]);
                worst = fmax(worst, fabs(ema->shadow[i] - want));
            }
    }
    check_close("common.optim.ema_closed_form", worst, 0, 1e-6, "common.optim.ema",
                "EMA of a constant parameter: bar theta_k = c + d^k (theta_0 - c) at k = 10, 100");
    float shadow[3];
    memcpy(shadow, ema->shadow, sizeof shadow);
    ema_swap(ema);
    int swapped_ok = !memcmp(x, shadow, sizeof x) && !memcmp(ema->shadow, c, sizeof c);
    ema_swap(ema);
    int restored = !memcmp(x, c, sizeof x) && !memcmp(ema->shadow, shadow, sizeof shadow);
    check_true("common.optim.ema_swap", swapped_ok && restored,
               "ema_swap puts the EMA in the live parameters and a second swap restores both");
    ema_copy_to_params(ema);
    check_true("common.optim.ema_copy", !memcmp(x, shadow, sizeof x),
               "ema_copy_to_params writes the EMA into the parameters");
    ema_free(ema);
}

static void test_schedules(void) {
    const double base = 3e-4, lo = 1e-5;
    const long W = 100, T = 1000;
    check_close("common.optim.lr_constant", lr_constant(base, 12345), base, 0, NULL,
                "the constant schedule returns the base lr");
    check_rel("common.optim.warmup_start", lr_linear_warmup(base, W, 0), base / W, 1e-15, NULL,
              "linear warm-up: step 0 uses base / W");
    check_rel("common.optim.warmup_end", lr_linear_warmup(base, W, W - 1), base, 1e-15, NULL,
              "linear warm-up: step W-1 (the W-th update) uses the base lr");
    check_rel("common.optim.warmup_after", lr_linear_warmup(base, W, 10 * W), base, 1e-15, NULL,
              "linear warm-up: the base lr after the warm-up");
    check_rel("common.optim.warmup_mid", lr_linear_warmup(base, W, W / 2 - 1), base / 2, 1e-15,
              NULL, "linear warm-up: step W/2 - 1 uses base / 2");
    check_rel("common.optim.cosine_warmup_start", lr_cosine_warmup(base, lo, W, T, 0), base / W,
              1e-15, "common.optim.cosine", "cosine schedule starts with the warm-up: base / W");
    check_rel("common.optim.cosine_peak", lr_cosine_warmup(base, lo, W, T, W - 1), base, 1e-15,
              "common.optim.cosine", "cosine schedule: base lr at the end of the warm-up");
    check_rel("common.optim.cosine_mid", lr_cosine_warmup(base, lo, W, T, (W + T) / 2 - 1),
              (base + lo) / 2, 1e-12, "common.optim.cosine",
              "cosine schedule: (base + min) / 2 half way through the decay");
    check_close("common.optim.cosine_end", lr_cosine_warmup(base, lo, W, T, T - 1), lo, 0,
              "common.optim.cosine", "cosine schedule: exactly min lr on the last step");
    check_close("common.optim.cosine_after", lr_cosine_warmup(base, lo, W, T, T + 50), lo, 0,
              "common.optim.cosine", "cosine schedule: min lr after the last step");
    int mono = 1;
    for (long s = W; s < T + 10; s++)
        mono &= lr_cosine_warmup(base, lo, W, T, s) <= lr_cosine_warmup(base, lo, W, T, s - 1);
    for (long s = 1; s < W; s++)
        mono &= lr_cosine_warmup(base, lo, W, T, s) > lr_cosine_warmup(base, lo, W, T, s - 1);
    check_true("common.optim.cosine_monotone", mono,
               "cosine schedule rises during the warm-up and never rises after it");
    LrSchedule sc = {LR_COSINE, base, lo, W, T};
    check_close("common.optim.lr_at_dispatch", lr_at(&sc, 400), lr_cosine_warmup(base, lo, W, T, 400),
                0, NULL, "lr_at dispatches to the schedule's function");
}

static void test_thread_independence(void) {
    /* A block above the parallel threshold: one thread and all threads give the same bits. */
    const size_t n = 200000;
    float *x1 = malloc(n * sizeof *x1), *x2 = malloc(n * sizeof *x2), *g = malloc(n * sizeof *g);
    Rng r;
    rng_init(&r, 5, 0);
    for (size_t i = 0; i < n; i++) {
        x1[i] = x2[i] = (float)rng_normal(&r);
        g[i] = (float)rng_normal(&r);
    }
    ParamBlock b1 = {x1, g, n}, b2 = {x2, g, n};
    int threads = par_max_threads();
    Optimizer *o1 = optim_new(&b1, 1, optim_adamw(1e-3, 0.9, 0.999, 1e-8, 0.01));
    Optimizer *o2 = optim_new(&b2, 1, optim_adamw(1e-3, 0.9, 0.999, 1e-8, 0.01));
    par_set_threads(1);
    for (int t = 0; t < 3; t++) optim_step(o1);
    par_set_threads(threads > 1 ? threads : 2);
    for (int t = 0; t < 3; t++) optim_step(o2);
    par_set_threads(threads);
    check_true("common.optim.threads_identical", !memcmp(x1, x2, n * sizeof *x1),
               "AdamW on 200000 parameters: 1 thread and %d threads give identical bits",
               threads > 1 ? threads : 2);
    optim_free(o1), optim_free(o2);
    free(x1), free(x2), free(g);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "unit tests of the optimisers, clipping, EMA and lr schedules", 13, NULL);
    Rng rng;
    rng_init(&rng, cli.seed, 0);
    test_against_torch();
    test_adam_by_hand(&rng);
    test_sgd_closed_form_and_convergence();
    test_clipping(&rng);
    test_ema();
    test_schedules();
    test_thread_independence();
    return check_end();
}
