#!/usr/bin/env python3
"""Generates tests/redaction/corpus.jsonl: the redaction plugin's quality corpus.

Every secret is FAKE: random characters in the real format (valid Luhn and IBAN mod-97
checksums where the format has them), so the corpus tests detection without containing a
usable credential. Deterministic (fixed seed): rerunning rewrites the same file.

    python3 tests/redaction/gen_corpus.py

Each line is one case:
  id        unique, `<kind>-<n>`
  kind      what the case holds (the rule family it tests, or `neg_<class>` for a negative)
  group     credentials | pii | negative
  location  where the string sits: attribute, nested, body, event, resource, json_content, key
  attr      the top-level record attribute (for attribute / nested / json_content / key)
  key       the leaf's attribute key path (empty for a log body)
  text      the string leaf
  secrets   substrings that must not survive redaction (empty for negatives)
"""

import json
import os
import random

from pii_fake import PII
from secrets_fake import CREDENTIALS
from negatives import NEGATIVES

random.seed(4)

HERE = os.path.dirname(os.path.abspath(__file__))

# Location rotation for secrets found by content (not by key).
LOCATIONS = ["attribute", "nested", "body", "event", "resource", "json_content"]
ATTRS = ["app.message", "db.statement", "process.command_line", "url.full", "code.snippet", "config.dump"]
NESTED = [("http.request.body", "http.request.body.payload.note"),
          ("app.context", "app.context.items.detail"),
          ("rpc.request", "rpc.request.params.config.raw")]
EVENT_KEYS = ["exception.message", "exception.stacktrace", "log.message"]
RESOURCE_KEYS = ["deployment.note", "service.instance.config"]

# Sensitive keys: the whole value is a secret whatever it looks like.
SENSITIVE_KEYS = [
    "password", "db.password", "http.request.header.authorization", "api_key", "app.client_secret",
    "http.request.header.cookie", "http.response.header.set-cookie", "user.pwd", "auth_token",
    "config.private_key", "http.request.header.x-api-key", "MYSQL_ROOT_PASSWORD", "passphrase",
    "rpc.grpc.request.metadata.authorization", "stripe.secret_key", "github_token",
]
KEY_VALUES = [
    "correct horse battery staple", "hunter2", "Bearer 8a7b6c5d4e3f2a1b0c9d8e7f", "letmein-2024",
    "sessionid=4f9a8b7c6d5e; theme=dark", "Summer!23", "q", "abc DEF 123", "0123456789",
    "tok-59fe0c1d2b", "Basic YWRtaW46czNjcjN0", "my dog's name", "P4ssw0rd!", "ZmFrZS1zZWNyZXQ=",
    "s3cr3t value with spaces", "temporary-key-0042",
]


def place(case_id, kind, group, text, secrets, n):
    """Puts `text` in the n-th location of the rotation."""
    loc = LOCATIONS[n % len(LOCATIONS)]
    case = {"id": case_id, "kind": kind, "group": group, "location": loc, "attr": "", "key": ""}
    if loc == "attribute":
        case["attr"] = case["key"] = ATTRS[n % len(ATTRS)]
    elif loc == "nested":
        case["attr"], case["key"] = NESTED[n % len(NESTED)]
    elif loc == "event":
        case["key"] = EVENT_KEYS[n % len(EVENT_KEYS)]
    elif loc == "resource":
        case["key"] = RESOURCE_KEYS[n % len(RESOURCE_KEYS)]
    elif loc == "json_content":
        case["attr"] = case["key"] = "gen_ai.input.messages"
        text = json.dumps([
            {"role": "system", "parts": [{"type": "text", "content": "You are a helpful assistant."}]},
            {"role": "user", "parts": [{"type": "text", "content": text}]},
        ])
    case["text"] = text
    case["secrets"] = secrets
    return case


def main():
    cases = []
    n = 0
    for group, families in (("credentials", CREDENTIALS), ("pii", PII)):
        for kind, make in families:
            for i, (text, secrets) in enumerate(make()):
                cases.append(place(f"{kind}-{i:02d}", kind, group, text, secrets, n))
                n += 1
    for i, key in enumerate(SENSITIVE_KEYS * 2):
        value = KEY_VALUES[i % len(KEY_VALUES)]
        cases.append({"id": f"sensitive_key-{i:02d}", "kind": "sensitive_key", "group": "credentials",
                      "location": "key", "attr": key, "key": key, "text": value, "secrets": [value]})
    # Tool-call arguments are JSON whose own keys can be sensitive.
    for i, (key, value) in enumerate([("password", "Winter2024!"), ("api_key", "k-7781-prod"),
                                      ("client_secret", "a8f5f167f44f4964e6c998dee827110c"),
                                      ("authorization", "Bearer 5a6b7c8d9e"), ("db_password", "hunter2")]):
        args = json.dumps({"query": "select * from orders", key: value, "limit": 10})
        cases.append({"id": f"json_sensitive_key-{i:02d}", "kind": "json_sensitive_key", "group": "credentials",
                      "location": "json_content", "attr": "gen_ai.tool.call.arguments",
                      "key": "gen_ai.tool.call.arguments", "text": args, "secrets": [value]})
    for kind, make in NEGATIVES:
        for i, text in enumerate(make()):
            case = place(f"{kind}-{i:02d}", kind, "negative", text, [], n)
            cases.append(case)
            n += 1
    # Negatives under keys that look sensitive-adjacent but are not (counts, cursors, ids).
    for i, (key, value) in enumerate([
        ("gen_ai.usage.input_tokens", "1024"), ("gen_ai.request.max_tokens", "4096"),
        ("page_token", "CAESBggBEAEYAQ"), ("session.id", "3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e"),
        ("gen_ai.token.type", "input"), ("secret.name", "prod-db-credentials"),
        ("password_policy", "min 12 chars"), ("app.next_page_token", "eyAicGFnZSI6IDMgfQ"),
        ("password", "${DB_PASSWORD}"), ("api_key", "<redacted>"), ("http.request.header.authorization", "[REDACTED]"),
        ("db.password", "****"),
    ]):
        cases.append({"id": f"neg_key-{i:02d}", "kind": "neg_key", "group": "negative", "location": "key",
                      "attr": key, "key": key, "text": value, "secrets": []})
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate ids"
    with open(os.path.join(HERE, "corpus.jsonl"), "w") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    neg = sum(1 for c in cases if c["group"] == "negative")
    print(f"{len(cases)} cases, {neg} negatives ({100 * neg / len(cases):.0f}%)")


if __name__ == "__main__":
    main()
