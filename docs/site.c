/* site — see site.h. */
#include "docs/site.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "docs/page_lecture.h"
#include "docs/page_nav.h"
#include "docs/page_source.h"
#include "docs/search_index.h"
#include "docs/text.h"

const char *katex_dir(void) {
    const char *d = getenv("KATEX_DIR");
    return d && *d ? d : "/usr/share/javascript/katex";
}

static void add_page(PageList *l, const char *page) {
    l->pages = xrealloc(l->pages, (size_t)(l->n + 1) * sizeof *l->pages);
    l->pages[l->n++] = xstrdup(page);
}

void pagelist_free(PageList *l) {
    for (int i = 0; i < l->n; i++) free(l->pages[i]);
    free(l->pages);
    l->pages = NULL;
    l->n = 0;
}

static int copy_assets(const Project *p, const char *site, char *err, size_t errlen) {
    char from[4096], to[4096];
    const char *k = katex_dir();
    const char *files[] = {"katex.min.css", "katex.min.js", NULL};
    for (int i = 0; files[i]; i++) {
        snprintf(from, sizeof from, "%s/%s", k, files[i]);
        snprintf(to, sizeof to, "%s/assets/katex/%s", site, files[i]);
        if (copy_file(from, to) != 0) {
            snprintf(err, errlen, "cannot copy %s to %s (is libjs-katex installed?)", from, to);
            return -1;
        }
    }
    snprintf(from, sizeof from, "%s/fonts", k);
    DIR *d = opendir(from);
    if (!d) {
        snprintf(err, errlen, "no KaTeX fonts at %s (is fonts-katex installed?)", from);
        return -1;
    }
    struct dirent *de;
    int nfonts = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        snprintf(from, sizeof from, "%s/fonts/%s", k, de->d_name);
        snprintf(to, sizeof to, "%s/assets/katex/fonts/%s", site, de->d_name);
        if (copy_file(from, to) != 0) {
            closedir(d);
            snprintf(err, errlen, "cannot copy %s", from);
            return -1;
        }
        nfonts++;
    }
    closedir(d);
    if (!nfonts) {
        snprintf(err, errlen, "no KaTeX fonts in %s/fonts", k);
        return -1;
    }
    const char *own[] = {"site.css", "site.js", "search.js", NULL};
    for (int i = 0; own[i]; i++) {
        snprintf(from, sizeof from, "%s/docs/assets/%s", p->root, own[i]);
        snprintf(to, sizeof to, "%s/assets/%s", site, own[i]);
        if (copy_file(from, to) != 0) {
            snprintf(err, errlen, "cannot copy %s", from);
            return -1;
        }
    }
    return 0;
}

static int copy_figures(const Project *p, const Program *g, const char *site) {
    char *out = program_out_dir(p->results, g->program);
    char *dir = figure_dir(g);
    int rc = 0;
    for (int f = 0; f < g->run.nfig; f++) {
        char from[4096], to[4096];
        snprintf(from, sizeof from, "%s/%s", out, g->run.figures[f]);
        snprintf(to, sizeof to, "%s/%s%s", site, dir, g->run.figures[f]);
        if (copy_file(from, to) != 0) rc = -1;
    }
    free(out);
    free(dir);
    return rc;
}

int site_generate(const Project *p, const char *site, PageList *pages, char *err, size_t errlen) {
    memset(pages, 0, sizeof *pages);
    if (mkdir_p(site) != 0) {
        snprintf(err, errlen, "cannot create %s", site);
        return -1;
    }
    if (copy_assets(p, site, err, errlen) != 0) return -1;
    int bad = page_index(site, p);
    add_page(pages, "index.html");
    bad |= search_index_write(p, site) != 0;
    bad |= page_function_index(site, p);
    add_page(pages, "functions.html");
    for (int i = 0; i < p->nlec; i++) {
        const Lecture *L = &p->lec[i];
        const char *names[] = {"index.html", "glossary.html", "equations.html", "errata.html", "gallery.html"};
        bad |= page_lecture_overview(site, p, L);
        bad |= page_glossary(site, p, L);
        bad |= page_equations(site, p, L);
        bad |= page_errata(site, p, L);
        bad |= page_gallery(site, p, L);
        for (int k = 0; k < 5; k++) {
            char page[512];
            snprintf(page, sizeof page, "lectures/%s/%s", L->dir, names[k]);
            add_page(pages, page);
        }
        for (int j = 0; j < L->nprogs; j++) {
            bad |= page_program(site, p, L, &L->progs[j]);
            bad |= copy_figures(p, &L->progs[j], site);
            add_page(pages, L->progs[j].page);
        }
    }
    for (int i = 0; i < p->nmod; i++) {
        bad |= page_module(site, p, &p->mod[i]);
        add_page(pages, p->mod[i].page);
    }
    if (bad) {
        snprintf(err, errlen, "some pages or figures could not be written under %s", site);
        return -1;
    }
    return 0;
}
