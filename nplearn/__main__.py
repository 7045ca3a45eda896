"""``python -m nplearn``: the same as the ``nplearn`` command (see :mod:`nplearn.cli`)."""
import sys

from .cli import main

sys.exit(main())
