"""The settings of the benchmarks' own server (bench_answering.py starts gunicorn with them): the project's, with
the bench routes added to its own."""

from qms.settings import *  # noqa: F403 - every setting as the project has it

ROOT_URLCONF = "tests.bench.urls"
