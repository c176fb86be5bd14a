"""Fake personal data in real formats: Luhn-valid card numbers, mod-97-valid IBANs, valid
SSNs, phone numbers in international and national forms, e-mail addresses.
"""

import random

from secrets_fake import D, U, family, r


def luhn_complete(prefix, length):
    digits = prefix + r(D, length - len(prefix) - 1)
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return digits + str((10 - total % 10) % 10)


def card():
    brand = random.choice(["visa", "mc", "mc2", "amex", "disc", "jcb", "visa13"])
    prefix, length = {"visa": ("4", 16), "mc": (str(random.randint(51, 55)), 16),
                      "mc2": (str(random.randint(2221, 2720)), 16), "amex": (random.choice(["34", "37"]), 15),
                      "disc": (random.choice(["6011", "65"]), 16), "jcb": ("35" + r("2345678", 2), 16),
                      "visa13": ("4", 13)}[brand]
    n = luhn_complete(prefix, length)
    style = random.randrange(3)
    if style == 0 or length == 13:
        return n
    sep = " " if style == 1 else "-"
    groups = [4, 6, 5] if length == 15 else [4, 4, 4, 4]
    out, i = [], 0
    for g in groups:
        out.append(n[i:i + g])
        i += g
    return sep.join(out)


def ssn():
    area = random.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{random.randint(1, 99):02d}-{random.randint(1, 9999):04d}"


IBAN_SPECS = {"DE": "8n10n", "GB": "4a14n", "FR": "10n11c2n", "NL": "4a10n", "ES": "20n", "IT": "1a10n12c",
              "CH": "5n12c", "BE": "12n"}


def iban():
    country = random.choice(list(IBAN_SPECS))
    spec, bban, num = IBAN_SPECS[country], "", ""
    for ch in spec:
        if ch.isdigit():
            num += ch
            continue
        alphabet = {"n": D, "a": U, "c": U + D}[ch]
        bban += r(alphabet, int(num))
        num = ""
    rearranged = bban + country + "00"
    value = int("".join(str(int(c, 36)) for c in rearranged))
    check = 98 - value % 97
    compact = f"{country}{check:02d}{bban}"
    if random.random() < 0.5:
        return compact
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


PHONES = ["+44 20 7946 {}", "+1 (415) 555-{}", "+49 30 1234{}", "+33 1 42 68 {}", "+81 3-1234-{}",
          "+61 2 9876 {}", "+91987654{}", "(415) 555-{}", "212-555-{}", "020 7946 {}", "07700 90{}", "030 1234{}",
          "415 555 {}", "1-800-555-{}", "+1-415-555-{}", "+353 1 234 {}"]


def phone():
    t = random.choice(PHONES)
    return t.format(r(D, 4) if "{}" in t and not t.startswith("+33") else r(D, 2) + " " + r(D, 2))


PII = [
    ("email", family(["Sending receipt to {}", '{{"user": {{"email": "{}"}}}}', "From: Jane Roe <{}>",
                      "password reset requested by {}"],
                     lambda: random.choice(["alice.smith", "j.roe+billing", "bob_42", "m.mueller", "John.Doe"]) + "@"
                     + random.choice(["example.com", "acme-corp.io", "mail.example.org", "gmail.com", "Example.COM",
                                      "eu.corp.acme.co.uk"]), 14)),
    ("credit_card", family(["Card {} declined", "payment_method: {}", "charged card number {} for $42.00",
                            '{{"card": "{}"}}'], card, 16)),
    ("us_ssn", family(["SSN: {}", "applicant ssn {} verified", "social security number {} on file"], ssn, 9)),
    ("phone_number", family(["call me at {}", "phone: {}", "Contact {} for support", "tel {}"], phone, 24)),
    ("iban", family(["IBAN {}", "refund to {} requested", '{{"iban": "{}"}}'], iban, 12)),
]
