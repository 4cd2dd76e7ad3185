"""``python -m config.cli``: the ``hall`` command."""

import sys

from config.cli import main

if __name__ == "__main__":  # not when a spawned process (the statistics worker) imports it again
    sys.exit(main())
