"""Memory and associative layers: modern Hopfield layers (Hopfield, HopfieldPooling,
HopfieldLayer), the end-to-end memory network's hops, and the discrete key-value bottleneck."""
