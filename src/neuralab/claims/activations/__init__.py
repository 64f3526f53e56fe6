"""Claims about activations (one claim a file; see neuralab.claims.base for the API)."""
