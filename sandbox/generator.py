"""A deterministic generator of realistic sandbox libraries (`mixtape sandbox generate --seed N`).

The same seed and sizes give the same library, byte for byte. Libraries carry what breaks naive
tools: local files, episodes, unavailable items, duplicates, `added_at: null`, unplayable tracks,
tracks without ISRC, compilations reusing ISRCs, and enrichment with gaps and oddities (Deezer
`bpm: 0` and half/double tempos, missing Last.fm and MusicBrainz entries). Last.fm entries list
the decorated names Spotify shows for a song ("X (feat. Y)", "X - Remastered 2011") as the
corrections Last.fm's autocorrect follows; MusicBrainz knows recordings by their plain titles only.
"""

from __future__ import annotations

import base64
import gc
import math
import random
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Iterator

from sandbox.library import Library
from sandbox.plays import listening

NOT_BASE62 = str.maketrans("+/", "Qz")
END = datetime(2026, 11, 1)  # the newest `added_at`; fixed so output does not depend on today
PLAY_DAYS = 28  # each user's plays in the library: the four weeks before END


@dataclass(frozen=True)
class Genre:
    name: str
    related: tuple[str, ...]
    tags: tuple[str, ...]
    bpm: tuple[int, int]
    years: tuple[int, int]
    explicit: float = 0.05
    seconds: tuple[int, int] = (180, 280)


GENRES = [
    Genre("classic rock", ("album rock", "hard rock"), ("classic rock", "rock", "guitar"), (100, 140), (1964, 1989)),
    Genre("soul", ("motown", "northern soul"), ("soul", "motown", "oldies"), (88, 120), (1960, 1979)),
    Genre("funk", ("p funk", "jazz funk"), ("funk", "groove", "dance"), (95, 115), (1967, 1984)),
    Genre("disco", ("post-disco", "italo disco"), ("disco", "dance", "70s"), (115, 130), (1974, 1986)),
    Genre("jazz", ("hard bop", "cool jazz"), ("jazz", "instrumental", "saxophone"), (80, 190), (1955, 1979), 0.0, (240, 540)),
    Genre("reggae", ("roots reggae", "dub"), ("reggae", "dub", "jamaica"), (66, 90), (1968, 1992)),
    Genre("punk", ("punk rock", "hardcore punk"), ("punk", "punk rock", "energetic"), (150, 190), (1976, 1998), 0.15, (100, 190)),
    Genre("new wave", ("post-punk", "synthpop"), ("new wave", "80s", "post-punk"), (110, 150), (1978, 1992)),
    Genre("metal", ("heavy metal", "thrash metal"), ("metal", "heavy metal", "headbanging"), (100, 180), (1980, 2024), 0.2),
    Genre("hip hop", ("east coast hip hop", "boom bap", "trap"), ("hip-hop", "rap", "hip hop"), (80, 100), (1986, 2026), 0.45),
    Genre("house", ("deep house", "chicago house"), ("house", "electronic", "dance"), (118, 128), (1987, 2026), 0.02, (300, 480)),
    Genre("techno", ("detroit techno", "minimal techno"), ("techno", "electronic", "minimal"), (125, 140), (1990, 2026), 0.0, (320, 520)),
    Genre("drum and bass", ("liquid funk", "jungle"), ("drum and bass", "dnb", "jungle"), (165, 178), (1993, 2026), 0.05, (240, 400)),
    Genre("indie rock", ("indie", "garage rock"), ("indie", "indie rock", "alternative"), (100, 160), (1994, 2026)),
    Genre("folk", ("indie folk", "singer-songwriter"), ("folk", "acoustic", "singer-songwriter"), (80, 120), (1962, 2026)),
    Genre("pop", ("dance pop", "electropop"), ("pop", "dance", "catchy"), (95, 130), (1982, 2026), 0.1),
    Genre("r&b", ("contemporary r&b", "neo soul"), ("rnb", "r&b", "soul"), (65, 105), (1990, 2026), 0.25),
    Genre("ambient", ("drone", "new age"), ("ambient", "chillout", "electronic"), (60, 95), (1978, 2026), 0.0, (300, 720)),
    Genre("country", ("outlaw country", "americana"), ("country", "americana", "roots"), (80, 130), (1960, 2026)),
    Genre("latin", ("reggaeton", "salsa"), ("latin", "reggaeton", "spanish"), (88, 110), (1970, 2026), 0.15),
    Genre("k-pop", ("k-pop girl group", "korean r&b"), ("k-pop", "korean", "pop"), (100, 130), (2008, 2026), 0.02),
]
MOOD_TAGS = ["chill", "upbeat", "melancholic", "sad", "happy", "party", "workout", "love", "summer", "driving",
             "seen live", "favorites", "female vocalists", "male vocalists", "british", "american", "beautiful", "mellow"]
FIRST = ["Anna", "Ben", "Carla", "David", "Eli", "Freya", "Gus", "Hana", "Ivan", "Jade", "Kofi", "Lena", "Marco",
         "Nina", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tove", "Uma", "Viktor", "Wren", "Xavi", "Yara", "Zoë",
         "Björn", "Sigrún", "José", "Chloé", "Dmitri", "Aoife", "Kenji", "Ngozi", "Mateo", "Léa"]
LAST = ["Adams", "Baker", "Castillo", "Dahl", "Evans", "Fischer", "García", "Holm", "Ibsen", "Jones", "Kowalski",
        "Lund", "Moreau", "Nakamura", "O'Brien", "Park", "Quist", "Rossi", "Silva", "Turner", "Ulrich", "Vega",
        "Walsh", "Young", "Zimmer", "Okafor", "Müller", "Sørensen", "Haddad", "Petrov"]
ADJECTIVES = ["Electric", "Velvet", "Silent", "Golden", "Broken", "Midnight", "Crimson", "Neon", "Hollow", "Wild",
              "Paper", "Blue", "Burning", "Frozen", "Lonely", "Secret", "Restless", "Gentle", "Savage", "Lucky",
              "Distant", "Crystal", "Rusty", "Hidden", "Sleepy", "Brave", "Strange", "Sweet", "Cosmic", "Quiet"]
NOUNS = ["Lights", "Rivers", "Wolves", "Machines", "Hearts", "Shadows", "Gardens", "Echoes", "Engines", "Saints",
         "Tigers", "Mirrors", "Horses", "Satellites", "Strangers", "Windows", "Ghosts", "Sparrows", "Oceans", "Kings",
         "Bridges", "Daydreams", "Fires", "Roads", "Signals", "Pilots", "Clouds", "Lanterns", "Waves", "Stones"]
WORDS = ["Love", "Night", "Fire", "Rain", "Dance", "Summer", "Heart", "City", "Dream", "Time", "Road", "Home",
         "Sky", "Light", "Gold", "Ocean", "Train", "Window", "Morning", "Money", "River", "Star", "Shadow", "Radio",
         "Paradise", "Thunder", "Honey", "Garden", "Satellite", "Mirror", "Highway", "Kiss", "Echo", "Fever"]
VERBS = ["Running", "Falling", "Waiting", "Dancing", "Dreaming", "Driving", "Calling", "Burning", "Holding", "Chasing"]
SUFFIXES = [" - Remastered 2011", " - Radio Edit", " - Live", " - 2009 Remaster", " (Mono Version)", " - Extended Mix"]
LABELS = ["Atlantic", "Island Records", "Parlophone", "Warp", "Sub Pop", "XL Recordings", "Motown", "Columbia",
          "Def Jam", "Blue Note", "Rough Trade", "Domino", "Ninja Tune", "4AD", "Matador", "Independent"]
ISRC_COUNTRIES = ["US", "GB", "DE", "SE", "FR", "JP", "NL", "CA", "KR", "JM"]
SHOWS = ["The Daily Crate", "Liner Notes", "Deep Cuts Radio", "Tempo Talk"]
LOCAL_NAMES = [("Demo take", "Me", "Tapes"), ("Rehearsal #2", "The Garage Band", "Basement & Co"),
               ("Voice memo 14", "Me", "Phone"), ("Bootleg: Live at Joe's", "Unknown Artist", "Bootlegs 1998"),
               ("Señorita (home mix)", "Cousin Pablo", "Family Tapes")]
USER_NAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]


class Generator:
    """One run of the generator; every random draw comes from one seeded RNG, in a fixed order."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.used_ids: set[str] = set()
        self.used_names: set[str] = set()
        self.artists: list[dict] = []
        self.albums: list[dict] = []
        self.tracks: list[dict] = []
        self.genre_of: dict[str, Genre] = {}  # artist id -> main genre
        self.tempo: dict[str, float] = {}  # track id -> the true tempo
        self.clean_title: dict[str, str] = {}
        self.released: dict[str, datetime] = {}  # album id -> first day it was out
        self.album_by_id: dict[str, dict] = {}

    # --- dice: random.Random's randint/choice cost several times random() itself --------------

    def below(self, n: int) -> int:
        return int(self.rng.random() * n)

    def between(self, low: int, high: int) -> int:
        return low + int(self.rng.random() * (high - low + 1))

    def pick(self, options):
        return options[int(self.rng.random() * len(options))]

    # --- names and ids ------------------------------------------------------------------------

    def new_id(self) -> str:
        while True:  # base64 of random bytes, its two non-base62 characters swapped for letters
            item_id = base64.b64encode(self.rng.randbytes(17)).decode()[:22].translate(NOT_BASE62)
            if item_id not in self.used_ids:
                self.used_ids.add(item_id)
                return item_id

    def artist_name(self, genre: Genre) -> str:
        rng = self.rng
        while True:
            pattern = rng.random()
            if pattern < 0.3:
                name = f"The {self.pick(ADJECTIVES)} {self.pick(NOUNS)}"
            elif pattern < 0.6:
                name = f"{self.pick(FIRST)} {self.pick(LAST)}"
            elif pattern < 0.75:
                name = f"{self.pick(ADJECTIVES)} {self.pick(WORDS)}"
            elif pattern < 0.85 and genre.name in ("house", "techno", "drum and bass", "hip hop"):
                name = f"{self.pick(['DJ', 'MC', 'Lil'])} {self.pick(FIRST)}"
            elif pattern < 0.93:
                name = f"{self.pick(FIRST)} & The {self.pick(NOUNS)}"
            else:
                name = f"{self.pick(WORDS)}{self.pick(['!', ' X', ' & Co.', ' 77', '.'])}"
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def title(self) -> str:
        rng = self.rng
        pattern = rng.random()
        if pattern < 0.35:
            return f"{self.pick(ADJECTIVES)} {self.pick(WORDS)}"
        if pattern < 0.55:
            return self.pick(WORDS)
        if pattern < 0.75:
            return f"{self.pick(VERBS)} {self.pick(['in', 'on', 'for', 'through', 'after'])} the {self.pick(WORDS)}"
        if pattern < 0.9:
            return f"{self.pick(WORDS)} of {self.pick(NOUNS)}"
        return f"{self.pick(WORDS)} {self.pick(WORDS)}"

    def isrc(self, year: int) -> str:
        registrant = "".join(self.rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", k=3))
        return f"{self.pick(ISRC_COUNTRIES)}{registrant}{year % 100:02d}{self.below(100000):05d}"

    # --- catalog --------------------------------------------------------------------------------

    def catalog(self, track_count: int) -> None:
        while len(self.tracks) < track_count:
            self.add_artist()
        self.album_by_id = {a["id"]: a for a in self.albums}

    def add_artist(self) -> None:
        rng = self.rng
        genre = self.pick(GENRES)
        artist_id = self.new_id()
        popularity = int(min(95, rng.expovariate(1 / 30)))
        related = rng.sample(genre.related, self.between(0, len(genre.related)))
        self.artists.append({
            "id": artist_id, "name": self.artist_name(genre), "genres": [genre.name, *related],
            "popularity": popularity, "followers": int(popularity ** 2.6 * rng.uniform(5, 50)),
        })
        self.genre_of[artist_id] = genre
        first_year = self.between(genre.years[0], max(genre.years[0], genre.years[1] - 2))
        for _ in range(self.pick([1, 1, 2, 2, 3, 4])):
            self.add_album(artist_id, genre, min(2026, first_year + self.between(0, 12)), popularity)

    def release_date(self, year: int) -> tuple[str, str, datetime]:
        rng = self.rng
        precision = rng.choices(["day", "month", "year"], [65, 10, 25] if year < 1980 else [92, 3, 5])[0]
        day = datetime(year, 1, 1) + timedelta(days=self.below(365))
        text = {"day": day.strftime("%Y-%m-%d"), "month": day.strftime("%Y-%m"), "year": str(year)}[precision]
        return text, precision, day

    def add_album(self, artist_id: str, genre: Genre, year: int, popularity: int) -> None:
        rng = self.rng
        album_type = rng.choices(["album", "single", "compilation"], [60, 30, 10])[0]
        count = {"album": self.between(6, 12), "single": self.between(1, 3), "compilation": self.between(10, 16)}[album_type]
        album_id = self.new_id()
        date, precision, day = self.release_date(year)
        name = self.title() if album_type != "compilation" else self.pick(["Greatest Hits", "The Best Of", "Anthology", "Essentials"])
        self.albums.append({
            "id": album_id, "name": name, "album_type": album_type, "release_date": date,
            "release_date_precision": precision, "artist_ids": [artist_id], "label": self.pick(LABELS),
            "total_tracks": count, "popularity": max(0, popularity + self.between(-10, 5)),
        })
        self.released[album_id] = day
        earlier = [t for t in self.tracks[-40:] if t["artist_ids"][0] == artist_id and t.get("isrc")]
        for number in range(1, count + 1):
            self.add_track(album_id, artist_id, genre, year, number, popularity, album_type, earlier)

    def add_track(self, album_id: str, artist_id: str, genre: Genre, year: int, number: int, popularity: int,
                  album_type: str, earlier: list[dict]) -> None:
        rng = self.rng
        track_id = self.new_id()
        title = self.title()
        shown, artist_ids = title, [artist_id]
        if rng.random() < 0.08 and self.artists[:-1]:
            guest = self.pick(self.artists[:-1])
            artist_ids.append(guest["id"])
            shown = f"{title} (feat. {guest['name']})"
        elif rng.random() < 0.07:
            shown = title + self.pick(SUFFIXES)
        if album_type == "compilation" and earlier and rng.random() < 0.4:
            original = self.pick(earlier)  # the same recording again: same ISRC, another track id
            isrc, title, shown = original["isrc"], self.clean_title[original["id"]], original["name"]
        else:
            isrc = self.isrc(year) if rng.random() > 0.03 else None
        self.tracks.append({
            "id": track_id, "name": shown, "album_id": album_id, "artist_ids": artist_ids,
            "duration_ms": self.between(*genre.seconds) * 1000 + self.below(1000),
            "explicit": rng.random() < genre.explicit, "isrc": isrc, "track_number": number,
            "disc_number": 1 if number <= 20 else 2, "popularity": max(0, min(100, popularity + self.between(-15, 10))),
            "is_playable": rng.random() > 0.03,
        })
        self.clean_title[track_id] = title
        self.tempo[track_id] = round(rng.uniform(*genre.bpm) + rng.random(), 1)

    def episodes(self) -> list[dict]:
        return [{"id": self.new_id(), "name": f"Episode {n}: {self.title()}", "show_name": show,
                 "duration_ms": self.between(900, 5400) * 1000}
                for show in SHOWS for n in range(1, 6)]

    # --- users' libraries -----------------------------------------------------------------------

    def added_at(self, not_before: datetime, start: datetime) -> str:
        low = max(not_before, start)
        if low >= END:
            low = END - timedelta(days=1)
        span = (END - low).total_seconds()
        moment = low + timedelta(seconds=span * math.sqrt(self.rng.random()))  # more recent adds than old ones
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def liked(self, count: int) -> list[dict]:
        start = datetime(self.between(2011, 2016), 1, 1)
        picks = self.rng.sample(range(len(self.tracks)), min(count, len(self.tracks)))
        saved = []
        for index in picks:
            track = self.tracks[index]
            saved.append({"track_id": track["id"], "added_at": self.added_at(self.released[track["album_id"]], start)})
        saved.sort(key=lambda s: s["added_at"], reverse=True)
        return saved

    def playlist_items(self, size: int, pool: list[str], editors: list[str], episodes: list[dict], old: bool) -> list[dict]:
        rng = self.rng
        start = datetime(2010 if old else self.between(2014, 2024), 1, 1)
        items: list[dict] = []
        for position in range(size):
            roll = rng.random()
            added_by = self.pick(editors)
            if roll < 0.015:
                name, artist, album = self.pick(LOCAL_NAMES)
                items.append({"local": {"name": name, "artist": artist, "album": album,
                                        "duration_ms": self.between(60, 400) * 1000}, "added_by": added_by})
            elif roll < 0.025 and episodes:
                items.append({"episode_id": self.pick(episodes)["id"], "added_by": added_by})
            elif roll < 0.035:
                items.append({"unavailable": True, "added_by": None})
            elif roll < 0.055 and items and items[-1].get("track_id"):
                items.append({"track_id": self.pick([i for i in items if i.get("track_id")])["track_id"], "added_by": added_by})
            else:
                items.append({"track_id": self.pick(pool), "added_by": added_by})
            null_date = old and position < size * 0.3
            items[-1]["added_at"] = None if null_date else self.added_at(start, start)
        return items

    def ensure_every_kind(self, items: list[dict], pool: list[str], owner: str, episodes: list[dict]) -> None:
        """The first playlist shows every awkward kind, whatever the dice said."""
        kinds = {
            "local": {"local": {"name": "Demo take", "artist": "Me", "album": "Tapes", "duration_ms": 128000}},
            "episode_id": {"episode_id": episodes[0]["id"]},
            "unavailable": {"unavailable": True},
        }
        for key, item in kinds.items():
            if not any(key in i for i in items):
                items.append({**item, "added_at": "2020-02-02T20:20:20Z", "added_by": None if key == "unavailable" else owner})
        if not any(i.get("added_at") is None for i in items):
            items.append({"track_id": pool[0], "added_at": None, "added_by": owner})
        track_ids = [i["track_id"] for i in items if i.get("track_id")]
        if len(track_ids) == len(set(track_ids)):
            items.append({"track_id": track_ids[0], "added_at": "2021-03-03T10:00:00Z", "added_by": owner})
        unplayable = next((t["id"] for t in self.tracks if not t["is_playable"]), None)
        if unplayable is None:
            self.tracks[0]["is_playable"] = False
            unplayable = self.tracks[0]["id"]
        if not any(i.get("track_id") == unplayable for i in items):
            items.append({"track_id": unplayable, "added_at": "2022-04-04T12:00:00Z", "added_by": owner})

    def playlists(self, users: list[str], per_user: int, liked: dict[str, list[dict]], episodes: list[dict],
                  big: int) -> list[dict]:
        rng = self.rng
        playlists = []
        for user in users:
            others = [u for u in users if u != user]
            pool = [s["track_id"] for s in liked[user]] or [t["id"] for t in self.tracks]
            for index in range(per_user):
                kind = "owned" if index == 0 else {1: "collaborative", 2: "followed"}.get(index % 5, "owned")
                owner, collaborators, followers = user, [], []
                if kind == "collaborative":
                    collaborators = others[:2]
                elif kind == "followed":
                    owner = self.pick(others) if others and rng.random() < 0.5 else "spotify"
                    followers = [user]
                size = big if index == 0 and big else self.pick([0, 5, 12, 25, 40, 60, 90, 150, 220])
                mixed = pool[: max(1, len(pool))]
                source = [self.pick(mixed) if rng.random() < 0.7 else self.pick(self.tracks)["id"] for _ in range(max(size, 1) * 2)]
                items = self.playlist_items(size, source, [owner, *collaborators], episodes, old=rng.random() < 0.1)
                if index == 0:
                    self.ensure_every_kind(items, source, owner, episodes)
                playlists.append({
                    "id": self.new_id(), "name": self.playlist_name(kind), "owner": owner,
                    "collaborative": kind == "collaborative", "public": kind != "collaborative" and rng.random() < 0.6,
                    "description": self.pick(["", "", f"{self.title()} vibes", "mixed by hand"]),
                    "collaborators": collaborators, "followers": followers, "items": items,
                })
        return playlists

    def playlist_name(self, kind: str) -> str:
        if kind == "followed":
            return self.pick(["This Is ", "Best of ", "", "Essential "]) + self.pick(GENRES).name.title() + self.pick(["", " Classics", " Mix"])
        if kind == "collaborative":
            return self.pick(["Road trip", "Party", "Shared", "Office"]) + f" {self.pick(WORDS).lower()}"
        return self.pick(["", "my ", "", "★ "]) + f"{self.title()}" + self.pick(["", " 🎧", " (2019)", "!!"])

    # --- enrichment -----------------------------------------------------------------------------

    def enrichment(self) -> dict:
        rng = self.rng
        names = {a["id"]: a["name"] for a in self.artists}
        deezer, lastfm_tracks, musicbrainz, seen_isrc, seen_pairs = [], [], [], set(), set()
        for track in self.tracks:
            genre = self.genre_of[track["artist_ids"][0]]
            isrc, artist, title = track["isrc"], names[track["artist_ids"][0]], self.clean_title[track["id"]]
            if isrc and isrc not in seen_isrc and rng.random() < 0.85:
                deezer.append(self.deezer_entry(track, isrc))
            if isrc:
                seen_isrc.add(isrc)
            if (artist, title) not in seen_pairs and rng.random() < 0.8:
                seen_pairs.add((artist, title))
                listeners = int(rng.expovariate(1 / 40000)) + 1
                lastfm_tracks.append({"artist": artist, "track": title, "listeners": listeners,
                                      "playcount": listeners * self.between(2, 15), "tags": self.tags(genre, track)})
            if rng.random() < (0.8 if not isrc else 0.3):
                musicbrainz.append({"isrc": isrc, "recording_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                                    "title": title, "artist": artist, "length_ms": track["duration_ms"] + self.between(-1500, 1500),
                                    "genres": [g for g in [genre.name, *rng.sample(genre.related, 1)] if rng.random() < 0.9]})
        self.add_lastfm_corrections(lastfm_tracks, names)
        lastfm_artists = []
        for artist in self.artists:
            if rng.random() < 0.9:
                listeners = int(rng.expovariate(1 / 200000)) + 10
                genre = self.genre_of[artist["id"]]
                lastfm_artists.append({"artist": artist["name"], "listeners": listeners,
                                       "playcount": listeners * self.between(5, 40),
                                       "tags": [*rng.sample(genre.tags, 2), self.pick(MOOD_TAGS)]})
        return {"deezer": deezer, "lastfm_tracks": lastfm_tracks, "lastfm_artists": lastfm_artists, "musicbrainz": musicbrainz}

    def add_lastfm_corrections(self, lastfm_tracks: list[dict], names: dict[str, str]) -> None:
        """Last.fm's autocorrect knows the names Spotify shows for a song ("X (feat. Y)",
        "X - Remastered 2011") and leads them to the song's own page; list them per entry."""
        shown: dict[tuple[str, str], set[str]] = {}
        for track in self.tracks:
            key = (names[track["artist_ids"][0]], self.clean_title[track["id"]])
            if track["name"] != key[1]:
                shown.setdefault(key, set()).add(track["name"])
        for entry in lastfm_tracks:
            variants = shown.get((entry["artist"], entry["track"]))
            if variants:
                entry["corrections"] = sorted(variants)

    def deezer_entry(self, track: dict, isrc: str) -> dict:
        rng = self.rng
        bpm = self.tempo[track["id"]]
        roll = rng.random()
        if roll < 0.05:
            bpm = 0.0  # Deezer's "unknown"
        elif roll < 0.07:
            bpm = round(bpm / 2, 1)
        elif roll < 0.09:
            bpm = round(bpm * 2, 1)
        album = self.album_by_id[track["album_id"]]
        day = self.released[album["id"]].strftime("%Y-%m-%d")
        released = day if album["release_date_precision"] == "day" else album["release_date"][:4] + "-01-01"
        return {"isrc": isrc, "id": self.between(1_000_000, 3_000_000_000), "bpm": bpm,
                "gain": round(rng.uniform(-15, -3), 1), "rank": self.between(10_000, 990_000), "release_date": released}

    def tags(self, genre: Genre, track: dict) -> list[str]:
        rng = self.rng
        year = int(self.album_by_id[track["album_id"]]["release_date"][:4])
        decade = f"{year % 100 // 10 * 10:02d}s"
        tags = [*rng.sample(genre.tags, self.between(1, len(genre.tags))), decade, *rng.sample(MOOD_TAGS, self.between(0, 3))]
        return list(dict.fromkeys(tags))


def generate_library(seed: int = 1, users: int | list[str] = 1, liked: int = 1000, playlists: int = 10,
                     big_playlist: int | None = None, profile: str = "devmode") -> Library:
    """A library for `users` (a count or the ids), each with `liked` saved tracks and `playlists`
    playlists (owned, collaborative and followed); the first playlist of each user is large when
    `big_playlist` (default: a tenth of `liked`, at most 5,000) asks for it. Followed playlists
    belong to another user or to an editorial `spotify` user, then listed last in `users`."""
    with gc_paused():
        return _generate(seed, users, liked, playlists, big_playlist, profile)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hundreds of thousands of young objects make the cyclic GC rescan everything again and
    again (more than doubling the time for 50,000 liked songs); none of them form cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _generate(seed: int, users: int | list[str], liked: int, playlists: int, big_playlist: int | None, profile: str) -> Library:
    user_ids = list(users) if isinstance(users, list) else [USER_NAMES[i] if i < len(USER_NAMES) else f"user{i + 1}" for i in range(users)]
    gen = Generator(seed)
    gen.catalog(int(liked * 1.25) + 300)
    episodes = gen.episodes()
    saved = {user: gen.liked(liked) for user in user_ids}
    big = min(5000, liked // 10) if big_playlist is None else big_playlist
    lists = gen.playlists(user_ids, playlists, saved, episodes, big) if playlists else []
    all_users = [*user_ids, "spotify"] if any(p["owner"] == "spotify" for p in lists) else user_ids
    data = {
        "profile": profile,
        "users": [{"id": u, "display_name": "Spotify" if u == "spotify" else u.title()} for u in all_users],
        "artists": gen.artists, "albums": gen.albums, "tracks": gen.tracks, "episodes": episodes,
        "liked": saved, "playlists": lists, "enrichment": gen.enrichment(),
    }
    library = Library.model_validate(data)
    library.plays = {user: listening(library, user, END - timedelta(days=PLAY_DAYS), END) for user in user_ids}
    return library


# How many of the demo user's newest likes are moved into the last weeks before the day the demo
# library is made, so README's "Fresh likes" (liked in the last 30 days) has tracks.
DEMO_FRESH_LIKES = 12
# The demo's size: what the demo user holds must be enriched at the services' real rate limits
# (Last.fm's 4 requests per second the slowest) within the two-minute demo: ~200 catalog tracks.
DEMO_LIKED, DEMO_PLAYLISTS, DEMO_BIG_PLAYLIST = 120, 5, 25
# So few songs hold few at a running tempo by chance: this many of the demo user's liked songs (every
# seventh one Deezer knows) get a tempo of 160-180 bpm, so README's running mix has tracks.
DEMO_RUNNING_TEMPO = 12


def demo_library(today: date | None = None) -> Library:
    """The fixed library of `make demo`: users demo and friend, 120 liked songs each from the 1960s
    to the 2020s, five playlists each (the demo user collaborates on "Party road"), with every
    awkward item kind. The demo user's newest likes fall in the three weeks before `today` (default:
    today, UTC), one every other day, the users' plays in the four weeks before it, and a dozen liked songs are at a running tempo, so every README
    example yields tracks; everything else is the same whatever the day."""
    library = generate_library(seed=2026, users=["demo", "friend"], liked=DEMO_LIKED, playlists=DEMO_PLAYLISTS,
                               big_playlist=DEMO_BIG_PLAYLIST)
    today = today or datetime.now(UTC).date()
    newest = datetime(today.year, today.month, today.day, 9, 0) - timedelta(days=1)
    for k, saved in enumerate(library.liked["demo"][:DEMO_FRESH_LIKES]):
        saved.added_at = (newest - timedelta(days=2 * k, minutes=7 * k)).strftime("%Y-%m-%dT%H:%M:%SZ")
    midnight = datetime(today.year, today.month, today.day)
    library.plays = {user: listening(library, user, midnight - timedelta(days=PLAY_DAYS), midnight) for user in library.plays}
    set_running_tempo(library, "demo")
    return library


def set_running_tempo(library: Library, user: str) -> None:
    """Give DEMO_RUNNING_TEMPO of `user`'s liked songs known to Deezer a tempo of 160-180 bpm."""
    isrcs = {t.id: t.isrc.upper() for t in library.tracks if t.isrc}
    deezer = {entry.isrc.upper(): entry for entry in library.enrichment.deezer}
    known = [deezer[isrcs[s.track_id]] for s in library.liked[user] if isrcs.get(s.track_id) in deezer]
    for k, entry in enumerate(known[::7][:DEMO_RUNNING_TEMPO]):
        entry.bpm = 160.0 + (k * 7) % 21
