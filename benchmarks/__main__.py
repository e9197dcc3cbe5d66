"""``python -m benchmarks``: see :mod:`benchmarks.driver` and ``benchmarks/README.md``."""

import sys

from benchmarks.driver import main

sys.exit(main())
