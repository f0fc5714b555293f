/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_config - loads a libconfig file into typed structs, validating every
    section against design §4 whoever reads it: defaults, then one loader
    per section, metric and action. The typed readers, which name the
    file, the line and the setting's path in every failure, are
    hl_setting's. Owns copies of all strings: libconfig's die with
    config_destroy().

    This file holds the core sections (master, connect, agent, limits,
    cycle, emergency, health, demo, store), the load and the getters.
    The metrics and actions lists load in hl_config_catalog.c, the
    sections of metrics in and alerts out in hl_config_io.c; they share
    hl_config_priv.h.
*/
#include "hl_config.h"
#include "hl_config_priv.h"
#include "hl_log.h"
#include "hl_setting.h"
#include "../proto/hl_alloc.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct _hl_config_t {
    char path[HL_CONFIG_PATH]; // file loaded, "" for defaults
    hl_config_master_t master;
    hl_config_connect_t connect;
    hl_config_agent_t agent;
    hl_config_limits_t limits;
    hl_config_cycle_t cycle;
    hl_config_emergency_t emergency;
    hl_config_health_t health;
    hl_config_demo_t demo;
    hl_config_statsd_t statsd;     // hl_config_io.c
    hl_config_webhooks_t webhooks; // ditto
    hl_config_alerts_t alerts;     // ditto
    hl_config_summary_t summary;   // ditto
    hl_config_store_t store;       // its file resolved under state_dir
    hl_config_security_t security; // paths only, read by hl_curve
    hl_config_guard_t guard;       // hl_config_guard.c
    hl_config_node_t node;         // hl_config_node.c
    hl_config_metric_t *metrics;   // metrics_n entries, names unique
    size_t metrics_n;              // (hl_config_catalog.c)
    hl_config_action_t *actions;   // actions_n entries, names unique
    size_t actions_n;

    hl_config_autoscale_t autoscale[HL_ROLE_COUNT]; // a role once at most
    size_t autoscale_n;                             // (hl_config_autoscale.c)
};

//  A key a section accepts; keys starting with "x_" are always accepted
static const char *s_master_keys[]
    = { "tasks",          "control",   "bus_in",     "bus_out",
        "http",           "statsd",    "state_dir",  "heartbeat_ms",
        "liveness",       "log_level", "http_token", "require_curve",
        "heartbeat_rate", NULL };
static const char *s_connect_keys[]
    = { "tasks", "control", "bus_in", "bus_out", "capacity", NULL };
static const char *s_agent_keys[] = { "state_dir", NULL };
static const char *s_limits_keys[] = { "max_msg_size",
                                       "max_str",
                                       "max_items",
                                       "max_depth",
                                       "sndhwm",
                                       "rcvhwm",
                                       "linger_ms",
                                       "http_connections",
                                       "http_sse_clients",
                                       "http_headers",
                                       "http_head_bytes",
                                       "http_body_bytes",
                                       "http_timeout_ms",
                                       "queue_bytes",
                                       "queue_ttl_ms",
                                       "hello_actions",
                                       "hello_actions_bytes",
                                       "registry_peers",
                                       "registry_bytes",
                                       "reply_unread_bytes",
                                       "reply_unread_total",
                                       NULL };
static const char *s_cycle_keys[]
    = { "duration", "max_concurrent", "cooldown",
        "settle",   "verify_window",  "keep_unproven",
        "seed",     "quarantine",     "prior_weight",
        NULL };
static const char *s_emergency_keys[]
    = { "threshold", "max_issues", "notify", NULL };
static const char *s_health_keys[] = { "target", "window", NULL };
static const char *s_demo_keys[] = { "control", "rate", "seed", NULL };
static const char *s_store_keys[]
    = { "enabled", "path", "retention_days", "backlog_mb", NULL };
static const char *s_security_keys[]
    = { "enabled", "server_public_key", "secret_key", "allow_dir", NULL };

//  Seconds-valued settings stay below a day, so that callers may turn
//  them into milliseconds in an int without overflow
#define HL_CONFIG_MAX_SECONDS 86400

int
hl_config_connect_endpoint (const char *bind, char *out, size_t size)
{
    if (!bind || !out || size == 0)
        return -1;
    const char *host = NULL;
    size_t host_len = 0;
    if (strncmp (bind, "tcp://", 6) == 0) {
        host = bind + 6;
        const char *colon = strrchr (host, ':');
        host_len = colon ? (size_t)(colon - host) : strlen (host);
    }
    int n;
    if (host
        && ((host_len == 1 && host[0] == '*')
            || (host_len == 7 && strncmp (host, "0.0.0.0", 7) == 0)))
        n = snprintf (out, size, "tcp://127.0.0.1%s", host + host_len);
    else
        n = snprintf (out, size, "%s", bind);
    if (n < 0 || (size_t)n >= size) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

// --------------------------------------------------------------------
// Defaults

static void
s_set_defaults (hl_config_t *self)
{
    hl_config_master_t *master = &self->master;
    snprintf (master->tasks, sizeof master->tasks, "tcp://*:7701");
    snprintf (master->control, sizeof master->control, "tcp://127.0.0.1:7702");
    snprintf (master->bus_in, sizeof master->bus_in, "tcp://*:7703");
    snprintf (master->bus_out, sizeof master->bus_out, "tcp://*:7704");
    snprintf (master->http, sizeof master->http, "127.0.0.1:7780");
    snprintf (master->statsd, sizeof master->statsd, "127.0.0.1:8125");
    snprintf (master->state_dir, sizeof master->state_dir, "var/helios");
    master->heartbeat_ms = 1000;
    master->liveness = 3;
    master->heartbeat_rate = 750;
    snprintf (master->log_level, sizeof master->log_level, "notice");

    //  Connect endpoints follow the master's unless set (s_load_connect)
    self->connect.capacity = 4;
    //  Likewise the agents' state_dir (s_load_agent)
    snprintf (self->agent.state_dir, sizeof self->agent.state_dir,
              "var/helios/agents");

    hl_limits_default (&self->limits.decode);
    self->limits.sndhwm = HL_HWM_DEFAULT;
    self->limits.rcvhwm = HL_HWM_DEFAULT;
    self->limits.linger_ms = 0;
    self->limits.http_connections = HL_HTTP_CONNECTIONS;
    self->limits.http_sse_clients = HL_HTTP_SSE_CLIENTS;
    self->limits.http_headers = HL_HTTP_HEADERS;
    self->limits.http_head_bytes = HL_HTTP_HEAD_BYTES;
    self->limits.http_body_bytes = HL_HTTP_BODY_BYTES;
    self->limits.http_timeout_ms = HL_HTTP_TIMEOUT_MS;
    self->limits.queue_bytes = HL_QUEUE_BYTES;
    self->limits.queue_ttl_ms = HL_QUEUE_TTL_MS;
    self->limits.hello_actions = HL_HELLO_ACTIONS;
    self->limits.hello_bytes = HL_HELLO_ACTIONS_BYTES;
    self->limits.registry_peers = HL_REGISTRY_PEERS;
    self->limits.registry_bytes = HL_REGISTRY_BYTES;
    self->limits.unread_bytes = HL_REPLY_UNREAD_BYTES;
    self->limits.unread_total = HL_REPLY_UNREAD_TOTAL;

    self->cycle.duration = 300;
    self->cycle.max_concurrent = 4;
    self->cycle.cooldown = 60;
    self->cycle.settle = 30;
    self->cycle.verify_window = 60;
    self->cycle.keep_unproven = false;
    self->cycle.quarantine = 86400;
    self->cycle.prior_weight = 3.0;

    self->emergency.threshold = 50;
    self->emergency.max_issues = 3;
    self->emergency.notify[0] = '\0';

    self->health.target = 85;
    self->health.window = 60;

    snprintf (self->demo.control, sizeof self->demo.control,
              "tcp://127.0.0.1:7790");
    self->demo.rate = 10;
    self->demo.seed = 0;

    hl_config_io_defaults (&self->statsd, &self->webhooks, &self->alerts,
                           &self->summary);
    hl_config_guard_defaults (&self->guard);
    hl_config_node_defaults (&self->node);

    self->store.enabled = true;
    snprintf (self->store.path, sizeof self->store.path, "helios.db");
    self->store.retention_days = 30;
    self->store.backlog_mb = 64;
}

//  The store's file: its path under state_dir, unless absolute. -1 if the
//  two do not fit together.
static int
s_store_file (hl_config_t *self)
{
    hl_config_store_t *store = &self->store;
    int n = store->path[0] == '/'
                ? snprintf (store->file, sizeof store->file, "%s", store->path)
                : snprintf (store->file, sizeof store->file, "%s/%s",
                            self->master.state_dir, store->path);
    return n < 0 || (size_t)n >= sizeof store->file ? -1 : 0;
}

//  Derive connect endpoints from the master's binds; these always fit, as
//  the replacement host is no longer than a 7-character wildcard plus one
static void
s_default_connect (hl_config_t *self)
{
    hl_config_connect_t *connect = &self->connect;
    const hl_config_master_t *master = &self->master;
    if (hl_config_connect_endpoint (master->tasks, connect->tasks,
                                    sizeof connect->tasks))
        snprintf (connect->tasks, sizeof connect->tasks, "%s", master->tasks);
    if (hl_config_connect_endpoint (master->control, connect->control,
                                    sizeof connect->control))
        snprintf (connect->control, sizeof connect->control, "%s",
                  master->control);
    if (hl_config_connect_endpoint (master->bus_in, connect->bus_in,
                                    sizeof connect->bus_in))
        snprintf (connect->bus_in, sizeof connect->bus_in, "%s",
                  master->bus_in);
    if (hl_config_connect_endpoint (master->bus_out, connect->bus_out,
                                    sizeof connect->bus_out))
        snprintf (connect->bus_out, sizeof connect->bus_out, "%s",
                  master->bus_out);
}

hl_config_t *
hl_config_new_default (void)
{
    hl_config_t *self = hl_alloc (sizeof *self);
    s_set_defaults (self);
    s_default_connect (self);
    s_store_file (self); /* the defaults fit */
    return self;
}

// --------------------------------------------------------------------
// Sections

bool
hl_config_listen_loopback (const char *listen)
{
    const char *colon = listen ? strrchr (listen, ':') : NULL;
    if (!colon)
        return false;
    size_t len = (size_t)(colon - listen);
    if (len == 9 && strncmp (listen, "localhost", 9) == 0)
        return true;
    if (len == 5 && strncmp (listen, "[::1]", 5) == 0)
        return true;
    //  127.0.0.0/8, written as a dotted quad
    unsigned a, b, c, d;
    char tail;
    char host[16];
    if (len >= sizeof host)
        return false;
    memcpy (host, listen, len);
    host[len] = 0;
    return sscanf (host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4
           && a == 127 && b < 256 && c < 256 && d < 256;
}

//  A Bearer token is RFC 6750's b64token, and long enough not to be
//  guessed; binding beyond loopback needs one (design §8)
static int
s_check_http (hl_setting_ctx_t *ctx, const config_setting_t *g,
              const hl_config_master_t *m)
{
    size_t len = strlen (m->http_token);
    if (len
        && (len < 16
            || strspn (m->http_token, "abcdefghijklmnopqrstuvwxyz"
                                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                      "-._~+/=")
                   != len))
        return hl_setting_fail (ctx,
                                config_setting_get_member (g, "http_token"),
                                "must be 16 or more of [A-Za-z0-9-._~+/=]");
    if (m->http[0] && !len && !hl_config_listen_loopback (m->http))
        return hl_setting_fail (ctx, config_setting_get_member (g, "http"),
                                "\"%s\" is beyond loopback: set "
                                "master.http_token",
                                m->http);
    return 0;
}

static int
s_load_master (hl_setting_ctx_t *ctx, const config_t *cfg,
               hl_config_master_t *m)
{
    int rc;
    const config_setting_t *g
        = hl_setting_section (ctx, cfg, "master", s_master_keys, &rc);
    if (!g)
        return rc;
    int level = -1;
    const char *levels[HL_LOG_DEBUG + 2] = { NULL };
    for (int i = HL_LOG_ERROR; i <= HL_LOG_DEBUG; i++)
        levels[i] = hl_log_level_name ((hl_log_level_t)i);
    if (hl_setting_read_endpoint (ctx, g, "tasks", m->tasks, sizeof m->tasks)
        || hl_setting_read_endpoint (ctx, g, "control", m->control,
                                     sizeof m->control)
        || hl_setting_read_endpoint (ctx, g, "bus_in", m->bus_in,
                                     sizeof m->bus_in)
        || hl_setting_read_endpoint (ctx, g, "bus_out", m->bus_out,
                                     sizeof m->bus_out)
        || hl_setting_read_listen (ctx, g, "http", m->http, sizeof m->http)
        || hl_setting_read_listen (ctx, g, "statsd", m->statsd,
                                   sizeof m->statsd)
        || hl_setting_read_string (ctx, g, "state_dir", m->state_dir,
                                   sizeof m->state_dir)
        || hl_setting_read_int (ctx, g, "heartbeat_ms", 10, 60000,
                                &m->heartbeat_ms)
        || hl_setting_read_int (ctx, g, "liveness", 1, 100, &m->liveness)
        || hl_setting_read_int (ctx, g, "heartbeat_rate", 0, 1000000,
                                &m->heartbeat_rate)
        || hl_setting_read_enum (ctx, g, "log_level", levels, &level)
        || hl_setting_read_string (ctx, g, "http_token", m->http_token,
                                   sizeof m->http_token)
        || hl_setting_read_bool (ctx, g, "require_curve", &m->require_curve))
        return -1;
    if (level >= 0)
        snprintf (m->log_level, sizeof m->log_level, "%s", levels[level]);
    if (!m->state_dir[0])
        return hl_setting_fail (ctx, config_setting_get_member (g, "state_dir"),
                                "must not be empty");
    return s_check_http (ctx, g, m);
}

static int
s_load_connect (hl_setting_ctx_t *ctx, const config_t *cfg, hl_config_t *self)
{
    s_default_connect (self);
    hl_config_connect_t *c = &self->connect;
    int rc;
    const config_setting_t *g
        = hl_setting_section (ctx, cfg, "connect", s_connect_keys, &rc);
    if (!g)
        return rc;
    if (hl_setting_read_endpoint (ctx, g, "tasks", c->tasks, sizeof c->tasks)
        || hl_setting_read_endpoint (ctx, g, "control", c->control,
                                     sizeof c->control)
        || hl_setting_read_endpoint (ctx, g, "bus_in", c->bus_in,
                                     sizeof c->bus_in)
        || hl_setting_read_endpoint (ctx, g, "bus_out", c->bus_out,
                                     sizeof c->bus_out)
        || hl_setting_read_int (ctx, g, "capacity", 1, 1024, &c->capacity))
        return -1;
    return 0;
}

//  The agents' state_dir is the master's plus "/agents" unless set, so
//  that one setting moves everything a machine keeps
static int
s_load_agent (hl_setting_ctx_t *ctx, const config_t *cfg, hl_config_t *self)
{
    hl_config_agent_t *a = &self->agent;
    int rc;
    const config_setting_t *g
        = hl_setting_section (ctx, cfg, "agent", s_agent_keys, &rc);
    if (!g || !config_setting_get_member (g, "state_dir")) {
        if (rc)
            return rc;
        int n = snprintf (a->state_dir, sizeof a->state_dir, "%s/agents",
                          self->master.state_dir);
        if (n < 0 || (size_t)n >= sizeof a->state_dir)
            return hl_setting_fail (ctx, g,
                                    "agent.state_dir: master.state_dir plus "
                                    "\"/agents\" is too long: set it");
        return 0;
    }
    if (hl_setting_read_string (ctx, g, "state_dir", a->state_dir,
                                sizeof a->state_dir))
        return -1;
    if (!a->state_dir[0])
        return hl_setting_fail (ctx, config_setting_get_member (g, "state_dir"),
                                "must not be empty");
    return 0;
}

//  A decode limit may lower its compiled-in ceiling, never raise it; 0
//  means "the ceiling"
static int
s_get_limit (hl_setting_ctx_t *ctx, const config_setting_t *group,
             const char *name, size_t ceiling, size_t *out)
{
    const config_setting_t *setting = config_setting_get_member (group, name);
    if (!setting)
        return 0;
    int64_t value;
    if (hl_setting_int64 (ctx, setting, 0, INT64_MAX, &value))
        return -1;
    if ((uint64_t)value > ceiling)
        return hl_setting_fail (ctx, setting, "cannot raise %s above %zu", name,
                                ceiling);
    *out = (size_t)value;
    return 0;
}

static int
s_load_limits (hl_setting_ctx_t *ctx, const config_t *cfg,
               hl_config_limits_t *l)
{
    int rc;
    const config_setting_t *g
        = hl_setting_section (ctx, cfg, "limits", s_limits_keys, &rc);
    if (!g)
        return rc;
    //  An unbounded queue (hwm 0) or an endless linger is never wanted
    if (s_get_limit (ctx, g, "max_msg_size", HL_MSG_MAX_SIZE,
                     &l->decode.max_msg_size)
        || s_get_limit (ctx, g, "max_str", HL_MAX_STR, &l->decode.max_str)
        || s_get_limit (ctx, g, "max_items", HL_MAX_ITEMS, &l->decode.max_items)
        || s_get_limit (ctx, g, "max_depth", HL_MAX_DEPTH, &l->decode.max_depth)
        || hl_setting_read_int (ctx, g, "sndhwm", 1, 10000000, &l->sndhwm)
        || hl_setting_read_int (ctx, g, "rcvhwm", 1, 10000000, &l->rcvhwm)
        || hl_setting_read_int (ctx, g, "linger_ms", 0, 60000, &l->linger_ms)
        || hl_setting_read_int (ctx, g, "http_connections", 1,
                                HL_HTTP_CONNECTIONS, &l->http_connections)
        || hl_setting_read_int (ctx, g, "http_sse_clients", 0,
                                HL_HTTP_SSE_CLIENTS, &l->http_sse_clients)
        || hl_setting_read_int (ctx, g, "http_headers", 1, HL_HTTP_HEADERS,
                                &l->http_headers)
        || hl_setting_read_int (ctx, g, "http_head_bytes", 256,
                                HL_HTTP_HEAD_BYTES, &l->http_head_bytes)
        || hl_setting_read_int (ctx, g, "http_body_bytes", 0,
                                HL_HTTP_BODY_BYTES, &l->http_body_bytes)
        || hl_setting_read_int (ctx, g, "http_timeout_ms", 100,
                                HL_HTTP_TIMEOUT_MS, &l->http_timeout_ms)
        || s_get_limit (ctx, g, "queue_bytes", HL_QUEUE_BYTES, &l->queue_bytes)
        || hl_setting_read_int (ctx, g, "queue_ttl_ms", 1000, 86400000,
                                &l->queue_ttl_ms)
        //  What peers make the master hold: far above any real agent,
        //  and bounded by bytes whatever the count
        || hl_setting_read_int (ctx, g, "hello_actions", 1, HL_MAX_ITEMS,
                                &l->hello_actions)
        || hl_setting_read_int (ctx, g, "hello_actions_bytes", 1,
                                HL_MSG_MAX_SIZE, &l->hello_bytes)
        || hl_setting_read_int (ctx, g, "registry_peers", 1, 1000000,
                                &l->registry_peers)
        || hl_setting_read_int (ctx, g, "registry_bytes", 65536,
                                HL_BUDGET_CEILING, &l->registry_bytes)
        || hl_setting_read_int (ctx, g, "reply_unread_bytes", 65536,
                                HL_BUDGET_CEILING, &l->unread_bytes)
        || hl_setting_read_int (ctx, g, "reply_unread_total", 65536,
                                HL_BUDGET_CEILING, &l->unread_total))
        return -1;
    hl_limits_lower (&l->decode);
    if (!l->queue_bytes)
        l->queue_bytes = HL_QUEUE_BYTES; /* 0 is the ceiling, as above */
    return 0;
}

static int
s_load_cycle (hl_setting_ctx_t *ctx, const config_t *cfg, hl_config_cycle_t *c)
{
    int rc;
    const config_setting_t *g
        = hl_setting_section (ctx, cfg, "cycle", s_cycle_keys, &rc);
    if (!g)
        return rc;
    if (hl_setting_read_int (ctx, g, "duration", 1, HL_CONFIG_MAX_SECONDS,
                             &c->duration)
        || hl_setting_read_int (ctx, g, "max_concurrent", 1, 64,
                                &c->max_concurrent)
        || hl_setting_read_int (ctx, g, "cooldown", 0, HL_CONFIG_MAX_SECONDS,
                                &c->cooldown)
        || hl_setting_read_int (ctx, g, "settle", 0, HL_CONFIG_MAX_SECONDS,
                                &c->settle)
        || hl_setting_read_int (ctx, g, "verify_window", 1,
                                HL_CONFIG_MAX_SECONDS, &c->verify_window)
        || hl_setting_read_bool (ctx, g, "keep_unproven", &c->keep_unproven)
        || hl_setting_read_int (ctx, g, "quarantine", 0, 366 * 86400,
                                &c->quarantine)
        || hl_setting_read_double (ctx, g, "prior_weight", 0, 1000,
                                   &c->prior_weight))
        return -1;
    int64_t seed = 0;
    if (config_setting_get_member (g, "seed")
        && hl_setting_int64 (ctx, config_setting_get_member (g, "seed"), 0,
                             INT64_MAX, &seed))
        return -1;
    c->seed = (uint64_t)seed;
    return 0;
}

static int
s_load_emergency (hl_setting_ctx_t *ctx, const config_t *cfg,
                  hl_config_emergency_t *e)
{
    int rc;
    const config_setting_t *g
        = hl_setting_section (ctx, cfg, "emergency", s_emergency_keys, &rc);
    if (!g)
        return rc;
    if (hl_setting_read_double (ctx, g, "threshold", 0, 100, &e->threshold)
        || hl_setting_read_int (ctx, g, "max_issues", 1, 100, &e->max_issues)
        || hl_setting_read_string (ctx, g, "notify", e->notify,
                                   sizeof e->notify))
        return -1;
    return 0;
}

static int
s_load_health (hl_setting_ctx_t *ctx, const config_t *cfg,
               hl_config_health_t *h)
{
    int rc;
    const config_setting_t *g
        = hl_setting_section (ctx, cfg, "health", s_health_keys, &rc);
    if (!g)
        return rc;
    if (hl_setting_read_double (ctx, g, "target", 0, 100, &h->target)
        || hl_setting_read_int (ctx, g, "window", 1, HL_CONFIG_MAX_SECONDS,
                                &h->window))
        return -1;
    return 0;
}

//  The demo's control socket is reached by separate client processes,
//  so an inproc:// endpoint would be useless there
static int
s_load_demo (hl_setting_ctx_t *ctx, const config_t *cfg, hl_config_demo_t *d)
{
    int rc;
    const config_setting_t *g
        = hl_setting_section (ctx, cfg, "demo", s_demo_keys, &rc);
    if (!g)
        return rc;
    int64_t seed = (int64_t)d->seed;
    if (hl_setting_read_endpoint (ctx, g, "control", d->control,
                                  sizeof d->control)
        || hl_setting_read_int (ctx, g, "rate", 1, 1000, &d->rate)
        || (config_setting_get_member (g, "seed")
            && hl_setting_int64 (ctx, config_setting_get_member (g, "seed"), 0,
                                 INT64_MAX, &seed)))
        return -1;
    if (strncmp (d->control, "tcp://", 6) != 0
        && strncmp (d->control, "ipc://", 6) != 0)
        return hl_setting_fail (
            ctx, config_setting_get_member (g, "control"),
            "bad endpoint \"%s\": must start with tcp:// or "
            "ipc://",
            d->control);
    d->seed = (uint64_t)seed;
    return 0;
}

//  After the master section: the store's path is under its state_dir
static int
s_load_store (hl_setting_ctx_t *ctx, const config_t *cfg, hl_config_t *self)
{
    hl_config_store_t *s = &self->store;
    int rc;
    const config_setting_t *g
        = hl_setting_section (ctx, cfg, "store", s_store_keys, &rc);
    if (rc)
        return rc;
    if (g
        && (hl_setting_read_bool (ctx, g, "enabled", &s->enabled)
            || hl_setting_read_string (ctx, g, "path", s->path, sizeof s->path)
            || hl_setting_read_int (ctx, g, "retention_days", 1, 3650,
                                    &s->retention_days)
            || hl_setting_read_int (ctx, g, "backlog_mb", 1, 4096,
                                    &s->backlog_mb)))
        return -1;
    const config_setting_t *path
        = g ? config_setting_get_member (g, "path") : NULL;
    if (!s->path[0])
        return hl_setting_fail (ctx, path, "must not be empty");
    if (s_store_file (self))
        return hl_setting_fail (
            ctx, path ? path : config_lookup (cfg, "master.state_dir"),
            "too long under master.state_dir: %zu bytes, at most %d",
            strlen (self->master.state_dir) + 1 + strlen (s->path),
            HL_CONFIG_PATH - 1);
    return 0;
}

//  Paths only: which files a process needs depends on the process
//  (hl_curve reads and checks them), but enabled without any key is a
//  mistake for every one of them
static int
s_load_security (hl_setting_ctx_t *ctx, const config_t *cfg,
                 hl_config_security_t *s)
{
    int rc;
    const config_setting_t *g
        = hl_setting_section (ctx, cfg, "security", s_security_keys, &rc);
    if (!g)
        return rc;
    if (hl_setting_read_bool (ctx, g, "enabled", &s->enabled)
        || hl_setting_read_string (ctx, g, "server_public_key",
                                   s->server_public_key,
                                   sizeof s->server_public_key)
        || hl_setting_read_string (ctx, g, "secret_key", s->secret_key,
                                   sizeof s->secret_key)
        || hl_setting_read_string (ctx, g, "allow_dir", s->allow_dir,
                                   sizeof s->allow_dir))
        return -1;
    if (s->enabled && !s->secret_key[0])
        return hl_setting_fail (ctx, config_setting_get_member (g, "enabled"),
                                "CURVE is on: set security.secret_key");
    return 0;
}

// --------------------------------------------------------------------

static const char *s_sections[]
    = { "master",    "connect",  "agent",   "limits",    "cycle",
        "emergency", "health",   "metrics", "actions",   "demo",
        "statsd",    "webhooks", "alerts",  "summary",   "store",
        "security",  "guard",    "node",    "autoscale", NULL };

hl_config_t *
hl_config_load (const char *path, char *err, size_t errsize)
{
    hl_setting_ctx_t ctx = { path ? path : "(null)", err, errsize };
    if (err && errsize)
        err[0] = '\0';
    hl_config_t *self = NULL;
    config_t cfg;
    config_init (&cfg);

    if (!path || strlen (path) >= sizeof self->path) {
        hl_setting_fail (&ctx, NULL, "bad config path");
        goto fail;
    }
    errno = 0;
    if (config_read_file (&cfg, path) != CONFIG_TRUE) {
        int saved = errno;
        if (config_error_type (&cfg) == CONFIG_ERR_FILE_IO)
            hl_setting_fail (&ctx, NULL, "cannot read file: %s",
                             saved ? strerror (saved) : "I/O error");
        else if (err && errsize)
            snprintf (err, errsize, "%s:%d: %s",
                      config_error_file (&cfg) ? config_error_file (&cfg)
                                               : path,
                      config_error_line (&cfg), config_error_text (&cfg));
        goto fail;
    }

    const config_setting_t *root = config_root_setting (&cfg);
    int count = config_setting_length (root);
    for (int i = 0; i < count; i++) {
        const config_setting_t *section = config_setting_get_elem (root, i);
        const char *name = config_setting_name (section);
        if (!hl_setting_known (name, s_sections)) {
            hl_setting_fail (&ctx, section, "unknown section \"%s\"", name);
            goto fail;
        }
    }

    self = hl_alloc (sizeof *self);
    snprintf (self->path, sizeof self->path, "%s", path);
    s_set_defaults (self);
    //  Master first: the defaults of connect and agent derive from it
    if (s_load_master (&ctx, &cfg, &self->master)
        || s_load_connect (&ctx, &cfg, self) || s_load_agent (&ctx, &cfg, self)
        || s_load_limits (&ctx, &cfg, &self->limits)
        || s_load_cycle (&ctx, &cfg, &self->cycle)
        || s_load_emergency (&ctx, &cfg, &self->emergency)
        || s_load_health (&ctx, &cfg, &self->health)
        || s_load_demo (&ctx, &cfg, &self->demo)
        || hl_config_load_metrics (&ctx, &cfg, &self->metrics, &self->metrics_n)
        || hl_config_load_actions (&ctx, &cfg, self, &self->actions,
                                   &self->actions_n)
        || hl_config_load_statsd (&ctx, &cfg, self, &self->statsd)
        || hl_config_load_webhooks (&ctx, &cfg, &self->webhooks)
        || hl_config_load_alerts (&ctx, &cfg, &self->alerts)
        || hl_config_load_summary (&ctx, &cfg, &self->summary)
        || s_load_store (&ctx, &cfg, self)
        || s_load_security (&ctx, &cfg, &self->security)
        || hl_config_load_guard (&ctx, &cfg, &self->guard)
        || hl_config_load_node (&ctx, &cfg, &self->node)
        || hl_config_load_autoscale (&ctx, &cfg, self->autoscale,
                                     &self->autoscale_n))
        goto fail;
    config_destroy (&cfg);
    return self;

fail:
    config_destroy (&cfg);
    hl_config_destroy (&self);
    return NULL;
}

void
hl_config_destroy (hl_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hl_config_t *self = *self_p;
    hl_config_catalog_free (self->metrics, self->actions, self->actions_n);
    hl_config_io_free (&self->statsd, &self->webhooks);
    free (self);
    *self_p = NULL;
}

const char *
hl_config_path (const hl_config_t *self)
{
    return self->path;
}

const hl_config_master_t *
hl_config_master (const hl_config_t *self)
{
    return &self->master;
}

const hl_config_security_t *
hl_config_security (const hl_config_t *self)
{
    return &self->security;
}

const hl_config_connect_t *
hl_config_connect (const hl_config_t *self)
{
    return &self->connect;
}

const hl_config_agent_t *
hl_config_agent (const hl_config_t *self)
{
    return &self->agent;
}

const hl_config_limits_t *
hl_config_limits (const hl_config_t *self)
{
    return &self->limits;
}

const hl_config_cycle_t *
hl_config_cycle (const hl_config_t *self)
{
    return &self->cycle;
}

const hl_config_emergency_t *
hl_config_emergency (const hl_config_t *self)
{
    return &self->emergency;
}

const hl_config_health_t *
hl_config_health (const hl_config_t *self)
{
    return &self->health;
}

const hl_config_demo_t *
hl_config_demo (const hl_config_t *self)
{
    return &self->demo;
}

const hl_config_statsd_t *
hl_config_statsd (const hl_config_t *self)
{
    return &self->statsd;
}

const hl_config_webhooks_t *
hl_config_webhooks (const hl_config_t *self)
{
    return &self->webhooks;
}

const hl_config_alerts_t *
hl_config_alerts (const hl_config_t *self)
{
    return &self->alerts;
}

const hl_config_guard_t *
hl_config_guard (const hl_config_t *self)
{
    return &self->guard;
}

const hl_config_node_t *
hl_config_node (const hl_config_t *self)
{
    return &self->node;
}

size_t
hl_config_autoscale_size (const hl_config_t *self)
{
    return self->autoscale_n;
}

const hl_config_autoscale_t *
hl_config_autoscale (const hl_config_t *self, size_t i)
{
    return i < self->autoscale_n ? &self->autoscale[i] : NULL;
}

const hl_config_summary_t *
hl_config_summary (const hl_config_t *self)
{
    return &self->summary;
}

const hl_config_store_t *
hl_config_store (const hl_config_t *self)
{
    return &self->store;
}

size_t
hl_config_metrics_size (const hl_config_t *self)
{
    return self->metrics_n;
}

const hl_config_metric_t *
hl_config_metric (const hl_config_t *self, size_t i)
{
    return i < self->metrics_n ? &self->metrics[i] : NULL;
}

const hl_config_metric_t *
hl_config_metric_find (const hl_config_t *self, const char *name)
{
    for (size_t i = 0; name && i < self->metrics_n; i++)
        if (strcmp (self->metrics[i].name, name) == 0)
            return &self->metrics[i];
    return NULL;
}

size_t
hl_config_actions_size (const hl_config_t *self)
{
    return self->actions_n;
}

const hl_config_action_t *
hl_config_action (const hl_config_t *self, size_t i)
{
    return i < self->actions_n ? &self->actions[i] : NULL;
}

const hl_config_action_t *
hl_config_action_find (const hl_config_t *self, const char *name)
{
    for (size_t i = 0; name && i < self->actions_n; i++)
        if (strcmp (self->actions[i].name, name) == 0)
            return &self->actions[i];
    return NULL;
}

#ifndef HL_DATADIR
#define HL_DATADIR "/usr/local/share/helios"
#endif

const char *
hl_config_default_path (void)
{
    const char *env = getenv ("HELIOS_CONFIG");
    if (env && *env)
        return env;
    static const char *const candidates[]
        = { "deploy/helios.cfg", "/etc/helios/helios.cfg",
            HL_DATADIR "/helios.cfg" };
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (access (candidates[i], R_OK) == 0)
            return candidates[i];
    return NULL;
}
