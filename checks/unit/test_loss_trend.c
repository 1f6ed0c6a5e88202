/* Unit tests of common/loss_trend.h: window sizes (head min(n_head, n), tail ceil(f n)), window
   means and standard errors against hand values, the verdict on a falling, a flat and a rising
   history, and a non-finite loss never passing. */
#include <math.h>
#include <stdio.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/loss_trend.h"
#include "common/rng.h"

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the loss-trend verdict", 5, NULL);
    /* 1..10: head (first 4) = {1,2,3,4}: mean 2.5, sample var 5/3, se sqrt(5/12);
       tail (ceil(0.2 * 10) = 2) = {9, 10}: mean 9.5, se 0.5 */
    double v[10];
    for (int i = 0; i < 10; i++) v[i] = i + 1;
    LossTrend t = loss_trend(v, 10, 4, 0.2);
    check_true("unit.loss_trend.sizes", t.n_head == 4 && t.n_tail == 2, "head 4, tail ceil(0.2 * 10) = 2 (got %ld, %ld)",
               t.n_head, t.n_tail);
    check_close("unit.loss_trend.head_mean", t.head_mean, 2.5, 0, NULL, "mean of {1, 2, 3, 4}");
    check_close("unit.loss_trend.head_se", t.head_se, sqrt(5.0 / 12.0), 1e-15, NULL, "se of {1, 2, 3, 4}: sqrt((5/3)/4)");
    check_close("unit.loss_trend.tail_se", t.tail_se, 0.5, 1e-15, NULL, "se of {9, 10}: sqrt(0.5/2)");
    check_true("unit.loss_trend.rising_fails", !(t.tail_mean <= loss_trend_bound(&t, 1.0, 0.0)),
               "a rising history does not pass as falling (tail %.2f, head %.2f)", t.tail_mean, t.head_mean);
    /* 10..1 falls: tail 1.5 <= 8.5 - 3 sqrt(5/12 + 1/4) */
    for (int i = 0; i < 10; i++) v[i] = 10 - i;
    t = loss_trend(v, 10, 4, 0.2);
    check_close("unit.loss_trend.bound", loss_trend_bound(&t, 0.5, 3.0), 0.5 * 8.5 - 3 * sqrt(5.0 / 12.0 + 0.25), 1e-15, NULL,
                "bound c head - k sqrt(se_h^2 + se_t^2) for c = 1/2, k = 3");
    check_true("unit.loss_trend.falling_passes", t.tail_mean <= loss_trend_bound(&t, 0.5, 3.0), "10..1 halves with a 3 se margin");
    /* tail size rounding and the one-value windows */
    LossTrend b = loss_trend(v, 6, 10, 0.1), c = loss_trend(v, 1, 10, 0.1);
    check_true("unit.loss_trend.tail_rounding", loss_trend(v, 10, 10, 0.1).n_tail == 1 && b.n_tail == 1 && b.n_head == 6 &&
                                                    c.n_head == 1 && c.n_tail == 1 && c.tail_se == 0,
               "ceil(0.1 n) for n = 10, 6; head min(10, n); one value: se 0");
    /* a flat noisy history: 400 draws of N(1, 0.1^2); with k = 4 it must not pass as a decrease */
    double w[400];
    Rng r;
    rng_init(&r, cli.seed, 0);
    for (int i = 0; i < 400; i++) w[i] = 1 + 0.1 * rng_normal(&r);
    t = loss_trend(w, 400, 40, 0.1);
    check_true("unit.loss_trend.flat_fails", !(t.tail_mean <= loss_trend_bound(&t, 1.0, 4.0)),
               "flat noise (head %.4f +- %.4f, tail %.4f +- %.4f) is not a decrease at k = 4", t.head_mean, t.head_se,
               t.tail_mean, t.tail_se);
    v[9] = NAN;
    t = loss_trend(v, 10, 4, 0.2);
    check_true("unit.loss_trend.nan_fails", !(t.tail_mean <= loss_trend_bound(&t, 1.0, 0.0)), "a NaN in the tail never passes");
    return check_end();
}
