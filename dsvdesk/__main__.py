import sys

from dsvdesk.cli import main

sys.exit(main())
