"""The `nurture` command and the dev stack it launches: entry points, nothing imports them."""
