#!/usr/bin/env python3
"""Command-line entry for the log generator, which lives in the package
(``hyperban.bench.genlog``) so that installed users can benchmark too.

    python benches/genlog.py KIND --lines N --attack-ratio R --seed S [--out FILE]
"""

import sys

from hyperban.bench.genlog import main

if __name__ == "__main__":
    sys.exit(main())
