"""Business rules, one module per area.  Services flush, never commit."""
