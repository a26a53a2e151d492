/*
 * storemon-reporter: entry point.  Parses the subcommand and hands over:
 * `batch` computes a report from CSV files (reporter_batch.c).
 */
#include "reporter_batch.h"
#include "sm/log.h"
#include "sm/tz.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f) {
        fprintf(f,
                "usage: storemon-reporter batch [OPTIONS]   (see "
                "'storemon-reporter batch --help')\n");
}

int main(int argc, char **argv) {
        int ret;

        sm_log_init("reporter", SM_LOG_INFO);
        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                usage(stdout);
                return 0;
        }
        if (strcmp(argv[1], "batch") == 0) {
                ret = sm_batch_main(argc - 1, argv + 1);
        } else {
                fprintf(stderr, "storemon-reporter: unknown command '%s'\n",
                        argv[1]);
                usage(stderr);
                return 2;
        }
        sm_zone_cache_clear();
        return ret;
}
