import sys

from atlas_cli.main import main

sys.exit(main())
