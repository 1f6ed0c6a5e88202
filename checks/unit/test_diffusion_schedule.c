/* Unit tests of common/diffusion_schedule.h: the linear betas at their end points and the
   cumulative product against a sum of log1p's; the cosine schedule against the double-angle form
   of cos^2, its terminal beta of 1 and its clip; construction from betas and from alpha_bar; both
   zero-terminal-SNR rescalings (terminal value, what each keeps, consistency of the recomputed
   betas); SNR and log-SNR; the posterior coefficients against the precision form of completing
   the square; the eps-form of the posterior mean; the target conversions (round trips, the
   rotation identity). */
#include <math.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_schedule.h"
#include "common/rng.h"

enum { T = 1000 };

/* max over t = 1..T of |a_t / b_t - 1| for positive b */
static double max_rel(const double *a, const double *b, int from, int to) {
    double m = 0;
    for (int t = from; t <= to; t++) {
        double r = fabs(a[t] / b[t] - 1.0);
        if (!(r <= m)) m = r; /* NaN propagates */
    }
    return m;
}

static int snr_violations(const DiffusionSchedule *s) {
    int v = 0;
    for (int t = 1; t <= s->T; t++)
        if (!(diffusion_snr(s, t) < diffusion_snr(s, t - 1))) v++;
    return v;
}

static void test_linear(void) {
    DiffusionSchedule s = diffusion_schedule_linear(T, 1e-4, 0.02);
    check_close("common.diffusion.linear_ends", fabs(s.beta[1] - 1e-4) + fabs(s.beta[T] - 0.02),
                0, 1e-17, NULL, "linear betas start at beta_min and end at beta_max");
    double logsum[T + 1], via_log[T + 1];
    logsum[0] = 0, via_log[0] = 1;
    for (int t = 1; t <= T; t++) {
        logsum[t] = logsum[t - 1] + log1p(-s.beta[t]);
        via_log[t] = exp(logsum[t]);
    }
    check_close("common.diffusion.cumprod_vs_log", max_rel(s.alpha_bar, via_log, 1, T), 0, 1e-12,
                "common.diffusion.q_xt_x0",
                "alpha_bar by cumulative product = exp(sum log1p(-beta)), max relative difference");
    DiffusionSchedule b = diffusion_schedule_from_betas(T, s.beta);
    int same = 1;
    for (int t = 0; t <= T; t++) same &= b.alpha_bar[t] == s.alpha_bar[t] && b.alpha[t] == s.alpha[t];
    check_true("common.diffusion.from_betas", same, "from_betas(linear betas) = linear, bitwise");
    DiffusionSchedule a = diffusion_schedule_from_alpha_bar(T, s.alpha_bar);
    check_close("common.diffusion.from_alpha_bar", max_rel(a.beta, s.beta, 1, T), 0, 1e-9, NULL,
                "from_alpha_bar(alpha_bar) gives back the betas (ratio of products; 1e-9 relative "
                "since 1 - abar_t/abar_{t-1} cancels)");
    check_true("common.diffusion.snr_at_0", isinf(diffusion_snr(&s, 0)) && diffusion_snr(&s, 1) > 0,
               "SNR(0) = +inf (clean data), SNR(1) finite");
    double worst = 0;
    for (int t = 1; t <= T; t++) {
        double d = fabs(diffusion_log_snr(&s, t) - log(diffusion_snr(&s, t)));
        if (!(d <= worst)) worst = d;
    }
    check_close("common.diffusion.log_snr", worst, 0, 1e-12, NULL,
                "log_snr(t) = log(SNR(t)) for every t");
    check_close("common.diffusion.snr_monotone", snr_violations(&s), 0, 0, NULL,
                "SNR strictly decreasing for the linear schedule (violations)");
    diffusion_schedule_free(&a), diffusion_schedule_free(&b), diffusion_schedule_free(&s);
}

static void test_cosine(void) {
    const double so = 0.008;
    DiffusionSchedule c = diffusion_schedule_cosine(T, so, 0.0);
    /* cos^2(u) = (1 + cos 2u)/2: a second evaluation of f(t)/f(0) */
    double ref[T + 1];
    const double f0 = 0.5 * (1 + cos(so / (1 + so) * M_PI));
    for (int t = 1; t <= T; t++) ref[t] = 0.5 * (1 + cos(((double)t / T + so) / (1 + so) * M_PI)) / f0;
    check_close("common.diffusion.cosine_formula", max_rel(c.alpha_bar, ref, 1, T - 1), 0, 1e-9,
                NULL, "cosine alpha_bar = f(t)/f(0) vs the double-angle form, t < T (relative)");
    check_close("common.diffusion.cosine_beta_T", c.beta[T], 1.0, 1e-15, NULL,
                "unclipped cosine: beta_T = 1 - abar_T/abar_{T-1} rounds to 1");
    int invariant = c.alpha[T] == 0.0;
    for (int t = 0; t <= T; t++) invariant &= c.alpha[t] == 1.0 - c.beta[t];
    check_true("common.diffusion.alpha_is_one_minus_beta", invariant,
               "schedule built from alpha_bar: alpha_t = 1 - beta_t exactly, so alpha_T = 0 (unclipped cosine)");
    DiffusionSchedule k = diffusion_schedule_cosine(T, so, 0.999);
    double bmax = 0;
    for (int t = 1; t <= T; t++) bmax = fmax(bmax, k.beta[t]);
    check_close("common.diffusion.clip_max", bmax, 0.999, 0, NULL, "clipped cosine: max beta = 0.999");
    check_close("common.diffusion.clip_abar_T", k.alpha_bar[T] / (c.alpha_bar[T - 1] * 0.001), 1.0,
                1e-12, NULL, "clipped cosine: abar_T = abar_{T-1} (1 - 0.999)");
    diffusion_schedule_free(&c), diffusion_schedule_free(&k);
}

static void test_zero_terminal(void) {
    DiffusionSchedule lin = diffusion_schedule_linear(T, 1e-4, 0.02);
    DiffusionSchedule aff = diffusion_schedule_copy(&lin), sq = diffusion_schedule_copy(&lin);
    diffusion_schedule_rescale_zt_affine(&aff);
    diffusion_schedule_rescale_zt_sqrt(&sq);
    const double aT = lin.alpha_bar[T];
    check_true("common.diffusion.zt_terminal",
               aff.alpha_bar[T] == 0 && sq.alpha_bar[T] == 0 && aff.beta[T] == 1 && sq.beta[T] == 1,
               "both rescalings: abar_T = 0 and beta_T = 1 exactly");
    check_close("common.diffusion.zt_affine_500", aff.alpha_bar[500],
                (lin.alpha_bar[500] - aT) / (1 - aT), 1e-16, "common.diffusion.zt_affine",
                "affine rescaling at t = 500");
    check_close("common.diffusion.zt_sqrt_keeps_abar1", sq.alpha_bar[1], lin.alpha_bar[1], 1e-15,
                "common.diffusion.zt_sqrt", "Lin et al. keep abar_1");
    /* sqrt(abar'_t) / (sqrt(abar_t) - sqrt(abar_T)) is one constant */
    double lo = INFINITY, hi = -INFINITY;
    for (int t = 1; t < T; t++) {
        double r = sqrt(sq.alpha_bar[t]) / (sqrt(lin.alpha_bar[t]) - sqrt(aT));
        lo = fmin(lo, r), hi = fmax(hi, r);
    }
    check_close("common.diffusion.zt_sqrt_affine_in_sqrt", hi / lo - 1, 0, 1e-12,
                "common.diffusion.zt_sqrt", "Lin et al.: sqrt(abar) is mapped by one affine map");
    double prod_a[T + 1], prod_s[T + 1];
    prod_a[0] = prod_s[0] = 1;
    for (int t = 1; t <= T; t++) prod_a[t] = prod_a[t - 1] * aff.alpha[t], prod_s[t] = prod_s[t - 1] * sq.alpha[t];
    check_close("common.diffusion.zt_alphas_consistent",
                fmax(max_rel(prod_a, aff.alpha_bar, 1, T - 1), max_rel(prod_s, sq.alpha_bar, 1, T - 1)),
                0, 1e-12, NULL, "the recomputed alphas multiply back to the rescaled alpha_bar");
    check_close("common.diffusion.zt_snr_monotone", snr_violations(&aff) + snr_violations(&sq), 0, 0,
                NULL, "SNR strictly decreasing after either rescaling (violations)");
    diffusion_schedule_free(&lin), diffusion_schedule_free(&aff), diffusion_schedule_free(&sq);
}

static void test_posterior(void) {
    DiffusionSchedule s = diffusion_schedule_linear(T, 1e-4, 0.02);
    const int ts[] = {2, 10, 500, 999, 1000};
    double worst_var = 0, worst_mean = 0;
    for (int i = 0; i < 5; i++) {
        const int t = ts[i];
        double c0, ct, bt;
        diffusion_posterior_coefs(&s, t, &c0, &ct, &bt);
        /* precision form: 1/bt = alpha/beta + 1/(1 - abar_{t-1}) */
        const double prec = s.alpha[t] / s.beta[t] + 1.0 / (1.0 - s.alpha_bar[t - 1]);
        worst_var = fmax(worst_var, fabs(bt * prec - 1.0));
        /* mean/bt = sqrt(alpha)/beta x_t + sqrt(abar_{t-1})/(1 - abar_{t-1}) x_0 */
        worst_mean = fmax(worst_mean, fabs(ct * prec / (sqrt(s.alpha[t]) / s.beta[t]) - 1.0));
        worst_mean = fmax(worst_mean, fabs(c0 * prec / (sqrt(s.alpha_bar[t - 1]) / (1.0 - s.alpha_bar[t - 1])) - 1.0));
    }
    check_close("common.diffusion.posterior_var", worst_var, 0, 1e-13, "common.diffusion.posterior",
                "beta_tilde = 1 / (alpha/beta + 1/(1-abar_{t-1})) at t = 2, 10, 500, 999, 1000");
    check_close("common.diffusion.posterior_mean_coefs", worst_mean, 0, 1e-13,
                "common.diffusion.posterior", "mean coefficients = beta_tilde x the precision-weighted terms");
    double c0, ct, bt;
    diffusion_posterior_coefs(&s, 1, &c0, &ct, &bt);
    check_close("common.diffusion.posterior_t1", fmax(fabs(c0 - 1), fmax(fabs(ct), fabs(bt))), 0,
                1e-12, "common.diffusion.posterior",
                "t = 1: beta_tilde = 0 and mean = x0 (abar_0 = 1; c0 = beta_1/(1 - abar_1) to rounding)");

    Rng r;
    rng_init(&r, 36, 0);
    double x0[4], eps[4], xt[4], mu_x0[4], mu_eps[4];
    rng_normal_fill(&r, x0, 4), rng_normal_fill(&r, eps, 4);
    double worst = 0;
    for (int i = 0; i < 5; i++) {
        diffusion_q_sample(&s, ts[i], x0, eps, xt, 4);
        diffusion_posterior_mean(&s, ts[i], x0, xt, mu_x0, 4);
        diffusion_mean_from_eps(&s, ts[i], xt, eps, mu_eps, 4);
        for (int a = 0; a < 4; a++) worst = fmax(worst, fabs(mu_x0[a] - mu_eps[a]));
    }
    check_close("common.diffusion.mean_eps_form", worst, 0, 1e-13, "common.diffusion.mean_eps",
                "eps-form of the posterior mean = x0-form, with the true noise");
    diffusion_schedule_free(&s);
}

static void test_conversions(void) {
    Rng r;
    rng_init(&r, 36, 1);
    double x0[8], eps[8], xt[8], v[8], back[8], back2[8];
    rng_normal_fill(&r, x0, 8), rng_normal_fill(&r, eps, 8);
    const double abars[] = {1e-4, 0.01, 0.5, 0.99, 0.9999};
    double e_eps = 0, e_x0 = 0, e_v = 0, e_rot = 0;
    for (int k = 0; k < 5; k++) {
        const double ab = abars[k];
        for (int i = 0; i < 8; i++) xt[i] = sqrt(ab) * x0[i] + sqrt(1 - ab) * eps[i];
        diffusion_x0_from_eps(ab, xt, eps, back, 8);
        diffusion_eps_from_x0(ab, xt, x0, back2, 8);
        for (int i = 0; i < 8; i++)
            e_x0 = fmax(e_x0, fabs(back[i] - x0[i]) * sqrt(ab)), e_eps = fmax(e_eps, fabs(back2[i] - eps[i]) * sqrt(1 - ab));
        diffusion_v_from_x0_eps(ab, x0, eps, v, 8);
        diffusion_x0_from_v(ab, xt, v, back, 8);
        diffusion_eps_from_v(ab, xt, v, back2, 8);
        double n_in = 0, n_out = 0;
        for (int i = 0; i < 8; i++) {
            e_v = fmax(e_v, fmax(fabs(back[i] - x0[i]), fabs(back2[i] - eps[i])));
            n_in += x0[i] * x0[i] + eps[i] * eps[i], n_out += xt[i] * xt[i] + v[i] * v[i];
        }
        e_rot = fmax(e_rot, fabs(n_out - n_in) / n_in);
    }
    check_close("common.diffusion.roundtrip_x0_from_eps", e_x0, 0, 1e-15,
                "common.diffusion.conversions",
                "x0 from (x_t, eps), error times sqrt(abar) (its amplification), 5 abar in [1e-4, 0.9999]");
    check_close("common.diffusion.roundtrip_eps_from_x0", e_eps, 0, 1e-15,
                "common.diffusion.conversions", "eps from (x_t, x0), error times sqrt(1-abar)");
    check_close("common.diffusion.roundtrip_v", e_v, 0, 1e-14, "common.diffusion.conversions",
                "x0 and eps from (x_t, v): rotations, no amplification");
    check_close("common.diffusion.v_rotation", e_rot, 0, 1e-14, "common.diffusion.v",
                "|x_t|^2 + |v|^2 = |x0|^2 + |eps|^2 (relative)");
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the DDPM noise schedule module", 36,
              NULL);
    test_linear();
    test_cosine();
    test_zero_terminal();
    test_posterior();
    test_conversions();
    return check_end();
}
