/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_zap - the ZAP handler (RFC 27) of a process that binds with CURVE:
    an actor on inproc://zeromq.zap.01 that lets in the public keys of an
    allow-list folder and no other, and watches its server sockets'
    failed handshakes. Each refused key is counted and logged once,
    however often it tries; the folder is read again when it changes.
*/
#ifndef HL_ZAP_H
#define HL_ZAP_H

#include <stdbool.h>
#include <stdint.h>
#include <czmq.h>

#include "../proto/hl_value.h"

#define HL_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define HL_ZAP_KEYS_MAX 65536   /* keys the allow-list may hold */
#define HL_ZAP_REFUSED_MAX 4096 /* refused keys remembered by name */
#define HL_ZAP_MONITORS 8       /* server sockets watched */
#define HL_ZAP_RELOAD_MS 1000   /* how often the folder is looked at */

typedef struct _hl_zap_t hl_zap_t;

typedef struct {
    uint64_t keys;          /* public keys allowed now */
    uint64_t allowed;       /* handshakes let in */
    uint64_t refused;       /* handshakes refused: key not allowed */
    uint64_t refused_keys;  /* distinct keys refused (each logged once) */
    uint64_t no_curve;      /* handshakes seen to come without CURVE */
    uint64_t bad_handshake; /* other failed handshakes: a wrong server
                               key, garbage, a peer that hung up first */
    uint64_t reloads;       /* times the folder was read again */
    uint64_t reload_failed; /* reads that failed: the old list stays */
} hl_zap_stats_t;

/*  Read allow_dir (each regular file not ending in _secret is a public
    key file; any bad one fails the start) and bind the ZAP handler. Must
    come before any CURVE server socket binds. Returns NULL with one line
    in err. */
hl_zap_t *hl_zap_new (const char *allow_dir, char *err, size_t errsize);

/*  Stop the actor; accepts NULL and nulls *self_p. */
void hl_zap_destroy (hl_zap_t **self_p);

/*  Counters so far (from any thread). */
void hl_zap_stats (const hl_zap_t *self, hl_zap_stats_t *stats);

/*  The counters as a map, for status; NULL self gives {enabled: false}.
    The caller owns it. */
hl_value_t *hl_zap_status (const hl_zap_t *self);

/*  Read a folder of public keys into a set of their Z85 texts (the
    table's keys); for the handler and for tests. NULL with the reason.
    The caller owns the table. */
zhashx_t *hl_zap_read_dir (const char *dir, char *err, size_t errsize);

#endif
