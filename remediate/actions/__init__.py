"""Operation → action: each fix operation applied through its official client (REST).

Like Cloud Custodian's actions, each is registered per operation as data (the inventory
section it changes, the IAM permissions it needs) over a function that reads the resource
first and writes only when the read state still deviates, so applying twice changes nothing.
"""

from mobius_gate.remediate.actions import infra, run  # noqa: F401  (register the actions)
from mobius_gate.remediate.actions.base import ACTIONS, Action, ApplyContext, Outcome, UpdateConflict

__all__ = ["ACTIONS", "Action", "ApplyContext", "Outcome", "UpdateConflict"]
