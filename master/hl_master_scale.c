/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_master_scale - the master's side of helios-node (design §9): the
    desired counts (helios-ctl scale), kept in the store so that they
    survive a restart; placement over the live nodes (hl_scale) whenever
    a count changes or a node comes or goes, each node's order sent with
    its beats (hl_dispatch_order); the scale and nodes operations; an
    alert when a node gives up on an agent; the autoscaler's decisions
    (hl_autoscale) carried out as scale's. Part of the hl_master module.

    A restarted master waits a settle time (liveness beats) before it
    places, so that the nodes that were running agents have said hello
    with what they run: placing before would start agents that a node
    joining a moment later already runs.
*/
#include "hl_master_priv.h"

/*  "node\x1fagent": the agents a node gave up on that were alerted. */
static void
s_key (char *key, size_t size, const char *node, const char *agent)
{
    snprintf (key, size, "%s\x1f%s", node, agent);
}

static void
s_audit (hl_master_t *self, const char *event, const char *who, const char *why)
{
    if (!self->store)
        return;
    hl_store_audit_t row = { hl_msg_now_us (), 0, NULL, event, who, why };
    hl_store_audit (self->store, &row);
}

/*  agent.<event> about a node's agents on the bus. */
static void
s_event (hl_master_t *self, const char *name, const char *event,
         hl_value_t **data_p)
{
    char topic[64];
    snprintf (topic, sizeof topic, "agent.%s", event);
    if (!hl_proxy_wanted (self->proxy, topic)) {
        hl_value_destroy (data_p);
        return;
    }
    hl_msg_t *msg = hl_msg_new (HL_MSG_AGENT);
    hl_msg_set_name (msg, name);
    hl_msg_set_role (msg, "node");
    hl_msg_set_event (msg, event);
    hl_msg_set_data (msg, data_p);
    hl_master_publish (self, &msg);
    hl_msg_destroy (&msg);
}

//  --------------------------------------------------------------------
//  Placement

/*  What a node runs as placement starts from: its last order, else what
    its hello said it runs. */
static void
s_have (const hl_peer_t *peer, int have[HL_ROLE_COUNT])
{
    const hl_value_t *from
        = peer->order ? peer->order : hl_value_get (peer->info, "running");
    for (int r = 0; r < HL_ROLE_COUNT; r++) {
        int64_t n = hl_value_get_int (from, hl_role_name (r), 0);
        have[r] = n < 0                         ? 0
                  : n > (int64_t)peer->capacity ? (int)peer->capacity
                                                : (int)n;
    }
}

static hl_value_t *
s_order_value (const int have[HL_ROLE_COUNT])
{
    hl_value_t *order = hl_value_new_map ();
    for (int r = 0; r < HL_ROLE_COUNT; r++)
        if (have[r])
            hl_value_set_int (order, hl_role_name (r), have[r]);
    return order;
}

/*  Place every managed role over the live nodes but gone (one leaving,
    or NULL), and send each node whose share changed its new order. */
static void
s_place (hl_master_t *self, const hl_peer_t *gone, const char *why)
{
    if (!self->scale_settled)
        return;
    hl_registry_t *reg = hl_dispatch_registry (self->dispatch);
    size_t n = 0, size = hl_registry_size (reg);
    hl_scale_node_t *nodes
        = (hl_scale_node_t *)hl_calloc (size ? size : 1, sizeof *nodes);
    hl_peer_t **peers
        = (hl_peer_t **)hl_calloc (size ? size : 1, sizeof *peers);
    for (size_t i = 0; i < size; i++) {
        hl_peer_t *p = hl_registry_at (reg, i);
        if (p->role != HL_REGISTRY_NODE || p == gone)
            continue;
        peers[n] = p;
        nodes[n].name = p->name;
        nodes[n].host = p->host;
        nodes[n].capacity = (int)p->capacity;
        nodes[n].labels = hl_value_get (p->info, "labels");
        s_have (p, nodes[n].have);
        n++;
    }
    int shortfall[HL_ROLE_COUNT];
    hl_scale_place (self->want, nodes, n, shortfall);
    for (size_t i = 0; i < n; i++) {
        hl_value_t *order = s_order_value (nodes[i].have);
        if (peers[i]->order && hl_value_eq (peers[i]->order, order)) {
            hl_value_destroy (&order);
            continue;
        }
        int was[HL_ROLE_COUNT];
        s_have (peers[i], was);
        char text[512];
        size_t len = 0;
        for (int r = 0; r < HL_ROLE_COUNT && len < sizeof text; r++)
            if (was[r] != nodes[i].have[r])
                len += (size_t)snprintf (text + len, sizeof text - len,
                                         "%s%s %d -> %d", len ? ", " : "",
                                         hl_role_name (r), was[r],
                                         nodes[i].have[r]);
        if (len) {
            char line[1024];
            snprintf (line, sizeof line, "%.255s: %.511s (%.200s)",
                      peers[i]->name, text, why);
            hl_log_notice ("scale: %s", line);
            s_audit (self, "placed", "master", line);
        }
        hl_dispatch_order (self->dispatch, peers[i], order);
        hl_value_t *data = hl_value_new_map ();
        hl_value_set (data, "order", &order);
        hl_value_set_str (data, "why", why);
        s_event (self, peers[i]->name, "placed", &data);
    }
    for (int r = 0; r < HL_ROLE_COUNT; r++)
        if (self->want[r].set && shortfall[r] != self->shortfall[r]) {
            self->shortfall[r] = shortfall[r];
            if (shortfall[r])
                hl_log_warning ("scale: %s: %d of %d agents have no node "
                                "with room%s%s",
                                hl_role_name (r), shortfall[r],
                                self->want[r].count,
                                *self->want[r].label ? " labelled " : "",
                                self->want[r].label);
        }
    free (nodes);
    free (peers);
}

//  --------------------------------------------------------------------
//  Nodes' reports: the agents a node gave up on

static void
s_gave_up_alert (hl_master_t *self, const char *node, const hl_value_t *agent,
                 const char *agent_name, bool firing)
{
    char text[640];
    if (firing)
        snprintf (text, sizeof text,
                  "node %s gave up on %s: it exited %lld times in the "
                  "restart window (last: %s)",
                  node, agent_name,
                  (long long)hl_value_get_int (agent, "restarts", 0) + 1,
                  hl_value_get_str (agent, "last_exit", "?"));
    else
        snprintf (text, sizeof text, "node %s: %s is no longer given up on",
                  node, agent_name);
    hl_log_warning ("scale: %s", text);
    s_audit (self, firing ? "gave_up" : "recovered", node, text);
    hl_msg_t *msg = hl_msg_new (HL_MSG_ALERT);
    hl_msg_set_severity (msg, firing ? "warning" : "info");
    hl_msg_set_text (msg, text);
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "alert", "node");
    hl_value_set_str (data, "status", firing ? "firing" : "resolved");
    hl_value_set_str (data, "node", node);
    hl_value_set_str (data, "agent", agent_name);
    if (agent) {
        hl_value_set_str (data, "role", hl_value_get_str (agent, "role", ""));
        hl_value_set_str (data, "last_exit",
                          hl_value_get_str (agent, "last_exit", ""));
    }
    hl_msg_set_data (msg, &data);
    hl_master_publish (self, &msg);
    hl_msg_destroy (&msg);
}

static void
s_report (hl_master_t *self, const hl_peer_t *node)
{
    const hl_value_t *agents = hl_value_get (node->report, "agents");
    char key[2 * HL_MAX_NAME + 4];
    zhashx_t *failed = zhashx_new ();
    for (size_t i = 0; i < hl_value_size (agents); i++) {
        const hl_value_t *a = hl_value_at (agents, i);
        const char *name = hl_value_get_str (a, "name", NULL);
        const char *state = hl_value_get_str (a, "state", "");
        if (!name || strlen (name) > HL_MAX_NAME || !streq (state, "failed"))
            continue;
        s_key (key, sizeof key, node->name, name);
        zhashx_insert (failed, key, (void *)a);
        if (!zhashx_lookup (self->gave_up, key)) {
            zhashx_insert (self->gave_up, key, (void *)1);
            char esc[HL_MAX_NAME + 1];
            hl_log_escape (esc, sizeof esc, name, strlen (name));
            s_gave_up_alert (self, node->name, a, esc, true);
        }
    }
    //  Alerted agents of this node that are no longer given up on
    size_t plen = strlen (node->name) + 1;
    zlistx_t *keys = zhashx_keys (self->gave_up);
    for (const char *k = (const char *)zlistx_first (keys); k;
         k = (const char *)zlistx_next (keys))
        if (strncmp (k, node->name, plen - 1) == 0 && k[plen - 1] == '\x1f'
            && !zhashx_lookup (failed, k)) {
            char esc[HL_MAX_NAME + 1];
            hl_log_escape (esc, sizeof esc, k + plen, strlen (k + plen));
            s_gave_up_alert (self, node->name, NULL, esc, false);
            zhashx_delete (self->gave_up, k);
        }
    zlistx_destroy (&keys);
    zhashx_destroy (&failed);
}

static void
s_on_node (void *arg, hl_peer_t *node, const char *event)
{
    hl_master_t *self = (hl_master_t *)arg;
    if (streq (event, "report"))
        s_report (self, node);
    else if (streq (event, "joined"))
        s_place (self, NULL, "node joined");
    else
        s_place (self, node,
                 streq (event, "left") ? "node left" : "node expired");
}

//  --------------------------------------------------------------------
//  Start and time

void
hl_master_scale_start (hl_master_t *self)
{
    self->gave_up = zhashx_new ();
    const hl_config_master_t *mc = hl_config_master (self->config);
    self->scale_settle_ms
        = zclock_mono () + (int64_t)mc->heartbeat_ms * (mc->liveness + 1);
    hl_dispatch_set_node_fn (self->dispatch, s_on_node, self);
    hl_value_t *rows = self->store ? hl_store_desired_read (self->store) : NULL;
    for (size_t i = 0; i < hl_value_size (rows); i++) {
        const hl_value_t *row = hl_value_at (rows, i);
        int r = hl_role_parse (hl_value_get_str (row, "role", ""));
        int64_t count = hl_value_get_int (row, "count", -1);
        if (r < 0 || count < 0 || count > HL_SCALE_MAX)
            continue; /* not written by us: ignored */
        hl_scale_want_t *w = &self->want[r];
        w->set = true;
        w->count = (int)count;
        snprintf (w->host, sizeof w->host, "%s",
                  hl_value_get_str (row, "host", ""));
        snprintf (w->label, sizeof w->label, "%s",
                  hl_value_get_str (row, "label", ""));
        hl_log_notice ("scale: %s=%d%s%s%s%s from the store", hl_role_name (r),
                       w->count, *w->host ? " on " : "", w->host,
                       *w->label ? " labelled " : "", w->label);
    }
    hl_value_destroy (&rows);
    size_t n = hl_config_autoscale_size (self->config);
    if (n) {
        hl_config_autoscale_t groups[HL_ROLE_COUNT];
        for (size_t i = 0; i < n && i < HL_ROLE_COUNT; i++)
            groups[i] = *hl_config_autoscale (self->config, i);
        self->autoscale = hl_autoscale_new (groups, n);
    }
}

void
hl_master_scale_stop (hl_master_t *self)
{
    zhashx_destroy (&self->gave_up);
    hl_autoscale_destroy (&self->autoscale);
}

static void s_autoscale (hl_master_t *self);

void
hl_master_scale_second (hl_master_t *self)
{
    if (!self->scale_settled && zclock_mono () >= self->scale_settle_ms) {
        self->scale_settled = true;
        s_place (self, NULL, "master started");
    }
    s_autoscale (self);
}

//  --------------------------------------------------------------------
//  Operations

/*  Role r's desired count becomes count on host or label: kept in the
    store, audited and told on the bus as scaled by who. The caller
    places. */
static void
s_set (hl_master_t *self, int r, int count, const char *host, const char *label,
       const char *who)
{
    hl_scale_want_t *w = &self->want[r];
    char line[512];
    snprintf (line, sizeof line, "%s=%d (was %d)%s%s%s%s", hl_role_name (r),
              count, w->set ? w->count : 0, *host ? " on " : "", host,
              *label ? " labelled " : "", label);
    w->set = true;
    w->count = count;
    if (w->host != host)
        snprintf (w->host, sizeof w->host, "%s", host);
    if (w->label != label)
        snprintf (w->label, sizeof w->label, "%s", label);
    hl_log_notice ("scale: %s, asked by %s", line, who);
    s_audit (self, "scaled", who, line);
    if (self->store)
        hl_store_desired (self->store, hl_role_name (r), w->count, w->host,
                          w->label);
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "role", hl_role_name (r));
    hl_value_set_int (data, "count", w->count);
    hl_value_set_str (data, "host", w->host);
    hl_value_set_str (data, "label", w->label);
    hl_value_set_str (data, "who", who);
    s_event (self, "master", "scaled", &data);
}

static hl_value_t *
s_desired_value (hl_master_t *self)
{
    hl_value_t *desired = hl_value_new_map ();
    for (int r = 0; r < HL_ROLE_COUNT; r++) {
        const hl_scale_want_t *w = &self->want[r];
        if (!w->set)
            continue;
        hl_value_t *d = hl_value_new_map ();
        hl_value_set_int (d, "count", w->count);
        hl_value_set_str (d, "host", w->host);
        hl_value_set_str (d, "label", w->label);
        hl_value_set_int (d, "unplaced", self->shortfall[r]);
        hl_value_set (desired, hl_role_name (r), &d);
    }
    return desired;
}

int
hl_master_op_scale (hl_master_t *self, const hl_msg_t *request,
                    hl_value_t **data_p, char *error, size_t errsize)
{
    const hl_value_t *args = hl_msg_args (request);
    const hl_value_t *roles = hl_value_get (args, "roles");
    const char *host = hl_value_get_str (args, "host", "");
    const char *label = hl_value_get_str (args, "label", "");
    if (*host && *label) {
        snprintf (error, errsize, "scale: host and label: give one [%s]",
                  hl_errname (HL_ERR_ARGS));
        return HL_ERR_ARGS;
    }
    if (*label && hl_scale_label_ok (label)) {
        snprintf (error, errsize,
                  "scale: label must be key=value, each 1..63 bytes of "
                  "[a-z0-9_.-] [%s]",
                  hl_errname (HL_ERR_ARGS));
        return HL_ERR_ARGS;
    }
    if (!hl_value_size (roles)) {
        snprintf (error, errsize, "scale: roles must name a role [%s]",
                  hl_errname (HL_ERR_MISSING));
        return HL_ERR_MISSING;
    }
    int counts[HL_ROLE_COUNT];
    for (int r = 0; r < HL_ROLE_COUNT; r++)
        counts[r] = -1;
    for (size_t i = 0; i < hl_value_size (roles); i++) {
        const char *name = hl_value_key_at (roles, i);
        int r = hl_role_parse (name);
        int64_t n;
        if (r < 0) {
            char esc[64];
            hl_log_escape (esc, sizeof esc, name, strlen (name));
            snprintf (error, errsize, "scale: unknown role '%s' [%s]", esc,
                      hl_errname (HL_ERR_ARGS));
            return HL_ERR_ARGS;
        }
        if (hl_value_type (hl_value_val_at (roles, i)) != HL_VALUE_INT
            && hl_value_type (hl_value_val_at (roles, i)) != HL_VALUE_UINT) {
            snprintf (error, errsize, "scale: %s must be an integer [%s]", name,
                      hl_errname (HL_ERR_MISTYPED));
            return HL_ERR_MISTYPED;
        }
        if (hl_value_int (hl_value_val_at (roles, i), &n) || n < 0
            || n > HL_SCALE_MAX) {
            snprintf (error, errsize, "scale: %s must be 0..%d [%s]", name,
                      HL_SCALE_MAX, hl_errname (HL_ERR_RANGE));
            return HL_ERR_RANGE;
        }
        counts[r] = (int)n;
    }
    char who[HL_MAX_NAME + 1];
    hl_log_escape (who, sizeof who, hl_msg_src (request),
                   strlen (hl_msg_src (request)));
    for (int r = 0; r < HL_ROLE_COUNT; r++)
        if (counts[r] >= 0)
            s_set (self, r, counts[r], host, label, who);
    //  An operator asked: no need to wait for nodes still coming back
    self->scale_settled = true;
    s_place (self, NULL, "scale");
    hl_value_t *data = hl_value_new_map ();
    hl_value_t *desired = s_desired_value (self);
    hl_value_set (data, "desired", &desired);
    *data_p = data;
    return 0;
}

int
hl_master_op_nodes (hl_master_t *self, const hl_msg_t *request,
                    hl_value_t **data_p, char *error, size_t errsize)
{
    (void)request;
    (void)error;
    (void)errsize;
    hl_registry_t *reg = hl_dispatch_registry (self->dispatch);
    int64_t now = zclock_mono ();
    hl_value_t *list = hl_value_new_array ();
    for (size_t i = 0; i < hl_registry_size (reg); i++) {
        const hl_peer_t *p = hl_registry_at (reg, i);
        if (p->role != HL_REGISTRY_NODE)
            continue;
        hl_value_t *n = hl_value_new_map ();
        hl_value_set_str (n, "name", p->name);
        hl_value_set_str (n, "host", p->host);
        hl_value_set_int (n, "pid", p->pid);
        hl_value_set_str (n, "version", p->version);
        hl_value_set_int (n, "capacity", p->capacity);
        const hl_value_t *labels = hl_value_get (p->info, "labels");
        hl_value_t *v = labels ? hl_value_dup (labels) : hl_value_new_map ();
        hl_value_set (n, "labels", &v);
        v = p->order ? hl_value_dup (p->order) : hl_value_new_map ();
        hl_value_set (n, "order", &v);
        const hl_value_t *agents = hl_value_get (p->report, "agents");
        v = agents ? hl_value_dup (agents) : hl_value_new_array ();
        hl_value_set (n, "agents", &v);
        hl_value_set_int (n, "failed",
                          hl_value_get_int (p->report, "failed", 0));
        hl_value_set_int (n, "last_heartbeat_ms_ago", now - p->heard_ms);
        hl_value_append (list, &n);
    }
    hl_value_t *data = hl_value_new_map ();
    hl_value_set (data, "nodes", &list);
    hl_value_t *desired = s_desired_value (self);
    hl_value_set (data, "desired", &desired);
    *data_p = data;
    return 0;
}

//  --------------------------------------------------------------------
//  The autoscaler (hl_autoscale decides, this carries it out)

/*  A decision in the log, the audit log and on the bus (agent.autoscaled,
    whatever the verb), with the wait it judged and the target. */
static void
s_autoscaled (hl_master_t *self, const hl_autoscale_decision_t *d)
{
    const char *role = hl_role_name (d->role);
    const char *verb = hl_autoscale_verb_name (d->verb);
    char line[512];
    snprintf (line, sizeof line, "%s %s %d -> %d: %s", role, verb, d->from,
              d->to, d->reason);
    hl_log_notice ("autoscale: %s", line);
    if (self->store) {
        hl_store_audit_t row
            = { hl_msg_now_us (),
                0,
                role,
                d->verb == HL_AUTOSCALE_HELD ? "autoscale_held" : "autoscaled",
                "autoscaler",
                line };
        hl_store_audit (self->store, &row);
    }
    hl_value_t *data = hl_value_new_map ();
    hl_value_set_str (data, "role", role);
    hl_value_set_str (data, "decision", verb);
    hl_value_set_int (data, "from", d->from);
    hl_value_set_int (data, "to", d->to);
    hl_value_set_int (data, "wait_ms", d->wait_ms);
    hl_value_set_int (data, "target_wait_ms", d->target_ms);
    hl_value_set_str (data, "reason", d->reason);
    s_event (self, "master", "autoscaled", &data);
}

/*  Each second, once placing has begun (before, the nodes of a restarted
    master are still saying what they run, and queues wait for them, not
    for more agents): a sample of each autoscaled role's wait, and its
    decision carried out as helios-ctl scale would, on the role's host or
    label, so that it is kept in the store and placed the same way. */
static void
s_autoscale (hl_master_t *self)
{
    if (!self->autoscale || !self->scale_settled)
        return;
    int64_t now = zclock_mono ();
    bool moved = false;
    for (int r = 0; r < HL_ROLE_COUNT; r++) {
        if (!hl_autoscale_manages (self->autoscale, r))
            continue;
        hl_scale_want_t *w = &self->want[r];
        hl_autoscale_decision_t d;
        hl_autoscale_verb_t verb = hl_autoscale_step (
            self->autoscale, r, now, hl_dispatch_role_wait (self->dispatch, r),
            w->set ? w->count : -1, w->set ? self->shortfall[r] : 0, &d);
        if (verb == HL_AUTOSCALE_NONE)
            continue;
        s_autoscaled (self, &d);
        if (verb != HL_AUTOSCALE_HELD) {
            s_set (self, r, d.to, w->host, w->label, "autoscaler");
            moved = true;
        }
    }
    if (moved)
        s_place (self, NULL, "autoscale");
}

hl_value_t *
hl_master_autoscale_status (hl_master_t *self)
{
    return self->autoscale
               ? hl_autoscale_status (self->autoscale, zclock_mono ())
               : NULL;
}
