/*
 * gateway_service: storemon-gateway's lifetime, wiring the modules
 * together (gateway.h lists them).
 *
 *   init:     partition counts from the cluster, the SQLite store, the
 *             cache (every stored report), the listening socket, the
 *             results thread, the trigger thread, then the HTTP server;
 *   run:      until SIGINT/SIGTERM (or a fatal error of the results
 *             thread), polling the signal flag every 100 ms;
 *   shutdown: MHD_quiesce_daemon (no new connections), the trigger thread
 *             (queued triggers answered 503), the results thread (its
 *             batch committed, ReportReady deliveries stored),
 *             MHD_stop_daemon, the producers flushed, SQLite closed.
 */
#ifndef SM_GATEWAY_SERVICE_H
#define SM_GATEWAY_SERVICE_H

#include "gateway_conf.h"

typedef struct sm_gw_s sm_gw_t;

/** @brief Sets everything up and starts serving.  @returns the service,
 *  or NULL (the reason is logged). */
sm_gw_t *sm_gw_init(const sm_gw_settings_t *s);

/** @brief Serves until a signal or a fatal error.  @returns the exit
 *  code: 0 after a signal, 1 after a fatal error. */
int sm_gw_run(sm_gw_t *gw);

/** @brief Stops and frees everything, in the order above.  gw may be
 *  NULL. */
void sm_gw_shutdown(sm_gw_t *gw);

#endif
