"""Weather along outdoor routes (Open-Meteo): the sync's weather pass and its pieces.

route.py (sampling, bearings, head/crosswind), hourly.py (between the hours, per-ride figures),
openmeteo.py (the HTTP API), backfill.py (the pass: what to fetch, in how few requests).
"""

from strava.weather.backfill import WeatherPass
from strava.weather.openmeteo import ATTRIBUTION, ATTRIBUTION_URL

__all__ = ["ATTRIBUTION", "ATTRIBUTION_URL", "WeatherPass"]
