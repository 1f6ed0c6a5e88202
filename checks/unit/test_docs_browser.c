/* The docs site in a real browser: headless Chromium (Debian's chromium) opens the index and every
   page of the generated site, and a page fails on a KaTeX error element, math left unrendered, a
   console error (failed resource loads included), an image that did not load or a link to a
   missing file or anchor. One page's screenshot goes to the out directory.

   The browser is driven through the DevTools protocol over a pipe (--remote-debugging-pipe:
   JSON messages ended by NUL on file descriptors 3 and 4), so no WebSocket client or Node is
   needed. Without Chromium the test says SKIP with the reason. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/util.h"
#include "docs/json.h"
#include "docs/project.h"
#include "docs/site.h"
#include "docs/text.h"

typedef struct {
    pid_t pid;
    int to, from; /* our ends of the pipes */
    Buf in;       /* bytes read, not yet split */
    int next_id;
    char session[128];
    int console_errors;
    char first_error[512];
    int loaded;
} Browser;

static const char *find_chromium(void) {
    const char *env = getenv("CHROMIUM");
    if (env && access(env, X_OK) == 0) return env;
    static const char *paths[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser", NULL};
    for (int i = 0; paths[i]; i++)
        if (access(paths[i], X_OK) == 0) return paths[i];
    return NULL;
}

static int browser_start(Browser *b, const char *exe, const char *profile) {
    int to[2], from[2];
    if (pipe(to) != 0 || pipe(from) != 0) return -1;
    memset(b, 0, sizeof *b);
    b->pid = fork();
    if (b->pid < 0) return -1;
    if (b->pid == 0) {
        /* fds 3 and 4 for the protocol; the pipes' own numbers may collide, so move them up first */
        int r = fcntl(to[0], F_DUPFD, 10), w = fcntl(from[1], F_DUPFD, 10);
        dup2(r, 3);
        dup2(w, 4);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        for (int fd = 5; fd < 64; fd++) close(fd);
        char dir[4200];
        snprintf(dir, sizeof dir, "--user-data-dir=%s", profile);
        execl(exe, exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--remote-debugging-pipe", "--window-size=1400,1000", dir, "about:blank", (char *)NULL);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    b->to = to[1];
    b->from = from[0];
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static void json_escape(Buf *o, const char *s) {
    buf_putc(o, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') buf_printf(o, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) buf_printf(o, "\\u%04x", *s);
        else buf_putc(o, *s);
    }
    buf_putc(o, '"');
}

static int send_cmd(Browser *b, const char *method, const char *params, bool in_session) {
    Buf m = {0};
    int id = ++b->next_id;
    buf_printf(&m, "{\"id\":%d,\"method\":\"%s\",\"params\":%s", id, method, params ? params : "{}");
    if (in_session) buf_printf(&m, ",\"sessionId\":\"%s\"", b->session);
    buf_puts(&m, "}");
    buf_putc(&m, '\0');
    size_t off = 0;
    while (off < m.len) {
        ssize_t w = write(b->to, m.s + off, m.len - off);
        if (w <= 0) {
            buf_free(&m);
            return -1;
        }
        off += (size_t)w;
    }
    buf_free(&m);
    return id;
}

static void note_error(Browser *b, const char *what) {
    if (!b->console_errors++) snprintf(b->first_error, sizeof b->first_error, "%s", what);
}

static void on_event(Browser *b, const Json *msg) {
    const char *method = json_str(msg, "method");
    const Json *params = json_get(msg, "params");
    if (!method) return;
    if (!strcmp(method, "Page.loadEventFired")) b->loaded = 1;
    else if (!strcmp(method, "Runtime.consoleAPICalled")) {
        const char *type = json_str(params, "type");
        if (type && !strcmp(type, "error")) {
            const Json *args = json_get(params, "args");
            const char *text = args && args->n ? json_str(args->items[0], "value") : NULL;
            note_error(b, text ? text : "console.error");
        }
    } else if (!strcmp(method, "Runtime.exceptionThrown")) {
        const Json *d = json_get(params, "exceptionDetails");
        const char *text = json_str(d, "text");
        note_error(b, text ? text : "exception");
    } else if (!strcmp(method, "Log.entryAdded")) {
        const Json *e = json_get(params, "entry");
        const char *level = json_str(e, "level");
        if (level && !strcmp(level, "error")) {
            char t[512];
            snprintf(t, sizeof t, "%s %s", json_str(e, "text") ? json_str(e, "text") : "",
                     json_str(e, "url") ? json_str(e, "url") : "");
            note_error(b, t);
        }
    }
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Reads messages until the reply to `id` (returned, caller frees) or until `*flag` becomes
   true when id is 0. NULL on timeout or a dead browser. */
static Json *pump(Browser *b, int id, const int *flag, double timeout) {
    double end = now() + timeout;
    for (;;) {
        char *z;
        while (b->in.len && (z = memchr(b->in.s, '\0', b->in.len))) {
            size_t n = (size_t)(z - b->in.s);
            Json *msg = json_parse(b->in.s, n);
            memmove(b->in.s, z + 1, b->in.len - n - 1);
            b->in.len -= n + 1;
            b->in.s[b->in.len] = '\0';
            if (!msg) continue;
            const Json *mid = json_get(msg, "id");
            if (id && mid && (int)mid->number == id) return msg;
            if (!mid) on_event(b, msg);
            json_free(msg);
            if (!id && flag && *flag) return NULL;
        }
        if (!id && flag && *flag) return NULL;
        double left = end - now();
        if (left <= 0) return NULL;
        struct pollfd pf = {b->from, POLLIN, 0};
        int r = poll(&pf, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return NULL;
        char chunk[65536];
        ssize_t got = read(b->from, chunk, sizeof chunk);
        if (got <= 0) return NULL;
        buf_put(&b->in, chunk, (size_t)got);
    }
}

static Json *call(Browser *b, const char *method, const char *params, bool in_session) {
    int id = send_cmd(b, method, params, in_session);
    return id < 0 ? NULL : pump(b, id, NULL, 30.0);
}

static int attach(Browser *b) {
    Json *r = call(b, "Target.getTargets", NULL, false);
    const Json *infos = json_get(json_get(r, "result"), "targetInfos");
    char target[128] = "";
    for (int i = 0; infos && i < infos->n; i++) {
        const char *type = json_str(infos->items[i], "type");
        if (type && !strcmp(type, "page")) {
            snprintf(target, sizeof target, "%s", json_str(infos->items[i], "targetId"));
            break;
        }
    }
    json_free(r);
    if (!target[0]) return -1;
    char params[256];
    snprintf(params, sizeof params, "{\"targetId\":\"%s\",\"flatten\":true}", target);
    r = call(b, "Target.attachToTarget", params, false);
    const char *sid = json_str(json_get(r, "result"), "sessionId");
    if (sid) snprintf(b->session, sizeof b->session, "%s", sid);
    json_free(r);
    if (!b->session[0]) return -1;
    const char *setup[] = {"Page.enable", "Runtime.enable", "Log.enable", NULL};
    for (int i = 0; setup[i]; i++) json_free(call(b, setup[i], NULL, true));
    json_free(call(b, "Emulation.setDeviceMetricsOverride",
                   "{\"width\":1400,\"height\":1000,\"deviceScaleFactor\":1,\"mobile\":false}", true));
    return 0;
}

static const char *inspect_js =
    "(async () => { await document.fonts.ready;"
    " const r = {katex: document.querySelectorAll('.katex-error').length,"
    " math: document.querySelectorAll('.math').length,"
    " rendered: document.querySelectorAll('.math > .katex, .math > .katex-display').length,"
    " bad_images: [], links: []};"
    " document.querySelectorAll('img').forEach(i => { if (!i.complete || i.naturalWidth === 0) r.bad_images.push(i.getAttribute('src')); });"
    " document.querySelectorAll('a[href]').forEach(a => r.links.push(a.href));"
    " document.querySelectorAll('link[href], script[src]').forEach(e => r.links.push(e.href || e.src));"
    " return JSON.stringify(r); })()";

static int hexval(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A link is good when it is a file:// URL to an existing file and, with a fragment, that file
   has an element with that id. Returns NULL when good, else the reason (static). */
static const char *bad_link(const char *url) {
    static char why[700];
    if (!starts_with(url, "file://")) {
        snprintf(why, sizeof why, "not a local file: %.600s", url);
        return why;
    }
    char path[PATH_MAX];
    size_t n = 0;
    const char *p = url + 7;
    for (; *p && *p != '#' && *p != '?' && n + 1 < sizeof path; p++) {
        if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            path[n++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 2;
        } else {
            path[n++] = *p;
        }
    }
    path[n] = '\0';
    if (!file_exists(path)) {
        snprintf(why, sizeof why, "missing file %.600s", path);
        return why;
    }
    if (*p != '#' || !p[1]) return NULL;
    /* every page of the site is read once and kept (the function index alone links to them all) */
    static char **cache_path, **cache_text;
    static int ncache, cap;
    const char *text = NULL;
    for (int i = 0; i < ncache && !text; i++)
        if (!strcmp(cache_path[i], path)) text = cache_text[i];
    if (!text) {
        char *read = read_text_file(path, NULL);
        if (read) {
            if (ncache == cap) {
                cap = cap ? 2 * cap : 64;
                cache_path = xrealloc(cache_path, (size_t)cap * sizeof *cache_path);
                cache_text = xrealloc(cache_text, (size_t)cap * sizeof *cache_text);
            }
            cache_path[ncache] = xstrdup(path);
            cache_text[ncache] = read;
            text = cache_text[ncache++];
        }
    }
    char needle[600];
    snprintf(needle, sizeof needle, "id=\"%s\"", p + 1);
    bool found = text && strstr(text, needle);
    if (found) return NULL;
    snprintf(why, sizeof why, "no anchor #%.300s in %.300s", p + 1, path);
    return why;
}

static int b64(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

static int save_base64(const char *data, const char *path) {
    Buf out = {0};
    unsigned acc = 0;
    int bits = 0;
    for (const char *p = data; *p; p++) {
        int v = b64(*p);
        if (v < 0) continue;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf_putc(&out, (char)((acc >> bits) & 0xFF));
        }
    }
    int rc = out.len > 8 ? write_text_file(path, out.s, out.len) : -1;
    buf_free(&out);
    return rc;
}

/* Loads a URL and waits for its load event; false when it did not load in time. */
static bool navigate(Browser *b, const char *url) {
    Buf pj = {0};
    buf_puts(&pj, "{\"url\":");
    json_escape(&pj, url);
    buf_puts(&pj, "}");
    b->console_errors = 0;
    b->first_error[0] = '\0';
    b->loaded = 0;
    json_free(call(b, "Page.navigate", pj.s, true));
    buf_free(&pj);
    pump(b, 0, &b->loaded, 20.0);
    return b->loaded;
}

/* Runs a JavaScript expression (awaited) in the page; its string value (caller frees) or NULL. */
static char *evaluate(Browser *b, const char *js) {
    Buf ej = {0};
    buf_puts(&ej, "{\"expression\":");
    json_escape(&ej, js);
    buf_puts(&ej, ",\"awaitPromise\":true,\"returnByValue\":true}");
    Json *r = call(b, "Runtime.evaluate", ej.s, true);
    buf_free(&ej);
    const char *v = json_str(json_get(json_get(r, "result"), "result"), "value");
    char *out = v ? xstrdup(v) : NULL;
    json_free(r);
    return out;
}

/* Opens one page and checks it; returns true when clean. */
static bool check_page(Browser *b, const char *site_abs, const char *page, const char *shot) {
    char url[PATH_MAX + 64];
    snprintf(url, sizeof url, "file://%s/%s", site_abs, page);
    bool loaded = navigate(b, url);
    char *value = evaluate(b, inspect_js);
    Json *rep = value ? json_parse(value, strlen(value)) : NULL;
    free(value);
    int katex = (int)json_num(rep, "katex", -1), math = (int)json_num(rep, "math", -1);
    int rendered = (int)json_num(rep, "rendered", -1);
    const Json *imgs = json_get(rep, "bad_images"), *links = json_get(rep, "links");
    int nbad_links = 0;
    char first_link[700] = "";
    for (int i = 0; links && i < links->n; i++) {
        const char *why = links->items[i]->string ? bad_link(links->items[i]->string) : "not a string";
        if (why && !nbad_links++) snprintf(first_link, sizeof first_link, "%s", why);
    }
    int nbad_img = imgs ? imgs->n : -1;
    /* console errors may still arrive: give the page a moment */
    int never = 0;
    pump(b, 0, &never, 0.05);
    bool ok = loaded && rep && katex == 0 && rendered == math && nbad_img == 0 && nbad_links == 0 &&
              b->console_errors == 0;
    char id[512];
    snprintf(id, sizeof id, "docs.browser.%s", page);
    for (char *q = id; *q; q++)
        if (*q == '/') *q = '.';
    char *dot = strstr(id, ".html");
    if (dot) *dot = '\0';
    check_true(id, ok, "%s: %s; KaTeX errors %d, math rendered %d of %d, broken images %d, "
                       "broken links %d of %d%s%s, console errors %d%s%s",
               page, loaded ? "loaded" : "did not load", katex, rendered, math, nbad_img, nbad_links,
               links ? links->n : 0, nbad_links ? " (first: " : "", nbad_links ? first_link : "",
               b->console_errors, b->console_errors ? ": " : "", b->first_error);
    json_free(rep);
    if (shot) {
        Json *s = call(b, "Page.captureScreenshot", "{\"format\":\"png\",\"captureBeyondViewport\":false}", true);
        const char *data = json_str(json_get(s, "result"), "data");
        check_true("docs.browser.screenshot", data && save_base64(data, shot) == 0,
                   "screenshot of %s saved to %s", page, shot);
        json_free(s);
    }
    return ok;
}

/* Types `query` into the search box of the page at `from_url`, follows the first result of kind
   `kind` and checks that it lands on a page whose URL contains `want` and whose fragment names an
   element of that page (the exact anchor). */
static void check_search(Browser *b, const char *id, const char *from_url, const char *query,
                         const char *kind, const char *want) {
    Buf js = {0};
    buf_puts(&js, "(async () => { await new Promise(r => setTimeout(r, 50));"
                  " const box = document.getElementById('search'); box.value = ");
    json_escape(&js, query);
    buf_puts(&js, "; box.dispatchEvent(new Event('input'));"
                  " const hits = [...document.querySelectorAll('#search-results a')];"
                  " const h = hits.find(a => a.querySelector('.kind').textContent === ");
    json_escape(&js, kind);
    buf_puts(&js, "); return JSON.stringify({n: hits.length, href: h ? h.href : ''}); })()");
    bool loaded = navigate(b, from_url);
    char *v = loaded ? evaluate(b, js.s) : NULL;
    buf_free(&js);
    Json *rep = v ? json_parse(v, strlen(v)) : NULL;
    free(v);
    const char *href = json_str(rep, "href");
    int nhits = (int)json_num(rep, "n", 0);
    bool landed = false, anchor = false;
    if (href && *href) {
        landed = navigate(b, href);
        char *found = landed ? evaluate(b, "(() => { const id = decodeURIComponent(location.hash.slice(1));"
                                           " return id && document.getElementById(id) ? 'yes' : 'no'; })()")
                             : NULL;
        anchor = found && !strcmp(found, "yes");
        free(found);
    }
    check_true(id, href && strstr(href, want) && landed && anchor,
               "search '%s': %d results; the first %s result %s%s lands on its anchor (%s)", query, nhits, kind,
               href && *href ? "links to " : "is missing", href && *href ? (strstr(href, "/site/") ? strstr(href, "/site/") + 6 : href) : "",
               anchor ? "found" : "not found");
    json_free(rep);
}

/* Follows the "next" links from the first program of a lecture to its last: every program once, in
   lecture order. */
static void check_prev_next(Browser *b, const char *site_abs, const Lecture *L) {
    char url[PATH_MAX + 64];
    snprintf(url, sizeof url, "file://%s/%s", site_abs, L->progs[0].page);
    int visited = 0, in_order = 0;
    for (int j = 0; j < L->nprogs + 2 && url[0]; j++) {
        if (!navigate(b, url)) break;
        visited++;
        if (j < L->nprogs && strstr(url, L->progs[j].page)) in_order++;
        char *next = evaluate(b, "(() => { const a = document.querySelector('a[rel=next]'); return a ? a.href : ''; })()");
        snprintf(url, sizeof url, "%s", next ? next : "");
        free(next);
    }
    char id[128];
    snprintf(id, sizeof id, "docs.browser.next_walk_%s", L->dir);
    check_true(id, visited == L->nprogs && in_order == L->nprogs,
               "following 'next' from the first program of %s visits %d pages, %d in lecture order (of %d programs)",
               L->dir, visited, in_order, L->nprogs);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "the generated docs site in headless Chromium: KaTeX, links, images, console", 0, NULL);
    const char *exe = find_chromium();
    if (!exe) {
        check_skip("docs.browser.chromium",
                   "Chromium is not installed (checks/deps.sh installs Debian's chromium; or set CHROMIUM)");
        return check_end();
    }
    Project p;
    int load = project_load(&p, ".", "out");
    char site[1200], site_abs[PATH_MAX];
    snprintf(site, sizeof site, "%s/site", cli.out_dir);
    PageList pages = {0};
    char err[1024] = "";
    int gen = load < 0 ? -1 : site_generate(&p, site, &pages, err, sizeof err);
    if (!check_true("docs.browser.generate", gen == 0 && realpath(site, site_abs),
                    "the site is generated into %s (%s)", site, gen == 0 ? "ok" : err)) {
        project_free(&p);
        return check_end();
    }
    char profile[] = "/tmp/docs_browser_XXXXXX";
    Browser b;
    if (!mkdtemp(profile) || browser_start(&b, exe, profile) != 0 || attach(&b) != 0) {
        check_true("docs.browser.start", false, "%s starts and accepts DevTools commands over a pipe", exe);
    } else {
        int clean = 0, first_program = -1;
        for (int i = 0; i < pages.n; i++)
            if (first_program < 0 && starts_with(pages.pages[i], "lectures/") &&
                !strstr(pages.pages[i], "/index.html") && !strstr(pages.pages[i], "glossary") &&
                !strstr(pages.pages[i], "equations") && !strstr(pages.pages[i], "errata"))
                first_program = i;
        char shot[1200];
        snprintf(shot, sizeof shot, "%s/screenshot.png", cli.out_dir);
        int checked = 0;
        for (int i = 0; i < pages.n; i++) {
            /* quick scale: the index and the lecture pages, not the library's */
            if (cli.scale == SCALE_QUICK && starts_with(pages.pages[i], "common/")) continue;
            checked++;
            clean += check_page(&b, site_abs, pages.pages[i], i == first_program ? shot : NULL);
        }
        printf("docs browser: %d of %d pages clean\n", clean, checked);
        for (int i = 0; i < p.nlec; i++)
            if (p.lec[i].nprogs) check_prev_next(&b, site_abs, &p.lec[i]);
        /* search as a reader would: an equation id, a library function, a Greek letter */
        char index_url[PATH_MAX + 64];
        snprintf(index_url, sizeof index_url, "file://%s/index.html", site_abs);
        if (p.neq) {
            char want[300];
            snprintf(want, sizeof want, "#eq:%s", p.eq[0].id);
            check_search(&b, "docs.browser.search_equation", index_url, p.eq[0].id, "equation", want);
        }
        check_search(&b, "docs.browser.search_function", index_url, "logsumexp", "function", "#fn-logsumexp");
        check_search(&b, "docs.browser.search_greek", index_url, "σ", "symbol", "lectures/");
        json_free(call(&b, "Browser.close", NULL, false));
    }
    if (b.pid > 0) {
        close(b.to);
        close(b.from);
        for (int k = 0; k < 50 && waitpid(b.pid, NULL, WNOHANG) == 0; k++) usleep(100000);
        if (waitpid(b.pid, NULL, WNOHANG) == 0) {
            kill(b.pid, SIGKILL);
            waitpid(b.pid, NULL, 0);
        }
    }
    buf_free(&b.in);
    char rm[1200];
    snprintf(rm, sizeof rm, "rm -rf '%s'", profile);
    if (system(rm) != 0) fprintf(stderr, "note: could not remove %s\n", profile);
    pagelist_free(&pages);
    project_free(&p);
    return check_end();
}
