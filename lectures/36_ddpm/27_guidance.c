/*: # L36 6.3 — Classifier guidance and classifier-free guidance

**Lecture 36, section 6.3** (classifier guidance, classifier-free guidance, label dropout,
`ddim_step_cfg`). Spec program 21; errata A16 (the missing noise term) and A36 (the guidance
scale, the CFG convention, "w = 7.5 improves FID").

First an exact oracle: 1-D data from two classes, $x_0 \mid y \sim \mathcal N(\pm0.5, 0.5^2)$ with
equal weights, linear schedule. Its class-conditional and unconditional noise predictions and the
noisy classifier $p(y \mid x_t)$ are closed forms, so the guidance identities are checked exactly
and the law of guided DDIM samples is computed by quadrature over $x_T$ (deterministic, no
sampling noise). Then the same guidance with a network: a class-conditional Tiny U-Net
(`common/ddpm_net.h`) trained here with label dropout on the 8×8 digits, judged by the project's
digit classifier (`common/digit_classifier.h`).

What you will see: the classifier-guidance identity (analytic and finite-difference gradient),
CFG with scale $w$ = classifier guidance with scale $1+w$, the table of guided laws for
$w = 0, 1, 3, 7.5$ (spec values) with its monotone trend, the guided law against the "tilted"
density it is often said to sample, the $\eta = 1$ step of `ddim_step_cfg` collapsing the spread
(ERRATUM A16), the convention $w = 6.5 \leftrightarrow$ Stable Diffusion's 7.5 (A36, a printed line),
and on digits: the share of samples the classifier assigns to the requested class rising with
$w$. Figures `guided_law.png` and `cfg_digits.png`.

Run: `build/release/bin/lectures/36_ddpm/27_guidance [--quick | --full] [--net FILE]`
(`--net`: a class-conditional net saved by this program; default: train one, ~1 min at the
default scale).

| symbol | C name | shape |
|---|---|---|
| $\hat\epsilon(x_t, t, y)$, $\hat\epsilon(x_t, t, \varnothing)$ | `eps_c`, `eps_u` | scalars / $n\times D$ |
| $p(y \mid x_t)$ | `class_post` | scalar |
| $w$ (CFG scale, lecture convention) | `w` | scalar |
| $s$ (classifier-guidance scale) | `s` | scalar |
| guided noise prediction | `guided_eps`, `cfg_eps` | $n \times D$ |
| quadrature nodes $x_T^{(i)}$, weights | `xq`, `wq` | 4001 |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/ddpm_net.h"
#include "common/diffusion_sampler.h"
#include "common/diffusion_schedule.h"
#include "common/digit_classifier.h"
#include "common/gauss.h"
#include "common/image.h"
#include "common/parallel.h"
#include "common/plot.h"
#include "common/util.h"

enum { T = 1000, NQ = 4001, S_DDIM = 50 };
static const double M_CLASS = 0.5, S_CLASS = 0.5;

typedef struct {
    Gmm pos, mix; /* class y = +1: N(0.5, 0.25); the two-class mixture */
    double w;     /* CFG scale (lecture convention) */
} Oracle;

/*: ## 6.3 Classifier guidance: Bayes' rule on noise predictions

For class $y$, $\nabla\log p_t(x\mid y) = \nabla\log p_t(x) + \nabla\log p_t(y\mid x)$ (Bayes), and
$\hat\epsilon = -\sqrt{1-\bar\alpha_t}\,\nabla\log p_t$. So a noise predictor for the unconditional
law plus the gradient of a noisy classifier gives the conditional one:

$$ \hat\epsilon(x_t, t) - s\sqrt{1-\bar\alpha_t}\,\nabla_{x_t}\log p(y\mid x_t) = \hat\epsilon(x_t, t, y)\quad\text{at } s = 1 . $$ {#eq:L36.6.3.classifier_guidance}

The lecture writes the left side without the scale $s$ (Dhariwal & Nichol use $s > 1$ to
sharpen; A36). On the oracle, with $N_\pm = \mathcal N(x; \pm0.5\sqrt{\bar\alpha_t}, v_t)$,
$v_t = 0.25\bar\alpha_t + 1 - \bar\alpha_t$: $p(+\mid x) = N_+/(N_+ + N_-)$ and
$\nabla\log p(+\mid x) = p(-\mid x)\,\frac{(\sqrt{\bar\alpha_t}\,(m_+ - m_-))}{v_t}$. Checked at
$x = 0.3$, $t = 400$ with this analytic gradient and with a central finite difference of
$\log p(+\mid x)$.
*/
static double class_post(double x, double ab) {
    const double v = 0.25 * ab + 1.0 - ab, a = sqrt(ab);
    //: $p(+\mid x) = N_+/(N_+ + N_-) = \sigma\big(\log N_+ - \log N_-\big)$
    const double d = (-(x - a * M_CLASS) * (x - a * M_CLASS) + (x + a * M_CLASS) * (x + a * M_CLASS)) / (2 * v);
    return 1.0 / (1.0 + exp(-d));
}

static double grad_log_class_post(double x, double ab) {
    const double v = 0.25 * ab + 1.0 - ab, a = sqrt(ab);
    //: $\nabla\log p(+\mid x) = p(-\mid x)\,\sqrt{\bar\alpha}(m_+ - m_-)/v$
    return (1.0 - class_post(x, ab)) * a * 2.0 * M_CLASS / v;
}

static void guidance_identity(const Oracle *o, const DiffusionSchedule *sch) {
    const int t = 400;
    const double ab = sch->alpha_bar[t], x = 0.3, h = 1e-5;
    double eps_u, eps_c;
    diff_oracle_eval(&o->mix, &x, ab, &eps_u, NULL);
    diff_oracle_eval(&o->pos, &x, ab, &eps_c, NULL);
    const double g = grad_log_class_post(x, ab);
    const double g_fd = (log(class_post(x + h, ab)) - log(class_post(x - h, ab))) / (2 * h);
    //: eq. [eq:L36.6.3.classifier_guidance] with $s = 1$
    const double cg = eps_u - sqrt(1.0 - ab) * g, cg_fd = eps_u - sqrt(1.0 - ab) * g_fd;
    printf("  x = 0.3, t = 400: eps_u = %.10f, eps_c = %.10f, grad log p(+|x) = %.10f (FD %.10f)\n", eps_u, eps_c, g, g_fd);
    check_close("L36.6.3.cg_identity", cg, eps_c, 1e-12, "L36.6.3.classifier_guidance",
                "eps_u - sqrt(1-abar) grad log p(y|x_t) (analytic) = the class-conditional eps_c");
    check_close("L36.6.3.cg_identity_fd", cg_fd, eps_c, 1e-9, "L36.6.3.classifier_guidance",
                "the same with a central finite difference of log p(y|x_t), h = 1e-5");
    check_close("L36.6.3.cg_reference", eps_c, 0.0831547013, 1e-9, "L36.6.3.classifier_guidance",
                "eps_c at x = 0.3, t = 400 against the spec's 0.0831547013");
}

/*: ## 6.3 Classifier-free guidance is classifier guidance with scale $1 + w$ (A36)

One network is trained for both $\hat\epsilon(x_t, t, y)$ and, with the label dropped to a null
token $\varnothing$ with probability 0.1, $\hat\epsilon(x_t, t, \varnothing)$; at sampling time

$$ \tilde\epsilon = (1 + w)\,\hat\epsilon(x_t, t, y) - w\,\hat\epsilon(x_t, t, \varnothing) . $$ {#eq:L36.6.3.cfg}

Writing $\hat\epsilon(\cdot, y) - \hat\epsilon(\cdot, \varnothing) = -\sqrt{1-\bar\alpha}\,\nabla\log p(y\mid x_t)$
turns eq. [eq:L36.6.3.cfg] into eq. [eq:L36.6.3.classifier_guidance] with $s = 1 + w$: CFG is
classifier guidance with an *implicit* classifier. The lecture's $w$ counts from 0 (no
guidance); Stable Diffusion writes $\hat\epsilon_\varnothing + g(\hat\epsilon_y - \hat\epsilon_\varnothing)$,
so its common $g = 7.5$ is $w = 6.5$ here, and the lecture's "$w = 7.5$" is $g = 8.5$.
Checked over a grid of $(x, t, w)$ with the two independent routes (the oracle's $\hat\epsilon$
values and the analytic classifier gradient).
*/
static void cfg_eps_1d(const Oracle *o, double x, double ab, double w, double *out) {
    double eu, ec;
    diff_oracle_eval(&o->mix, &x, ab, &eu, NULL);
    diff_oracle_eval(&o->pos, &x, ab, &ec, NULL);
    //: eq. [eq:L36.6.3.cfg]
    *out = (1.0 + w) * ec - w * eu;
}

static void cfg_is_cg(const Oracle *o, const DiffusionSchedule *sch) {
    const double ws[4] = {0.0, 1.0, 3.0, 7.5}, xs[5] = {-2.0, -0.4, 0.0, 0.3, 1.7};
    const int ts[4] = {1, 100, 400, 900};
    double worst = 0;
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 5; b++)
            for (int c = 0; c < 4; c++) {
                const double ab = sch->alpha_bar[ts[c]];
                double cfg, eu;
                cfg_eps_1d(o, xs[b], ab, ws[a], &cfg);
                diff_oracle_eval(&o->mix, &xs[b], ab, &eu, NULL);
                //: eq. [eq:L36.6.3.classifier_guidance] with $s = 1 + w$
                const double cg = eu - (1.0 + ws[a]) * sqrt(1.0 - ab) * grad_log_class_post(xs[b], ab);
                worst = fmax(worst, fabs(cfg - cg));
            }
    check_close("L36.6.3.cfg_equals_cg", worst, 0, 1e-12, "L36.6.3.cfg",
                "CFG(w) = classifier guidance with s = 1 + w: max gap over w in {0,1,3,7.5}, 5 x, 4 t");
    printf("  convention (A36): lecture w = 6.5 <-> Stable Diffusion g = 7.5 (g = 1 + w); the lecture's w = 7.5 is g = 8.5\n");
}

/*: ## 6.3 What guidance does to the samples: the guided law by quadrature

DDIM with $\eta = 0$ and 50 steps (the sub-sequence $\mathrm{round}(\mathrm{linspace}(1, T, 50))$,
then a last step to $t = 0$) is a deterministic, increasing map $x_T \mapsto x_0$. With the
guided prediction of eq. [eq:L36.6.3.cfg] and $x_T \sim \mathcal N(0,1)$, every moment of the
output is an integral over $x_T$:

$$ \mathbb E[g(x_0)] = \int g\big(F_w(x_T)\big)\,\varphi(x_T)\,dx_T \approx \sum_{i=1}^{4001} \omega_i\, g\big(F_w(x_T^{(i)})\big), $$ {#eq:L36.6.3.quadrature}

trapezoid nodes on $[-8, 8]$ (outside, $\varphi < 10^{-14}$), all 4001 chains run at once by
`diff_run`. $P(x_0 > 0)$ is $1 - \Phi(x_T^\star)$ at the root $x_T^\star$ of the monotone map (bisection),
not a sum over a step function. Without guidance ($w = 0$) DDIM-50 lands near the class law
$\mathcal N(0.5, 0.25)$ (mean 0.5, std 0.5, $P(x>0) = 0.8413$); as $w$ grows the samples move away
from the other class and concentrate: the mean rises and the spread shrinks. The guided law is
*not* the "sharpened" density $p(x\mid y)^{1+w}p(x)^{-w}$ often quoted: its moments are printed
beside the sampler's.
*/
static void cfg_eps_batch(const double *x, size_t n, size_t dim, int t, double abar_t, double *eps_out, void *ctx) {
    (void)t;
    for (size_t i = 0; i < n * dim; i++) cfg_eps_1d(ctx, x[i], abar_t, ((const Oracle *)ctx)->w, &eps_out[i]);
}

typedef struct {
    double mean, std, p_pos;
} Law;

static double run_map(const Oracle *o, const DiffusionSchedule *sch, const DiffStep *plan, int np, double xT) {
    DiffSampler smp;
    diff_sampler_init(&smp, 1, 1, sch->alpha_bar, cfg_eps_batch, (void *)o, 0);
    smp.draw_prior = 0;
    smp.n_threads = 1;
    double x = xT;
    diff_run(&smp, plan, np, &x);
    return x;
}

static Law guided_law(Oracle *o, const DiffusionSchedule *sch, const DiffStep *plan, int np, double w, double *xq,
                      double *x0q) {
    o->w = w;
    DiffSampler smp;
    diff_sampler_init(&smp, NQ, 1, sch->alpha_bar, cfg_eps_batch, o, 0);
    smp.draw_prior = 0;
    memcpy(x0q, xq, sizeof(double) * NQ);
    diff_run(&smp, plan, np, x0q);
    const double h = 16.0 / (NQ - 1);
    double m = 0, m2 = 0;
    for (int i = 0; i < NQ; i++) {
        //: trapezoid weights $\omega_i = h\,\varphi(x_T^{(i)})$ (halved at the ends), eq. [eq:L36.6.3.quadrature]
        const double wq = h * exp(-0.5 * xq[i] * xq[i]) / sqrt(2 * M_PI) * (i == 0 || i == NQ - 1 ? 0.5 : 1.0);
        m += wq * x0q[i], m2 += wq * x0q[i] * x0q[i];
    }
    /* root of the increasing map by bisection on [-8, 8] */
    double lo = -8, hi = 8;
    for (int it = 0; it < 60; it++) {
        const double mid = 0.5 * (lo + hi);
        if (run_map(o, sch, plan, np, mid) > 0) hi = mid;
        else lo = mid;
    }
    return (Law){m, sqrt(m2 - m * m), 0.5 * erfc(0.5 * (lo + hi) / sqrt(2.0))};
}

static void tilted_moments(const Oracle *o, double w, double *mean, double *std) {
    /* p(x|+)^{1+w} p(x)^{-w} on a fine grid, normalised numerically */
    double z = 0, m = 0, m2 = 0;
    for (int i = 0; i <= 20000; i++) {
        const double x = -6 + 12.0 * i / 20000;
        const double lp = gmm_logpdf(&o->pos, &x, NULL), lm = gmm_logpdf(&o->mix, &x, NULL);
        const double d = exp((1 + w) * lp - w * lm);
        z += d, m += d * x, m2 += d * x * x;
    }
    *mean = m / z, *std = sqrt(m2 / z - (m / z) * (m / z));
}

static void guided_table(const Cli *cli, Oracle *o, const DiffusionSchedule *sch) {
    int tau[S_DDIM];
    DiffStep plan[S_DDIM];
    diff_timesteps(T, S_DDIM, DIFF_TAU_LINSPACE, tau);
    const int np = diff_plan_ddim(sch->alpha_bar, tau, S_DDIM, 0.0, plan);
    double *xq = xmalloc(sizeof(double) * NQ), *x0q = xmalloc(sizeof(double) * NQ * 4);
    for (int i = 0; i < NQ; i++) xq[i] = -8.0 + 16.0 * i / (NQ - 1);
    const double ws[4] = {0.0, 1.0, 3.0, 7.5};
    static const double spec[4][3] = {{0.4985, 0.4719, 0.8550}, {0.8014, 0.3544, 0.9945}, {1.1615, 0.2742, 1.0000}, {1.6485, 0.2272, 1.0000}};
    Law law[4];
    char id[80];
    for (int k = 0; k < 4; k++) {
        law[k] = guided_law(o, sch, plan, np, ws[k], xq, x0q + (size_t)k * NQ);
        double tm, ts;
        tilted_moments(o, ws[k], &tm, &ts);
        printf("  w = %-4g DDIM-50: mean %.4f std %.4f P(x>0) %.4f | tilted p(x|y)^(1+w) p(x)^(-w): mean %.4f std %.4f\n",
               ws[k], law[k].mean, law[k].std, law[k].p_pos, tm, ts);
        const char *what[3] = {"mean", "std", "p_pos"};
        const double val[3] = {law[k].mean, law[k].std, law[k].p_pos};
        for (int j = 0; j < 3; j++) {
            snprintf(id, sizeof id, "L36.6.3.w%g_%s", ws[k], what[j]);
            for (char *c = id; *c; c++)
                if (*c == '.' && c > id + 8) *c = 'p';
            check_close(id, val[j], spec[k][j], 1e-3, "L36.6.3.quadrature",
                        "guided DDIM-50, w = %g: %s of x_0 by 4001-point quadrature over x_T (spec table)", ws[k], what[j]);
        }
    }
    int mono = 1;
    for (int k = 1; k < 4; k++) mono &= law[k].mean > law[k - 1].mean && law[k].std < law[k - 1].std;
    check_true("L36.6.3.monotone_in_w", mono, "as w grows 0 -> 1 -> 3 -> 7.5 the guided mean rises and the std falls");
    check_close("L36.6.3.w0_near_class_law", law[0].mean, 0.5, 5e-3, "L36.6.3.quadrature",
                "w = 0: DDIM-50 mean within 5e-3 of the class mean 0.5 (the remaining gap is DDIM's step error)");

    /* figure: density of the guided x_0, by change of variables p(x0) = phi(xT) / F'(xT) */
    Plot *p = plot_new(820, 500, "6.3: law of guided DDIM-50 samples (class y = +1), oracle");
    for (int k = 0; k < 4; k++) {
        const double *f = x0q + (size_t)k * NQ;
        double *xs = xmalloc(sizeof(double) * NQ), *ds = xmalloc(sizeof(double) * NQ);
        int m = 0;
        for (int i = 1; i + 1 < NQ; i += 4) {
            const double der = (f[i + 1] - f[i - 1]) / (xq[i + 1] - xq[i - 1]);
            if (f[i] < -2.5 || f[i] > 3.5 || der <= 0) continue;
            xs[m] = f[i], ds[m] = exp(-0.5 * xq[i] * xq[i]) / sqrt(2 * M_PI) / der, m++;
        }
        char lab[32];
        snprintf(lab, sizeof lab, "w = %g", ws[k]);
        plot_line(p, xs, ds, m, lab);
        free(xs), free(ds);
    }
    double gx[601], gp[601], gm[601];
    for (int i = 0; i <= 600; i++) {
        gx[i] = -2.5 + 6.0 * i / 600;
        gp[i] = exp(gmm_logpdf(&o->pos, &gx[i], NULL)), gm[i] = exp(gmm_logpdf(&o->mix, &gx[i], NULL));
    }
    plot_series_dash(plot_line(p, gx, gp, 601, "class law N(0.5, 0.25)"), PLOT_DASHED);
    plot_series_dash(plot_line(p, gx, gm, 601, "two-class data"), PLOT_DOTTED);
    plot_xlabel(p, "x_0");
    plot_ylabel(p, "density");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "guided_law.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
    free(xq), free(x0q);
}

/*: ## 6.3 `ddim_step_cfg` with $\eta > 0$: the missing noise (ERRATUM A16)

The lecture's guided DDIM step computes $\sigma_t(\eta)$ and shortens the direction term to
$\sqrt{1-\bar\alpha_{t'}-\sigma_t^2}\,\tilde\epsilon$, but never adds $\sigma_t z$. With $\eta = 1$ the
spread that should be injected is simply lost. Without guidance the class law is Gaussian and
the oracle affine, so the exact output law of both chains follows from the step coefficients
(`diff_gauss_chain_law`): the correct $\eta = 1$ chain keeps a spread close to 0.5; the
lecture's collapses.
*/
static void eta_one_bug(const DiffusionSchedule *lin, const DiffusionSchedule *cosc) {
    const DiffusionSchedule *sch[2] = {lin, cosc};
    const double spec_ok[2] = {0.4432, 0.4672}, spec_bug[2] = {0.0016, 0.0000};
    const char *names[2] = {"linear", "cosine_clip"};
    int tau[S_DDIM];
    DiffStep plan[S_DDIM];
    diff_timesteps(T, S_DDIM, DIFF_TAU_LINSPACE, tau);
    for (int k = 0; k < 2; k++) {
        const int np = diff_plan_ddim(sch[k]->alpha_bar, tau, S_DDIM, 1.0, plan);
        double m_ok, v_ok, m_bug, v_bug;
        diff_gauss_chain_law(plan, np, sch[k]->alpha_bar, M_CLASS, S_CLASS * S_CLASS, 0.0, 1.0, &m_ok, &v_ok);
        //: the lecture's step: same coefficients, $\sigma_t z$ dropped
        for (int i = 0; i < np; i++) plan[i].sigma = 0.0;
        diff_gauss_chain_law(plan, np, sch[k]->alpha_bar, M_CLASS, S_CLASS * S_CLASS, 0.0, 1.0, &m_bug, &v_bug);
        printf("  %s, DDIM-50 eta = 1: correct mean %.4f std %.4f; without sigma z: mean %.4f std %.4f\n", names[k], m_ok,
               sqrt(v_ok), m_bug, sqrt(v_bug));
        char id[80];
        snprintf(id, sizeof id, "L36.6.3.eta1_std_%s", names[k]);
        check_close(id, sqrt(v_ok), spec_ok[k], 1e-4, "common.diffusion_sampler.ddim",
                    "DDIM-50, eta = 1 with the noise: output std, %s (spec A16)", names[k]);
        snprintf(id, sizeof id, "L36.6.3.eta1_nonoise_std_%s", names[k]);
        check_close(id, sqrt(v_bug), spec_bug[k], 1e-4, "common.diffusion_sampler.ddim",
                    "the lecture's ddim_step_cfg (no sigma z), eta = 1: output std, %s (spec A16)", names[k]);
        snprintf(id, sizeof id, "L36.6.3.eta1_collapse_%s", names[k]);
        check_erratum(id, sqrt(v_bug), sqrt(v_ok), "A16: ddim_step_cfg with eta = 1 never adds sigma_t z: output std (%s)", names[k]);
    }
}


/*: ## 6.3 Classifier-free guidance with a network: label dropout on real digits

The recipe of 6.3: a class-conditional noise predictor whose label is replaced by a null
label $\varnothing$ with probability $p_\text{uncond} = 0.1$ during training, so that one network
learns both $\hat\epsilon(x_t, t, y)$ and $\hat\epsilon(x_t, t, \varnothing)$; at sampling time both are
evaluated (one batch of $2n$ images) and combined by eq. [eq:L36.6.3.cfg]. The network is the Tiny
U-Net of 4.2.2 with a label table added to its time embedding (`common/tiny_unet.h`,
`n_classes = 10`, row 10 the null label), trained by `ddpm_net_train` on the 8×8 digits (1797
images; small enough to train in about a minute on two cores), clipped cosine schedule.

How guidance shows: for each class $y$ the same starting noises $x_T$ are sampled by DDIM
($\eta = 0$, 20 steps) at $w = 0, 1, 3$ and the project's digit classifier (trained on the same
digits, `common/digit_classifier.h`) says which digit each sample is. With the *same* $x_T$ at
every $w$, the change in the share classified as $y$ is a paired difference whose standard error
comes from the per-sample differences. The samples' *diversity* falls as $w$ grows (the
oracle's shrinking spread above), measured by the pixel spread within a class. Every step clamps
$\hat x_0$ to $[-1, 1]$ (spec A3: without it the first step from $t = T$, where
$\bar\alpha_T = 2.4\cdot10^{-9}$, multiplies the network's $\epsilon$ error by hundreds and the samples are
noise). At the default scale (1500 steps of a $d = 16$ net) the digits are rough and plain
conditional sampling is recognised only about a fifth of the time; guidance at $w = 3$ more
than doubles that. `--full` trains a $d = 32$ net for 6000 steps.
*/
typedef struct {
    DdpmNet *net;
    const int *label; /* per chain */
    double w;
    float *xf, *ef;
    int *tt, *yy;
    int clamp; /* 1: clamp x0_hat to [-1, 1] at every step (spec A3) */
} CfgNet;

/* DiffEpsFn over all chains at once (block = n): rows [0, n) with their labels, rows [n, 2n)
   with the null label, one network batch; then eq. [eq:L36.6.3.cfg]. */
static void cfg_net_eps(const double *x, size_t n, size_t dim, int t, double abar_t, double *eps_out, void *ctx) {
    CfgNet *c = ctx;
    const int null_label = c->net->cfg.net.n_classes;
    for (size_t i = 0; i < n; i++) {
        for (size_t q = 0; q < dim; q++) c->xf[i * dim + q] = c->xf[(n + i) * dim + q] = (float)x[i * dim + q];
        c->tt[i] = c->tt[n + i] = t;
        c->yy[i] = c->label[i], c->yy[n + i] = null_label;
    }
    ddpm_net_eps(c->net, c->xf, c->tt, c->yy, (int)(2 * n), c->ef);
    const double al = sqrt(abar_t), sg = sqrt(1.0 - abar_t);
    for (size_t i = 0; i < n * dim; i++) {
        //: $\tilde\epsilon = (1+w)\hat\epsilon(x_t, t, y) - w\,\hat\epsilon(x_t, t, \varnothing)$, eq. [eq:L36.6.3.cfg]
        const double e = (1.0 + c->w) * c->ef[i] - c->w * c->ef[n * dim + i];
        if (!c->clamp) {
            eps_out[i] = e;
            continue;
        }
        //: $\hat x_0 = \mathrm{clamp}\big((x_t - \sqrt{1-\bar\alpha_t}\tilde\epsilon)/\sqrt{\bar\alpha_t}, -1, 1\big)$, and the $\tilde\epsilon$ that agrees with it
        const double x0 = fmax(-1.0, fmin(1.0, (x[i] - sg * e) / al));
        eps_out[i] = (x[i] - al * x0) / sg;
    }
}

/* The 2n-row batch of cfg_net_eps at w = 1 against the library's per-label adaptor
   (ddpm_net_diff_eps): (1+1) eps_c - eps_u computed from two separate calls. */
static void cfg_batch_check(DdpmNet *net, const float *x, int D) {
    enum { NB = 6 };
    if (D > 64) die("cfg_batch_check: images of %d pixels (8x8 digits expected)", D);
    const int t = 300, lab[NB] = {0, 3, 3, 7, 9, 1};
    double xd[NB * 64], e_cfg[NB * 64], ec[64], eu[64], worst = 0;
    for (int i = 0; i < NB * D; i++) xd[i] = 0.8 * x[i + 5 * D];
    CfgNet c = {net, lab, 1.0, xmalloc(sizeof(float) * 2 * NB * D), xmalloc(sizeof(float) * 2 * NB * D), xmalloc(sizeof(int) * 2 * NB),
                xmalloc(sizeof(int) * 2 * NB), 0};
    cfg_net_eps(xd, NB, (size_t)D, t, net->sched.alpha_bar[t], e_cfg, &c);
    for (int i = 0; i < NB; i++) {
        DdpmEpsCtx cc = {.net = net, .label = lab[i]}, cu = {.net = net, .label = -1};
        ddpm_net_diff_eps(xd + i * D, 1, (size_t)D, t, net->sched.alpha_bar[t], ec, &cc);
        ddpm_net_diff_eps(xd + i * D, 1, (size_t)D, t, net->sched.alpha_bar[t], eu, &cu);
        for (int q = 0; q < D; q++) worst = fmax(worst, fabs(e_cfg[i * D + q] - (2.0 * ec[q] - eu[q])));
    }
    check_close("L36.6.3.net_cfg_batch", worst, 0, 1e-5, "L36.6.3.cfg",
                "CFG batch (labels and null label in one 2n forward) = 2 eps(y) - eps(null) from separate adaptor calls "
                "(float32 network; 6 images with mixed labels)");
    free(c.xf), free(c.ef), free(c.tt), free(c.yy);
}

static void train_or_load(const Cli *cli, const char *net_file, const float *x, const int *y, int n, DdpmNet *net) {
    char err[512];
    if (net_file) {
        if (ddpm_net_load(net, net_file, err, sizeof err) != 0 || net->cfg.net.n_classes != 10) {
            fprintf(stderr, "27_guidance: --net %s: %s\n", net_file, net->cfg.net.n_classes != 10 ? "not a 10-class conditional net" : err);
            exit(2);
        }
        printf("  loaded the conditional net from %s\n", net_file);
        return;
    }
    DdpmNetConfig nc;
    DdpmTrainConfig tc;
    ddpm_recipe(cli->scale == SCALE_FULL ? SCALE_DEFAULT : cli->scale, &nc, &tc);
    nc.net.image_size = 8;
    nc.net.n_classes = 10;
    nc.net.d_model = (int)cli_scale(cli, 8, 16, 32);
    nc.net.t_emb = 2 * nc.net.d_model;
    nc.net.t_hidden = 4 * nc.net.d_model;
    /* the two-level net with per-level time bias and skip: on 8x8 digits it suffices, and the
       deep layout of the 28x28 recipe (tiny_unet.h) would cost ~4x the training time here */
    nc.net.deep = 0, nc.net.mid_attention = 0;
    tc.steps = cli_scale(cli, 40, 1500, 6000);
    tc.batch = (int)cli_scale(cli, 16, 64, 64);
    tc.label_dropout = 0.1;
    tc.seed = cli->seed + 1;
    tc.label = "conditional tiny DDPM (8x8 digits)";
    tc.check_id = "L36.6.3.net_training_finite";
    ddpm_net_init(net, &nc, cli->seed + 2);
    net->scale = cli->scale;
    snprintf(net->data, sizeof net->data, "digits");
    DdpmTrainResult r = ddpm_net_train(net, &tc, x, y, n);
    printf("  trained %ld steps (d = %d, batch %d, label dropout 0.1): loss %.4f (first 10) -> %.4f (last 10%%)\n", r.steps_done,
           nc.net.d_model, tc.batch, r.first10_mean, r.tail_mean);
    check_le("L36.6.3.net_loss_falls", r.tail_mean, 0.8 * r.first10_mean, 0, "common.ddpm_net.loss",
             "conditional DDPM training: mean loss of the last 10%% of steps <= 0.8 x the first 10 steps");
    ddpm_train_result_write(&r, cli_out_path(cli, "cfg_loss.csv"), NULL);
    ddpm_train_result_free(&r);
    if (ddpm_net_save(net, &net->ema, cli_out_path(cli, "cfg_net.bin"), err, sizeof err) != 0) die("%s", err);
}

static void cfg_network(const Cli *cli, const char *net_file) {
    /* 8x8 images: each op's work is too small for a thread team to pay (on a busy machine it
       costs many times the serial time), so this section runs on one thread unless --threads
       asks otherwise; results do not depend on it */
    const int threads_before = par_max_threads();
    if (cli->threads == 0) par_set_threads(1);
    ImageSet set;
    char note[512];
    if (dataset_load_or_digits(cli->data_dir, "digits", &set, note, sizeof note) < 0) {
        fprintf(stderr, "27_guidance: %s\n", note);
        exit(2);
    }
    const int side = set.height, D = side * side, n_test = digit_test_count(set.n), n_train = set.n - n_test;
    float *x = digit_images_pm1(&set, 0, set.n);
    int *y = xmalloc(sizeof(int) * (size_t)set.n);
    for (int i = 0; i < set.n; i++) y[i] = set.labels[i];
    DdpmNet net;
    train_or_load(cli, net_file, x, y, n_train, &net);
    /* program 23's classifier file when it is there, else the same training (same seed and
       configuration, so the same weights), without saving or a load/train line on stdout:
       the output of this program does not depend on which programs ran before it */
    DigitClassifier clf;
    char cpath[1200];
    digit_classifier_init(&clf, side, DIGIT_CLASSIFIER_SEED);
    if (digit_classifier_load(&clf, digit_classifier_path(cli, set.name, cpath, sizeof cpath), note, sizeof note) != NN_IO_OK) {
        DigitTrainConfig dc = digit_train_config(side, cli->scale, DIGIT_CLASSIFIER_SEED);
        digit_classifier_train(&clf, x, set.labels, n_train, &dc, NULL);
    }
    printf("  digit classifier: held-out accuracy %.4f on %d real digits\n",
           digit_classifier_accuracy(&clf, x + (size_t)n_train * D, set.labels + n_train, n_test), n_test);

    cfg_batch_check(&net, x, D);

    enum { NW = 3 };
    const double ws[NW] = {0.0, 1.0, 3.0};
    const int per = (int)cli_scale(cli, 4, 30, 100), n = 10 * per, S = (int)cli_scale(cli, 10, 20, 50);
    int *label = xmalloc(sizeof(int) * (size_t)n), tau[64];
    for (int i = 0; i < n; i++) label[i] = i / per;
    DiffStep plan[64];
    diff_timesteps(net.cfg.T, S, DIFF_TAU_LINSPACE, tau);
    const int np = diff_plan_ddim(net.sched.alpha_bar, tau, S, 0.0, plan);
    CfgNet c = {&net, label, 0.0, xmalloc(sizeof(float) * 2 * (size_t)n * D), xmalloc(sizeof(float) * 2 * (size_t)n * D),
                xmalloc(sizeof(int) * 2 * (size_t)n), xmalloc(sizeof(int) * 2 * (size_t)n), 1};
    printf("  sampling: DDIM eta = 0, %d steps, x0_hat clamped to [-1, 1] at every step (A3: the first step from "
           "t = T multiplies eps errors by sqrt(abar_s / abar_T))\n", S);
    double *xs = xmalloc(sizeof(double) * (size_t)n * D), *probs = xmalloc(sizeof(double) * (size_t)n * 10);
    float *img = xmalloc(sizeof(float) * (size_t)n * D * NW);
    int *correct = xmalloc(sizeof(int) * (size_t)n * NW);
    double acc[NW], spread[NW];
    for (int k = 0; k < NW; k++) {
        c.w = ws[k];
        DiffSampler smp;
        diff_sampler_init(&smp, (size_t)n, (size_t)D, net.sched.alpha_bar, cfg_net_eps, &c, cli->seed + 77);
        smp.block = (size_t)n; /* the callback sees every chain, in order (per-chain labels) */
        smp.n_threads = 1;
        /* x_T ~ N(0, I) from chain c's own Philox stream: the same noises at every w */
        diff_run(&smp, plan, np, xs);
        float *im = img + (size_t)k * n * D;
        for (size_t q = 0; q < (size_t)n * D; q++) im[q] = (float)fmax(-1.0, fmin(1.0, xs[q]));
        digit_classifier_eval(&clf, im, n, NULL, probs);
        int hits = 0;
        double sp = 0;
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < 10; j++)
                if (probs[(size_t)i * 10 + j] > probs[(size_t)i * 10 + best]) best = j;
            correct[(size_t)k * n + i] = best == label[i];
            hits += best == label[i];
        }
        /* pixel spread within a class: mean over classes and pixels of the std across samples */
        for (int cl = 0; cl < 10; cl++)
            for (int q = 0; q < D; q++) {
                double m = 0, m2 = 0;
                for (int i = cl * per; i < (cl + 1) * per; i++) m += im[(size_t)i * D + q], m2 += im[(size_t)i * D + q] * im[(size_t)i * D + q];
                m /= per;
                sp += sqrt(fmax(0.0, m2 / per - m * m));
            }
        acc[k] = (double)hits / n;
        spread[k] = sp / (10.0 * D);
        printf("  w = %g: share classified as the requested digit %.3f (%d/%d); within-class pixel std %.4f\n", ws[k], acc[k], hits, n,
               spread[k]);
    }
    /* paired differences on the same x_T */
    double d_mean = 0, d2 = 0;
    for (int i = 0; i < n; i++) {
        const double d = correct[(size_t)2 * n + i] - correct[i];
        d_mean += d, d2 += d * d;
    }
    d_mean /= n;
    const double d_se = sqrt(fmax(0.0, d2 / n - d_mean * d_mean) / (n - 1));
    if (cli->scale == SCALE_QUICK) {
        /* a 40-step net at --quick is a smoke run of the pipeline (sanitizers), not a trained model */
        check_skip("L36.6.3.net_w0_above_chance", "--quick trains 40 steps only; checked at the default scale");
        check_skip("L36.6.3.net_w3_more_consistent", "--quick trains 40 steps only; checked at the default scale");
        check_skip("L36.6.3.net_spread_falls", "--quick trains 40 steps only; checked at the default scale");
    } else {
        const double se0 = sqrt(acc[0] * (1.0 - acc[0]) / (n - 1));
        check_ge("L36.6.3.net_w0_above_chance", acc[0] - 2.0 * se0, 0.1, 0, "L36.6.3.cfg",
                 "w = 0 (plain conditional sampling): share %.3f classified as the requested digit, minus 2 standard errors, "
                 "is above chance 0.1", acc[0]);
        check_ge("L36.6.3.net_w3_more_consistent", d_mean - 2.0 * d_se, 0.0, 0, "L36.6.3.cfg",
                 "w = 3 vs w = 0 on the same x_T: gain in class consistency %.3f minus 2 paired standard errors (%.3f) > 0",
                 d_mean, d_se);
        check_le("L36.6.3.net_spread_falls", spread[2], spread[0], 0, "L36.6.3.cfg",
                 "guidance trades diversity for consistency: within-class pixel std at w = 3 <= at w = 0");
    }

    /* figure: rows = digits, for each w `show` samples side by side */
    const int show = per < 4 ? per : 4, cols = NW * show;
    float *grid = xmalloc(sizeof(float) * (size_t)10 * cols * D);
    for (int cl = 0; cl < 10; cl++)
        for (int k = 0; k < NW; k++)
            for (int j = 0; j < show; j++)
                memcpy(grid + ((size_t)cl * cols + k * show + j) * D, img + ((size_t)k * n + cl * per + j) * D, sizeof(float) * D);
    ImageGridOptions go = image_grid_defaults();
    go.cols = cols, go.lo = -1, go.hi = 1, go.upscale = 4;
    Image8 *g = image_grid(grid, 10 * cols, 1, side, side, &go);
    char err[256];
    if (image_write_png(cli_out_path(cli, "cfg_digits.png"), g, err, sizeof err) != 0) die("%s", err);
    printf("  cfg_digits.png: rows = digits 0..9, columns = %d samples each at w = 0 | 1 | 3 (same x_T across w)\n", show);
    image8_free(g);
    free(grid), free(label), free(c.xf), free(c.ef), free(c.tt), free(c.yy), free(xs), free(probs), free(img), free(correct);
    free(x), free(y);
    digit_classifier_free(&clf);
    ddpm_net_free(&net);
    imageset_free(&set);
    par_set_threads(threads_before);
}

int main(int argc, char **argv) {
    Cli cli;
    const char *net_file = NULL;
    const CliExtra extras[] = {{"--net", CLI_STRING, &net_file, "a conditional net saved by this program (default: train one)"}, {0}};
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "L36 6.3: classifier and classifier-free guidance (oracle and digits)", 27, extras);
    Oracle o = {gmm_new(1, 1), gmm_new(2, 1), 0.0};
    const double mp = M_CLASS, mm = -M_CLASS;
    gmm_set(&o.pos, 0, 1.0, &mp, NULL, S_CLASS * S_CLASS);
    gmm_set(&o.mix, 0, 0.5, &mp, NULL, S_CLASS * S_CLASS);
    gmm_set(&o.mix, 1, 0.5, &mm, NULL, S_CLASS * S_CLASS);
    gmm_normalise(&o.mix);
    DiffusionSchedule lin = diffusion_schedule_linear(T, 1e-4, 0.02), cosc = diffusion_schedule_cosine(T, 0.008, 0.999);
    guidance_identity(&o, &lin);
    cfg_is_cg(&o, &lin);
    guided_table(&cli, &o, &lin);
    eta_one_bug(&lin, &cosc);
    cfg_network(&cli, net_file);
    diffusion_schedule_free(&lin), diffusion_schedule_free(&cosc);
    gmm_free(&o.pos), gmm_free(&o.mix);
    return check_end();
}
