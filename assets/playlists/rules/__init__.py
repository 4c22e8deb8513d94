"""The child-playlist rule language: validated YAML rules compiled to Polars and evaluated per user."""

from .errors import RuleError, RuleFileError
from .evaluator import Evaluation, evaluate
from .features import FEATURES_SCHEMA, conform, features_frame
from .fields import ALL_FIELDS, DEVMODE_MISSING, FIELDS, OPERATORS, available_fields
from .loader import RuleSet, load_rules, parse_rules
from .model import ChildPlaylist, json_schema, write_json_schema

__all__ = ["ALL_FIELDS", "ChildPlaylist", "DEVMODE_MISSING", "Evaluation", "FEATURES_SCHEMA", "FIELDS", "OPERATORS",
           "RuleError", "RuleFileError", "RuleSet", "available_fields", "conform", "evaluate", "features_frame", "json_schema",
           "load_rules", "parse_rules", "write_json_schema"]
