"""A local stand-in for Strava's API (demo, tests, benchmark). Never imported by the product's runtime path."""

from strava.simulator.data import generate_activities, generate_athlete
from strava.simulator.server import StravaSimulator

__all__ = ["StravaSimulator", "generate_activities", "generate_athlete"]
