"""Recipes: one module per experiment of the paper, composed from the library."""
