"""The `mixtape` command: what Dagster's own commands cannot do, and shortcuts."""

from __future__ import annotations

import argparse
import importlib
import sys

# Each command lives in pipelines/commands/<name>.py with `register(subparsers)`;
# `register` sets `func` on its parser. Imported lazily so `mixtape --help` stays fast.
COMMANDS = ["sandbox", "login", "status", "ui", "run", "sql", "rules", "demo"]
# Commands that never reach Spotify: they run in no world (no demo sandbox is started for them).
WORLDLESS = {"sandbox", "rules", "preview", "sql"}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of `command` alone when it names one: only its module is imported
    (`mixtape sql -c` answers without loading Dagster)."""
    parser = argparse.ArgumentParser(prog="mixtape", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in [command] if command in COMMANDS else COMMANDS:
        importlib.import_module(f"pipelines.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    from resources.environment import export_dotenv

    export_dotenv()  # as Dagster's own commands do: `.env` reaches the resources' EnvVars
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(next((a for a in argv if not a.startswith("-")), None)).parse_args(argv)
    if args.command not in WORLDLESS:
        from pipelines.resources import enter_world

        enter_world()  # the demo world's sandbox started or found, and said so in one line
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
