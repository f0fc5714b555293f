/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_config - loads a libconfig file into typed structs, validating every
    section against design §4 whoever reads it: defaults, then one loader
    per section, metric and action. The typed readers, which name the
    file, the line and the setting's path in every failure, are
    hl_setting's. Owns copies of all strings: libconfig's die with
    config_destroy().
*/
#include "hl_config.h"
#include "hl_config_priv.h"
#include "hl_log.h"
#include "hl_setting.h"
#include "../proto/hl_alloc.h"

#include <errno.h>
#include <float.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
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
    hl_config_metric_t *metrics;   // metrics_n entries, names unique
    size_t metrics_n;
    hl_config_action_t *actions; // actions_n entries, names unique
    size_t actions_n;
};

//  A key a section accepts; keys starting with "x_" are always accepted
static const char *s_master_keys[]
    = { "tasks",    "control",   "bus_in",     "bus_out",
        "http",     "statsd",    "state_dir",  "heartbeat_ms",
        "liveness", "log_level", "http_token", NULL };
static const char *s_connect_keys[]
    = { "tasks", "control", "bus_in", "bus_out", "capacity", NULL };
static const char *s_agent_keys[] = { "state_dir", NULL };
static const char *s_limits_keys[] = { "max_msg_size",     "max_str",
                                       "max_items",        "max_depth",
                                       "sndhwm",           "rcvhwm",
                                       "linger_ms",        "http_connections",
                                       "http_sse_clients", "http_headers",
                                       "http_head_bytes",  "http_body_bytes",
                                       "http_timeout_ms",  NULL };
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
static const char *s_metric_keys[]
    = { "name",     "category", "unit", "better", "stat", "target",
        "critical", "weight",   "key",  "min",    "max",  NULL };
static const char *s_action_keys[]
    = { "name",    "swarm", "improves", "resources", "apply",  "rollback",
        "timeout", "cost",  "expected", "params",    "guards", NULL };
static const char *s_param_keys[]
    = { "name", "type", "min", "max", "pattern", "required", "default", NULL };

static const char *s_betters[] = { "lower", "higher", NULL };
static const char *s_stats[]
    = { "mean", "p50", "p95", "min", "max", "last", NULL };
static const char *s_param_types[] = { "int", "float", "str", NULL };

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
        || hl_setting_read_enum (ctx, g, "log_level", levels, &level)
        || hl_setting_read_string (ctx, g, "http_token", m->http_token,
                                   sizeof m->http_token))
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
                                HL_HTTP_TIMEOUT_MS, &l->http_timeout_ms))
        return -1;
    hl_limits_lower (&l->decode);
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

// --------------------------------------------------------------------
// Metrics

/*  A metric's possible values when the config does not say: a percentage
    is 0..100; times, counts, rates and anything where lower is better
    cannot go below 0; the rest is unbounded. */
static void
s_default_range (hl_config_metric_t *m, bool lower_better)
{
    static const char *non_negative[]
        = { "ms",   "s",     "us",    "ns",    "min", "h", "msg/s",
            "msgs", "req/s", "count", "bytes", "B",   "%", NULL };
    bool bounded = lower_better;
    for (int i = 0; non_negative[i] && !bounded; i++)
        bounded = strcmp (m->unit, non_negative[i]) == 0;
    m->min = bounded ? 0 : -DBL_MAX;
    m->max = strcmp (m->unit, "%") == 0 ? 100 : DBL_MAX;
}

static int
s_load_metric (hl_setting_ctx_t *ctx, const config_setting_t *g,
               hl_config_metric_t *m)
{
    if (config_setting_type (g) != CONFIG_TYPE_GROUP)
        return hl_setting_wrong_type (ctx, g, "a group { ... }");
    //  Category and direction have no safe default: a metric scored the
    //  wrong way round is worse than a refused file
    if (hl_setting_check_keys (ctx, g, s_metric_keys)
        || hl_setting_read_name (ctx, g, m->name, sizeof m->name)
        || hl_setting_require (ctx, g, "category")
        || hl_setting_require (ctx, g, "better")
        || hl_setting_require (ctx, g, "target")
        || hl_setting_require (ctx, g, "critical"))
        return -1;
    int category = 0, better = 0, stat = 0;
    const char *categories[HL_CATEGORY_COUNT + 1] = { NULL };
    for (int i = 0; i < HL_CATEGORY_COUNT; i++)
        categories[i] = hl_category_name ((hl_category_t)i);
    m->weight = 1.0;
    m->key = false;
    if (hl_setting_read_enum (ctx, g, "category", categories, &category)
        || hl_setting_read_string (ctx, g, "unit", m->unit, sizeof m->unit)
        || hl_setting_read_enum (ctx, g, "better", s_betters, &better)
        || hl_setting_read_enum (ctx, g, "stat", s_stats, &stat)
        || hl_setting_read_double (ctx, g, "target", -DBL_MAX, DBL_MAX,
                                   &m->target)
        || hl_setting_read_double (ctx, g, "critical", -DBL_MAX, DBL_MAX,
                                   &m->critical)
        || hl_setting_read_double (ctx, g, "weight", DBL_MIN, 1e6, &m->weight)
        || hl_setting_read_bool (ctx, g, "key", &m->key))
        return -1;
    s_default_range (m, better == 0);
    if (hl_setting_read_double (ctx, g, "min", -DBL_MAX, DBL_MAX, &m->min)
        || hl_setting_read_double (ctx, g, "max", -DBL_MAX, DBL_MAX, &m->max))
        return -1;
    m->category = (hl_category_t)category;
    snprintf (m->stat, sizeof m->stat, "%s", s_stats[stat]);
    m->better = better == 0 ? HL_BETTER_LOWER : HL_BETTER_HIGHER;
    if (m->better == HL_BETTER_LOWER && !(m->target < m->critical))
        return hl_setting_fail (ctx, config_setting_get_member (g, "critical"),
                                "better = \"lower\" needs target < critical "
                                "(%g >= %g)",
                                m->target, m->critical);
    if (m->better == HL_BETTER_HIGHER && !(m->target > m->critical))
        return hl_setting_fail (ctx, config_setting_get_member (g, "critical"),
                                "better = \"higher\" needs target > critical "
                                "(%g <= %g)",
                                m->target, m->critical);
    if (!(m->min < m->max))
        return hl_setting_fail (ctx, g, "needs min < max (%g >= %g)", m->min,
                                m->max);
    double lo = m->target < m->critical ? m->target : m->critical;
    double hi = m->target < m->critical ? m->critical : m->target;
    if (lo < m->min || hi > m->max)
        return hl_setting_fail (ctx, g,
                                "target and critical must lie within its "
                                "range [%g, %g]",
                                m->min, m->max);
    return 0;
}

static int
s_load_metrics (hl_setting_ctx_t *ctx, const config_t *cfg, hl_config_t *self)
{
    const config_setting_t *list = config_lookup (cfg, "metrics");
    if (!list)
        return 0;
    if (!hl_setting_is_list (list))
        return hl_setting_wrong_type (ctx, list, "a list ( { ... }, ... )");
    int count = config_setting_length (list);
    self->metrics = hl_calloc ((size_t)count, sizeof *self->metrics);
    for (int i = 0; i < count; i++) {
        const config_setting_t *g = config_setting_get_elem (list, i);
        hl_config_metric_t *m = &self->metrics[i];
        if (s_load_metric (ctx, g, m))
            return -1;
        for (size_t j = 0; j < self->metrics_n; j++)
            if (strcmp (self->metrics[j].name, m->name) == 0)
                return hl_setting_fail (ctx,
                                        config_setting_get_member (g, "name"),
                                        "duplicate metric \"%s\"", m->name);
        self->metrics_n++;
    }
    return 0;
}

// --------------------------------------------------------------------
// Actions

//  Compile the pattern as the agent will use it, anchored at both ends
static int
s_check_pattern (hl_setting_ctx_t *ctx, const config_setting_t *setting,
                 const char *pattern)
{
    char anchored[sizeof ((hl_config_param_t *)0)->pattern + 8];
    snprintf (anchored, sizeof anchored, "^(%s)$", pattern);
    regex_t re;
    int rc = regcomp (&re, anchored, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char reason[128];
        regerror (rc, &re, reason, sizeof reason);
        return hl_setting_fail (ctx, setting, "bad regex \"%s\": %s", pattern,
                                reason);
    }
    regfree (&re);
    return 0;
}

//  Does text (a default value) satisfy the parameter's declaration?
static bool
s_value_ok (const hl_config_param_t *p, const char *text)
{
    char *end = NULL;
    errno = 0;
    if (p->type == HL_PARAM_INT) {
        long long value = strtoll (text, &end, 10);
        return *text && !*end && errno == 0 && (double)value >= p->min
               && (double)value <= p->max;
    }
    if (p->type == HL_PARAM_FLOAT) {
        double value = strtod (text, &end);
        return *text && !*end && errno == 0 && isfinite (value)
               && value >= p->min && value <= p->max;
    }
    char anchored[sizeof p->pattern + 8];
    snprintf (anchored, sizeof anchored, "^(%s)$",
              p->pattern[0] ? p->pattern : "[A-Za-z0-9_.,:/=-]*");
    regex_t re;
    if (regcomp (&re, anchored, REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    bool ok = regexec (&re, text, 0, NULL, 0) == 0;
    regfree (&re);
    return ok;
}

//  [a-z][a-z0-9_]*: it is upper-cased into HELIOS_PARAM_<NAME>
static bool
s_param_name_ok (const char *name)
{
    if (!(*name >= 'a' && *name <= 'z'))
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')
              || *c == '_'))
            return false;
    return true;
}

//  The param's default, as text: a string as it is, a number printed
static int
s_load_param_default (hl_setting_ctx_t *ctx, const config_setting_t *g,
                      hl_config_param_t *p)
{
    const config_setting_t *fallback = config_setting_get_member (g, "default");
    if (!fallback)
        return 0;
    int ftype = config_setting_type (fallback);
    if (ftype == CONFIG_TYPE_STRING) {
        const char *text
            = hl_setting_string (ctx, fallback, sizeof p->fallback);
        if (!text)
            return -1;
        memcpy (p->fallback, text, strlen (text) + 1);
    } else if (ftype == CONFIG_TYPE_INT || ftype == CONFIG_TYPE_INT64)
        snprintf (p->fallback, sizeof p->fallback, "%lld",
                  config_setting_get_int64 (fallback));
    else if (ftype == CONFIG_TYPE_FLOAT)
        snprintf (p->fallback, sizeof p->fallback, "%.17g",
                  config_setting_get_float (fallback));
    else
        return hl_setting_wrong_type (ctx, fallback, "a string or a number");
    //  A default the agent would itself reject is a typo
    if (!s_value_ok (p, p->fallback))
        return hl_setting_fail (ctx, fallback,
                                "default \"%s\" does not fit the param's type, "
                                "range or pattern",
                                p->fallback);
    return 0;
}

static int
s_load_param (hl_setting_ctx_t *ctx, const config_setting_t *g,
              hl_config_param_t *p)
{
    if (config_setting_type (g) != CONFIG_TYPE_GROUP)
        return hl_setting_wrong_type (ctx, g, "a group { ... }");
    if (hl_setting_check_keys (ctx, g, s_param_keys)
        || hl_setting_require (ctx, g, "name")
        || hl_setting_require (ctx, g, "type"))
        return -1;
    const config_setting_t *name = config_setting_get_member (g, "name");
    const char *value = hl_setting_string (ctx, name, sizeof p->name);
    if (!value)
        return -1;
    if (!s_param_name_ok (value))
        return hl_setting_fail (
            ctx, name, "bad name \"%s\": must match [a-z][a-z0-9_]*", value);
    memcpy (p->name, value, strlen (value) + 1);

    int type = 0;
    p->min = -DBL_MAX;
    p->max = DBL_MAX;
    if (hl_setting_read_enum (ctx, g, "type", s_param_types, &type))
        return -1;
    p->type = (hl_param_type_t)type;
    const config_setting_t *min = config_setting_get_member (g, "min");
    const config_setting_t *max = config_setting_get_member (g, "max");
    const config_setting_t *pattern = config_setting_get_member (g, "pattern");
    if (p->type == HL_PARAM_STR && (min || max))
        return hl_setting_fail (
            ctx, min ? min : max,
            "min and max apply to int and float params only");
    if (p->type != HL_PARAM_STR && pattern)
        return hl_setting_fail (ctx, pattern,
                                "pattern applies to str params only");
    if (p->type == HL_PARAM_INT) {
        int64_t lo = INT64_MIN, hi = INT64_MAX;
        if ((min && hl_setting_int64 (ctx, min, INT64_MIN, INT64_MAX, &lo))
            || (max && hl_setting_int64 (ctx, max, INT64_MIN, INT64_MAX, &hi)))
            return -1;
        p->min = min ? (double)lo : -DBL_MAX;
        p->max = max ? (double)hi : DBL_MAX;
    } else if (p->type == HL_PARAM_FLOAT) {
        if ((min && hl_setting_number (ctx, min, -DBL_MAX, DBL_MAX, &p->min))
            || (max
                && hl_setting_number (ctx, max, -DBL_MAX, DBL_MAX, &p->max)))
            return -1;
    }
    if (p->min > p->max)
        return hl_setting_fail (ctx, max, "max %g is below min %g", p->max,
                                p->min);
    if (hl_setting_read_string (ctx, g, "pattern", p->pattern,
                                sizeof p->pattern)
        || (pattern && s_check_pattern (ctx, pattern, p->pattern))
        || hl_setting_read_bool (ctx, g, "required", &p->required))
        return -1;

    return s_load_param_default (ctx, g, p);
}

static int
s_load_params (hl_setting_ctx_t *ctx, const config_setting_t *g,
               hl_config_action_t *a)
{
    const config_setting_t *list = config_setting_get_member (g, "params");
    if (!list)
        return 0;
    if (!hl_setting_is_list (list))
        return hl_setting_wrong_type (ctx, list, "a list ( { ... }, ... )");
    int count = config_setting_length (list);
    a->params = hl_calloc ((size_t)count, sizeof *a->params);
    for (int i = 0; i < count; i++) {
        const config_setting_t *pg = config_setting_get_elem (list, i);
        hl_config_param_t *p = &a->params[i];
        if (s_load_param (ctx, pg, p))
            return -1;
        for (size_t j = 0; j < a->params_n; j++)
            if (strcmp (a->params[j].name, p->name) == 0)
                return hl_setting_fail (ctx,
                                        config_setting_get_member (pg, "name"),
                                        "duplicate param \"%s\"", p->name);
        a->params_n++;
    }
    return 0;
}

/*  Explicit guards: configured metrics, none twice, none a target. */
static int
s_check_guards (hl_setting_ctx_t *ctx, const config_setting_t *guards,
                hl_config_t *self, const hl_config_action_t *a)
{
    for (size_t i = 0; i < a->guards_n; i++) {
        const config_setting_t *elem = config_setting_get_elem (guards, (int)i);
        if (!hl_config_metric_find (self, a->guards[i]))
            return hl_setting_fail (ctx, elem, "unknown metric \"%s\"",
                                    a->guards[i]);
        for (size_t j = 0; j < a->improves_n; j++)
            if (strcmp (a->guards[i], a->improves[j]) == 0)
                return hl_setting_fail (ctx, elem,
                                        "metric \"%s\" is a target already",
                                        a->guards[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp (a->guards[i], a->guards[j]) == 0)
                return hl_setting_fail (ctx, elem, "metric \"%s\" listed twice",
                                        a->guards[i]);
    }
    return 0;
}

/*  The metrics an action must not make worse: its guards, or by default
    the key metrics it does not itself target. */
static int
s_load_guards (hl_setting_ctx_t *ctx, const config_setting_t *g,
               hl_config_t *self, hl_config_action_t *a)
{
    const config_setting_t *guards = config_setting_get_member (g, "guards");
    if (guards)
        return hl_setting_read_strings (ctx, g, "guards",
                                        sizeof ((hl_config_metric_t *)0)->name,
                                        &a->guards, &a->guards_n)
               || s_check_guards (ctx, guards, self, a);
    a->guards = hl_calloc (self->metrics_n, sizeof (char *));
    for (size_t i = 0; i < self->metrics_n; i++) {
        const hl_config_metric_t *m = &self->metrics[i];
        bool target = false;
        for (size_t j = 0; j < a->improves_n; j++)
            target |= strcmp (a->improves[j], m->name) == 0;
        if (m->key && !target)
            a->guards[a->guards_n++] = hl_strdup (m->name);
    }
    return 0;
}

static int
s_load_action (hl_setting_ctx_t *ctx, const config_setting_t *g,
               hl_config_t *self, hl_config_action_t *a)
{
    if (config_setting_type (g) != CONFIG_TYPE_GROUP)
        return hl_setting_wrong_type (ctx, g, "a group { ... }");
    int swarm = 0;
    const char *swarms[HL_SWARM_COUNT + 1] = { NULL };
    for (int i = 0; i < HL_SWARM_COUNT; i++)
        swarms[i] = hl_swarm_name ((hl_swarm_t)i);
    a->timeout = 30;
    a->cost = 1.0;
    a->expected = 0.1;
    if (hl_setting_check_keys (ctx, g, s_action_keys)
        || hl_setting_read_name (ctx, g, a->name, sizeof a->name)
        || hl_setting_require (ctx, g, "swarm")
        || hl_setting_require (ctx, g, "improves")
        || hl_setting_read_enum (ctx, g, "swarm", swarms, &swarm)
        || hl_setting_read_strings (ctx, g, "improves",
                                    sizeof ((hl_config_metric_t *)0)->name,
                                    &a->improves, &a->improves_n)
        || hl_setting_read_strings (ctx, g, "resources", HL_CONFIG_PATH,
                                    &a->resources, &a->resources_n))
        return -1;
    a->swarm = (hl_swarm_t)swarm;

    const config_setting_t *improves
        = config_setting_get_member (g, "improves");
    if (a->improves_n == 0)
        return hl_setting_fail (ctx, improves, "must name at least one metric");
    for (size_t i = 0; i < a->improves_n; i++) {
        const config_setting_t *elem
            = config_setting_get_elem (improves, (int)i);
        if (!hl_config_metric_find (self, a->improves[i]))
            return hl_setting_fail (ctx, elem, "unknown metric \"%s\"",
                                    a->improves[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp (a->improves[i], a->improves[j]) == 0)
                return hl_setting_fail (ctx, elem, "metric \"%s\" listed twice",
                                        a->improves[i]);
    }

    if (s_load_guards (ctx, g, self, a))
        return -1;

    char command[HL_CONFIG_PATH] = "";
    if (hl_setting_read_string (ctx, g, "apply", command, sizeof command))
        return -1;
    a->apply = hl_strdup (command);
    command[0] = '\0';
    if (hl_setting_read_string (ctx, g, "rollback", command, sizeof command))
        return -1;
    a->rollback = hl_strdup (command);

    if (hl_setting_read_int (ctx, g, "timeout", 1, 3600, &a->timeout)
        || hl_setting_read_double (ctx, g, "cost", 0, 1e9, &a->cost)
        || hl_setting_read_double (ctx, g, "expected", 0, 1e6, &a->expected)
        || s_load_params (ctx, g, a))
        return -1;
    return 0;
}

static int
s_load_actions (hl_setting_ctx_t *ctx, const config_t *cfg, hl_config_t *self)
{
    const config_setting_t *list = config_lookup (cfg, "actions");
    if (!list)
        return 0;
    if (!hl_setting_is_list (list))
        return hl_setting_wrong_type (ctx, list, "a list ( { ... }, ... )");
    int count = config_setting_length (list);
    self->actions = hl_calloc ((size_t)count, sizeof *self->actions);
    for (int i = 0; i < count; i++) {
        const config_setting_t *g = config_setting_get_elem (list, i);
        hl_config_action_t *a = &self->actions[i];
        //  Counted first so that destroy frees a half-loaded action
        self->actions_n++;
        if (s_load_action (ctx, g, self, a))
            return -1;
        for (size_t j = 0; j + 1 < self->actions_n; j++)
            if (strcmp (self->actions[j].name, a->name) == 0)
                return hl_setting_fail (ctx,
                                        config_setting_get_member (g, "name"),
                                        "duplicate action \"%s\"", a->name);
    }
    return 0;
}

// --------------------------------------------------------------------

static const char *s_sections[]
    = { "master", "connect", "agent",   "limits", "cycle",  "emergency",
        "health", "metrics", "actions", "demo",   "statsd", "webhooks",
        "alerts", "summary", "store",   NULL };

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
        || s_load_metrics (&ctx, &cfg, self)
        || s_load_actions (&ctx, &cfg, self)
        || hl_config_load_statsd (&ctx, &cfg, self, &self->statsd)
        || hl_config_load_webhooks (&ctx, &cfg, &self->webhooks)
        || hl_config_load_alerts (&ctx, &cfg, &self->alerts)
        || hl_config_load_summary (&ctx, &cfg, &self->summary)
        || s_load_store (&ctx, &cfg, self))
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
    for (size_t i = 0; i < self->actions_n; i++) {
        hl_config_action_t *a = &self->actions[i];
        for (size_t j = 0; j < a->improves_n; j++)
            free (a->improves[j]);
        free (a->improves);
        for (size_t j = 0; j < a->resources_n; j++)
            free (a->resources[j]);
        free (a->resources);
        for (size_t j = 0; j < a->guards_n; j++)
            free (a->guards[j]);
        free (a->guards);
        free (a->apply);
        free (a->rollback);
        free (a->params);
    }
    free (self->actions);
    free (self->metrics);
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
