"""Where the child-playlist rule file is: a resource, so its path is configured with the others
(`MIXTAPE_RULES` in `pipelines/resources.py`) and never read from the environment inside an asset."""

import dagster as dg
from pydantic import Field

from resources.settings import RULES_FILE

MAX_BYTES = 1_000_000  # as assets/playlists/rules/loader.py (resources import no assets)
MAX_CHILD_PLAYLISTS = 200


class RuleFile(dg.ConfigurableResource):
    """The YAML file that defines the child playlists, and the bounds it must stay within."""

    path: str = Field(default=RULES_FILE, description="the rule file, relative to the working directory")
    max_bytes: int = Field(default=MAX_BYTES, description="a bigger rule file is refused unread")
    max_child_playlists: int = Field(default=MAX_CHILD_PLAYLISTS, description="child playlists per user; the "
                                     "ones beyond are reported as errors and not built")
