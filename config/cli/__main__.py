"""``python -m config.cli``: the ``hall`` command."""

import sys

from config.cli import main

sys.exit(main())
