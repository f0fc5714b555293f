/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_curve - this process's CURVE keys (design §7, docs/security.md):
    key files in czmq's zcert format, read and checked with one clear
    line per fault; keygen; and the socket options hl_sock sets with
    them. A process loads its keys once at start (hl_curve_use); every
    socket hl_sock makes after that takes them: the master's binds as
    the CURVE server, every other process's connects as a client.
*/
#ifndef HL_CURVE_H
#define HL_CURVE_H

#include <stdbool.h>
#include <stddef.h>
#include <czmq.h>

#include "hl_config.h"

#define HL_CURVE_KEY_TXT 41      /* a key in Z85 text, NUL included */
#define HL_CURVE_FILE_MAX 8192   /* a key file is a few hundred bytes */
#define HL_CURVE_NAME_MAX 64     /* a keygen NAME */
#define HL_CURVE_DOMAIN "helios" /* the ZAP domain of Helios sockets */

typedef struct _hl_curve_t hl_curve_t;

/*  Which side of the handshake this process is. */
typedef enum { HL_CURVE_CLIENT, HL_CURVE_SERVER } hl_curve_side_t;

/*  This process's keys from sec. key (may be NULL) overrides
    sec->secret_key and turns CURVE on (a program's --key). A server
    needs its secret key (and, when set, server_public_key must be its
    public half); a client needs both. Returns 0 with *self_p NULL when
    CURVE is off, 0 with the keys, or -1 with one line in err. */
int hl_curve_load (const hl_config_security_t *sec, const char *key,
                   hl_curve_side_t side, hl_curve_t **self_p, char *err,
                   size_t errsize);

void hl_curve_destroy (hl_curve_t **self_p);

/*  The keys every socket hl_sock makes from now on takes (NULL: none).
    Set once at start, before any socket or thread; borrowed. */
void hl_curve_use (const hl_curve_t *self);

/*  The keys hl_curve_use set, or NULL. */
const hl_curve_t *hl_curve_process (void);

hl_curve_side_t hl_curve_side (const hl_curve_t *self);

/*  This process's public key, Z85. */
const char *hl_curve_public (const hl_curve_t *self);

/*  A server's binds report their handshake failures to a ZAP handler's
    monitors: prefix names them "<prefix>-0".."<prefix>-(slots-1)", one
    a bound socket, in the order they are bound. "" stops it. */
void hl_curve_monitor_to (const char *prefix, int slots);

/*  Set sock up before it binds (server: its secret key, the ZAP domain,
    a monitor slot) or connects to endpoint (client: its keys and the
    server's; nothing for inproc://, which never handshakes). 0 or -1. */
int hl_curve_bind_setup (const hl_curve_t *self, zsock_t *sock);
int hl_curve_connect_setup (const hl_curve_t *self, zsock_t *sock,
                            const char *endpoint);

/*  A public key file: its key into z85 (HL_CURVE_KEY_TXT bytes). 0, or
    -1 with "path: reason" in err. */
int hl_curve_read_public (const char *path, char *z85, char *err,
                          size_t errsize);

/*  A secret key file: owned by nobody else (no group or other bits), its
    secret key the pair of its public one. 0, or -1 with the reason. */
int hl_curve_read_secret (const char *path, char *public_z85, char *secret_z85,
                          char *err, size_t errsize);

/*  Make a key pair: dir/NAME.key (public, 0644) and dir/NAME.key_secret
    (0600), never overwriting either. NAME is 1..64 of [A-Za-z0-9._-],
    not starting with '.'. 0, or -1 with the reason in err. */
int hl_curve_keygen (const char *dir, const char *name, char *err,
                     size_t errsize);

/*  Whether a bind endpoint reaches beyond this machine: tcp:// on a host
    other than localhost, 127.0.0.0/8 or ::1. */
bool hl_curve_beyond_loopback (const char *endpoint);

#endif
