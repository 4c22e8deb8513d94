"""The progress helper, pure: what it tells and when, on a clock the test moves (no sleeping)."""

from assets.progress import Progress, Reading, counted, duration, line, parse


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def watched(total: int, every: float = 5.0) -> tuple[Progress, Clock, list[str]]:
    clock, lines = Clock(), []
    return Progress("lookups of lastfm", total, "lookups", lines.append, every=every, clock=clock), clock, lines


def test_a_line_at_most_every_interval_with_done_total_rate_and_time_left():
    progress, clock, lines = watched(100)
    for _ in range(10):
        clock.now += 1.0
        progress.advance()
    assert lines == ["lookups of lastfm: 5/100 lookups (5%), 1.0 lookups/s, about 1 min 35 s left",
                     "lookups of lastfm: 10/100 lookups (10%), 1.0 lookups/s, about 1 min 30 s left"]


def test_steps_faster_than_the_interval_say_nothing_until_it_passes():
    progress, clock, lines = watched(1000)
    for _ in range(40):
        clock.now += 0.1
        progress.advance()
    assert len(lines) == 0
    clock.now += 1.1
    progress.advance()
    assert lines == ["lookups of lastfm: 41/1000 lookups (4%), 8.0 lookups/s, about 1 min 59 s left"]


def test_the_last_step_always_tells_that_the_work_is_done():
    progress, clock, lines = watched(3)
    for _ in range(3):
        clock.now += 0.5
        progress.advance()
    assert lines == ["lookups of lastfm: 3/3 lookups, done in 2 s"]


def test_a_total_learnt_while_working_replaces_the_first_guess():
    progress, clock, lines = watched(0, every=0)
    clock.now += 2
    progress.advance(total=4)
    progress.advance(2)
    clock.now += 2
    progress.advance(total=4)
    assert lines == ["lookups of lastfm: 1/4 lookups (25%), 0.5 lookups/s, about 6 s left",
                     "lookups of lastfm: 3/4 lookups (75%), 1.5 lookups/s, about 1 s left",
                     "lookups of lastfm: 4/4 lookups, done in 4 s"]


def test_no_time_passed_gives_no_estimate():
    assert line("push of alice", 1, 4, "playlists", 0.0) == \
        "push of alice: 1/4 playlists (25%), 0.0 playlists/s, time left not known yet"


def test_over_counts_every_item_even_those_skipped_with_continue():
    clock, lines = Clock(), []
    progress = Progress("push of alice", 4, "playlists", lines.append, every=60, clock=clock)
    pushed = []
    for child in progress.over(["a", "skip", "b", "c"]):
        clock.now += 10
        if child == "skip":
            continue
        pushed.append(child)
    assert pushed == ["a", "b", "c"]
    assert lines == ["push of alice: 4/4 playlists, done in 40 s"]


def test_counted_knows_the_total_from_the_items():
    lines = []
    assert list(counted({"a": 1, "b": 2}.items(), "push of alice", "playlists", lines.append)) == [("a", 1), ("b", 2)]
    assert parse(lines[-1]) == Reading("push of alice", 2, 2, "playlists")


def test_nothing_to_do_says_nothing():
    lines = []
    assert list(counted([], "push of alice", "playlists", lines.append)) == []
    assert lines == []


def test_parse_reads_back_every_line_and_nothing_else():
    assert parse(line("enrichment deezer_tracks", 7, 20, "lookups", 3.5)) == \
        Reading("enrichment deezer_tracks", 7, 20, "lookups")
    assert parse(line("liked songs of bob", 20, 20, "pages", 3.5)) == Reading("liked songs of bob", 20, 20, "pages")
    assert parse("playlist items of alice: 2 playlists to finish; stopped: budget") is None
    assert parse("ratio: 3/4 lookups") is None


def test_durations_read_like_a_person_would_say_them():
    assert [duration(s) for s in (0.4, 59.4, 60, 125, 3599, 3600, 7380)] == \
        ["0 s", "59 s", "1 min 00 s", "2 min 05 s", "59 min 59 s", "1 h 00 min", "2 h 03 min"]
