"""`python -m bench`: see bench/runner.py and BENCHMARKS.md."""

import sys

from bench.runner import main

sys.exit(main())
