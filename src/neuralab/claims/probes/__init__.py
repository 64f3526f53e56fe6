"""Claims about probes (one claim a file; see neuralab.claims.base for the API)."""
