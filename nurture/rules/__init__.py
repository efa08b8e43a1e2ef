"""Pure domain rules shared by workflows, activities, the API and the CLI: no I/O, no Temporal."""
