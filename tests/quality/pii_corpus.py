"""Hand-written operational texts with the PII each contains, labelled by hand (not by any recognizer).

Each entry is ``(text, [(substring, entity type), ...])``; a substring stands for its first occurrence.
Test values are the public test values of their issuers (Luhn-valid test cards, checksum-valid example
IBANs, NHS and TFN numbers, AWS's documented example key id, jwt.io's example token) or made up.
"""

from __future__ import annotations

CORPUS: list[tuple[str, list[tuple[str, str]]]] = [
    # people and how to reach them
    ("Paged Jane Doe (+1 415 555 0132) about elevated 5xx on billing-api after dep-000731.", [("Jane Doe", "PERSON"), ("+1 415 555 0132", "PHONE_NUMBER")]),
    ("Acknowledged by Michael Thompson, on call for Team Falcon.", [("Michael Thompson", "PERSON")]),
    ("Sarah Connor rotated the credentials and closed the incident.", [("Sarah Connor", "PERSON")]),
    ("Postmortem owner: Robert Miller (robert.miller@acme.com).", [("Robert Miller", "PERSON"), ("robert.miller@acme.com", "EMAIL_ADDRESS")]),
    ("Reassigned to Priya Patel <priya.patel@globex.example>, secondary on call.", [("Priya Patel", "PERSON"), ("priya.patel@globex.example", "EMAIL_ADDRESS")]),
    ("Customer contact at Initech: Peter Gibbons, +44 20 7946 0958.", [("Peter Gibbons", "PERSON"), ("+44 20 7946 0958", "PHONE_NUMBER")]),
    ("Escalated to David Kim after no answer from Maria Garcia within 15 minutes.", [("David Kim", "PERSON"), ("Maria Garcia", "PERSON")]),
    ("Thanks Thomas Anderson for pairing; cc neo@zion.io", [("Thomas Anderson", "PERSON"), ("neo@zion.io", "EMAIL_ADDRESS")]),
    ("Reported by Emily Clark of Hooli via support: export stuck since Monday.", [("Emily Clark", "PERSON")]),
    ("Call Hans Mueller on +49 30 901820 if the Frankfurt cluster pages again.", [("Hans Mueller", "PERSON"), ("+49 30 901820", "PHONE_NUMBER"), ("Frankfurt", "LOCATION")]),
    ("Sydney office: reach Olivia Brown at +61 2 9374 4000 or olivia.brown@wayne.com.au.", [("Sydney", "LOCATION"), ("Olivia Brown", "PERSON"), ("+61 2 9374 4000", "PHONE_NUMBER"), ("olivia.brown@wayne.com.au", "EMAIL_ADDRESS")]),
    ("Dublin support desk: +353 1 234 5678, ask for Sean Murphy.", [("Dublin", "LOCATION"), ("+353 1 234 5678", "PHONE_NUMBER"), ("Sean Murphy", "PERSON")]),
    ("Billing question from Karen White, (212) 555-0187, about invoice INV-2024-0042.", [("Karen White", "PERSON"), ("(212) 555-0187", "PHONE_NUMBER")]),
    ("Paris on-call: +33 1 42 68 53 00.", [("Paris", "LOCATION"), ("+33 1 42 68 53 00", "PHONE_NUMBER")]),
    ("Send the access review to security-team+reviews@opsline.internal and to James Wilson.", [("security-team+reviews@opsline.internal", "EMAIL_ADDRESS"), ("James Wilson", "PERSON")]),
    ("The customer moved their workloads from London to Toronto last quarter.", [("London", "LOCATION"), ("Toronto", "LOCATION")]),
    ("Latency from Tokyo and Singapore clients doubled after the CDN change.", [("Tokyo", "LOCATION"), ("Singapore", "LOCATION")]),
    ("Wei Zhang and Ngozi Okafor joined the incident bridge at 02:10 UTC.", [("Wei Zhang", "PERSON"), ("Ngozi Okafor", "PERSON")]),
    ("Ask Priya about the quota change before Friday.", [("Priya", "PERSON")]),
    ("Hiroshi Tanaka's laptop was reported stolen in Osaka.", [("Hiroshi Tanaka", "PERSON"), ("Osaka", "LOCATION")]),
    ("Incident commander: Aisha Haddad; scribe: Lars Jensen.", [("Aisha Haddad", "PERSON"), ("Lars Jensen", "PERSON")]),
    ("Customer escalation from Dmitri Volkov (Globex, Berlin) about missing invoices.", [("Dmitri Volkov", "PERSON"), ("Berlin", "LOCATION")]),
    ("cc Fatima Zahra and Mateo Silva on the postmortem.", [("Fatima Zahra", "PERSON"), ("Mateo Silva", "PERSON")]),
    ("The audit was signed off by Ingrid Johansson in Stockholm.", [("Ingrid Johansson", "PERSON"), ("Stockholm", "LOCATION")]),
    ("Zofia Kowalski reported the outage from Warsaw, Poland.", [("Zofia Kowalski", "PERSON"), ("Warsaw", "LOCATION"), ("Poland", "LOCATION")]),
    ("Kwame Mensah, Ama Owusu and Chidi Eze reviewed the runbook.", [("Kwame Mensah", "PERSON"), ("Ama Owusu", "PERSON"), ("Chidi Eze", "PERSON")]),
    ("The outage affected customers in Texas and Ontario.", [("Texas", "LOCATION"), ("Ontario", "LOCATION")]),
    ("Meet Yuki Sato at the Munich office on Tuesday.", [("Yuki Sato", "PERSON"), ("Munich", "LOCATION")]),
    ("Rollback approved by jose.ramirez@tyrell.io and Giulia Rossi.", [("jose.ramirez@tyrell.io", "EMAIL_ADDRESS"), ("Giulia Rossi", "PERSON")]),
    # addresses on the network
    ("Failed login for a.nguyen@stark.example from 192.0.2.44 (5 attempts).", [("a.nguyen@stark.example", "EMAIL_ADDRESS"), ("192.0.2.44", "IP_ADDRESS")]),
    ("User u-1042 logged in from 10.12.0.7.", [("10.12.0.7", "IP_ADDRESS")]),
    ("upstream 172.16.4.20:6379 timed out after 1650 ms on search", [("172.16.4.20", "IP_ADDRESS")]),
    ("Password reset requested from 2001:db8:85a3::8a2e:370:7334 for lwalker@umbrella.example.", [("2001:db8:85a3::8a2e:370:7334", "IP_ADDRESS"), ("lwalker@umbrella.example", "EMAIL_ADDRESS")]),
    ("Blocked fe80::1ff:fe23:4567:890a and 198.51.100.23 at the edge firewall.", [("fe80::1ff:fe23:4567:890a", "IP_ADDRESS"), ("198.51.100.23", "IP_ADDRESS")]),
    # payment and national ids
    ("Refund to card 4111 1111 1111 1111 approved for Linda Johnson.", [("4111 1111 1111 1111", "CREDIT_CARD"), ("Linda Johnson", "PERSON")]),
    ("Card 5555-5555-5555-4444 was declined twice, then 378282246310005 went through.", [("5555-5555-5555-4444", "CREDIT_CARD"), ("378282246310005", "CREDIT_CARD")]),
    ("Chargeback on 6011111111111117 flagged by the payments service.", [("6011111111111117", "CREDIT_CARD")]),
    ("Payout IBAN DE89 3704 0044 0532 0130 00 updated for Wonka Foods.", [("DE89 3704 0044 0532 0130 00", "IBAN_CODE")]),
    ("Supplier bank account GB29 NWBK 6016 1331 9268 19 verified by finance.", [("GB29 NWBK 6016 1331 9268 19", "IBAN_CODE")]),
    ("Wire to NL91ABNA0417164300 and FR1420041010050500013M02606 queued.", [("NL91ABNA0417164300", "IBAN_CODE"), ("FR1420041010050500013M02606", "IBAN_CODE")]),
    ("Payroll export: SSN 536-22-8410 belongs to the new hire.", [("536-22-8410", "US_SSN")]),
    ("The W-9 form lists social security number 401-23-7788.", [("401-23-7788", "US_SSN")]),
    ("Contractor taxpayer ITIN 912-78-1234 added to the vendor record.", [("912-78-1234", "US_ITIN")]),
    ("NHS number 943 476 5919 appeared in a support attachment.", [("943 476 5919", "UK_NHS")]),
    ("National insurance number JG 10 37 82 A was pasted into the ticket.", [("JG 10 37 82 A", "UK_NINO")]),
    ("Tax file number 123 456 782 must not be stored in plain text.", [("123 456 782", "AU_TFN")]),
    # secrets
    ("Rotated AKIAIOSFODNN7EXAMPLE after it showed up in the build log.", [("AKIAIOSFODNN7EXAMPLE", "API_KEY")]),
    ("Revoked leaked key sk_live_4eC39HqLyjWDarjtT1zdp7dc committed in PR #4411.", [("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "API_KEY")]),
    ("Token ghp_Fq8ZrX2cV9bN4mK7pL1sT6wY3hJ0dA5eG8uI pasted in #deploys.", [("ghp_Fq8ZrX2cV9bN4mK7pL1sT6wY3hJ0dA5eG8uI", "API_KEY")]),
    ("Slack bot xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy was disabled.", [("xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy", "API_KEY")]),
    ("Maps key AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe restricted to the web app.", [("AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe", "API_KEY")]),
    ("curl -H 'x-api-key: 9f8e7d6c5b4a39281706' https://api.opsline.example/v1/usage", [("9f8e7d6c5b4a39281706", "API_KEY")]),
    ("Set password=Tr0ub4dor3xyz in the staging env by mistake.", [("Tr0ub4dor3xyz", "API_KEY")]),
    ("WARN auth: rejected Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543 from 203.0.113.9", [("8f14e45fceea167a5a36dedd4bea2543", "BEARER_TOKEN"), ("203.0.113.9", "IP_ADDRESS")]),
    ("Redact JWT eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c from debug logs", [("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", "BEARER_TOKEN")]),
    # employees and handles
    ("HR termination processed for EMP-104233; account u-2210 disabled.", [("EMP-104233", "EMPLOYEE_ID")]),
    ("Access for contractor EMP-558120 (Lukas Weber) expires on Friday.", [("EMP-558120", "EMPLOYEE_ID"), ("Lukas Weber", "PERSON")]),
    ("Lost employee badge E204871 was deactivated at reception.", [("E204871", "EMPLOYEE_ID")]),
    ("Follow-up from review by @jdoe and @maria.garcia.", [("@jdoe", "USER_HANDLE"), ("@maria.garcia", "USER_HANDLE")]),
    ("@oncall-bot could not reach @kwame.mensah, paging the secondary.", [("@kwame.mensah", "USER_HANDLE"), ("@oncall-bot", "USER_HANDLE")]),
]  # fmt: skip

# Operational texts without PII: masking must leave them as they are.
CLEAN = [
    "Rolled back dep-000731; error rate back to baseline.",
    "Bump requests from 1.31.0 to 1.32.3",
    "Fix flaky test in invoice export",
    "Datadog monitor: p99 latency of billing-api above 800 ms in eu-west-1.",
    "Setting session.timeout_minutes changed from 60 to 30 by u-1042.",
    "Nightly compaction of the usage table finished in 42 minutes.",
    "Deploy of search to production paused: canary error ratio 2.4%.",
    "Quota warnings sent for 17 tenants; 3 are above 95% of plan.",
]


def labelled() -> list[tuple[str, list[tuple[int, int, str]]]]:
    """The corpus with character spans ``(start, end, type)`` for the labels."""
    out = []
    for text, labels in CORPUS:
        spans = []
        for value, kind in labels:
            start = text.index(value)
            spans.append((start, start + len(value), kind))
        out.append((text, spans))
    return out
