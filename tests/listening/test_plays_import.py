"""Plays end to end: export files imported once, overlaps between the export, recently-played and Last.fm
counted once (exact counts), and nothing of an export's IP address or user agent in the warehouse."""

import json
from datetime import timedelta

from assets.listening.plays import HISTORY_FILES_KEY, HISTORY_KEY, PLAYS_KEY, POLLS_KEY, RECENTLY_PLAYED_KEY, SCROBBLES_KEY
from sandbox.plays import epoch_ms, listening
from tests.listening.plays_harness import world  # noqa: F401  (the fixture)

IMPORT = [HISTORY_KEY, HISTORY_FILES_KEY, PLAYS_KEY]
POLL = [RECENTLY_PLAYED_KEY, POLLS_KEY, PLAYS_KEY]


def counts(world) -> dict[str, int]:
    rows = world.sql("select source, count(*) from plays where user_id = 'alice' group by source")
    return dict(rows)


def recent_plays(world, days: int = 5) -> list:
    """Plays of the `days` before now (the sandbox clock), which recently-played can show."""
    now = world.now()
    return listening(world.library, "alice", now - timedelta(days=days), now)


def test_importing_the_same_export_twice_counts_each_play_once(world):
    plays = world.library.plays["alice"]
    world.drop_export(per_file=400)
    world.run(IMPORT)
    assert world.sql("select count(*) from raw.streaming_history")[0][0] == len(plays)
    assert counts(world) == {"export": len(plays)}

    world.drop_export(per_file=400)  # the same files dropped again
    world.drop_export(as_zip=True)  # and the whole export once more, zipped
    world.run(IMPORT)
    files = world.sql("select file_name, plays, added from raw.streaming_history_files order by imported_at, file_name")
    assert len(files) == -(-len(plays) // 400) + 1  # each file once, then the zip's one file
    assert files[-1][1:] == (len(plays), 0)  # the zip held every play, none new
    assert counts(world) == {"export": len(plays)}


def test_an_export_overlapping_polled_plays_counts_each_play_once(world):
    plays = recent_plays(world)
    world.set_plays(plays)
    world.run(POLL)
    assert counts(world) == {"recently_played": 50}  # Spotify remembers the last 50

    cut = epoch_ms(plays[-20].played_at)  # the export ends before the last 20 plays
    exported = world.library.model_copy(deep=True)
    exported.plays = {"alice": [p for p in plays if epoch_ms(p.played_at) < cut]}
    world.drop_export(exported)
    world.run(IMPORT)
    assert counts(world) == {"export": len(plays) - 20, "recently_played": 20}

    world.lastfm_users = "alice=alice"  # the sandbox's Last.fm user of the same name scrobbled every play
    world.run([SCROBBLES_KEY, PLAYS_KEY])
    scrobbled = world.sql("select count(*) from raw.lastfm_scrobbles")[0][0]
    assert 0 < scrobbled < len(plays)
    assert counts(world) == {"export": len(plays) - 20, "recently_played": 20}
    world.run([SCROBBLES_KEY, PLAYS_KEY])  # read again: nothing new
    assert world.sql("select count(*) from raw.lastfm_scrobbles")[0][0] == scrobbled


def test_scrobbles_nobody_else_saw_are_plays_of_their_own(world):
    plays = recent_plays(world, days=2)
    world.set_plays(plays)
    world.lastfm_users = "alice=alice"
    world.run([SCROBBLES_KEY, PLAYS_KEY])
    scrobbled = world.sql("select count(*) from raw.lastfm_scrobbles")[0][0]
    assert counts(world) == {"lastfm": scrobbled}
    world.run(POLL)
    assert counts(world) == {"recently_played": 50, "lastfm": scrobbled - scrobbled_among_last(world, plays, 50)}


def scrobbled_among_last(world, plays: list, n: int) -> int:
    durations = {t.id: t.duration_ms for t in world.library.tracks}
    return sum(1 for p in plays[-n:] if p.ms_played >= 30_000 and 2 * p.ms_played >= durations[p.track_id])


PLANTED_IP, PLANTED_AGENT = "198.51.100.203", "PlantedAgent/7.3 (mixtape-test)"


def test_no_ip_address_or_user_agent_from_an_export_reaches_the_warehouse(world):
    [path] = world.drop_export()
    rows = json.loads(path.read_text())
    for row in rows:
        row.update(ip_addr=PLANTED_IP, ip_addr_decrypted=PLANTED_IP, user_agent_decrypted=PLANTED_AGENT, platform=PLANTED_AGENT)
    path.write_text(json.dumps(rows))
    world.run(IMPORT)
    assert counts(world) == {"export": len(rows)}

    tables = world.sql("select table_schema || '.' || table_name from information_schema.tables where table_type = 'BASE TABLE'")
    for (table,) in tables:
        hits = world.sql(f"select count(*) from {table} t where t::varchar like ? or t::varchar like ?",
                         [f"%{PLANTED_IP}%", f"%{PLANTED_AGENT}%"])
        assert hits == [(0,)], table
    world.warehouse.query("checkpoint")
    stored = b"".join(p.read_bytes() for p in world.warehouse.database_path.parent.glob(world.warehouse.database_path.name + "*"))
    assert PLANTED_IP.encode() not in stored and PLANTED_AGENT.encode() not in stored
