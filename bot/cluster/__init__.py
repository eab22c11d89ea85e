"""A cluster from real parts on this machine (`make serve-cluster`): a private PostgreSQL (tracker
store, call records, bank), a private Redis (Rasa's lock store), Rasa server replicas, action
servers and the web gateway, with HAProxy in front; all on loopback ports.

    postgres.py  a private PostgreSQL instance under var/cluster/
    redis_server.py  a private Redis instance (the lock store's)
    lock_store.py  Rasa's Redis lock store, each change of a lock atomic
    haproxy.py   HAProxy's configuration and its runtime (admin) socket
    topology.py  the parts started in order, with what the fault tests and `make bench-load` need
    __main__.py  `python -m bot.cluster serve`
"""
