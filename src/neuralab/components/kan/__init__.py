"""Kolmogorov-Arnold layers: B-spline KAN with grid extension, and the selectable-space variant."""

from neuralab.components.kan.bspline import bspline_basis, fit_coefficients, uniform_knots
from neuralab.components.kan.kan_layer import KANLinear
from neuralab.components.kan.selectable import SPACES, SelectableKANLinear, space_features

__all__ = ["SPACES", "KANLinear", "SelectableKANLinear", "bspline_basis", "fit_coefficients",
           "space_features", "uniform_knots"]
