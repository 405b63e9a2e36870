"""moto's server, with DynamoDB requests handled one at a time.

moto applies the writes of a TransactWriteItems one by one and undoes a failed one by
restoring a copy of the whole table, so two transactions served at once can interleave and
undo each other's writes. DynamoDB itself isolates transactions, and the stores' concurrency
tests rely on that. One lock around every DynamoDB request gives moto the same isolation.

Usage is moto_server's: `python scripts/moto_server.py -H 127.0.0.1 -p 5005`.
"""

import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_lock = threading.Lock()
_call_action = DynamoHandler.call_action


def _serialised_call_action(self):
    with _lock:
        return _call_action(self)


DynamoHandler.call_action = _serialised_call_action

if __name__ == "__main__":
    main()
