#!/usr/bin/env python3
"""Reads a message as the SMTP sink stored it (an .eml file) with Python's
own MIME parser, so the messaging tests check Karton's MIME against a reader
that Karton did not write.

Prints one JSON object: the parser's complaints about the structure
("defects", none for a well-formed message), the subject (RFC 2047
decoded), the text body, and each
attachment's file name (RFC 2231 decoded), media type, disposition, size and
SHA-256 of its decoded bytes.
"""
import email
import email.policy
import hashlib
import json
import sys


def main():
    with open(sys.argv[1], "rb") as source:
        message = email.message_from_binary_file(source, policy=email.policy.default)
    defects = [repr(defect) for defect in message.defects]
    for part in message.walk():
        defects += [repr(defect) for defect in part.defects]
    body = message.get_body(preferencelist=("plain",))
    attachments = []
    for part in message.iter_attachments():
        content = part.get_payload(decode=True)
        attachments.append({
            "file_name": part.get_filename(),
            "media_type": part.get_content_type(),
            "disposition": part.get_content_disposition(),
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
        })
    print(json.dumps({
        "defects": defects,
        "content_type": message.get_content_type(),
        "subject": str(message["subject"] or ""),
        "text": body.get_content() if body is not None else None,
        "attachments": attachments,
    }))


if __name__ == "__main__":
    main()
