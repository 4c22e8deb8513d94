"""`mixtape preview NAME [--user U] [--format F]`: a child playlist's tracklist with each track's title, artist,
the values its rule read and the source that admitted it, then what a push would change in Spotify and the
requests it would spend. `mixtape preview --all`: one row per child playlist. Sends no request, writes nothing."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass

from pipelines.commands.sql_output import Result, render

TRACK_COLUMNS = ["position", "title", "artist", "matched", "source"]
SUMMARY_COLUMNS = ["child_playlist", "tracks", "to_add", "to_remove", "to_move", "requests", "status", "note"]
STATUSES = {"built": "valid", "empty": "empty", "invalid": "invalid"}
TABLE_LIMIT = 50


@dataclass
class Preview:
    """One user's child playlists evaluated now, and the warehouse's record of their Spotify playlists."""

    user: str
    rules: object  # RuleSet
    result: object  # Evaluation
    features: object  # polars DataFrame of track features
    unavailable: set[str]
    managed: list[dict]
    listing: object  # push.Listing
    stored: dict  # playlist id -> push_preview.Stored
    now: dt.datetime

    def playlist(self, name: str):
        return next((p for p in self.rules.for_user(self.user)[0] if p.name == name), None)

    def summary_row(self, name: str) -> dict:
        summary = self.result.summary
        return summary.filter(summary["child_playlist"] == name).row(0, named=True)

    def tracks(self, name: str):
        tracks = self.result.tracks
        return tracks.filter(tracks["child_playlist"] == name).sort("position")

    def managed_parts(self, child_id: str) -> dict[int, dict]:
        return {m["part"]: m for m in self.managed if m["child_id"] == child_id}

    def push(self, name: str):
        """What a push of the child playlist would do (push_preview.preview_push)."""
        from assets.playlists.push_preview import preview_push

        row = self.summary_row(name)
        child_id = row["child_id"] or name
        parts = self.managed_parts(child_id)
        if not parts and child_id != name and name not in set(self.result.summary["child_id"]):
            parts = self.managed_parts(name)  # as the push: a rule just given an id keeps its playlist
        return preview_push(self.user, name, child_id, self.tracks(name)["track_uri"].to_list(), parts,
                            self.listing, self.stored, row["rule_hash"])


def load(warehouse, user: str, rules_file, now: dt.datetime) -> Preview:
    """Evaluate the user's rules over the stored features, as the tracklists asset does. Raises RuleFileError."""
    from assets.playlists.included import unavailable_uris
    from assets.playlists.rules import load_rules
    from assets.playlists.tracklists import evaluate_user, read_features, user_playlists

    features = read_features(warehouse, user)
    unavailable = unavailable_uris(warehouse, user)
    result = evaluate_user(features, rules_file, user, now, playlist_names=user_playlists(warehouse, user),
                           unavailable=unavailable)
    return Preview(user, load_rules(rules_file), result, features, unavailable, *push_state(warehouse, user), now)


def push_state(warehouse, user: str) -> tuple[list[dict], object, dict]:
    """What the push finds in the warehouse: the managed rows, the last listing, and the items ingestion read
    of the managed playlists and of those carrying a marker."""
    from assets.playlists.push import MANAGED, listing_of

    managed = warehouse.read(MANAGED, user_id=user).to_dicts()
    listed = warehouse.read("raw.playlists", user_id=user)
    listing = listing_of(listed.to_dicts(), user, listed["fetched_at"].max() if listed.height else None)
    wanted = {m["playlist_id"] for m in managed} | set(listing.marked.values())
    return managed, listing, stored_items(warehouse, user, wanted)


def stored_items(warehouse, user: str, playlist_ids: set[str]) -> dict:
    """The items ingestion last read of these playlists, with the snapshot it read them at."""
    from assets.playlists.push_preview import Stored

    if not playlist_ids:
        return {}
    rows = warehouse.query(
        "select i.playlist_id, s.snapshot_id, coalesce(i.uri, 'spotify:track:' || i.track_id) as uri "
        "from raw.playlist_items i left join raw.playlist_items_sync s "
        "on s.user_id = i.user_id and s.key = i.playlist_id and s.complete "
        "where i.user_id = ? and list_contains(?, i.playlist_id) order by i.playlist_id, i.position",
        [user, sorted(playlist_ids)])
    return {playlist_id: Stored(group["snapshot_id"][0], group["uri"].to_list())
            for (playlist_id,), group in rows.group_by("playlist_id", maintain_order=True)}


def track_rows(preview: Preview, name: str) -> list[tuple]:
    """(position, title, artist, matched, source) for each track of the child playlist."""
    from assets.playlists.rules.compiler import helper_columns
    from assets.playlists.rules.evaluator import ALWAYS_INCLUDED, with_included
    from assets.playlists.rules.explain import explain, source_labels

    p = preview.playlist(name)
    tracks = preview.tracks(name)
    frame = with_included(preview.features, [p], preview.unavailable)
    rows = tracks.select("position", "track_uri", "admitted_by").join(
        frame.unique("track_uri", keep="first"), on="track_uri", how="left").sort("position")
    children = {child: t["track_uri"] for (child,), t in preview.result.tracks.group_by("child_playlist")}
    helped = rows.with_columns(**helper_columns([p]))
    sources = helped.with_columns(_source=source_labels(p.source, children))["_source"]
    matched = explain(p, rows, preview.now)
    return [(r["position"], r["title"], r["artist"], "; ".join(why),
             ALWAYS_INCLUDED if r["admitted_by"] == ALWAYS_INCLUDED else source)
            for r, why, source in zip(rows.iter_rows(named=True), matched, sources)]


def describe_push(push) -> str:
    """One sentence: what the push would change and the requests it would spend."""
    spend = f"{push.requests} request(s)"
    if push.created:
        said = f"no managed Spotify playlist yet: a push would create it with {push.target} tracks ({spend})"
    elif not push.total("adds") and not push.total("removes") and not push.total("moves"):
        said = f"the Spotify playlist already matches ({push.target} tracks): a push would change nothing ({spend})"
    else:
        said = (f"a push would add {push.total('adds')}, remove {push.total('removes')}, move {push.total('moves')} "
                f"and keep {push.total('kept')} of {push.total('current')} tracks ({spend})")
    if push.unpushable:
        said += f"; {push.unpushable} track(s) left out (local files or not Spotify tracks)"
    if push.refused:
        said += f"; but the guardrail would stop it: {push.refused}"
    return said


def summary_rows(preview: Preview) -> list[tuple]:
    """One row per child playlist: tracks, the push's adds, removes, moves and requests, status and why."""
    rows = []
    for row in preview.result.summary.sort("child_playlist").iter_rows(named=True):
        name, status = row["child_playlist"], STATUSES[row["status"]]
        if status == "invalid":  # the push leaves its playlist as it is
            rows.append((name, 0, None, None, None, 0, status, row["reason"]))
            continue
        push = preview.push(name)
        note = push.refused or row["reason"] or ("new playlist" if push.created else None)
        rows.append((name, row["tracks"], push.total("adds"), push.total("removes"), push.total("moves"),
                     push.requests, status, note))
    return rows


def one(preview: Preview, name: str, fmt: str, limit: int | None) -> int:
    errors = [e for e in preview.result.errors if e.playlist == name]
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        return 1
    if preview.playlist(name) is None:
        known = sorted(set(preview.result.summary["child_playlist"]))
        print(f"mixtape preview: no child playlist {name!r} for {preview.user} (known: {', '.join(known)})",
              file=sys.stderr)
        return 1
    rows = track_rows(preview, name)
    shown = rows if limit is None else rows[:limit]
    print(render(Result(TRACK_COLUMNS, shown), fmt))
    notes = [f"... and {len(rows) - len(shown)} more (--limit)"] if len(shown) < len(rows) else []
    row = preview.summary_row(name)
    if row["status"] == "empty":
        notes.append(f"{name} is empty: {row['reason']}")
    notes.append(describe_push(preview.push(name)))
    # table output is for people: the notes follow it; csv and json stay data, the notes go to stderr
    print("\n".join(notes), file=sys.stdout if fmt == "table" else sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    from assets.playlists.rules import RuleFileError
    from pipelines.resources import initialized
    from resources.settings import Settings

    if bool(args.name) == bool(args.all):
        print("mixtape preview: name one child playlist, or give --all", file=sys.stderr)
        return 2
    warehouse = initialized("warehouse")
    user = args.user or only_user(warehouse)
    if user is None:
        print("mixtape preview: several users (or none) have features; pick one with --user", file=sys.stderr)
        return 2
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        preview = load(warehouse, user, args.file or Settings.from_env().mixtape_rules, now)
    except RuleFileError as error:
        print(error, file=sys.stderr)
        return 1
    if args.all:
        print(render(Result(SUMMARY_COLUMNS, summary_rows(preview)), args.format))
        return 0
    limit = args.limit if args.limit is not None else (TABLE_LIMIT if args.format == "table" else None)
    return one(preview, args.name, args.format, limit)


def only_user(warehouse) -> str | None:
    users = warehouse.query("select distinct user_id from marts.track_features")["user_id"].to_list()
    return users[0] if len(users) == 1 else None


def register(subparsers: argparse._SubParsersAction) -> None:
    from pipelines.commands.sql_output import FORMATS

    parser = subparsers.add_parser("preview", help="a child playlist's tracklist, why each track is in it, and its "
                                   "diff with Spotify", description=__doc__)
    parser.add_argument("name", nargs="?", help="the child playlist")
    parser.add_argument("--all", action="store_true", help="one row per child playlist instead")
    parser.add_argument("--user", help="the Spotify user id (default: the only user)")
    parser.add_argument("--file", help="the rule file (default: MIXTAPE_RULES or playlists.yaml)")
    parser.add_argument("--format", choices=FORMATS, default="table", help="how to print (default table)")
    parser.add_argument("--limit", type=int, help=f"tracks to show (default {TABLE_LIMIT} in a table, "
                        "every track in csv, json and markdown)")
    parser.set_defaults(func=run)
