import sys

from cyclesim.cli import main

sys.exit(main())
