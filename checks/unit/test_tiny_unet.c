/* Unit tests of common/tiny_unet.h: the closed-form parameter and MAC counts against the
   tensors the constructor makes (lecture layout and every switch), the spec's reference numbers,
   the dead parameters' gradient exactly 0 in the lecture layout (and none dead with the fix),
   the tape-free forward bitwise equal to the taped one, the label embedding's effect, and a
   finite-difference gradient check of every parameter tensor in double at a small width. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/tiny_unet.h"
#include "common/tiny_unet_probe.h"
#include "common/util.h"

static TinyUNetConfig small_cfg(int per_level, int skip, int classes, AdDtype dt) {
    return (TinyUNetConfig){.d_model = 4, .t_emb = 8, .groups = 2, .image_size = 8,
                            .n_classes = classes, .time_per_level = per_level, .enc1_skip = skip,
                            .mid_attention = per_level, .dtype = dt};
}

static void test_counts(void) {
    TinyUNetConfig lec = tiny_unet_config_lecture();
    check_close("unit.tiny_unet.params_lecture", (double)tiny_unet_param_count(&lec), 584449, 0,
                "common.tiny_unet.params", "closed-form parameter count of the lecture's net (spec 584,449)");
    check_close("unit.tiny_unet.macs_lecture", (double)tiny_unet_macs(&lec), 95733760, 0, NULL,
                "closed-form MACs per image of the lecture's net (spec 95,733,760)");
    check_close("unit.tiny_unet.dead_lecture", (double)tiny_unet_dead_param_count(&lec), 49344, 0,
                NULL, "dead parameters of the lecture layout (spec 49,344)");
    TinyUNetConfig d32 = lec, d16 = lec;
    d32.d_model = 32, d16.d_model = 16;
    d32.t_hidden = 4 * 32, d16.t_hidden = 4 * 16; /* the spec scales the MLP width as 4d */
    check_close("unit.tiny_unet.params_d32", (double)tiny_unet_param_count(&d32), 155009, 0, NULL,
                "d_model 32, MLP width 4d (spec 155,009)");
    check_close("unit.tiny_unet.params_d16", (double)tiny_unet_param_count(&d16), 43201, 0, NULL,
                "d_model 16, MLP width 4d (spec 43,201)");
    /* the formula against the tensors actually made, for every combination of the switches */
    long worst = 0;
    for (int v = 0; v < 16; v++) {
        TinyUNetConfig c = small_cfg(v & 1, (v >> 1) & 1, (v >> 2) & 1 ? 3 : 0, AD_F32);
        c.mid_attention = (v >> 3) & 1;
        Rng rng;
        rng_init(&rng, 1, 0);
        TinyUNet m;
        tiny_unet_init(&m, &c, &rng);
        NnParams p;
        nn_params_init(&p);
        tiny_unet_params(&m, &p);
        long diff = labs(nn_params_numel(&p) - tiny_unet_param_count(&c));
        if (diff > worst) worst = diff;
        nn_params_free(&p);
        tiny_unet_free(&m);
    }
    check_close("unit.tiny_unet.params_formula", (double)worst, 0, 0, "common.tiny_unet.params",
                "closed form equals the constructed tensors' count for all 16 switch combinations");
}

static void make_input(AdArena *a, AdDtype dt, int n, int H, Rng *rng, AdTensor **x, double **r) {
    double *v = xmalloc((size_t)n * H * H * sizeof *v);
    *r = xmalloc((size_t)n * H * H * sizeof **r);
    for (int i = 0; i < n * H * H; i++) v[i] = rng_normal(rng), (*r)[i] = rng_normal(rng);
    *x = ad_from_doubles(a, dt, 4, (int[]){n, 1, H, H}, v);
    free(v);
}

static void test_dead_and_nograd(void) {
    for (int fix = 0; fix <= 1; fix++) {
        TinyUNetConfig c = small_cfg(fix, fix, 0, AD_F32);
        c.d_model = 8, c.t_emb = 16, c.groups = 4; /* 2e = 32 > d: a dead slice in the lecture layout */
        Rng rng;
        rng_init(&rng, 3, 0);
        TinyUNet m;
        tiny_unet_init(&m, &c, &rng);
        AdArena *a = ad_arena_new(1 << 20);
        AdTensor *x;
        double *r;
        make_input(a, AD_F32, 3, 8, &rng, &x, &r);
        const int t[3] = {1, 500, 1000};
        TinyUNetProbe ctx = {&m, x, t, NULL, r};
        NnParams p;
        nn_params_init(&p);
        tiny_unet_params(&m, &p);
        nn_params_zero_grad(&p);
        AdTensor *l = tiny_unet_probe_loss(a, NULL, 0, &ctx);
        ad_backward(a, l);
        long dead = 0, dead_nonzero = 0, live_zero_tensors = 0;
        for (int i = 0; i < p.n; i++) {
            long nz = 0;
            for (long j = 0; j < p.t[i]->size; j++) {
                int is_dead = tiny_unet_param_is_dead(&m, p.t[i], j);
                double g = ad_grad_get(p.t[i], j);
                dead += is_dead;
                if (is_dead && g != 0) dead_nonzero++;
                if (!is_dead && g != 0) nz++;
            }
            if (nz == 0) live_zero_tensors++;
        }
        char id[64];
        snprintf(id, sizeof id, "unit.tiny_unet.dead_count_%s", fix ? "fix" : "lecture");
        check_close(id, (double)dead, (double)tiny_unet_dead_param_count(&c), 0, NULL,
                    "%s layout: elements marked dead = closed form (d 8, e 16)", fix ? "fixed" : "lecture");
        snprintf(id, sizeof id, "unit.tiny_unet.dead_grad_%s", fix ? "fix" : "lecture");
        check_close(id, (double)dead_nonzero, 0, 0, NULL, "dead parameters have a gradient of exactly 0");
        snprintf(id, sizeof id, "unit.tiny_unet.live_grad_%s", fix ? "fix" : "lecture");
        check_close(id, (double)live_zero_tensors, 0, 0, NULL,
                    "every parameter tensor has a nonzero gradient somewhere in its live part");
        /* tape-free forward equals the taped one bitwise */
        AdTensor *o1 = tiny_unet_forward(a, &m, x, t, NULL, NULL);
        AdTensor *o2 = tiny_unet_forward_nograd(a, &m, x, t, NULL);
        int same = memcmp(o1->data, o2->data, (size_t)o1->size * sizeof(float)) == 0 && !o2->requires_grad;
        snprintf(id, sizeof id, "unit.tiny_unet.nograd_%s", fix ? "fix" : "lecture");
        check_true(id, same, "forward without a tape is bitwise the taped forward and has no gradient");
        free(r);
        nn_params_free(&p);
        ad_arena_free(a);
        tiny_unet_free(&m);
    }
}

/* A net of config c with every parameter moved by 0.1 N(0,1): nonzero GroupNorm affine, biases
   and zero-initialised convolutions, so every gradient is generic. p lists its tensors. */
static void perturbed_net(TinyUNet *m, NnParams *p, const TinyUNetConfig *c, Rng *rng) {
    tiny_unet_init(m, c, rng);
    nn_params_init(p);
    tiny_unet_params(m, p);
    for (int i = 0; i < p->n; i++)
        for (long j = 0; j < p->t[i]->size; j++)
            ad_set(p->t[i], j, ad_get(p->t[i], j) + 0.1 * rng_normal(rng));
}

static void test_gradcheck(void) {
    for (int v = 0; v < 2; v++) {
        TinyUNetConfig c = small_cfg(v, v, v ? 3 : 0, AD_F64);
        c.image_size = 4;
        Rng rng;
        rng_init(&rng, 5, 0);
        TinyUNet m;
        NnParams p;
        perturbed_net(&m, &p, &c, &rng);
        AdArena *a = ad_arena_new(1 << 20);
        AdTensor *x;
        double *r;
        make_input(a, AD_F64, 2, 4, &rng, &x, &r);
        const int t[2] = {3, 700}, y[2] = {1, 3};
        TinyUNetProbe ctx = {&m, x, t, v ? y : NULL, r};
        double err = ad_gradcheck(tiny_unet_probe_loss, p.t, p.n, &ctx, 1e-6);
        char id[64];
        snprintf(id, sizeof id, "unit.tiny_unet.gradcheck_%s", v ? "fix_cond" : "lecture");
        check_le(id, err, 1e-6, 0, NULL,
                 "finite differences vs tape, every element of all %d tensors (d 4, 4x4, f64, %s)",
                 p.n, v ? "per-level time, enc1 skip, attention, 3 classes" : "lecture layout");
        free(r);
        nn_params_free(&p);
        ad_arena_free(a);
        tiny_unet_free(&m);
    }
}

static void test_labels(void) {
    TinyUNetConfig c = small_cfg(1, 1, 3, AD_F32);
    Rng rng;
    rng_init(&rng, 9, 0);
    TinyUNet m;
    tiny_unet_init(&m, &c, &rng);
    AdArena *a = ad_arena_new(1 << 20);
    AdTensor *x;
    double *r;
    make_input(a, AD_F32, 1, 8, &rng, &x, &r);
    const int t[1] = {100}, y0[1] = {0}, yn[1] = {3};
    AdTensor *o0 = tiny_unet_forward_nograd(a, &m, x, t, y0);
    AdTensor *on = tiny_unet_forward_nograd(a, &m, x, t, yn);
    AdTensor *od = tiny_unet_forward_nograd(a, &m, x, t, NULL);
    double diff = 0;
    for (long i = 0; i < o0->size; i++) diff = fmax(diff, fabs(ad_get(o0, i) - ad_get(on, i)));
    check_true("unit.tiny_unet.label_matters", diff > 0, "label 0 and the null label give different outputs (max diff %.3g)", diff);
    check_true("unit.tiny_unet.null_default", memcmp(on->data, od->data, (size_t)on->size * 4) == 0,
               "labels NULL means the null label k");
    free(r);
    ad_arena_free(a);
    tiny_unet_free(&m);
}

static void test_embedding(void) {
    double e[128];
    tiny_unet_time_embedding(500, 128, e);
    double n2 = 0;
    for (int i = 0; i < 128; i++) n2 += e[i] * e[i];
    check_close("unit.tiny_unet.emb0", e[0], -0.467771805, 1e-9, "common.tiny_unet.time_embedding", "emb(500)[0] = sin 500 (spec)");
    check_close("unit.tiny_unet.emb63", e[63], 0.049979169, 1e-9, "common.tiny_unet.time_embedding", "emb(500)[63] = sin 0.05 (spec)");
    check_close("unit.tiny_unet.emb64", e[64], -0.883849273, 1e-9, "common.tiny_unet.time_embedding", "emb(500)[64] = cos 500 (spec)");
    check_close("unit.tiny_unet.emb_norm", n2, 64, 1e-12, NULL, "||emb||^2 = d/2 (sin^2 + cos^2 = 1 per pair)");
}

/* The deep layout: closed forms against the tensors, MACs by a second route (summed over the
   constructed weight tensors at their level's resolution), tape-free = taped bitwise, and a
   finite-difference gradient check with attention and labels. */
static TinyUNetConfig deep_cfg(int attn, int classes, int mult1, int mult2, AdDtype dt) {
    return (TinyUNetConfig){.d_model = 4, .t_emb = 8, .t_hidden = 12, .groups = 2, .image_size = 8,
                            .n_classes = classes, .time_per_level = 1, .enc1_skip = 1,
                            .mid_attention = attn, .deep = 1, .mult1 = mult1, .mult2 = mult2, .dtype = dt};
}

static long macs_from_tensors(const NnParams *p, int H) {
    long macs = 0, attn_c = 0;
    for (int i = 0; i < p->n; i++) {
        const AdTensor *t = p->t[i];
        const char *nm = p->name[i];
        if (strncmp(nm, "label", 5) == 0 || t->ndim < 2) continue;
        long side = H;
        if (!strncmp(nm, "down1", 5) || !strncmp(nm, "up1", 3)) side = H / 2;
        if (!strncmp(nm, "down2", 5) || !strncmp(nm, "up2", 3) || !strncmp(nm, "mid", 3)) side = H / 4;
        const long P = side * side;
        if (t->ndim == 4) macs += t->size * P;         /* conv: o i k k weights, each used P times */
        else if (!strncmp(nm, "mid.attn", 8)) macs += t->size * P, attn_c = t->shape[0];
        else macs += t->size;                           /* time MLP and time projections, per image */
    }
    const long P = (H / 4) * (H / 4);
    return macs + 2 * P * P * attn_c;                   /* Q K^T and A V */
}

static void test_deep(void) {
    long worst = 0, worst_macs = 0;
    const int mults[3][2] = {{0, 0}, {2, 4}, {1, 3}};
    for (int v = 0; v < 12; v++) {
        TinyUNetConfig c = deep_cfg(v & 1, (v >> 1) & 1 ? 3 : 0, mults[v / 4][0], mults[v / 4][1], AD_F32);
        c.image_size = 12;
        Rng rng;
        rng_init(&rng, 1, 0);
        TinyUNet m;
        tiny_unet_init(&m, &c, &rng);
        NnParams p;
        nn_params_init(&p);
        tiny_unet_params(&m, &p);
        worst = fmax(worst, labs(nn_params_numel(&p) - tiny_unet_param_count(&c)));
        worst_macs = fmax(worst_macs, labs(macs_from_tensors(&p, c.image_size) - tiny_unet_macs(&c)));
        nn_params_free(&p);
        tiny_unet_free(&m);
    }
    check_close("unit.tiny_unet.deep_params_formula", (double)worst, 0, 0, "common.tiny_unet.params_deep",
                "deep layout: closed form = the constructed tensors' count, attention x labels x 3 channel plans");
    check_close("unit.tiny_unet.deep_macs_formula", (double)worst_macs, 0, 0, NULL,
                "deep layout: closed-form MACs = the sum over the constructed weight tensors x their resolution");
    TinyUNetConfig def = {.d_model = 16, .t_emb = 64, .t_hidden = 128, .groups = 8, .image_size = 28,
                          .time_per_level = 1, .enc1_skip = 1, .mid_attention = 1, .deep = 1,
                          .mult1 = 2, .mult2 = 2, .dtype = AD_F32};
    printf("deep layout, d 16, channels 16/32/32, e 64, m 128, attention at 7x7: %ld parameters, "
           "%ld multiply-adds per image (lecture layout at d 64: 584,449 / 95,733,760)\n",
           tiny_unet_param_count(&def), tiny_unet_macs(&def));
    /* nograd bitwise and the gradient check, in double, all parameters perturbed (the second
       convolution of each block starts at zero, which would hide the first one's gradient) */
    for (int dt = 0; dt < 2; dt++) {
        TinyUNetConfig c = deep_cfg(1, 3, 2, 2, dt ? AD_F64 : AD_F32);
        Rng rng;
        rng_init(&rng, 7, 0);
        TinyUNet m;
        NnParams p;
        perturbed_net(&m, &p, &c, &rng);
        AdArena *a = ad_arena_new(1 << 20);
        AdTensor *x;
        double *r;
        make_input(a, c.dtype, 2, 8, &rng, &x, &r);
        const int t[2] = {3, 700}, y[2] = {1, 3};
        TinyUNetProbe ctx = {&m, x, t, y, r};
        if (!dt) {
            AdTensor *o1 = tiny_unet_forward(a, &m, x, t, y, NULL);
            AdTensor *o2 = tiny_unet_forward_nograd(a, &m, x, t, y);
            int same = memcmp(o1->data, o2->data, (size_t)o1->size * sizeof(float)) == 0 && !o2->requires_grad;
            check_true("unit.tiny_unet.deep_nograd", same,
                       "deep layout: forward without a tape is bitwise the taped forward");
        } else {
            double err = ad_gradcheck(tiny_unet_probe_loss, p.t, p.n, &ctx, 1e-6);
            check_le("unit.tiny_unet.deep_gradcheck", err, 1e-6, 0, NULL,
                     "deep layout: finite differences vs tape, every element of all %d tensors "
                     "(d 4, 8x8, f64, attention, 3 classes)", p.n);
        }
        free(r);
        nn_params_free(&p);
        ad_arena_free(a);
        tiny_unet_free(&m);
    }
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "unit tests of the Tiny U-Net (L36 4.2.2): counts, dead parameters, gradients", 36, NULL);
    test_counts();
    test_embedding();
    test_dead_and_nograd();
    test_labels();
    test_gradcheck();
    test_deep();
    return check_end();
}
