"""What every package of healthlake shares, and nothing heavy: the standard library only.

`cli` (one command-line style), `errors` (the root of every error a user can fix), `paths` (the
repository root and the folders under it), `hashing` (the SHA-256 of a file) and `defaults` (the
default run size). The generators, the Iceberg and DuckDB layers, the scripts and the AWS stack
all import from here rather than from each other.
"""
