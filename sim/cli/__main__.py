"""``python -m sim.cli``: the ``chipsim`` command line."""

import sys

from sim.cli import main

sys.exit(main())
