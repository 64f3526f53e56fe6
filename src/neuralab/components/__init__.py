"""Parts from the literature as small ``torch.nn`` modules, each registered by name.

Kinds registered here: ``activation``, ``norm``, ``init`` and the layers the models assemble.
Build one by name with :func:`neuralab.registry.create`, e.g. ``create("activation", "gelu")``.
"""
