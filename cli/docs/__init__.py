"""Reference documents generated from the code: the contracts and the metric definitions."""
