/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_zap - our own ZAP handler rather than czmq's zauth: zauth logs
    every attempt when verbose and counts nothing, and a peer retrying
    every few milliseconds would fill the log. The actor owns the allowed
    set, the refused set and the monitors of the server sockets; the
    owner reads the counters through atomics, as the HTTP threads' are.
*/
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>

#include "hl_curve.h"
#include "hl_log.h"
#include "hl_zap.h"
#include "../proto/hl_alloc.h"

typedef struct {
    atomic_uint_least64_t keys, allowed, refused, refused_keys, no_curve,
        bad_handshake, reloads, reload_failed;
} s_counters_t;

struct _hl_zap_t {
    zactor_t *actor;
    s_counters_t *counters; /* shared with the actor, freed after it */
};

typedef struct {
    char dir[HL_CONFIG_PATH];
    zhashx_t *allowed; /* Z85 key -> "" (taken by the actor) */
    zsock_t *handler;  /* bound here, taken by the actor */
    s_counters_t *counters;
    char monitor_prefix[64]; /* the monitors' inproc names */
} s_start_t;

typedef struct {
    zsock_t *pipe;
    zsock_t *handler; /* REP on HL_ZAP_ENDPOINT */
    zsock_t *monitors[HL_ZAP_MONITORS];
    bool told[HL_ZAP_MONITORS][2]; /* a socket's failure logged once */
    zhashx_t *allowed;
    zhashx_t *refused; /* keys refused, each logged once */
    bool refused_full; /* past HL_ZAP_REFUSED_MAX, said once */
    s_counters_t *counters;
    char dir[HL_CONFIG_PATH];
    struct timespec dir_mtime;
} s_actor_t;

// --------------------------------------------------------------------
// The allow-list folder

static bool
s_is_secret (const char *name)
{
    size_t len = strlen (name);
    return len >= 7 && !strcmp (name + len - 7, "_secret");
}

zhashx_t *
hl_zap_read_dir (const char *dir, char *err, size_t errsize)
{
    DIR *d = dir && *dir ? opendir (dir) : NULL;
    if (!d) {
        snprintf (err, errsize, "security.allow_dir: %s: %s",
                  dir && *dir ? dir : "(not set)",
                  dir && *dir ? strerror (errno) : "a server needs one");
        return NULL;
    }
    zhashx_t *keys = zhashx_new ();
    struct dirent *e;
    char why[HL_CONFIG_PATH + 128];
    while ((e = readdir (d))) {
        if (e->d_name[0] == '.')
            continue;
        //  A secret in the allow-list is out of place; its public half
        //  is what belongs there
        if (s_is_secret (e->d_name)) {
            hl_log_warning ("security.allow_dir: %s/%s is a secret key: "
                            "skipped (move it out)",
                            dir, e->d_name);
            continue;
        }
        char path[HL_CONFIG_PATH + 260];
        snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat (path, &st) != 0 || !S_ISREG (st.st_mode))
            continue;
        char z85[HL_CURVE_KEY_TXT];
        if (hl_curve_read_public (path, z85, why, sizeof why)) {
            snprintf (err, errsize, "security.allow_dir: %s", why);
            goto fail;
        }
        if (zhashx_size (keys) >= HL_ZAP_KEYS_MAX) {
            snprintf (err, errsize, "security.allow_dir: %s: more than %d keys",
                      dir, HL_ZAP_KEYS_MAX);
            goto fail;
        }
        zhashx_insert (keys, z85, (void *)"");
    }
    closedir (d);
    return keys;
fail:
    closedir (d);
    zhashx_destroy (&keys);
    return NULL;
}

static struct timespec
s_mtime (const char *dir)
{
    struct stat st;
    struct timespec zero = { 0, 0 };
    return stat (dir, &st) == 0 ? st.st_mtim : zero;
}

//  A key added, removed or renamed changes the folder's mtime: read it
//  again then. A bad file keeps the old list, said once per change.
static void
s_reload (s_actor_t *self)
{
    struct timespec now = s_mtime (self->dir);
    if (now.tv_sec == self->dir_mtime.tv_sec
        && now.tv_nsec == self->dir_mtime.tv_nsec)
        return;
    self->dir_mtime = now;
    char err[HL_CONFIG_PATH + 256];
    zhashx_t *keys = hl_zap_read_dir (self->dir, err, sizeof err);
    if (!keys) {
        atomic_fetch_add (&self->counters->reload_failed, 1);
        hl_log_warning ("%s: the old allow-list stays", err);
        return;
    }
    zhashx_destroy (&self->allowed);
    self->allowed = keys;
    atomic_fetch_add (&self->counters->reloads, 1);
    atomic_store (&self->counters->keys, zhashx_size (keys));
    hl_log_notice ("security.allow_dir: %s read again: %zu keys", self->dir,
                   zhashx_size (keys));
}

// --------------------------------------------------------------------
// ZAP requests

//  RFC 27: [version][request id][domain][address][identity][mechanism]
//  [credentials...] in, [version][request id][status][text][user id]
//  [metadata] out. The user id is the key, for whoever reads it later.
static void
s_handle (s_actor_t *self)
{
    zmsg_t *request = zmsg_recv (self->handler);
    if (!request)
        return;
    char *version = zmsg_popstr (request);
    char *sequence = zmsg_popstr (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    zframe_t *identity = zmsg_pop (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *key = zmsg_pop (request);
    const char *status = "400", *text = "not allowed";
    char z85[HL_CURVE_KEY_TXT] = "";
    if (!version || strcmp (version, "1.0") || !mechanism) {
        status = "500";
        text = "bad ZAP request";
    } else if (strcmp (mechanism, "CURVE") || !key || zframe_size (key) != 32) {
        text = "CURVE only";
    } else {
        zmq_z85_encode (z85, zframe_data (key), 32);
        if (zhashx_lookup (self->allowed, z85)) {
            status = "200";
            text = "OK";
            atomic_fetch_add (&self->counters->allowed, 1);
        }
    }
    if (strcmp (status, "200") != 0) {
        atomic_fetch_add (&self->counters->refused, 1);
        //  Once per key: a peer retrying forever is one line, one count
        const char *name = *z85 ? z85 : "(none)";
        if (!zhashx_lookup (self->refused, name)) {
            if (zhashx_size (self->refused) < HL_ZAP_REFUSED_MAX) {
                zhashx_insert (self->refused, name, (void *)"");
                atomic_fetch_add (&self->counters->refused_keys, 1);
                hl_log_warning ("curve: %s: key %s refused: %s (logged once "
                                "per key)",
                                address ? address : "?", name, text);
            } else if (!self->refused_full) {
                self->refused_full = true;
                hl_log_warning ("curve: more than %d keys refused: further "
                                "ones are counted, not logged",
                                HL_ZAP_REFUSED_MAX);
            }
        }
    }
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "1.0");
    zmsg_addstr (reply, sequence ? sequence : "");
    zmsg_addstr (reply, status);
    zmsg_addstr (reply, text);
    zmsg_addstr (reply, strcmp (status, "200") ? "" : z85);
    zmsg_addmem (reply, "", 0);
    zmsg_send (&reply, self->handler);
    zstr_free (&version);
    zstr_free (&sequence);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&mechanism);
    zframe_destroy (&identity);
    zframe_destroy (&key);
    zmsg_destroy (&request);
}

//  A failed handshake on a server socket: no key reached ZAP, so it is
//  counted per attempt by reason, and logged once per socket and reason
static void
s_monitor (s_actor_t *self, int slot)
{
    zmsg_t *event = zmsg_recv (self->monitors[slot]);
    if (!event)
        return;
    zframe_t *head = zmsg_first (event);
    zframe_t *where = zmsg_next (event);
    if (head && zframe_size (head) == 6) {
        uint16_t id;
        uint32_t value;
        memcpy (&id, zframe_data (head), 2);
        memcpy (&value, zframe_data (head) + 2, 4);
        bool no_curve = id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                        && value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH;
        atomic_fetch_add (no_curve ? &self->counters->no_curve
                                   : &self->counters->bad_handshake,
                          1);
        if (!self->told[slot][no_curve]) {
            self->told[slot][no_curve] = true;
            char *ep = where ? zframe_strdup (where) : NULL;
            hl_log_warning ("curve: %s: %s refused (counted, logged once "
                            "per socket)",
                            ep ? ep : "?",
                            no_curve ? "a peer without CURVE"
                                     : "a failed CURVE handshake (a wrong "
                                       "server key?)");
            zstr_free (&ep);
        }
    }
    zmsg_destroy (&event);
}

static void
s_actor (zsock_t *pipe, void *args)
{
    s_start_t *start = (s_start_t *)args;
    s_actor_t self_s = { .pipe = pipe, .counters = start->counters };
    s_actor_t *self = &self_s;
    self->allowed = start->allowed;
    self->refused = zhashx_new ();
    snprintf (self->dir, sizeof self->dir, "%s", start->dir);
    self->dir_mtime = s_mtime (self->dir);
    self->handler = start->handler;
    zpoller_t *poller = zpoller_new (pipe, self->handler, NULL);
    //  Connected before the sockets bind their monitors: inproc allows it
    for (int i = 0; i < HL_ZAP_MONITORS; i++) {
        char name[96];
        snprintf (name, sizeof name, "%s-%d", start->monitor_prefix, i);
        self->monitors[i] = zsock_new (ZMQ_PAIR);
        if (self->monitors[i] && zsock_connect (self->monitors[i], "%s", name))
            zsock_destroy (&self->monitors[i]);
        if (self->monitors[i])
            zpoller_add (poller, self->monitors[i]);
    }
    zsock_signal (pipe, 0);
    int64_t next_reload = zclock_mono () + HL_ZAP_RELOAD_MS;
    while (true) {
        int64_t wait = next_reload - zclock_mono ();
        void *which = zpoller_wait (poller, wait > 0 ? (int)wait : 0);
        if (which == pipe) {
            char *command = zstr_recv (pipe);
            bool term = !command || streq (command, "$TERM");
            zstr_free (&command);
            if (term)
                break;
        } else if (which == self->handler)
            s_handle (self);
        else if (which) {
            for (int i = 0; i < HL_ZAP_MONITORS; i++)
                if (which == self->monitors[i])
                    s_monitor (self, i);
        } else if (zpoller_terminated (poller))
            break;
        if (zclock_mono () >= next_reload) {
            s_reload (self);
            next_reload = zclock_mono () + HL_ZAP_RELOAD_MS;
        }
    }
    zpoller_destroy (&poller);
    for (int i = 0; i < HL_ZAP_MONITORS; i++)
        zsock_destroy (&self->monitors[i]);
    zsock_destroy (&self->handler);
    zhashx_destroy (&self->allowed);
    zhashx_destroy (&self->refused);
}

// --------------------------------------------------------------------

hl_zap_t *
hl_zap_new (const char *allow_dir, char *err, size_t errsize)
{
    static atomic_int serial;
    s_start_t start = { .counters = NULL };
    hl_zap_t *self = NULL;
    if (!allow_dir || strlen (allow_dir) >= sizeof start.dir) {
        snprintf (err, errsize, "security.allow_dir: bad folder");
        return NULL;
    }
    start.allowed = hl_zap_read_dir (allow_dir, err, errsize);
    if (!start.allowed)
        return NULL;
    snprintf (start.dir, sizeof start.dir, "%s", allow_dir);
    snprintf (start.monitor_prefix, sizeof start.monitor_prefix,
              "inproc://hl-zap-monitor-%d", atomic_fetch_add (&serial, 1));
    //  Bound here, so that a second handler in the process is an error
    //  we can tell; the actor owns it from its start
    start.handler = zsock_new (ZMQ_REP);
    if (!start.handler || zsock_bind (start.handler, HL_ZAP_ENDPOINT) != 0) {
        snprintf (err, errsize,
                  "cannot bind the ZAP handler on %s (another in this "
                  "process?)",
                  HL_ZAP_ENDPOINT);
        zsock_destroy (&start.handler);
        zhashx_destroy (&start.allowed);
        return NULL;
    }
    self = (hl_zap_t *)hl_alloc (sizeof *self);
    self->counters = (s_counters_t *)hl_alloc (sizeof *self->counters);
    start.counters = self->counters;
    size_t keys = zhashx_size (start.allowed);
    atomic_store (&self->counters->keys, keys);
    self->actor = zactor_new (s_actor, &start);
    hl_curve_monitor_to (start.monitor_prefix, HL_ZAP_MONITORS);
    hl_log_info ("curve: %zu allowed keys from %s", keys, allow_dir);
    return self;
}

void
hl_zap_destroy (hl_zap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hl_zap_t *self = *self_p;
    zactor_destroy (&self->actor);
    hl_curve_monitor_to ("", 0);
    free (self->counters);
    free (self);
    *self_p = NULL;
}

void
hl_zap_stats (const hl_zap_t *self, hl_zap_stats_t *stats)
{
    assert (self && stats);
    s_counters_t *c = self->counters;
    stats->keys = atomic_load (&c->keys);
    stats->allowed = atomic_load (&c->allowed);
    stats->refused = atomic_load (&c->refused);
    stats->refused_keys = atomic_load (&c->refused_keys);
    stats->no_curve = atomic_load (&c->no_curve);
    stats->bad_handshake = atomic_load (&c->bad_handshake);
    stats->reloads = atomic_load (&c->reloads);
    stats->reload_failed = atomic_load (&c->reload_failed);
}

hl_value_t *
hl_zap_status (const hl_zap_t *self)
{
    hl_value_t *map = hl_value_new_map ();
    hl_value_set_bool (map, "curve", self != NULL);
    if (!self)
        return map;
    hl_zap_stats_t s;
    hl_zap_stats (self, &s);
    hl_value_set_int (map, "keys", (int64_t)s.keys);
    hl_value_set_int (map, "allowed", (int64_t)s.allowed);
    hl_value_set_int (map, "refused", (int64_t)s.refused);
    hl_value_set_int (map, "refused_keys", (int64_t)s.refused_keys);
    hl_value_set_int (map, "no_curve", (int64_t)s.no_curve);
    hl_value_set_int (map, "bad_handshake", (int64_t)s.bad_handshake);
    hl_value_set_int (map, "reloads", (int64_t)s.reloads);
    hl_value_set_int (map, "reload_failed", (int64_t)s.reload_failed);
    return map;
}
