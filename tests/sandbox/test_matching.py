"""The sandbox's own name matching: what the real Last.fm and MusicBrainz forgive, and what they do not."""

from sandbox.matching import LastfmIndex, lastfm_name, parse_query, phrase_fit, search_score, words


def test_lastfm_compares_names_without_case_or_extra_spaces_and_nothing_else():
    assert lastfm_name("  The   Beatles ") == lastfm_name("the beatles") == "the beatles"
    assert lastfm_name("Beyoncé") != lastfm_name("Beyonce")  # accents are part of the name
    assert lastfm_name("Come Together - Remastered 2009") != lastfm_name("Come Together")


def test_lastfm_autocorrect_uses_the_listed_corrections_only():
    index = LastfmIndex()
    index.add(("The Beatles", "Come Together"), "entry", [("The Beatles", "Come Together - Remastered 2009")])
    assert index.find(("THE BEATLES", "come together"), autocorrect=False) == "entry"
    assert index.find(("the beatles", "Come Together - REMASTERED 2009"), autocorrect=True) == "entry"
    assert index.find(("the beatles", "Come Together - Remastered 2009"), autocorrect=False) is None
    assert index.find(("The Beatles", "Come Together (feat. Nobody)"), autocorrect=True) is None


def test_musicbrainz_words_fold_case_and_accents_and_split_at_punctuation():
    assert words("Señorita (Home Mix)") == ["senorita", "home", "mix"]
    assert words("AC/DC") == ["ac", "dc"] and words("Sigrún Müller") == ["sigrun", "muller"]
    assert words(None) == [] and words("") == []


def test_a_phrase_matches_adjacent_words_in_order_and_scores_by_its_share_of_the_field():
    assert phrase_fit(("come", "together"), ["come", "together"]) == 1
    assert phrase_fit(("come", "together"), ["come", "together", "live"]) == 2 / 3
    assert phrase_fit(("together", "come"), ["come", "together"]) == 0
    assert phrase_fit(("come", "together", "remastered", "2009"), ["come", "together"]) == 0


def recording(title: str, artist: str, isrc: str = ""):
    fields = {None: [words(title)], "recording": [words(title)], "artist": [words(artist)], "isrc": [words(isrc)]}
    return lambda name: fields.get(name, [])


def test_musicbrainz_search_needs_every_and_clause_and_ignores_case_and_accents():
    song = recording("Señorita", "José Müller", "USUM71900764")
    assert search_score('recording:"senorita" AND artist:"jose muller"', song) == 100
    assert search_score('recording:"SEÑORITA" AND artist:"Someone Else"', song) == 0
    assert search_score('recording:"Señorita (feat. Pablo)" AND artist:"José Müller"', song) == 0
    assert search_score("isrc:usum71900764", song) == 100
    assert search_score('recording:"Señorita" OR artist:"Someone Else"', song) == 50


def test_musicbrainz_search_ranks_a_longer_title_below_an_exact_one():
    exact, longer = recording("Come Together", "The Beatles"), recording("Come Together (Live)", "The Beatles")
    query = 'recording:"Come Together" AND artist:"The Beatles"'
    assert search_score(query, exact) == 100 > search_score(query, longer) > 0


def test_query_parsing_handles_escapes_groups_and_default_or():
    group = parse_query(r'recording:"a \"quoted\" title" AND (artist:x OR artistname:"y z")')
    assert group.operator == "OR" and group.parts[0].operator == "AND"
    title, artists = group.parts[0].parts
    assert (title.field, title.words, title.raw) == ("recording", ("a", "quoted", "title"), 'a "quoted" title')
    assert artists.operator == "OR" and [c.field for c in artists.parts] == ["artist", "artistname"]
    assert [c.words for c in parse_query("come together").parts] == [("come",), ("together",)]
