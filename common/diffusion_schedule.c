/* diffusion_schedule — see diffusion_schedule.h (L36 §3.1–3.3, §3.5). */
#include "common/diffusion_schedule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static DiffusionSchedule alloc_schedule(int T) {
    if (T < 1) die("diffusion_schedule: T must be >= 1 (got %d)", T);
    DiffusionSchedule s;
    s.T = T;
    s.beta = xcalloc((size_t)T + 1, sizeof(double));
    s.alpha = xcalloc((size_t)T + 1, sizeof(double));
    s.alpha_bar = xcalloc((size_t)T + 1, sizeof(double));
    s.beta[0] = 0.0, s.alpha[0] = 1.0, s.alpha_bar[0] = 1.0;
    return s;
}

/* alpha and alpha_bar from beta[1..T] by the cumulative product (eq. q_xt_x0). */
static void fill_from_betas(DiffusionSchedule *s) {
    for (int t = 1; t <= s->T; t++) {
        s->alpha[t] = 1.0 - s->beta[t];
        s->alpha_bar[t] = s->alpha_bar[t - 1] * s->alpha[t];
    }
}

/* beta and alpha from alpha_bar[0..T]: beta_t = 1 - abar_t / abar_{t-1}, then alpha_t = 1 - beta_t
   (the invariant of the struct; for the unclipped cosine schedule beta_T rounds to 1, so
   alpha_T = 0 exactly, as in the lecture's code, not the ratio 1.5e-27). */
static void fill_from_alpha_bar(DiffusionSchedule *s) {
    s->alpha_bar[0] = 1.0;
    for (int t = 1; t <= s->T; t++) {
        const double ratio = s->alpha_bar[t - 1] > 0.0 ? s->alpha_bar[t] / s->alpha_bar[t - 1] : 0.0;
        s->beta[t] = 1.0 - ratio;
        s->alpha[t] = 1.0 - s->beta[t];
    }
}

DiffusionSchedule diffusion_schedule_linear(int T, double beta_min, double beta_max) {
    if (T < 2) die("diffusion_schedule_linear: T must be >= 2 (got %d)", T);
    DiffusionSchedule s = alloc_schedule(T);
    for (int t = 1; t <= T; t++)
        s.beta[t] = beta_min + (double)(t - 1) / (double)(T - 1) * (beta_max - beta_min);
    fill_from_betas(&s);
    return s;
}

DiffusionSchedule diffusion_schedule_cosine(int T, double s_off, double beta_clip) {
    DiffusionSchedule s = alloc_schedule(T);
    const double half_pi = 0.5 * M_PI;
    const double f0 = pow(cos(s_off / (1.0 + s_off) * half_pi), 2);
    for (int t = 1; t <= T; t++) {
        const double c = cos(((double)t / T + s_off) / (1.0 + s_off) * half_pi);
        s.alpha_bar[t] = c * c / f0;
    }
    fill_from_alpha_bar(&s);
    if (beta_clip > 0.0) {
        for (int t = 1; t <= T; t++)
            if (s.beta[t] > beta_clip) s.beta[t] = beta_clip;
        fill_from_betas(&s);
    }
    return s;
}

DiffusionSchedule diffusion_schedule_from_betas(int T, const double *beta) {
    DiffusionSchedule s = alloc_schedule(T);
    for (int t = 1; t <= T; t++) s.beta[t] = beta[t];
    fill_from_betas(&s);
    return s;
}

DiffusionSchedule diffusion_schedule_from_alpha_bar(int T, const double *alpha_bar) {
    DiffusionSchedule s = alloc_schedule(T);
    for (int t = 1; t <= T; t++) s.alpha_bar[t] = alpha_bar[t];
    fill_from_alpha_bar(&s);
    return s;
}

DiffusionSchedule diffusion_schedule_copy(const DiffusionSchedule *src) {
    DiffusionSchedule s = alloc_schedule(src->T);
    const size_t bytes = ((size_t)src->T + 1) * sizeof(double);
    memcpy(s.beta, src->beta, bytes);
    memcpy(s.alpha, src->alpha, bytes);
    memcpy(s.alpha_bar, src->alpha_bar, bytes);
    return s;
}

void diffusion_schedule_free(DiffusionSchedule *s) {
    free(s->beta), free(s->alpha), free(s->alpha_bar);
    s->beta = s->alpha = s->alpha_bar = NULL;
    s->T = 0;
}

void diffusion_schedule_rescale_zt_affine(DiffusionSchedule *s) {
    const double abar_T = s->alpha_bar[s->T];
    for (int t = 1; t <= s->T; t++) s->alpha_bar[t] = (s->alpha_bar[t] - abar_T) / (1.0 - abar_T);
    s->alpha_bar[s->T] = 0.0; /* exactly, whatever the rounding of x - x */
    fill_from_alpha_bar(s);
}

void diffusion_schedule_rescale_zt_sqrt(DiffusionSchedule *s) {
    const double sa_1 = sqrt(s->alpha_bar[1]), sa_T = sqrt(s->alpha_bar[s->T]);
    const double scale = sa_1 / (sa_1 - sa_T);
    for (int t = 1; t <= s->T; t++) {
        const double sa = (sqrt(s->alpha_bar[t]) - sa_T) * scale;
        s->alpha_bar[t] = sa * sa;
    }
    s->alpha_bar[s->T] = 0.0;
    fill_from_alpha_bar(s);
}

double diffusion_sqrt_alpha_bar(const DiffusionSchedule *s, int t) { return sqrt(s->alpha_bar[t]); }

double diffusion_sqrt_one_minus_alpha_bar(const DiffusionSchedule *s, int t) {
    return sqrt(1.0 - s->alpha_bar[t]);
}

double diffusion_snr(const DiffusionSchedule *s, int t) {
    const double a = s->alpha_bar[t];
    return a >= 1.0 ? INFINITY : a / (1.0 - a);
}

double diffusion_log_snr(const DiffusionSchedule *s, int t) {
    const double a = s->alpha_bar[t];
    if (a >= 1.0) return INFINITY;
    if (a <= 0.0) return -INFINITY;
    return log(a) - log1p(-a);
}

void diffusion_posterior_coefs(const DiffusionSchedule *s, int t, double *coef_x0,
                               double *coef_xt, double *beta_tilde) {
    const double ab = s->alpha_bar[t], ab_prev = s->alpha_bar[t - 1];
    const double beta = s->beta[t], alpha = s->alpha[t];
    if (coef_x0) *coef_x0 = sqrt(ab_prev) * beta / (1.0 - ab);
    if (coef_xt) *coef_xt = sqrt(alpha) * (1.0 - ab_prev) / (1.0 - ab);
    if (beta_tilde) *beta_tilde = (1.0 - ab_prev) / (1.0 - ab) * beta;
}

double diffusion_beta_tilde(const DiffusionSchedule *s, int t) {
    double bt;
    diffusion_posterior_coefs(s, t, NULL, NULL, &bt);
    return bt;
}

void diffusion_posterior_mean(const DiffusionSchedule *s, int t, const double *x0,
                              const double *xt, double *mu, int n) {
    double c0, ct;
    diffusion_posterior_coefs(s, t, &c0, &ct, NULL);
    for (int i = 0; i < n; i++) mu[i] = c0 * x0[i] + ct * xt[i];
}

void diffusion_mean_from_eps(const DiffusionSchedule *s, int t, const double *xt,
                             const double *eps, double *mu, int n) {
    const double inv_sqrt_alpha = 1.0 / sqrt(s->alpha[t]);
    const double c_eps = s->beta[t] / sqrt(1.0 - s->alpha_bar[t]);
    for (int i = 0; i < n; i++) mu[i] = inv_sqrt_alpha * (xt[i] - c_eps * eps[i]);
}

void diffusion_q_sample(const DiffusionSchedule *s, int t, const double *x0, const double *eps,
                        double *xt, int n) {
    const double a = sqrt(s->alpha_bar[t]), b = sqrt(1.0 - s->alpha_bar[t]);
    for (int i = 0; i < n; i++) xt[i] = a * x0[i] + b * eps[i];
}

void diffusion_x0_from_eps(double alpha_bar, const double *xt, const double *eps, double *x0,
                           int n) {
    const double a = sqrt(alpha_bar), b = sqrt(1.0 - alpha_bar);
    for (int i = 0; i < n; i++) x0[i] = (xt[i] - b * eps[i]) / a;
}

void diffusion_eps_from_x0(double alpha_bar, const double *xt, const double *x0, double *eps,
                           int n) {
    const double a = sqrt(alpha_bar), b = sqrt(1.0 - alpha_bar);
    for (int i = 0; i < n; i++) eps[i] = (xt[i] - a * x0[i]) / b;
}

void diffusion_v_from_x0_eps(double alpha_bar, const double *x0, const double *eps, double *v,
                             int n) {
    const double a = sqrt(alpha_bar), b = sqrt(1.0 - alpha_bar);
    for (int i = 0; i < n; i++) v[i] = a * eps[i] - b * x0[i];
}

void diffusion_x0_from_v(double alpha_bar, const double *xt, const double *v, double *x0, int n) {
    const double a = sqrt(alpha_bar), b = sqrt(1.0 - alpha_bar);
    for (int i = 0; i < n; i++) x0[i] = a * xt[i] - b * v[i];
}

void diffusion_eps_from_v(double alpha_bar, const double *xt, const double *v, double *eps, int n) {
    const double a = sqrt(alpha_bar), b = sqrt(1.0 - alpha_bar);
    for (int i = 0; i < n; i++) eps[i] = b * xt[i] + a * v[i];
}
