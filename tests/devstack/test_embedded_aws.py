"""The embedded AWS (moto, made lean): a failed DynamoDB transaction still changes nothing,
and transactions leave no copies of their tables behind (what made ``make run`` grow)."""

from __future__ import annotations

import gc

import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models.table import Table

from chalicelib.adapters import aws as aws_clients


@pytest.fixture
def ddb(aws):
    client = aws_clients.client("dynamodb")
    client.create_table(TableName="tx", BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}])
    client.create_table(TableName="flat", BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    for sk in ("a", "b", "d"):
        client.put_item(TableName="tx", Item={"pk": {"S": "t"}, "sk": {"S": sk},
                                              "n": {"N": "0"}, "tags": {"L": [{"S": "x"}]}})
    client.put_item(TableName="flat", Item={"pk": {"S": "counter"}, "n": {"N": "0"}})
    return client


def _items(client, table="tx") -> dict[str, dict]:
    return {i.get("sk", i["pk"])["S"]: i for i in client.scan(TableName=table)["Items"]}


def _transaction(fail: bool) -> list[dict]:
    key = {"pk": {"S": "t"}}
    return [
        {"Update": {"TableName": "tx", "Key": {**key, "sk": {"S": "a"}},
                    "UpdateExpression": "SET n = n + :one, tags = list_append(tags, :more)",
                    "ExpressionAttributeValues": {":one": {"N": "1"},
                                                  ":more": {"L": [{"S": "y"}]}}}},
        {"Put": {"TableName": "tx", "Item": {**key, "sk": {"S": "c"}, "n": {"N": "7"}}}},
        {"Delete": {"TableName": "tx", "Key": {**key, "sk": {"S": "b"}}}},
        {"Update": {"TableName": "flat", "Key": {"pk": {"S": "counter"}},
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"ConditionCheck": {"TableName": "tx", "Key": {**key, "sk": {"S": "d"}},
                            "ConditionExpression": "attribute_not_exists(pk)" if fail
                            else "attribute_exists(pk)"}},
    ]


def test_a_failed_transaction_changes_nothing(ddb):
    before, flat_before = _items(ddb), _items(ddb, "flat")
    with pytest.raises(ClientError) as failed:
        ddb.transact_write_items(TransactItems=_transaction(fail=True))
    assert failed.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _items(ddb) == before  # the in-place update of "a" is undone too
    assert _items(ddb, "flat") == flat_before


def test_a_transaction_that_holds_applies_every_write(ddb):
    ddb.transact_write_items(TransactItems=_transaction(fail=False))
    items = _items(ddb)
    assert set(items) == {"a", "c", "d"}
    assert items["a"]["n"] == {"N": "1"} and items["a"]["tags"]["L"] == [{"S": "x"}, {"S": "y"}]
    assert _items(ddb, "flat")["counter"]["n"] == {"N": "1"}
    with pytest.raises(ClientError):  # and a later failure rolls back to this state
        ddb.transact_write_items(TransactItems=_transaction(fail=True))
    assert _items(ddb) == items


def test_transactions_leave_no_copies_of_their_tables_behind(ddb):
    for n in range(20):
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "tx", "Item": {
            "pk": {"S": "t"}, "sk": {"S": f"m{n}"}}}}])
        with pytest.raises(ClientError):
            ddb.transact_write_items(TransactItems=_transaction(fail=True))
    gc.collect()
    alive = [o for o in gc.get_objects() if isinstance(o, Table) and o.name == "tx"]
    assert len(alive) == 1
    assert Table.instances_tracked == []  # nothing kept for moto's dashboard
