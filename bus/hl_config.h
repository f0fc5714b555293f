/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_config - the one configuration file every Helios process reads
    (libconfig syntax, design §4), loaded into typed read-only structs with
    the design's defaults. Each process reads the sections it needs; every
    section is validated whoever reads it, so a bad file fails everywhere
    with "file:line: reason".
*/
#ifndef HL_CONFIG_H
#define HL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/hl_limits.h"
#include "../proto/hl_names.h"

#define HL_CONFIG_ENDPOINT 256 /* bytes for an endpoint, NUL included */
#define HL_CONFIG_PATH 1024    /* bytes for a path or command */
#define HL_CONFIG_TOKEN 257    /* bytes for master.http_token, NUL incl. */

typedef struct {
    char tasks[HL_CONFIG_ENDPOINT];   /* ROUTER bind, all hosts :7701 */
    char control[HL_CONFIG_ENDPOINT]; /* ROUTER bind, 127.0.0.1:7702 */
    char bus_in[HL_CONFIG_ENDPOINT];  /* XSUB bind, all hosts :7703 */
    char bus_out[HL_CONFIG_ENDPOINT]; /* XPUB bind, all hosts :7704 */
    char http[HL_CONFIG_ENDPOINT];    /* "127.0.0.1:7780", "" = off */
    char http_token[HL_CONFIG_TOKEN]; /* Bearer token, "" = none; needed
                                         beyond loopback and for runs */
    char statsd[HL_CONFIG_ENDPOINT];  /* "127.0.0.1:8125", "" = off */
    char state_dir[HL_CONFIG_PATH];   /* "var/helios" */
    int heartbeat_ms;                 /* 1000, 10..60000 */
    int liveness;                     /* 3, 1..100 */
    int heartbeat_rate;               /* beats a second the master takes
                                         from its agents, 750, 0..1e6;
                                         past it the period lengthens;
                                         0: heartbeat_ms whatever the
                                         swarm */
    char log_level[16];               /* "notice" */
    bool require_curve;               /* refuse to bind beyond loopback
                                         without CURVE, false */
} hl_config_master_t;

/*  Where clients (agents, ctl, spy, demo) connect. Each defaults to the
    master's bind endpoint with a wildcard host replaced by 127.0.0.1. */
typedef struct {
    char tasks[HL_CONFIG_ENDPOINT];
    char control[HL_CONFIG_ENDPOINT];
    char bus_in[HL_CONFIG_ENDPOINT];
    char bus_out[HL_CONFIG_ENDPOINT];
    int capacity; /* agent concurrent tasks, 4 */
} hl_config_connect_t;

/*  What agents keep on disk. */
typedef struct {
    char state_dir[HL_CONFIG_PATH]; /* a named Hephaestus agent's journal
                                       goes here (<name>.journal);
                                       master.state_dir + "/agents" */
} hl_config_agent_t;

/*  Socket limits; may lower the compiled-in ceilings, never raise them. */
typedef struct {
    hl_limits_t decode;   /* message size, string, items,
                             depth */
    int sndhwm;           /* HL_HWM_DEFAULT */
    int rcvhwm;           /* HL_HWM_DEFAULT */
    int linger_ms;        /* 0 */
    int http_connections; /* HL_HTTP_CONNECTIONS */
    int http_sse_clients; /* HL_HTTP_SSE_CLIENTS */
    int http_headers;     /* HL_HTTP_HEADERS */
    int http_head_bytes;  /* HL_HTTP_HEAD_BYTES */
    int http_body_bytes;  /* HL_HTTP_BODY_BYTES */
    int http_timeout_ms;  /* HL_HTTP_TIMEOUT_MS */
    size_t queue_bytes;   /* what the master's open tasks hold, bytes:
                             HL_QUEUE_BYTES */
    int queue_ttl_ms;     /* a task waits unsent at most this long:
                             HL_QUEUE_TTL_MS, 1000..86400000 */
    int hello_actions;    /* HL_HELLO_ACTIONS */
    int hello_bytes;      /* hello_actions_bytes: HL_HELLO_ACTIONS_BYTES */
    int registry_peers;   /* HL_REGISTRY_PEERS */
    int registry_bytes;   /* HL_REGISTRY_BYTES */
    int unread_bytes;     /* reply_unread_bytes: HL_REPLY_UNREAD_BYTES,
                             per client */
    int unread_total;     /* reply_unread_total: HL_REPLY_UNREAD_TOTAL */
} hl_config_limits_t;

typedef struct {
    int duration;        /* seconds between cycles, 300 */
    int max_concurrent;  /* optimisations in flight, 4 */
    int cooldown;        /* seconds before the same action again, 60 */
    int settle;          /* seconds after apply before verifying, 30 */
    int verify_window;   /* seconds of samples verified, 60 */
    bool keep_unproven;  /* keep unchanged/inconclusive changes, false */
    uint64_t seed;       /* Thompson sampling's generator, 0 = clock */
    int quarantine;      /* seconds a regressed action is not proposed
                            again, doubling on each repeat; 86400 */
    double prior_weight; /* observations the config's expected effect
                            counts as in the learned effect, 3 */
} hl_config_cycle_t;

typedef struct {
    double threshold;            /* health below this is an emergency,
                                    50 */
    int max_issues;              /* bottlenecks handled, 3 */
    char notify[HL_CONFIG_PATH]; /* command fed the event as JSON, "" */
} hl_config_emergency_t;

typedef struct {
    double target; /* overall health target, 85 */
    int window;    /* seconds of samples a score uses, 60 */
} hl_config_health_t;

/*  helios-demo, the simulated chat service (deploy/demo/). */
typedef struct {
    char control[HL_CONFIG_ENDPOINT]; /* ROUTER bind, and where "helios-demo
                                         set" connects; tcp:// or ipc://,
                                         "tcp://127.0.0.1:7790" */
    int rate;                         /* samples/s per metric, 10, 1..1000 */
    uint64_t seed;                    /* noise and drift seed, 0 = clock */
} hl_config_demo_t;

typedef enum { HL_BETTER_LOWER, HL_BETTER_HIGHER } hl_better_t;

typedef struct {
    char name[HL_MAX_METRIC + 1];
    hl_category_t category;
    char unit[16]; /* free text: "ms", "%", "msg/s"... */
    hl_better_t better;
    char stat[8];    /* "mean", "p50", "p95", "min", "max", "last" */
    double target;   /* score 100 at or better than this */
    double critical; /* score 0 at or worse than this */
    double weight;   /* > 0, 1.0 */
    bool key;        /* a key metric at 0 caps the overall score */
    double min, max; /* the values it can take; default 0..100 for "%",
                        0.. for lower-is-better and time, count and rate
                        units, else unbounded (-DBL_MAX..DBL_MAX) */
} hl_config_metric_t;

/*  A value at or worse than the metric's critical level (its score is 0). */
static inline bool
hl_config_metric_critical (const hl_config_metric_t *metric, double value)
{
    return metric->better == HL_BETTER_LOWER ? value >= metric->critical
                                             : value <= metric->critical;
}

typedef enum { HL_PARAM_INT, HL_PARAM_FLOAT, HL_PARAM_STR } hl_param_type_t;

typedef struct {
    char name[64]; /* [a-z0-9_], becomes HELIOS_PARAM_NAME */
    hl_param_type_t type;
    double min, max;   /* INT, FLOAT: inclusive range */
    char pattern[256]; /* STR: POSIX extended regex, anchored;
                          "" = [A-Za-z0-9_.,:/=-]* */
    bool required;
    char fallback[256]; /* default value as text, "" = none */
} hl_config_param_t;

typedef struct {
    char name[HL_MAX_METRIC + 1];
    hl_swarm_t swarm;
    char **improves; /* metric names, >= 1 */
    size_t improves_n;
    char **resources; /* resources it touches, may be 0 */
    size_t resources_n;
    char **guards; /* metrics it must not make worse; default: the key
                      metrics it does not target */
    size_t guards_n;
    char *apply;     /* shell command, "" if this process has
                        none (a master's planning copy) */
    char *rollback;  /* shell command or "" */
    int timeout;     /* seconds, 30 */
    double cost;     /* relative cost, 1.0 */
    double expected; /* expected relative improvement, 0.1 */
    hl_config_param_t *params;
    size_t params_n;
} hl_config_action_t;

/*  StatsD in (master.statsd): one mapping from StatsD names and tags to a
    configured metric. */
#define HL_CONFIG_STATSD_NAME 256 /* bytes of a StatsD name, NUL included */
#define HL_CONFIG_STATSD_TAGS 8   /* tags one mapping may require */
#define HL_CONFIG_STATSD_TAG 201  /* bytes of one tag, NUL included */
#define HL_CONFIG_STATSD_MAPS 256 /* mappings at most */

typedef struct {
    char match[HL_CONFIG_STATSD_NAME]; /* a StatsD name; "*" matches one
                                          dot-separated part */
    char tags[HL_CONFIG_STATSD_TAGS][HL_CONFIG_STATSD_TAG]; /* all must be
                                          on the line ("k:v" or "k") */
    size_t tags_n;
    char metric[HL_MAX_METRIC + 1]; /* the configured metric it feeds */
    double scale; /* values are multiplied by this: 1, or the unit
                     conversion of "unit" into the metric's unit */
} hl_config_statsd_map_t;

typedef struct {
    int max_packet; /* bytes; a bigger datagram is dropped, 8192,
                       512..65507 */
    int rcvbuf;     /* the socket's receive buffer, 4194304 */
    hl_config_statsd_map_t *mapping; /* mapping_n entries, first match wins */
    size_t mapping_n;
} hl_config_statsd_t;

/*  Webhooks: alerts grouped and repeat-limited as Alertmanager does. */
#define HL_CONFIG_WEBHOOK_URLS 8 /* urls at most */

typedef struct {
    char **urls; /* http:// or https://; none: no webhooks */
    size_t urls_n;
    bool group_by_subject;  /* group_by holds "subject" */
    bool group_by_severity; /* group_by holds "severity" (alertname
                               always groups) */
    int group_wait_ms;      /* a new group waits for more, 30 s */
    int group_interval_ms;  /* between two messages of a group, 300 s */
    int repeat_interval_ms; /* resend a group still firing, 4 h */
    int timeout_ms;         /* one delivery attempt, 10 s */
    int retries;            /* attempts after a failed one, 3 */
    int backoff_ms;         /* before the first retry, doubling, 1 s */
    int max_queue;          /* deliveries waiting, 256 */
    bool every_run;         /* also a message per finished run */
} hl_config_webhooks_t;

/*  Early warnings: forecasts and anomalies every trend_interval. */
typedef struct {
    int trend_interval; /* seconds between evaluations, 300; 0 = off */
    int horizon;        /* seconds ahead a forecast breach warns, 1800 */
    double anomaly_z;   /* robust z of the last interval, 3.5 */
    bool proactive;     /* a forecast breach starts a cycle, false */
} hl_config_alerts_t;

/*  The scheduled strategic summary. */
typedef struct {
    int64_t every_s;   /* seconds between summaries, weekly; 0 = off */
    int64_t horizon_s; /* the plan's horizon, 7 days */
} hl_config_summary_t;

/*  The master's SQLite store (master/hl_store). */
typedef struct {
    bool enabled;              /* true */
    char path[HL_CONFIG_PATH]; /* as written, "helios.db" */
    char file[HL_CONFIG_PATH]; /* path under master.state_dir unless
                                  absolute: the file the store opens */
    int retention_days;        /* rollups and audit kept, 30, 1..3650 */
    int backlog_mb;            /* records held in memory while the disk
                                  cannot take them, 64, 1..4096 */
} hl_config_store_t;

/*  CURVE on the master's four sockets (bus/hl_curve, docs/security.md).
    Paths are as written; the files are read and checked by hl_curve. */
typedef struct {
    bool enabled;                           /* false */
    char server_public_key[HL_CONFIG_PATH]; /* the master's NAME.key */
    char secret_key[HL_CONFIG_PATH];        /* this process's own
                                               NAME.key_secret, 0600 */
    char allow_dir[HL_CONFIG_PATH];         /* master: allowed public keys */
} hl_config_security_t;

/*  What the master keeps of control answers, and when it stops hearing
    a peer that keeps erring (design §7). */
typedef struct {
    int idem_window_s;       /* an answer is kept 60 s; 0: off */
    int idem_entries;        /* answers kept, all clients, 16384 */
    int idem_bytes;          /* their bytes, 32 MiB */
    int idem_client_entries; /* answers kept per client, 1024 */
    int idem_client_bytes;   /* their bytes, 4 MiB */
    int offender_errors;     /* errors that ban a peer, 100; 0: never */
    int offender_window_s;   /* within this many seconds, 10 */
    int offender_ban_s;      /* for this long, 60 */
    int offender_peers;      /* peers tracked per socket, 4096 */
} hl_config_guard_t;

/*  One label of a node: key=value, both [a-z0-9_.-]. */
#define HL_CONFIG_LABELS 16 /* labels a node has at most */
#define HL_CONFIG_LABEL 64  /* bytes of a label's key or value, NUL incl. */
typedef struct {
    char key[HL_CONFIG_LABEL];
    char value[HL_CONFIG_LABEL];
} hl_config_label_t;

/*  helios-node: the agents it may run and how it restarts them (§9). */
typedef struct {
    char name[HL_CONFIG_LABEL]; /* its name, "" for the host's */
    int capacity;               /* agents it runs at most, 8 */
    hl_config_label_t labels[HL_CONFIG_LABELS]; /* "zone=eu1 disk=ssd" */
    int labels_n;
    char agent_config[HL_CONFIG_PATH]; /* its agents' config, "" for the
                                          node's own */
    int restart_backoff_min_ms;        /* first restart delay, 1000 */
    int restart_backoff_max_ms;        /* doubling up to, 60000 */
    int max_restarts;                  /* in the window, then give up, 5;
                                          0: never give up */
    int restart_window_s;              /* 60 */
    int stop_grace_ms;                 /* SIGTERM to SIGKILL, 35000 */
} hl_config_node_t;

/*  One role's autoscaler (design §9): the role's desired count moves
    within min..max, step at a time, on the wait of its queued tasks. */
#define HL_CONFIG_AUTOSCALE_MAX 100000 /* the most agents of a role */
typedef struct {
    int role;            /* hl_role_id_t */
    int min;             /* agents at least, 1 */
    int max;             /* agents at most; required, >= min, >= 1 */
    int step;            /* agents added or removed a decision, 1 */
    int target_wait_ms;  /* a queued task waits at most this, 1000 */
    int window_s;        /* over target this long: grow, 30 */
    int up_cooldown_s;   /* between two growths, 30 */
    int down_cooldown_s; /* between two shrinks, 60 */
    int stabilisation_s; /* under target this long: shrink, 300 (HPA) */
} hl_config_autoscale_t;

/*  Parse a labels string ("zone=eu1 disk=ssd": words of key=value, each
    part 1..63 bytes of [a-z0-9_.-], keys unique, at most
    HL_CONFIG_LABELS) into out; 0, or -1 with the reason in why. */
int hl_config_labels_parse (const char *text, hl_config_label_t *out,
                            int *out_n, char *why, size_t whysize);

typedef struct _hl_config_t hl_config_t;

/*  Load and validate path. On failure returns NULL and writes
    "path:line: reason" into err (errsize bytes). Metric and action names
    must be unique; every action's improves must name a configured metric.
    The caller owns the result. */
hl_config_t *hl_config_load (const char *path, char *err, size_t errsize);

/*  A configuration of defaults only, with no metrics and no actions. */
hl_config_t *hl_config_new_default (void);

void hl_config_destroy (hl_config_t **self_p);

/*  The file this was loaded from, or "" for defaults. */
const char *hl_config_path (const hl_config_t *self);

const hl_config_master_t *hl_config_master (const hl_config_t *self);
const hl_config_connect_t *hl_config_connect (const hl_config_t *self);
const hl_config_agent_t *hl_config_agent (const hl_config_t *self);
const hl_config_limits_t *hl_config_limits (const hl_config_t *self);
const hl_config_cycle_t *hl_config_cycle (const hl_config_t *self);
const hl_config_emergency_t *hl_config_emergency (const hl_config_t *self);
const hl_config_health_t *hl_config_health (const hl_config_t *self);
const hl_config_demo_t *hl_config_demo (const hl_config_t *self);
const hl_config_statsd_t *hl_config_statsd (const hl_config_t *self);
const hl_config_webhooks_t *hl_config_webhooks (const hl_config_t *self);
const hl_config_alerts_t *hl_config_alerts (const hl_config_t *self);
const hl_config_summary_t *hl_config_summary (const hl_config_t *self);
const hl_config_store_t *hl_config_store (const hl_config_t *self);
const hl_config_security_t *hl_config_security (const hl_config_t *self);
const hl_config_guard_t *hl_config_guard (const hl_config_t *self);
const hl_config_node_t *hl_config_node (const hl_config_t *self);

/*  The autoscaled roles (autoscale), each once, in the file's order. */
size_t hl_config_autoscale_size (const hl_config_t *self);
const hl_config_autoscale_t *hl_config_autoscale (const hl_config_t *self,
                                                  size_t i);

size_t hl_config_metrics_size (const hl_config_t *self);
const hl_config_metric_t *hl_config_metric (const hl_config_t *self, size_t i);
const hl_config_metric_t *hl_config_metric_find (const hl_config_t *self,
                                                 const char *name);

size_t hl_config_actions_size (const hl_config_t *self);
const hl_config_action_t *hl_config_action (const hl_config_t *self, size_t i);
const hl_config_action_t *hl_config_action_find (const hl_config_t *self,
                                                 const char *name);

/*  Turn a bind endpoint into one a local client can connect to: a host of
    "*" or "0.0.0.0" becomes 127.0.0.1. Returns 0, or -1 if it does not
    fit. */
int hl_config_connect_endpoint (const char *bind, char *out, size_t size);

/*  Whether a listener "host:port" (master.http) binds only the loopback
    interface: a host of localhost, 127.0.0.0/8 or ::1. */
bool hl_config_listen_loopback (const char *listen);

/*  The configuration a process uses when given none: $HELIOS_CONFIG if
    set, else the first readable of deploy/helios.cfg (a source checkout),
    /etc/helios/helios.cfg and HL_DATADIR/helios.cfg (an install); NULL
    if none, meaning the built-in defaults. Borrowed. */
const char *hl_config_default_path (void);

#endif
