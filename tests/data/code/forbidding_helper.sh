#!/bin/sh
# Stands in for aha-sandbox on a host that forbids namespaces (tests/verifiers/code_verify_test.cpp): it
# reports the failure a real helper gets from clone() there.
echo "error clone into new namespaces (user, pid, mount, net, ipc, uts): Operation not permitted" >&3
