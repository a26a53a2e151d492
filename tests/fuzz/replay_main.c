/*
 * replay_main: runs a fuzz target over files, without libFuzzer.
 *
 * Usage: replay_<target> PATH...   Each PATH is a file or a directory
 * (its regular files, not recursive, in name order).  Every file is read
 * into an exact-size heap buffer (so ASan sees reads past its end) and
 * given to sm_fuzz_one().  A missing directory counts as empty (a target
 * without regressions yet).  Exit status: 0, or 1 if a file cannot be
 * read or no file was found at all.  A bug in the code under test shows
 * as a sanitizer report or a crash.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int run_file(const char *path) {
        FILE *f      = fopen(path, "rb");
        uint8_t *buf = NULL;
        long n;
        int r = -1;

        if (!f) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return -1;
        }
        if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 ||
            fseek(f, 0, SEEK_SET) < 0) {
                fprintf(stderr, "%s: cannot size\n", path);
                goto out;
        }
        /* malloc(0) may return NULL: keep one byte, pass size 0. */
        buf = malloc(n ? (size_t)n : 1);
        if (!buf) {
                fprintf(stderr, "%s: out of memory\n", path);
                goto out;
        }
        if (n && fread(buf, 1, (size_t)n, f) != (size_t)n) {
                fprintf(stderr, "%s: short read\n", path);
                goto out;
        }
        (void)sm_fuzz_one(buf, (size_t)n);
        r = 0;
out:
        free(buf);
        fclose(f);
        return r;
}

static int by_name(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir; adds to *count.  -1 on a read error. */
static int run_dir(const char *dir, long *count) {
        DIR *d = opendir(dir);
        struct dirent *e;
        char **names = NULL;
        size_t n = 0, cap = 0;
        int r = 0;

        if (!d)
                return errno == ENOENT ? 0 : -1;
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                if (n == cap) {
                        cap         = cap ? cap * 2 : 64;
                        char **grow = realloc(names, cap * sizeof(*names));
                        if (!grow) {
                                r = -1;
                                goto out;
                        }
                        names = grow;
                }
                if (!(names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2))) {
                        r = -1;
                        goto out;
                }
                sprintf(names[n], "%s/%s", dir, e->d_name);
                n++;
        }
        qsort(names, n, sizeof(*names), by_name);
        for (size_t i = 0; i < n; i++) {
                struct stat st;
                if (stat(names[i], &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (run_file(names[i]) < 0)
                        r = -1;
                (*count)++;
        }
out:
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        closedir(d);
        return r;
}

int main(int argc, char **argv) {
        long count = 0;
        int bad    = 0;

        if (argc < 2) {
                fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
                return 2;
        }
        if (sm_fuzz_init() < 0) {
                fprintf(stderr, "%s: init failed\n", argv[0]);
                return 1;
        }
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode)) {
                        if (run_file(argv[i]) < 0)
                                bad = 1;
                        count++;
                } else if (run_dir(argv[i], &count) < 0) {
                        fprintf(stderr, "%s: cannot read\n", argv[i]);
                        bad = 1;
                }
        }
        sm_fuzz_fini();
        printf("%s: %ld inputs replayed\n", argv[0], count);
        if (!count) {
                fprintf(stderr, "%s: no input found\n", argv[0]);
                return 1;
        }
        return bad;
}
