/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_curve - key files (czmq's zcert format: ZPL text, a "curve"
    section with public-key and secret-key in Z85), read by a bounded
    reader of our own so that a bad file is one line that names it;
    keygen; the process's keys and the options hl_sock sets from them.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hl_curve.h"
#include "hl_log.h"
#include "../proto/hl_alloc.h"

struct _hl_curve_t {
    hl_curve_side_t side;
    char public_key[HL_CURVE_KEY_TXT]; /* ours */
    char secret_key[HL_CURVE_KEY_TXT];
    char server_key[HL_CURVE_KEY_TXT]; /* the master's; "" on a server */
};

//  Set once before any thread; read by every socket's maker after
static const hl_curve_t *s_process;
static char s_monitor_prefix[64];
static int s_monitor_slots;
static atomic_int s_monitor_next;

// --------------------------------------------------------------------
// Key files

//  A Z85 key is 40 characters that decode to 32 bytes
static bool
s_key_ok (const char *text)
{
    uint8_t bin[32];
    return strlen (text) == 40 && zmq_z85_decode (bin, text) != NULL;
}

//  Read a whole small file into buf (NUL-terminated); 0 or -1 with err
static int
s_slurp (const char *path, char *buf, size_t size, struct stat *st, char *err,
         size_t errsize)
{
    //  A symlink is followed (mounted secrets are links): the mode that
    //  counts is the file's own, from fstat; a FIFO never blocks us
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf (err, errsize, "%s: %s", path, strerror (errno));
        return -1;
    }
    ssize_t n = -1;
    if (fstat (fd, st) != 0 || !S_ISREG (st->st_mode))
        snprintf (err, errsize, "%s: not a regular file", path);
    else if (st->st_size >= (off_t)size)
        snprintf (err, errsize, "%s: too big for a key file (%lld bytes)", path,
                  (long long)st->st_size);
    else {
        n = read (fd, buf, size - 1);
        if (n < 0)
            snprintf (err, errsize, "%s: %s", path, strerror (errno));
    }
    close (fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    if (memchr (buf, '\0', (size_t)n)) {
        snprintf (err, errsize, "%s: not a key file (binary)", path);
        return -1;
    }
    return 0;
}

//  The value of "name = value" (quoted or not) in the curve section of a
//  ZPL text, copied into out; false if absent or too long
static bool
s_find (const char *text, const char *name, char *out, size_t size)
{
    bool in_curve = false;
    const char *line = text;
    size_t name_len = strlen (name);
    while (*line) {
        const char *end = strchr (line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen (line);
        const char *p = line;
        if (len && *p != ' ' && *p != '\t' && *p != '#')
            in_curve = len >= 5 && !strncmp (p, "curve", 5)
                       && strspn (p + 5, " \t\r") == len - 5;
        else if (in_curve) {
            p += strspn (p, " \t");
            if (!strncmp (p, name, name_len)) {
                p += name_len;
                p += strspn (p, " \t");
                if (*p == '=') {
                    p++;
                    p += strspn (p, " \t");
                    char quote = *p == '"' || *p == '\'' ? *p++ : 0;
                    size_t n = 0;
                    while (p + n < line + len && p[n] != quote
                           && (quote
                               || (p[n] != ' ' && p[n] != '\r' && p[n] != '\t'
                                   && p[n] != '#')))
                        n++;
                    if (n >= size)
                        return false;
                    memcpy (out, p, n);
                    out[n] = '\0';
                    return true;
                }
            }
        }
        line = end ? end + 1 : line + len;
    }
    return false;
}

int
hl_curve_read_public (const char *path, char *z85, char *err, size_t errsize)
{
    char buf[HL_CURVE_FILE_MAX];
    struct stat st;
    if (s_slurp (path, buf, sizeof buf, &st, err, errsize))
        return -1;
    if (!s_find (buf, "public-key", z85, HL_CURVE_KEY_TXT)) {
        snprintf (err, errsize, "%s: no curve public-key in it", path);
        return -1;
    }
    if (!s_key_ok (z85)) {
        snprintf (err, errsize, "%s: public-key is not a 40-character Z85 key",
                  path);
        return -1;
    }
    return 0;
}

int
hl_curve_read_secret (const char *path, char *public_z85, char *secret_z85,
                      char *err, size_t errsize)
{
    char buf[HL_CURVE_FILE_MAX];
    struct stat st;
    int rc = -1;
    if (s_slurp (path, buf, sizeof buf, &st, err, errsize))
        goto fail;
    //  A secret others can read is a secret no more: refuse, as ssh does
    if (st.st_mode & 077) {
        snprintf (err, errsize,
                  "%s: mode %04o lets others read a secret key "
                  "(chmod 600)",
                  path, (unsigned)(st.st_mode & 07777));
        goto fail;
    }
    if (!s_find (buf, "secret-key", secret_z85, HL_CURVE_KEY_TXT)) {
        snprintf (err, errsize,
                  "%s: no curve secret-key in it (a public "
                  "key file?)",
                  path);
        goto fail;
    }
    if (!s_find (buf, "public-key", public_z85, HL_CURVE_KEY_TXT)
        || !s_key_ok (public_z85) || !s_key_ok (secret_z85)) {
        snprintf (err, errsize, "%s: its keys are not 40-character Z85 keys",
                  path);
        goto fail;
    }
    char derived[HL_CURVE_KEY_TXT];
    if (zmq_curve_public (derived, secret_z85) != 0
        || strcmp (derived, public_z85) != 0) {
        snprintf (err, errsize,
                  "%s: its secret key is not the pair of its public key", path);
        goto fail;
    }
    rc = 0;
fail:
    //  Nothing of a secret stays on the stack
    explicit_bzero (buf, sizeof buf);
    if (rc)
        explicit_bzero (secret_z85, HL_CURVE_KEY_TXT);
    return rc;
}

static bool
s_name_ok (const char *name)
{
    size_t len = strlen (name);
    return len >= 1 && len <= HL_CURVE_NAME_MAX && name[0] != '.'
           && strspn (name, "abcdefghijklmnopqrstuvwxyz"
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
                  == len;
}

//  Write one key file, never over an existing one
static int
s_write (const char *path, mode_t mode, const char *name,
         const char *public_z85, const char *secret_z85, char *err,
         size_t errsize)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                   mode);
    if (fd < 0) {
        snprintf (err, errsize, "%s: %s", path,
                  errno == EEXIST ? "exists: not overwritten"
                                  : strerror (errno));
        return -1;
    }
    char stamp[32];
    time_t now = time (NULL);
    struct tm tm;
    strftime (stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", gmtime_r (&now, &tm));
    char text[1024];
    int n = snprintf (
        text, sizeof text,
        "#   ****  Generated on %s UTC by helios-ctl keygen  ****\n"
        "#   ZeroMQ CURVE %s Certificate\n%s\n"
        "metadata\n    name = \"%s\"\ncurve\n    public-key = \"%s\"\n%s%s%s",
        stamp, secret_z85 ? "**Secret**" : "Public",
        secret_z85 ? "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor "
                     "change its permissions.\n"
                   : "#   Exchange securely, or use a secure mechanism to "
                     "verify the contents\n#   of this file after "
                     "exchange. Store public certificates in your home\n"
                     "#   directory, in the .curve subdirectory.\n",
        name, public_z85, secret_z85 ? "    secret-key = \"" : "",
        secret_z85 ? secret_z85 : "", secret_z85 ? "\"\n" : "");
    //  The umask may only take bits away: set the mode we mean
    bool ok = n > 0 && (size_t)n < sizeof text && fchmod (fd, mode) == 0
              && write (fd, text, (size_t)n) == n && fsync (fd) == 0;
    if (!ok)
        snprintf (err, errsize, "%s: cannot write: %s", path, strerror (errno));
    explicit_bzero (text, sizeof text);
    close (fd);
    if (!ok)
        unlink (path);
    return ok ? 0 : -1;
}

int
hl_curve_keygen (const char *dir, const char *name, char *err, size_t errsize)
{
    char public_z85[HL_CURVE_KEY_TXT], secret_z85[HL_CURVE_KEY_TXT];
    char pub_path[HL_CONFIG_PATH + 80], sec_path[HL_CONFIG_PATH + 80];
    int rc = -1;
    if (!name || !s_name_ok (name)) {
        snprintf (err, errsize,
                  "bad key name '%s': want 1..%d of [A-Za-z0-9._-], not "
                  "starting with '.'",
                  name ? name : "", HL_CURVE_NAME_MAX);
        return -1;
    }
    if (!dir || !*dir)
        dir = ".";
    if (strlen (dir) >= HL_CONFIG_PATH) {
        snprintf (err, errsize, "key folder too long");
        return -1;
    }
    snprintf (pub_path, sizeof pub_path, "%s/%s.key", dir, name);
    snprintf (sec_path, sizeof sec_path, "%s/%s.key_secret", dir, name);
    if (access (pub_path, F_OK) == 0 || access (sec_path, F_OK) == 0) {
        snprintf (err, errsize, "%s: exists: not overwritten",
                  access (pub_path, F_OK) == 0 ? pub_path : sec_path);
        return -1;
    }
    if (zmq_curve_keypair (public_z85, secret_z85) != 0) {
        snprintf (err, errsize, "no CURVE in this libzmq: %s",
                  zmq_strerror (zmq_errno ()));
        return -1;
    }
    //  The secret first: a public file alone never suggests a pair exists
    if (s_write (sec_path, 0600, name, public_z85, secret_z85, err, errsize))
        goto fail;
    if (s_write (pub_path, 0644, name, public_z85, NULL, err, errsize)) {
        unlink (sec_path);
        goto fail;
    }
    rc = 0;
fail:
    explicit_bzero (secret_z85, sizeof secret_z85);
    return rc;
}

// --------------------------------------------------------------------
// The process's keys

int
hl_curve_load (const hl_config_security_t *sec, const char *key,
               hl_curve_side_t side, hl_curve_t **self_p, char *err,
               size_t errsize)
{
    assert (self_p);
    *self_p = NULL;
    char why[HL_CONFIG_PATH + 128];
    const char *secret = key ? key : sec ? sec->secret_key : "";
    if (!key && (!sec || !sec->enabled))
        return 0;
    if (!zmq_has ("curve")) {
        snprintf (err, errsize, "CURVE is on but this libzmq has no CURVE");
        return -1;
    }
    hl_curve_t *self = (hl_curve_t *)hl_alloc (sizeof *self);
    self->side = side;
    if (!*secret) {
        snprintf (err, errsize, "CURVE is on: set security.secret_key");
        goto fail;
    }
    if (hl_curve_read_secret (secret, self->public_key, self->secret_key, why,
                              sizeof why)) {
        snprintf (err, errsize, "%s: %s", key ? "--key" : "security.secret_key",
                  why);
        goto fail;
    }
    const char *server = sec ? sec->server_public_key : "";
    if (side == HL_CURVE_CLIENT && !*server) {
        snprintf (err, errsize,
                  "CURVE is on: set security.server_public_key (the "
                  "master's NAME.key)");
        goto fail;
    }
    if (*server) {
        if (hl_curve_read_public (server, self->server_key, why, sizeof why)) {
            snprintf (err, errsize, "security.server_public_key: %s", why);
            goto fail;
        }
        //  One config on the master's machine names both halves
        if (side == HL_CURVE_SERVER
            && strcmp (self->server_key, self->public_key) != 0) {
            snprintf (err, errsize,
                      "security.server_public_key %s is not the public "
                      "half of security.secret_key %s",
                      server, secret);
            goto fail;
        }
    }
    *self_p = self;
    return 0;
fail:
    hl_curve_destroy (&self);
    return -1;
}

void
hl_curve_destroy (hl_curve_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hl_curve_t *self = *self_p;
    if (s_process == self)
        s_process = NULL;
    explicit_bzero (self, sizeof *self);
    free (self);
    *self_p = NULL;
}

void
hl_curve_use (const hl_curve_t *self)
{
    s_process = self;
}

const hl_curve_t *
hl_curve_process (void)
{
    return s_process;
}

hl_curve_side_t
hl_curve_side (const hl_curve_t *self)
{
    assert (self);
    return self->side;
}

const char *
hl_curve_public (const hl_curve_t *self)
{
    assert (self);
    return self->public_key;
}

void
hl_curve_monitor_to (const char *prefix, int slots)
{
    snprintf (s_monitor_prefix, sizeof s_monitor_prefix, "%s",
              prefix ? prefix : "");
    s_monitor_slots = slots;
    atomic_store (&s_monitor_next, 0);
}

int
hl_curve_bind_setup (const hl_curve_t *self, zsock_t *sock)
{
    assert (self && sock);
    if (self->side != HL_CURVE_SERVER)
        return 0;
    zsock_set_curve_server (sock, 1);
    zsock_set_curve_secretkey (sock, self->secret_key);
    //  A domain makes libzmq ask the ZAP handler; without a handler
    //  bound, enforce_domain fails the handshake rather than let all in
    zsock_set_zap_domain (sock, HL_CURVE_DOMAIN);
#ifdef ZMQ_ZAP_ENFORCE_DOMAIN
    int on = 1;
    zmq_setsockopt (zsock_resolve (sock), ZMQ_ZAP_ENFORCE_DOMAIN, &on,
                    sizeof on);
#endif
    if (s_monitor_prefix[0]) {
        int slot = atomic_fetch_add (&s_monitor_next, 1);
        if (slot < s_monitor_slots) {
            char name[96];
            snprintf (name, sizeof name, "%s-%d", s_monitor_prefix, slot);
            if (zmq_socket_monitor (zsock_resolve (sock), name,
                                    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                                        | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
                != 0) {
                hl_log_warning ("curve: cannot monitor handshakes: %s",
                                zmq_strerror (zmq_errno ()));
            }
        }
    }
    return 0;
}

int
hl_curve_connect_setup (const hl_curve_t *self, zsock_t *sock,
                        const char *endpoint)
{
    assert (self && sock);
    if (endpoint && !strncmp (endpoint, "inproc://", 9))
        return 0;
    if (self->side != HL_CURVE_CLIENT)
        return 0;
    zsock_set_curve_publickey (sock, self->public_key);
    zsock_set_curve_secretkey (sock, self->secret_key);
    zsock_set_curve_serverkey (sock, self->server_key);
    return 0;
}

bool
hl_curve_beyond_loopback (const char *endpoint)
{
    if (!endpoint || strncmp (endpoint, "tcp://", 6) != 0)
        return false; /* ipc:// and inproc:// stay on this machine */
    return !hl_config_listen_loopback (endpoint + 6);
}
