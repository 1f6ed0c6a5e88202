/*: # L36 4.3, 6.6, 6.7 — Export the trained model, reload it in a small inference engine, sample

**Lecture 36, sections 4.3.2–4.3.3** (export the trained network and the $\bar\alpha$ table,
load them in a separate Rust program, sample with DDIM), **6.6** (a modular design: schedulers
and samplers behind one interface) and **6.7** (the production inference pipeline and its
latency table). Spec errata A15, A17 (the export APIs do not exist), A18 ($x_T$ drawn uniform),
A19 (no final $\hat x_0$ step), A41 (the placeholder $\bar\alpha$), A42 (DDPM ignores `steps`).

The lecture exports to ONNX and runs it from Rust. The C equivalent is smaller and exact: the
weights and the schedule go into the project's parameter file (`ddpm_net_save`: named tensors,
a checksum, the $\bar\alpha$ table), the $\bar\alpha$ table also into a raw `alpha_bar.bin` as the Rust
side reads it (little-endian `f32`, $\bar\alpha_1 \dots \bar\alpha_T$ at indices $0 \dots T-1$), and a separate
reader path (`Engine`) loads both and samples in single precision with the Rust conventions.

What you will see: the weights and the table survive the round trip bit for bit, the loaded
model predicts the same bits; dispatch through a sampler interface equals the direct calls bit
for bit (DDPM, DDIM, DPM-Solver++(2M)); DDPM ignores `steps` (A42); the engine's Gaussian $x_T$ and
the lecture's uniform one (A18); the missing final step (A19); the same image twice from the same
seed; the latency of 50 steps for one image, beside the lecture's M1 numbers (on stderr and in
`latency.csv`: a timing differs run to run, and stdout must not).
Figure: `engine_sample.png`.

Run: `build/release/bin/lectures/36_ddpm/22_export_and_inference [--net FILE] [--seed N]`.

| symbol | C name | shape |
|---|---|---|
| $\bar\alpha$ (Rust, 0-based, `f32`) | `e->abar` | $T$ |
| grid $j_i = \min(\lfloor iT/S\rfloor, T-1)$ | `idx` | $S$ |
| $x_t$, $\hat\epsilon$, $\hat x_0$ | `x`, `eps`, `x0_hat` | 784 floats |
| sampler interface | `Sampler`, `SamplerVtbl` | — |
| solver nodes $(t_i, \bar\alpha_i)$ | `nodes` | $S+1$ |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/ddpm_net.h"
#include "common/diffusion_sampler.h"
#include "common/diffusion_schedule.h"
#include "common/diffusion_solvers.h"
#include "common/image.h"
#include "common/moments_se.h"
#include "common/rng.h"
#include "common/util.h"

enum { S50 = 50, MAX_T = 1000 };

/*: ## 4.3.2 Export: the weights and the $\bar\alpha$ table

`ddpm_net_save` writes the EMA weights with the configuration and $\bar\alpha_0..\bar\alpha_T$ (double);
`alpha_bar.bin` holds what the Rust side reads, $T$ little-endian `f32` values,

$$ \texttt{abar}[j] = \mathrm{fl}_{32}(\bar\alpha_{j+1}),\qquad j = 0..T-1 $$ {#eq:L36.4.3.2.abar_file}

(the lecture's placeholder starts at 0.999; the real first value is $\bar\alpha_1 = 0.99995872$ for
the cosine schedule, A41).
*/
static void export_model(const Cli *cli, DdpmNet *net, const char *wpath, const char *apath) {
    char err[512];
    if (ddpm_net_save(net, &net->ema, wpath, err, sizeof err) != 0) die("%s", err);
    FILE *f = fopen(apath, "wb");
    if (!f) die("cannot write %s", apath);
    for (int j = 0; j < net->cfg.T; j++) {
        //: $\mathrm{fl}_{32}(\bar\alpha_{j+1})$, [eq:L36.4.3.2.abar_file]
        const float a = (float)net->sched.alpha_bar[j + 1];
        uint32_t u;
        memcpy(&u, &a, 4);
        const unsigned char b[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16), (unsigned char)(u >> 24)};
        if (fwrite(b, 1, 4, f) != 4) die("cannot write %s", apath);
    }
    if (fclose(f) != 0) die("cannot write %s", apath);
    (void)cli;
    check_erratum("L36.4.3.3.abar_first", 0.999, net->sched.alpha_bar[1],
                  "A41: first value of the lecture's placeholder alpha_bar vs the schedule's abar_1 (%s)", ddpm_sched_name(net->cfg.schedule));
}

/*: ## 4.3.3 The reader: a small inference engine

The engine knows nothing of training: it loads the parameter file into a network (the file's
configuration rebuilds it), reads `alpha_bar.bin`, and exposes one call, $\hat\epsilon(x, t)$. A
missing or damaged file is an error with a message (exit status 2). The checks: every weight
tensor and the $\bar\alpha$ table equal the exported ones bit for bit, and the loaded model's
$\hat\epsilon$ equals the in-memory model's, bit for bit, on the same inputs.
*/
typedef struct {
    DdpmNet net;
    int T;
    float abar[MAX_T]; /* the Rust Vec<f32>: abar[j] = abar_{j+1} */
} Engine;

static void engine_load(Engine *e, const char *wpath, const char *apath) {
    char err[512];
    if (ddpm_net_load(&e->net, wpath, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        exit(2);
    }
    e->T = e->net.cfg.T;
    FILE *f = fopen(apath, "rb");
    unsigned char b[4];
    for (int j = 0; j < e->T; j++) {
        if (!f || fread(b, 1, 4, f) != 4) {
            fprintf(stderr, "error: %s: cannot read %d float32 values\n", apath, e->T);
            exit(2);
        }
        const uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        memcpy(&e->abar[j], &u, 4);
    }
    fclose(f);
}

static int params_equal(const TinyUNet *a, const TinyUNet *b, long *n_values) {
    NnParams pa, pb;
    nn_params_init(&pa), nn_params_init(&pb);
    tiny_unet_params(a, &pa), tiny_unet_params(b, &pb);
    int same = pa.n == pb.n;
    *n_values = 0;
    for (int i = 0; same && i < pa.n; i++) {
        same = pa.t[i]->size == pb.t[i]->size && pa.t[i]->dtype == pb.t[i]->dtype &&
               memcmp(pa.t[i]->data, pb.t[i]->data, (size_t)pa.t[i]->size * ad_dtype_size(pa.t[i]->dtype)) == 0;
        *n_values += pa.t[i]->size;
    }
    nn_params_free(&pa), nn_params_free(&pb);
    return same;
}

static void reader_checks(const Cli *cli, DdpmNet *net, Engine *e) {
    long nv;
    const int same = params_equal(&net->ema, &e->net.ema, &nv);
    check_true("L36.4.3.3.weights_roundtrip", same, "all %ld weights of the reloaded model equal the exported EMA weights bitwise", nv);
    int abar_same = e->T == net->cfg.T;
    for (int j = 0; abar_same && j < e->T; j++) abar_same = e->abar[j] == (float)net->sched.alpha_bar[j + 1];
    check_true("L36.4.3.3.abar_roundtrip", abar_same, "alpha_bar.bin holds fl32(abar_1..abar_%d) exactly", e->T);
    const int dim = net->cfg.net.image_size * net->cfg.net.image_size, n = 4;
    float *x = xmalloc(sizeof(float) * n * dim), *e1 = xmalloc(sizeof(float) * n * dim), *e2 = xmalloc(sizeof(float) * n * dim);
    Rng r;
    rng_init(&r, cli->seed, 1);
    rng_normal_fill_f(&r, x, (size_t)n * dim);
    const int t[4] = {1, 250, 500, 1000};
    ddpm_net_eps(net, x, t, NULL, n, e1);
    ddpm_net_eps(&e->net, x, t, NULL, n, e2);
    check_true("L36.4.3.3.eps_bitwise", memcmp(e1, e2, sizeof(float) * n * dim) == 0,
               "eps_hat(x, t) of the loaded model equals the in-memory model's bitwise (4 images, t = 1, 250, 500, 1000)");
    free(x), free(e1), free(e2);
}

/*: ## 4.3.1 and 6.7 DDIM in the engine, with the Rust conventions

The engine's DDIM follows the Rust code: the 0-based grid $j_i = \min(\lfloor iT/S\rfloor, T-1)$,
a loop from $i = S-1$ down to 1 with $t = j_i$, $t' = j_{i-1}$ (as indices into `abar`),

$$ \hat x_0 = \frac{x - \sqrt{1-\bar\alpha_t}\,\hat\epsilon}{\sqrt{\bar\alpha_t}},\qquad
   x \leftarrow \sqrt{\bar\alpha_{t'}}\,\hat x_0 + \sqrt{1-\bar\alpha_{t'}-\sigma^2}\,\hat\epsilon + \sigma z, $$ {#eq:L36.4.3.1.engine_step}

all in `f32`, and the final step of 4.3.1 (return $\hat x_0$ at $j_0$) as an option: 6.7 returns
$x$ at $t = 1$ without it (A19). Two departures from the Rust code, both corrections: the
network receives the 1-based time $j + 1$ it was trained with (Rust passes $j$, A15), and for
$\eta > 0$ the noise $\sigma z$ is added (Rust forgets it, A16; program 21 shows the collapse).
The engine's $x_T$ is Gaussian; 6.7 draws it with `rand::random::<f32>()`, uniform on $[0, 1)$:
mean $1/2$ and std $1/\sqrt{12} = 0.2887$ instead of 0 and 1 (A18).
*/
static void engine_ddim(Engine *e, float *x, int steps, double eta, int final_step, uint64_t seed) {
    const int L = e->T, dim = e->net.cfg.net.image_size * e->net.cfg.net.image_size;
    int idx[MAX_T];
    for (int i = 0; i < steps; i++) idx[i] = (int)((long)i * L / steps) < L - 1 ? (int)((long)i * L / steps) : L - 1;
    float *eps = xmalloc(sizeof(float) * dim);
    Rng r;
    rng_init(&r, seed, 1);
    for (int i = steps - 1; i >= (final_step ? 0 : 1); i--) {
        const int t = idx[i], t_label = t + 1;
        ddpm_net_eps(&e->net, x, &t_label, NULL, 1, eps);
        const float a = e->abar[t];
        if (i == 0) {
            //: final step: $x = \hat x_0$ at $j_0$, [eq:L36.4.3.1.engine_step]
            for (int k = 0; k < dim; k++) x[k] = (x[k] - sqrtf(1.0f - a) * eps[k]) / sqrtf(a);
            break;
        }
        const float ap = e->abar[idx[i - 1]];
        const float sigma = (float)eta * sqrtf((1.0f - ap) / (1.0f - a)) * sqrtf(1.0f - a / ap);
        const float dir = sqrtf(fmaxf(0.0f, 1.0f - ap - sigma * sigma));
        for (int k = 0; k < dim; k++) {
            //: $\hat x_0$ and the step, [eq:L36.4.3.1.engine_step]
            const float x0_hat = (x[k] - sqrtf(1.0f - a) * eps[k]) / sqrtf(a);
            x[k] = sqrtf(ap) * x0_hat + dir * eps[k] + (sigma > 0 ? sigma * (float)rng_normal(&r) : 0.0f);
        }
    }
    free(eps);
}

static void draw_xT(float *x, int dim, uint64_t seed, int uniform) {
    Rng r;
    rng_init(&r, seed, 0);
    for (int k = 0; k < dim; k++) x[k] = uniform ? rng_uniform_f(&r) : (float)rng_normal(&r);
}

static void engine_sampling(const Cli *cli, Engine *e, const char *wpath, const char *apath) {
    const int dim = e->net.cfg.net.image_size * e->net.cfg.net.image_size, n_draw = 1000;
    /* x_T: Gaussian (the engine) and uniform (6.7), 784 x 1000 draws each */
    double *v = xmalloc(sizeof(double) * (size_t)dim * n_draw), *v2 = xmalloc(sizeof(double) * (size_t)dim * n_draw);
    float *x = xmalloc(sizeof(float) * dim);
    for (int u = 0; u < 2; u++)
        for (int s = 0; s < n_draw; s++) {
            draw_xT(x, dim, cli->seed + 1000 + (uint64_t)s, u);
            for (int k = 0; k < dim; k++) (u ? v2 : v)[(size_t)s * dim + k] = x[k];
        }
    const size_t nn = (size_t)dim * n_draw;
    const MomentsSe g = moments_se(v, nn), un = moments_se(v2, nn);
    check_mc("L36.6.7.xT_gauss_mean", g.mean, 0.0, g.se_mean, 4, (long)nn, NULL, "engine x_T: mean over %d x %d draws", dim, n_draw);
    check_mc("L36.6.7.xT_gauss_var", g.var, 1.0, g.se_var, 4, (long)nn, NULL, "engine x_T: variance over %d x %d draws", dim, n_draw);
    check_mc("L36.6.7.xT_uniform_mean", un.mean, 0.5, un.se_mean, 4, (long)nn, NULL, "6.7's x_T reproduced (rand::random::<f32>): mean 1/2");
    check_mc("L36.6.7.xT_uniform_var", un.var, 1.0 / 12.0, un.se_var, 4, (long)nn, NULL, "6.7's x_T reproduced: variance 1/12");
    check_erratum("L36.6.7.xT_mean", un.mean, g.mean, "A18: mean of 6.7's x_T (uniform [0,1)) vs the Gaussian N(0,1) the sampler assumes");
    check_erratum("L36.6.7.xT_std", sqrt(un.var), sqrt(g.var), "A18: std of 6.7's x_T (1/sqrt 12 = 0.2887) vs 1");
    free(v), free(v2);

    /* DDIM-50, eta = 0, with and without the final step; twice from a fresh engine */
    float *a = xmalloc(sizeof(float) * dim), *b = xmalloc(sizeof(float) * dim), *c = xmalloc(sizeof(float) * dim);
    draw_xT(a, dim, cli->seed, 0);
    memcpy(b, a, sizeof(float) * dim), memcpy(c, a, sizeof(float) * dim);
    const double t0 = now_seconds();
    engine_ddim(e, a, S50, 0.0, 1, cli->seed);
    const double latency = now_seconds() - t0;
    engine_ddim(e, b, S50, 0.0, 0, cli->seed);
    double rms = 0, amax = 0;
    int finite = 1;
    int n_bad = 0;
    for (int k = 0; k < dim; k++) rms += (double)(a[k] - b[k]) * (a[k] - b[k]), amax = fmax(amax, fabs(a[k])), finite &= isfinite(a[k]) != 0, n_bad += !isfinite(a[k]);
    if (n_bad) printf("engine sample: %d non-finite values\n", n_bad);
    rms = sqrt(rms / dim);
    check_true("L36.4.3.1.engine_finite", finite, "engine DDIM-50 sample finite (max |x| = %.3f)", amax);
    check_ge("L36.6.7.no_final_step_differs", rms, 1e-6, 0, "L36.4.3.1.engine_step",
             "RMS difference between 6.7 (returns x at t = 1) and 4.3.1 (returns x0_hat) on the same x_T");
    check_erratum("L36.6.7.final_step_rms", 0.0, rms, "A19: 6.7 treats its output as x_0; it is x_1, off by this RMS (about sqrt(1 - abar_1) |eps_hat|)");
    Engine e2;
    engine_load(&e2, wpath, apath);
    engine_ddim(&e2, c, S50, 0.0, 1, cli->seed);
    check_true("L36.6.7.same_seed_same_image", memcmp(a, c, sizeof(float) * dim) == 0,
               "DDIM-50 eta = 0 from a freshly loaded engine, same seed and weights: the same image bitwise");
    ddpm_net_free(&e2.net);
    /* a timing is not a result: it goes to stderr and latency.csv, never into the compared stdout */
    fprintf(stderr, "latency, DDIM-50 at batch 1 on this machine: %.3f s (%.2f samples/s); lecture on an M1: Julia 2.3 s, Rust ONNX 0.8 s, CoreML 0.3 s\n",
            latency, 1.0 / latency);
    FILE *lf = fopen(cli_out_path(cli, "latency.csv"), "w");
    if (lf) {
        fprintf(lf, "implementation,latency_s,samples_per_s\nthis engine (C, f32),%.4f,%.3f\nJulia Lux.jl CPU (M1; lecture),2.3,0.43\n"
                    "Rust ONNX CPU (M1; lecture),0.8,1.25\nRust ONNX CoreML (M1; lecture),0.3,3.33\n", latency, 1.0 / latency);
        fclose(lf);
    }
    printf("the lecture's M1 table: throughput = 1/latency in every row (2.3 s -> %.3f/s, 0.8 s -> %.3f/s, 0.3 s -> %.3f/s); this engine's latency: stderr and latency.csv\n",
           1 / 2.3, 1 / 0.8, 1 / 0.3);
    ImageGridOptions opt = image_grid_defaults();
    opt.cols = 2, opt.pad = 2, opt.upscale = 7, opt.lo = -1, opt.hi = 1;
    float pair[2 * MAX_T];
    memcpy(pair, a, sizeof(float) * dim), memcpy(pair + dim, b, sizeof(float) * dim);
    Image8 *img = image_grid(pair, 2, 1, e->net.cfg.net.image_size, e->net.cfg.net.image_size, &opt);
    char err[256];
    if (image_write_png(cli_out_path(cli, "engine_sample.png"), img, err, sizeof err) != 0) die("%s", err);
    image8_free(img);
    free(a), free(b), free(c), free(x);
}

/*: ## 6.6 Samplers behind one interface

6.6 separates scheduler, model and sampler: `sample(sampler, model, x_T, steps)` dispatches on
the sampler's type. In C that is a table of function pointers. A sampler holds its schedule
and its own parameters ($\eta$); `sample` builds a plan and runs it:

$$ \texttt{sample}(\text{DDPM}, \cdot, S) = \text{DDPM over all } T \text{ steps},\qquad
   \texttt{sample}(\text{DDIM}_\eta, \cdot, S) = \text{DDIM}_\eta \text{ over } S \text{ steps}, $$ {#eq:L36.6.6.dispatch}

and the third row, DPM-Solver++(2M) of 6.1 (`common/diffusion_solvers.h`), is not a plan of single
steps but a multistep solver: it keeps the previous $\hat x_0$ and integrates the PF-ODE through the
nodes $(\tau_S, \bar\alpha_{\tau_S}), \dots, (\tau_1, \bar\alpha_{\tau_1}), (0, 1)$ on the same linspace
sub-sequence as DDIM, $S$ evaluations of $\hat\epsilon$ (one per interval, the last one the
denoising step to $\bar\alpha = 1$). So the table's entry is a whole `run` function, not a plan builder; the DDPM
and DDIM rows build a plan and hand it to the shared runner.

The lecture's DDPM sampler ignores `steps` (A42): asked for 20 steps it takes 1000. Dispatch
must change nothing: through the table and by direct calls the samples are equal bit for bit.
To keep the cost small this runs on the exact denoiser of 1-D Gaussian data (the interface
does not care what $\hat\epsilon$ is) and, for DDIM and DPM-Solver++(2M), on the network too. The
DPM-Solver++ network row goes through the separate reader: the table drives the network that
the engine loaded from the exported file, the direct call the in-memory network, from the same
seeded $x_T$; equal bits mean same seed + same weights $\Rightarrow$ the same image (the solver
draws no noise, like DDIM with $\eta = 0$).
*/
typedef struct Sampler Sampler;
typedef struct {
    const char *name;
    /* x_T (or its draw, run->draw_prior) -> x_0; returns the steps taken (denoiser calls per chain) */
    int (*run)(const Sampler *s, const DiffSampler *run, int steps, double *x);
} SamplerVtbl;
struct Sampler {
    const SamplerVtbl *vt;
    const DiffusionSchedule *sched;
    double eta;
};

/* the plan-based rows: build the plan, run it through the shared runner */
static int run_plan(const DiffSampler *run, DiffStep *plan, int ns, double *x) {
    diff_run(run, plan, ns, x);
    free(plan);
    return ns;
}

static int ddpm_run(const Sampler *s, const DiffSampler *run, int steps, double *x) {
    (void)steps; /* the lecture's DDPMSampler ignores steps (A42) */
    DiffStep *plan = xmalloc(sizeof(DiffStep) * (size_t)s->sched->T);
    return run_plan(run, plan, diff_plan_ddpm(s->sched->beta, s->sched->alpha_bar, s->sched->T, DIFF_VAR_BETA, plan), x);
}

static int ddim_run(const Sampler *s, const DiffSampler *run, int steps, double *x) {
    int tau[MAX_T];
    diff_timesteps(s->sched->T, steps, DIFF_TAU_LINSPACE, tau);
    DiffStep *plan = xmalloc(sizeof(DiffStep) * (size_t)s->sched->T);
    return run_plan(run, plan, diff_plan_ddim(s->sched->alpha_bar, tau, steps, s->eta, plan), x);
}

/* x_T of chain c from Philox stream (seed, first_stream + c), as diff_run draws it */
static void draw_prior_rows(const DiffSampler *run, double *x) {
    for (size_t c = 0; c < run->n; c++) {
        Rng r;
        rng_init(&r, run->seed, run->first_stream + c);
        for (size_t j = 0; j < run->dim; j++) x[c * run->dim + j] = rng_normal(&r);
    }
}

static int dpmpp_run(const Sampler *s, const DiffSampler *run, int steps, double *x) {
    int tau[MAX_T];
    DiffNode nodes[MAX_T + 1];
    diff_timesteps(s->sched->T, steps, DIFF_TAU_LINSPACE, tau);
    //: nodes $\tau_S > \dots > \tau_1 > 0$ with $\bar\alpha_0 = 1$, [eq:L36.6.6.dispatch]
    const int nn = diff_nodes_index(s->sched->alpha_bar, tau, steps, 1, nodes);
    const DiffSolver solver = {DIFF_SOLVER_DPMPP_2M, 0, run->eps, run->eps_ctx};
    if (run->draw_prior) draw_prior_rows(run, x);
    //: the multistep solver, [eq:common.diffusion_solvers.exp_integrator]
    return (int)diff_solve(&solver, nodes, nn, x, run->n, run->dim);
}

static const SamplerVtbl DDPM_VT = {"DDPMSampler", ddpm_run}, DDIM_VT = {"DDIMSampler", ddim_run},
                         DPMPP_VT = {"DPMSolver++2M", dpmpp_run};

/* sample(sampler, eps, x_T -> x_0, steps), eq. [eq:L36.6.6.dispatch] */
static int sample(const Sampler *s, const DiffSampler *run, int steps, double *x) {
    //: dispatch, [eq:L36.6.6.dispatch]
    return s->vt->run(s, run, steps, x);
}

/* DPM-Solver++(2M) over S linspace steps by direct calls (nodes, x_T, diff_solve) */
static long dpmpp_direct(const DiffusionSchedule *sch, const DiffSampler *run, int S, double *x) {
    int tau[MAX_T];
    DiffNode nodes[MAX_T + 1];
    diff_timesteps(sch->T, S, DIFF_TAU_LINSPACE, tau);
    const int nn = diff_nodes_index(sch->alpha_bar, tau, S, 1, nodes);
    draw_prior_rows(run, x);
    const DiffSolver solver = {DIFF_SOLVER_DPMPP_2M, 0, run->eps, run->eps_ctx};
    return diff_solve(&solver, nodes, nn, x, run->n, run->dim);
}

static void dispatch(const Cli *cli, DdpmNet *net, Engine *e) {
    const DiffusionSchedule *sch = &net->sched;
    Gmm law = gmm_new(1, 1);
    const double m0 = 0.5;
    gmm_set(&law, 0, 1.0, &m0, NULL, 0.25);
    DiffOracle oracle = {&law};
    const size_t n = 256;
    double *a = xmalloc(sizeof(double) * n), *b = xmalloc(sizeof(double) * n);
    DiffStep *plan = xmalloc(sizeof(DiffStep) * (size_t)sch->T);
    DiffSampler run;
    diff_sampler_init(&run, n, 1, sch->alpha_bar, diff_oracle_eps, &oracle, cli->seed + 7);
    run.n_threads = cli->threads;
    const Sampler ddpm = {&DDPM_VT, sch, 0.0}, ddim = {&DDIM_VT, sch, 0.0};
    const int ns20 = sample(&ddpm, &run, 20, a);
    int ns = diff_plan_ddpm(sch->beta, sch->alpha_bar, sch->T, DIFF_VAR_BETA, plan);
    diff_run(&run, plan, ns, b);
    check_true("L36.6.6.ddpm_dispatch_bitwise", memcmp(a, b, sizeof(double) * n) == 0,
               "DDPMSampler through the table = diff_plan_ddpm + diff_run directly, %zu oracle chains, bitwise", n);
    printf("DDPMSampler asked for 20 steps took %d (A42: steps is ignored)\n", ns20);
    check_erratum("L36.6.6.ddpm_ignores_steps", 20, ns20, "A42: steps requested from the lecture's DDPMSampler vs the steps it takes");
    sample(&ddim, &run, S50, a);
    int tau[MAX_T];
    diff_timesteps(sch->T, S50, DIFF_TAU_LINSPACE, tau);
    ns = diff_plan_ddim(sch->alpha_bar, tau, S50, 0.0, plan);
    diff_run(&run, plan, ns, b);
    check_true("L36.6.6.ddim_dispatch_bitwise", memcmp(a, b, sizeof(double) * n) == 0,
               "DDIMSampler(eta 0) with 50 steps through the table = direct calls, oracle chains, bitwise");
    const Sampler dpmpp = {&DPMPP_VT, sch, 0.0};
    const int nfe = sample(&dpmpp, &run, S50, a);
    const long nfe_direct = dpmpp_direct(sch, &run, S50, b);
    check_true("L36.6.6.dpmpp_dispatch_bitwise", nfe == nfe_direct && memcmp(a, b, sizeof(double) * n) == 0,
               "DPMSolver++2M with 50 steps (%d evaluations) through the table = nodes + diff_solve directly, %zu oracle chains, bitwise", nfe, n);
    /* the network: 2 images, DDIM-50 */
    const int dim = net->cfg.net.image_size * net->cfg.net.image_size, ni = 2;
    double *xa = xmalloc(sizeof(double) * (size_t)ni * dim), *xb = xmalloc(sizeof(double) * (size_t)ni * dim);
    DdpmEpsCtx ec = {net, NULL, -1, 0, 0};
    DiffSampler nrun;
    diff_sampler_init(&nrun, (size_t)ni, (size_t)dim, sch->alpha_bar, ddpm_net_diff_eps, &ec, cli->seed + 8);
    nrun.n_threads = 1;
    sample(&ddim, &nrun, S50, xa);
    diff_run(&nrun, plan, ns, xb);
    check_true("L36.6.6.ddim_dispatch_net_bitwise", memcmp(xa, xb, sizeof(double) * (size_t)ni * dim) == 0,
               "DDIMSampler(eta 0, 50 steps) on the network through the table = direct calls, %d images, bitwise", ni);
    /* DPM-Solver++(2M): the table drives the reader's network, the direct call the in-memory one */
    DdpmEpsCtx ec_reader = {&e->net, NULL, -1, 0, 0};
    DiffSampler rrun;
    diff_sampler_init(&rrun, (size_t)ni, (size_t)dim, e->net.sched.alpha_bar, ddpm_net_diff_eps, &ec_reader, cli->seed + 9);
    rrun.n_threads = 1;
    const Sampler dpmpp_reader = {&DPMPP_VT, &e->net.sched, 0.0};
    sample(&dpmpp_reader, &rrun, S50, xa);
    nrun.seed = cli->seed + 9;
    dpmpp_direct(sch, &nrun, S50, xb);
    int finite = 1;
    for (long k = 0; k < (long)ni * dim; k++) finite &= isfinite(xa[k]) != 0;
    check_true("L36.6.6.dpmpp_dispatch_net_bitwise", finite && memcmp(xa, xb, sizeof(double) * (size_t)ni * dim) == 0,
               "DPMSolver++2M (50 steps) through the table on the engine's reloaded network = direct calls on the "
               "in-memory network, same seed, %d images: finite and the same bits", ni);
    free(xa), free(xb), free(a), free(b), free(plan);
    gmm_free(&law);
}

int main(int argc, char **argv) {
    Cli cli;
    const char *net_file = NULL;
    const CliExtra extras[] = {DDPM_NET_CLI_FLAG(net_file), {0}};
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "L36 4.3/6.6/6.7: export, inference engine, sampler interface", 22, extras);
    DdpmNet net;
    ddpm_net_load_or_train(&cli, net_file, &net);
    mkdir_p(cli.out_dir);
    char wpath[1100], apath[1100];
    snprintf(wpath, sizeof wpath, "%s", cli_out_path(&cli, "tiny_ddpm.bin"));
    snprintf(apath, sizeof apath, "%s", cli_out_path(&cli, "alpha_bar.bin"));
    export_model(&cli, &net, wpath, apath);
    Engine engine;
    engine_load(&engine, wpath, apath);
    reader_checks(&cli, &net, &engine);
    engine_sampling(&cli, &engine, wpath, apath);
    dispatch(&cli, &net, &engine);
    ddpm_net_free(&engine.net);
    ddpm_net_free(&net);
    return check_end();
}
