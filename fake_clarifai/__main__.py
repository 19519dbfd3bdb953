import sys

from fake_clarifai.cli import main

sys.exit(main())
