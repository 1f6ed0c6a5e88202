/* nn_ref — plain reference loops for GroupNorm, convolution and attention (maths in nn_ref.h;
   introduced for L36 §3.8, programs 10–12). */
#include <math.h>
#include <stdlib.h>

#include "common/nn_ref.h"
#include "common/util.h"

int nn_ref_group_of(int c, int channels, int groups, NnRefGrouping grouping) {
    return grouping == NN_REF_GROUPS_STRIDED ? c % groups : c / (channels / groups);
}

void nn_ref_group_norm(const double *x, int channels, long positions, int groups,
                       NnRefGrouping grouping, int unbiased, const double *gamma,
                       const double *beta, double eps, double *out) {
    if (groups < 1 || channels % groups) die("nn_ref_group_norm: %d channels, %d groups",
                                             channels, groups);
    double *mu = xcalloc((size_t)groups, sizeof *mu), *ss = xcalloc((size_t)groups, sizeof *ss);
    long m = (long)(channels / groups) * positions;
    for (int c = 0; c < channels; c++)
        for (long s = 0; s < positions; s++)
            mu[nn_ref_group_of(c, channels, groups, grouping)] += x[(long)c * positions + s];
    for (int g = 0; g < groups; g++) mu[g] /= (double)m;
    for (int c = 0; c < channels; c++) {
        int g = nn_ref_group_of(c, channels, groups, grouping);
        for (long s = 0; s < positions; s++) {
            double d = x[(long)c * positions + s] - mu[g];
            ss[g] += d * d;
        }
    }
    for (int c = 0; c < channels; c++) {
        int g = nn_ref_group_of(c, channels, groups, grouping);
        double var = ss[g] / (double)(unbiased ? m - 1 : m);
        double r = 1.0 / sqrt(var + eps);
        double ga = gamma ? gamma[c] : 1.0, be = beta ? beta[c] : 0.0;
        for (long s = 0; s < positions; s++) {
            long i = (long)c * positions + s;
            out[i] = ga * (x[i] - mu[g]) * r + be;
        }
    }
    free(mu);
    free(ss);
}

void nn_ref_conv2d(const double *x, int cin, int h, int w, const double *weight,
                   const double *bias, int cout, int k, int stride, int pad, double *out) {
    int ho = (h + 2 * pad - k) / stride + 1, wo = (w + 2 * pad - k) / stride + 1;
    for (int o = 0; o < cout; o++)
        for (int i = 0; i < ho; i++)
            for (int j = 0; j < wo; j++) {
                double acc = bias ? bias[o] : 0.0;
                for (int c = 0; c < cin; c++)
                    for (int u = 0; u < k; u++)
                        for (int v = 0; v < k; v++) {
                            int yy = stride * i + u - pad, xx = stride * j + v - pad;
                            if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                            acc += weight[(((long)o * cin + c) * k + u) * k + v] *
                                   x[((long)c * h + yy) * w + xx];
                        }
                out[((long)o * ho + i) * wo + j] = acc;
            }
}

void nn_ref_attention(const double *q, const double *k, const double *v, int tq, int tk, int d,
                      int dv, double scale, double *p, double *out) {
    double *row = xmalloc((size_t)tk * sizeof *row);
    for (int i = 0; i < tq; i++) {
        double mx = -INFINITY, z = 0;
        for (int j = 0; j < tk; j++) {
            double s = 0;
            for (int a = 0; a < d; a++) s += q[(long)i * d + a] * k[(long)j * d + a];
            row[j] = scale * s;
            if (row[j] > mx) mx = row[j];
        }
        for (int j = 0; j < tk; j++) z += row[j] = exp(row[j] - mx);
        for (int j = 0; j < tk; j++) row[j] /= z;
        for (int b = 0; b < dv; b++) {
            double acc = 0;
            for (int j = 0; j < tk; j++) acc += row[j] * v[(long)j * dv + b];
            out[(long)i * dv + b] = acc;
        }
        if (p)
            for (int j = 0; j < tk; j++) p[(long)i * tk + j] = row[j];
    }
    free(row);
}
