/*: # L07 Z5.9 — Next-token prediction is maximum likelihood: a bigram model

**Lecture 7, Part 2, section Z5.9** (character-level next-token MLE, Dirichlet/Laplace
smoothing, held-out NLL, and the softmax cross-entropy identity).

A bigram language model $p_\theta(x_t \mid x_{t-1})$ over the five letters of "abracadabra" is
fitted by counting. The program computes the negative log-likelihood per token on the training
text and on unseen strings, with and without Laplace smoothing, and shows that the
cross-entropy loss of a softmax over logits $\log\hat p$ *is* that NLL.

What you will see: the bigram table; the training NLL of the maximum-likelihood bigram,
0.4159 nats/token on one copy — **not** 0, as the lecture claims ("perfect memorisation"): after
'a' the next letter is genuinely uncertain, and no bigram model can do better than that
conditional entropy; repeating the text raises it towards 0.6055 (the junction adds a→a);
infinite NLL of the unsmoothed MLE on strings with unseen transitions, and finite NLL with
Laplace smoothing. Figure: `nll_floor.png`, gradient descent on the logit table: the training
NLL falls to the counting MLE's value and stays there.

Run: `make run L=07`, or `build/release/bin/lectures/07_mle/08_bigram_lm_mle`.

| symbol | C name | shape |
|---|---|---|
| $V$ (vocabulary a, b, c, d, r) | `V` | scalar |
| $n_{jc}$ (count of the transition $j \to c$) | `counts[j][c]` | (V, V) |
| $\hat\theta_{jc} = p(x_t = c \mid x_{t-1} = j)$ | `prob[j][c]` | (V, V) |
| $\alpha$ (Dirichlet concentration) | `alpha` | scalar |
| logits $f_\theta(x_{<t})$ | `logits[j]` | (V) |
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/check.h"
#include "common/stats.h"
#include "common/cli.h"
#include "common/mathfn.h"
#include "common/plot.h"
#include "common/util.h"

enum { V = 5 };
static const char VOCAB[V + 1] = "abcdr";

static int token_of(char ch) {
    const char *p = strchr(VOCAB, ch);
    if (!p || ch == '\0') die("character '%c' is not in the vocabulary", ch);
    return (int)(p - VOCAB);
}

/* The training text: `copies` copies of "abracadabra" written one after another. */
static void repeat_text(char *buf, size_t len, int copies) {
    buf[0] = '\0';
    for (int k = 0; k < copies; k++) {
        if (strlen(buf) + 12 > len) die("text buffer too small");
        strcat(buf, "abracadabra");
    }
}

/*: ## The maximum-likelihood bigram is a table of relative frequencies

$$ \hat\theta_{\mathrm{MLE}} = \arg\max_\theta \sum_t \log p_\theta(x_t \mid x_{<t}),\qquad
   \hat\theta_{jc} = \frac{n_{jc}}{\sum_{c'} n_{jc'}} $$ {#eq:L07.Z5.9.bigram_mle}

for a model that sees only the previous token (each row $j$ is a categorical distribution fitted
to the letters that follow $j$, exactly as in Z5.1).
*/
static void count_bigrams(const char *text, double counts[V][V]) {
    memset(counts, 0, sizeof(double) * V * V);
    //: $n_{jc}$ = number of transitions $j \to c$, [eq:L07.Z5.9.bigram_mle]
    for (size_t t = 1; text[t]; t++) counts[token_of(text[t - 1])][token_of(text[t])] += 1.0;
}

/*: ## Dirichlet prior: MAP estimate and Laplace smoothing

With a $\mathrm{Dir}(\alpha\mathbf 1)$ prior on each row, the posterior mode is

$$ \hat\theta^{\mathrm{MAP}}_{jc} = \frac{n_{jc} + \alpha - 1}{N_j + V(\alpha - 1)},\qquad N_j = \sum_c n_{jc} $$ {#eq:L07.Z5.9.dirichlet_map}

$\alpha = 1$ (flat prior) gives the MLE back, $\alpha = 2$ is Laplace's add-one smoothing. A row
with no data ($N_j = 0$) is left at zero under the MLE (it is never used on the training text).
*/
static void estimate_rows(const double counts[V][V], double alpha, double prob[V][V]) {
    for (int j = 0; j < V; j++) {
        double n_row = 0.0;
        for (int c = 0; c < V; c++) n_row += counts[j][c];
        for (int c = 0; c < V; c++) {
            double denom = n_row + V * (alpha - 1.0);
            //: $\hat\theta_{jc} = (n_{jc} + \alpha - 1)/(N_j + V(\alpha-1))$, eq. [eq:L07.Z5.9.dirichlet_map]
            prob[j][c] = denom > 0 ? (counts[j][c] + alpha - 1.0) / denom : 0.0;
        }
    }
}

/*: ## Negative log-likelihood per token

$$ \mathrm{NLL} = -\frac1{T-1}\sum_{t=2}^{T} \log \hat\theta_{x_{t-1} x_t} $$ {#eq:L07.Z5.9.nll_per_token}

(the first letter has no predecessor and is not scored). An unseen transition has
$\hat\theta = 0$ and makes the NLL $+\infty$.
*/
static double nll_per_token(const char *text, const double prob[V][V]) {
    double total = 0.0;
    size_t n = 0;
    for (size_t t = 1; text[t]; t++, n++)
        //: $-\log\hat\theta_{x_{t-1}x_t}$, eq. [eq:L07.Z5.9.nll_per_token]
        total -= log(prob[token_of(text[t - 1])][token_of(text[t])]);
    return total / (double)n;
}

/*: ## Softmax cross-entropy is the same NLL

$$ -\log p_\theta(x_t = c \mid x_{<t}) = \operatorname{lse}(\mathrm{logit}) - \mathrm{logit}_c,\qquad
   \mathrm{logit} = f_\theta(x_{<t}) $$ {#eq:L07.Z5.9.softmax_ce}

summed over $t$, this is the lecture's $\mathcal L_{CE}$ (what `nn.CrossEntropyLoss` computes).
Logits $\log\hat\theta_{j\cdot} + b$ reproduce the table for any shift $b$; an impossible letter
has logit $-\infty$, which the log-sum-exp accepts.
*/
static double softmax_ce_nll(const char *text, const double logits[V][V]) {
    double total = 0.0;
    size_t n = 0;
    for (size_t t = 1; text[t]; t++, n++) {
        const double *row = logits[token_of(text[t - 1])];
        //: $\operatorname{lse}(\mathrm{logit}) - \mathrm{logit}_{x_t}$, eq. [eq:L07.Z5.9.softmax_ce]
        total += logsumexp(row, V) - row[token_of(text[t])];
    }
    return total / (double)n;
}

static double row_entropy(const double *p) {
    double h = 0.0;
    //: $H(p) = -\sum_c p_c\log p_c$ (with $0\log 0 = 0$)
    for (int c = 0; c < V; c++) h -= xlogx(p[c]);
    return h;
}

static const char *train = "abracadabra";

/* The fitted tables: bigram counts, and the Dirichlet-MAP rows for alpha = 1 (the MLE) and
   alpha = 2 (Laplace). */
typedef struct {
    double counts[V][V], mle[V][V], laplace[V][V];
} Bigram;

/*: ## Z5.9 Counting the transitions of "abracadabra"

Ten scored tokens, ten transitions: a→b twice, a→c, a→d, b→r twice, r→a twice, c→a, d→a
(spec L07 D28). The counts, and the two tables of eq. [eq:L07.Z5.9.dirichlet_map] built from them.
*/
static void fit_tables(Bigram *b) {
    count_bigrams(train, b->counts);
    //: $\alpha = 1$: the MLE, [eq:L07.Z5.9.dirichlet_map]
    estimate_rows(b->counts, 1.0, b->mle);
    //: $\alpha = 2$: Laplace smoothing, [eq:L07.Z5.9.dirichlet_map]
    estimate_rows(b->counts, 2.0, b->laplace);

    printf("bigram counts of \"%s\" (row = previous letter):\n     ", train);
    for (int c = 0; c < V; c++) printf("  %c", VOCAB[c]);
    printf("\n");
    for (int j = 0; j < V; j++) {
        printf("  %c: ", VOCAB[j]);
        for (int c = 0; c < V; c++) printf(" %2.0f", b->counts[j][c]);
        printf("\n");
    }
    /* The ten transitions: a->b x2, a->c, a->d, b->r x2, r->a x2, c->a, d->a (spec L07 D28). */
    const double expect_counts[V][V] = {
        {0, 2, 1, 1, 0}, {0, 0, 0, 0, 2}, {1, 0, 0, 0, 0}, {1, 0, 0, 0, 0}, {2, 0, 0, 0, 0}};
    check_close("L07.Z5.9.bigram_counts", stats_max_abs_diff(&b->counts[0][0], &expect_counts[0][0], V * V),
                0.0, 0.0, "L07.Z5.9.bigram_mle",
                "bigram counts of abracadabra: a:{b2,c1,d1}, b:{r2}, r:{a2}, c:{a1}, d:{a1}");
}

/*: ## Z5.9 Rows of the table: MLE and Laplace (row 'a', spec L07 D28)

Row 'a' has $N = 4$ transitions: b 2, c 1, d 1. The MLE gives $(0, \tfrac12, \tfrac14, \tfrac14, 0)$
in the order a, b, c, d, r; Laplace gives $(1, 3, 2, 2, 1)/9$.
*/
static void table_rows(const Bigram *b) {
    const double row_a_mle[V] = {0, 0.5, 0.25, 0.25, 0};
    const double row_a_laplace[V] = {1.0 / 9, 3.0 / 9, 2.0 / 9, 2.0 / 9, 1.0 / 9};
    check_close("L07.Z5.9.row_a_mle", stats_max_abs_diff(b->mle[0], row_a_mle, V), 0.0, 1e-15,
                "L07.Z5.9.dirichlet_map", "alpha = 1 (MLE): row 'a' = (0, 1/2, 1/4, 1/4, 0)");
    check_close("L07.Z5.9.row_a_laplace", stats_max_abs_diff(b->laplace[0], row_a_laplace, V), 0.0, 1e-15,
                "L07.Z5.9.dirichlet_map", "alpha = 2 (Laplace): row 'a' = (1, 3, 2, 2, 1)/9");
    double worst_row_sum = 0.0;
    for (int j = 0; j < V; j++) {
        double s1 = 0.0, s2 = 0.0;
        for (int c = 0; c < V; c++) s1 += b->mle[j][c], s2 += b->laplace[j][c];
        worst_row_sum = fmax(worst_row_sum, fmax(fabs(s1 - 1.0), fabs(s2 - 1.0)));
    }
    check_close("L07.Z5.9.rows_sum_to_one", worst_row_sum, 0.0, 1e-15, "L07.Z5.9.dirichlet_map",
                "every row of the MLE and the Laplace table sums to 1");
}

/*: ## Z5.9 The training NLL has a floor: the conditional entropy

Only the transitions out of 'a' are uncertain. Four of the ten scored tokens follow an 'a',
each costing on average the entropy of row 'a',
$H(\tfrac12,\tfrac14,\tfrac14) = 1.0397208$ nats; the other six cost nothing. So the
training NLL of the best bigram is $4 \times 1.0397208 / 10 = 0.4158883$, and no training
can bring it to 0.
*/
static double nll_floor(const Bigram *b) {
    //: training NLL per token, [eq:L07.Z5.9.nll_per_token]
    const double nll_train = nll_per_token(train, b->mle);
    //: the floor: 4 of the 10 scored tokens follow an 'a', each costing $H(\text{row } a)$
    double floor_by_entropy = 4.0 * row_entropy(b->mle[0]) / 10.0;
    printf("training NLL/token (MLE bigram, one copy): %.10f nats (= 4 H(row a) / 10 = %.10f)\n",
           nll_train, floor_by_entropy);
    check_close("L07.Z5.9.nll_one_copy", nll_train, 0.4158883083, 1e-10, "L07.Z5.9.nll_per_token",
                "training NLL/token of the MLE bigram on abracadabra (spec L07 D29)");
    check_close("L07.Z5.9.nll_is_conditional_entropy", nll_train - floor_by_entropy, 0.0, 1e-15,
                "L07.Z5.9.nll_per_token", "training NLL = (4/10) H(row a): the conditional entropy");
    check_erratum("L07.Z5.9.nll_to_zero", 0.0, nll_train,
                  "the lecture: bigram MLE training drives the NLL to 0 (perfect memorisation); "
                  "the floor is the conditional entropy after 'a'");
    return nll_train;
}

/*: ## Z5.9 Repeating the text

$K$ copies joined without a separator add the transition a→a at each junction. Fitting and
scoring on the repeated text: $K = 2$: 0.5455836, $K = 10$: 0.5959434, $K = 100$: 0.6046188,
and as $K \to \infty$ each copy contributes 11 transitions of which 5 leave an 'a' with row
$(1, 2, 1, 1, 0)/5$, so the limit is $\tfrac{5}{11} H(\tfrac15,\tfrac25,\tfrac15,\tfrac15) = 0.6055359$
(spec L07 D29). More copies of the same text make the NLL go *up*, not to zero.
*/
static void repeated_text(void) {
    const int copies[3] = {2, 10, 100};
    const double nll_copies_expect[3] = {0.5455835728, 0.5959433585, 0.6046188045};
    static char text[100 * 11 + 1];
    for (int i = 0; i < 3; i++) {
        double cnt[V][V], prob[V][V];
        repeat_text(text, sizeof text, copies[i]);
        count_bigrams(text, cnt);
        estimate_rows(cnt, 1.0, prob);
        //: refit and score on the repeated text, [eq:L07.Z5.9.nll_per_token]
        double nll = nll_per_token(text, prob);
        printf("K = %3d copies: NLL/token = %.10f\n", copies[i], nll);
        char id[64];
        snprintf(id, sizeof id, "L07.Z5.9.nll_copies_%d", copies[i]);
        check_close(id, nll, nll_copies_expect[i], 1e-10, "L07.Z5.9.nll_per_token",
                    "training NLL/token on %d copies of abracadabra (spec L07 D29)", copies[i]);
    }
    const double row_a_limit[V] = {0.2, 0.4, 0.2, 0.2, 0.0};
    //: the limit $\frac5{11}H(\frac15,\frac25,\frac15,\frac15)$
    double nll_limit = 5.0 / 11.0 * row_entropy(row_a_limit);
    printf("K -> infinity: NLL/token -> %.10f\n", nll_limit);
    check_close("L07.Z5.9.nll_copies_limit", nll_limit, 0.6055359274, 1e-10, "L07.Z5.9.nll_per_token",
                "limit (5/11) H(1/5, 2/5, 1/5, 1/5) of the repeated-text NLL (spec L07 D29)");
}

/*: ## Z5.9 The unigram baseline

Without context, $p(c) = n_c/11$ on one copy: the NLL per token is the entropy of the letter
frequencies $(5, 2, 1, 1, 2)/11$, 1.4142791 nats, three times the bigram's 0.4158883.
*/
static void unigram_baseline(double nll_train) {
    double unigram[V] = {0}, unigram_nll = 0.0;
    for (size_t t = 0; train[t]; t++) unigram[token_of(train[t])] += 1.0 / 11.0;
    //: $-\frac1{11}\sum_t \log p(c_t)$
    for (size_t t = 0; train[t]; t++) unigram_nll -= log(unigram[token_of(train[t])]) / 11.0;
    printf("unigram NLL/token: %.10f (context lowers it to %.10f)\n", unigram_nll, nll_train);
    check_close("L07.Z5.9.unigram_nll", unigram_nll, 1.4142790651, 1e-10, NULL,
                "unigram NLL/token on abracadabra = entropy of (5, 2, 1, 1, 2)/11 (spec L07 Z5.9)");
}

/*: ## Z5.9 Held-out strings: where the MLE breaks and smoothing helps

"cadabra" uses only seen transitions: 0.3465736 under the MLE. "abba" and "dabbar" contain
transitions never seen (b→b, b→a, a→r), so the MLE assigns them probability 0 and the NLL
is $+\infty$ — overfitting in its purest form. Laplace smoothing keeps every NLL finite, at
the price of a higher NLL on the training text itself (1.0792 instead of 0.4159).
*/
static void heldout_strings(const Bigram *b) {
    const char *heldout[4] = {"cadabra", "abba", "dabbar", "abracadabra"};
    const double mle_expect[4] = {0.3465735903, INFINITY, INFINITY, 0.4158883083};
    const double laplace_expect[4] = {1.0824183306, 1.6634775289, 1.6572538906, 1.0791795390};
    printf("%-12s %14s %14s\n", "string", "NLL MLE", "NLL Laplace");
    for (int i = 0; i < 4; i++) {
        double nm = nll_per_token(heldout[i], b->mle), nl = nll_per_token(heldout[i], b->laplace);
        printf("%-12s %14.10f %14.10f\n", heldout[i], nm, nl);
        char id[64];
        if (isinf(mle_expect[i])) {
            snprintf(id, sizeof id, "L07.Z5.9.heldout_mle_inf_%s", heldout[i]);
            check_true(id, isinf(nm) && nm > 0,
                       "MLE bigram NLL on \"%s\" is +inf (an unseen transition)", heldout[i]);
        } else if (i < 3) {
            snprintf(id, sizeof id, "L07.Z5.9.heldout_mle_%s", heldout[i]);
            check_close(id, nm, mle_expect[i], 1e-9, "L07.Z5.9.nll_per_token",
                        "MLE bigram NLL/token on \"%s\" (spec L07 D29)", heldout[i]);
        }
        snprintf(id, sizeof id, "L07.Z5.9.heldout_laplace_%s", heldout[i]);
        check_close(id, nl, laplace_expect[i], 1e-9, "L07.Z5.9.dirichlet_map",
                    "Laplace (alpha = 2) NLL/token on \"%s\" (spec L07 Z5.9)", heldout[i]);
    }
}

/*: ## Z5.9 The softmax cross-entropy identity, numerically

Logits $\log\hat\theta_{j\cdot} + b_j$ with arbitrary row shifts $b_j$: the mean cross-entropy
over the training tokens equals the counting NLL, for the MLE table (with $-\infty$ logits)
and for the Laplace table.
*/
static void softmax_ce_identity(const Bigram *b, double nll_train) {
    double logits_mle[V][V], logits_laplace[V][V];
    for (int j = 0; j < V; j++)
        for (int c = 0; c < V; c++) {
            double shift = 3.7 - 1.3 * j;
            logits_mle[j][c] = log(b->mle[j][c]) + shift; /* log 0 = -inf: an impossible letter */
            logits_laplace[j][c] = log(b->laplace[j][c]) + shift;
        }
    check_close("L07.Z5.9.softmax_ce_mle", softmax_ce_nll(train, logits_mle) - nll_train, 0.0,
                1e-12, "L07.Z5.9.softmax_ce",
                "mean softmax CE with logits log(MLE row) + b equals the counting NLL 0.4158883");
    check_close("L07.Z5.9.softmax_ce_laplace",
                softmax_ce_nll(train, logits_laplace) - nll_per_token(train, b->laplace), 0.0, 1e-12,
                "L07.Z5.9.softmax_ce", "the same identity for the Laplace table (1.0791795)");
    {   /* the Z5.1 logits (0.2, -0.1, 0): CE per target = 0.939831, 1.239831, 1.139831 (spec L07
           D4, given to 12 decimals: each difference is compared separately) */
        const double z[3] = {0.2, -0.1, 0.0}, ce_expect[3] = {0.939831060844, 1.239831060844, 1.139831060844};
        double worst = 0.0, ls[3];
        log_softmax(z, ls, 3);
        for (int c = 0; c < 3; c++)
            worst = fmax(worst, fmax(fabs(logsumexp(z, 3) - z[c] - ce_expect[c]), fabs(ls[c] + ce_expect[c])));
        check_close("L07.Z5.9.ce_z51_logits", worst, 0.0, 1e-12, "L07.Z5.9.softmax_ce",
                    "logits (0.2, -0.1, 0): lse - logit_c = -log_softmax_c = 0.9398, 1.2398, 1.1398");
    }
}

/*: ## Z5.9 Training the logits by gradient descent reaches the same floor

The gradient of the mean CE with respect to row $j$ of a free logit table is
$\frac{N_j}{T-1}\big(\operatorname{softmax}(\mathrm{logit}_j) - \hat\theta_{j\cdot}\big)$ (Z5.1's
$q - \hat p$ weighted by how often $j$ is the context). Gradient descent from zero logits
lowers the NLL towards 0.4158883 and never below it: the counting MLE is the optimum.
*/
static void train_logits(const Cli *cli, const Bigram *b, double nll_train) {
    enum { STEPS = 3000 };
    double logits[V][V] = {{0}}, trace_x[STEPS + 1], trace_nll[STEPS + 1], n_row[V] = {0};
    for (int j = 0; j < V; j++)
        for (int c = 0; c < V; c++) n_row[j] += b->counts[j][c];
    const double lr = 5.0, n_scored = 10.0;
    double min_excess = INFINITY;
    for (int step = 0; step <= STEPS; step++) {
        trace_x[step] = step;
        trace_nll[step] = softmax_ce_nll(train, logits);
        min_excess = fmin(min_excess, trace_nll[step] - nll_train);
        if (step == STEPS) break;
        for (int j = 0; j < V; j++) {
            if (n_row[j] == 0) continue;
            double q[V];
            softmax(logits[j], q, V);
            //: $\mathrm{logit}_j \leftarrow \mathrm{logit}_j - \eta\,\frac{N_j}{T-1}(\operatorname{softmax}(\mathrm{logit}_j) - \hat\theta_{j\cdot})$
            for (int c = 0; c < V; c++)
                logits[j][c] -= lr * n_row[j] / n_scored * (q[c] - b->mle[j][c]);
        }
    }
    printf("gradient descent on the logits: NLL %.6f after 100 steps, %.8f after %d (floor %.8f)\n",
           trace_nll[100], trace_nll[STEPS], STEPS, nll_train);
    check_ge("L07.Z5.9.gd_never_below_floor", min_excess, 0.0, 1e-12, "L07.Z5.9.softmax_ce",
             "min over GD steps of NLL - NLL_MLE >= 0: the counting MLE is the minimum");
    check_le("L07.Z5.9.gd_reaches_floor", trace_nll[STEPS] - nll_train, 1e-3, 0.0, "L07.Z5.9.softmax_ce",
             "after %d GD steps the NLL is within 1e-3 of 0.4158883 (and not near 0)", STEPS);

    Plot *plot = plot_new(720, 440, "Z5.9: training a bigram's logits; the NLL stops at the conditional entropy");
    plot_xlabel(plot, "gradient step");
    plot_ylabel(plot, "training NLL per token (nats)");
    plot_series_color(plot_line(plot, trace_x, trace_nll, STEPS + 1, "softmax CE of the logit table"), PLOT_BLUE);
    PlotSeries *h = plot_hline(plot, nll_train, "counting MLE 0.4159 (the floor)");
    plot_series_color(h, PLOT_GREEN);
    plot_series_dash(h, PLOT_DASHED);
    PlotSeries *z = plot_hline(plot, 0.0, "lecture's claim: NLL -> 0");
    plot_series_color(z, PLOT_RED);
    plot_series_dash(z, PLOT_DOTTED);
    char err[256];
    if (plot_save(plot, cli_out_path(cli, "nll_floor.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(plot);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L07 Z5.9: next-token MLE with a bigram model, Laplace smoothing, softmax-CE = NLL",
              9, NULL);
    Bigram b;
    fit_tables(&b);
    table_rows(&b);
    const double nll_train = nll_floor(&b);
    repeated_text();
    unigram_baseline(nll_train);
    heldout_strings(&b);
    softmax_ce_identity(&b, nll_train);
    train_logits(&cli, &b, nll_train);
    return check_end();
}
