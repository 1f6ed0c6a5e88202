/* Fuzz target: the docs generator's source reader: the literate markers of a C file
   (docs/markers.c), then every prose block and note through the math protection and Markdown
   (docs/mathmd.c), as the site generator does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "docs/diag.h"
#include "docs/markers.h"
#include "docs/mathmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *src = xmalloc(size + 1);
    memcpy(src, data, size);
    src[size] = '\0';
    Literate lit;
    Diags d = {0};
    /* the segments are filled (and must be freed) even when the markers have errors */
    literate_parse("fuzz.c", src, &lit, &d);
    for (int i = 0; i < lit.n; i++) {
        if (lit.seg[i].kind == SEG_CODE) continue;
        char *html = md_to_html("fuzz.c", lit.seg[i].line, lit.seg[i].text, lit.seg[i].kind == SEG_NOTE, NULL, &d);
        free(html);
    }
    literate_free(&lit);
    diag_free(&d);
    free(src);
    return 0;
}
