#!/bin/bash
# Runs tools/spec_check.py on SPEC.md and the test sources (see BUILD.bazel).
exec /usr/bin/python3 "$@"
