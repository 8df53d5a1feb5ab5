import sys

from strava.cli import main

sys.exit(main())
