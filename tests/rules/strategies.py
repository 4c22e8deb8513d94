"""Hypothesis strategies: random track rows and random child-playlist rule files."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from assets.playlists.rules.fields import FIELDS, OPERATORS, PLAY_WINDOWS_DAYS, TOP_RANGES, Kind

NOW = dt.datetime(2026, 11, 21, 12, 0)
PLAYLISTS = {"p1": "Gym", "p2": "Chill", "p3": "Run"}
EMPTY_PLAYLISTS = {"p4": "Empty"}  # the user has it, but no track of theirs is in it
USER_PLAYLISTS = {*PLAYLISTS, *PLAYLISTS.values(), *EMPTY_PLAYLISTS, *EMPTY_PLAYLISTS.values()}
# Plain and accented letters that Python and Polars lower-case alike.
WORDS = ["rock", "Rock", "indie rock", "Pop", "jazz", "Électro", "hip hop", "ß", "Dream-Pop", "a"]
TITLES = ["Song", "song", "Another Song", "Ünder Pressure", "Song (Remastered)", "Sóng", "x"]
ARTISTS = ["Alpha", "alpha", "Beta Band", "Gámma", "Delta feat. Echo"]
TIMES = [NOW - dt.timedelta(days=d, hours=h) for d in (0, 1, 6, 7, 8, 29, 30, 31, 200, 400, 4000) for h in (0, 5)]
DATES = [dt.date(y, m, 1) for y in (1969, 1990, 1999, 2000, 2015, 2026) for m in (1, 11)]


def warehouse_frame(rows: list[dict]):
    """The features frame as the warehouse gives it: local files have no catalog entry, so no name keys."""
    import polars as pl

    from assets.playlists.rules import features_frame

    local = pl.col("is_local").fill_null(False)
    return features_frame(rows).with_columns(title_key=pl.when(~local).then(pl.col("title_key")),
                                             artist_key=pl.when(~local).then(pl.col("artist_key")))


@st.composite
def track_rows(draw, max_size: int = 25) -> list[dict]:
    count = draw(st.integers(0, max_size))
    ids = draw(st.lists(st.integers(0, 10_000), min_size=count, max_size=count, unique=True))
    return [draw(_row(i)) for i in ids]


@st.composite
def unheld_rows(draw, max_size: int = 6) -> list[dict]:
    """Tracks the user does not have that their rules include, as track_features gives them: their catalog
    fields (fetched from Spotify), neither liked nor in any playlist, `in_library` false."""
    count = draw(st.integers(0, max_size))
    ids = draw(st.lists(st.integers(20_000, 30_000), min_size=count, max_size=count, unique=True))
    return [draw(_row(i, held=False)) for i in ids]


@st.composite
def _row(draw, ident: int, held: bool = True) -> dict:
    local = held and draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans())
    maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731
    release = draw(maybe(st.sampled_from(DATES)))
    playlists = draw(st.lists(st.sampled_from(sorted(PLAYLISTS)), unique=True, max_size=3)) if held else []
    liked = held and draw(st.booleans())
    return {
        "user_id": "u",
        "track_id": None if local else f"id{ident}",
        "track_uri": f"spotify:local:{ident}" if local else f"spotify:track:id{ident}",
        "title": draw(maybe(st.sampled_from(TITLES))),
        "artist": draw(maybe(st.sampled_from(ARTISTS))),
        "artists": draw(maybe(st.lists(st.sampled_from(ARTISTS), max_size=3))),
        "album": draw(maybe(st.sampled_from(TITLES))),
        "album_type": draw(maybe(st.sampled_from(["album", "single", "compilation"]))),
        "release_date": release,
        "release_year": release.year if release else None,
        "decade": release.year // 10 * 10 if release else None,
        "duration_ms": draw(maybe(st.sampled_from([61_000, 180_000, 210_000, 210_500, 400_000]))),
        "explicit": draw(maybe(st.booleans())),
        "track_number": draw(maybe(st.integers(1, 12))),
        "isrc": draw(maybe(st.sampled_from(["USAAA1", "GBBBB2", "FRCCC3"]))),
        "is_local": local,
        "liked": liked,
        "liked_at": draw(st.sampled_from(TIMES)) if liked else draw(maybe(st.sampled_from(TIMES))) if held else None,
        "added_at": draw(maybe(st.sampled_from(TIMES))) if held else None,
        "in_playlist": playlists,
        "playlist_names": [PLAYLISTS[p] for p in playlists],
        "genres": draw(maybe(st.lists(maybe(st.sampled_from(WORDS)), max_size=3))),
        "tags": draw(maybe(st.lists(st.sampled_from(WORDS), max_size=3))),
        "bpm": draw(maybe(st.sampled_from([90.0, 120.0, 160.0, 172.5, 180.0]))),
        "gain": draw(maybe(st.sampled_from([-12.5, -8.0, -3.2]))),
        "deezer_rank": draw(maybe(st.integers(0, 1_000_000))),
        "lastfm_listeners": draw(maybe(st.integers(0, 5_000))),
        "lastfm_playcount": draw(maybe(st.integers(0, 50_000))),
        "popularity": draw(maybe(st.integers(0, 100))),
        **draw(_listening(held)),
        "in_library": held,
    }


@st.composite
def _listening(draw, held: bool) -> dict:
    """Plays and top ranks as track_features gives them: counts never null, windows nested, a track never
    played has no last play and no skip rate; a track the user has not saved can still be a top track."""
    maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731
    counts = sorted(draw(st.lists(st.integers(0, 40), min_size=len(PLAY_WINDOWS_DAYS) + 1,
                                  max_size=len(PLAY_WINDOWS_DAYS) + 1)))
    played = counts[-1] > 0
    ranks = {f"top_rank_{r}": draw(maybe(st.integers(1, 60))) for r in TOP_RANGES}
    artist_ranks = {f"top_artist_rank_{r}": draw(maybe(st.integers(1, 60))) if held else None for r in TOP_RANGES}
    return {"play_count": counts[-1],
            **{f"plays_last_{days}d": count for days, count in zip(PLAY_WINDOWS_DAYS, counts)},
            "last_played_at": draw(st.sampled_from(TIMES)) if played else None,
            "skip_rate": draw(maybe(st.sampled_from([0.0, 0.25, 0.5, 1.0]))) if played else None,
            **ranks, **artist_ranks}


def _values(field: str, op: str):
    """A strategy of valid values for a field and operator."""
    kind = FIELDS[field].kind
    positive = {"is_not": "is", "not_contains": "contains", "not_in": "in", "not_in_the_last": "in_the_last",
                "not_in_playlist": "in_playlist"}.get(op, op)
    if kind in (Kind.TEXT, Kind.TEXT_LIST):
        word = st.sampled_from(WORDS + TITLES + ARTISTS + ["ock", "SONG", "USAAA1", "al"])
        if positive == "in":
            return st.lists(word, min_size=1, max_size=3)
        if positive == "matches":
            return st.sampled_from(["^so", "ng$", "r.ck", "^(alpha|beta)", "[0-9]", "e\\b", "É"])
        return word
    if kind == Kind.NUMBER:
        if field == "duration":
            one = st.sampled_from([60, 180, 210, "3:30", "3:31", "6:40", "3 min"])
            if positive == "between":
                return st.sampled_from([[60, 210], ["3:00", "3:31"], [200, 900]])
        elif field in ("release_year", "decade"):
            one = st.sampled_from([1969, 1990, 1999, 2000, 2015])
        elif field == "skip_rate":
            one = st.sampled_from([0, 0.25, 0.3, 0.5, 1])
        elif field == "play_count" or field.startswith(("plays_last_", "top_rank_", "top_artist_rank_")):
            one = st.integers(0, 45)
        else:
            one = st.one_of(st.integers(-20, 1_000_000), st.sampled_from([120, 160, 172.5, -8.0, 50]))
        if positive == "between":
            return st.tuples(one, one).map(lambda p: sorted(p))
        if positive == "in":
            return st.lists(one, min_size=1, max_size=3)
        return one
    if kind == Kind.BOOL:
        return st.booleans()
    if kind in (Kind.DATE, Kind.DATETIME):
        moment = st.sampled_from(DATES + [t.date() for t in TIMES] + TIMES[:4])
        if positive == "in_the_last":
            return st.sampled_from(["1d", "7 days", "2 weeks", "1 month", "6 months", "1y", "30d", "12 hours"])
        if positive == "between":
            return st.tuples(moment, moment).map(lambda p: sorted(p, key=_instant_key))
        return moment
    return st.one_of(st.sampled_from(sorted(PLAYLISTS) + list(PLAYLISTS.values())),
                     st.lists(st.sampled_from(["p1", "Chill", "Run"]), min_size=1, max_size=2))


def _instant_key(value):
    return value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())


@st.composite
def conditions(draw) -> dict:
    field = draw(st.sampled_from(sorted(FIELDS)))
    op = draw(st.sampled_from(OPERATORS[FIELDS[field].kind]))
    condition = {"field": field, "op": op}
    if op not in ("is_null", "is_not_null"):
        condition["value"] = draw(_values(field, op))
    if FIELDS[field].kind in (Kind.TEXT, Kind.TEXT_LIST) and draw(st.booleans()) and draw(st.booleans()):
        condition["case_sensitive"] = True
    return condition


filters = st.recursive(
    conditions(),
    lambda inner: st.one_of(st.fixed_dictionaries({"all": st.lists(inner, min_size=1, max_size=3)}),
                            st.fixed_dictionaries({"any": st.lists(inner, min_size=1, max_size=3)}),
                            st.fixed_dictionaries({"not": inner})),
    max_leaves=6,
)


def _sources(earlier: list[str]):
    leaf = st.one_of(st.sampled_from(["library", "liked"]),
                     st.sampled_from(["p1", "Gym", "Chill", "p3", "p4", "Empty", "Gone"]).map(lambda p: {"playlist": p}),
                     st.fixed_dictionaries({"top": st.sampled_from(["tracks", "artists"]),
                                            "range": st.sampled_from(TOP_RANGES)}),
                     *([st.sampled_from(earlier).map(lambda c: {"child": c})] if earlier else []))
    return st.one_of(leaf, st.fixed_dictionaries({"union": st.lists(leaf, min_size=1, max_size=3)}),
                     st.fixed_dictionaries({"intersection": st.lists(leaf, min_size=1, max_size=3)}),
                     st.fixed_dictionaries({"difference": st.lists(leaf, min_size=2, max_size=3)}))


sortable = sorted(f for f in FIELDS if FIELDS[f].sortable)
sorts = st.one_of(
    st.none(),
    st.lists(st.fixed_dictionaries({"field": st.sampled_from(sortable), "order": st.sampled_from(["asc", "desc"])}),
             min_size=1, max_size=3),
    st.fixed_dictionaries({"shuffle": st.sampled_from(["daily", "weekly"]), "seed": st.integers(0, 5)}),
)
limits = st.one_of(st.none(), st.fixed_dictionaries({"count": st.integers(1, 10)}),
                   st.fixed_dictionaries({"duration": st.sampled_from([300, "10:00", "1 h", 1000])}),
                   st.fixed_dictionaries({"count": st.integers(1, 10), "duration": st.sampled_from(["15 min"])}))
track_refs = st.lists(st.one_of(st.integers(0, 10_000).map(lambda i: f"id{i}"),
                                st.integers(0, 10_000).map(lambda i: f"spotify:local:{i}")), max_size=3)


@st.composite
def rule_files(draw, max_playlists: int = 4) -> dict:
    playlists: list[dict] = []
    for i in range(draw(st.integers(1, max_playlists))):
        playlist = {"name": f"c{i}", "source": draw(_sources([p["name"] for p in playlists]))}
        for key, strategy in (("filter", filters), ("sort", sorts), ("limit", limits),
                              ("dedupe", st.sampled_from(["track_id", "isrc", "title_artist"]))):
            value = draw(st.one_of(st.none(), strategy))
            if value is not None:
                playlist[key] = value
        for key in ("include", "exclude"):
            refs = draw(track_refs)
            if refs:
                playlist[key] = refs
        playlists.append(playlist)
    return {"users": {"u": playlists}}
