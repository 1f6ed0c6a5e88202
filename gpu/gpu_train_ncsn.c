/* gpu_train_ncsn — see gpu_train_ncsn.h. The NCSN level table, its trainer, chunked runs. */
#include "gpu/gpu_train_ncsn.h"

#include <math.h>
#include <stdio.h>

#include "common/progress.h"

void gpu_train_levels_ncsn(const NcsnNet *net, const double *sigma, int L, GpuTrainLevel *out) {
    const double c = net->input_scale;
    for (int i = 0; i < L; i++) {
        //: eq. [eq:common.gpu.ncsn_levels]: $c_x = c$, $c_\varepsilon = c\sigma_i$, cond $= \log\sigma_i$, $a = 1$, $b = -1$
        out[i] = (GpuTrainLevel){(float)c, (float)(c * sigma[i]), (float)log(sigma[i]), 1.0f, -1.0f};
    }
}

int gpu_train_ncsn_init(GpuTrain *tr, const NcsnNet *net, const Gmm *data, const double *sigma,
                        int L, int batch, uint64_t seed, double lr, char *err, size_t errlen) {
    if (net->dim != 2 || L < 1 || L > 4096) {
        snprintf(err, errlen, "gpu_train_ncsn: dimension %d, %d levels (want 2 and 1..4096)",
                 net->dim, L);
        return -1;
    }
    for (int i = 0; i < L; i++)
        if (!(sigma[i] > 0) || !isfinite(sigma[i])) {
            snprintf(err, errlen, "gpu_train_ncsn: sigma[%d] = %g", i, sigma[i]);
            return -1;
        }
    GpuTrainLevel levels[4096];
    gpu_train_levels_ncsn(net, sigma, L, levels);
    const GpuTrainConfig cfg = {&net->mlp, data, levels, L, batch, seed, lr, 0.9, 0.999, 1e-8};
    return gpu_train_init(tr, &cfg, err,
                          errlen);
}

long gpu_train_run_checked(GpuContext *g, GpuTrain *tr, long steps, int chunk, float *losses,
                           int *on_gpu, const char *label, char *err, size_t errlen) {
    if (chunk < 1) chunk = 1;
    if (on_gpu) *on_gpu = 1;
    Progress progress;
    progress_start(&progress, label ? label : "training (kernel 3)", steps);
    long done = 0;
    while (done < steps) {
        const int n = (int)(steps - done < chunk ? steps - done : chunk);
        const int ran = gpu_train_run(g, tr, n, 1, losses + done, NULL);
        if (on_gpu) *on_gpu &= ran;
        for (int k = 0; k < n; k++)
            if (!isfinite(losses[done + k])) {
                snprintf(err, errlen, "training loss is %g at step %ld of %ld (%s)",
                         (double)losses[done + k], tr->step - n + k + 1, tr->step - done - n + steps,
                         ran ? "GPU" : "C twin");
                progress_end(&progress);
                return done + n;
            }
        done += n;
        progress_update_value(&progress, done, "loss", losses[done - 1]);
    }
    progress_end(&progress);
    return done;
}

int gpu_ncsn_sampler(const NcsnNet *net, const double *sigma, int L, double alpha_scale,
                     int steps, GpuMlp *out, GpuMlpPhase *phases, char *err, size_t errlen) {
    if (gpu_mlp_from_nn(out, &net->mlp, err, errlen)) return -1;
    /* W1 is (dim + 1) x hidden, row-major: its first dim rows multiply x */
    for (long k = 0; k < (long)net->dim * out->widths[1]; k++)
        out->params[k] = (float)(out->params[k] * net->input_scale);
    for (int i = 0; i < L; i++) {
        const double alpha = alpha_scale * sigma[i] * sigma[i];
        //: $c_x = 1$, $c_f = -\alpha_i/\sigma_i$ (the score is $-\hat\epsilon/\sigma_i$), $\nu = \sqrt{2\alpha_i}$
        phases[i] = (GpuMlpPhase){(float)ncsn_cond(net, sigma[i]), 1.0f, (float)(-alpha / sigma[i]),
                                  (float)sqrt(2.0 * alpha), steps};
    }
    return 0;
}
