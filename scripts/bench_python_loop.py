#!/usr/bin/env python3
"""The Python baseline of `npm run bench`'s CLI comparison.

What a Python user would write to dump an eventsourcing SQLite store as JSON with the standard
library: sqlite3 rows in rowid order -> AES-GCM (the `cryptography` package; the standard library
has no AES) -> zlib -> json, the library's `{"_type_", "_data_"}` transcodings decoded as
`eventscope log --json` decodes them (uuid_hex -> dashed UUID, decimal_str and datetime_iso -> their
strings, other names kept as they are), and the same event objects printed as one JSON array:

    [
    {"streamId":...,"revision":...,"position":...,"type":...,"timestamp":...,"data":{...},"metadata":{}},
    ...
    ]

Usage: bench_python_loop.py STORE [--limit N] [--cipher-key BASE64]
(the key may also come from EVENTSCOPE_CIPHER_KEY or CIPHER_KEY, as for the CLI).
Exit status 3 when a key is given but `cryptography` is not installed.
"""

import argparse
import base64
import json
import os
import sqlite3
import sys
import zlib


def decode_transcoding(obj):
    """json object_hook: the library's transcodings, decoded like Eventscope's reader."""
    if len(obj) == 2 and "_type_" in obj and "_data_" in obj:
        kind = obj["_type_"]
        data = obj["_data_"]
        if kind == "uuid_hex" and isinstance(data, str) and len(data) == 32:
            h = data.lower()
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        if kind in ("decimal_str", "datetime_iso") and isinstance(data, str):
            return data
    return obj


def stream_id(originator_id):
    # eventsourcing stores ids as uuid.hex: 32 lowercase hex digits, dashed here as Eventscope does
    if len(originator_id) == 32:
        h = originator_id
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return originator_id


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--cipher-key", default=os.environ.get("EVENTSCOPE_CIPHER_KEY") or os.environ.get("CIPHER_KEY"))
    args = parser.parse_args()

    decrypt = None
    if args.cipher_key:
        try:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        except ImportError:
            print("bench_python_loop.py: the `cryptography` package is not installed (pip install cryptography)", file=sys.stderr)
            return 3
        aesgcm = AESGCM(base64.b64decode(args.cipher_key))

        def decrypt(blob):
            # stored as nonce[0:12] | tag[12:28] | ciphertext[28:]; AESGCM wants ciphertext | tag
            return aesgcm.decrypt(blob[:12], blob[28:] + blob[12:28], None)

    decoder = json.JSONDecoder(object_hook=decode_transcoding)
    encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
    db = sqlite3.connect(f"file:{args.store}?mode=ro", uri=True)
    sql = "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid"
    rows = db.execute(sql + " LIMIT ?", (args.limit,)) if args.limit is not None else db.execute(sql)

    out = sys.stdout
    first = True
    for position, originator_id, version, topic, state in rows:
        if decrypt is not None:
            state = decrypt(state)
        if state[:1] != b"{":
            state = zlib.decompress(state)
        data = decoder.decode(state.decode("utf-8"))
        timestamp = data.get("timestamp")
        event = {
            "streamId": stream_id(originator_id),
            "revision": version,
            "position": position,
            "type": topic,
            "timestamp": timestamp if isinstance(timestamp, str) else None,
            "data": data,
            "metadata": {},
        }
        out.write(("[\n" if first else ",\n") + encoder.encode(event))
        first = False
    out.write("[]\n" if first else "\n]\n")
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
