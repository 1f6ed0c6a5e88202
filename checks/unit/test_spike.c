/* Unit tests of common/spike.h: the instances' costs, the Dicke Hamiltonian against the
   single-spin closed form, QA's unitarity-free limits, and the exact SA chain against its own
   detailed balance and the no-spike limit. */
#include <math.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/spike.h"
#include "common/tridiag.h"
#include "common/util.h"

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the spike instances", 5, NULL);
    /* costs: thin n = 16 has E(4) = 4 + 16, wide (r = 1) has E(3..5) raised by 4, E(2) and E(6) not */
    double c = fabs(spike_cost(SPIKE_THIN, 16, 4) - 20) + fabs(spike_cost(SPIKE_THIN, 16, 5) - 5) +
               fabs(spike_cost(SPIKE_WIDE, 16, 3) - 7) + fabs(spike_cost(SPIKE_WIDE, 16, 5) - 9) +
               fabs(spike_cost(SPIKE_WIDE, 16, 2) - 2) + fabs(spike_cost(SPIKE_WIDE, 16, 6) - 6) + fabs(spike_cost(SPIKE_NONE, 16, 4) - 4);
    check_close("common.spike.cost", c, 0, 0, NULL, "thin and wide spike heights and widths at n = 16");
    /* n = 1 Dicke H(s) = [[0, -(1-s)], [-(1-s), s]]: gap sqrt(s^2 + 4(1-s)^2) */
    double err = 0;
    for (int k = 1; k < 10; k++) {
        double s = k / 10.0, d[2], e[2];
        spike_dicke_h(SPIKE_NONE, 1, s, d, e);
        double g = tridiag_eigenvalue(2, d, e, 1) - tridiag_eigenvalue(2, d, e, 0);
        err = fmax(err, fabs(g - sqrt(s * s + 4 * (1 - s) * (1 - s))));
    }
    check_close("common.spike.dicke_n1", err, 0, 1e-14, NULL, "n = 1 Dicke gap vs sqrt(s^2 + 4(1-s)^2)");
    /* QA: slow sweep without a spike ends in the ground state; tau -> 0 leaves |+>^n, P(w=0) = 2^-n */
    double slow = spike_qa_success(SPIKE_NONE, 8, 200.0), fast = spike_qa_success(SPIKE_NONE, 8, 1e-6);
    check_close("common.spike.qa_adiabatic", slow, 1, 1e-3, NULL, "no spike, n = 8, tau = 200: P(w = 0) -> 1");
    check_close("common.spike.qa_sudden", fast, pow(2.0, -8), 1e-8, NULL, "tau -> 0: P(w = 0) = 2^-n (sudden limit)");
    /* Metropolis on w: detailed balance C(n,w) e^{-E_w/T} up_w = C(n,w+1) e^{-E_{w+1}/T} down_{w+1} */
    enum { N = 16 };
    double up[N + 1], down[N + 1], db = 0;
    spike_metropolis_rates(SPIKE_THIN, N, 0.7, up, down);
    for (int w = 0; w < N; w++) {
        double lp0 = lgamma(N + 1.0) - lgamma(w + 1.0) - lgamma(N - w + 1.0) - spike_cost(SPIKE_THIN, N, w) / 0.7;
        double lp1 = lgamma(N + 1.0) - lgamma(w + 2.0) - lgamma(N - w + 0.0) - spike_cost(SPIKE_THIN, N, w + 1) / 0.7;
        db = fmax(db, fabs(exp(lp0 - lp1) * up[w] / down[w + 1] - 1));
    }
    check_close("common.spike.detailed_balance", db, 0, 1e-12, NULL, "Metropolis rates on w satisfy detailed balance, thin n = 16, T = 0.7");
    return check_end();
}
