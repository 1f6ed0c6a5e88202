/*: # quadrature — integrals of smooth 1-D functions

The KL divergence of two 1-D densities, the normalising constant of an energy, the mass of a
kernel density estimate: each is an integral $\int_a^b f(x)\,dx$ of a smooth function.

**Gauss–Legendre.** The $n$-point rule places nodes at the roots $x_i$ of the Legendre polynomial
$P_n$ on $[-1, 1]$ with weights

$$ w_i = \frac{2}{(1 - x_i^2)\,P_n'(x_i)^2}, $$ {#eq:common.quadrature.gl_weight}

and is exact for every polynomial of degree $\le 2n-1$. The polynomials come from Bonnet's
recurrence $(k+1)P_{k+1}(x) = (2k+1)\,x\,P_k(x) - k\,P_{k-1}(x)$ and the derivative from
$(x^2-1)P_n'(x) = n\,(x P_n(x) - P_{n-1}(x))$. Each root is found by Newton's method from the
starting guess $x_i^{(0)} = \cos\!\big(\pi(i - \tfrac14)/(n + \tfrac12)\big)$, which lies close
enough to the $i$-th root that Newton converges to it (quadratically) in a handful of steps.
Nodes are computed for $x > 0$ and mirrored, so the rule is exactly symmetric. An interval
$[a, b]$ is mapped affinely: $\int_a^b f = \frac{b-a}{2}\sum_i w_i
f\big(\frac{a+b}{2} + \frac{b-a}{2}x_i\big)$. The composite rule splits $[a,b]$ into equal
panels and applies the rule on each (for integrands with features narrower than $b - a$).

**Composite Simpson** with $m$ (even) intervals of width $h$:
$\int_a^b f \approx \frac h3\big(f_0 + 4f_1 + 2f_2 + \dots + 4f_{m-1} + f_m\big)$,
with error $-\frac{(b-a)h^4}{180} f^{(4)}(\xi)$: halving $h$ divides the error by 16.
*/
#ifndef COMMON_QUADRATURE_H
#define COMMON_QUADRATURE_H

/* An integrand: f(x; ctx). */
typedef double (*quad_fn)(double x, void *ctx);

/* Nodes (ascending) and weights of the n-point Gauss-Legendre rule on [-1, 1], n >= 1
   (tested to n = 64; accurate well beyond). */
void gauss_legendre(int n, double *nodes, double *weights);

/* n-point Gauss-Legendre on [a, b], n in [1, 256]. */
double quad_gauss_legendre(quad_fn f, void *ctx, double a, double b, int n);
/* The same rule on each of `panels` equal sub-intervals of [a, b]. */
double quad_gauss_legendre_composite(quad_fn f, void *ctx, double a, double b, int n,
                                     int panels);
/* Composite Simpson with m intervals (m even, >= 2). */
double quad_simpson(quad_fn f, void *ctx, double a, double b, int m);

#endif
