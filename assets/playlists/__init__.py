"""Child playlists: track features, rule evaluation into tracklists, and the push to Spotify."""

import dagster as dg

from assets.playlists.push import push_playlists
from assets.playlists.tracklists import TRACKLIST_ASSETS

PLAYLISTS_ASSETS = [*TRACKLIST_ASSETS, push_playlists]

defs = dg.Definitions(assets=PLAYLISTS_ASSETS)
