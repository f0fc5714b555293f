/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_record - the bus recording file of helios-spy: every message as its
    raw frames with the time it was received, so that a replay is exact.
    Layout: the 8-byte magic "HLREC01\n", then per message: receive time
    (int64 us, little-endian), topic length (uint32 LE), topic, envelope
    length (uint32 LE), envelope. A file is untrusted input when read.
*/
#ifndef HL_RECORD_H
#define HL_RECORD_H

#include <stddef.h>
#include <stdint.h>

typedef struct _hl_record_t hl_record_t;

/*  Create (truncate) path for writing, or open it for reading (the magic
    is checked). NULL with the reason in err on failure. */
hl_record_t *hl_record_create (const char *path, char *err, size_t errsize);
hl_record_t *hl_record_open (const char *path, char *err, size_t errsize);

/*  Close; accepts NULL, nulls *self_p. */
void hl_record_destroy (hl_record_t **self_p);

/*  Append one message. Returns 0 or HL_ERR_IO / HL_ERR_TOO_BIG. */
int hl_record_write (hl_record_t *self, int64_t recv_us, const void *topic,
                     size_t topic_len, const void *env, size_t env_len);

/*  Read the next message into buffers the record owns (valid until the
    next call). Returns 1 with the fields filled, 0 at a clean end of file,
    or a negative hl_err_t: HL_ERR_MALFORMED (truncated), HL_ERR_TOO_BIG
    (a length past the limits), HL_ERR_IO. */
int hl_record_read (hl_record_t *self, int64_t *recv_us, const uint8_t **topic,
                    size_t *topic_len, const uint8_t **env, size_t *env_len);

#endif
