"""Bounded input: the rule loader refuses YAML aliases and oversized files, and caps child playlists per user."""

from __future__ import annotations

import pytest

from assets.playlists.rules import RuleFileError, load_rules, parse_rules
from pipelines.cli import main

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
defaults: [{name: x, include: *i}]
"""


def test_nested_aliases_are_refused_before_they_expand(tmp_path, capsys):
    path = tmp_path / "laughs.yaml"
    path.write_text(BILLION_LAUGHS)
    assert len(BILLION_LAUGHS) < 1024
    with pytest.raises(RuleFileError) as raised:
        load_rules(path)
    [error] = raised.value.errors
    assert error.file == str(path) and error.line == 2 and "aliases are not allowed" in error.message
    assert main(["rules", "check", "--file", str(path)]) == 1
    assert f"{path}:2: <top>: YAML aliases are not allowed" in capsys.readouterr().err


def test_even_one_alias_is_refused():
    text = "defaults:\n  - &fresh {name: Fresh, source: liked}\n  - *fresh\n"
    with pytest.raises(RuleFileError, match=r"<rules>:3: .*aliases are not allowed.*'\*fresh'"):
        parse_rules(text)
    parse_rules("defaults:\n  - &fresh {name: Fresh, source: liked}\n")  # an anchor alone expands nothing


def test_a_file_over_the_size_limit_is_refused_without_being_parsed(tmp_path, capsys):
    path = tmp_path / "huge.yaml"
    line = "  - {name: 'child %06d', source: liked}\n"
    path.write_text("defaults:\n" + "".join(line % i for i in range(30_000)))
    assert path.stat().st_size > 1_000_000
    with pytest.raises(RuleFileError, match=r"huge.yaml: <top>: the rule file is 1,\d{3},\d{3} bytes, over the limit "
                                            r"of 1,000,000 bytes"):
        load_rules(path)
    assert main(["rules", "check", "--file", str(path)]) == 1
    assert "over the limit of 1,000,000 bytes" in capsys.readouterr().err
    small = tmp_path / "small.yaml"
    small.write_text("defaults:\n" + "".join(line % i for i in range(3)))
    with pytest.raises(RuleFileError, match="over the limit of 100 bytes"):
        load_rules(small, max_bytes=100)


def _many(count: int, indent: str = "  ") -> str:
    return "".join(f"{indent}- {{name: 'c{i}', source: liked}}\n" for i in range(count))


def test_child_playlists_beyond_the_cap_are_errors_naming_the_place():
    rules = parse_rules("defaults:\n" + _many(3) + "users:\n  bob:\n" + _many(4, "    ").replace("'c", "'b"),
                        "r.yaml", max_playlists=5)
    playlists, errors = rules.for_user("bob")
    assert [p.name for p in playlists] == ["c0", "c1", "c2", "b0", "b1"]
    assert [(e.line, e.path, e.playlist) for e in errors] == [(9, "users.bob[2].name", "b2"),
                                                             (10, "users.bob[3].name", "b3")]
    assert all("more than 5 child playlists for user 'bob'; this one is skipped" in e.message for e in errors)
    assert rules.for_user("alice") == (rules.defaults, [])


def test_a_list_far_over_the_cap_is_not_validated_item_by_item():
    rules = parse_rules("defaults:\n" + _many(5_000), "r.yaml", max_playlists=200)
    assert len(rules.defaults) == 200
    [error] = rules.errors
    assert (error.line, error.path) == (202, "defaults[200]")
    assert "5,000 child playlists in defaults, over the limit of 200" in error.message


def test_the_default_cap_is_200_per_user():
    playlists, errors = parse_rules("defaults:\n" + _many(150) + "users:\n  bob:\n" + _many(60, "    ")
                                    .replace("'c", "'b")).for_user("bob")
    assert len(playlists) == 200 and len(errors) == 10
