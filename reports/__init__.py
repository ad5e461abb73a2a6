"""Compliance evidence packs: the published compliance marts of one period, as files an auditor can check.

A pack holds, per control, the rows behind its figures and the exact SQL that produced them, a summary, and a
signed manifest of every file's hash and of the publication it was computed from; ``verify`` checks the hashes,
the signature, and re-runs the SQL.
"""
