"""One package per area (``bp`` + ``register(app)``); ``portal.areas.AREAS`` lists them."""
