"""Recurrent layers: LSTM and GRU cells, head-wise LSTM/GRU mixers, minGRU/minLSTM, HGRN and
HGRN2, RG-LRU (Hawk), RWKV time mixing and the gated linear RNN; the linear ones run on the shared
scan (:mod:`neuralab.components.scan`)."""
