"""Developer tools that are not part of the pyapp package (golden-output generation)."""
