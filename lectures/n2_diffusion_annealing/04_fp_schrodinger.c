/*: # N2 B4 — Fokker–Planck is imaginary-time Schrödinger; thermal activation vs tunnelling

**Study note, bridge lecture B-I, program B4** (spec N004 §3.1 B4). This is the bridge between
the two halves of the note's question: the generator of a reversible diffusion (the forward
process of a diffusion model, the dynamics of simulated annealing) is, after a similarity
transform, a Schrödinger operator $H$ whose ground state is $\sqrt{p_s}$ and whose gap is the
relaxation rate. Quantum annealing runs Schrödinger dynamics in *real* time on a Hamiltonian
of its own; comparing the two on the same double well shows what each is sensitive to:
thermal hopping feels the barrier's **height**, tunnelling its **width**.

What you will see: the OU operator's levels $0, 1, 2$ by imaginary-time split-step FFTW; the
double-well gap against the spec's table and against Kramers' rate, computed to full relative
precision as a birth–death gap (common/tridiag.h); the relaxation of the left-well
population at rate $E_1$; and the tunnelling splitting $\Delta_Q(a)$ against the WKB slope,
next to the thermal gap, which depends on the width only through $a^{-2}$.
Figures: `V_psi0_ps.png`, `arrhenius.png`, `left_relaxation.png`, `tunnel_vs_thermal.png`.

Run: `make run L=n2`, or `build/release/bin/lectures/n2_diffusion_annealing/04_fp_schrodinger`.

| symbol | C name | shape |
|---|---|---|
| $U(x)$, $D$ | `U_dw`, `D` | scalar function, scalar |
| $\psi_0 = e^{-U/(2D)}$ | `psi0` | (n) |
| $V = U'^2/(4D) - U''/2$ | `V` | (n) |
| $E_1$ (gap) | `gap` | scalar |
| $2k$ (Kramers) | `kramers` | scalar |
| $\Delta_Q(a)$ | `dq` | scalar |
*/
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/fft.h"
#include "common/plot.h"
#include "common/tridiag.h"
#include "common/util.h"

static const double PI = 3.14159265358979323846;

static void save(Plot *p, const Cli *cli, const char *name) {
    char err[256];
    if (plot_save(p, cli_out_path(cli, name), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

/*: ## 1. The similarity transform

Overdamped Langevin $dX = -U'(X)dt + \sqrt{2D}\,dW$ has the Fokker–Planck equation
$\partial_t p = \partial_x(U'p) + D\partial_x^2 p$ and stationary law $p_s\propto e^{-U/D}$.
Writing $p = \psi\,e^{-U/(2D)}$ turns it into $\partial_t\psi = -H\psi$ with

$$ H = -D\partial_x^2 + V,\qquad V = \frac{U'^2}{4D} - \frac{U''}{2} = D\frac{\psi_0''}{\psi_0},\qquad
   \psi_0 = e^{-U/(2D)},\quad H\psi_0 = 0,\quad p_s = \frac{\psi_0^2}{\int\psi_0^2} . $$ {#eq:N2.B4.fp_to_schrodinger}

$H$ is symmetric with non-negative spectrum; its eigenvalues are the relaxation rates of the
Fokker–Planck equation, and it is the Schrödinger operator with $\hbar^2/2m\to D$ and time
$t\to -i t$ (imaginary time). Imaginary-time evolution is solved by the split-step Fourier
method (FFTW):

$$ \psi \leftarrow e^{-V\delta\tau/2}\,\mathcal F^{-1}\big[e^{-Dk^2\delta\tau}\,\mathcal F[e^{-V\delta\tau/2}\psi]\big] . $$ {#eq:N2.B4.split_step}

Repeated with normalisation and Gram–Schmidt against the lower states, it converges to the
lowest eigenvectors; the Rayleigh quotient with the spectral Laplacian then gives the
eigenvalue with an error quadratic in the eigenvector's (here $O(\delta\tau^4)$).

For the OU potential $U = x^2/2$, $D = 1$: $V = x^2/4 - 1/2$ (a harmonic oscillator shifted
down by its zero-point energy), so $E_n = n$ exactly.
*/
typedef struct {
    int n;
    double L, h, D;
    double *x, *k2;
} Grid;

static Grid grid_new(int n, double L, double D) {
    Grid g = {n, L, 2 * L / n, D, xmalloc(sizeof(double) * n), xmalloc(sizeof(double) * n)};
    for (int i = 0; i < n; i++) {
        g.x[i] = -L + g.h * i;
        int m = i <= n / 2 ? i : i - n;
        double k = 2 * PI * m / (2 * L);
        g.k2[i] = k * k;
    }
    return g;
}
static void grid_free(Grid *g) { free(g->x), free(g->k2); }

static void split_step(const Grid *g, const double *V, double dt, fft_cplx *buf, double *psi) {
    for (int i = 0; i < g->n; i++) buf[i] = psi[i] * exp(-0.5 * dt * V[i]);
    //: eq. [eq:N2.B4.split_step]: kinetic factor $e^{-Dk^2\delta\tau}$ in Fourier space
    fft_c2c_forward((size_t)g->n, buf, buf);
    for (int i = 0; i < g->n; i++) buf[i] *= exp(-g->D * g->k2[i] * dt);
    fft_c2c_inverse((size_t)g->n, buf, buf);
    for (int i = 0; i < g->n; i++) psi[i] = creal(buf[i]) * exp(-0.5 * dt * V[i]);
}

static double dot(const Grid *g, const double *a, const double *b) {
    double s = 0;
    for (int i = 0; i < g->n; i++) s += a[i] * b[i] * g->h;
    return s;
}

/* <psi, H psi> / <psi, psi> with the spectral Laplacian */
static double rayleigh(const Grid *g, const double *V, const double *psi, fft_cplx *buf) {
    for (int i = 0; i < g->n; i++) buf[i] = psi[i];
    fft_c2c_forward((size_t)g->n, buf, buf);
    for (int i = 0; i < g->n; i++) buf[i] *= g->k2[i];
    fft_c2c_inverse((size_t)g->n, buf, buf);
    double num = 0;
    //: $\langle\psi, H\psi\rangle = \sum_i \psi_i(D\,(-\partial^2\psi)_i + V_i\psi_i)\,h$
    for (int i = 0; i < g->n; i++) num += psi[i] * (g->D * creal(buf[i]) + V[i] * psi[i]) * g->h;
    return num / dot(g, psi, psi);
}

/* lowest `count` states by imaginary time with Gram-Schmidt; start vectors x^j e^{-x^2} */
static void imaginary_time_levels(const Grid *g, const double *V, double dt, double tau, int count,
                                  double *E, double *states) {
    fft_cplx *buf = xmalloc(sizeof(fft_cplx) * g->n);
    for (int s = 0; s < count; s++) {
        double *psi = states + (size_t)s * g->n;
        for (int i = 0; i < g->n; i++) psi[i] = pow(g->x[i], s) * exp(-0.5 * g->x[i] * g->x[i]);
        int steps = (int)(tau / dt);
        for (int t = 0; t < steps; t++) {
            split_step(g, V, dt, buf, psi);
            for (int q = 0; q < s; q++) {
                const double *lo = states + (size_t)q * g->n;
                double c = dot(g, psi, lo);
                for (int i = 0; i < g->n; i++) psi[i] -= c * lo[i];
            }
            double nrm = sqrt(dot(g, psi, psi));
            for (int i = 0; i < g->n; i++) psi[i] /= nrm;
        }
        E[s] = rayleigh(g, V, psi, buf);
    }
    free(buf);
}

static void section_ou(const Cli *cli) {
    Grid g = grid_new(256, 16.0, 1.0);
    double *V = xmalloc(sizeof(double) * g.n), *st = xmalloc(sizeof(double) * 3 * g.n), E[3];
    //: $V = x^2/4 - 1/2$ for $U = x^2/2$, $D = 1$, eq. [eq:N2.B4.fp_to_schrodinger]
    for (int i = 0; i < g.n; i++) V[i] = 0.25 * g.x[i] * g.x[i] - 0.5;
    const double dt = cli->scale == SCALE_QUICK ? 0.01 : 0.005;
    imaginary_time_levels(&g, V, dt, 20.0, 3, E, st);
    printf("OU levels by imaginary-time split-step (dtau = %g): %.12f %.12f %.12f\n", dt, E[0], E[1], E[2]);
    for (int s = 0; s < 3; s++) {
        char id[32];
        snprintf(id, sizeof id, "N2.B4.ou_E%d", s);
        check_close(id, E[s], (double)s, cli->scale == SCALE_QUICK ? 2e-7 : 1e-8, "N2.B4.fp_to_schrodinger",
                    "OU: eigenvalue %d of H = -d^2 + x^2/4 - 1/2 is %d (FP relaxation rate)", s, s);
    }
    // psi0^2 vs N(0, 1): the split-step fixed point is off by O(dtau^2); Richardson removes it
    double *half = xmalloc(sizeof(double) * g.n), E_half;
    imaginary_time_levels(&g, V, 0.5 * dt, 20.0, 1, &E_half, half);
    //: $\psi_0 \approx (4\psi_0(\delta\tau/2) - \psi_0(\delta\tau))/3$
    for (int i = 0; i < g.n; i++) st[i] = (4 * half[i] - st[i]) / 3;
    free(half);
    double l1 = 0, z = dot(&g, st, st);
    for (int i = 0; i < g.n; i++)
        l1 += fabs(st[i] * st[i] / z - exp(-0.5 * g.x[i] * g.x[i]) / sqrt(2 * PI)) * g.h;
    check_close("N2.B4.ou_ground_is_pi", l1, 0, 1e-10, "N2.B4.fp_to_schrodinger",
                "psi0^2 (Richardson in dtau) equals the stationary law N(0,1) (L1 distance)");
    free(V), free(st);
    grid_free(&g);
}

/*: ## 2. The double well: gap vs Kramers

For $U = (x^2-1)^2$ the gap $E_1$ is the rate at which probability leaks between the wells.
Kramers' formula for the rate of escape over a barrier $\Delta U = 1$, with curvatures
$U''(\pm1) = 8$ and $U''(0) = -4$, gives the symmetric-well relaxation rate

$$ E_1 \approx 2k = 2\,\frac{\sqrt{U''(x_{min})\,\lvert U''(x_{saddle})\rvert}}{2\pi}e^{-\Delta U/D} = \frac{\sqrt{32}}{\pi}e^{-1/D} . $$ {#eq:N2.B4.kramers}

The exact gap is computed on the spec's finite-difference discretisation (4000 points on
$[-2.2, 2.2]$) with $V_i = D(\Delta_h\psi_0)_i/\psi_{0,i}$, so that $\psi_0$ is an exact
discrete ground state. Then $H = \frac{D}{h^2}\Psi^{-1}B\Psi^{-1}$ where $B$ is the
weighted path Laplacian with conductances $c_i = \psi_{0,i}\psi_{0,i+1}$, i.e. the generator
of a reversible birth–death chain with stationary law $\psi_0^2$; `birth_death_gap` returns its
gap to full relative precision even when it is $10^{-7}$ of $\lVert H\rVert$ (the boundary
terms of a Dirichlet truncation, $\propto\psi_0(\pm2.2)$, are below $10^{-6}$ relative and are
left out). Two independent routes check it: Sturm bisection on the same matrix (absolute
accuracy $\sim10^{-16}\lVert H\rVert$, enough for $D\ge0.25$) and the spectral split-step on a
periodic grid.
*/
static double U_dw(double x, double a, double hgt) {
    double y = x / a;
    return hgt * (y * y - 1) * (y * y - 1);
}

/* FD chain for U_a on n points of [-X, X]: pi_i = psi0_i^2, c_i = psi0_i psi0_{i+1};
   returns the FP gap E_1 = D/h^2 lambda. */
static double fd_gap(double D, double a, double hgt, double X, int n, double *dsym, double *esym) {
    double *pi = xmalloc(sizeof(double) * n), *c = xmalloc(sizeof(double) * n), *ps = xmalloc(sizeof(double) * n);
    const double h = 2 * X / (n - 1);
    for (int i = 0; i < n; i++) ps[i] = exp(-U_dw(-X + h * i, a, hgt) / (2 * D)), pi[i] = ps[i] * ps[i];
    //: $c_i = \psi_{0,i}\psi_{0,i+1}$, $\pi_i = \psi_{0,i}^2$: eq. [eq:common.tridiag.birth_death]
    for (int i = 0; i < n - 1; i++) c[i] = ps[i] * ps[i + 1];
    double gap = D / (h * h) * birth_death_gap(n, pi, c, NULL);
    if (dsym) {
        //: $H_{ii} = \frac{D}{h^2}(c_{i-1} + c_i)/\psi_{0,i}^2$, $H_{i,i+1} = -\frac{D}{h^2}$
        for (int i = 0; i < n; i++)
            dsym[i] = D / (h * h) * ((i > 0 ? c[i - 1] : 0) + (i < n - 1 ? c[i] : 0)) / pi[i];
        for (int i = 0; i < n - 1; i++) esym[i] = -D / (h * h);
    }
    free(pi), free(c), free(ps);
    return gap;
}

static void section_double_well(const Cli *cli) {
    const double Ds[6] = {0.5, 0.25, 0.125, 0.1, 1.0 / 12, 1.0 / 16};
    const double ref[6] = {2.272734e-1, 2.977965e-2, 5.718714e-4, 7.835754e-5, 1.068857e-5, 1.976077e-7};
    const int n = 4000;
    double *d = xmalloc(sizeof(double) * n), *e = xmalloc(sizeof(double) * n);
    double invD[6], lgap[6], lkr[6];
    for (int k = 0; k < 6; k++) {
        double D = Ds[k], gap = fd_gap(D, 1, 1, 2.2, n, d, e);
        //: eq. [eq:N2.B4.kramers]
        double kramers = sqrt(32.0) / PI * exp(-1 / D);
        printf("D = %.4f  gap E1 = %.6e  Kramers 2k = %.6e  ratio %.4f\n", D, gap, kramers, gap / kramers);
        char id[48];
        snprintf(id, sizeof id, "N2.B4.dw_gap_D%d", k);
        check_rel(id, gap, ref[k], 1e-4, "N2.B4.fp_to_schrodinger",
                  "double-well gap E1 at D = %.4f against the spec table (FD, 4000 points)", D);
        if (D <= 0.125) {
            snprintf(id, sizeof id, "N2.B4.kramers_ratio_D%d", k);
            check_close(id, gap / kramers, 1 - 0.40 * D, 0.01, "N2.B4.kramers",
                        "E1/(2k) at D = %.4f tends to 1 as 1 - 0.40 D (Kramers is asymptotic in 1/D)", D);
        }
        if (D >= 0.25) {
            double e0 = tridiag_eigenvalue(n, d, e, 0), e1 = tridiag_eigenvalue(n, d, e, 1);
            snprintf(id, sizeof id, "N2.B4.dw_bisection_D%d", k);
            check_rel(id, e1 - e0, gap, 1e-6, "N2.B4.fp_to_schrodinger",
                      "Sturm bisection on the same FD matrix: E1 - E0 = %.6e, E0 = %.1e", e1 - e0, e0);
        }
        invD[k] = 1 / D, lgap[k] = gap, lkr[k] = kramers;
    }
    // spectral route at D = 0.25: odd sector by imaginary time (states 0 and 1)
    Grid g = grid_new(cli->scale == SCALE_QUICK ? 256 : 512, 3.0, 0.25);
    double *V = xmalloc(sizeof(double) * g.n), *st = xmalloc(sizeof(double) * 2 * g.n), E[2];
    for (int i = 0; i < g.n; i++) {
        double x = g.x[i], up = 4 * x * (x * x - 1), upp = 12 * x * x - 4;
        //: $V = U'^2/(4D) - U''/2$
        V[i] = up * up / (4 * g.D) - 0.5 * upp;
    }
    imaginary_time_levels(&g, V, 0.002, 12.0, 2, E, st);
    printf("spectral split-step at D = 0.25: E0 = %.3e, E1 = %.8e\n", E[0], E[1]);
    check_rel("N2.B4.dw_spectral_D0.25", E[1], ref[1], 1e-4, "N2.B4.split_step",
              "imaginary-time split-step (FFTW, 512 points, periodic) reproduces E1 at D = 0.25");
    // figures
    Plot *p = plot_new(800, 500, "double well: FP gap E1 vs Kramers 2k (Arrhenius plot)");
    plot_ylog(p, 1);
    plot_series_marker(plot_scatter(p, invD, lgap, 6, "gap E1 (birth-death, FD)"), 4);
    plot_line(p, invD, lkr, 6, "Kramers sqrt(32)/pi e^(-1/D)");
    plot_xlabel(p, "1/D");
    plot_ylabel(p, "rate");
    save(p, cli, "arrhenius.png");
    double *u = xmalloc(sizeof(double) * g.n), *ps = xmalloc(sizeof(double) * g.n), *vv = xmalloc(sizeof(double) * g.n);
    double z = 0;
    for (int i = 0; i < g.n; i++) z += exp(-U_dw(g.x[i], 1, 1) / g.D) * g.h;
    for (int i = 0; i < g.n; i++)
        u[i] = U_dw(g.x[i], 1, 1), ps[i] = exp(-u[i] / g.D) / z, vv[i] = fmin(V[i], 20.0) / 10.0;
    p = plot_new(800, 500, "U = (x^2-1)^2, D = 0.25: potential V/10, ground state, stationary law");
    plot_line(p, g.x, u, g.n, "U");
    plot_line(p, g.x, vv, g.n, "V/10 (clipped)");
    plot_line(p, g.x, st, g.n, "psi0 (normalised)");
    plot_line(p, g.x, ps, g.n, "p_s = psi0^2");
    plot_xlim(p, -2.2, 2.2);
    plot_ylim(p, -0.5, 2.0);
    plot_xlabel(p, "x");
    save(p, cli, "V_psi0_ps.png");
    free(u), free(ps), free(vv), free(V), free(st), free(d), free(e);
    grid_free(&g);
}

/*: ## 3. Relaxation of the left-well population

Start in the left well's local equilibrium, $p(0) \propto p_s\,\mathbf 1[x<0]$. Only odd
eigenfunctions carry $P_{left} - \tfrac12$, so after the fast intra-well modes have died,

$$ P_{left}(t) - \tfrac12 \propto e^{-E_1 t} . $$ {#eq:N2.B4.left_relax}

The program evolves $\psi = p/\psi_0$ by the split-step of eq. split_step at $D = 0.25$
and fits the decay rate. The splitting error is not small here in absolute terms — $V$
reaches $10^4$ at the grid's ends, and the split-step operator's lowest rate comes out near
$-10^{-3}$ instead of 0 (the total mass $\int\psi\psi_0$ slowly grows) — but it is nearly the
same for the two lowest states, so the program divides by the total mass, which removes it.
*/
static void section_relaxation(const Cli *cli) {
    Grid g = grid_new(512, 3.0, 0.25);
    double *V = xmalloc(sizeof(double) * g.n), *psi = xmalloc(sizeof(double) * g.n),
           *psi0 = xmalloc(sizeof(double) * g.n);
    fft_cplx *buf = xmalloc(sizeof(fft_cplx) * g.n);
    for (int i = 0; i < g.n; i++) {
        double x = g.x[i], up = 4 * x * (x * x - 1), upp = 12 * x * x - 4;
        V[i] = up * up / (4 * g.D) - 0.5 * upp;
        psi0[i] = exp(-U_dw(x, 1, 1) / (2 * g.D));
    }
    double z = 0;
    for (int i = 0; i < g.n; i++) z += (g.x[i] < 0 ? psi0[i] * psi0[i] : 0) * g.h;
    //: $\psi(0) = p(0)/\psi_0 = \psi_0\mathbf 1[x<0]/Z_{left}$
    for (int i = 0; i < g.n; i++) psi[i] = g.x[i] < 0 ? psi0[i] / z : 0.0;
    const double dt = 0.005, t1 = 10, t2 = cli->scale == SCALE_QUICK ? 30 : 60;
    enum { NS = 200 };
    double tt[NS], pl[NS];
    int ns = 0;
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int nfit = 0;
    for (int k = 1; k <= (int)(t2 / dt + 0.5); k++) {
        split_step(&g, V, dt, buf, psi);
        if (k % 60 == 0) {
            double t = k * dt, left = 0, total = 0;
            //: $P_{left} = \int_{x<0}\psi\,\psi_0\,dx \big/ \int\psi\,\psi_0\,dx$
            for (int i = 0; i < g.n; i++) {
                left += (g.x[i] < 0 ? psi[i] * psi0[i] : 0.5 * psi[i] * psi0[i] * (g.x[i] == 0)) * g.h;
                total += psi[i] * psi0[i] * g.h;
            }
            left /= total;
            if (ns < NS) tt[ns] = t, pl[ns++] = left - 0.5;
            if (t >= t1) {
                double y = log(left - 0.5);
                sx += t, sy += y, sxx += t * t, sxy += t * y, nfit++;
            }
        }
    }
    double rate = -(nfit * sxy - sx * sy) / (nfit * sxx - sx * sx);
    check_rel("N2.B4.left_relaxation_rate", rate, 2.977965e-2, 0.01, "N2.B4.left_relax",
              "fitted decay rate of P_left - 1/2 on t in [%g, %g] equals the gap E1 at D = 0.25", t1, t2);
    Plot *p = plot_new(800, 500, "D = 0.25: P_left(t) - 1/2 and the e^(-E1 t) law");
    plot_ylog(p, 1);
    plot_line(p, tt, pl, ns, "split-step FP");
    double fit[NS];
    for (int k = 0; k < ns; k++) fit[k] = pl[ns - 1] * exp(-2.977965e-2 * (tt[k] - tt[ns - 1]));
    plot_line(p, tt, fit, ns, "slope -E1");
    plot_xlabel(p, "t");
    save(p, cli, "left_relaxation.png");
    free(V), free(psi), free(psi0), free(buf);
    grid_free(&g);
}

/*: ## 4. Thermal activation feels the height, tunnelling the width

Family $U_a(x) = h\,((x/a)^2-1)^2$: barrier height $h$ at every $a$, width $\propto a$.

*Thermal:* rescaling $x = ay$ maps the generator $D\partial_x^2 - U_a'\partial_x$ to
$a^{-2}(D\partial_y^2 - U_1'\partial_y)$, so the FP gap is exactly $E_1(a) = E_1(1)/a^2$; the
width only enters the prefactor, $d\ln E_1/da = -2/a$, while the height enters as
$e^{-h/D}$.

*Quantum* ($\hbar = m = 1$, $H = -\tfrac12\partial_x^2 + U_a$): the ground-state splitting
decays like $e^{-S}$ with the WKB action under the barrier

$$ S \approx \int_{-a}^{a}\sqrt{2U_a(x)}\,dx = \tfrac43 a\sqrt{2h},\qquad
   \frac{d\ln\Delta_Q}{da}\to -\tfrac43\sqrt{2h} \overset{h=4}{=} -3.771 . $$ {#eq:N2.B4.wkb}

$\Delta_Q$ comes from Sturm bisection on the spec's finite-difference matrix (3000 points on
$[-2.2a, 2.2a]$); its gap is $\ge 10^{-4}$, far above the bisection's accuracy. The zero-point
energy moves the turning points inward, so the local slopes are a few per cent steeper than
WKB's.
*/
static void section_tunnelling(const Cli *cli) {
    const double hgt = 4.0, as[5] = {1, 1.5, 2, 2.5, 3};
    const double ref[5] = {0.46245, 0.068626, 0.0097164, 0.0013692, 1.9405e-4};
    const int n = 3000;
    double *d = xmalloc(sizeof(double) * n), *e = xmalloc(sizeof(double) * n), dq[5], th[5];
    for (int k = 0; k < 5; k++) {
        double a = as[k], X = 2.2 * a, h = 2 * X / (n + 1);
        // Dirichlet FD on the n interior points of [-X, X]
        for (int i = 0; i < n; i++) {
            double x = -X + h * (i + 1);
            //: $H = -\tfrac12\Delta_h + U_a$
            d[i] = 1.0 / (h * h) + U_dw(x, a, hgt), e[i] = -0.5 / (h * h);
        }
        dq[k] = tridiag_eigenvalue(n, d, e, 1) - tridiag_eigenvalue(n, d, e, 0);
        // thermal gap at D = 0.5 (h/D = 8), same family
        th[k] = fd_gap(0.5, a, hgt, 2.2 * a, 2000, NULL, NULL);
        printf("a = %.1f  tunnelling splitting %.6e (spec %.5g)  thermal gap a^2 E1 = %.10e\n", a, dq[k],
               ref[k], th[k] * a * a);
        char id[40];
        snprintf(id, sizeof id, "N2.B4.tunnel_split_a%d", k);
        check_rel(id, dq[k], ref[k], 2e-4, "N2.B4.wkb", "quantum splitting at a = %.1f against the spec table", a);
    }
    double worst_scale = 0;
    for (int k = 1; k < 5; k++) worst_scale = fmax(worst_scale, fabs(th[k] * as[k] * as[k] / th[0] - 1));
    check_close("N2.B4.thermal_width_scaling", worst_scale, 0, 1e-9, "N2.B4.wkb",
                "thermal FP gap scales exactly as a^-2 (width enters the prefactor only)");
    for (int k = 2; k < 5; k++) {
        double slope = (log(dq[k]) - log(dq[k - 1])) / (as[k] - as[k - 1]);
        char id[40];
        snprintf(id, sizeof id, "N2.B4.wkb_slope_a%d", k);
        check_close(id, slope, -4.0 / 3.0 * sqrt(2 * hgt), 0.1 * 4.0 / 3.0 * sqrt(2 * hgt), "N2.B4.wkb",
                    "d ln Delta_Q / da between a = %.1f and %.1f vs WKB -4/3 sqrt(2h) (10%%); thermal: %.3f",
                    as[k - 1], as[k], -2.0 / (0.5 * (as[k] + as[k - 1])));
    }
    Plot *p = plot_new(800, 500, "barrier height 4, width ~ a: tunnelling vs thermal hopping (D = 0.5)");
    plot_ylog(p, 1);
    plot_line(p, as, dq, 5, "quantum splitting Delta_Q(a)");
    plot_line(p, as, th, 5, "thermal FP gap E1(a) = E1(1)/a^2");
    plot_xlabel(p, "width parameter a");
    plot_ylabel(p, "rate / gap");
    save(p, cli, "tunnel_vs_thermal.png");
    free(d), free(e);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "N2 B4: Fokker-Planck <-> imaginary-time Schroedinger, Kramers, tunnelling vs thermal", 204,
              NULL);
    section_ou(&cli);
    section_double_well(&cli);
    section_relaxation(&cli);
    section_tunnelling(&cli);
    return check_end();
}
