"""Landscape analyses: directions, interpolation, planes, paired perturbations, Hessian spectra."""
