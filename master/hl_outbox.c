/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_outbox - a hash of clients by routing id, each with an hl_bus
    tally of its unread replies, and one tally of them all. libzmq lets
    go of a reply (and the tallies drop) once it is written to the
    kernel; a client that does not read leaves it in libzmq's pipe.
*/
#include <string.h>

#include "../bus/hl_bus.h"
#include "../proto/hl_alloc.h"
#include "../proto/hl_limits.h"
#include "hl_outbox.h"

typedef struct {
    hl_bus_tally_t *tally;
    bool warned; /* refused since it last had nothing unread */
} s_client_t;

struct _hl_outbox_t {
    zsock_t *sock;     /* borrowed */
    size_t per_client; /* budget, bytes */
    size_t total;      /* budget, bytes */
    hl_bus_tally_t *all;
    zhashx_t *clients; /* hex routing id -> s_client_t */
    uint64_t sent, refused, too_big;
};

static void
s_client_free (void **item_p)
{
    s_client_t *client = (s_client_t *)*item_p;
    hl_bus_tally_destroy (&client->tally);
    free (client);
    *item_p = NULL;
}

hl_outbox_t *
hl_outbox_new (zsock_t *sock, size_t per_client, size_t total)
{
    assert (sock);
    hl_outbox_t *self = (hl_outbox_t *)hl_alloc (sizeof (hl_outbox_t));
    self->sock = sock;
    self->per_client = per_client ? per_client : HL_REPLY_UNREAD_BYTES;
    self->total = total ? total : HL_REPLY_UNREAD_TOTAL;
    self->all = hl_bus_tally_new ();
    self->clients = zhashx_new ();
    zhashx_set_destructor (self->clients, s_client_free);
    return self;
}

void
hl_outbox_destroy (hl_outbox_t **self_p)
{
    assert (self_p);
    hl_outbox_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->clients);
    hl_bus_tally_destroy (&self->all);
    free (self);
    *self_p = NULL;
}

static void
s_key (const uint8_t *rid, size_t len, char *key)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        key[2 * i] = hex[rid[i] >> 4];
        key[2 * i + 1] = hex[rid[i] & 15];
    }
    key[2 * len] = 0;
}

static s_client_t *
s_client (hl_outbox_t *self, const uint8_t *rid, size_t rid_len, bool make)
{
    if (!rid || rid_len == 0 || rid_len > HL_MAX_ROUTING_ID)
        return NULL;
    char key[2 * HL_MAX_ROUTING_ID + 1];
    s_key (rid, rid_len, key);
    s_client_t *client = (s_client_t *)zhashx_lookup (self->clients, key);
    if (!client && make) {
        client = (s_client_t *)hl_alloc (sizeof (s_client_t));
        client->tally = hl_bus_tally_new ();
        zhashx_insert (self->clients, key, client);
    }
    return client;
}

bool
hl_outbox_room (hl_outbox_t *self, const uint8_t *rid, size_t rid_len,
                bool *first_p)
{
    if (first_p)
        *first_p = false;
    s_client_t *client = s_client (self, rid, rid_len, false);
    size_t mine = client ? hl_bus_tally_bytes (client->tally) : 0;
    //  Under budget before it: one reply may take a client past it, so a
    //  client holds at most its budget and one message
    if (mine < self->per_client && hl_bus_tally_bytes (self->all) < self->total)
        return true;
    self->refused++;
    client = s_client (self, rid, rid_len, true);
    if (client && !client->warned) {
        client->warned = true;
        if (first_p)
            *first_p = true;
    }
    return false;
}

int
hl_outbox_send (hl_outbox_t *self, hl_msg_t **reply_p)
{
    size_t rid_len = 0;
    const uint8_t *rid = hl_msg_routing_id (*reply_p, &rid_len);
    s_client_t *client = s_client (self, rid, rid_len, true);
    int rc = hl_bus_send_tally (self->sock, reply_p,
                                client ? client->tally : NULL, self->all, NULL);
    if (rc == 0)
        self->sent++;
    return rc;
}

int
hl_outbox_send_bytes (hl_outbox_t *self, const uint8_t *rid, size_t rid_len,
                      const uint8_t *data, size_t size)
{
    s_client_t *client = s_client (self, rid, rid_len, true);
    int rc = hl_bus_send_bytes_tally (self->sock, rid, rid_len, data, size,
                                      client ? client->tally : NULL, self->all);
    if (rc == 0)
        self->sent++;
    return rc;
}

void
hl_outbox_too_big (hl_outbox_t *self)
{
    self->too_big++;
}

void
hl_outbox_sweep (hl_outbox_t *self)
{
    zlistx_t *keys = zhashx_keys (self->clients);
    for (const char *key = (const char *)zlistx_first (keys); key;
         key = (const char *)zlistx_next (keys)) {
        s_client_t *client = (s_client_t *)zhashx_lookup (self->clients, key);
        if (hl_bus_tally_bytes (client->tally) == 0)
            zhashx_delete (self->clients, key);
    }
    zlistx_destroy (&keys);
}

hl_outbox_stats_t
hl_outbox_stats (hl_outbox_t *self)
{
    hl_outbox_stats_t st = { hl_bus_tally_bytes (self->all), 0, self->sent,
                             self->refused, self->too_big };
    for (s_client_t *c = (s_client_t *)zhashx_first (self->clients); c;
         c = (s_client_t *)zhashx_next (self->clients))
        st.clients += hl_bus_tally_bytes (c->tally) > 0;
    return st;
}
