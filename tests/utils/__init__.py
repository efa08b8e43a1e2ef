"""What tests share: the real stack, HTTP helpers, a browser, factories, a pinned clock."""
