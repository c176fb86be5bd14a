"""Fake secrets in real formats, each placed in a few realistic sentences.

Every family is a function returning a list of (text, [secret substrings]). Randomness comes
from the `random` module, seeded by gen_corpus.py.
"""

import base64
import json
import random
import string

U, L, D = string.ascii_uppercase, string.ascii_lowercase, string.digits
AN = U + L + D
HEX = "0123456789abcdef"
B64 = AN + "+/"
URLSAFE = AN + "-_"


def r(alphabet, n):
    return "".join(random.choice(alphabet) for _ in range(n))


def mixed(alphabet, n):
    """Random string that has upper case, lower case and a digit (like real keys)."""
    while True:
        s = r(alphabet, n)
        if any(c in U for c in s) and any(c in L for c in s) and any(c in D for c in s):
            return s


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


WORDS = ["Sunflower", "falcon", "Granite", "harbor", "Maple", "orbit", "Quartz", "violet", "Tundra", "ember"]


def password():
    style = random.randrange(3)
    if style == 0:
        return random.choice(WORDS) + r(D, 4) + random.choice("!#%*+=")
    if style == 1:
        return random.choice(WORDS).lower() + "-" + random.choice(WORDS) + "-" + r(D, 2)
    return random.choice(AN) + mixed(AN + "!#%*-_=+", random.randint(11, 19))


class Fill:
    """Template values and, separately, the substrings that are the secret."""

    def __init__(self, values, secrets):
        self.values, self.secrets = values, secrets


def family(templates, secret_fn, count=None):
    """Fills each template once (or `count` times round-robin) with fresh secrets."""
    def make():
        out = []
        n = count or len(templates)
        for i in range(n):
            t = templates[i % len(templates)]
            s = secret_fn()
            if isinstance(s, Fill):
                out.append((t.format(*s.values), s.secrets))
            elif isinstance(s, tuple):
                out.append((t.format(*s), list(s)))
            else:
                out.append((t.format(s), [s]))
        return out
    return make


def aws_id():
    return random.choice(["AKIA", "ASIA"]) + r(U + "234567", 16)


def aws_secret():
    return mixed(B64, 40)


def pem(kind="RSA PRIVATE KEY", lines=12, escaped=False):
    body = "\n".join(r(B64, 64) for _ in range(lines)) + "\n" + r(B64, 24) + "=="
    block = f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----"
    if escaped:
        block = block.replace("\n", "\\n")
    return block, body.split("\n")[1]


def gcp_service_account():
    key, line = pem("PRIVATE KEY")
    doc = {"type": "service_account", "project_id": "acme-prod-4821", "private_key_id": r(HEX, 40),
           "private_key": key + "\n", "client_email": "ingest@acme-prod-4821.iam.gserviceaccount.com",
           "client_id": r(D, 21), "token_uri": "https://oauth2.googleapis.com/token"}
    return Fill((json.dumps(doc),), [line])


def discord_token():
    snowflake = str(random.randint(10**17, 10**19 - 1))
    return b64url(snowflake.encode()) + "." + r(URLSAFE, 6) + "." + r(URLSAFE, 38)


def jwt():
    header = b64url(json.dumps({"alg": random.choice(["HS256", "RS256"]), "typ": "JWT"}).encode())
    payload = b64url(json.dumps({"sub": r(D, 8), "name": "Jane Roe", "iat": random.randint(1.6e9, 1.8e9)}).encode())
    return f"{header}.{payload}.{r(URLSAFE, 43)}"


def basic_pair():
    user = random.choice(["admin", "deploy", "svc-ingest", "bob"])
    pw = password()
    return base64.b64encode(f"{user}:{pw}".encode()).decode()


def slack_webhook():
    path = "T" + r(U + D, 8) + "/B" + r(U + D, 10) + "/" + mixed(AN, 24)
    return Fill(("https://hooks.slack.com/services/" + path,), [path])


def discord_webhook():
    token = mixed(URLSAFE, 68)
    return Fill((r(D, 18), token), [token])


def openai_key():
    k = random.randrange(3)
    if k == 0:
        return "sk-proj-" + mixed(URLSAFE, 74) + "T3BlbkFJ" + mixed(URLSAFE, 74)
    if k == 1:
        return "sk-" + mixed(AN, 20) + "T3BlbkFJ" + mixed(AN, 20)
    return "sk-" + mixed(AN, 48)


CREDENTIALS = [
    ("aws_access_key", family([
        "aws_access_key_id = {}", "Using credentials {} for s3://acme-backups upload",
        '{{"AccessKeyId": "{}", "Expiration": "2025-01-01T00:00:00Z"}}', "AWS_ACCESS_KEY_ID={} terraform apply",
    ], aws_id, 10)),
    ("aws_secret_key", family([
        "aws_secret_access_key = {}", "export AWS_SECRET_ACCESS_KEY={}", '{{"SecretAccessKey": "{}"}}',
        "aws_secret_key: {}",
    ], aws_secret, 8)),
    ("aws_key_pair", family(["creds {} / {} loaded from ~/.aws", "key={} secret {}"], lambda: (aws_id(), aws_secret()), 4)),
    ("gcp_api_key", family([
        "GET https://maps.googleapis.com/maps/api/geocode/json?address=Main+St&key={}", "GOOGLE_API_KEY={}",
        "firebase config apiKey: '{}'",
    ], lambda: "AIza" + mixed(URLSAFE, 35), 9)),
    ("gcp_service_account_key", family(["{}", "loaded credentials file: {}"], gcp_service_account, 6)),
    ("private_key", family([
        "{}", "ssh key dump:\n{}\nend", "deploy_key: |\n{}",
    ], lambda: pem(random.choice(["RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY"]))[0], 9)),
    ("private_key_escaped", family(['{{"key": "{}"}}'], lambda: pem(escaped=True)[0], 3)),
    ("private_key_truncated", family(["config contained {}"], lambda: pem()[0][:400], 3)),
    ("azure_storage_key", family([
        "DefaultEndpointsProtocol=https;AccountName=acmelogs;AccountKey={};EndpointSuffix=core.windows.net",
        "AZURE_STORAGE_KEY={}", '{{"storageKey": "{}"}}',
    ], lambda: mixed(B64, 86) + "==", 9)),
    ("azure_connection_string", family([
        "Endpoint=sb://acme-bus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={}",
        "https://acmelogs.blob.core.windows.net/exports/day.csv?sv=2022-11-02&ss=b&srt=o&sp=r&se=2025-01-01T00%3A00%3A00Z&sig={}",
    ], lambda: mixed(B64, 43) + "=", 6)),
    ("github_token", family([
        "git clone https://{}@github.com/acme/infra.git", "GITHUB_TOKEN={}", "Authorization: token {}",
        "using PAT {} for release", '{{"token": "{}"}}',
    ], lambda: random.choice(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]) + mixed(AN, 36), 10)),
    ("github_fine_grained_token", family(["GH_TOKEN={}", "token {} expires in 30 days"],
                                         lambda: "github_pat_" + mixed(AN, 22) + "_" + mixed(AN, 59), 6)),
    ("gitlab_token", family(["glab auth login --token {}", "CI_JOB_TOKEN fallback {}", "PRIVATE-TOKEN: {}"],
                            lambda: "glpat-" + mixed(URLSAFE, 20), 6)),
    ("slack_token", family(["SLACK_BOT_TOKEN={}", "posting with {} to #alerts", "client = WebClient(token='{}')"],
                           lambda: random.choice([
                               "xoxb-" + r(D, 11) + "-" + r(D, 13) + "-" + mixed(AN, 24),
                               "xoxp-" + r(D, 11) + "-" + r(D, 11) + "-" + r(D, 12) + "-" + r(HEX, 32)]), 9)),
    ("slack_webhook", family(["POST {} failed: 404", "webhook_url: {}"],
                             slack_webhook, 6)),
    ("discord_bot_token", family(["DISCORD_TOKEN={}", "client.run('{}')", "Authorization: Bot {}", "bot started with {}"],
                                 discord_token, 8)),
    ("discord_webhook", family(["notify via https://discord.com/api/webhooks/{}/{}"],
                               discord_webhook, 4)),
    ("telegram_bot_token", family(["https://api.telegram.org/bot{}/sendMessage", "TELEGRAM_BOT_TOKEN={}", "bot token {} rejected"],
                                  lambda: str(random.randint(10**8, 10**10 - 1)) + ":AA" + mixed(URLSAFE, 33), 6)),
    ("stripe_key", family(["stripe.api_key = \"{}\"", "STRIPE_SECRET_KEY={}", "charge failed for key {}"],
                          lambda: random.choice(["sk_live_", "rk_live_"]) + mixed(AN, random.choice([24, 99])), 9)),
    ("openai_key", family(["OPENAI_API_KEY={}", "client = OpenAI(api_key=\"{}\")", "401 Incorrect API key provided: {}",
                           "using key {} for embeddings"], openai_key, 12)),
    ("anthropic_key", family(["ANTHROPIC_API_KEY={}", "x-api-key: {}", "Anthropic(api_key='{}')"],
                             lambda: "sk-ant-api03-" + mixed(URLSAFE, 93) + "AA", 6)),
    ("huggingface_token", family(["HF_TOKEN={}", "huggingface-cli login --token {}", "hub token {} used"],
                                 lambda: "hf_" + r(U + L, 34), 6)),
    ("groq_key", family(["GROQ_API_KEY={}", "groq key {}"], lambda: "gsk_" + mixed(AN, 52), 4)),
    ("replicate_token", family(["REPLICATE_API_TOKEN={}", "token {}"], lambda: "r8_" + mixed(AN, 37), 4)),
    ("perplexity_key", family(["PPLX_API_KEY={}", "key {}"], lambda: "pplx-" + mixed(AN, 48), 4)),
    ("xai_key", family(["XAI_API_KEY={}", "grok key {}"], lambda: "xai-" + mixed(AN, 80), 4)),
    ("npm_token", family(["//registry.npmjs.org/:_authToken={}", "NPM_TOKEN={}", "npm publish with {}"],
                         lambda: "npm_" + mixed(AN, 36), 6)),
    ("pypi_token", family(["twine upload -u __token__ -p {}", "password = {}", "PYPI_TOKEN={}"],
                          lambda: "pypi-AgEIcHlwaS5vcmc" + mixed(URLSAFE, 70), 6)),
    ("sendgrid_key", family(["SENDGRID_API_KEY={}", "sg = SendGridAPIClient('{}')"],
                            lambda: "SG." + mixed(URLSAFE, 22) + "." + mixed(URLSAFE, 43), 6)),
    ("twilio_key", family(["TWILIO_ACCOUNT_SID={}", "twilio api key {}", "Client('{}', token)"],
                          lambda: random.choice(["SK", "AC"]) + r(HEX, 32), 6)),
    ("datadog_key", family(["DD_API_KEY={}", "datadog_app_key: {}", "DD-API-KEY: {}"],
                           lambda: r(HEX, random.choice([32, 40])), 6)),
    ("newrelic_key", family(["NEW_RELIC_API_KEY={}", "newrelic key {}"],
                            lambda: random.choice(["NRAK-" + r(U + D, 27), r(HEX, 36) + "NRAL"]), 6)),
    ("jwt", family(["Authorization: Bearer {}", "id_token={}&state=xyz", "decoded jwt {} for user", '{{"jwt": "{}"}}'], jwt, 8)),
    ("google_oauth", family(["client_secret: {}", "GOOGLE_CLIENT_SECRET={}", "refresh with {}"],
                            lambda: random.choice(["GOCSPX-" + mixed(URLSAFE, 28), "ya29." + mixed(URLSAFE, 120)]), 6)),
    ("misc_saas_token", family(["token {}", "X_TOKEN={}", "loaded {} from vault"], lambda: random.choice([
        "shpat_" + r(HEX, 32), "dop_v1_" + r(HEX, 64), "hvs." + mixed(URLSAFE, 90),
        "PMAK-" + r(HEX, 24) + "-" + r(HEX, 34), "lin_api_" + mixed(AN, 40),
        "ATATT3xFfGF0" + mixed(URLSAFE, 180), "whsec_" + mixed(AN, 32)]), 14)),
    # Found by context.
    ("password_assignment", family([
        '{{"username": "svc-ingest", "password": "{}"}}', "password: {}", "DB_PASSWORD={}", 'password = "{}"',
        "POST /login?user=bob&password={}&next=%2Fhome", "client_secret={}", "api_key: {}",
        "<password>{}</password>", "Server=db01;User Id=sa;Password={};Encrypt=true", "export MYSQL_ROOT_PASSWORD='{}'",
        "x-api-key: {}", "redis_pass" "word={}", '{{\\"password\\": \\"{}\\"}}', "SECRET_KEY = '{}'",
        "spring.datasource.password={}", "token: {}", '{{"passwd":"{}"}}', "PGPASSWORD={} psql -h db01 -U app",
        "machine api.acme.io login bob password {}", 'password: "{}"', "access_token={}&token_type=bearer",
    ], password, 30)),
    ("cli_secret_flag", family([
        "mysql -u root --password={} -h db01", "docker login -u bob --password {} registry.acme.io",
        "app serve --api-key {} --port 8080", "vault write auth/userpass --secret {}", "curl -u admin:{} https://ci.acme.io/api",
        "tool --token={} --verbose", "mysql -uroot -p{} orders", "sshpass -p {} ssh deploy@10.0.0.8",
    ], password, 16)),
    ("url_credentials", family([
        "postgres://app:{}@db.internal:5432/orders", "redis://:{}@cache-01:6379/0",
        "mongodb+srv://admin:{}@cluster0.ab1cd.mongodb.net/test?retryWrites=true", "amqp://worker:{}@mq:5672/",
        "https://deploy:{}@git.acme.io/infra.git", "connecting to mysql://root:{}@10.0.0.5/app",
    ], lambda: mixed(AN + "!*-_~#@", random.randint(10, 18)), 12)),
    ("authorization_header", family([
        "Authorization: Bearer {}", '{{"authorization": "Bearer {}"}}', "Proxy-Authorization: Bearer {}",
        "authorization=Token {}",
    ], lambda: mixed(URLSAFE + ".", 40), 8)),
    ("basic_auth", family(["Authorization: Basic {}", "sent header Basic {} upstream", "basic {}"], basic_pair, 6)),
    ("bearer_token", family(["retrying with Bearer {}", "bearer {} rejected by upstream"], lambda: mixed(AN, 32), 6)),
    ("cookie", family(["Cookie: sessionid={}; csrftoken=" + "{}", "Set-Cookie: sid={}; Path=/; HttpOnly; x={}"],
                      lambda: (r(HEX, 32), mixed(AN, 32)), 6)),
    ("password_prose", family(["my password is {}", "the wifi passphrase is {} by the way", "Password was {}."],
                              lambda: random.choice(WORDS).lower() + r(D, 3), 6)),
]
