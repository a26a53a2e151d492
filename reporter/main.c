/*
 * storemon-reporter: entry point.  Parses the subcommand and hands over:
 *   batch   the report straight from CSV files (reporter_batch.c)
 *   run     the streaming service (reporter_run.c)
 *   report  trigger a report on the running service (reporter_client.c)
 */
#include "reporter_batch.h"
#include "reporter_client.h"
#include "reporter_run.h"
#include "sm/log.h"
#include "sm/tz.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f) {
        fprintf(f,
                "usage: storemon-reporter COMMAND [OPTIONS]\n"
                "  batch    compute the report from CSV files\n"
                "  run      the streaming reporter service\n"
                "  report   trigger a report on the running service and "
                "print it\n"
                "'storemon-reporter COMMAND --help' describes each.\n");
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
        if (strcmp(argv[1], "batch") == 0)
                ret = sm_batch_main(argc - 1, argv + 1);
        else if (strcmp(argv[1], "run") == 0)
                ret = sm_run_main(argc - 1, argv + 1);
        else if (strcmp(argv[1], "report") == 0)
                ret = sm_client_main(argc - 1, argv + 1);
        else {
                fprintf(stderr, "storemon-reporter: unknown command '%s'\n",
                        argv[1]);
                usage(stderr);
                return 2;
        }
        sm_zone_cache_clear();
        return ret;
}
