/* Unit tests of common/diffusion_solvers.h with the exact denoiser of 1-D Gaussian data, whose
   probability-flow map is known in closed form (the standardised value is invariant):
   observed orders on a log-SNR grid of DDIM (1), DPM-Solver++(2M) (2), Heun (2), UniPC-p (p+1);
   DDIM against the independent DDIM plan runner of common/diffusion_sampler; batching; NFE
   counts; the final denoising node; the Karras grid; bad input. */
#include <math.h>
#include <stdio.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_sampler.h"
#include "common/diffusion_schedule.h"
#include "common/diffusion_solvers.h"
#include "common/gauss.h"

enum { T = 1000 };
static const double MU = 0.5, S2 = 0.25, XT = 1.3;

static double exact_map(double x, double ab_from, double ab_to) {
    const double z = (x - sqrt(ab_from) * MU) / sqrt(ab_from * S2 + 1 - ab_from);
    return sqrt(ab_to) * MU + z * sqrt(ab_to * S2 + 1 - ab_to);
}

static double solve_err(DiffSolver *s, const double *abar, int N, long *nfe) {
    DiffNode nodes[400];
    const int nn = diff_nodes_logsnr(abar, T, N, nodes);
    double x = XT;
    long k = diff_solve(s, nodes, nn, &x, 1, 1);
    if (nfe) *nfe = k;
    return fabs(x - exact_map(XT, abar[T], abar[1]));
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the fast PF-ODE solvers", 29, NULL);
    DiffusionSchedule sch = diffusion_schedule_linear(T, 1e-4, 0.02);
    Gmm data = gmm_new(1, 1);
    const double m[1] = {MU}, v[1] = {S2};
    gmm_set(&data, 0, 1.0, m, v, 0);
    DiffOracle orc = {&data};

    struct {
        DiffSolverKind kind;
        int order;
        double lo, hi;
        long nfe_per_step;
        const char *id;
    } cases[6] = {
        {DIFF_SOLVER_DDIM, 0, 0.9, 1.1, 1, "common.diffusion_solvers.order_ddim"},
        {DIFF_SOLVER_DPMPP_2M, 0, 1.8, 2.3, 1, "common.diffusion_solvers.order_dpmpp2m"},
        {DIFF_SOLVER_HEUN, 0, 1.8, 2.3, 2, "common.diffusion_solvers.order_heun"},
        {DIFF_SOLVER_UNIPC, 1, 1.8, 2.3, 1, "common.diffusion_solvers.order_unipc1"},
        {DIFF_SOLVER_UNIPC, 2, 2.8, 3.2, 1, "common.diffusion_solvers.order_unipc2"},
        {DIFF_SOLVER_UNIPC, 3, 3.7, 4.3, 1, "common.diffusion_solvers.order_unipc3"},
    };
    int nfe_ok = 1;
    for (int c = 0; c < 6; c++) {
        DiffSolver s = {cases[c].kind, cases[c].order, diff_oracle_eps, &orc};
        long nfe1, nfe2;
        const double e1 = solve_err(&s, sch.alpha_bar, 161, &nfe1), e2 = solve_err(&s, sch.alpha_bar, 321, &nfe2);
        nfe_ok &= nfe1 == 160 * cases[c].nfe_per_step && nfe2 == 320 * cases[c].nfe_per_step;
        printf("  %-18s p=%d  e161 = %.4e  e321 = %.4e  NFE %ld/%ld\n", diff_solver_name(cases[c].kind),
               cases[c].order, e1, e2, nfe1, nfe2);
        check_in(cases[c].id, log2(e1 / e2), cases[c].lo, cases[c].hi, "common.diffusion_solvers.exp_integrator",
                 "%s (p = %d) on Gaussian data, linear schedule, log-SNR grid, x_T = 1.3 to t = 1: "
                 "log2(e_161/e_321) against the exact map", diff_solver_name(cases[c].kind), cases[c].order);
    }
    check_true("common.diffusion_solvers.nfe", nfe_ok, "NFE = steps (DDIM, 2M, UniPC) and 2 x steps (Heun)");

    /* DDIM against diff_run with the DDIM plan (an independent implementation), 20 steps, with the
       final step to t = 0 */
    int tau[20];
    DiffNode nodes[21];
    DiffStep plan[20];
    diff_timesteps(T, 20, DIFF_TAU_LINSPACE, tau);
    const int nn = diff_nodes_index(sch.alpha_bar, tau, 20, 1, nodes);
    const int np = diff_plan_ddim(sch.alpha_bar, tau, 20, 0.0, plan);
    double xa[3] = {-1.0, 0.2, 2.5}, xb[3] = {-1.0, 0.2, 2.5};
    DiffSolver ddim = {DIFF_SOLVER_DDIM, 0, diff_oracle_eps, &orc};
    const long nfe_d = diff_solve(&ddim, nodes, nn, xa, 3, 1);
    DiffSampler smp;
    diff_sampler_init(&smp, 3, 1, sch.alpha_bar, diff_oracle_eps, &orc, 1);
    smp.draw_prior = 0;
    diff_run(&smp, plan, np, xb);
    double dmax = 0;
    for (int i = 0; i < 3; i++) dmax = fmax(dmax, fabs(xa[i] - xb[i]));
    check_close("common.diffusion_solvers.ddim_vs_plan", dmax, 0, 1e-12, "common.diffusion_sampler.ddim",
                "DDIM solver with a final node abar = 1 equals the DDIM plan runner (20 steps, 3 chains)");
    check_true("common.diffusion_solvers.final_node_nfe", nfe_d == 20 && nn == 21,
               "21 nodes incl. t = 0: 20 evaluations (reported %ld)", nfe_d);

    /* batching: 3 chains at once = 3 separate solves, bit for bit (UniPC-2) */
    DiffSolver uni = {DIFF_SOLVER_UNIPC, 2, diff_oracle_eps, &orc};
    double xc[3] = {-1.0, 0.2, 2.5};
    diff_solve(&uni, nodes, 20, xc, 3, 1);
    int same = 1;
    for (int i = 0; i < 3; i++) {
        double xi = (i == 0 ? -1.0 : i == 1 ? 0.2 : 2.5);
        diff_solve(&uni, nodes, 20, &xi, 1, 1);
        same &= xi == xc[i];
    }
    check_true("common.diffusion_solvers.batch", same, "UniPC-2 on 3 chains at once equals 3 single-chain solves exactly");

    /* Karras grid: ends exact, abar increasing, rho = 1 is uniform in sigma_bar */
    DiffNode kn[12];
    const double smax = sqrt((1 - sch.alpha_bar[T]) / sch.alpha_bar[T]), smin = sqrt((1 - sch.alpha_bar[1]) / sch.alpha_bar[1]);
    diff_nodes_karras(sch.alpha_bar, T, smin, smax, 7.0, 12, kn);
    int mono = 1;
    for (int i = 1; i < 12; i++) mono &= kn[i].abar > kn[i - 1].abar;
    check_true("common.diffusion_solvers.karras_grid",
               mono && fabs(kn[0].abar - sch.alpha_bar[T]) < 1e-15 && fabs(kn[11].abar - sch.alpha_bar[1]) < 1e-15 &&
                   kn[0].t == T && kn[11].t == 1,
               "Karras grid (rho = 7): ends at abar_T and abar_1 with labels T and 1, abar increasing");
    diff_nodes_karras(sch.alpha_bar, T, smin, smax, 1.0, 12, kn);
    const double mid = sqrt((1 - kn[5].abar) / kn[5].abar);
    check_close("common.diffusion_solvers.karras_rho1", mid, smax + 5.0 / 11 * (smin - smax), 1e-10, NULL,
                "rho = 1: sigma_bar_5 is the 5/11 point of [sigma_max, sigma_min]");

    /* bad input */
    DiffNode bad[2] = {{500, 0.5}, {600, 0.3}};
    double xx = 0;
    DiffSolver u4 = {DIFF_SOLVER_UNIPC, 4, diff_oracle_eps, &orc};
    check_true("common.diffusion_solvers.bad_input",
               diff_solve(&ddim, bad, 2, &xx, 1, 1) == -1 && diff_solve(&u4, nodes, 3, &xx, 1, 1) == -1,
               "decreasing abar and UniPC order 4 are refused (-1)");

    gmm_free(&data);
    diffusion_schedule_free(&sch);
    return check_end();
}
