"""bot.cluster.lock_store against a real Redis: one conversation's lock, changed by many replicas at once,
keeps every change — each message gets its own ticket, and only one at a time holds the lock."""

import asyncio
import shutil
import threading
import uuid

import pytest
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.cluster.lock_store import TYPE_PATH, AtomicRedisLockStore
from bot.cluster.redis_server import Redis
from bot.processes import ProcessGroup, free_port

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="Debian's redis-server not installed (make cluster-packages)"
)
REPLICAS = 8


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    server = Redis(tmp_path_factory.mktemp("redis"), free_port())
    with ProcessGroup() as group:
        server.start(group)
        yield server


def replica(redis: Redis) -> AtomicRedisLockStore:
    """A lock store as Rasa makes one from the cluster's endpoints: its own connection to Redis."""
    config = redis.lock_store_config()
    assert config["type"] == TYPE_PATH
    return AtomicRedisLockStore(EndpointConfig.from_dict(config))


def all_at_once(work, count: int = REPLICAS) -> list:
    start, results = threading.Barrier(count), [None] * count

    def run(index: int) -> None:
        start.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_rasa_loads_it_from_the_cluster_endpoints(redis):
    from rasa.core.lock_store import LockStore

    store = LockStore.create(EndpointConfig.from_dict(redis.lock_store_config()))
    assert isinstance(store, AtomicRedisLockStore)
    assert store.red.ping()


def test_replicas_taking_tickets_for_a_new_conversation_at_once_each_get_their_own(redis):
    stores = [replica(redis) for _ in range(REPLICAS)]
    for _round in range(20):
        conversation = uuid.uuid4().hex
        tickets = all_at_once(lambda i, c=conversation: stores[i].issue_ticket(c, 60))
        assert sorted(tickets) == list(range(REPLICAS))


def test_a_lock_changed_between_reading_and_writing_is_read_again(redis):
    """Another replica takes a ticket after this one read the lock: the write is refused and redone."""
    store, other = replica(redis), replica(redis)
    conversation, seen = uuid.uuid4().hex, []

    def take(lock):
        seen.append(None if lock is None else lock.last_issued)
        if len(seen) == 1:
            other.issue_ticket(conversation, 60)
        lock = lock or store.create_lock(conversation)
        return lock.issue_ticket(60), lock

    assert store._change(conversation, take) == 1
    assert seen == [None, 0]
    assert [t.number for t in store.get_lock(conversation).tickets] == [0, 1]


def test_one_replica_at_a_time_holds_a_conversation(redis):
    """Messages of one conversation on many replicas: inside the lock, never two at once, and every
    one gets its turn (each ticket finished and the lock gone at the end)."""
    stores = [replica(redis) for _ in range(REPLICAS)]
    conversation, inside, most, served = uuid.uuid4().hex, [0], [0], []
    guard = threading.Lock()

    async def turn(store: RedisLockStore, index: int) -> None:
        for _message in range(3):
            async with store.lock(conversation, 60, wait_time_in_seconds=0.01):
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                await asyncio.sleep(0.005)
                with guard:
                    inside[0] -= 1
                    served.append(index)

    all_at_once(lambda i: asyncio.run(turn(stores[i], i)))
    assert most[0] == 1, "two replicas held the conversation at once"
    assert sorted(served) == sorted(list(range(REPLICAS)) * 3)
    assert stores[0].get_lock(conversation) is None
