"""``python -m captum_genomics``: the ``captum-genomics`` command."""

import sys

from captum_genomics.cli import main

sys.exit(main())
