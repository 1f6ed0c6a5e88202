/* The site's ways through it, without a browser (the browser test follows them for real):
   the search index holds every program, equation and library function with its exact anchor;
   a run's "run" record is read back; a run older than its source is called stale. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <utime.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/util.h"
#include "docs/page_nav.h"
#include "docs/project.h"
#include "docs/results.h"
#include "docs/search_index.h"
#include "docs/text.h"

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *q = hay; (q = strstr(q, needle)); q += strlen(needle)) n++;
    return n;
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "docs navigation: search index, run record, staleness", 0, NULL);

    Project p;
    int loaded = project_load(&p, ".", "out");
    check_true("docs.nav.tree_read", loaded >= 0 && p.nlec > 0, "the sources are read (%d lectures)", p.nlec);

    /* the search index: one entry per program, per equation, and the library's functions */
    Buf idx = {0};
    int n = search_index_build(&p, &idx);
    int nprogs = 0;
    for (int i = 0; i < p.nlec; i++) nprogs += p.lec[i].nprogs;
    check_close("docs.nav.index_programs", count(buf_str(&idx), "\n[\"program\","), nprogs, 0, NULL,
                "the search index has one entry per lecture program (%d entries in all)", n);
    check_close("docs.nav.index_equations", count(buf_str(&idx), "\n[\"equation\","), p.neq, 0, NULL,
                "the search index has one entry per equation");
    check_true("docs.nav.index_function_anchor",
               strstr(buf_str(&idx), "[\"function\",\"logsumexp\",\"common/mathfn.c:") &&
                   strstr(buf_str(&idx), "\"common/mathfn.html#fn-logsumexp\"]"),
               "a library function's entry points at its definition's anchor on its module page");
    check_true("docs.nav.index_no_script_end", !strstr(buf_str(&idx), "</"),
               "no entry can close the script early ('<' is escaped)");
    buf_free(&idx);

    /* a run record, read back; then the same run made older than its source */
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/run", cli.out_dir);
    char path[1200];
    snprintf(path, sizeof path, "%s/checks.jsonl", dir);
    const char *jsonl = "{\"kind\":\"run\",\"date\":\"2026-01-02T03:04:05Z\",\"scale\":\"quick\",\"seed\":7,"
                        "\"threads\":2,\"gpu\":\"on\"}\n{\"kind\":\"backend\",\"name\":\"llvmpipe\"}\n"
                        "{\"kind\":\"check\",\"status\":\"PASS\",\"id\":\"x.y.z\",\"value\":1,\"expect\":\"1\","
                        "\"tol\":0,\"eq\":\"\",\"desc\":\"d\"}\n";
    write_text_file(path, jsonl, strlen(jsonl));
    RunResult r;
    char err[256] = "";
    int rc = results_load(dir, &r, err, sizeof err);
    check_true("docs.nav.run_record", rc == 0 && r.info.known && !strcmp(r.info.scale, "quick") &&
                                          !strcmp(r.info.seed, "7") && !strcmp(r.info.threads, "2") &&
                                          !strcmp(r.info.gpu, "on") && !strcmp(r.info.backend, "llvmpipe") && r.n == 1,
               "the run record (scale %s, seed %s, threads %s, gpu %s, backend %s) is read and is not a check (%d checks)",
               r.info.scale, r.info.seed, r.info.threads, r.info.gpu, r.info.backend, r.n);

    Program g = p.lec[0].progs[0]; /* a copy whose run is the one just written */
    g.run = r;
    struct stat st;
    stat(g.src.path, &st);
    struct utimbuf old = {st.st_mtime - 100, st.st_mtime - 100}, newer = {st.st_mtime + 100, st.st_mtime + 100};
    utime(path, &old);
    results_free(&r);
    results_load(dir, &r, err, sizeof err);
    g.run = r;
    bool stale_old = nav_run_stale(&p, &g);
    Buf line = {0};
    nav_run_info(&line, &p, &g);
    results_free(&r);
    utime(path, &newer);
    results_load(dir, &r, err, sizeof err);
    g.run = r;
    bool stale_new = nav_run_stale(&p, &g);
    check_true("docs.nav.stale", stale_old && !stale_new && strstr(buf_str(&line), "stale") &&
                                     strstr(buf_str(&line), "2026-01-02 03:04 UTC"),
               "a run older than its source is called stale on the page, a newer one is not");
    buf_free(&line);
    results_free(&r);
    project_free(&p);
    return check_end();
}
