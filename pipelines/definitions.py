"""The mixtape code location: composition only."""

import dagster as dg

from assets import enrichment, listening, marts, ops, playlists, report, spotify
from pipelines.jobs import JOBS
from pipelines.resources import world_resources
from pipelines.schedules import SCHEDULES
from pipelines.sensors import SENSORS

defs = dg.Definitions.merge(
    spotify.defs, listening.defs, enrichment.defs, playlists.defs, marts.defs, report.defs, ops.defs,
    dg.Definitions(jobs=JOBS, sensors=SENSORS, schedules=SCHEDULES, resources=world_resources(), executor=dg.in_process_executor),
)
