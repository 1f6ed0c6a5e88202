/* data_sets — the named datasets of data/ (dataset_load, dataset_load_or_digits): the top layer
   of the image-data module. It calls the format loaders (data_digits.c, data_idx.c), which call
   only data_images.c; nothing calls back up here. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/data.h"
#include "common/data_private.h"

/* Named datasets. Each lives at a fixed place under data_dir (where data/fetch.sh writes it);
   an IDX file may be there plain (name) or gzip-compressed (name.gz). */

typedef struct {
    const char *name;
    const char *subdir; /* NULL: the digits CSV directly in data_dir */
    const char *images; /* IDX base names */
    const char *labels;
    const char *fetch_as; /* the name data/fetch.sh knows it by */
    int n;
} NamedSet;

static const NamedSet SETS[] = {
    {"digits", NULL, "digits.csv.gz", NULL, NULL, DIGITS_N},
    {"mnist", "mnist", "images-idx3-ubyte", "labels-idx1-ubyte", "mnist", 10000},
    {"fashion-mnist", "fashion-mnist", "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
     "fashion-mnist", 60000},
    {"fashion-mnist-test", "fashion-mnist", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
     "fashion-mnist", 10000},
};

const char *dataset_names(void) { return "digits, mnist, fashion-mnist, fashion-mnist-test"; }

static int is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* "<dir>/<sub>/<base>" (what data/fetch.sh writes) or else "<dir>/<sub>/<base>.gz";
   0 when neither exists. */
static int find_idx(const char *dir, const char *sub, const char *base, char *path, size_t len) {
    snprintf(path, len, "%s/%s/%s", dir, sub, base);
    if (is_file(path)) return 1;
    snprintf(path, len, "%s/%s/%s.gz", dir, sub, base);
    return is_file(path);
}

int dataset_load(const char *data_dir, const char *name, ImageSet *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!data_dir || !*data_dir) data_dir = "data";
    const NamedSet *set = NULL;
    for (size_t i = 0; i < sizeof SETS / sizeof SETS[0]; i++)
        if (name && strcmp(name, SETS[i].name) == 0) set = &SETS[i];
    if (!set)
        return data_fail(err, errlen, "unknown dataset '%s' (known: %s)", name ? name : "(null)",
                         dataset_names());

    char images[2048], labels[2048];
    if (!set->subdir) {
        snprintf(images, sizeof images, "%s/%s", data_dir, set->images);
        if (digits_load(images, out, err, errlen) != 0) return -1;
    } else {
        int have_images = find_idx(data_dir, set->subdir, set->images, images, sizeof images);
        int have_labels = find_idx(data_dir, set->subdir, set->labels, labels, sizeof labels);
        if (!have_images || !have_labels)
            return data_fail(err, errlen,
                             "dataset '%s' is not fetched: %s/%s/%s(.gz) is missing; run "
                             "'data/fetch.sh %s' (or 'make data')",
                             set->name, data_dir, set->subdir,
                             have_images ? set->labels : set->images, set->fetch_as);
        if (idx_load(images, labels, out, err, errlen) != 0) return -1;
        if (out->n != set->n || out->height != 28 || out->width != 28 || out->n_classes != 10) {
            int n = out->n, h = out->height, w = out->width, c = out->n_classes;
            imageset_free(out);
            return data_fail(err, errlen,
                             "%s: expected %d images of 28x28 with labels 0..9, found %d of "
                             "%dx%d with %d classes",
                             images, set->n, n, h, w, c);
        }
    }
    snprintf(out->name, sizeof out->name, "%s", set->name);
    return 0;
}

int dataset_load_or_digits(const char *data_dir, const char *name, ImageSet *out, char *note,
                           size_t notelen) {
    char why[1024];
    if (dataset_load(data_dir, name, out, why, sizeof why) == 0) {
        if (note && notelen) note[0] = '\0';
        return 0;
    }
    char why_digits[1024];
    if (dataset_load(data_dir, "digits", out, why_digits, sizeof why_digits) != 0)
        return data_fail(note, notelen, "%s; and the digits fallback failed too: %s", why,
                         why_digits);
    data_fail(note, notelen, "%s; using the 8x8 digits instead", why);
    return 1;
}
