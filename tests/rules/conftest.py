"""The demo library in a DuckDB warehouse with track features built, once per session."""

import datetime as dt

import pytest

from sandbox.generator import demo_library
from sandbox.library import Playlist
from tests.rules.demo_warehouse import demo_warehouse

# One of the user's playlists holding none of their tracks: a valid source all the same. Added here so the
# tests do not hang on the generator happening to make one.
EMPTY_PLAYLIST = Playlist(id="0RoadTripGold000000000", name="Road trip gold", owner="demo")


@pytest.fixture(scope="session")
def demo_built(tmp_path_factory):
    library = demo_library()
    library.playlists.append(EMPTY_PLAYLIST)
    directory = tmp_path_factory.mktemp("demo-warehouse")
    liked = [dt.datetime.fromisoformat(s.added_at.replace("Z", "")) for s in library.liked["demo"]]
    now = max(liked) + dt.timedelta(days=1)
    warehouse, instance = demo_warehouse(directory, library, ["demo"], listened_until=now)
    return {"warehouse": warehouse, "instance": instance, "library": library, "directory": directory, "now": now}
