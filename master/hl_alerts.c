/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_alerts - events from bus messages, and Alertmanager's grouping
    over them. Groups and their alerts live in fixed-size tables, found
    by a linear look: there are few, and events are rare.
*/
#include <czmq.h>
#include <math.h>
#include <string.h>

#include "../proto/hl_alloc.h"
#include "hl_alerts.h"
#include "hl_report.h"

#define S_NAME 64     /* bytes of an alertname */
#define S_SUBJECT 128 /* bytes of a subject */
#define S_SEVERITY 16
#define S_TEXT 512 /* bytes of one alert's text */

//  --------------------------------------------------------------------
//  Events from messages

/*  A new event object. */
static json_t *
s_event (const char *alertname, const char *subject, const char *severity,
         const char *status, const char *text, json_t *data)
{
    json_t *e = json_object ();
    json_object_set_new (e, "alertname", json_string (alertname));
    json_object_set_new (e, "subject", json_string (subject ? subject : ""));
    json_object_set_new (e, "severity", json_string (severity));
    json_object_set_new (e, "status", json_string (status));
    json_object_set_new (e, "text", json_string (text));
    json_object_set_new (e, "time", json_integer (hl_msg_now_us ()));
    json_object_set_new (e, "data", data ? data : json_object ());
    return e;
}

/*  An alert.<severity>: its data says what it is about. data.alertname,
    data.subject and data.status ("firing", "resolved" or "event") when
    given (the early warnings give them); else from data.event, as the
    emergency protocol names it: "emergency.started" fires the alert
    "emergency", "emergency.resolved" resolves it. */
static json_t *
s_from_alert (const hl_msg_t *msg)
{
    const hl_value_t *data = hl_msg_data (msg);
    const char *event = hl_value_get_str (data, "event", "alert");
    char name[S_NAME];
    snprintf (name, sizeof name, "%s",
              hl_value_get_str (data, "alertname", event));
    if (!hl_value_get (data, "alertname")) {
        char *dot = strchr (name, '.');
        if (dot)
            *dot = 0;
    }
    size_t len = strlen (event);
    bool resolved = (len > 9 && streq (event + len - 9, ".resolved"))
                    || (len > 8 && streq (event + len - 8, ".cleared"));
    const char *status
        = hl_value_get_str (data, "status", resolved ? "resolved" : "firing");
    json_t *copy = data ? hl_value_to_json (data) : NULL;
    return s_event (name, hl_value_get_str (data, "subject", ""),
                    hl_msg_severity (msg), status, hl_msg_text (msg), copy);
}

/*  A finished run: each action that regressed and was rolled back, and
    the run itself when every_run. */
static size_t
s_from_cycle (const hl_msg_t *msg, bool every_run, json_t **events, size_t max)
{
    const hl_value_t *report = hl_value_get (hl_msg_data (msg), "report");
    if (!report)
        return 0;
    const char *kind = hl_value_get_str (report, "kind", "run");
    int64_t id = hl_value_get_int (report, "id", 0);
    const hl_value_t *actions = hl_value_get (report, "actions");
    size_t n = 0;
    char text[S_TEXT], subject[S_SUBJECT];
    for (size_t i = 0; i < hl_value_size (actions) && n < max; i++) {
        const hl_value_t *a = hl_value_at (actions, i);
        if (!streq (hl_value_get_str (a, "verdict", ""), "regressed")
            || !streq (hl_value_get_str (a, "outcome", ""), "rolled_back"))
            continue;
        const char *action = hl_value_get_str (a, "name", "?");
        snprintf (text, sizeof text,
                  "%s regressed and was rolled back (%s %" PRId64 ")", action,
                  kind, id);
        json_t *data = json_object ();
        json_object_set_new (data, "run", json_integer (id));
        json_object_set_new (data, "kind", json_string (kind));
        const hl_value_t *p = hl_value_get (a, "p_value");
        double v;
        if (p && !hl_value_double (p, &v) && isfinite (v))
            json_object_set_new (data, "p_value", json_real (v));
        events[n++] = s_event ("action_regressed", action, "warning", "event",
                               text, data);
    }
    if (every_run && n < max) {
        double before = hl_value_get_double (report, "health_before", NAN);
        double after = hl_value_get_double (report, "health_after", NAN);
        size_t kept = 0, undone = 0;
        for (size_t i = 0; i < hl_value_size (actions); i++) {
            const char *o
                = hl_value_get_str (hl_value_at (actions, i), "outcome", "");
            kept += streq (o, "kept");
            undone += !streq (o, "kept");
        }
        char b[16] = "n/a", a[16] = "n/a";
        if (isfinite (before))
            snprintf (b, sizeof b, "%.1f", before);
        if (isfinite (after))
            snprintf (a, sizeof a, "%.1f", after);
        snprintf (text, sizeof text,
                  "%s %" PRId64 " done: health %s -> %s; %zu kept, %zu "
                  "rolled back or failed",
                  kind, id, b, a, kept, undone);
        snprintf (subject, sizeof subject, "%s %" PRId64, kind, id);
        json_t *data = json_object ();
        json_object_set_new (data, "run", json_integer (id));
        json_object_set_new (data, "kind", json_string (kind));
        if (isfinite (before))
            json_object_set_new (data, "health_before", json_real (before));
        if (isfinite (after))
            json_object_set_new (data, "health_after", json_real (after));
        events[n++]
            = s_event ("run_finished", subject, "info", "event", text, data);
    }
    return n;
}

size_t
hl_alerts_from_msg (const hl_msg_t *msg, bool every_run, json_t **events,
                    size_t max)
{
    if (!msg || max == 0)
        return 0;
    switch (hl_msg_type (msg)) {
        case HL_MSG_ALERT:
            events[0] = s_from_alert (msg);
            return 1;
        case HL_MSG_CYCLE:
            return streq (hl_msg_event (msg), "finished")
                       ? s_from_cycle (msg, every_run, events, max)
                       : 0;
        case HL_MSG_AGENT: {
            if (!streq (hl_msg_event (msg), "expired"))
                return 0;
            char text[S_TEXT];
            snprintf (text, sizeof text,
                      "agent %s (%s) lost: it stopped answering; its tasks go "
                      "to others",
                      hl_msg_name (msg), hl_msg_role (msg));
            json_t *data = json_object ();
            json_object_set_new (data, "role", json_string (hl_msg_role (msg)));
            const char *host = hl_value_get_str (hl_msg_data (msg), "host", "");
            json_object_set_new (data, "host", json_string (host));
            events[0] = s_event ("agent_lost", hl_msg_name (msg), "warning",
                                 "event", text, data);
            return 1;
        }
        default:
            return 0;
    }
}

bool
hl_alerts_topic (const char *topic)
{
    return strncmp (topic, "alert.", 6) == 0 || streq (topic, "cycle.finished")
           || streq (topic, "agent.expired");
}

//  --------------------------------------------------------------------
//  Groups

typedef enum { S_TOLD_NONE, S_TOLD_FIRING } s_told_t;

typedef struct {
    char name[S_NAME];
    char subject[S_SUBJECT];
    char severity[S_SEVERITY];
    char text[S_TEXT];
    bool firing;
    bool event;    /* told once, then gone */
    s_told_t told; /* what the last message said of it */
    int64_t time_us;
    json_t *data;
} s_alert_t;

typedef struct {
    bool used;
    char key[S_NAME + S_SUBJECT + S_SEVERITY + 48];
    char name[S_NAME];
    char subject[S_SUBJECT];   /* "" unless grouped by it */
    char severity[S_SEVERITY]; /* "" unless grouped by it */
    s_alert_t alerts[HL_ALERTS_PER_GROUP];
    size_t nalerts;
    int64_t next_ms;  /* its next tick */
    int64_t sent_ms;  /* its last message, or 0 */
    bool sent_firing; /* that message had firing alerts */
} s_group_t;

struct _hl_alerts_t {
    const hl_config_webhooks_t *config;
    char src[128];
    s_group_t *groups; /* HL_ALERTS_GROUPS */
    size_t ngroups;
    hl_alerts_counters_t n;
};

hl_alerts_t *
hl_alerts_new (const hl_config_webhooks_t *config, const char *src)
{
    assert (config);
    hl_alerts_t *self = (hl_alerts_t *)hl_alloc (sizeof *self);
    self->config = config;
    snprintf (self->src, sizeof self->src, "%s", src ? src : "");
    self->groups
        = (s_group_t *)hl_calloc (HL_ALERTS_GROUPS, sizeof (s_group_t));
    return self;
}

static void
s_alert_clear (s_alert_t *a)
{
    json_decref (a->data);
    memset (a, 0, sizeof *a);
}

void
hl_alerts_destroy (hl_alerts_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hl_alerts_t *self = *self_p;
    for (size_t g = 0; g < HL_ALERTS_GROUPS; g++)
        for (size_t i = 0; i < self->groups[g].nalerts; i++)
            s_alert_clear (&self->groups[g].alerts[i]);
    free (self->groups);
    free (self);
    *self_p = NULL;
}

/*  A string member of at most size - 1 bytes of printable text. */
static const char *
s_field (const json_t *e, const char *key, size_t size, bool required)
{
    const json_t *v = json_object_get (e, key);
    if (!v)
        return required ? NULL : "";
    const char *s = json_string_value (v);
    if (!s || strlen (s) >= size)
        return NULL;
    return s;
}

int
hl_alerts_add (hl_alerts_t *self, const json_t *event, int64_t now_ms)
{
    const char *name = s_field (event, "alertname", S_NAME, true);
    const char *subject = s_field (event, "subject", S_SUBJECT, false);
    const char *severity = s_field (event, "severity", S_SEVERITY, true);
    const char *status = s_field (event, "status", 16, true);
    const char *text = json_string_value (json_object_get (event, "text"));
    const json_t *data = json_object_get (event, "data");
    if (!name || !*name || !subject || !severity || !status || !text
        || (data && !json_is_object (data))
        || !(streq (status, "firing") || streq (status, "resolved")
             || streq (status, "event"))) {
        self->n.bad++;
        return -1;
    }
    //  The group: by name, and subject and severity if configured
    const hl_config_webhooks_t *c = self->config;
    char key[sizeof ((s_group_t *)0)->key];
    snprintf (key, sizeof key, "alertname=%s%s%s%s%s", name,
              c->group_by_subject ? ",subject=" : "",
              c->group_by_subject ? subject : "",
              c->group_by_severity ? ",severity=" : "",
              c->group_by_severity ? severity : "");
    s_group_t *group = NULL, *free_slot = NULL;
    for (size_t g = 0; g < HL_ALERTS_GROUPS && !group; g++) {
        if (self->groups[g].used && streq (self->groups[g].key, key))
            group = &self->groups[g];
        else if (!self->groups[g].used && !free_slot)
            free_slot = &self->groups[g];
    }
    bool resolved = streq (status, "resolved");
    if (!group) {
        //  Nothing to tell of the end of an alert nobody heard of
        if (resolved)
            return 0;
        if (!free_slot) {
            self->n.dropped++;
            return -1;
        }
        group = free_slot;
        memset (group, 0, sizeof *group);
        group->used = true;
        snprintf (group->key, sizeof group->key, "%s", key);
        snprintf (group->name, sizeof group->name, "%s", name);
        if (c->group_by_subject)
            snprintf (group->subject, sizeof group->subject, "%s", subject);
        if (c->group_by_severity)
            snprintf (group->severity, sizeof group->severity, "%s", severity);
        group->next_ms = now_ms + c->group_wait_ms;
        self->ngroups++;
    }
    //  The alert: by name and subject; an event is always a new one
    bool event_only = streq (status, "event");
    s_alert_t *a = NULL;
    for (size_t i = 0; i < group->nalerts && !event_only && !a; i++)
        if (!group->alerts[i].event && streq (group->alerts[i].name, name)
            && streq (group->alerts[i].subject, subject))
            a = &group->alerts[i];
    if (!a) {
        if (resolved)
            return 0;
        if (group->nalerts == HL_ALERTS_PER_GROUP) {
            self->n.dropped++;
            return -1;
        }
        a = &group->alerts[group->nalerts++];
        memset (a, 0, sizeof *a);
        snprintf (a->name, sizeof a->name, "%s", name);
        snprintf (a->subject, sizeof a->subject, "%s", subject);
        a->event = event_only;
    }
    snprintf (a->severity, sizeof a->severity, "%s", severity);
    snprintf (a->text, sizeof a->text, "%s", text);
    a->firing = !resolved && !event_only;
    json_t *t = json_object_get (event, "time");
    a->time_us = json_is_integer (t) ? json_integer_value (t) : 0;
    json_decref (a->data);
    a->data = data ? json_deep_copy (data) : NULL;
    self->n.events++;
    return 0;
}

/*  What a message of the group would have to say now. */
static bool
s_news (const s_group_t *group)
{
    for (size_t i = 0; i < group->nalerts; i++) {
        const s_alert_t *a = &group->alerts[i];
        if (a->event || (a->firing && a->told != S_TOLD_FIRING)
            || (!a->firing && a->told == S_TOLD_FIRING))
            return true;
    }
    return false;
}

static bool
s_firing (const s_group_t *group)
{
    for (size_t i = 0; i < group->nalerts; i++)
        if (group->alerts[i].firing)
            return true;
    return false;
}

/*  An alert is in the message if it fires, is an untold event, or has
    resolved after being told as firing. */
static bool
s_listed (const s_alert_t *a)
{
    return a->firing || a->event || a->told == S_TOLD_FIRING;
}

static const char *
s_status (const s_alert_t *a)
{
    return a->event ? "event" : a->firing ? "firing" : "resolved";
}

/*  Append text to buf (size) as far as it fits. */
static void
s_append (char *buf, size_t size, const char *text)
{
    size_t used = strlen (buf);
    if (used + 1 < size)
        snprintf (buf + used, size - used, "%s", text);
}

/*  The message: Alertmanager's shape, with a Slack-compatible text. */
static char *
s_payload (hl_alerts_t *self, const s_group_t *group)
{
    size_t firing = 0, resolved = 0, events = 0;
    for (size_t i = 0; i < group->nalerts; i++) {
        const s_alert_t *a = &group->alerts[i];
        if (!s_listed (a))
            continue;
        firing += a->firing;
        events += a->event;
        resolved += !a->firing && !a->event;
    }
    char *text = (char *)hl_alloc (HL_ALERTS_TEXT + 1);
    char line[S_TEXT + S_SUBJECT + 64];
    if (firing)
        snprintf (line, sizeof line, "[FIRING:%zu] %s", firing, group->name);
    else if (resolved)
        snprintf (line, sizeof line, "[RESOLVED] %s", group->name);
    else
        snprintf (line, sizeof line, "[%s] %s",
                  events == 1 ? "EVENT" : "EVENTS", group->name);
    s_append (text, HL_ALERTS_TEXT + 1, line);
    if (*group->subject) {
        snprintf (line, sizeof line, " %s", group->subject);
        s_append (text, HL_ALERTS_TEXT + 1, line);
    }
    snprintf (line, sizeof line, " (%s)", self->src);
    s_append (text, HL_ALERTS_TEXT + 1, line);

    json_t *alerts = json_array ();
    size_t listed = 0, truncated = 0;
    for (size_t i = 0; i < group->nalerts; i++) {
        const s_alert_t *a = &group->alerts[i];
        if (!s_listed (a))
            continue;
        if (listed == HL_ALERTS_LISTED) {
            truncated++;
            continue;
        }
        listed++;
        snprintf (line, sizeof line, "\n- %s%s: %s",
                  a->firing || a->event ? "" : "resolved ", a->severity,
                  a->text);
        s_append (text, HL_ALERTS_TEXT + 1, line);
        char when[40];
        hl_report_time (a->time_us, when, sizeof when);
        json_t *item = json_object ();
        json_object_set_new (item, "alertname", json_string (a->name));
        json_object_set_new (item, "subject", json_string (a->subject));
        json_object_set_new (item, "severity", json_string (a->severity));
        json_object_set_new (item, "status", json_string (s_status (a)));
        json_object_set_new (item, "text", json_string (a->text));
        json_object_set_new (item, "time", json_string (when));
        json_object_set_new (
            item, "data", a->data ? json_deep_copy (a->data) : json_object ());
        json_array_append_new (alerts, item);
    }
    if (truncated) {
        snprintf (line, sizeof line, "\n... and %zu more", truncated);
        s_append (text, HL_ALERTS_TEXT + 1, line);
    }
    json_t *labels = json_object ();
    json_object_set_new (labels, "alertname", json_string (group->name));
    if (self->config->group_by_subject)
        json_object_set_new (labels, "subject", json_string (group->subject));
    if (self->config->group_by_severity)
        json_object_set_new (labels, "severity", json_string (group->severity));
    json_t *p = json_object ();
    json_object_set_new (p, "text", json_string (text));
    json_object_set_new (p, "status",
                         json_string (firing ? "firing" : "resolved"));
    json_object_set_new (p, "group_key", json_string (group->key));
    json_object_set_new (p, "group", labels);
    json_object_set_new (p, "master", json_string (self->src));
    json_object_set_new (p, "alerts", alerts);
    json_object_set_new (p, "truncated", json_integer ((json_int_t)truncated));
    char *payload = json_dumps (p, JSON_COMPACT);
    json_decref (p);
    free (text);
    return payload;
}

/*  After a message: what it told is remembered; resolved alerts and
    events that were told, or never worth telling, leave. */
static void
s_after (s_group_t *group)
{
    size_t keep = 0;
    for (size_t i = 0; i < group->nalerts; i++) {
        s_alert_t *a = &group->alerts[i];
        if (a->event || !a->firing) {
            s_alert_clear (a);
            continue;
        }
        a->told = S_TOLD_FIRING;
        if (keep != i) {
            group->alerts[keep] = *a;
            memset (a, 0, sizeof *a);
        }
        keep++;
    }
    group->nalerts = keep;
}

/*  Without a message: alerts that resolved before they were ever told
    leave, so that a group of them does not stay for ever. */
static void
s_forget_untold (s_group_t *group)
{
    size_t keep = 0;
    for (size_t i = 0; i < group->nalerts; i++) {
        s_alert_t *a = &group->alerts[i];
        if (!a->firing && !a->event && a->told != S_TOLD_FIRING) {
            s_alert_clear (a);
            continue;
        }
        if (keep != i) {
            group->alerts[keep] = *a;
            memset (a, 0, sizeof *a);
        }
        keep++;
    }
    group->nalerts = keep;
}

size_t
hl_alerts_tick (hl_alerts_t *self, int64_t now_ms, hl_alerts_send_fn *fn,
                void *arg)
{
    size_t made = 0;
    const hl_config_webhooks_t *c = self->config;
    for (size_t g = 0; g < HL_ALERTS_GROUPS; g++) {
        s_group_t *group = &self->groups[g];
        if (!group->used || now_ms < group->next_ms)
            continue;
        bool repeat = s_firing (group) && group->sent_ms
                      && now_ms - group->sent_ms >= c->repeat_interval_ms;
        if (s_news (group) || repeat) {
            //  An alert that resolved before it was ever told is no news
            bool listed = false;
            for (size_t i = 0; i < group->nalerts && !listed; i++)
                listed = s_listed (&group->alerts[i]);
            if (listed) {
                char *payload = s_payload (self, group);
                if (payload) {
                    self->n.notifications++;
                    made++;
                    fn (arg, payload);
                }
                group->sent_ms = now_ms;
            }
            s_after (group);
        } else
            s_forget_untold (group);
        group->next_ms = now_ms + c->group_interval_ms;
        if (group->nalerts == 0) {
            group->used = false;
            self->ngroups--;
        }
    }
    return made;
}

int64_t
hl_alerts_next (const hl_alerts_t *self)
{
    int64_t next = -1;
    for (size_t g = 0; g < HL_ALERTS_GROUPS; g++)
        if (self->groups[g].used
            && (next < 0 || self->groups[g].next_ms < next))
            next = self->groups[g].next_ms;
    return next;
}

size_t
hl_alerts_groups (const hl_alerts_t *self)
{
    return self->ngroups;
}

const hl_alerts_counters_t *
hl_alerts_counters (const hl_alerts_t *self)
{
    return &self->n;
}
