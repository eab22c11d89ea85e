"""The bot's words: domain responses filled with typed values, worded for each channel.

Rasa's templated generator, configured in bot/endpoints.yml (``nlg: type: bot.nlg.ChannelResponses``),
plus three things it lacks:

- typed values from the actions (``{"money": "8650.00"}``, see ``nlu.value_wording``) are
  written for screens and said for the ``voice`` channel, whose ``channel: voice`` variants
  are picked as usual;
- ``{"lines": [{"response": "utter_…", **values}, …]}`` fills a placeholder with one line per
  item, each a response of its own (a statement's transactions, one bill per product);
  ``"joined_by": "，"`` makes them one sentence;
- a question for a slot (``utter_ask_[<form>_]<slot>[_<variant>]``) says which slot it asks
  for as ``requested_slot``, and the action's values travel along as ``values``: the voice
  gateway picks its speech grammar and reads values from them, never from the reply's text.
"""

from typing import Any, Dict, Iterable, Optional, Text

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from nlu.value_wording import worded

VOICE_CHANNEL = "voice"
ASK_PREFIX = "utter_ask_"
# what Rasa passes on from an action's message besides the values it named
MESSAGE_FIELDS = {"text", "buttons", "elements", "custom", "template", "response", "image", "attachment"}


class ChannelResponses(TemplatedNaturalLanguageGenerator):
    # Rasa creates the generator before it loads the model and then sets only ``responses``
    # (rasa/core/agent.py), so slot and form names come from the tracker at run time.
    def __init__(self, endpoint_config: Any = None, domain: Optional[Domain] = None) -> None:
        super().__init__(domain.responses if domain else {})

    async def generate(
        self, utter_action: Text, tracker: DialogueStateTracker, output_channel: Text, **kwargs: Any
    ) -> Optional[Dict[Text, Any]]:
        message = self.generate_from_slots(utter_action, tracker.current_slot_values(), output_channel, **kwargs)
        slot = slot_asked_by(utter_action, tracker.slots, [tracker.active_loop_name or ""])
        if message is not None and slot:
            message["requested_slot"] = slot
        return message

    def generate_from_slots(
        self, utter_action: Text, filled_slots: Dict[Text, Any], output_channel: Text, **kwargs: Any
    ) -> Optional[Dict[Text, Any]]:
        said = output_channel == VOICE_CHANNEL
        values = {name: value for name, value in kwargs.items() if name not in MESSAGE_FIELDS}
        worded_values = {
            name: self._worded(value, filled_slots, output_channel, said) for name, value in values.items()
        }
        message = super().generate_from_slots(utter_action, filled_slots, output_channel, **worded_values)
        if message is not None and values:
            message["values"] = values
        return message

    def _worded(self, value: Any, filled_slots: Dict[Text, Any], output_channel: Text, said: bool) -> Any:
        if isinstance(value, dict) and "lines" in value and set(value) <= {"lines", "joined_by"}:
            lines = []
            for item in value["lines"]:
                item = dict(item)
                line = self.generate_from_slots(item.pop("response"), filled_slots, output_channel, **item)
                if line and line.get("text"):
                    lines.append(line["text"])
            return value.get("joined_by", "\n").join(lines)
        return worded(value, said)


def slot_asked_by(utter_action: Text, slot_names: Iterable[Text], form_names: Iterable[Text] = ()) -> Optional[Text]:
    """The slot a question asks for: utter_ask_[<form>_]<slot>[_<variant>], e.g.
    utter_ask_otp_code → otp_code, utter_ask_transfer_form_amount_for_recipient → amount."""
    if not utter_action.startswith(ASK_PREFIX):
        return None
    asked = utter_action[len(ASK_PREFIX) :]
    form = next((f for f in form_names if f and asked.startswith(f"{f}_")), None)
    asked = asked[len(form) + 1 :] if form else asked
    longest_first = sorted(slot_names, key=len, reverse=True)
    return next((s for s in longest_first if asked == s or asked.startswith(f"{s}_")), None)
