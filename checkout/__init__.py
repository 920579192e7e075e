"""The guest checkout-complete page and account registration."""
