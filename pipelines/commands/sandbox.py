"""`mixtape sandbox serve|generate`: local stand-ins for Spotify, Deezer, Last.fm and MusicBrainz.

The sandbox is a development tool outside the production import graph: it is imported only inside
these command functions, never when the command is merely registered.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.library import Library


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sandbox", help="the local stand-in for Spotify and the enrichment APIs")
    commands = parser.add_subparsers(dest="sandbox_command", required=True)

    serve = commands.add_parser("serve", help="serve the sandbox until interrupted; prints the base URLs first",
                                description="Serve Spotify (accounts and Web API), Deezer, Last.fm and MusicBrainz "
                                            "on one loopback port. `eval \"$(mixtape sandbox serve --print-env &)\"` "
                                            "points a shell's mixtape and dagster commands at it.")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--profile", choices=["devmode", "extended"], help="overrides the library's profile")
    _library_arguments(serve)
    serve.add_argument("--library", type=Path, help="a library JSON file, as `mixtape sandbox generate` writes it")
    serve.add_argument("--demo", action="store_true", help="the fixed demo library (the default without --library/--seed)")
    serve.add_argument("--quota", type=int, help="requests per developer account per UTC day")
    serve.add_argument("--rate-limit", type=int, help="requests per developer account per 30 seconds")
    serve.add_argument("--latency-ms", type=int, default=0)
    serve.add_argument("--client-id", help="accept only this client id (default: any)")
    serve.add_argument("--client-secret", help="accept only this client secret (default: any)")
    serve.add_argument("--print-env", action="store_true",
                       help="print the base URLs as `export NAME=value` lines a shell can eval (default: one JSON line)")
    serve.add_argument("--state", type=Path,
                       help="resume from this state file and save every change to it (the demo world's data/sandbox/state.json)")
    serve.add_argument("--server-file", type=Path, help="write {pid, url} here once serving; removed on exit")
    serve.add_argument("--idle-exit", type=float, help="exit after this many seconds without a request")
    serve.add_argument("--export-dir", type=Path,
                       help="write each user's Extended Streaming History export (a year of listening before the "
                            "library's plays, then those) to DIR/<user>/ when that folder has none yet")
    serve.set_defaults(func=run_serve)

    generate = commands.add_parser("generate", help="write a generated library as JSON")
    _library_arguments(generate)
    generate.add_argument("--profile", choices=["devmode", "extended"], default="devmode")
    generate.add_argument("--out", type=Path, help="file to write (default: standard output)")
    generate.add_argument("--export-dir", type=Path,
                          help="also write each user's Extended Streaming History export of the library's plays to DIR/<user>/")
    generate.set_defaults(func=run_generate)


def _library_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, help="generate a library from this seed")
    parser.add_argument("--users", type=int, default=1)
    parser.add_argument("--liked", type=int, default=1000, help="liked songs per user")
    parser.add_argument("--playlists", type=int, default=10, help="playlists per user")


def choose_library(args: argparse.Namespace) -> Library:
    from sandbox.generator import demo_library, generate_library
    from sandbox.library import Library

    if args.library and (args.seed is not None or args.demo):
        raise SystemExit("mixtape sandbox serve: give --library, --seed or --demo, not several")
    if args.library:
        library = Library.model_validate_json(args.library.read_text())
    elif args.seed is not None:
        library = generate_library(args.seed, args.users, args.liked, args.playlists)
    else:
        library = demo_library()
    if args.profile:
        library.profile = args.profile
    return library


def export_lines(base_urls: dict[str, str]) -> str:
    """`export NAME=value` lines, quoted for a POSIX shell."""
    import shlex

    return "\n".join(f"export {name}={shlex.quote(value)}" for name, value in base_urls.items())


def run_serve(args: argparse.Namespace) -> int:
    import os
    import time

    from sandbox import announce, start_sandbox
    from sandbox.persist import save_state, start_resumed_sandbox

    options = dict(host=args.host, port=args.port, latency_ms=args.latency_ms, client_id=args.client_id,
                   client_secret=args.client_secret, quota_per_day=args.quota, rate_limit_per_30s=args.rate_limit)
    try:
        running = (start_resumed_sandbox(args.state, choose_library(args), **options) if args.state
                   else start_sandbox(choose_library(args), **options))
    except OSError:  # the port is taken: any free one
        if not args.port:
            raise
        options["port"] = 0
        running = (start_resumed_sandbox(args.state, choose_library(args), **options) if args.state
                   else start_sandbox(choose_library(args), **options))
    if args.export_dir:
        write_missing_exports(running.world.library, args.export_dir)
    print(export_lines(running.base_urls) if args.print_env else announce(running), flush=True)
    if args.server_file:
        args.server_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = args.server_file.with_suffix(".tmp")
        temporary.write_text(json.dumps({"pid": os.getpid(), "url": running.url}))
        temporary.replace(args.server_file)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    saved, seen, last_request = None, -1, time.monotonic()
    try:
        while not stopped.wait(0.5):
            total = running.sandbox.stats()["total"]
            if total != seen:
                seen, last_request = total, time.monotonic()
                if args.state:
                    saved = _save_if_changed(running, args.state, saved, save_state)
            elif args.idle_exit and time.monotonic() - last_request > args.idle_exit:
                break
            if args.server_file and not args.server_file.parent.exists():
                break  # its data directory was removed: nobody can find this sandbox any more
    except KeyboardInterrupt:
        pass
    finally:
        if args.state:
            _save_if_changed(running, args.state, saved, save_state)
        if args.server_file:
            try:
                if json.loads(args.server_file.read_text()).get("pid") == os.getpid():
                    args.server_file.unlink()
            except (OSError, ValueError):
                pass
        running.stop()
    return 0


def _save_if_changed(running, state_file: Path, saved, save_state):
    """Save the sandbox's state when its playlists changed since `saved`; the state now."""
    with running.sandbox.lock:
        now = (json.dumps(running.world.library.model_dump(mode="json"), sort_keys=True),
               dict(running.world.playlist_writes))
    if now != saved:
        save_state(running, state_file)
    return now


def run_generate(args: argparse.Namespace) -> int:
    from sandbox.generator import generate_library

    library = generate_library(args.seed if args.seed is not None else 1, args.users, args.liked, args.playlists, profile=args.profile)
    text = json.dumps(library.model_dump(mode="json"), ensure_ascii=False)
    if args.export_dir:
        write_missing_exports(library, args.export_dir)
    if args.out:
        args.out.write_text(text + "\n")
    else:
        sys.stdout.write(text + "\n")
    return 0


def write_missing_exports(library: Library, directory: Path) -> None:
    """Each user's export, with a year of history, in `directory/<user>/`, unless the folder has one."""
    from sandbox.plays import EXPORT_DAYS, write_export

    for user in library.plays:
        if not any((directory / user).glob("*")):
            write_export(library, user, directory / user, history_days=EXPORT_DAYS)
