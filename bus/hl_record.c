/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_record - write and read bus recordings. The writer flushes after
    every message so a killed spy leaves a usable file; the reader trusts
    nothing in the file and checks every length before it reads or
    allocates.
*/
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <czmq.h>

#include "hl_record.h"
#include "../proto/hl_alloc.h"
#include "../proto/hl_err.h"
#include "../proto/hl_limits.h"

#define HL_RECORD_MAGIC "HLREC01\n"
#define HL_RECORD_MAGIC_LEN 8

struct _hl_record_t {
    FILE *file;
    bool writing;
    int error;                       /* sticky read error, 0 if none */
    uint8_t topic[HL_MAX_TOPIC + 1]; /* last topic read */
    uint8_t *env;                    /* last envelope read */
    size_t env_cap;                  /* bytes allocated at env */
};

static void
s_put_u32 (uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
s_get_u32 (const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static void
s_put_i64 (uint8_t *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(u >> (8 * i));
}

static int64_t
s_get_i64 (const uint8_t *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)p[i] << (8 * i);
    return (int64_t)u;
}

static hl_record_t *
s_new (const char *path, const char *mode, bool writing, char *err,
       size_t errsize)
{
    if (err && errsize)
        err[0] = '\0';
    if (!path || !*path) {
        if (err)
            snprintf (err, errsize, "no recording file given");
        return NULL;
    }
    FILE *file = fopen (path, mode);
    if (!file) {
        if (err)
            snprintf (err, errsize, "%s: %s", path, strerror (errno));
        return NULL;
    }
    hl_record_t *self = (hl_record_t *)hl_alloc (sizeof (hl_record_t));
    self->file = file;
    self->writing = writing;
    return self;
}

hl_record_t *
hl_record_create (const char *path, char *err, size_t errsize)
{
    hl_record_t *self = s_new (path, "wb", true, err, errsize);
    if (!self)
        return NULL;
    if (fwrite (HL_RECORD_MAGIC, 1, HL_RECORD_MAGIC_LEN, self->file)
            != HL_RECORD_MAGIC_LEN
        || fflush (self->file) != 0) {
        if (err)
            snprintf (err, errsize, "%s: %s", path, strerror (errno));
        hl_record_destroy (&self);
    }
    return self;
}

hl_record_t *
hl_record_open (const char *path, char *err, size_t errsize)
{
    hl_record_t *self = s_new (path, "rb", false, err, errsize);
    if (!self)
        return NULL;
    char magic[HL_RECORD_MAGIC_LEN];
    size_t got = fread (magic, 1, sizeof magic, self->file);
    if (got != sizeof magic
        || memcmp (magic, HL_RECORD_MAGIC, HL_RECORD_MAGIC_LEN) != 0) {
        if (err)
            snprintf (err, errsize, "%s: not a Helios recording (%s)", path,
                      ferror (self->file) ? strerror (errno) : "bad magic");
        hl_record_destroy (&self);
    }
    return self;
}

void
hl_record_destroy (hl_record_t **self_p)
{
    assert (self_p);
    hl_record_t *self = *self_p;
    if (!self)
        return;
    if (self->file)
        fclose (self->file);
    free (self->env);
    free (self);
    *self_p = NULL;
}

int
hl_record_write (hl_record_t *self, int64_t recv_us, const void *topic,
                 size_t topic_len, const void *env, size_t env_len)
{
    assert (self);
    if (!self->writing)
        return HL_ERR_IO;
    //  Write only what a reader will accept
    if (topic_len > HL_MAX_TOPIC || env_len > HL_MSG_MAX_SIZE)
        return HL_ERR_TOO_BIG;
    uint8_t head[12];
    uint8_t len[4];
    s_put_i64 (head, recv_us);
    s_put_u32 (head + 8, (uint32_t)topic_len);
    s_put_u32 (len, (uint32_t)env_len);
    if (fwrite (head, 1, sizeof head, self->file) != sizeof head
        || (topic_len && fwrite (topic, 1, topic_len, self->file) != topic_len)
        || fwrite (len, 1, sizeof len, self->file) != sizeof len
        || (env_len && fwrite (env, 1, env_len, self->file) != env_len)
        || fflush (self->file) != 0)
        return HL_ERR_IO;
    return 0;
}

//  Read exactly size bytes. Returns 1, 0 if the file ended before the
//  first byte, or an hl_err_t (a partial read is a truncated file).
static int
s_read (hl_record_t *self, void *data, size_t size)
{
    size_t got = fread (data, 1, size, self->file);
    if (got == size)
        return 1;
    if (ferror (self->file))
        return HL_ERR_IO;
    return got == 0 ? 0 : HL_ERR_MALFORMED;
}

int
hl_record_read (hl_record_t *self, int64_t *recv_us, const uint8_t **topic,
                size_t *topic_len, const uint8_t **env, size_t *env_len)
{
    assert (self);
    assert (recv_us && topic && topic_len && env && env_len);
    if (self->writing)
        return HL_ERR_IO;
    //  After a bad record the position is meaningless: stay failed
    if (self->error)
        return self->error;
    int rc;
    uint8_t head[12];
    uint8_t len[4];
    rc = s_read (self, head, sizeof head);
    if (rc == 0)
        return 0; //  clean end, between records
    if (rc < 0)
        goto fail;
    size_t tlen = s_get_u32 (head + 8);
    if (tlen > HL_MAX_TOPIC) {
        rc = HL_ERR_TOO_BIG;
        goto fail;
    }
    if (tlen && (rc = s_read (self, self->topic, tlen)) != 1)
        goto truncated;
    self->topic[tlen] = 0;
    if ((rc = s_read (self, len, sizeof len)) != 1)
        goto truncated;
    size_t elen = s_get_u32 (len);
    if (elen > HL_MSG_MAX_SIZE) {
        rc = HL_ERR_TOO_BIG;
        goto fail;
    }
    //  The length is capped, so this allocation is bounded
    if (elen > self->env_cap) {
        free (self->env);
        self->env = (uint8_t *)hl_alloc (elen);
        self->env_cap = elen;
    }
    if (elen && (rc = s_read (self, self->env, elen)) != 1)
        goto truncated;
    *recv_us = s_get_i64 (head);
    *topic = self->topic;
    *topic_len = tlen;
    *env = self->env ? self->env : self->topic + tlen;
    *env_len = elen;
    return 1;
truncated:
    //  The record began, so an end of file here is a truncation
    if (rc == 0)
        rc = HL_ERR_MALFORMED;
fail:
    self->error = rc;
    return rc;
}
