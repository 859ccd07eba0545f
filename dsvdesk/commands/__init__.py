"""Sub-commands of ``dsvdesk``: one module per area, each with ``register(subparsers)``."""
