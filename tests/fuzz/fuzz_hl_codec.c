/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    fuzz_hl_codec - libFuzzer harness for the decoder. Any input must be
    refused cleanly or decode to a message that renders to JSON, survives
    dup, and re-encodes to bytes that decode to an equal message.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../proto/hl_codec.h"
#include "../../proto/hl_msg.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    int scan = hl_codec_scan (data, size, NULL);
    char type[64];
    hl_codec_peek (data, size, type, sizeof type);

    hl_msg_t *msg = NULL;
    int rc = hl_msg_decode (data, size, NULL, &msg);
    //  Decoding succeeds only on what the scan accepts.
    if (rc == 0 && scan != 0)
        abort ();
    if (rc != 0) {
        if (msg)
            abort ();
        return 0;
    }
    //  A decodable message carries the envelope signature.
    if (hl_codec_peek (data, size, type, sizeof type) != 0)
        abort ();

    char *json = hl_msg_to_json_str (msg);
    if (!json)
        abort ();
    free (json);

    uint8_t *again = NULL;
    size_t again_size = 0;
    rc = hl_msg_encode (msg, &again, &again_size);
    if (rc != 0) {
        fprintf (stderr, "re-encode failed: %s\n", hl_strerror (rc));
        abort ();
    }
    hl_msg_t *back = NULL;
    rc = hl_msg_decode (again, again_size, NULL, &back);
    if (rc != 0 || !hl_msg_eq (msg, back)) {
        fprintf (stderr, "round trip differs: %s\n", hl_strerror (rc));
        abort ();
    }
    hl_msg_t *copy = hl_msg_dup (back);
    if (!hl_msg_eq (copy, msg))
        abort ();
    hl_msg_destroy (&copy);
    hl_msg_destroy (&back);
    hl_msg_destroy (&msg);
    free (again);
    return 0;
}
