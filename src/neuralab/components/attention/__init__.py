"""Sequence mixers, registered under kind ``"mixer"``.

A mixer factory has the signature ``(d_model, n_heads, causal, *, hyper-parameters)`` and returns
a module mapping ``(B, T, d_model)`` to ``(B, T, d_model)``; the transformer block takes any of
them by name.
"""
