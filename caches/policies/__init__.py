"""Replacement policies, one per module in this folder, each registered by name in POLICIES
(the only list of policy names). Contract: caches/replacement.pxd; rules: docs/caches.md."""
from cyclesim.registry import Registry

POLICIES = Registry("replacement policy", package="caches.policies")
