"""Benchmark helpers shipped with the package: a seedable log generator
(:mod:`hyperban.bench.genlog`) and the matcher benchmark behind
``python -m hyperban bench``."""
