"""A small sandbox library with something in every mart: genres, decades, months, overlapping playlists."""

from sandbox.library import Library


def small_library() -> Library:
    artists = [
        {"id": "ar1", "name": "The Beatles", "genres": ["rock", "british invasion"]},
        {"id": "ar2", "name": "Daft Punk", "genres": ["electronic", "french house"]},
        {"id": "ar3", "name": "Nina Simone", "genres": ["jazz", "soul"]},
        {"id": "ar4", "name": "Radiohead", "genres": ["rock", "art rock"]},
    ]
    albums = [
        {"id": "al1", "name": "Abbey Road", "release_date": "1969-09-26", "artist_ids": ["ar1"]},
        {"id": "al2", "name": "Discovery", "release_date": "2001-03-12", "artist_ids": ["ar2"]},
        {"id": "al3", "name": "Pastel Blues", "release_date": "1965", "release_date_precision": "year", "artist_ids": ["ar3"]},
        {"id": "al4", "name": "OK Computer", "release_date": "1997-05-21", "artist_ids": ["ar4"]},
    ]
    tracks = [
        {"id": f"t{n}", "name": f"Song {n}", "album_id": f"al{n % 4 + 1}", "artist_ids": [f"ar{n % 4 + 1}"],
         "duration_ms": 180000 + 1000 * n, "isrc": f"GBAYE06{n:05d}"}
        for n in range(12)
    ]
    liked = {
        "alice": [{"track_id": f"t{n}", "added_at": f"2024-{n % 5 + 1:02d}-0{n % 9 + 1}T10:00:00Z"} for n in range(9)],
        "bob": [{"track_id": f"t{n}", "added_at": f"2025-0{n % 3 + 1}-15T08:30:00Z"} for n in range(4, 12)],
    }
    playlists = [
        {"id": "pl1", "name": "Road trip", "owner": "alice", "followers": ["bob"],
         "items": [{"track_id": f"t{n}", "added_at": "2024-06-01T10:00:00Z", "added_by": "alice"} for n in (0, 1, 2, 3, 4)]
         + [{"unavailable": True}]},
        {"id": "pl2", "name": "Focus", "owner": "alice",
         "items": [{"track_id": f"t{n}", "added_at": "2024-06-02T10:00:00Z", "added_by": "alice"} for n in (3, 4, 5, 6)]},
        {"id": "pl3", "name": "Shared", "owner": "bob", "collaborative": True, "collaborators": ["alice"],
         "items": [{"track_id": f"t{n}", "added_at": "2025-01-02T10:00:00Z", "added_by": "bob"} for n in (4, 6, 8, 10)]},
        {"id": "pl4", "name": "Night", "owner": "bob",
         "items": [{"track_id": f"t{n}", "added_at": "2025-02-02T10:00:00Z", "added_by": "bob"} for n in (8, 9, 10, 11)]},
    ]
    return Library.model_validate({
        "profile": "extended", "users": [{"id": "alice"}, {"id": "bob"}], "artists": artists, "albums": albums, "tracks": tracks,
        "liked": liked, "playlists": playlists,
    })
