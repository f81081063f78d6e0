"""``python -m gamedyn``: the same as the ``gamedyn`` command."""

import sys

from .cli import main

sys.exit(main())
