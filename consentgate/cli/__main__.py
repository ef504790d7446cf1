"""``python -m consentgate.cli``: the same as the ``consentgate`` command."""

import sys

from .main import main

sys.exit(main())
