"""TAP output for the Python host tests (test_runner.py, test_labs.py):
ok() prints one numbered result, plan() the closing plan line and the
exit status (0 only if every result was ok)."""

COUNT = 0
FAILED = 0


def ok(cond, desc, diag=""):
    """Print "ok N - desc" or "not ok N - desc" and, on failure, diag as
    TAP comment lines. Returns cond."""
    global COUNT, FAILED
    COUNT += 1
    if not cond:
        FAILED += 1
    print("%sok %d - %s" % ("" if cond else "not ", COUNT, desc))
    if not cond and diag:
        print("#   " + str(diag).replace("\n", "\n#   "))
    return cond


def plan():
    """Print the plan (1..N, after the results) and return the exit
    status."""
    print("1..%d" % COUNT)
    return 1 if FAILED else 0
