"""Listening: what the user plays, not only what they keep. Each module of the domain defines its own
`defs`; importing it here is all it takes to join (every imported module with `defs` is collected)."""

from types import ModuleType

import dagster as dg

from assets.listening import plays, top_albums, top_items

defs = dg.Definitions.merge(*(module.defs for module in dict(globals()).values()
                              if isinstance(module, ModuleType) and isinstance(getattr(module, "defs", None), dg.Definitions)))
