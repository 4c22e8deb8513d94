"""Checks on what a user sees: the rule file is valid, and each pushed Spotify playlist holds its tracklist."""

import json
from collections import defaultdict

import dagster as dg

from assets.playlists.push import CHILD_PLAYLISTS, MANAGED, MANAGED_KEY, TRACKLISTS, pushable, tracklists
from assets.playlists.rules import RuleFileError, load_rules
from assets.playlists.tracklists import TRACKLISTS_KEY
from resources.rule_file import RuleFile
from resources.warehouse import Warehouse

SHOWN_ERRORS = 10


def rule_file_errors(rule_file: RuleFile) -> list[str]:
    """Everything wrong with the rule file: that it cannot be used at all, or each invalid child playlist."""
    try:
        rules = load_rules(rule_file.path, rule_file.max_bytes, rule_file.max_child_playlists)
    except RuleFileError as error:
        return [str(e) for e in error.errors]
    return [str(e) for e in rules.all_errors()]


@dg.asset_check(asset=TRACKLISTS_KEY, description="The rule file loads and every child playlist in it is valid.")
def rule_file_valid(rule_file: RuleFile) -> dg.AssetCheckResult:
    errors = rule_file_errors(rule_file)
    shown = errors[:SHOWN_ERRORS] + ([f"… and {len(errors) - SHOWN_ERRORS} more"] if len(errors) > SHOWN_ERRORS else [])
    return dg.AssetCheckResult(
        passed=not errors, description=errors[0] if errors else None,
        metadata={"rule_file": rule_file.path, "errors": len(errors),
                  "details": dg.MetadataValue.md("\n".join(f"- `{e}`" for e in shown) or "none")})


def pushed_mismatches(wanted: dict[str, dict], managed: list[dict]) -> list[str]:
    """Per child playlist of one user, why what mixtape last pushed to Spotify (the tracklist each part
    holds after the push: its read plus its writes) differs from the tracklist; invalid rules are left out."""
    parts: dict[str, list[dict]] = defaultdict(list)
    for row in managed:
        parts[row["child_id"]].append(row)
    found = []
    for child, entry in wanted.items():
        if entry.get("status") == "invalid":
            continue
        rows = sorted(parts.get(entry.get("child_id") or child, []), key=lambda r: r["part"])
        target = [uri for uri in entry["uris"] if pushable(uri)]
        if any(row["intent"] for row in rows):
            found.append(f"{child}: a write's outcome is uncertain until the next push reads the playlist")
        elif not rows or any(row["tracklist"] is None for row in rows):
            if target:
                found.append(f"{child}: not pushed yet ({len(target)} tracks)")
        elif (pushed := [uri for row in rows for uri in json.loads(row["tracklist"])]) != target:
            found.append(f"{child}: Spotify holds {len(pushed)} tracks, the tracklist {len(target)}"
                         f"{' (same tracks, other order)' if sorted(pushed) == sorted(target) else ''}")
    return found


@dg.asset_check(asset=MANAGED_KEY, pool="duckdb_write",
                description="Each managed Spotify playlist holds its child playlist's tracklist, as the push left it "
                            "(from the push's own read: no request).")
def pushed_playlists_match(warehouse: Warehouse) -> dg.AssetCheckResult:
    tracks, summary, managed = (warehouse.read(TRACKLISTS), warehouse.read(CHILD_PLAYLISTS), warehouse.read(MANAGED))
    users = sorted(set(tracks["user_id"]) | set(summary["user_id"]))
    found = [f"{user} / {line}" for user in users
             for line in pushed_mismatches(tracklists(tracks.filter(tracks["user_id"] == user),
                                                      summary.filter(summary["user_id"] == user)),
                                           managed.filter(managed["user_id"] == user).to_dicts())]
    return dg.AssetCheckResult(
        passed=not found, description=found[0] if found else None,
        metadata={"users": len(users), "mismatches": len(found),
                  "details": dg.MetadataValue.md("\n".join(f"- {line}" for line in found[:SHOWN_ERRORS]) or "none")})
