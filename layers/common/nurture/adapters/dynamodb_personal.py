"""The send-time personalisation decisions on DynamoDB (docs/offers.md): one item per send,
``CONTACT#<contact_id>`` / ``PERSONAL#<enrolment id>#<step id>``, written once (``attribute_not_exists``)
and read back by a retry, a deferral and the reconciler's re-send. The decision is a JSON string
(``decision``): offers and recommendations are read whole, never queried.
"""

from __future__ import annotations

import json
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from nurture.adapters.dynamodb_errors import DependencyTable, error_code
from nurture.errors import DependencyUnavailable
from nurture.messaging.claims import SendKey
from nurture.messaging.personal import Personalisation

PERSONAL_PREFIX: Final = "PERSONAL#"
_WHAT: Final = "personalisation store"


def personal_key(key: SendKey) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"CONTACT#{key.contact_id}"}, "sk": {"S": f"{PERSONAL_PREFIX}{key.enrolment}#{key.step}"}}


class DynamoDbPersonalisations(DependencyTable):
    def __init__(self, table_name: str, client: Any) -> None:
        super().__init__(table_name, client, _WHAT)

    def get(self, key: SendKey) -> Personalisation | None:
        item = self._call("get_item", Key=personal_key(key), ConsistentRead=True).get("Item")
        return None if item is None else _decision(item)

    def put_first(self, key: SendKey, personal: Personalisation, *, at: str) -> Personalisation:
        item = {
            **personal_key(key),
            "journey": {"S": key.journey},
            "step": {"S": key.step},
            "enrolment": {"S": key.enrolment},
            "decision": {"S": json.dumps(personal.as_json(), sort_keys=True, separators=(",", ":"))},
            "at": {"S": at},
        }
        try:
            self._client.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(sk)")
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise DependencyUnavailable(_WHAT, str(exc)) from exc
            stored = self.get(key)  # an earlier attempt decided first: its decision stands
            if stored is None:
                raise DependencyUnavailable(_WHAT, "decision refused and not found") from exc
            return stored
        except BotoCoreError as exc:
            raise DependencyUnavailable(_WHAT, str(exc)) from exc
        return personal


def _decision(item: dict[str, Any]) -> Personalisation:
    return Personalisation.from_json(json.loads(item["decision"]["S"]))
