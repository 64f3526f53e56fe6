"""Claims about normalization (one claim a file; see neuralab.claims.base for the API)."""
