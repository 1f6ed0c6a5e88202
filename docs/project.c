/* project — see project.h. */
#include "docs/project.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "docs/mathmd.h"
#include "docs/text.h"

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in `dir` accepted by `keep`. */
static int list_dir(const char *dir, bool (*keep)(const char *), char ***out) {
    DIR *d = opendir(dir);
    *out = NULL;
    if (!d) return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || !keep(de->d_name)) continue;
        *out = xrealloc(*out, (size_t)(n + 1) * sizeof **out);
        (*out)[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    if (n) qsort(*out, (size_t)n, sizeof **out, cmp_str);
    return n;
}

static void free_list(char **v, int n) {
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

static bool ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}
static bool is_lecture_dir(const char *n) { return strchr(n, '_') && !strchr(n, '.'); }
static bool is_program(const char *n) { return n[0] >= '0' && n[0] <= '9' && ends_with(n, ".c"); }
static bool is_header(const char *n) { return ends_with(n, ".h"); }
static bool is_c_or_h(const char *n) { return ends_with(n, ".c") || ends_with(n, ".h"); }
static bool is_unit(const char *n) { return starts_with(n, "test_") && ends_with(n, ".c"); }

static void add_eq(Project *p, const char *id, const Source *s, int line, bool note, bool annotates,
                   const char *tex) {
    for (int i = 0; i < p->neq; i++) {
        if (!strcmp(p->eq[i].id, id)) {
            p->eq[i].ndefs++;
            diag_add(&p->diags, s->path, line, "equation id eq:%s already defined at %s:%d", id,
                     p->eq[i].src->path, p->eq[i].line);
            return;
        }
    }
    p->eq = xrealloc(p->eq, (size_t)(p->neq + 1) * sizeof *p->eq);
    p->eq[p->neq++] = (Equation){xstrdup(id), s, line, note, annotates, 1, tex ? xstrdup(tex) : NULL};
}

/* Equations and references of one source. */
static void index_math(Project *p, const Source *s) {
    for (int i = 0; i < s->lit.n; i++) {
        const Segment *g = &s->lit.seg[i];
        if (g->kind == SEG_CODE) continue;
        bool note = g->kind == SEG_NOTE;
        bool code_follows = i + 1 < s->lit.n && s->lit.seg[i + 1].kind == SEG_CODE &&
                            (!note || s->lit.seg[i + 1].annotated);
        MathText mt;
        math_protect(s->path, g->line, g->text, note, &mt, &p->diags);
        for (int k = 0; k < mt.n; k++) {
            const MathItem *it = &mt.items[k];
            if ((it->kind == MI_DISPLAY && it->eq) || it->kind == MI_LINE_DEF)
                add_eq(p, it->eq, s, it->line, note, code_follows, it->tex);
            else if (it->kind == MI_REF) {
                p->refs = xrealloc(p->refs, (size_t)(p->nrefs + 1) * sizeof *p->refs);
                p->refs[p->nrefs++] = (EqRef){xstrdup(it->eq), s, it->line, note};
            }
        }
        mathtext_free(&mt);
    }
}

/* Function definitions: a line at column 0 "type name(" that does not end in ';'. */
static void index_functions(Project *p, const Source *s) {
    static const char *not_types[] = {"return", "if", "else", "for", "while", "switch", "case",
                                      "do", "typedef", "struct", "enum", "union", NULL};
    for (int i = 0; i < s->lit.n; i++) {
        const Segment *g = &s->lit.seg[i];
        if (g->kind != SEG_CODE) continue;
        const char *q = g->text;
        for (int l = 0; *q; l++) {
            const char *e = strchr(q, '\n');
            size_t n = e ? (size_t)(e - q) : strlen(q);
            char line[512];
            snprintf(line, sizeof line, "%.*s", (int)(n < 511 ? n : 511), q);
            q += n + (e ? 1 : 0);
            if (!((line[0] >= 'a' && line[0] <= 'z') || (line[0] >= 'A' && line[0] <= 'Z') || line[0] == '_'))
                continue;
            char *cmt = strstr(line, "/*");
            if (cmt) *cmt = '\0';
            cmt = strstr(line, "//");
            if (cmt) *cmt = '\0';
            size_t L = strlen(line);
            while (L && (line[L - 1] == ' ' || line[L - 1] == '\t')) line[--L] = '\0';
            if (!L || line[L - 1] == ';' || strchr(line, '=')) continue;
            char *paren = strchr(line, '(');
            if (!paren) continue;
            char *b = paren;
            while (b > line && (b[-1] == '_' || (b[-1] >= 'a' && b[-1] <= 'z') || (b[-1] >= 'A' && b[-1] <= 'Z') || (b[-1] >= '0' && b[-1] <= '9')))
                b--;
            if (b == line || b == paren) continue; /* needs a type before the name */
            bool skip = false;
            for (int k = 0; not_types[k]; k++)
                if (starts_with(line, not_types[k]) && !((line[strlen(not_types[k])] >= 'a') && line[strlen(not_types[k])] <= 'z'))
                    skip = true;
            if (skip) continue;
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)(paren - b), b);
            bool is_static = starts_with(line, "static") && !strstr(line, "inline");
            p->fn = xrealloc(p->fn, (size_t)(p->nfn + 1) * sizeof *p->fn);
            p->fn[p->nfn++] = (Function){xstrdup(name), s, g->line + l, is_static};
        }
    }
}

static int load_source(Project *p, Source *s, const char *path, const char *page) {
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", p->root, path);
    s->path = xstrdup(path);
    s->page = page;
    s->text = read_text_file(full, NULL);
    if (!s->text) {
        diag_add(&p->diags, path, 0, "cannot read");
        s->text = xstrdup("");
    }
    return literate_parse(path, s->text, &s->lit, &p->diags);
}

/* The first Markdown heading of a text ("# Title" -> "Title"), or NULL. */
static char *first_heading(const char *md) {
    for (const char *q = md; q && *q;) {
        while (*q == ' ') q++;
        if (*q == '#') {
            while (*q == '#') q++;
            while (*q == ' ') q++;
            return xstrndup(q, strcspn(q, "\n"));
        }
        q = strchr(q, '\n');
        if (q) q++;
    }
    return NULL;
}

static void load_run(Project *p, Program *g) {
    char *dir = program_out_dir(p->results, g->program);
    char err[512];
    if (results_load(dir, &g->run, err, sizeof err) != 0) diag_add(&p->diags, dir, 0, "%s", err);
    free(dir);
}

static void load_lecture(Project *p, Lecture *L, const char *dir) {
    L->dir = xstrdup(dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/lectures/%s/README.md", p->root, dir);
    L->readme = read_text_file(path, NULL);
    L->title = L->readme ? first_heading(L->readme) : NULL;
    if (!L->title) L->title = xstrdup(dir);
    snprintf(path, sizeof path, "%s/lectures/%s", p->root, dir);
    char **names;
    int n = list_dir(path, is_program, &names);
    L->progs = xcalloc((size_t)(n ? n : 1), sizeof *L->progs);
    L->nprogs = n;
    for (int i = 0; i < n; i++) {
        Program *g = &L->progs[i];
        g->name = path_stem(names[i]);
        Buf b = {0};
        buf_printf(&b, "lectures/%s/%s", dir, g->name);
        g->program = buf_take(&b);
        buf_printf(&b, "lectures/%s/%s.html", dir, g->name);
        g->page = buf_take(&b);
        buf_printf(&b, "lectures/%s/%s", dir, names[i]);
        load_source(p, &g->src, b.s, g->page);
        buf_free(&b);
        g->title = g->src.lit.n && g->src.lit.seg[0].kind == SEG_PROSE ? first_heading(g->src.lit.seg[0].text) : NULL;
        if (!g->title) g->title = xstrdup(g->name);
        load_run(p, g);
    }
    free_list(names, n);
}

/* Modules: the headers that are not "<other header>_x.h"; every file goes to the module with the
   longest name that is its stem or a prefix "<name>_" of it. */
static void load_modules(Project *p, const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", p->root, dir);
    char **hs, **fs;
    int nh = list_dir(path, is_header, &hs), nf = list_dir(path, is_c_or_h, &fs);
    for (int i = 0; i < nh; i++) {
        char *stem = path_stem(hs[i]);
        bool sub = false;
        for (int j = 0; j < nh && !sub; j++) {
            char *other = path_stem(hs[j]);
            size_t L = strlen(other);
            sub = j != i && !strncmp(stem, other, L) && stem[L] == '_';
            free(other);
        }
        if (sub) {
            free(stem);
            continue;
        }
        p->mod = xrealloc(p->mod, (size_t)(p->nmod + 1) * sizeof *p->mod);
        Module *m = &p->mod[p->nmod++];
        memset(m, 0, sizeof *m);
        m->name = stem;
        Buf b = {0};
        buf_printf(&b, "%s/%s.html", dir, stem);
        m->page = buf_take(&b);
    }
    int first_mod = 0;
    for (int k = 0; k < p->nmod; k++)
        if (starts_with(p->mod[k].page, dir)) { first_mod = k; break; }
    for (int h = 0; h < 2; h++) /* headers first, then the .c files */
        for (int i = 0; i < nf; i++) {
            if (ends_with(fs[i], ".h") != (h == 0)) continue;
            char *stem = path_stem(fs[i]);
            Module *best = NULL;
            for (int k = first_mod; k < p->nmod; k++) {
                Module *m = &p->mod[k];
                size_t L = strlen(m->name);
                if (!strncmp(stem, m->name, L) && (stem[L] == '\0' || stem[L] == '_') &&
                    (!best || L > strlen(best->name)))
                    best = m;
            }
            free(stem);
            if (!best) continue;
            best->files = xrealloc(best->files, (size_t)(best->nfiles + 1) * sizeof *best->files);
            Source *s = &best->files[best->nfiles++];
            memset(s, 0, sizeof *s);
            Buf b = {0};
            buf_printf(&b, "%s/%s", dir, fs[i]);
            load_source(p, s, b.s, best->page);
            buf_free(&b);
        }
    free_list(hs, nh);
    free_list(fs, nf);
}

int project_load(Project *p, const char *root, const char *results_root) {
    memset(p, 0, sizeof *p);
    p->root = xstrdup(root);
    p->results = xstrdup(results_root);
    char path[4096];
    snprintf(path, sizeof path, "%s/lectures", root);
    char **dirs;
    int n = list_dir(path, is_lecture_dir, &dirs);
    if (!n) {
        free(dirs);
        DIR *d = opendir(path);
        if (!d) return -1;
        closedir(d);
    }
    p->lec = xcalloc((size_t)(n ? n : 1), sizeof *p->lec);
    p->nlec = n;
    for (int i = 0; i < n; i++) load_lecture(p, &p->lec[i], dirs[i]);
    free_list(dirs, n);
    load_modules(p, "common");
    load_modules(p, "gpu");
    snprintf(path, sizeof path, "%s/checks/unit", root);
    char **units;
    int nu = list_dir(path, is_unit, &units);
    p->units = xcalloc((size_t)(nu ? nu : 1), sizeof *p->units);
    p->nunits = nu;
    for (int i = 0; i < nu; i++) {
        Program *g = &p->units[i];
        g->name = path_stem(units[i]);
        Buf b = {0};
        buf_printf(&b, "checks/unit/%s", g->name);
        g->program = buf_take(&b);
        g->title = xstrdup(g->name);
        load_run(p, g);
    }
    free_list(units, nu);
    /* the marker errors so far are all the parse errors; indexing adds math errors */
    for (int i = 0; i < p->nlec; i++)
        for (int j = 0; j < p->lec[i].nprogs; j++) {
            index_math(p, &p->lec[i].progs[j].src);
            index_functions(p, &p->lec[i].progs[j].src);
        }
    for (int i = 0; i < p->nmod; i++)
        for (int j = 0; j < p->mod[i].nfiles; j++) {
            index_math(p, &p->mod[i].files[j]);
            index_functions(p, &p->mod[i].files[j]);
        }
    /* a display equation referenced from a //: line annotates the code below that line */
    for (int r = 0; r < p->nrefs; r++)
        if (p->refs[r].in_note)
            for (int e = 0; e < p->neq; e++)
                if (!strcmp(p->eq[e].id, p->refs[r].eq)) p->eq[e].annotates = true;
    return p->diags.n;
}

static void free_source(Source *s) {
    free(s->path);
    free(s->text);
    literate_free(&s->lit);
}

static void free_program(Program *g) {
    free(g->program);
    free(g->name);
    free(g->title);
    free(g->page);
    free_source(&g->src);
    results_free(&g->run);
}

void project_free(Project *p) {
    for (int i = 0; i < p->nlec; i++) {
        Lecture *L = &p->lec[i];
        for (int j = 0; j < L->nprogs; j++) free_program(&L->progs[j]);
        free(L->progs);
        free(L->dir);
        free(L->title);
        free(L->readme);
    }
    free(p->lec);
    for (int i = 0; i < p->nmod; i++) {
        for (int j = 0; j < p->mod[i].nfiles; j++) free_source(&p->mod[i].files[j]);
        free(p->mod[i].files);
        free(p->mod[i].name);
        free(p->mod[i].page);
    }
    free(p->mod);
    for (int i = 0; i < p->nunits; i++) free_program(&p->units[i]);
    free(p->units);
    for (int i = 0; i < p->neq; i++) {
        free(p->eq[i].id);
        free(p->eq[i].tex);
    }
    free(p->eq);
    for (int i = 0; i < p->nrefs; i++) free(p->refs[i].eq);
    free(p->refs);
    for (int i = 0; i < p->nfn; i++) free(p->fn[i].name);
    free(p->fn);
    diag_free(&p->diags);
    free(p->root);
    free(p->results);
    memset(p, 0, sizeof *p);
}

const Equation *project_equation(const Project *p, const char *id) {
    for (int i = 0; i < p->neq; i++)
        if (!strcmp(p->eq[i].id, id)) return &p->eq[i];
    return NULL;
}

const Function *project_function(const Project *p, const char *name, const char *from_page) {
    const Function *global = NULL;
    for (int i = 0; i < p->nfn; i++) {
        const Function *f = &p->fn[i];
        if (strcmp(f->name, name)) continue;
        if (!strcmp(f->src->page, from_page)) return f;
        if (!f->is_static && !global && starts_with(f->src->path, "common/")) global = f;
        if (!f->is_static && !global && starts_with(f->src->path, "gpu/")) global = f;
    }
    return global;
}

const char *project_file_page(const Project *p, const char *file, const Lecture *context) {
    for (int i = 0; i < p->nmod; i++)
        for (int j = 0; j < p->mod[i].nfiles; j++) {
            const char *path = p->mod[i].files[j].path;
            if (!strcmp(path, file) || (!strchr(file, '/') && !strcmp(path_base(path), file) && 0))
                return p->mod[i].page;
        }
    if (context)
        for (int j = 0; j < context->nprogs; j++)
            if (!strcmp(path_base(context->progs[j].src.path), file) || !strcmp(context->progs[j].src.path, file))
                return context->progs[j].page;
    return NULL;
}

const char *line_anchor(const Source *s, int line) {
    static char buf[300];
    snprintf(buf, sizeof buf, "%s-L%d", path_base(s->path), line);
    return buf;
}

int project_runs(const Project *p, const Program ***out) {
    int n = p->nunits;
    for (int i = 0; i < p->nlec; i++) n += p->lec[i].nprogs;
    const Program **v = xcalloc((size_t)(n ? n : 1), sizeof *v);
    int k = 0;
    for (int i = 0; i < p->nlec; i++)
        for (int j = 0; j < p->lec[i].nprogs; j++) v[k++] = &p->lec[i].progs[j];
    for (int i = 0; i < p->nunits; i++) v[k++] = &p->units[i];
    *out = v;
    return n;
}
