/* Unit tests of common/ad.h: forward values against closed forms and hand computation,
   broadcasting shapes, identities between ops, and the error message of a shape mismatch. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/rng.h"
#include "common/util.h"

static double max_abs_diff(const AdTensor *t, const double *want) {
    double e = 0;
    for (long i = 0; i < t->size; i++) e = fmax(e, fabs(ad_get(t, i) - want[i]));
    return e;
}

/* Runs fn in a child process and captures its stderr; returns the exit status. */
static int run_dying(void (*fn)(void), char *msg, size_t len) {
    int fd[2];
    if (pipe(fd) != 0) die("pipe failed");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        dup2(fd[1], 2);
        fn();
        _exit(0);
    }
    close(fd[1]);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < len && (r = read(fd[0], msg + got, len - 1 - got)) > 0) got += (size_t)r;
    msg[got] = 0;
    for (size_t i = 0; i < got; i++)
        if (msg[i] == '\n') msg[i] = ' ';
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
static void bad_matmul(void) {
    AdArena *a = ad_arena_new(4096);
    int s1[2] = {2, 3}, s2[2] = {4, 5};
    ad_matmul(a, ad_input(a, AD_F32, 2, s1), ad_input(a, AD_F32, 2, s2));
}
static void bad_broadcast(void) {
    AdArena *a = ad_arena_new(4096);
    int s1[2] = {2, 3}, s2[1] = {4};
    ad_add(a, ad_input(a, AD_F64, 2, s1), ad_input(a, AD_F64, 1, s2));
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of autodiff forward values", 5, NULL);
    AdArena *ar = ad_arena_new(1 << 16);

    /* Broadcasting: (2,1,3) + (4,1) -> (2,4,3) with y[i,j,k] = a[i,0,k] + b[j,0]. */
    {
        int sa[3] = {2, 1, 3}, sb[2] = {4, 1};
        double av[6] = {1, 2, 3, 10, 20, 30}, bv[4] = {100, 200, 300, 400};
        AdTensor *y = ad_add(ar, ad_from_doubles(ar, AD_F64, 3, sa, av),
                             ad_from_doubles(ar, AD_F64, 2, sb, bv));
        double want[24];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 4; j++)
                for (int k = 0; k < 3; k++) want[(i * 4 + j) * 3 + k] = av[i * 3 + k] + bv[j];
        check_true("common.ad.broadcast_shape",
                   y->ndim == 3 && y->shape[0] == 2 && y->shape[1] == 4 && y->shape[2] == 3,
                   "(2,1,3) + (4,1) has shape (2,4,3)");
        check_close("common.ad.broadcast_add", max_abs_diff(y, want), 0, 0, NULL,
                    "(2,1,3) + (4,1) elementwise by the numpy rule");
        /* a scalar (ndim 0) broadcasts against anything */
        double two = 2;
        AdTensor *z = ad_div(ar, y, ad_from_doubles(ar, AD_F64, 0, NULL, &two));
        check_close("common.ad.broadcast_scalar_div", ad_get(z, 23), (30 + 400) / 2.0, 0, NULL,
                    "division by a 0-D scalar tensor");
    }
    /* matmul by hand: [[1,2],[3,4]] @ [[5,6],[7,8]] = [[19,22],[43,50]] */
    {
        int s[2] = {2, 2};
        float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8};
        AdTensor *y = ad_matmul(ar, ad_from_array(ar, AD_F32, 2, s, a), ad_from_array(ar, AD_F32, 2, s, b));
        double want[4] = {19, 22, 43, 50};
        check_close("common.ad.matmul_2x2", max_abs_diff(y, want), 0, 0, "common.ad.matmul_grad",
                    "[[1,2],[3,4]] @ [[5,6],[7,8]] = [[19,22],[43,50]]");
    }
    /* A wide float32 product equals the double one computed by a plain triple loop. */
    {
        int m = 7, k = 19, n = 70, sa[2] = {7, 19}, sb[2] = {19, 70};
        Rng r;
        rng_init(&r, cli.seed, 1);
        AdTensor *a = ad_input(ar, AD_F32, 2, sa), *b = ad_input(ar, AD_F32, 2, sb);
        for (long i = 0; i < a->size; i++) ad_set(a, i, rng_normal(&r));
        for (long i = 0; i < b->size; i++) ad_set(b, i, rng_normal(&r));
        AdTensor *y = ad_matmul(ar, a, b);
        double err = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += ad_get(a, i * k + p) * ad_get(b, p * n + j);
                err = fmax(err, fabs(s - ad_get(y, i * n + j)) / (1 + fabs(s)));
            }
        check_le("common.ad.matmul_f32_vs_loop", err, 1e-5, 0, NULL,
                 "float32 (7,19)@(19,70) against a double triple loop (19 terms of unit size)");
    }
    /* unary closed forms */
    {
        int s[1] = {5};
        double x[5] = {0, 1, -2, 0.5, 4};
        AdTensor *t = ad_from_doubles(ar, AD_F64, 1, s, x);
        check_close("common.ad.sigmoid_0", ad_get(ad_sigmoid(ar, t), 0), 0.5, 1e-15, NULL, "sigmoid(0) = 1/2");
        check_close("common.ad.softplus_0", ad_get(ad_softplus(ar, t), 0), log(2.0), 1e-15, NULL, "softplus(0) = log 2");
        check_close("common.ad.silu_1", ad_get(ad_silu(ar, t), 1), 1.0 / (1.0 + exp(-1.0)), 1e-15, NULL,
                    "silu(1) = 1/(1+e^-1)");
        check_close("common.ad.relu_neg", ad_get(ad_relu(ar, t), 2), 0, 0, NULL, "relu(-2) = 0");
        check_close("common.ad.sqrt_4", ad_get(ad_sqrt(ar, t), 4), 2, 1e-15, NULL, "sqrt(4) = 2");
        check_close("common.ad.tanh_identity", ad_get(ad_tanh(ar, t), 3),
                    2 * (1.0 / (1.0 + exp(-1.0))) - 1, 1e-15, NULL, "tanh(x) = 2 sigmoid(2x) - 1 at x = 1/2");
        AdTensor *e = ad_log(ar, ad_exp(ar, t));
        check_close("common.ad.log_exp", max_abs_diff(e, x), 0, 1e-15, NULL, "log(exp(x)) = x");
        check_close("common.ad.scale_add_const", ad_get(ad_add_const(ar, ad_scale(ar, t, 3), -1), 2), -7, 0,
                    NULL, "3*(-2) - 1 = -7");
    }
    /* float32 tanh (its own polynomial kernel) against libm's double tanh over [-20, 20] and
       tiny arguments: within 2 float ulps relative */
    {
        int s[1] = {4003};
        AdTensor *x = ad_input(ar, AD_F32, 1, s);
        for (int i = 0; i < 4001; i++) ad_set(x, i, -20.0 + 40.0 * i / 4000.0);
        ad_set(x, 4001, 3e-9);
        ad_set(x, 4002, -7e-6);
        AdTensor *y = ad_tanh(ar, x);
        double worst = 0;
        for (long i = 0; i < x->size; i++) {
            double ref = tanh(ad_get(x, i));
            if (ref != 0) worst = fmax(worst, fabs(ad_get(y, i) - ref) / fabs(ref));
        }
        check_le("common.ad.tanh_f32_accuracy", worst, 2.0 * 0x1p-24, 0, NULL,
                 "float32 tanh vs libm tanh on [-20,20] and tiny x: max relative error (2 half-ulps)");
        /* a NaN must come out NaN, never a saturated +-1 that would hide it from a NaN check */
        int s1[1] = {2};
        AdTensor *bad = ad_input(ar, AD_F32, 1, s1);
        ad_set(bad, 0, NAN);
        ad_set(bad, 1, -NAN);
        AdTensor *ybad = ad_tanh(ar, bad);
        check_true("common.ad.tanh_f32_nan", isnan(ad_get(ybad, 0)) && isnan(ad_get(ybad, 1)),
                   "float32 tanh passes NaN through");
        AdTensor *rbad = ad_relu(ar, bad);
        check_true("common.ad.relu_nan", isnan(ad_get(rbad, 0)) && isnan(ad_get(rbad, 1)),
                   "relu passes NaN through (max(NaN, 0) must not read as 0)");
    }
    /* reductions of 0..11 as (3,4): total 66, column sums 12,15,18,21, row means 1.5,5.5,9.5 */
    {
        int s[2] = {3, 4};
        double v[12];
        for (int i = 0; i < 12; i++) v[i] = i;
        AdTensor *t = ad_from_doubles(ar, AD_F64, 2, s, v);
        double cols[4] = {12, 15, 18, 21}, rows[3] = {1.5, 5.5, 9.5};
        check_close("common.ad.sum_all", ad_item(ad_sum(ar, t)), 66, 0, NULL, "sum of 0..11");
        check_close("common.ad.mean_all", ad_item(ad_mean(ar, t)), 5.5, 0, NULL, "mean of 0..11");
        check_close("common.ad.sum_axis0", max_abs_diff(ad_sum_axis(ar, t, 0, 0), cols), 0, 0, NULL,
                    "column sums of 0..11 as (3,4)");
        AdTensor *rm = ad_mean_axis(ar, t, 1, 1);
        check_true("common.ad.mean_keepdim_shape", rm->ndim == 2 && rm->shape[0] == 3 && rm->shape[1] == 1,
                   "mean over axis 1 with keepdim has shape (3,1)");
        check_close("common.ad.mean_axis1", max_abs_diff(rm, rows), 0, 0, NULL, "row means of 0..11 as (3,4)");
        /* transpose, slice, concat by hand */
        double tr[12] = {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11};
        check_close("common.ad.transpose", max_abs_diff(ad_transpose(ar, t), tr), 0, 0, NULL, "transpose of (3,4)");
        double sl[6] = {1, 2, 5, 6, 9, 10};
        AdTensor *sc = ad_slice(ar, t, 1, 1, 3);
        check_close("common.ad.slice", max_abs_diff(sc, sl), 0, 0, NULL, "columns 1..2 of (3,4)");
        AdTensor *parts[2] = {sc, ad_slice(ar, t, 1, 0, 1)};
        double cc[9] = {1, 2, 0, 5, 6, 4, 9, 10, 8};
        check_close("common.ad.concat", max_abs_diff(ad_concat(ar, parts, 2, -1), cc), 0, 0, NULL,
                    "concat of columns [1,2] and [0] along the last axis");
        int s3[3] = {2, 3, 2};
        AdTensor *rs = ad_reshape(ar, t, 3, s3);
        AdTensor *back = ad_swap_axes(ar, ad_swap_axes(ar, rs, 0, 2), 2, 0);
        check_close("common.ad.swap_twice", max_abs_diff(back, v), 0, 0, NULL, "swapping axes 0,2 twice is the identity");
    }
    /* conv2d by hand: 3x3 input 1..9, 2x2 kernel of ones, bias 0.5, stride 1, no padding:
       window sums 1+2+4+5=12, 16, 24, 28; with pad 1 and stride 2 the corners 1, 3+... */
    {
        int sx[4] = {1, 1, 3, 3}, sw[4] = {1, 1, 2, 2}, sb[1] = {1};
        double xv[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, wv[4] = {1, 1, 1, 1}, bv[1] = {0.5};
        AdTensor *x = ad_from_doubles(ar, AD_F64, 4, sx, xv), *w = ad_from_doubles(ar, AD_F64, 4, sw, wv);
        AdTensor *b = ad_from_doubles(ar, AD_F64, 1, sb, bv);
        double want[4] = {12.5, 16.5, 24.5, 28.5};
        check_close("common.ad.conv2d_hand", max_abs_diff(ad_conv2d(ar, x, w, b, 1, 0), want), 0, 0,
                    "common.ad.conv2d", "2x2 box filter over 1..9 (3x3) plus bias 0.5");
        /* pad 1 stride 2: windows at rows {-1,0},{1,2} x cols {-1,0},{1,2}: 1, 2+3, 4+7, 5+6+8+9 */
        double want2[4] = {1, 5, 11, 28};
        check_close("common.ad.conv2d_pad_stride", max_abs_diff(ad_conv2d(ar, x, w, NULL, 2, 1), want2), 0,
                    0, "common.ad.conv2d", "2x2 box filter, padding 1, stride 2");
        double pooled[1] = {3};
        int s22[4] = {1, 1, 2, 2};
        double x22[4] = {1, 2, 3, 6};
        AdTensor *x2 = ad_from_doubles(ar, AD_F64, 4, s22, x22);
        check_close("common.ad.avg_pool", max_abs_diff(ad_avg_pool2d(ar, x2, 2), pooled), 0, 0, NULL,
                    "2x2 average of 1,2,3,6 is 3");
        check_close("common.ad.pool_upsample", max_abs_diff(ad_avg_pool2d(ar, ad_upsample_nearest2d(ar, x2, 2), 2), x22),
                    0, 0, NULL, "avg_pool2d(upsample_nearest2d(x, 2), 2) = x");
    }
    /* group norm without affine: each group has mean 0 and variance v/(v+eps) */
    {
        int s[4] = {2, 4, 3, 3};
        AdTensor *x = ad_input(ar, AD_F64, 4, s);
        Rng r;
        rng_init(&r, cli.seed, 2);
        for (long i = 0; i < x->size; i++) ad_set(x, i, 3 + 2 * rng_normal(&r));
        AdTensor *y = ad_group_norm(ar, x, 2, NULL, NULL, 0.0);
        double worst_mean = 0, worst_var = 0;
        for (int g = 0; g < 4; g++) {
            double m = 0, v = 0;
            for (int e = 0; e < 18; e++) m += ad_get(y, g * 18 + e);
            m /= 18;
            for (int e = 0; e < 18; e++) v += pow(ad_get(y, g * 18 + e) - m, 2);
            worst_mean = fmax(worst_mean, fabs(m));
            worst_var = fmax(worst_var, fabs(v / 18 - 1));
        }
        check_close("common.ad.group_norm_mean", worst_mean, 0, 1e-13, "common.ad.group_norm",
                    "group norm (eps 0): every group has mean 0");
        check_close("common.ad.group_norm_var", worst_var, 0, 1e-13, "common.ad.group_norm",
                    "group norm (eps 0): every group has variance 1");
    }
    /* softmax([0, log 2]) = [1/3, 2/3]; log_softmax = log of it; cross-entropy by hand */
    {
        int s[2] = {1, 2};
        double v[2] = {0, log(2.0)}, want[2] = {1.0 / 3, 2.0 / 3}, lwant[2] = {-log(3.0), log(2.0 / 3)};
        AdTensor *t = ad_from_doubles(ar, AD_F64, 2, s, v);
        check_close("common.ad.softmax_hand", max_abs_diff(ad_softmax(ar, t), want), 0, 1e-15,
                    "common.ad.softmax_grad", "softmax([0, log 2]) = [1/3, 2/3]");
        check_close("common.ad.log_softmax_hand", max_abs_diff(ad_log_softmax(ar, t), lwant), 0, 1e-15,
                    NULL, "log_softmax([0, log 2]) = [-log 3, log 2/3]");
        int lab[1] = {1};
        check_close("common.ad.cross_entropy_hand", ad_item(ad_cross_entropy(ar, t, lab)), log(1.5), 1e-15,
                    NULL, "cross-entropy of label 1 under [1/3, 2/3] is log(3/2)");
        double big[2] = {1000, 1000 + log(2.0)};
        check_close("common.ad.softmax_large", max_abs_diff(ad_softmax(ar, ad_from_doubles(ar, AD_F64, 2, s, big)), want),
                    0, 1e-12, NULL, "softmax is shift invariant and does not overflow at 1000");
    }
    /* attention with all keys equal: uniform weights, output = mean of the value rows */
    {
        int sq[3] = {1, 2, 3}, sk[3] = {1, 4, 3}, sv[3] = {1, 4, 2};
        double qv[6] = {1, -2, 0.5, 3, 0, 1}, kv[12], vv[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        for (int i = 0; i < 12; i++) kv[i] = (i % 3) * 0.7;
        AdTensor *y = ad_attention(ar, ad_from_doubles(ar, AD_F64, 3, sq, qv),
                                   ad_from_doubles(ar, AD_F64, 3, sk, kv), ad_from_doubles(ar, AD_F64, 3, sv, vv));
        double want[4] = {4, 5, 4, 5};
        check_close("common.ad.attention_uniform", max_abs_diff(y, want), 0, 1e-14, "common.ad.attention",
                    "identical keys: every query averages the values");
        /* one key scores far higher: output is its value row */
        double qk[3] = {10, 0, 0}, kk[12] = {0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0};
        int s1[3] = {1, 1, 3};
        AdTensor *y2 = ad_attention(ar, ad_from_doubles(ar, AD_F64, 3, s1, qk),
                                    ad_from_doubles(ar, AD_F64, 3, sk, kk), ad_from_doubles(ar, AD_F64, 3, sv, vv));
        /* weights: key 1 scores 80/sqrt(3), the rest 0 -> softmax weight 1 - 3e^{-46.2} */
        double w1 = 1.0 / (1.0 + 3.0 * exp(-80.0 / sqrt(3.0))), wo = (1 - w1) / 3;
        double want2[2] = {w1 * 3 + wo * (1 + 5 + 7), w1 * 4 + wo * (2 + 6 + 8)};
        check_close("common.ad.attention_peaked", max_abs_diff(y2, want2), 0, 1e-13, "common.ad.attention",
                    "one dominant key: output is (almost exactly) its value row");
    }
    /* embedding picks rows */
    {
        int s[2] = {3, 2};
        double tab[6] = {1, 2, 3, 4, 5, 6}, want[6] = {5, 6, 1, 2, 5, 6};
        int idx[3] = {2, 0, 2};
        check_close("common.ad.embedding_rows",
                    max_abs_diff(ad_embedding(ar, ad_from_doubles(ar, AD_F64, 2, s, tab), idx, 3), want), 0,
                    0, NULL, "rows 2, 0, 2 of a (3,2) table");
    }
    /* the gradient flows through a shared input twice: d/dx (x*x + x) = 2x + 1 */
    {
        int s[1] = {1};
        AdTensor *x = ad_param_new(AD_F64, 1, s);
        ad_set(x, 0, 1.5);
        ad_arena_reset(ar);
        ad_backward(ar, ad_sum(ar, ad_add(ar, ad_mul(ar, x, x), x)));
        check_close("common.ad.shared_input", ad_grad_get(x, 0), 4.0, 0, "common.ad.vjp",
                    "x used three times: d(x^2 + x)/dx = 2x + 1 = 4 at x = 1.5");
        ad_tensor_free(x);
    }
    /* shape errors die with a message naming the op and the shapes */
    {
        char msg[512];
        int st = run_dying(bad_matmul, msg, sizeof msg);
        check_true("common.ad.die_matmul", st == 2 && strstr(msg, "ad_matmul") && strstr(msg, "(2,3)") &&
                   strstr(msg, "(4,5)"), "mismatched matmul exits 2 naming op and shapes: %.80s", msg);
        st = run_dying(bad_broadcast, msg, sizeof msg);
        check_true("common.ad.die_broadcast", st == 2 && strstr(msg, "ad_add") && strstr(msg, "(2,3)") &&
                   strstr(msg, "(4)"), "bad broadcast exits 2 naming op and shapes: %.80s", msg);
    }
    ad_arena_free(ar);
    return check_end();
}
