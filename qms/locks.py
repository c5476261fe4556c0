"""A lock held until the end of the current transaction, for a check that must see every concurrent write it
guards: count the recent submissions, then add one; see that a job is waiting, then run it.

Without one, concurrent requests each check before any of them has committed, and all pass (twelve posts from one
address at once let all twelve through a limit of five). Requests that take the same lock run the check and the
write one after another; each check is a new statement, so under READ COMMITTED (PostgreSQL's default, and ours)
it sees what the one before committed.
"""

from django.db import connection


def transaction_lock(namespace: str, key: str) -> None:
    """Hold the lock (namespace, key) until the current transaction ends; wait while another holds it.

    PostgreSQL: a transaction-scoped advisory lock on the two names' hashes (a collision only makes two unrelated
    checks wait for each other). SQLite: nothing to take, because our transactions are IMMEDIATE (settings), so
    the transaction already holds the database's single write lock.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("transaction_lock() is held until the transaction ends: call it inside one")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s), hashtext(%s))", [namespace, key])
