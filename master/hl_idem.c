/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_idem - the control socket's answers by client and request id. An
    entry is running until its answer comes, then answered for a window.
    Answered entries expire in the order they were answered (the window
    is the same for all); running ones never expire, as a run that takes
    longer than the window must still not start twice, but they count
    against the bounds like the rest. Over a bound, the oldest answered
    entry goes first (the client's own when its bound is the one
    passed), then the oldest running one.
*/
#include <czmq.h>

#include "../bus/hl_log.h"
#include "../proto/hl_alloc.h"
#include "../proto/hl_limits.h"
#include "hl_idem.h"

#define S_HELD_MAX 8   /* repeats of one running request answered */
#define S_OVERHEAD 160 /* bytes of bookkeeping per entry, about */
#define S_KEY_MAX (2 * HL_MAX_ROUTING_ID + 24)

typedef struct _s_client_t s_client_t;

typedef struct {
    char key[S_KEY_MAX]; /* hex routing id ":" request id */
    s_client_t *client;  /* its client */
    uint8_t *answer;     /* NULL while running */
    size_t cost;         /* answer bytes and S_OVERHEAD */
    size_t size;         /* answer bytes */
    unsigned held;       /* repeats waiting for the answer */
    int64_t expires_ms;  /* answered: when it goes */
    void *order;         /* handle in self->running or ->answered */
    void *mine;          /* handle in client->order */
} s_entry_t;

struct _s_client_t {
    char key[2 * HL_MAX_ROUTING_ID + 1]; /* hex routing id */
    zlistx_t *order;                     /* its entries, oldest first */
    size_t bytes;                        /* their cost */
};

struct _hl_idem_t {
    hl_idem_opts_t opts;
    zhashx_t *entries;  /* key -> s_entry_t */
    zhashx_t *clients;  /* hex routing id -> s_client_t */
    zlistx_t *running;  /* entries without an answer, oldest first */
    zlistx_t *answered; /* entries with one, in expiry order */
    size_t bytes;       /* every entry's cost */
    hl_idem_stats_t n;
};

hl_idem_t *
hl_idem_new (const hl_idem_opts_t *opts)
{
    if (!opts || opts->window_ms < 0 || !opts->entries || !opts->bytes
        || !opts->client_entries || !opts->client_bytes)
        return NULL;
    hl_idem_t *self = (hl_idem_t *)hl_alloc (sizeof (hl_idem_t));
    self->opts = *opts;
    self->entries = zhashx_new ();
    self->clients = zhashx_new ();
    self->running = zlistx_new ();
    self->answered = zlistx_new ();
    return self;
}

/*  A client without entries goes; true if it went. */
static bool
s_client_drop (hl_idem_t *self, s_client_t *client)
{
    if (zlistx_size (client->order))
        return false;
    zhashx_delete (self->clients, client->key);
    zlistx_destroy (&client->order);
    free (client);
    return true;
}

static void
s_remove (hl_idem_t *self, s_entry_t *entry)
{
    s_client_t *client = entry->client;
    zlistx_delete (entry->answer ? self->answered : self->running,
                   entry->order);
    zlistx_delete (client->order, entry->mine);
    client->bytes -= entry->cost;
    self->bytes -= entry->cost;
    zhashx_delete (self->entries, entry->key);
    s_client_drop (self, client);
    free (entry->answer);
    free (entry);
}

void
hl_idem_destroy (hl_idem_t **self_p)
{
    assert (self_p);
    hl_idem_t *self = *self_p;
    if (!self)
        return;
    s_entry_t *entry;
    while ((entry = (s_entry_t *)zlistx_first (self->answered)))
        s_remove (self, entry);
    while ((entry = (s_entry_t *)zlistx_first (self->running)))
        s_remove (self, entry);
    zhashx_destroy (&self->entries);
    zhashx_destroy (&self->clients);
    zlistx_destroy (&self->running);
    zlistx_destroy (&self->answered);
    free (self);
    *self_p = NULL;
}

static void
s_keys (const uint8_t *rid, size_t rid_len, uint64_t id, char *client,
        size_t client_size, char *key, size_t key_size)
{
    hl_log_hex (client, client_size, rid, rid_len);
    snprintf (key, key_size, "%s:%" PRIu64, client, id);
}

/*  The oldest entry that may go: the client's own oldest answered one
    (or its oldest at all) when client is given, else the table's. */
static s_entry_t *
s_victim (hl_idem_t *self, s_client_t *client)
{
    if (client) {
        s_entry_t *entry = (s_entry_t *)zlistx_first (client->order);
        for (s_entry_t *e = entry; e;
             e = (s_entry_t *)zlistx_next (client->order))
            if (e->answer)
                return e;
        return entry;
    }
    s_entry_t *entry = (s_entry_t *)zlistx_first (self->answered);
    return entry ? entry : (s_entry_t *)zlistx_first (self->running);
}

/*  Room for cost more bytes and one more entry of client (may be NULL:
    a new client) within every bound; false if there cannot be. */
static bool
s_make_room (hl_idem_t *self, s_client_t *client, size_t cost)
{
    if (cost > self->opts.client_bytes || cost > self->opts.bytes)
        return false;
    while (client
           && (zlistx_size (client->order) >= self->opts.client_entries
               || client->bytes + cost > self->opts.client_bytes)) {
        bool last = zlistx_size (client->order) == 1;
        s_remove (self, s_victim (self, client));
        self->n.evicted++;
        if (last)
            client = NULL; /* removed with its last entry */
    }
    while (zhashx_size (self->entries) >= self->opts.entries
           || self->bytes + cost > self->opts.bytes) {
        s_entry_t *victim = s_victim (self, NULL);
        if (victim->client == client && zlistx_size (client->order) == 1)
            client = NULL;
        s_remove (self, victim);
        self->n.evicted++;
    }
    return true;
}

/*  The client of hex routing id ckey, made if it has no entry yet. */
static s_client_t *
s_client (hl_idem_t *self, const char *ckey)
{
    s_client_t *client = (s_client_t *)zhashx_lookup (self->clients, ckey);
    if (!client) {
        client = (s_client_t *)hl_alloc (sizeof (s_client_t));
        snprintf (client->key, sizeof client->key, "%s", ckey);
        client->order = zlistx_new ();
        zhashx_insert (self->clients, ckey, client);
    }
    return client;
}

static void
s_expire (hl_idem_t *self, int64_t now_ms)
{
    s_entry_t *entry;
    while ((entry = (s_entry_t *)zlistx_first (self->answered))
           && entry->expires_ms <= now_ms) {
        s_remove (self, entry);
        self->n.expired++;
    }
}

hl_idem_state_t
hl_idem_begin (hl_idem_t *self, const uint8_t *rid, size_t rid_len, uint64_t id,
               int64_t now_ms, const uint8_t **answer_p, size_t *size_p)
{
    *answer_p = NULL;
    *size_p = 0;
    if (!self->opts.window_ms || !rid || !rid_len
        || rid_len > HL_MAX_ROUTING_ID)
        return HL_IDEM_NEW;
    s_expire (self, now_ms);
    char ckey[2 * HL_MAX_ROUTING_ID + 1], key[S_KEY_MAX];
    s_keys (rid, rid_len, id, ckey, sizeof ckey, key, sizeof key);
    s_entry_t *entry = (s_entry_t *)zhashx_lookup (self->entries, key);
    if (entry && entry->answer) {
        self->n.replayed++;
        *answer_p = entry->answer;
        *size_p = entry->size;
        return HL_IDEM_ANSWERED;
    }
    if (entry) {
        if (entry->held < S_HELD_MAX) {
            entry->held++;
            self->n.held++;
        } else
            self->n.dropped++;
        return HL_IDEM_RUNNING;
    }
    size_t cost = S_OVERHEAD + strlen (key);
    s_client_t *client = (s_client_t *)zhashx_lookup (self->clients, ckey);
    if (!s_make_room (self, client, cost))
        return HL_IDEM_NEW; /* bounds too small for even one */
    //  Making room may have taken the client's last entry, and it
    client = s_client (self, ckey);
    entry = (s_entry_t *)hl_alloc (sizeof (s_entry_t));
    snprintf (entry->key, sizeof entry->key, "%s", key);
    entry->client = client;
    entry->cost = cost;
    entry->order = zlistx_add_end (self->running, entry);
    entry->mine = zlistx_add_end (client->order, entry);
    client->bytes += cost;
    self->bytes += cost;
    zhashx_insert (self->entries, key, entry);
    return HL_IDEM_NEW;
}

size_t
hl_idem_answer (hl_idem_t *self, const uint8_t *rid, size_t rid_len,
                uint64_t id, const uint8_t *answer, size_t size, int64_t now_ms)
{
    //  Most answers are to requests never noted (reads): no key to make
    if (!zhashx_size (self->entries) || !rid || !rid_len
        || rid_len > HL_MAX_ROUTING_ID)
        return 0;
    char ckey[2 * HL_MAX_ROUTING_ID + 1], key[S_KEY_MAX];
    s_keys (rid, rid_len, id, ckey, sizeof ckey, key, sizeof key);
    s_entry_t *entry = (s_entry_t *)zhashx_lookup (self->entries, key);
    if (!entry || entry->answer)
        return 0;
    size_t held = entry->held;
    entry->held = 0;
    s_client_t *client = entry->client;
    //  Out of the way while room is made, so it is not its own victim
    size_t cost = entry->cost;
    zlistx_detach (self->running, entry->order);
    zlistx_detach (client->order, entry->mine);
    client->bytes -= cost;
    self->bytes -= cost;
    zhashx_delete (self->entries, key);
    if (s_client_drop (self, client))
        client = NULL;
    cost += size;
    if (!s_make_room (self, client, cost)) {
        self->n.unkept++;
        free (entry);
        return held;
    }
    client = s_client (self, ckey);
    entry->client = client;
    entry->cost = cost;
    entry->size = size;
    entry->answer = (uint8_t *)hl_alloc (size ? size : 1);
    memcpy (entry->answer, answer, size);
    entry->expires_ms = now_ms + self->opts.window_ms;
    entry->order = zlistx_add_end (self->answered, entry);
    entry->mine = zlistx_add_end (client->order, entry);
    client->bytes += cost;
    self->bytes += cost;
    zhashx_insert (self->entries, key, entry);
    return held;
}

void
hl_idem_stats (const hl_idem_t *self, hl_idem_stats_t *stats)
{
    *stats = self->n;
    stats->entries = zhashx_size (self->entries);
    stats->bytes = self->bytes;
    stats->clients = zhashx_size (self->clients);
}
