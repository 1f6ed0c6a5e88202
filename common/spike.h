/* spike — the Hamming-weight spike instances of the study note's bridge lecture B-II
   (lectures/n2_diffusion_annealing/08_sa_vs_qa.c, section 1, after Farhi–Goldstone–Gutmann
   2002): a cost E(z) = w(z) + h_b 1[|w(z) - n/4| <= r] that depends on the bit string z only
   through its number of ones w. Shared by program 08 (SA vs QA) and program 09 (simulated
   quantum annealing), which must run on the same instances.

   * spike_cost: E(w). Thin: h_b = n, r = 0. Wide: h_b = n/4, r = n/16. None: E = w.
   * spike_dicke_h: H(s) = -(1-s) sum_i sigma^x_i + s E in the Dicke basis |w>, a tridiagonal
     (n+1)x(n+1) matrix, <w+1| sum sigma^x |w> = sqrt((n-w)(w+1)) (08, eq:N2.B8.dicke).
   * spike_qa_success: P(w = 0) after QA along s = t/tau from |+>^n, Crank–Nicolson in the
     Dicke basis, max(400, 8 tau sqrt(n)) steps (08, section 2).
   * spike_metropolis_rates / spike_sa_exact: single-spin-flip Metropolis seen on w (a
     birth–death chain, 08 eq:N2.B8.metropolis_w) and its law propagated exactly from
     Binomial(n, 1/2) along the geometric schedule T = 3 -> 0.05 over sweeps * n steps;
     returns P(w = 0) at the end (08, section 3). */
#ifndef COMMON_SPIKE_H
#define COMMON_SPIKE_H

typedef enum { SPIKE_NONE, SPIKE_THIN, SPIKE_WIDE } SpikeKind;

double spike_cost(SpikeKind inst, int n, int w);
void spike_dicke_h(SpikeKind inst, int n, double s, double *diag, double *off);
double spike_qa_success(SpikeKind inst, int n, double tau);
void spike_metropolis_rates(SpikeKind inst, int n, double T, double *up, double *down);
double spike_sa_exact(SpikeKind inst, int n, int sweeps);

#endif
