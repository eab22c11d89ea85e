"""The action server: rasa_sdk's own, except that an action which fails tells the customer so
and ends the task (Rasa CALM's internal-error pattern), instead of leaving them with no reply.

    python -m actions.server --actions actions --port 5055
"""

import logging
from typing import Any

import rasa_sdk.__main__
import rasa_sdk.endpoint
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import ActionExecutor, ActionNotFoundException

from actions.common import clear_request_slots

logger = logging.getLogger(__name__)

APOLOGY = "抱歉，系统暂时出了点问题，这一步没有办成。请稍后再试，或者说“转人工”由人工客服为您处理。"


class ApologisingExecutor(ActionExecutor):
    async def run(self, action_call: Any) -> dict[str, Any] | None:
        try:
            return await super().run(action_call)
        except ActionNotFoundException:
            raise
        except Exception:
            logger.exception("action %s failed", action_call.get("next_action"))
            events = [ActiveLoop(None), SlotSet("requested_slot", None), *clear_request_slots()]
            return {"events": events, "responses": [{"text": APOLOGY}]}


if __name__ == "__main__":
    rasa_sdk.endpoint.ActionExecutor = ApologisingExecutor  # type: ignore[misc]  create_app builds its executor by this name
    rasa_sdk.__main__.main()
