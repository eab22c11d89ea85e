"""Writes bot/data/rules.yml: every form gets the same activation, submit, cancel,
hand-off and digression rules, so they are generated instead of copied by hand.

    .venv/bin/python -m bot.rules > bot/data/rules.yml

tests/bot/test_rules.py fails when the committed file is out of date.
"""

from actions.fallback import OFFERS
from actions.tasks import TASK_NAMES as TASK_FORMS

# intent that starts the form, form, action that answers once the form is complete
FORMS = [
    ("check_balance", "balance_form", "action_show_balance"),
    ("query_bill", "bill_form", "action_show_bill"),
    ("query_transactions", "transactions_form", "action_show_transactions"),
    ("query_credit_limit", "credit_limit_form", "action_show_credit_limit"),
    ("raise_credit_limit", "raise_limit_form", "action_raise_credit_limit"),
    ("query_loan_status", "loan_status_form", "action_show_loan_status"),
    ("repay", "repay_form", "action_submit_repay"),
    ("installment", "installment_form", "action_submit_installment"),
    ("transfer_money", "transfer_form", "action_submit_transfer"),
    ("report_card_loss", "card_loss_form", "action_submit_card_loss"),
    ("report_fraud", "fraud_form", "action_submit_fraud"),
    ("apply_loan", "loan_form", "action_submit_loan"),
]

# trigger intents of tasks: said inside another task's form, they suspend it (actions/tasks.py)
TASK_INTENTS = [intent for intent, form, _ in FORMS if form in TASK_FORMS]

# said in the middle of a form: answered, then the form asks its question again
DIGRESSIONS = [
    ("faq", ["action_answer_faq"]),
    ("bot_challenge", ["utter_iamabot"]),
    ("out_of_scope", ["utter_out_of_scope"]),
    ("nlu_fallback", ["action_clarify"]),
    ("greet", ["utter_greet_in_task"]),
    ("thank", ["utter_you_are_welcome_in_task"]),
    ("reset_password", ["utter_reset_password"]),
    ("change_phone", ["utter_change_phone"]),
    ("buy_fund", ["utter_fund_service"]),
    ("redeem_fund", ["utter_fund_service"]),
    ("check_balance", ["action_show_balance"]),
    ("query_bill", ["action_show_bill"]),
    ("query_transactions", ["action_show_transactions"]),
    ("query_credit_limit", ["action_show_credit_limit"]),
    ("query_loan_status", ["action_show_loan_status"]),
]

# intents answered outside forms
ANSWERS = [
    ("greet", ["utter_greet"]),
    ("goodbye", ["utter_goodbye"]),
    ("thank", ["utter_you_are_welcome"]),
    ("bot_challenge", ["utter_iamabot"]),
    ("out_of_scope", ["action_cannot_handle"]),
    ("faq", ["action_answer_faq"]),
    ("inform", ["action_answer_without_task"]),
    ("affirm", ["utter_anything_else"]),
    ("deny", ["utter_anything_else"]),
    ("cancel", ["utter_nothing_to_cancel"]),
    ("request_human", ["action_handoff"]),
    ("complain", ["utter_complain", "action_handoff"]),
    ("reset_password", ["utter_reset_password"]),
    ("change_phone", ["utter_change_phone"]),
    ("buy_fund", ["utter_fund_service"]),
    ("redeem_fund", ["utter_fund_service"]),
    ("nlu_fallback", ["action_clarify"]),
]


def rule(name: str, steps: list[str], condition: list[str] | None = None) -> list[str]:
    lines = [f"- rule: {name}"]
    if condition:
        lines += ["  condition:"] + [f"  {c}" for c in condition]
    return lines + ["  steps:"] + [f"  {s}" for s in steps]


def offer_rules() -> list[str]:
    """Yes and no to what the bot just offered (a person, going back to a suspended task): the
    same offers the fallback actions answer when the NLU could not place the yes or no."""
    lines: list[str] = []
    for slot, yes, no in OFFERS:
        offered, answered = ["- slot_was_set:", f"  - {slot}: true"], ["- slot_was_set:", f"  - {slot}: false"]
        lines += rule(f"yes to {slot}", ["- intent: affirm", f"- action: {yes}", *answered], offered)
        no_steps = ["- or:", "  - intent: deny", "  - intent: cancel", f"- action: {no}", *answered]
        lines += rule(f"no to {slot}", no_steps, offered)
    return lines


def form_rules(intent: str, form: str, submit: str) -> list[str]:
    in_form = [f"- active_loop: {form}"]
    lines = rule(f"start {form}", [f"- intent: {intent}", f"- action: {form}", f"- active_loop: {form}"])
    lines += rule(
        f"submit {form}",
        [
            f"- action: {form}",
            "- active_loop: null",
            "- slot_was_set:",
            "  - requested_slot: null",
            f"- action: {submit}",
        ],
        in_form,
    )
    lines += rule(
        f"cancel {form}", ["- intent: cancel", "- action: action_cancel_form", "- active_loop: null"], in_form
    )
    lines += rule(
        f"handoff during {form}",
        [
            "- intent: request_human",
            "- action: action_deactivate_loop",
            "- active_loop: null",
            "- action: action_handoff",
        ],
        in_form,
    )
    lines += rule(
        f"complaint during {form}",
        [
            "- intent: complain",
            "- action: action_deactivate_loop",
            "- active_loop: null",
            "- action: utter_complain",
            "- action: action_handoff",
        ],
        in_form,
    )
    lines += rule(
        f"goodbye during {form}",
        ["- intent: goodbye", "- action: action_end_task", "- active_loop: null", "- action: utter_goodbye"],
        in_form,
    )
    others = [i for i in TASK_INTENTS if i != intent]
    lines += rule(
        f"another task during {form} suspends it",
        ["- or:"] + [f"  - intent: {i}" for i in others] + ["- action: action_switch_task"],
        in_form,
    )
    for other_intent, answer in DIGRESSIONS:
        if other_intent != intent:
            steps = [f"- intent: {other_intent}"] + [f"- action: {a}" for a in answer]
            lines += rule(
                f"answer {other_intent} during {form}",
                steps + [f"- action: {form}", f"- active_loop: {form}"],
                in_form,
            )
    return lines


def rules_yaml() -> str:
    lines = [
        "# Generated by `python -m bot.rules > bot/data/rules.yml`; edit bot/rules.py instead.",
        'version: "3.1"',
        "",
        "rules:",
    ]
    for intent, actions in ANSWERS:
        lines += rule(f"answer {intent}", [f"- intent: {intent}"] + [f"- action: {a}" for a in actions])
    lines += offer_rules()
    asked = ["- slot_was_set:", "  - callback_phone_asked: true"]
    lines += rule("the phone number for a call-back", ["- intent: inform", "- action: action_register_callback"], asked)
    for intent, form, submit in FORMS:
        lines += form_rules(intent, form, submit)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(rules_yaml(), end="")
