from bot import processes
from bot.rules import FORMS, rules_yaml


def test_committed_rules_match_the_generator():
    committed = (processes.REPO_ROOT / "bot" / "data" / "rules.yml").read_text(encoding="utf-8")
    assert committed == rules_yaml(), "run: .venv/bin/python -m bot.rules > bot/data/rules.yml"


def test_every_form_in_the_domain_has_rules():
    import yaml

    forms = yaml.safe_load((processes.REPO_ROOT / "bot" / "domain" / "forms.yml").read_text())["forms"]
    assert sorted(forms) == sorted(form for _intent, form, _submit in FORMS)
