"""`python -m queue_server.cli`: the same as the `hallq` console script."""

import sys

from queue_server.cli.main import main

sys.exit(main())
