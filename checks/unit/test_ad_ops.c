/* Unit tests of common/ad.h, op by op: every op's gradient against central finite differences
   in double precision (ad_gradcheck), and every op's float32 value and gradient against the
   double-precision ones. The ops, their input shapes and tolerances are data (the table below),
   in the manner of ggml's test-backend-ops.

   The scalar loss of a case is L = sum(op(params) * R), R a fixed random tensor of the output's
   shape: every output element gets a distinct weight, so a wrong entry of any Jacobian shows. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/rng.h"
#include "common/util.h"

enum { INIT_NORMAL, INIT_POSITIVE, INIT_AWAY_FROM_ZERO };

typedef AdTensor *(*OpFn)(AdArena *arena, AdTensor **p);

typedef struct {
    const char *name;
    OpFn fn;
    int nparams;
    int ndim[3];
    int shape[3][4];
    int init[3];
    double tol; /* gradcheck relative tolerance (double precision) */
} OpCase;

static const int labels4[4] = {2, 0, 1, 2};
static const int emb_idx[4] = {1, 4, 1, 0};

static AdTensor *op_add(AdArena *a, AdTensor **p) { return ad_add(a, p[0], p[1]); }
static AdTensor *op_sub(AdArena *a, AdTensor **p) { return ad_sub(a, p[0], p[1]); }
static AdTensor *op_mul(AdArena *a, AdTensor **p) { return ad_mul(a, p[0], p[1]); }
static AdTensor *op_div(AdArena *a, AdTensor **p) { return ad_div(a, p[0], p[1]); }
static AdTensor *op_exp(AdArena *a, AdTensor **p) { return ad_exp(a, p[0]); }
static AdTensor *op_log(AdArena *a, AdTensor **p) { return ad_log(a, p[0]); }
static AdTensor *op_tanh(AdArena *a, AdTensor **p) { return ad_tanh(a, p[0]); }
static AdTensor *op_sigmoid(AdArena *a, AdTensor **p) { return ad_sigmoid(a, p[0]); }
static AdTensor *op_relu(AdArena *a, AdTensor **p) { return ad_relu(a, p[0]); }
static AdTensor *op_silu(AdArena *a, AdTensor **p) { return ad_silu(a, p[0]); }
static AdTensor *op_softplus(AdArena *a, AdTensor **p) { return ad_softplus(a, p[0]); }
static AdTensor *op_square(AdArena *a, AdTensor **p) { return ad_square(a, p[0]); }
static AdTensor *op_sqrt(AdArena *a, AdTensor **p) { return ad_sqrt(a, p[0]); }
static AdTensor *op_sin(AdArena *a, AdTensor **p) { return ad_sin(a, p[0]); }
static AdTensor *op_cos(AdArena *a, AdTensor **p) { return ad_cos(a, p[0]); }
static AdTensor *op_scale(AdArena *a, AdTensor **p) { return ad_scale(a, p[0], -1.7); }
static AdTensor *op_add_const(AdArena *a, AdTensor **p) { return ad_add_const(a, p[0], 0.3); }
static AdTensor *op_matmul(AdArena *a, AdTensor **p) { return ad_matmul(a, p[0], p[1]); }
static AdTensor *op_linear(AdArena *a, AdTensor **p) { return ad_linear(a, p[0], p[1], p[2]); }
static AdTensor *op_linear_nobias(AdArena *a, AdTensor **p) { return ad_linear(a, p[0], p[1], NULL); }
static AdTensor *op_sum(AdArena *a, AdTensor **p) { return ad_sum(a, p[0]); }
static AdTensor *op_mean(AdArena *a, AdTensor **p) { return ad_mean(a, p[0]); }
static AdTensor *op_sum_axis0(AdArena *a, AdTensor **p) { return ad_sum_axis(a, p[0], 0, 0); }
static AdTensor *op_sum_last_keep(AdArena *a, AdTensor **p) { return ad_sum_axis(a, p[0], -1, 1); }
static AdTensor *op_mean_axis1(AdArena *a, AdTensor **p) { return ad_mean_axis(a, p[0], 1, 0); }
static AdTensor *op_reshape(AdArena *a, AdTensor **p) {
    int s[3] = {3, 2, 2};
    return ad_reshape(a, p[0], 3, s);
}
static AdTensor *op_transpose(AdArena *a, AdTensor **p) { return ad_transpose(a, p[0]); }
static AdTensor *op_swap02(AdArena *a, AdTensor **p) { return ad_swap_axes(a, p[0], 0, 2); }
static AdTensor *op_swap13(AdArena *a, AdTensor **p) { return ad_swap_axes(a, p[0], 1, -1); }
static AdTensor *op_concat(AdArena *a, AdTensor **p) { return ad_concat(a, p, 3, 1); }
static AdTensor *op_slice(AdArena *a, AdTensor **p) { return ad_slice(a, p[0], 1, 1, 3); }
static AdTensor *op_conv_s1p1(AdArena *a, AdTensor **p) { return ad_conv2d(a, p[0], p[1], p[2], 1, 1); }
static AdTensor *op_conv_s2p1(AdArena *a, AdTensor **p) { return ad_conv2d(a, p[0], p[1], NULL, 2, 1); }
static AdTensor *op_convt_s2p1(AdArena *a, AdTensor **p) { return ad_conv_transpose2d(a, p[0], p[1], p[2], 2, 1); }
static AdTensor *op_convt_s1p0(AdArena *a, AdTensor **p) { return ad_conv_transpose2d(a, p[0], p[1], NULL, 1, 0); }
static AdTensor *op_avg_pool(AdArena *a, AdTensor **p) { return ad_avg_pool2d(a, p[0], 2); }
static AdTensor *op_upsample(AdArena *a, AdTensor **p) { return ad_upsample_nearest2d(a, p[0], 2); }
static AdTensor *op_group_norm(AdArena *a, AdTensor **p) {
    return ad_group_norm(a, p[0], 2, p[1], p[2], 1e-5);
}
static AdTensor *op_group_norm_plain(AdArena *a, AdTensor **p) {
    return ad_group_norm(a, p[0], 3, NULL, NULL, 1e-5);
}
static AdTensor *op_softmax(AdArena *a, AdTensor **p) { return ad_softmax(a, p[0]); }
static AdTensor *op_log_softmax(AdArena *a, AdTensor **p) { return ad_log_softmax(a, p[0]); }
static AdTensor *op_cross_entropy(AdArena *a, AdTensor **p) { return ad_cross_entropy(a, p[0], labels4); }
static AdTensor *op_attention(AdArena *a, AdTensor **p) { return ad_attention(a, p[0], p[1], p[2]); }
static AdTensor *op_embedding(AdArena *a, AdTensor **p) { return ad_embedding(a, p[0], emb_idx, 4); }

#define N INIT_NORMAL
#define P INIT_POSITIVE
#define Z INIT_AWAY_FROM_ZERO
/* name, fn, nparams, ndims, shapes, inits, tolerance */
static const OpCase cases[] = {
    {"add_bcast_row", op_add, 2, {2, 1}, {{2, 3}, {3}}, {N, N}, 1e-6},
    {"add_bcast_both", op_add, 2, {3, 2}, {{2, 1, 3}, {4, 1}}, {N, N}, 1e-6},
    {"sub_bcast_col", op_sub, 2, {2, 2}, {{3, 2}, {3, 1}}, {N, N}, 1e-6},
    {"mul_bcast_mid", op_mul, 2, {3, 3}, {{2, 3, 4}, {1, 3, 1}}, {N, N}, 1e-6},
    {"mul_4d_scalar", op_mul, 2, {4, 0}, {{2, 1, 2, 3}, {0}}, {N, N}, 1e-6},
    {"div_bcast", op_div, 2, {2, 1}, {{2, 3}, {3}}, {N, P}, 1e-6},
    {"exp", op_exp, 1, {2}, {{2, 3}}, {N}, 1e-6},
    {"log", op_log, 1, {2}, {{2, 3}}, {P}, 1e-6},
    {"tanh", op_tanh, 1, {2}, {{2, 3}}, {N}, 1e-6},
    {"sigmoid", op_sigmoid, 1, {2}, {{2, 3}}, {N}, 1e-6},
    /* relu has a kink at 0: inputs are kept at |x| >= 0.1 */
    {"relu", op_relu, 1, {2}, {{3, 4}}, {Z}, 1e-6},
    {"silu", op_silu, 1, {2}, {{2, 3}}, {N}, 1e-6},
    {"softplus", op_softplus, 1, {2}, {{2, 3}}, {N}, 1e-6},
    {"square", op_square, 1, {2}, {{2, 3}}, {N}, 1e-6},
    /* sqrt: infinite slope at 0, inputs positive */
    {"sqrt", op_sqrt, 1, {2}, {{2, 3}}, {P}, 1e-6},
    {"sin", op_sin, 1, {2}, {{2, 3}}, {N}, 1e-6},
    {"cos", op_cos, 1, {2}, {{2, 3}}, {N}, 1e-6},
    {"scale", op_scale, 1, {3}, {{2, 3, 2}}, {N}, 1e-6},
    {"add_const", op_add_const, 1, {2}, {{2, 3}}, {N}, 1e-6},
    {"matmul_2d", op_matmul, 2, {2, 2}, {{3, 4}, {4, 5}}, {N, N}, 1e-6},
    {"matmul_batched", op_matmul, 2, {3, 3}, {{2, 3, 4}, {2, 4, 2}}, {N, N}, 1e-6},
    /* n = 40 runs the kernel's 32-float (16-double) register block and its tail */
    {"matmul_wide", op_matmul, 2, {2, 2}, {{3, 5}, {5, 40}}, {N, N}, 1e-6},
    {"linear_wide", op_linear, 3, {2, 2, 1}, {{4, 3}, {3, 36}, {36}}, {N, N, N}, 1e-6},
    {"linear", op_linear, 3, {2, 2, 1}, {{5, 3}, {3, 4}, {4}}, {N, N, N}, 1e-6},
    {"linear_nobias", op_linear_nobias, 2, {2, 2}, {{5, 3}, {3, 4}}, {N, N}, 1e-6},
    {"sum", op_sum, 1, {3}, {{2, 3, 2}}, {N}, 1e-6},
    {"mean", op_mean, 1, {2}, {{3, 4}}, {N}, 1e-6},
    {"sum_axis0", op_sum_axis0, 1, {2}, {{3, 4}}, {N}, 1e-6},
    {"sum_last_keepdim", op_sum_last_keep, 1, {3}, {{2, 3, 4}}, {N}, 1e-6},
    {"mean_axis1", op_mean_axis1, 1, {3}, {{2, 3, 4}}, {N}, 1e-6},
    {"reshape", op_reshape, 1, {2}, {{2, 6}}, {N}, 1e-6},
    {"transpose", op_transpose, 1, {2}, {{3, 4}}, {N}, 1e-6},
    {"swap_axes_0_2", op_swap02, 1, {3}, {{2, 3, 4}}, {N}, 1e-6},
    {"swap_axes_1_3", op_swap13, 1, {4}, {{2, 3, 2, 4}}, {N}, 1e-6},
    {"concat_axis1", op_concat, 3, {3, 3, 3}, {{2, 1, 3}, {2, 2, 3}, {2, 3, 3}}, {N, N, N}, 1e-6},
    {"slice_axis1", op_slice, 1, {3}, {{2, 4, 3}}, {N}, 1e-6},
    {"conv2d_s1_p1_bias", op_conv_s1p1, 3, {4, 4, 1}, {{2, 2, 5, 5}, {3, 2, 3, 3}, {3}}, {N, N, N}, 1e-6},
    {"conv2d_s2_p1", op_conv_s2p1, 2, {4, 4}, {{1, 2, 5, 6}, {2, 2, 3, 2}}, {N, N}, 1e-6},
    {"conv_transpose2d_s2_p1_bias", op_convt_s2p1, 3, {4, 4, 1}, {{2, 3, 3, 4}, {3, 2, 4, 3}, {2}}, {N, N, N}, 1e-6},
    {"conv_transpose2d_s1_p0", op_convt_s1p0, 2, {4, 4}, {{1, 2, 3, 2}, {2, 3, 2, 3}}, {N, N}, 1e-6},
    {"avg_pool2d", op_avg_pool, 1, {4}, {{1, 2, 4, 6}}, {N}, 1e-6},
    {"upsample_nearest2d", op_upsample, 1, {4}, {{1, 2, 2, 3}}, {N}, 1e-6},
    {"group_norm_affine", op_group_norm, 3, {4, 1, 1}, {{2, 4, 3, 3}, {4}, {4}}, {N, N, N}, 1e-6},
    {"group_norm_2d_plain", op_group_norm_plain, 1, {2}, {{3, 6}}, {N}, 1e-6},
    {"softmax", op_softmax, 1, {2}, {{3, 5}}, {N}, 1e-6},
    {"log_softmax", op_log_softmax, 1, {3}, {{2, 3, 4}}, {N}, 1e-6},
    {"cross_entropy", op_cross_entropy, 1, {2}, {{4, 3}}, {N}, 1e-6},
    {"attention", op_attention, 3, {3, 3, 3}, {{2, 3, 4}, {2, 5, 4}, {2, 5, 3}}, {N, N, N}, 1e-6},
    {"embedding", op_embedding, 1, {2}, {{5, 3}}, {N}, 1e-6},
};
#undef N
#undef P
#undef Z

static void init_values(AdTensor *t, int init, Rng *r) {
    for (long i = 0; i < t->size; i++) {
        double v;
        if (init == INIT_POSITIVE) v = 0.5 + 1.5 * rng_uniform(r);
        else if (init == INIT_AWAY_FROM_ZERO) {
            v = 0.1 + rng_uniform(r);
            if (rng_uniform(r) < 0.5) v = -v;
        } else v = rng_normal(r);
        ad_set(t, i, v);
    }
}

/* L = sum(op(params) * R): R drawn from a fixed stream, the same at every evaluation. */
static AdTensor *weighted_loss(AdArena *arena, AdTensor **params, int nparams, void *ctx) {
    (void)nparams;
    const OpCase *c = ctx;
    AdTensor *y = c->fn(arena, params);
    AdTensor *r = ad_input(arena, y->dtype, y->ndim, y->shape);
    Rng rr;
    rng_init(&rr, 99, 0);
    for (long i = 0; i < r->size; i++) ad_set(r, i, rng_normal(&rr));
    return ad_sum(arena, ad_mul(arena, y, r));
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "unit tests of the autodiff ops: gradcheck in double, float vs double", 11, NULL);
    int ncases = (int)(sizeof cases / sizeof cases[0]);
    for (int ci = 0; ci < ncases; ci++) {
        const OpCase *c = &cases[ci];
        AdTensor *p64[3], *p32[3];
        Rng r;
        rng_init(&r, cli.seed, (uint64_t)ci);
        for (int k = 0; k < c->nparams; k++) {
            p64[k] = ad_param_new(AD_F64, c->ndim[k], c->shape[k]);
            p32[k] = ad_param_new(AD_F32, c->ndim[k], c->shape[k]);
            init_values(p64[k], c->init[k], &r);
            ad_copy_values(p32[k], p64[k]);
        }
        char id[128];
        snprintf(id, sizeof id, "common.ad.grad_%s", c->name);
        double err = ad_gradcheck(weighted_loss, p64, c->nparams, (void *)c, 1e-5);
        check_le(id, err, c->tol, 0, "common.ad.vjp",
                 "%s: tape gradient vs central differences (h=1e-5, double), max rel error",
                 c->name);

        /* float32 forward and backward against double, same inputs (values rounded to float).
           The reference is the double run on the float-rounded inputs. */
        AdArena *a32 = ad_arena_new(1 << 16), *a64 = ad_arena_new(1 << 16);
        for (int k = 0; k < c->nparams; k++) ad_copy_values(p64[k], p32[k]);
        ad_zero_grad(p64, c->nparams);
        ad_zero_grad(p32, c->nparams);
        AdTensor *y64 = c->fn(a64, p64), *y32 = c->fn(a32, p32);
        double ymax = 0, yerr = 0;
        for (long i = 0; i < y64->size; i++) {
            ymax = fmax(ymax, fabs(ad_get(y64, i)));
            yerr = fmax(yerr, fabs(ad_get(y64, i) - ad_get(y32, i)));
        }
        ad_backward(a64, weighted_loss(a64, p64, c->nparams, (void *)c));
        ad_backward(a32, weighted_loss(a32, p32, c->nparams, (void *)c));
        double gmax = 0, gerr = 0;
        for (int k = 0; k < c->nparams; k++)
            for (long i = 0; i < p64[k]->size; i++) {
                gmax = fmax(gmax, fabs(ad_grad_get(p64[k], i)));
                gerr = fmax(gerr, fabs(ad_grad_get(p64[k], i) - ad_grad_get(p32[k], i)));
            }
        /* float32 has a unit roundoff of 6e-8; these graphs are a few dozen operations deep. */
        snprintf(id, sizeof id, "common.ad.f32_value_%s", c->name);
        check_le(id, yerr / fmax(ymax, 1e-30), 1e-5, 0, NULL,
                 "%s: float32 forward agrees with double (max error / max |y|)", c->name);
        snprintf(id, sizeof id, "common.ad.f32_grad_%s", c->name);
        check_le(id, gerr / fmax(gmax, 1e-30), 1e-5, 0, NULL,
                 "%s: float32 gradient agrees with double (max error / max |g|)", c->name);
        ad_arena_free(a32);
        ad_arena_free(a64);
        for (int k = 0; k < c->nparams; k++) {
            ad_tensor_free(p64[k]);
            ad_tensor_free(p32[k]);
        }
    }
    return check_end();
}
