/*
 * storemon-gateway: the HTTP API of storemon.
 *
 *   storemon-gateway --brokers ADDR --port N --db FILE [OPTIONS]
 *
 * Parse the settings (gateway_conf.c), init (gateway_service.c: SQLite,
 * the results and trigger threads, the HTTP server), run until SIGINT or
 * SIGTERM, shut down in order.  Exit 0 after a signal, 1 after a fatal
 * error, 2 for a usage error.
 */
#include "gateway_conf.h"
#include "gateway_service.h"
#include "sm/log.h"
#include "sm/signals.h"

#include <errno.h>

int main(int argc, char **argv) {
        const sm_gw_settings_t *s;
        sm_gw_conf_t *conf;
        sm_gw_t *gw;
        int r;

        sm_log_init("gateway", SM_LOG_INFO);
        r = sm_gw_conf_parse(argc, argv, &conf, &s);
        if (r != 0)
                return r > 0 ? 0 : r == -EINVAL ? 2 : 1;
        sm_log_set_level(s->log_level);
        (void)sm_signals_install();
        gw = sm_gw_init(s);
        /* No gateway after a signal during start-up is a clean stop. */
        r = gw ? sm_gw_run(gw) : sm_signals_caught() ? 0 : 1;
        sm_gw_shutdown(gw);
        sm_gw_conf_destroy(conf);
        return r;
}
