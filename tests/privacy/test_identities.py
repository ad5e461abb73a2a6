"""Known identities in free text: every form people write them in becomes the pseudonym of their column."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from privacy.engine import build_analyzer
from privacy.identities import Identities, identity_columns
from privacy.text import TextMasker, mask_naive

KEY = b"k" * 32
PEOPLE = [
    ("PERSON", "Jane Doe"),
    ("PERSON", "John Doe"),
    ("PERSON", "Zoë Ångström"),
    ("PERSON", "Mary Ann Smith"),
    ("PERSON", "Cher"),  # one word: not an identity on its own
    ("EMAIL_ADDRESS", "jane.doe@acme.example"),
    ("EMAIL_ADDRESS", "jd@acme.example"),  # local part too short for a handle
    ("USER_ID", "u-1042"),
]


def _p(value: str) -> str:
    """The pseudonym a structured column gets (HMAC-SHA256, 24 hex), computed here independently."""
    return hmac.new(KEY, value.encode(), hashlib.sha256).hexdigest()[:24]


@pytest.fixture(scope="module")
def analyzer():
    return build_analyzer()


@pytest.fixture(scope="module")
def known() -> Identities:
    return Identities(PEOPLE, KEY)


def _found(known: Identities, text: str) -> list[tuple[str, str]]:
    return [(text[s:e], label) for s, e, label in known.find(text)]


@pytest.mark.parametrize(
    "text, form",
    [
        ("requested by Jane Doe today", "Jane Doe"),
        ("requested by jane doe today", "jane doe"),
        ("requested by JANE DOE today", "JANE DOE"),
        ("requested by Doe, Jane today", "Doe, Jane"),
        ("requested by J. Ångström?", None),  # no such person
        ("requested by Z. Ångström.", "Z. Ångström"),
        ("(Mary Ann Smith)", "Mary Ann Smith"),
        ("Mary Smith approved", "Mary Smith"),
        ("ZOË ÅNGSTRÖM logged in", "ZOË ÅNGSTRÖM"),
    ],
)
def test_a_name_is_found_in_the_forms_people_write_it(known, text, form):
    found = _found(known, text)
    if form is None:
        assert found == []
    else:
        assert [f for f, _ in found] == [form]
        assert found[0][1].startswith("PERSON:")


def test_every_form_of_a_name_gets_the_pseudonym_of_the_name_column(known):
    texts = ["Jane Doe", "doe, jane", "J Doe"]
    labels = {label for t in texts for _, label in _found(known, t) if label != "PERSON"}
    assert labels == {f"PERSON:{_p('Jane Doe')}"}
    assert _found(known, "thanks @jane.doe!") == [("@jane.doe", f"USER_HANDLE:{_p('Jane Doe')}")]
    assert _found(known, "Mary Smith") == [("Mary Smith", f"PERSON:{_p('Mary Ann Smith')}")]


def test_a_form_two_people_share_is_masked_but_not_attributed(known):
    assert _found(known, "J. Doe rolled back") == [("J. Doe", "PERSON")]


def test_emails_accounts_and_handles(known):
    text = "copy to Jane.Doe@ACME.example, account u-1042; cc @jane.doe and jd@acme.example"
    assert _found(known, text) == [
        ("Jane.Doe@ACME.example", f"EMAIL_ADDRESS:{_p('jane.doe@acme.example')}"),
        ("u-1042", f"USER_ID:{_p('u-1042')}"),
        ("@jane.doe", f"USER_HANDLE:{_p('Jane Doe')}"),  # a name's handle: the person's pseudonym
        ("jd@acme.example", f"EMAIL_ADDRESS:{_p('jd@acme.example')}"),
    ]
    assert _found(known, "@jd is not a handle we know") == []
    email_only = Identities([("EMAIL_ADDRESS", "kofi@globex.example")], KEY)
    assert _found(email_only, "thanks @kofi") == [("@kofi", f"USER_HANDLE:{_p('kofi@globex.example')}")]


@pytest.mark.parametrize(
    "text",
    [
        "Jane Doesburg",  # longer word
        "u-10423",  # another account
        "xu-1042",
        "x.jane.doe@acme.example",  # another email
        "maryjane doe",
        "Cher signed in",  # a single word
        "jane.doe@acme.example.org",
    ],
)
def test_forms_only_match_whole_tokens(known, text):
    assert _found(known, text) == []


def test_offsets_survive_characters_whose_lower_case_is_longer(known):
    text = "İstanbul office: Jane Doe"  # "İ".lower() is two characters
    assert _found(known, text) == [("Jane Doe", f"PERSON:{_p('Jane Doe')}")]


def test_identity_columns_come_from_the_declarations():
    declared = {
        "*.actor_name": {"identity": "PERSON", "label": "restricted", "policy": "pseudonymize"},
        "audit.actor_email": {"identity": "EMAIL_ADDRESS", "label": "restricted", "policy": "pseudonymize"},
        "*.tenant_id": {"label": "internal", "policy": "keep"},
    }
    assert identity_columns(declared) == {"actor_name": "PERSON", "actor_email": "EMAIL_ADDRESS"}
    with pytest.raises(ValueError, match="identity must be one of"):
        identity_columns({"*.x": {"identity": "SHOE_SIZE"}})


TEXTS = [
    "retention.days: 30 -> 90 (requested by Jane Doe <jane.doe@acme.example>)",
    "Acknowledged by doe, jane from 203.0.113.24, on call for Team Falcon.",
    "Escalated to Priya Raman after no answer from J. Doe.",  # Priya is unknown: NER's job
]


@pytest.mark.parametrize("way", ["fast", "naive"])
def test_both_masking_paths_write_pseudonyms_and_leave_the_rest_to_presidio(analyzer, known, way):
    masked = (
        TextMasker(analyzer).mask(TEXTS, known)
        if way == "fast"
        else [m.text for m in mask_naive(TEXTS, analyzer, known)]
    )
    jane, email = _p("Jane Doe"), _p("jane.doe@acme.example")
    assert masked[0] == f"retention.days: 30 -> 90 (requested by <PERSON:{jane}> <<EMAIL_ADDRESS:{email}>>)"
    assert masked[1] == f"Acknowledged by <PERSON:{jane}> from <IP_ADDRESS>, on call for Team Falcon."
    assert masked[2] == "Escalated to <PERSON> after no answer from <PERSON>."


def test_the_cache_does_not_keep_one_run_identities_for_the_next(analyzer, known):
    masker = TextMasker(analyzer)
    text = "Rolled back by Kofi Mensah-Bonsu."
    newcomer = Identities([("PERSON", "Kofi Mensah-Bonsu")], KEY)
    assert masker.mask([text], known) != masker.mask([text], newcomer)
    assert masker.mask([text], newcomer) == [f"Rolled back by <PERSON:{_p('Kofi Mensah-Bonsu')}>."]
