"""Rasa's Redis lock store with every change of a conversation's lock made atomically.

Rasa 3.6's ``RedisLockStore`` changes a lock by reading it, changing it in the process and writing it
back (GET, then SET). Two replicas doing that at once lose one change: both take ticket 0 of a new
conversation and both go ahead — two replicas on one conversation, and one turn's events overwritten
(seen: the cluster's lock test lost the first of ten simultaneous messages, answered but not
stored); or a finished ticket comes back and everyone after it waits for it to expire; or the lock is
deleted under a customer who just took a ticket. Here each read-change-write is one Redis
transaction (WATCH the key, MULTI/EXEC the write, again if the key changed in between).
"""

import json
from typing import Any, Callable, Optional, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

TYPE_PATH = "bot.cluster.lock_store.AtomicRedisLockStore"

# A change: the lock as stored (None: there is none) → (what to return, the lock to store; None: delete it)
Change = Callable[[Optional[TicketLock]], Tuple[Any, Optional[TicketLock]]]


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:  # how Rasa makes a lock store named by its path
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    def _change(self, conversation_id: str, change: Change) -> Any:
        key = self.key_prefix + conversation_id

        def transaction(pipe: Any) -> Any:
            stored = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(stored)) if stored else None
            result, changed = change(lock)
            pipe.multi()
            if changed is None:
                pipe.delete(key)
            else:
                pipe.set(key, changed.dumps())
            return result

        return self.red.transaction(transaction, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def take(lock: Optional[TicketLock]) -> Tuple[int, TicketLock]:
            lock = lock or self.create_lock(conversation_id)
            return lock.issue_ticket(lock_lifetime), lock

        try:
            return self._change(conversation_id, take)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock is not None:
                lock.remove_expired_tickets()
            return None, lock

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return None, lock

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """The ticket finished, and the lock deleted if no one else holds a ticket: in one step, so a
        ticket taken in between is never deleted with it."""

        def finish(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
                if not lock.is_someone_waiting():
                    lock = None
            return None, lock

        self._change(conversation_id, finish)
