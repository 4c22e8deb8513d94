"""Child playlists: the tracks rules include, track features, rule evaluation into tracklists, and the push to Spotify."""

import dagster as dg

from assets.playlists.checks import pushed_playlists_match, rule_file_valid
from assets.playlists.included import included_tracks
from assets.playlists.push import push_playlists
from assets.playlists.tracklists import TRACKLIST_ASSETS

PLAYLISTS_ASSETS = [included_tracks, *TRACKLIST_ASSETS, push_playlists]

defs = dg.Definitions(assets=PLAYLISTS_ASSETS, asset_checks=[rule_file_valid, pushed_playlists_match])
