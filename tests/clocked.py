"""A movable test clock and the Spotify resource running on it, for tests that step through days."""

import time

import dagster as dg

from resources.spotify import SpotifyResource


class MovableClock:
    """Wall time plus an offset that tests move (together with the sandbox's clock)."""

    offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


CLOCK = MovableClock()


class ClockedSpotify(SpotifyResource):
    """The Spotify resource on the test clock (Dagster rebuilds resources, so it is set at setup)."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        super().setup_for_execution(context)
        self._clock = CLOCK
