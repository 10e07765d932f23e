"""Vigil benchmark runner (bench/run.py): suites, the processes they start, the summary."""
