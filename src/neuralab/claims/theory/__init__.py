"""Claims about theory (one claim a file; see neuralab.claims.base for the API)."""
