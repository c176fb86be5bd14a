//! Tokens with a known shape: source control, chat, payments, LLM providers, package
//! registries and SaaS. Most carry a vendor prefix, which is the prefilter anchor.

use super::shape::{ALNUM, ALNUM_DASH, ALNUM_US, ANY, Alt, Class, DIGIT, HEX, Part, WORD_DASH};
use super::{Check, Gate, Group::Credentials as C, RuleDef, Start, rule};
use crate::matchers::Matcher;

/// Token rules, most specific first.
pub const RULES: &[RuleDef] = &[
    rule(
        "github_token",
        C,
        Gate::Anchors(&["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]),
        r"\bgh[pousr]_[A-Za-z0-9]{36,251}\b",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
            parts: &[Part::Run(ALNUM, 36, 251)],
            end: true,
        },
    ]),
    rule(
        "github_fine_grained_token",
        C,
        Gate::Anchors(&["github_pat_"]),
        r"\bgithub_pat_[A-Za-z0-9_]{50,255}\b",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["github_pat_"],
            parts: &[Part::Run(ALNUM_US, 50, 255)],
            end: true,
        },
    ]),
    rule(
        "gitlab_token",
        C,
        Gate::Anchors(&[
            "glpat-", "gldt-", "glptt-", "glrt-", "glsoat-", "glcbt-", "glft-",
        ]),
        r"\bgl(?:pat|dt|ptt|rt|soat|cbt|ft)-[A-Za-z0-9_-]{20,}",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["glpat-", "gldt-", "glptt-", "glrt-", "glsoat-", "glcbt-", "glft-"],
            parts: &[Part::Run(WORD_DASH, 20, ANY)],
            end: false,
        },
    ]),
    rule(
        "slack_webhook",
        C,
        Gate::Anchors(&["hooks.slack.com"]),
        r"hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9/_+-]{20,})",
        Check::Token,
    )
    .matcher(Matcher::SlackWebhook),
    rule(
        "slack_token",
        C,
        Gate::Anchors(&["xox", "xapp-"]),
        r"\bxox[abposre]-[A-Za-z0-9-]{10,}|\bxapp-[0-9]-[A-Za-z0-9-]{10,}",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-", "xoxe-"],
            parts: &[Part::Run(ALNUM_DASH, 10, ANY)],
            end: false,
        },
        Alt {
            prefixes: &["xapp-"],
            parts: &[Part::Run(DIGIT, 1, 1), Part::Lit("-"), Part::Run(ALNUM_DASH, 10, ANY)],
            end: false,
        },
    ]),
    rule(
        "discord_webhook",
        C,
        Gate::Anchors(&["discord.com/api/webhooks/", "discordapp.com/api/webhooks/"]),
        r"discord(?:app)?\.com/api/webhooks/[0-9]+/([A-Za-z0-9_-]{60,70})",
        Check::Token,
    )
    .matcher(Matcher::DiscordWebhook),
    // Base64 of the bot's numeric id, a timestamp and an HMAC; no prefix, so it is gated on
    // a long dotted run and confirmed by decoding the id.
    rule(
        "discord_bot_token",
        C,
        Gate::DotRun(59),
        r"\b[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}\b",
        Check::Discord,
    )
    .needs(&["."])
    .shape(&[Alt {
        prefixes: &["M", "N", "O"],
        parts: &[
            Part::Run(WORD_DASH, 23, 27),
            Part::Lit("."),
            Part::Run(WORD_DASH, 6, 6),
            Part::Lit("."),
            Part::Run(WORD_DASH, 27, 40),
        ],
        end: true,
    }]),
    rule(
        "telegram_bot_token",
        C,
        // No leading boundary: the token follows `bot` directly in API URLs.
        Gate::Anchors(&[":AA"]),
        r"[0-9]{8,10}:AA[A-Za-z0-9_-]{33}\b",
        Check::Token,
    )
    .from(Start::Window { back: 10, fwd: 36 }),
    rule(
        "stripe_key",
        C,
        Gate::Anchors(&["sk_live_", "rk_live_", "sk_test_", "rk_test_", "whsec_"]),
        r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{20,247}\b|\bwhsec_[A-Za-z0-9+/=]{24,}",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
            parts: &[Part::Run(ALNUM, 20, 247)],
            end: true,
        },
        Alt {
            prefixes: &["whsec_"],
            parts: &[Part::Run(Class::of("A-Za-z0-9+/="), 24, ANY)],
            end: false,
        },
    ]),
    rule(
        "anthropic_key",
        C,
        Gate::Anchors(&["sk-ant-"]),
        r"\bsk-ant-[a-z]{2,8}[0-9]{0,3}-[A-Za-z0-9_-]{32,}",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["sk-ant-"],
            parts: &[Part::Run(Class::of("a-z"), 2, 8), Part::Run(DIGIT, 0, 3), Part::Lit("-"), Part::Run(WORD_DASH, 32, ANY)],
            end: false,
        },
    ]),
    // Project / service-account / admin keys, and the legacy shape with its fixed infix.
    rule(
        "openai_key",
        C,
        Gate::Anchors(&["sk-"]),
        r"\bsk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{40,}|\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}\b|\bsk-[A-Za-z0-9]{48}\b",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["sk-proj-", "sk-svcacct-", "sk-admin-", "sk-None-"],
            parts: &[Part::Run(WORD_DASH, 40, ANY)],
            end: false,
        },
        Alt {
            prefixes: &["sk-"],
            parts: &[Part::Run(ALNUM, 20, 20), Part::Lit("T3BlbkFJ"), Part::Run(ALNUM, 20, 20)],
            end: true,
        },
        Alt {
            prefixes: &["sk-"],
            parts: &[Part::Run(ALNUM, 48, 48)],
            end: true,
        },
    ]),
    rule(
        "huggingface_token",
        C,
        Gate::Anchors(&["hf_", "api_org_"]),
        r"\b(?:hf|api_org)_[A-Za-z0-9]{30,40}\b",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["hf_", "api_org_"],
            parts: &[Part::Run(ALNUM, 30, 40)],
            end: true,
        },
    ]),
    rule(
        "groq_key",
        C,
        Gate::Anchors(&["gsk_"]),
        r"\bgsk_[A-Za-z0-9]{48,56}\b",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["gsk_"],
            parts: &[Part::Run(ALNUM, 48, 56)],
            end: true,
        },
    ]),
    rule(
        "replicate_token",
        C,
        Gate::Anchors(&["r8_"]),
        r"\br8_[A-Za-z0-9]{37}\b",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["r8_"],
            parts: &[Part::Run(ALNUM, 37, 37)],
            end: true,
        },
    ]),
    rule(
        "perplexity_key",
        C,
        Gate::Anchors(&["pplx-"]),
        r"\bpplx-[A-Za-z0-9]{48}\b",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["pplx-"],
            parts: &[Part::Run(ALNUM, 48, 48)],
            end: true,
        },
    ]),
    rule(
        "xai_key",
        C,
        Gate::Anchors(&["xai-"]),
        r"\bxai-[A-Za-z0-9]{70,90}\b",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["xai-"],
            parts: &[Part::Run(ALNUM, 70, 90)],
            end: true,
        },
    ]),
    rule(
        "npm_token",
        C,
        Gate::Anchors(&["npm_"]),
        r"\bnpm_[A-Za-z0-9]{36}\b",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["npm_"],
            parts: &[Part::Run(ALNUM, 36, 36)],
            end: true,
        },
    ]),
    // PyPI tokens are macaroons: base64 that always starts with the same header bytes.
    rule(
        "pypi_token",
        C,
        Gate::Anchors(&["pypi-"]),
        r"\bpypi-Ag[A-Za-z0-9_-]{50,}",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["pypi-Ag"],
            parts: &[Part::Run(WORD_DASH, 50, ANY)],
            end: false,
        },
    ]),
    rule(
        "sendgrid_key",
        C,
        Gate::Anchors(&["SG."]),
        r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["SG."],
            parts: &[Part::Run(WORD_DASH, 22, 22), Part::Lit("."), Part::Run(WORD_DASH, 43, 43)],
            end: true,
        },
    ]),
    // API key SIDs and account SIDs: an upper-case prefix and 32 lower-case hex digits, so
    // upper-case hex digests do not match.
    rule(
        "twilio_key",
        C,
        Gate::Run(34),
        r"\b(?:SK|AC)[0-9a-f]{32}\b",
        Check::Token,
    )
    .needs(&["SK", "AC"])
    .shape(&[Alt {
        prefixes: &["SK", "AC"],
        parts: &[Part::Run(HEX, 32, 32)],
        end: true,
    }]),
    rule(
        "datadog_key",
        C,
        Gate::Anchors(&[
            "datadog", "dd_api", "dd-api", "dd_app", "dd-app", "ddapi", "ddapp",
        ]),
        r#"(?i)(?:datadog|dd)[_-]?(?:api|app|application)[_-]?key\\?["']?[ \t]*[:=][ \t]*\\?["']?([a-f0-9]{40}|[a-f0-9]{32})\b"#,
        Check::Token,
    )
    .matcher(Matcher::DatadogKey),
    rule(
        "newrelic_key",
        C,
        Gate::Anchors(&["NRAK-", "NRII-", "NRJS-", "NRAA-"]),
        r"\bNR(?:AK|II|JS|AA)-[A-Z0-9]{27}\b",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["NRAK-", "NRII-", "NRJS-", "NRAA-"],
            parts: &[Part::Run(Class::of("A-Z0-9"), 27, 27)],
            end: true,
        },
    ]),
    rule(
        "newrelic_key",
        C,
        Gate::Anchors(&["NRAL"]),
        r"\b[a-f0-9]{36}NRAL\b",
        Check::Token,
    )
    .from(Start::Window { back: 36, fwd: 4 }),
    rule(
        "shopify_token",
        C,
        Gate::Anchors(&["shpat_", "shpca_", "shppa_", "shpss_"]),
        r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["shpat_", "shpca_", "shppa_", "shpss_"],
            parts: &[Part::Run(Class::of("a-fA-F0-9"), 32, 32)],
            end: true,
        },
    ]),
    rule(
        "postman_key",
        C,
        Gate::Anchors(&["PMAK-"]),
        r"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["PMAK-"],
            parts: &[Part::Run(HEX, 24, 24), Part::Lit("-"), Part::Run(HEX, 34, 34)],
            end: true,
        },
    ]),
    rule(
        "linear_key",
        C,
        Gate::Anchors(&["lin_api_"]),
        r"\blin_api_[A-Za-z0-9]{40}\b",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["lin_api_"],
            parts: &[Part::Run(ALNUM, 40, 40)],
            end: true,
        },
    ]),
    rule(
        "atlassian_token",
        C,
        Gate::Anchors(&["ATATT3"]),
        r"\bATATT3[A-Za-z0-9_=-]{100,}",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["ATATT3"],
            parts: &[Part::Run(Class::of("A-Za-z0-9_=-"), 100, ANY)],
            end: false,
        },
    ]),
    // Header, payload and signature; the payload is a JSON object so starts `eyJ` too most
    // of the time, but not always (whitespace), and the signature is empty for `alg: none`.
    rule(
        "jwt",
        C,
        Gate::Anchors(&["eyJ"]),
        r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["eyJ"],
            parts: &[Part::Run(WORD_DASH, 10, ANY), Part::Lit("."), Part::Run(WORD_DASH, 10, ANY), Part::Lit("."), Part::Run(WORD_DASH, 0, ANY)],
            end: false,
        },
    ]),
];
