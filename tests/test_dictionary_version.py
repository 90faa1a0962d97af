"""The search dictionary's fingerprint (migration 0024): one row that every write to the actors,
their aliases or the glossary changes, read by every search instead of counting those tables."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection, transaction

from archive.indexing import dictionary_fingerprint, dictionary_fingerprint_sql
from archive.models import Actor, ActorAlias, GlossaryTerm

DICTIONARY_TABLES = ("archive_actor", "archive_actoralias", "archive_glossaryterm")


def make_actor(slug: str = "port-authority") -> Actor:
    actor = Actor.objects.create(kind="organisation", name="Port Authority", slug=slug)
    actor.name_en, actor.name_zh_hans = "Port Authority", "港务局"
    actor.save()
    return actor


def writes():
    """Each kind of write to each table, one at a time."""
    actor = make_actor()
    yield "actor created"
    actor.name_en = "The Port Authority"
    actor.save()
    yield "actor changed"
    alias = ActorAlias.objects.create(actor=actor, language="en", text="PA", script="latin")
    yield "alias created"
    alias.text = "P.A."
    alias.save()
    yield "alias changed"
    alias.delete()
    yield "alias deleted"
    term = GlossaryTerm.objects.create(zh="港务局", en="port authority")
    yield "term created"
    GlossaryTerm.objects.filter(pk=term.pk).update(note="fixed rendering")
    yield "term changed (a queryset's update)"
    term.delete()
    yield "term deleted"
    actor.delete()
    yield "actor deleted"


@pytest.mark.django_db(transaction=True)
def test_every_committed_write_to_the_register_or_glossary_changes_the_fingerprint():
    seen = [dictionary_fingerprint()]
    assert dictionary_fingerprint() == seen[0]  # reading changes nothing
    for what in writes():  # each a transaction of its own (autocommit)
        now = dictionary_fingerprint()
        assert now not in seen, what
        seen.append(now)
        assert dictionary_fingerprint() == now, what
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(DICTIONARY_TABLES)} CASCADE")
    assert dictionary_fingerprint() not in seen


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_leaves_the_fingerprint_as_it_was():
    before = dictionary_fingerprint()
    with transaction.atomic():
        make_actor()
        assert dictionary_fingerprint() != before
        transaction.set_rollback(True)
    assert dictionary_fingerprint() == before


@pytest.mark.django_db
def test_each_write_changes_it_inside_the_writing_transaction_too():
    """The row changes once a transaction; the transaction that wrote it, which may write again
    and read the register in between (an import of actors), counts its writes too."""
    seen = [dictionary_fingerprint()]
    for what in writes():  # all in the test's one transaction
        now = dictionary_fingerprint()
        assert now not in seen, what
        seen.append(now)


@pytest.mark.django_db(transaction=True)
def test_the_fingerprint_reads_one_row_not_the_tables():
    """The register's tables are not read at all (counting them was ~10 ms a search for 10,000
    actors with 30,000 aliases): in a transaction that wrote to them neither."""
    for i in range(3):
        make_actor(f"actor-{i}")

    def relations() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {dictionary_fingerprint_sql()}")
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan

        def nodes(node):
            yield node
            for child in node.get("Plans", []):
                yield from nodes(child)

        return {node.get("Relation Name") for node in nodes(plan[0]["Plan"])} - {None}

    assert relations() == {"yiwen_dictionary_version"}
    with transaction.atomic():
        make_actor("actor-3")
        assert relations() == {"yiwen_dictionary_version"}


@pytest.mark.django_db(transaction=True)
def test_two_editors_writing_the_same_actors_wait_for_each_other_without_a_deadlock():
    """The trigger takes the version row's lock before the statement locks any row of its own:
    a second writer waits there, holding nothing the first may need. (Taken after the
    statement, the second would hold actor B while waiting, and the first, going on to B,
    would close a cycle: a deadlock, one editor's save refused.)"""
    a, b = make_actor("actor-a"), make_actor("actor-b")
    second_pid: list[int] = []
    errors: list[BaseException] = []
    go = threading.Event()

    def second_writer():  # on a connection of its own (Django's, for this thread)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                second_pid.append(cursor.fetchone()[0])
                go.set()
                cursor.execute("UPDATE archive_actor SET name = 'B2' WHERE id = %s", [b.pk])
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            go.set()
            connection.close()

    thread = threading.Thread(target=second_writer)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE archive_actor SET name = 'A1' WHERE id = %s", [a.pk])
        thread.start()
        go.wait(10)
        for _ in range(1000):  # until the second writer waits for a lock
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", second_pid
            )
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.01)
        else:
            pytest.fail(f"the second writer never waited ({errors})")
        cursor.execute("UPDATE archive_actor SET name = 'B1' WHERE id = %s", [b.pk])
    thread.join(10)
    assert not thread.is_alive() and not errors, errors
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM archive_actor WHERE id IN (%s, %s) ORDER BY id", [a.pk, b.pk]
        )
        names = [name for (name,) in cursor.fetchall()]
    assert names == ["A1", "B2"]  # the second writer's update came after the first's
