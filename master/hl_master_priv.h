/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_master_priv - what the reactor's two files share: the master's
    state, and the calls between hl_master.c (the reactor: sockets,
    timers, the tracker, health) and hl_master_ops.c (the control
    operations). Not for other modules.
*/
#ifndef HL_MASTER_PRIV_H
#define HL_MASTER_PRIV_H

#include <czmq.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "../bus/hl_bus.h"
#include "../bus/hl_curve.h"
#include "../bus/hl_log.h"
#include "../bus/hl_notify.h"
#include "../bus/hl_proxy.h"
#include "../bus/hl_sock.h"
#include "../bus/hl_udp.h"
#include "../bus/hl_zap.h"
#include "../proto/hl_alloc.h"
#include "hl_args.h"
#include "hl_cycle.h"
#include "hl_report.h"
#include "hl_dispatch.h"
#include "hl_health.h"
#include "hl_idem.h"
#include "hl_http.h"
#include "hl_kpi.h"
#include "hl_learning.h"
#include "hl_master.h"
#include "hl_outbox.h"
#include "hl_page.h"
#include "hl_planner.h"
#include "hl_statsd.h"
#include "hl_watch.h"
#include "hl_webhook.h"
#include "hl_store.h"
#include "hl_scale.h"
#include "hl_autoscale.h"

#ifndef HL_VERSION
#define HL_VERSION "0.0.0"
#endif

/*  Counters of one input socket. */
typedef struct {
    uint64_t received;                  /* whole messages read */
    uint64_t rejected;                  /* of which invalid */
    uint64_t rejected_by[HL_ERR_COUNT]; /* indexed by -hl_err_t */
} hl_master_input_t;

struct _hl_master_t {
    const hl_config_t *config; /* borrowed */
    hl_limits_t limits;        /* decode limits of every input */
    zloop_t *loop;
    zsock_t *control;        /* ROUTER: helios-ctl, HTTP handlers */
    hl_outbox_t *outbox;     /* its unread replies, bounded in bytes */
    uint64_t page_next;      /* set by an op that answers one page of a */
    uint64_t page_more;      /* list: the reply's next and more */
    zsock_t *tasks;          /* ROUTER: agents and nodes */
    hl_dispatch_t *dispatch; /* serves the tasks socket */
    int64_t quiet_ms;        /* when s_tick last looked at the quiet
                                sockets */
    zsock_t *pub;            /* XPUB to the proxy's inproc bus-in */
    zsock_t *intake;         /* the proxy's intake: metric samples
                                for the tracker (borrowed) */
    hl_kpi_t *kpi;           /* the KPI tracker */
    hl_health_t *health;     /* the last health computed */
    int64_t health_us;       /* when */
    int health_timer;        /* a recompute is due: its timer, or -1 */
    uint64_t crossings;      /* the tracker's at the last recompute */
    uint64_t scored_s;       /* seconds with a health score */
    uint64_t available_s;    /* of which at or above the threshold */
    hl_learning_t *learning; /* what each action has done so far */
    hl_planner_t *planner;   /* ranks candidate actions */
    hl_cycle_t *cycle;       /* the optimisation cycles */
    hl_proxy_t *proxy;
    hl_curve_t *curve;     /* security.enabled: the server's keys */
    hl_zap_t *zap;         /* and its allow-list, or NULL */
    hl_http_t *http;       /* master.http, or NULL when off */
    hl_udp_t *statsd_udp;  /* the StatsD listener, or NULL */
    hl_statsd_t *statsd;   /* its lines into samples */
    int64_t statsd_now_us; /* the time of the datagrams being read */
    hl_webhook_t *webhook; /* notifications, or NULL */
    hl_watch_t *watch;     /* early warnings and summaries */
    hl_notify_t *notify;   /* systemd: READY, STATUS, watchdog */
    char tasks_ep[HL_CONFIG_ENDPOINT];
    char control_ep[HL_CONFIG_ENDPOINT];
    char src[HL_MAX_NAME + 1]; /* "master@host:pid" */
    char ready[5 * HL_CONFIG_ENDPOINT + 64];
    int64_t started_ms; /* monotonic */
    hl_master_input_t control_in;
    uint64_t refused;                  /* requests an op refused */
    uint64_t refused_by[HL_ERR_COUNT]; /* indexed by -hl_err_t */
    hl_idem_t *idem;                   /* control answers by request */
    hl_offender_t *control_bans;       /* offenders on control */
    hl_offender_t *tasks_bans;         /* and on tasks */
    hl_master_input_t metrics_in;      /* metric messages from the bus */
    uint64_t published;                /* messages the master put on the bus */
    uint64_t publish_failed;           /* refused by the publisher (HWM) */
    hl_store_t *store;     /* store.enabled: the durable state, or NULL */
    bool store_failing;    /* its alert is raised */
    int64_t rollup_minute; /* the last minute rolled up */
    hl_scale_want_t want[HL_ROLE_COUNT]; /* desired agents (scale) */
    int shortfall[HL_ROLE_COUNT];        /* of which no node has room */
    bool scale_settled;      /* placing: the nodes had time to say hello */
    int64_t scale_settle_ms; /* monotonic: when they had */
    zhashx_t *gave_up;       /* agents a node gave up on, alerted */

    hl_autoscale_t *autoscale; /* the autoscaled roles, or NULL: none */
};

/*  A control operation: 0 and *data_p to reply ok, a negative hl_err_t
    and error to refuse, or 1 when it will reply itself later. An op that
    answers one page of a list sets page_next and page_more. */
typedef int (hl_master_op_fn) (hl_master_t *self, const hl_msg_t *request,
                               hl_value_t **data_p, char *error,
                               size_t errsize);

/*  The operation named op, or NULL. */
hl_master_op_fn *hl_master_op (const char *op);

/*  Reply on the control socket. Takes *data_p. A reply whose data would
    pass the message limit is answered with a too_big error instead
    (logged as a warning); one to a client over its unread budget is
    dropped and counted (hl_outbox); one that cannot be sent (the client
    has gone) is only logged: the request was served. */
void hl_master_reply (hl_master_t *self, const uint8_t *rid, size_t rid_len,
                      uint64_t re, bool ok, hl_value_t **data_p,
                      const char *error);

/*  Scaling (hl_master_scale.c): start (desired counts from the store,
    the dispatcher's node events, the autoscaler), each second (and the
    autoscaler's sample), stop; the scale and nodes operations; the
    autoscaled roles' status (caller owns; NULL when none). */
void hl_master_scale_start (hl_master_t *self);
void hl_master_scale_second (hl_master_t *self);
void hl_master_scale_stop (hl_master_t *self);
int hl_master_op_scale (hl_master_t *self, const hl_msg_t *request,
                        hl_value_t **data_p, char *error, size_t errsize);
int hl_master_op_nodes (hl_master_t *self, const hl_msg_t *request,
                        hl_value_t **data_p, char *error, size_t errsize);
hl_value_t *hl_master_autoscale_status (hl_master_t *self);

/*  Put msg on the bus as the master; takes *msg_p. 0, or the error. */
int hl_master_publish (hl_master_t *self, hl_msg_t **msg_p);

#endif
