"""State-space and diagonal linear recurrent layers: LRU, the diagonal linear RNN with a [-1, 1]
eigenvalue option, the Linear State-Space Layer (HiPPO) and the diagonal SSM (S4D), each with a
recurrent form and a parallel (scan or convolution) form."""
