"""`python -m nurture`: the CLI, so the dev stack can start its parts with this interpreter."""

from nurture.cli.main import main

main()
