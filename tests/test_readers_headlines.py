"""Code words in headline fields are flags, never headlines; timestamps are never places."""

from __future__ import annotations

import pytest

from transforms.readers.wiretext.datelines import plausible_place
from transforms.readers.wiretext.headlines import (
    is_code_word,
    prose,
    real_headline,
    signal_of_flags,
)


@pytest.mark.parametrize("word", ["REFILE", "(Achtung)", "Achtung", "BC-US-ECON-JOBS",
                                  "NU/FLASH-U", "UPDATE 1", "DENMARK-WIND/JOBS"])
def test_code_words_are_not_headlines(word):
    assert is_code_word(word)
    assert real_headline(word) == (None, (word,))


@pytest.mark.parametrize("headline", ["U.S. employers add 180,000 jobs", "Fed holds rates",
                                      "COVID-19 cases fall", "Eilmeldung aus Berlin"])
def test_headlines_are_headlines(headline):
    assert not is_code_word(headline)
    assert real_headline(headline) == (headline, ())


def test_flag_prefix_is_stripped_and_signals_an_update():
    headline, flags = real_headline("REFILE", "REFILE-Danish wind maker to cut 900 jobs")
    assert headline == "Danish wind maker to cut 900 jobs"
    assert flags == ("REFILE", "REFILE")
    assert signal_of_flags(flags) == "update"
    assert signal_of_flags(real_headline("CORRECTED-Bank raises rates")[1]) == "correction"
    assert signal_of_flags(()) is None


def test_prose_sluglines_stand_in_but_coded_ones_do_not():
    assert prose("Brand in Rotterdamse haven onder controle") is not None
    assert prose("DENMARK-WIND/JOBS (REFILE)") is None
    assert prose("ECON-JOBS") is None


@pytest.mark.parametrize("stamp", ["2018-01-03 20:13:08 Gmt+00:00", "2018-01-03 20:13:08 GMT",
                                   "20:13 UTC", "2026-01-14T09:30:00Z"])
def test_timestamps_are_never_places(stamp):
    assert not plausible_place(stamp)


@pytest.mark.parametrize("place", ["Copenhagen", "Utrecht", "Estoril", "Gmunden"])
def test_places_with_zone_letters_stay_places(place):
    assert plausible_place(place)
