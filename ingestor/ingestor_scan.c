/*
 * ingestor_scan: a polls file read by several threads (see ingestor.h).
 *
 * Reading and validating ~2.4M rows is a third of a bulk load, and while
 * it runs the producer has nothing to send, so the machine's other cores
 * are idle.  When a file qualifies, it is mapped and cut into one chunk
 * per thread at line ends; each thread feeds its lines, after the header,
 * to its own records.h stream reader (sm_rec_feed: the same field split
 * and the same validation as the file reader the batch report uses), and
 * keeps its accepted polls (store ids interned in its own table) and its
 * bad rows (copied).  The main thread serves the producer and the
 * progress line meanwhile, then joins the threads and merges in chunk
 * order: ids are re-interned into the caller's table, polls concatenated
 * (so file order holds for the stable sort), bad rows published with
 * their physical line numbers (a chunk's first line is known once the
 * lines of the chunks before it are counted).
 *
 * A file qualifies when it has at least SCAN_MIN_BYTES, its header is
 * line 1, and it holds no '"' byte at all: then no quoted field can span
 * lines and each physical line is exactly one record, which is what
 * feeding lines one by one assumes.  Anything else is read by the
 * sequential file reader (return 0).  The threads only touch their own
 * chunk and reader; sm_pub is used by the main thread alone.
 */
#include "ingestor.h"
#include "sm/signals.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCAN_MIN_BYTES   (1 << 20) /* smaller files are read sequentially */
#define SCAN_MAX_THREADS 8         /* at most this many readers */
#define SCAN_TICK_LINES  4096      /* lines between progress updates */

/** A bad row kept for publishing after the join. */
struct bad {
        long rel_line;    /* line within the chunk, 0-based */
        const char *code; /* sm_err_t code (static) */
        char reason[sizeof(((sm_err_t *)0)->reason)]; /* its reason */
        char *raw;      /* copy of the row's text */
        size_t raw_len; /* its length */
};

/** One thread's share. */
struct chunk {
        const char *begin;      /* first byte of its first line */
        const char *end;        /* one past its last byte */
        const char *header;     /* the file's header line */
        size_t header_len;      /* its length */
        const char *name;       /* source name for the reader */
        pthread_t thread;       /* the reader thread */
        int started;            /* thread was created */
        sm_load_poll_t *polls;  /* accepted polls, file order */
        size_t npolls;          /* used */
        size_t cap;             /* allocated */
        sm_strmap_t *ids;       /* store ids seen in this chunk */
        struct bad *bad;        /* bad rows, file order */
        size_t nbad;            /* used */
        size_t badcap;          /* allocated */
        int64_t rows;           /* non-blank rows */
        long nlines;            /* physical lines */
        atomic_size_t done;     /* bytes processed, for progress */
        atomic_long lines_done; /* lines processed, for progress */
        int failed;             /* the header did not parse (cannot
                                 * happen: it was checked before) */
};

static void *scan_chunk(void *arg) {
        struct chunk *c     = arg;
        sm_rec_reader_t *rd = sm_rec_reader_new_stream(SM_REC_POLLS, c->name);
        const char *p       = c->begin;
        sm_rec_t rec;
        sm_err_t err;

        if (sm_rec_feed(rd, c->header, c->header_len, &rec, &err) < 0) {
                c->failed = 1;
                goto out;
        }
        while (p < c->end) {
                const char *nl = memchr(p, '\n', (size_t)(c->end - p));
                const char *e  = nl ? nl : c->end;
                int r = sm_rec_feed(rd, p, (size_t)(e - p), &rec, &err);

                if (r > 0 &&
                    sm_pub_check_store_id(rec.u.poll.store_id.ptr,
                                          rec.u.poll.store_id.len, &err) < 0)
                        r = -EINVAL;
                if (r > 0) {
                        sm_str_t id = rec.u.poll.store_id;
                        if (c->npolls == c->cap)
                                sm_xgrow((void **)&c->polls, &c->cap,
                                         c->npolls + 1, sizeof(*c->polls));
                        c->polls[c->npolls++] = (sm_load_poll_t){
                                .ts    = rec.u.poll.ts,
                                .store = sm_strmap_intern(c->ids, id.ptr,
                                                          id.len, NULL),
                                .flags = rec.u.poll.active ? 1u : 0u,
                        };
                } else if (r < 0) {
                        struct bad *b;
                        if (c->nbad == c->badcap)
                                sm_xgrow((void **)&c->bad, &c->badcap,
                                         c->nbad + 1, sizeof(*c->bad));
                        b           = &c->bad[c->nbad++];
                        b->rel_line = c->nlines;
                        b->code     = err.code;
                        memcpy(b->reason, err.reason, sizeof(b->reason));
                        b->raw_len = rec.raw.len;
                        b->raw     = sm_xstrndup(rec.raw.ptr, rec.raw.len);
                }
                if (r != 0)
                        c->rows++;
                c->nlines++;
                p = nl ? nl + 1 : c->end;
                if (c->nlines % SCAN_TICK_LINES == 0) {
                        atomic_store(&c->done, (size_t)(p - c->begin));
                        atomic_store(&c->lines_done, c->nlines);
                        if (sm_signals_caught())
                                break;
                }
        }
out:
        atomic_store(&c->done, (size_t)(c->end - c->begin));
        sm_rec_reader_destroy(rd);
        return NULL;
}

static int ncpus(void) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        if (n < 1)
                n = 1;
        if (n > SCAN_MAX_THREADS)
                n = SCAN_MAX_THREADS;
        return (int)n;
}

int sm_scan_polls(sm_pub_t *pub,
                  const char *path,
                  const char *name,
                  sm_strmap_t *ids,
                  sm_load_poll_t **ret_polls,
                  size_t *ret_npolls) {
        struct chunk *chunks  = NULL;
        sm_load_poll_t *polls = NULL;
        const char *data, *body, *hdr_end;
        size_t size, total = 0, npolls = 0;
        int64_t rows = 0, accepted = 0;
        void *map = MAP_FAILED;
        int fd, n = ncpus(), ret = 0, k;
        struct stat st;
        long first;

        if (n < 2)
                return 0;
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
                return 0; /* the sequential reader reports it */
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
            st.st_size < SCAN_MIN_BYTES) {
                close(fd);
                return 0;
        }
        size = (size_t)st.st_size;
        map  = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (map == MAP_FAILED)
                return 0;
        data = map;
        /* Qualifies?  Header on line 1 (not blank), no quote anywhere. */
        body    = data;
        hdr_end = memchr(data, '\n', size);
        if (!hdr_end || memchr(data, '"', size))
                goto out;
        {
                const char *h = data;
                size_t hl     = (size_t)(hdr_end - data);
                if (hl >= 3 && memcmp(h, "\xEF\xBB\xBF", 3) == 0)
                        h += 3, hl -= 3;
                while (hl && (h[0] == ' ' || h[0] == '\t' || h[0] == '\r'))
                        h++, hl--;
                if (hl == 0)
                        goto out;
        }
        body = hdr_end + 1;

        chunks = sm_xcalloc((size_t)n, sizeof(*chunks));
        for (k = 0; k < n; k++) {
                struct chunk *c = &chunks[k];
                const char *e;
                c->begin = k == 0 ? body : chunks[k - 1].end;
                e        = body +
                    (size_t)(data + size - body) * (size_t)(k + 1) / (size_t)n;
                if (k == n - 1 || e <= c->begin)
                        e = k == n - 1 ? data + size : c->begin;
                else {
                        const char *nl =
                                memchr(e, '\n', (size_t)(data + size - e));
                        e = nl ? nl + 1 : data + size;
                }
                c->end        = e;
                c->header     = data;
                c->header_len = (size_t)(hdr_end - data);
                c->name       = name;
                c->ids        = sm_strmap_new();
                atomic_init(&c->done, 0);
                atomic_init(&c->lines_done, 0);
        }
        for (k = 0; k < n; k++) {
                if (pthread_create(&chunks[k].thread, NULL, scan_chunk,
                                   &chunks[k]) != 0) {
                        /* Read what is left on this thread. */
                        scan_chunk(&chunks[k]);
                        continue;
                }
                chunks[k].started = 1;
        }
        /* Serve the producer and the progress line while they read. */
        for (;;) {
                size_t done = 0;
                long lines  = 0;
                for (k = 0; k < n; k++) {
                        done += atomic_load(&chunks[k].done);
                        lines += atomic_load(&chunks[k].lines_done);
                }
                sm_pub_progress(pub, "reading polls", lines,
                                (double)(done + (size_t)(body - data)) /
                                        (double)size);
                if (done >= (size_t)(data + size - body))
                        break;
                sm_pub_wait(pub, 20);
        }
        for (k = 0; k < n; k++)
                if (chunks[k].started)
                        pthread_join(chunks[k].thread, NULL);

        /* Merge in chunk order. */
        for (k = 0; k < n; k++) {
                if (chunks[k].failed) {
                        sm_log(SM_LOG_ERR, "load", "%s: header: internal error",
                               name);
                        ret = -EIO;
                        goto out;
                }
                total += chunks[k].npolls;
        }
        polls = sm_xmalloc((total ? total : 1) * sizeof(*polls));
        first = 2;
        for (k = 0; k < n; k++) {
                struct chunk *c = &chunks[k];
                uint32_t nids   = sm_strmap_count(c->ids);
                uint32_t *map_ids =
                        sm_xmalloc((nids ? nids : 1) * sizeof(*map_ids));
                for (uint32_t i = 0; i < nids; i++) {
                        size_t len;
                        const char *id = sm_strmap_key(c->ids, i, &len);
                        map_ids[i]     = sm_strmap_intern(ids, id, len, NULL);
                }
                for (size_t i = 0; i < c->npolls; i++) {
                        polls[npolls]         = c->polls[i];
                        polls[npolls++].store = map_ids[c->polls[i].store];
                }
                free(map_ids);
                for (size_t i = 0; i < c->nbad; i++) {
                        struct bad *b = &c->bad[i];
                        sm_err_t err  = {.source = name,
                                         .line   = first + b->rel_line,
                                         .code   = b->code};
                        sm_str_t raw  = {b->raw, b->raw_len};
                        memcpy(err.reason, b->reason, sizeof(err.reason));
                        (void)sm_pub_reject(pub, &err, raw);
                        sm_pub_serve(pub);
                }
                rows += c->rows;
                accepted += (int64_t)c->npolls;
                first += c->nlines;
        }
        sm_pub_count_rows(pub, SM_REC_POLLS, rows, accepted);
        *ret_polls  = polls;
        *ret_npolls = npolls;
        polls       = NULL;
        ret         = 1;
out:
        for (k = 0; chunks && k < n; k++) {
                free(chunks[k].polls);
                for (size_t i = 0; i < chunks[k].nbad; i++)
                        free(chunks[k].bad[i].raw);
                free(chunks[k].bad);
                sm_strmap_destroy(chunks[k].ids);
        }
        free(chunks);
        free(polls);
        if (map != MAP_FAILED)
                munmap(map, size);
        return ret;
}
