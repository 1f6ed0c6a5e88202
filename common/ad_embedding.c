/*: # ad_embedding — rows of a table selected by integer indices

$y_{i,:} = E_{\mathrm{idx}_i,:}$ for a table $E$ of shape $(V, d)$. The derivative selects the
same rows, so $\bar E_{\mathrm{idx}_i,:} \mathrel{+}= \bar y_{i,:}$ (an index that appears twice
collects both rows' gradients).
*/
#include <string.h>

#include "common/ad_internal.h"
#include "common/util.h"

/* aux: the n indices. */
static void embedding_backward(AdTensor *y) {
    AdTensor *table = y->in[0];
    const int *idx = y->aux;
    int n = y->shape[0], d = y->shape[1];
    AdDtype dt = y->dtype;
    //: $\bar E_{\mathrm{idx}_i, j} \mathrel{+}= \bar y_{i,j}$
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            ad_acc(table->grad, dt, (long)idx[i] * d + j, ad_ld(y->grad, dt, (long)i * d + j));
}

AdTensor *ad_embedding(AdArena *arena, AdTensor *table, const int *idx, int n) {
    char s[64];
    if (table->ndim != 2 || n < 1)
        die("ad_embedding: table %s is not (V,d) or n = %d < 1",
            ad_shape_str(table, s, sizeof s), n);
    int vocab = table->shape[0], d = table->shape[1];
    for (int i = 0; i < n; i++)
        if (idx[i] < 0 || idx[i] >= vocab)
            die("ad_embedding: index %d at position %d outside [0,%d) of table %s", idx[i], i,
                vocab, ad_shape_str(table, s, sizeof s));
    int shape[2] = {n, d};
    AdTensor *y = ad_op_out(arena, "ad_embedding", 2, shape, embedding_backward, table, NULL, NULL);
    int *saved = ad_arena_alloc(arena, sizeof(int) * (size_t)n);
    memcpy(saved, idx, sizeof(int) * (size_t)n);
    y->aux = saved;
    if (ad_defer(y)) return y; /* deferred mode: recorded, not computed */
    size_t row = (size_t)d * ad_dtype_size(y->dtype);
    //: $y_{i,:} = E_{\mathrm{idx}_i,:}$
    for (int i = 0; i < n; i++)
        memcpy((char *)y->data + (size_t)i * row, (char *)table->data + (size_t)idx[i] * row, row);
    return y;
}
