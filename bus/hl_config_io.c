/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_config_io - the sections of metrics in and alerts out: statsd (the
    packet cap and the mapping from StatsD names and tags to configured
    metrics, with unit conversion), webhooks (urls, Alertmanager-style
    grouping and timing, delivery), alerts (early warnings) and summary
    (the scheduled strategic plan). Part of the hl_config module.
*/
#include "hl_config_priv.h"
#include "../proto/hl_alloc.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_statsd_keys[]
    = { "max_packet", "rcvbuf", "mapping", NULL };
static const char *s_map_keys[]
    = { "match", "tags", "metric", "unit", "scale", NULL };
static const char *s_webhooks_keys[] = {
    "urls",    "group_by", "group_wait", "group_interval", "repeat_interval",
    "timeout", "retries",  "backoff",    "max_queue",      "every_run",
    NULL
};
static const char *s_alerts_keys[]
    = { "trend_interval", "horizon", "anomaly_z", "proactive", NULL };
static const char *s_summary_keys[] = { "every", "horizon", NULL };

#define S_DAY 86400
#define S_MAX_SPAN (366 * S_DAY) /* the longest summary period or horizon */

void
hl_config_io_defaults (hl_config_statsd_t *statsd,
                       hl_config_webhooks_t *webhooks,
                       hl_config_alerts_t *alerts, hl_config_summary_t *summary)
{
    statsd->max_packet = 8192;
    statsd->rcvbuf = 4 * 1024 * 1024;
    //  Alertmanager's defaults
    webhooks->group_wait_ms = 30 * 1000;
    webhooks->group_interval_ms = 300 * 1000;
    webhooks->repeat_interval_ms = 4 * 3600 * 1000;
    webhooks->timeout_ms = 10 * 1000;
    webhooks->retries = 3;
    webhooks->backoff_ms = 1000;
    webhooks->max_queue = 256;
    //  The seed's trend evaluation every 5 minutes, 30 minutes ahead;
    //  3.5 is Iglewicz and Hoaglin's outlier cut, as Prometheus agents use
    alerts->trend_interval = 300;
    alerts->horizon = 1800;
    alerts->anomaly_z = 3.5;
    alerts->proactive = false;
    //  The seed's weekly strategic summary, a week ahead
    summary->every_s = 7 * S_DAY;
    summary->horizon_s = 7 * S_DAY;
}

void
hl_config_io_free (hl_config_statsd_t *statsd, hl_config_webhooks_t *webhooks)
{
    free (statsd->mapping);
    statsd->mapping = NULL;
    statsd->mapping_n = 0;
    for (size_t i = 0; i < webhooks->urls_n; i++)
        free (webhooks->urls[i]);
    free (webhooks->urls);
    webhooks->urls = NULL;
    webhooks->urls_n = 0;
}

// --------------------------------------------------------------------
// statsd

/*  Units a mapping converts between, as factors of their family's base
    unit: a value in unit u is value * factor(u) base units. */
static const struct {
    const char *unit;
    int family; /* 0 time, 1 fraction, 2 bytes */
    double factor;
} s_units[] = {
    { "ns", 0, 1e-9 },       { "us", 0, 1e-6 },          { "ms", 0, 1e-3 },
    { "s", 0, 1 },           { "min", 0, 60 },           { "h", 0, 3600 },
    { "ratio", 1, 1 },       { "%", 1, 0.01 },           { "B", 2, 1 },
    { "bytes", 2, 1 },       { "KB", 2, 1e3 },           { "kB", 2, 1e3 },
    { "MB", 2, 1e6 },        { "GB", 2, 1e9 },           { "KiB", 2, 1024 },
    { "MiB", 2, 1048576.0 }, { "GiB", 2, 1073741824.0 },
};

static int
s_unit (const char *name)
{
    for (size_t i = 0; i < sizeof s_units / sizeof s_units[0]; i++)
        if (strcmp (s_units[i].unit, name) == 0)
            return (int)i;
    return -1;
}

/*  A StatsD name character (as master/hl_statsd reads a line): printable
    ASCII without space, ':' (ends the name), '|' (starts a field) or '#'
    (starts tags); in a mapping, "*" matches one dot-separated part. */
static bool
s_name_char (char c)
{
    return c > ' ' && c <= '~' && c != ':' && c != '|' && c != '#';
}

static int
s_load_map (hl_setting_ctx_t *ctx, const config_setting_t *g,
            const hl_config_t *config, hl_config_statsd_map_t *m)
{
    if (config_setting_type (g) != CONFIG_TYPE_GROUP)
        return hl_setting_wrong_type (ctx, g, "a group { ... }");
    if (hl_setting_check_keys (ctx, g, s_map_keys)
        || hl_setting_require (ctx, g, "match")
        || hl_setting_require (ctx, g, "metric")
        || hl_setting_read_string (ctx, g, "match", m->match, sizeof m->match)
        || hl_setting_read_string (ctx, g, "metric", m->metric,
                                   sizeof m->metric))
        return -1;
    const config_setting_t *match = config_setting_get_member (g, "match");
    if (!*m->match)
        return hl_setting_fail (ctx, match, "must not be empty");
    for (const char *c = m->match; *c; c++)
        if (!s_name_char (*c))
            return hl_setting_fail (ctx, match,
                                    "bad StatsD name \"%s\": printable, no "
                                    "space and none of : | #",
                                    m->match);
    const hl_config_metric_t *metric
        = hl_config_metric_find (config, m->metric);
    if (!metric)
        return hl_setting_fail (ctx, config_setting_get_member (g, "metric"),
                                "unknown metric \"%s\"", m->metric);

    const config_setting_t *tags = config_setting_get_member (g, "tags");
    if (tags) {
        int type = config_setting_type (tags);
        if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
            return hl_setting_wrong_type (ctx, tags,
                                          "an array of strings [ ... ]");
        int count = config_setting_length (tags);
        if (count > HL_CONFIG_STATSD_TAGS)
            return hl_setting_fail (ctx, tags, "%d tags, at most %d", count,
                                    HL_CONFIG_STATSD_TAGS);
        for (int i = 0; i < count; i++) {
            const config_setting_t *elem = config_setting_get_elem (tags, i);
            const char *tag
                = hl_setting_string (ctx, elem, HL_CONFIG_STATSD_TAG);
            if (!tag)
                return -1;
            bool ok = *tag;
            for (const char *c = tag; *c && ok; c++)
                ok = *c > ' ' && *c <= '~' && *c != ',' && *c != '|';
            if (!ok)
                return hl_setting_fail (ctx, elem,
                                        "bad tag \"%s\": printable, no space, "
                                        "comma or |",
                                        tag);
            snprintf (m->tags[i], sizeof m->tags[i], "%s", tag);
            m->tags_n++;
        }
    }

    const config_setting_t *unit = config_setting_get_member (g, "unit");
    const config_setting_t *scale = config_setting_get_member (g, "scale");
    m->scale = 1;
    if (unit && scale)
        return hl_setting_fail (ctx, scale,
                                "give unit or scale, not both: unit converts "
                                "into the metric's unit");
    if (scale && hl_setting_number (ctx, scale, -1e12, 1e12, &m->scale))
        return -1;
    if (scale && m->scale == 0)
        return hl_setting_fail (ctx, scale, "must not be 0");
    if (unit) {
        char name[16];
        if (hl_setting_read_string (ctx, g, "unit", name, sizeof name))
            return -1;
        int from = s_unit (name), to = s_unit (metric->unit);
        if (strcmp (name, metric->unit) == 0)
            m->scale = 1;
        else if (from < 0 || to < 0
                 || s_units[from].family != s_units[to].family)
            return hl_setting_fail (ctx, unit,
                                    "cannot convert \"%s\" into \"%s\", the "
                                    "unit of metric \"%s\" (time ns..h, ratio "
                                    "and %%, bytes B..GiB convert)",
                                    name, metric->unit, metric->name);
        else
            m->scale = s_units[from].factor / s_units[to].factor;
    }
    return 0;
}

int
hl_config_load_statsd (hl_setting_ctx_t *ctx, const config_t *cfg,
                       const hl_config_t *config, hl_config_statsd_t *out)
{
    int rc;
    const config_setting_t *g
        = hl_setting_section (ctx, cfg, "statsd", s_statsd_keys, &rc);
    if (!g)
        return rc;
    //  65507: the largest UDP payload over IPv4
    if (hl_setting_read_int (ctx, g, "max_packet", 512, 65507, &out->max_packet)
        || hl_setting_read_int (ctx, g, "rcvbuf", 65536, 256 * 1024 * 1024,
                                &out->rcvbuf))
        return -1;
    const config_setting_t *list = config_setting_get_member (g, "mapping");
    if (!list)
        return 0;
    if (!hl_setting_is_list (list))
        return hl_setting_wrong_type (ctx, list, "a list ( { ... }, ... )");
    int count = config_setting_length (list);
    if (count > HL_CONFIG_STATSD_MAPS)
        return hl_setting_fail (ctx, list, "%d mappings, at most %d", count,
                                HL_CONFIG_STATSD_MAPS);
    out->mapping = hl_calloc ((size_t)count, sizeof *out->mapping);
    for (int i = 0; i < count; i++) {
        if (s_load_map (ctx, config_setting_get_elem (list, i), config,
                        &out->mapping[i]))
            return -1;
        out->mapping_n++;
    }
    return 0;
}

// --------------------------------------------------------------------
// webhooks

/*  http:// or https://, a host, printable and no space. */
static bool
s_url_ok (const char *url)
{
    const char *rest = strncmp (url, "http://", 7) == 0    ? url + 7
                       : strncmp (url, "https://", 8) == 0 ? url + 8
                                                           : NULL;
    if (!rest || !*rest || *rest == '/' || *rest == ':')
        return false;
    for (const char *c = url; *c; c++)
        if (*c <= ' ' || *c > '~')
            return false;
    return true;
}

/*  Seconds as a number into milliseconds, min..max seconds. */
static int
s_read_ms (hl_setting_ctx_t *ctx, const config_setting_t *g, const char *name,
           double min, double max, int *out_ms)
{
    double seconds = *out_ms / 1000.0;
    if (hl_setting_read_double (ctx, g, name, min, max, &seconds))
        return -1;
    *out_ms = (int)lround (seconds * 1000);
    return 0;
}

static int
s_load_group_by (hl_setting_ctx_t *ctx, const config_setting_t *g,
                 hl_config_webhooks_t *out)
{
    char **names = NULL;
    size_t n = 0;
    int rc = hl_setting_read_strings (ctx, g, "group_by", 16, &names, &n);
    const config_setting_t *list = config_setting_get_member (g, "group_by");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (strcmp (names[i], "subject") == 0)
            out->group_by_subject = true;
        else if (strcmp (names[i], "severity") == 0)
            out->group_by_severity = true;
        else if (strcmp (names[i], "alertname") != 0)
            rc = hl_setting_fail (ctx, config_setting_get_elem (list, (int)i),
                                  "must be one of alertname, subject or "
                                  "severity");
    }
    for (size_t i = 0; i < n; i++)
        free (names[i]);
    free (names);
    return rc;
}

int
hl_config_load_webhooks (hl_setting_ctx_t *ctx, const config_t *cfg,
                         hl_config_webhooks_t *out)
{
    int rc;
    const config_setting_t *g
        = hl_setting_section (ctx, cfg, "webhooks", s_webhooks_keys, &rc);
    if (!g)
        return rc;
    const config_setting_t *urls = config_setting_get_member (g, "urls");
    if (urls && config_setting_length (urls) > HL_CONFIG_WEBHOOK_URLS)
        return hl_setting_fail (ctx, urls, "%d urls, at most %d",
                                config_setting_length (urls),
                                HL_CONFIG_WEBHOOK_URLS);
    if (hl_setting_read_strings (ctx, g, "urls", HL_CONFIG_PATH, &out->urls,
                                 &out->urls_n))
        return -1;
    for (size_t i = 0; i < out->urls_n; i++)
        if (!s_url_ok (out->urls[i]))
            return hl_setting_fail (ctx, config_setting_get_elem (urls, (int)i),
                                    "bad url \"%s\": must be http:// or "
                                    "https:// with a host, no spaces",
                                    out->urls[i]);
    if (s_load_group_by (ctx, g, out)
        || s_read_ms (ctx, g, "group_wait", 0, S_DAY, &out->group_wait_ms)
        || s_read_ms (ctx, g, "group_interval", 0.1, S_DAY,
                      &out->group_interval_ms)
        || s_read_ms (ctx, g, "repeat_interval", 1, 7 * S_DAY,
                      &out->repeat_interval_ms)
        || s_read_ms (ctx, g, "timeout", 0.1, 300, &out->timeout_ms)
        || hl_setting_read_int (ctx, g, "retries", 0, 10, &out->retries)
        || s_read_ms (ctx, g, "backoff", 0.01, 3600, &out->backoff_ms)
        || hl_setting_read_int (ctx, g, "max_queue", 1, 100000, &out->max_queue)
        || hl_setting_read_bool (ctx, g, "every_run", &out->every_run))
        return -1;
    return 0;
}

// --------------------------------------------------------------------
// alerts and summary

int
hl_config_load_alerts (hl_setting_ctx_t *ctx, const config_t *cfg,
                       hl_config_alerts_t *out)
{
    int rc;
    const config_setting_t *g
        = hl_setting_section (ctx, cfg, "alerts", s_alerts_keys, &rc);
    if (!g)
        return rc;
    //  Robust z is clamped at 100 (hl_stats), so a cut must stay below
    if (hl_setting_read_int (ctx, g, "trend_interval", 0, S_DAY,
                             &out->trend_interval)
        || hl_setting_read_int (ctx, g, "horizon", 1, 30 * S_DAY, &out->horizon)
        || hl_setting_read_double (ctx, g, "anomaly_z", 1, 99, &out->anomaly_z)
        || hl_setting_read_bool (ctx, g, "proactive", &out->proactive))
        return -1;
    return 0;
}

/*  A period: seconds as an integer, or "hourly", "daily", "weekly",
    "off" (0, when allow_off), or "<n>_<unit>" with unit seconds,
    minutes, hours, days or weeks; min..S_MAX_SPAN seconds. */
static int
s_read_span (hl_setting_ctx_t *ctx, const config_setting_t *g, const char *name,
             int64_t min, bool allow_off, int64_t *out)
{
    const config_setting_t *s = config_setting_get_member (g, name);
    if (!s)
        return 0;
    if (config_setting_type (s) != CONFIG_TYPE_STRING) {
        if (hl_setting_int64 (ctx, s, allow_off ? 0 : min, S_MAX_SPAN, out))
            return -1;
        if (*out != 0 && *out < min)
            return hl_setting_fail (ctx, s, "%lld out of range %lld..%d",
                                    (long long)*out, (long long)min,
                                    S_MAX_SPAN);
        return 0;
    }
    const char *text = hl_setting_string (ctx, s, 64);
    if (!text)
        return -1;
    static const struct {
        const char *name;
        int64_t seconds;
    } named[] = { { "hourly", 3600 },
                  { "daily", S_DAY },
                  { "weekly", 7 * S_DAY },
                  { "off", 0 } };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (strcmp (text, named[i].name) == 0
            && (named[i].seconds || allow_off)) {
            *out = named[i].seconds;
            return 0;
        }
    static const struct {
        const char *suffix;
        double seconds;
    } units[] = { { "_seconds", 1 },
                  { "_minutes", 60 },
                  { "_hours", 3600 },
                  { "_days", S_DAY },
                  { "_weeks", 7 * S_DAY } };
    char *end = NULL;
    double n = strtod (text, &end);
    for (size_t i = 0; end != text && i < sizeof units / sizeof units[0]; i++)
        if (strcmp (end, units[i].suffix) == 0) {
            double seconds = n * units[i].seconds;
            if (isfinite (seconds) && seconds >= (double)min
                && seconds <= S_MAX_SPAN) {
                *out = (int64_t)seconds;
                return 0;
            }
        }
    return hl_setting_fail (ctx, s,
                            "bad period \"%s\": seconds, hourly, daily, "
                            "weekly%s or <n>_minutes|hours|days|weeks, "
                            "%lld s to 366 days",
                            text, allow_off ? ", off" : "", (long long)min);
}

int
hl_config_load_summary (hl_setting_ctx_t *ctx, const config_t *cfg,
                        hl_config_summary_t *out)
{
    int rc;
    const config_setting_t *g
        = hl_setting_section (ctx, cfg, "summary", s_summary_keys, &rc);
    if (!g)
        return rc;
    if (s_read_span (ctx, g, "every", 1, true, &out->every_s)
        || s_read_span (ctx, g, "horizon", 60, false, &out->horizon_s))
        return -1;
    return 0;
}
