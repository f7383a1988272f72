"""The import-format registry is the one list of formats: every reader, message, licence,
citation and page choice comes from it, so a format added there is importable everywhere."""

from __future__ import annotations

import argparse

import pytest

from atlas_cli.commands import importing
from geodata.importers import FORMATS, LICENCES, REGISTRY, detect_format, read_source
from geodata.importers.common import DATASET_URLS
from geodata.importers.reading import FORMAT_LABELS


@pytest.mark.parametrize("code", FORMATS)
def test_every_format_has_a_normaliser_a_label_and_known_terms(code):
    fmt = REGISTRY[code]
    assert callable(fmt.normaliser())
    assert FORMAT_LABELS[code] == fmt.label and fmt.label
    if fmt.licence is not None:
        assert fmt.licence in LICENCES
    if fmt.citation is not None:
        assert fmt.citation[1] in DATASET_URLS


@pytest.mark.parametrize("code", [c for c in FORMATS if REGISTRY[c].signature])
def test_a_header_of_a_formats_signature_is_detected_as_that_format(code):
    assert detect_format(list(REGISTRY[code].signature)) == code


def test_an_unknown_format_is_refused_with_the_registrys_list():
    with pytest.raises(ValueError) as err:
        read_source(b"a,b\n1,2\n", "x.csv", fmt="nosuch")
    assert ", ".join(FORMATS) in str(err.value)


def test_the_cli_offers_exactly_the_registered_formats():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    importing.register(sub)
    choices = [
        a.choices for p in sub.choices.values() for a in p._actions if a.dest == "fmt" and a.choices
    ]
    assert choices and all(tuple(c) == FORMATS for c in choices)
