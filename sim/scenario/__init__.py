"""Scenario files: the typed schema, safe YAML reading and loading with ``extends``."""

from .load import load
from .schema import Level, Scenario, State
from .yamlio import InputError, Problem

__all__ = ["InputError", "Level", "Problem", "Scenario", "State", "load"]
