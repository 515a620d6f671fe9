"""What the Python client checks share: the demo's seed and how a check fails."""
import json
import os
import sys

# The releases `forgebridge demo` starts with, newest first (as both forges
# list them); the same data as the demo's seed in the gateway's source.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo_seed.json")) as f:
    SEED = json.load(f)


def checker(client):
    """A check(what, got, want) that ends the run, naming `client` and `what`."""

    def check(what, got, want):
        if got != want:
            sys.exit(f"{client}: {what}: got {got!r}, expected {want!r}")

    return check
