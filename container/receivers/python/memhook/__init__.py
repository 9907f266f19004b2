"""memhook's receiver library: the events memhook posts (Standard Webhooks) or streams (/events),
verified, deduplicated, in seq order, to handlers named as Satella names them.

    from memhook import Receiver
    rx = Receiver(secrets=["whsec_..."])

    @rx.register_on_entered_severity(2)
    def shed():
        cache.clear()

    rx.serve("127.0.0.1", 8080)
"""
from .event import KINDS, Event, Registration
from .helpers import collect_and_trim, malloc_trim
from .order import Gap
from .receiver import Receiver, Result
from .verify import parse_secrets, sign, verify

import logging

logging.getLogger("memhook").addHandler(logging.NullHandler())   # the app decides

__version__ = "0.1.0"
__all__ = ["Receiver", "Result", "Event", "Gap", "Registration", "KINDS", "collect_and_trim",
           "malloc_trim", "parse_secrets", "sign", "verify"]
