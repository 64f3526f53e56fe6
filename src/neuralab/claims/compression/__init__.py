"""Claims about compression (one claim a file; see neuralab.claims.base for the API)."""
