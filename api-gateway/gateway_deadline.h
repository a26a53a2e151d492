/*
 * gateway_deadline: every HTTP request must arrive whole in time.
 *
 * MHD's connection timeout (--connection-timeout) restarts with every
 * byte received, so a client sending one header byte a second would hold
 * a connection for ever (slowloris).  This module gives each connection a
 * deadline: the request (headers and body) must be received within
 * --request-timeout of the connection opening, or of the previous
 * response on a kept-alive connection.  A watchdog thread looks at the
 * deadlines four times a second; a connection past its deadline gets a
 * 408 written to its socket (MHD is still reading the request: nothing
 * else writes to it) and the socket shut down both ways, so MHD's event
 * loop sees the end of the stream and closes the connection itself.
 *
 * Entries are made and freed in MHD's connection notifications
 * (MHD_OPTION_NOTIFY_CONNECTION), which MHD calls before it closes the
 * socket; the watchdog holds the same mutex while it writes, so it never
 * touches a closed or reused descriptor.  Arming and disarming run on the
 * connection's own MHD thread and are one atomic store each.
 */
#ifndef SM_GATEWAY_DEADLINE_H
#define SM_GATEWAY_DEADLINE_H

#include <microhttpd.h>
#include <stdint.h>

#include "gateway_metrics.h"

typedef struct sm_gw_deadline_s sm_gw_deadline_t;

/** @brief A watchdog for requests taking longer than limit_us (not yet
 *  running).  Cut connections are counted in metrics as 408s. */
sm_gw_deadline_t *sm_gw_deadline_new(int64_t limit_us,
                                     sm_gw_metrics_t *metrics);

/** @brief Starts the watchdog thread.  @returns 0 or -errno. */
int sm_gw_deadline_start(sm_gw_deadline_t *dl);

/** @brief MHD_OPTION_NOTIFY_CONNECTION callback (cls: the watchdog):
 *  tracks a connection from its opening to its closing, armed. */
void sm_gw_deadline_notify(void *cls,
                           struct MHD_Connection *conn,
                           void **socket_context,
                           enum MHD_ConnectionNotificationCode code);

/** @brief The connection's request has been received whole (or is
 *  being answered): no deadline until sm_gw_deadline_rearm().
 *  @returns 0, or -ETIMEDOUT when the watchdog already cut it (the
 *  caller should close the connection). */
int sm_gw_deadline_disarm(struct MHD_Connection *conn);

/** @brief A response was sent: the next request on this connection has
 *  --request-timeout from now. */
void sm_gw_deadline_rearm(sm_gw_deadline_t *dl, struct MHD_Connection *conn);

/** @brief Stops the watchdog thread (before MHD_stop_daemon() is fine:
 *  the notifications keep working until destroy). */
void sm_gw_deadline_stop(sm_gw_deadline_t *dl);

/** @brief Frees it, after MHD_stop_daemon().  dl may be NULL. */
void sm_gw_deadline_destroy(sm_gw_deadline_t *dl);

#endif
