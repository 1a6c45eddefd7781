# Host test of the test runner's per-suite machine settings
# (tests/host/test_runner.py, Python 3 standard library, TAP). Included by
# tests/tests.mk; the script is its own binary, nothing to build.
HOST_TESTS += tests/host/test_runner.py
