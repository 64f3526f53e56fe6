"""Claims about architectures (one claim a file; see neuralab.claims.base for the API)."""
