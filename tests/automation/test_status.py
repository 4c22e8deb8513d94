"""`mixtape status`: what it prints from the warehouse, the cursors and the request ledger."""

import argparse
from datetime import datetime, timedelta

from pipelines.commands import status
from pipelines.commands.status import UserStatus, age, render_user

NOW = datetime(2026, 5, 2, 12, 0)


def test_ages_read_like_a_person_would_say_them():
    assert age(None, NOW) == "never"
    assert age(NOW - timedelta(minutes=7), NOW) == "7m ago"
    assert age(NOW - timedelta(hours=3, minutes=12), NOW) == "3h 12m ago"
    assert age(NOW - timedelta(days=2, hours=4), NOW) == "2d 4h ago"


def test_a_library_older_than_its_ttl_is_marked_stale():
    s = UserStatus("alice", True, 10, 12, NOW - timedelta(hours=30), 3, 2, 40, NOW - timedelta(hours=30), 7,
                   {"liked_songs": "2 of 4 pages fetched, expected done by 2026-05-03 at the current budget"},
                   (2, []), [], 0)
    text = "\n".join(render_user(s, NOW, timedelta(hours=24)))
    assert "10 liked, 12 ever; synced 1d 6h ago (TTL 1d: stale)" in text
    assert "3 (2 readable), 40 items" in text
    assert "requests today  7" in text
    assert "sync liked_songs: 2 of 4 pages fetched, expected done by 2026-05-03" in text
    assert "rules           2 child playlist(s) valid, 0 invalid" in text
    assert "sync events     none" in text
    fresh = "\n".join(render_user(s, NOW - timedelta(hours=20), timedelta(hours=24)))
    assert "stale" not in fresh and "(TTL 1d: fresh)" in fresh


def test_status_of_a_synced_user_against_the_sandbox(world, capsys):
    world.login("alice")
    world.sync("alice")
    assert status.run(argparse.Namespace(user=None, events=20, file=None)) == 0
    out = capsys.readouterr().out
    liked = len(world.sandbox_library()["liked"]["alice"])
    assert f"{liked} liked, {liked} ever; synced 0m ago (TTL 1d: fresh)" in out
    pages = -(-liked // 50)
    assert f"sync liked_songs: {pages} of {pages} pages fetched, complete" in out
    assert "Spotify requests left today" in out
    spent = world.spotify().budget.spent_today("alice")
    assert spent > 0 and f"requests today  {spent}" in out
