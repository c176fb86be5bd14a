"""Strings that must come out of redaction unchanged: placeholders, ids, digests, model
names, numbers that look like PII but fail its checks, and ordinary telemetry text.

Every class is a function returning a list of texts.
"""

import random
import uuid

from pii_fake import luhn_complete
from secrets_fake import AN, D, HEX, r


def fixed(texts):
    return lambda: list(texts)


def gen(fn, n):
    return lambda: [fn() for _ in range(n)]


def rand_uuid():
    return str(uuid.UUID(int=random.getrandbits(128), version=4))


def bad_luhn():
    n = luhn_complete("4", 16)
    return n[:-1] + str((int(n[-1]) + 1 + random.randrange(8)) % 10)


NEGATIVES = [
    ("neg_placeholder_env", fixed([
        "password=${DB_PASSWORD}", "api_key: ${OPENAI_API_KEY}", "token={{ .Values.slack.token }}",
        "export API_KEY=$API_KEY", "DATABASE_URL=postgres://app:${DB_PASS}@db:5432/app", "client_secret: %(secret)s",
        '"password": "${{ secrets.DEPLOY_PASSWORD }}"', "STRIPE_SECRET_KEY=$(cat /run/secrets/stripe)",
        "password: {password}", "aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}",
    ])),
    ("neg_placeholder_redacted", fixed([
        "password=<redacted>", "password: [REDACTED]", '{"api_key": "***"}', "token=****", "secret: xxxx",
        "password: xxxxxxxx", "Authorization: Bearer <token>", "Authorization: Bearer ***",
        "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "postgres://user:****@db.internal/app", "https://user:<password>@git.acme.io/repo.git",
        "api_key=YOUR_API_KEY", "OPENAI_API_KEY=sk-...", "password: •••••••• (hidden)", "token: <your-token-here>",
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----", "Cookie: <redacted>",
        "password=[REDACTED:password_assignment]", "key [REDACTED:aws_access_key] rotated",
    ])),
    ("neg_code_reference", fixed([
        'api_key = os.environ["OPENAI_API_KEY"]', 'token = os.getenv("GITHUB_TOKEN")',
        "const key = process.env.STRIPE_KEY", "password = settings.DB_PASSWORD", "password=get_password()",
        "secret = vault.read(path)", "self.token = token", "api_key: Optional[str] = None", "password: str",
        "if password is None: raise ValueError", "token = tokens[0]", "password_file=/run/secrets/db_password",
        'TenantSource::ApiKey => "authorization",', "pub fn per_mtok(per_token: f64) -> String",
        '{"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05}', "def login(password: SecretStr):",
        "PWD=/home/app/releases/42", "secret: true", "password: null", "token: undefined",
    ])),
    ("neg_uuid", gen(lambda: random.choice([
        "request {} completed in 35ms", "session.id={}", "conversation {} archived", "idempotency-key: {}",
    ]).format(rand_uuid()), 12)),
    ("neg_git_sha", gen(lambda: random.choice([
        "deployed commit {} to prod", "revision: {}", "git checkout {}",
    ]).format(r(HEX, 40)), 10)),
    ("neg_short_sha", gen(lambda: f"build {r(HEX, 7)} passed", 4)),
    ("neg_digest", gen(lambda: random.choice([
        "sha256:{}".format(r(HEX, 64)), "md5 {}".format(r(HEX, 32)), "etag \"{}\"".format(r(HEX, 32)),
        "image ghcr.io/acme/api@sha256:{}".format(r(HEX, 64)), "content-md5: {}".format(r(HEX, 32)),
        "sha1={}".format(r(HEX, 40)),
    ]), 14)),
    ("neg_trace_ids", gen(lambda: random.choice([
        "trace_id={} span_id={}".format(r(HEX, 32), r(HEX, 16)),
        "traceparent: 00-{}-{}-01".format(r(HEX, 32), r(HEX, 16)),
        "parent span {} of trace {}".format(r(HEX, 16), r(HEX, 32)),
    ]), 10)),
    ("neg_model_names", fixed([
        "gpt-4o-2024-08-06", "claude-3-5-sonnet-20241022", "meta-llama/Llama-3.1-8B-Instruct",
        "gemini-1.5-pro-002", "text-embedding-3-large", "mistral-large-2407", "o1-preview-2024-09-12",
        "anthropic.claude-3-haiku-20240307-v1:0", "sentence-transformers/all-MiniLM-L6-v2", "gpt-4-turbo-2024-04-09",
        "claude-sonnet-4-5", "Qwen/Qwen2.5-72B-Instruct",
    ])),
    ("neg_numbers", fixed([
        "1700000000000001000", "2024-05-01T12:30:45.123Z", "duration 1234567 ns", "10.0.12.7:8080",
        "version v1.22.3", "HTTP/1.1 200 OK", "order #4111 shipped", "total 1,234,567.89 USD",
        "processed 1234567890123 bytes", "build 20240501.3", "Windows 10.0.19041.1237", "port 5432",
        "epoch_ms=1714566645123", "id 9007199254740993", "ISBN 978-3-16-148410-0", "zip 94103-1234",
        "lat 37.774929, lon -122.419416", "2024-05-01 12:30:45,123 INFO started",
        "offset 12345678901234", "chunk 0000000000000000 of 4", "due 12/31/2024", "Call 1-800-FLOWERS",
        "release v2.3.4-rc.1", "2024-05-01 12:30", "sizes 1024 2048 4096 8192", "latency p99=1234.5678ms",
    ])),
    ("neg_card_like", gen(lambda: random.choice([
        "order {} shipped", "reference {}", "invoice {}",
    ]).format(bad_luhn()), 10)),
    ("neg_pii_like", fixed([
        "SSN 000-12-3456", "ssn 666-45-6789", "ref 987-65-4321", "IBAN DE00370400440532013000",
        "account GB00NWBK60161331926819", "call 555-0100", "ext. 1234", "room 042-17",
        "npm install lodash@4.17.21", "@types/node", "git@github.com:acme/infra.git", "user@localhost",
        "pip install torch==2.3.0+cu121", "ticket ABC-12345", "+5%", "temperature +21.5 C",
    ])),
    ("neg_words", fixed([
        "password reset link sent", "password is required", "Enter your password:", "basic authentication failed",
        "bearer token expired", "the token limit is 4096 per request", "max_tokens=1024", "input_tokens: 512",
        "secretary of state", "passwordless login enabled", "token_type: bearer", "secret rotation scheduled",
        "Invalid API key format", "cookie consent banner shown", "Authorization required", "api_key_id=42",
        "private key loaded from KMS", "Set a strong password.", "tokens: 18342", "password_hash_algorithm=argon2id",
        "auth: true", "The user pressed the Submit button", "GET /api/v1/users?page=2&limit=50",
        "https://api.openai.com/v1/chat/completions", "postgres://db.internal:5432/orders",
        "redis://cache:6379/0", "ERROR connection refused (os error 111)", "retrying in 250ms (attempt 3/5)",
        "a separate reasoning-token price applies", "per-token float prices to per-million-token strings",
        "the secret-scanning job passed", "user clicked Forgot password? link",
    ])),
    ("neg_base64_short", gen(lambda: "payload " + r(AN, 24) + "==", 6)),
    ("neg_long_ids", gen(lambda: random.choice([
        "k8s pod api-7f9c{}-x2x9z".format(r("abcdef0123456789", 4)),
        "arn:aws:iam::{}:role/ingest".format(r(D, 12)),
        "span name GET /v1/models/{}".format(r("abcdefghijklmnop", 10)),
    ]), 8)),
]
