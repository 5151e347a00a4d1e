"""``python -m srm_otel`` is the ``srm-otel`` command."""

import sys

from srm_otel.cli import main

sys.exit(main())
