"""Signals the accounts layer sends to higher layers (subscribed in learning/wiring.py)."""

from blinker import Namespace

_signals = Namespace()

# sender: "accounts"; kwargs: user_ids (list of int), now — these officials were created, or
# their department, job title or activity changed: campaigns that cover them follow.
officials_placed = _signals.signal("officials_placed")
