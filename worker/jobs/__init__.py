"""Job functions: small, idempotent, taking ids; run inside the app context the worker pushed."""
