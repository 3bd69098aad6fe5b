"""Entry point for ``python -m bench.harness``."""

import sys

from bench.harness.cli import main

sys.exit(main())
