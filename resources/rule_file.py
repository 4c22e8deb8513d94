"""Where the child-playlist rule file is: a resource, so its path is configured with the others
(`MIXTAPE_RULES` in `pipelines/resources.py`) and never read from the environment inside an asset."""

import dagster as dg
from pydantic import Field

from resources.settings import RULES_FILE


class RuleFile(dg.ConfigurableResource):
    """The YAML file that defines the child playlists."""

    path: str = Field(default=RULES_FILE, description="the rule file, relative to the working directory")
