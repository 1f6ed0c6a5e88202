/* Unit tests of common/tiny_unet_probe.h: the probe loss equals sum(r * eps_hat) formed by hand
   from the tape-free forward (f32 and f64), and its input gradient is r pulled back through the
   network: for r = 0 every gradient is exactly 0, and the gradient is linear in r. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/rng.h"
#include "common/tiny_unet_probe.h"
#include "common/util.h"

enum { N = 2, H = 8 };

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the Tiny U-Net gradient-check probe", 41, NULL);
    for (int dt = 0; dt < 2; dt++) {
        const AdDtype dtype = dt ? AD_F64 : AD_F32;
        TinyUNetConfig c = {.d_model = 4, .t_emb = 8, .groups = 2, .image_size = H, .time_per_level = 1,
                            .enc1_skip = 1, .dtype = dtype};
        Rng rng;
        rng_init(&rng, cli.seed, (uint64_t)dt);
        TinyUNet m;
        tiny_unet_init(&m, &c, &rng);
        AdArena *a = ad_arena_new(1 << 20);
        double xv[N * H * H], r[N * H * H], r2[N * H * H], zero[N * H * H] = {0};
        for (int i = 0; i < N * H * H; i++) xv[i] = rng_normal(&rng), r[i] = rng_normal(&rng), r2[i] = 2 * r[i];
        AdTensor *x = ad_param_new(dtype, 4, (int[]){N, 1, H, H});
        for (int i = 0; i < N * H * H; i++) ad_set(x, i, xv[i]);
        const int t[N] = {5, 800};
        /* by hand: sum r * eps_hat in double from the tape-free forward */
        AdTensor *out = tiny_unet_forward_nograd(a, &m, x, t, NULL);
        double want = 0, scale = 0;
        for (int i = 0; i < N * H * H; i++) want += r[i] * ad_get(out, i), scale += fabs(r[i] * ad_get(out, i));
        TinyUNetProbe probe = {&m, x, t, NULL, r};
        const double got = ad_item(tiny_unet_probe_loss(a, NULL, 0, &probe));
        char id[64];
        snprintf(id, sizeof id, "unit.tiny_unet_probe.value_%s", dt ? "f64" : "f32");
        /* the tape sums in the tensor's dtype: bar from its unit roundoff times sum |r eps| */
        check_close(id, got, want, (dt ? 1e-15 : 1e-6) * 4 * scale, NULL,
                    "probe loss = sum r * eps_hat by hand (%s, %d x %dx%d)", dt ? "f64" : "f32", N, H, H);
        /* input gradient: linear in r (r -> 2r doubles it exactly, a power of 2), 0 for r = 0 */
        double g1[N * H * H], worst = 0, zmax = 0, gmax = 0;
        for (int pass = 0; pass < 3; pass++) {
            ad_arena_reset(a);
            ad_zero_grad(&x, 1);
            probe.r = pass == 0 ? r : pass == 1 ? r2 : zero;
            ad_backward(a, tiny_unet_probe_loss(a, NULL, 0, &probe));
            for (int i = 0; i < N * H * H; i++) {
                const double g = ad_grad_get(x, i);
                if (pass == 0) g1[i] = g, gmax = fmax(gmax, fabs(g));
                if (pass == 1) worst = fmax(worst, fabs(g - 2 * g1[i]));
                if (pass == 2) zmax = fmax(zmax, fabs(g));
            }
        }
        snprintf(id, sizeof id, "unit.tiny_unet_probe.grad_linear_%s", dt ? "f64" : "f32");
        check_close(id, worst, 0, 0, NULL, "input gradient for 2r is exactly twice that for r (max |diff|; max |g| = %.3g)", gmax);
        snprintf(id, sizeof id, "unit.tiny_unet_probe.grad_zero_%s", dt ? "f64" : "f32");
        check_true(id, zmax == 0 && gmax > 0, "r = 0 gives a zero input gradient, r != 0 a nonzero one");
        ad_tensor_free(x);
        ad_arena_free(a);
        tiny_unet_free(&m);
    }
    return check_end();
}
