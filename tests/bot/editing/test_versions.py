"""Published versions on a copy of the sources: the first version from what the server runs, what
is unpublished (and whether only the FAQ changed), the history, diffs and model copies."""

from pathlib import Path

import yaml

from bot.editing import versions
from bot.editing.workspace import FAQ_FILE, Workspace

NLU_FILE = Path("bot/data/nlu/account.yml")


def a_model(workspace: Workspace, name: str) -> Path:
    path = workspace.root / "models" / f"{name}.tar.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(f"model {name}".encode())
    return path


def edit(workspace: Workspace, relative: Path, change) -> None:
    now = workspace.read(relative)
    workspace.write(relative, change(now.text), based_on=now.etag)


def edit_faqs(workspace: Workspace, change) -> None:
    def rewrite(text: str) -> str:
        entries = yaml.safe_load(text)
        change(entries)
        return yaml.safe_dump(entries, allow_unicode=True, sort_keys=False)

    edit(workspace, FAQ_FILE, rewrite)


def test_nothing_is_published_before_the_first_version(workspace):
    assert versions.published_text(workspace, FAQ_FILE) is None
    assert versions.current(workspace) is None
    assert versions.history(workspace) == []
    assert set(versions.unpublished(workspace).files) == {p.as_posix() for p in workspace.editable()}


def test_the_first_version_is_what_the_server_runs(workspace):
    model = a_model(workspace, "aaaa")
    first = versions.ensure_initial(workspace, model)
    assert (first.number, first.kind, first.staff, first.model, first.has_model_copy) == (
        1, "initial", "system", "aaaa.tar.gz", True,
    )  # fmt: skip
    assert versions.model_copy(workspace, 1).read_bytes() == b"model aaaa"
    assert (workspace.state / "versions" / "0001" / "meta.json").exists()
    assert (workspace.state / "versions" / "current").read_text().strip() == "0001"
    assert versions.published_text(workspace, FAQ_FILE) == workspace.read(FAQ_FILE).text
    assert versions.published_text(workspace, "bot/data/nlu/no_such_file.yml") == ""
    assert versions.unpublished(workspace).empty
    assert versions.ensure_initial(workspace, a_model(workspace, "bbbb")) is None
    assert [v.number for v in versions.history(workspace)] == [1]


def test_faq_edits_are_named_by_id_and_only_the_faq_changed(workspace):
    versions.ensure_initial(workspace, a_model(workspace, "aaaa"))
    published = workspace.read(FAQ_FILE).text

    def change(entries):
        entries[0]["answer"] = "新的回答"
        removed = entries.pop(1)
        entries.append({**removed, "id": "brand_new"})

    edit_faqs(workspace, change)
    entries = yaml.safe_load(published)
    changes = versions.unpublished(workspace)
    assert changes.files == ["bot/faq/faqs.yml"]
    assert changes.faq_only
    assert changes.faqs_changed == [entries[0]["id"]]
    assert changes.faqs_removed == [entries[1]["id"]]
    assert changes.faqs_added == ["brand_new"]
    assert versions.published_text(workspace, FAQ_FILE) == published  # the edit is not published


def test_an_example_or_wording_change_is_not_faq_only(workspace):
    versions.ensure_initial(workspace, a_model(workspace, "aaaa"))
    edit(
        workspace, NLU_FILE, lambda text: text.replace("examples: |\n", "examples: |\n    - 帮我瞅瞅卡里还剩多少\n", 1)
    )
    edit_faqs(workspace, lambda entries: entries[0].update(answer="新的回答"))
    changes = versions.unpublished(workspace)
    assert changes.files == ["bot/data/nlu/account.yml", "bot/faq/faqs.yml"]
    assert not changes.faq_only


def test_a_publish_becomes_the_current_version_with_what_changed(workspace):
    versions.ensure_initial(workspace, a_model(workspace, "aaaa"))
    edit_faqs(workspace, lambda entries: entries[0].update(answer="新的回答"))
    published = versions.sources(workspace)
    edit(workspace, NLU_FILE, lambda text: text + "\n")  # after training began: not part of this version
    second = versions.record_publish(workspace, a_model(workspace, "bbbb"), "zhou", "改了回答", published)
    assert (second.number, second.kind, second.staff, second.note, second.model) == (
        2, "publish", "zhou", "改了回答", "bbbb.tar.gz",
    )  # fmt: skip
    assert second.changes.files == ["bot/faq/faqs.yml"]
    assert versions.current(workspace) == second
    assert [v.number for v in versions.history(workspace)] == [2, 1]
    assert versions.previous(workspace).number == 1
    assert versions.unpublished(workspace).files == [NLU_FILE.as_posix()]
    assert versions.diff(workspace, 1, 2).files == ["bot/faq/faqs.yml"]
    assert versions.files(workspace, 2)["bot/faq/faqs.yml"] == published["bot/faq/faqs.yml"]


def test_a_rollback_names_the_version_it_restored(workspace):
    versions.ensure_initial(workspace, a_model(workspace, "aaaa"))
    edit_faqs(workspace, lambda entries: entries[0].update(answer="新的回答"))
    versions.record_publish(workspace, a_model(workspace, "bbbb"), "zhou")
    back = versions.record_publish(
        workspace, a_model(workspace, "aaaa"), "boss", files_published=versions.files(workspace, 1),
        kind="rollback", restored_from=1,
    )  # fmt: skip
    assert (back.number, back.kind, back.restored_from, back.model) == (3, "rollback", 1, "aaaa.tar.gz")
    assert versions.diff(workspace, 1, 3).empty
    assert versions.get(workspace, 3).as_dict()["restored_from"] == 1


def test_only_recent_versions_keep_a_model_copy_but_every_version_keeps_its_files(workspace):
    versions.ensure_initial(workspace, a_model(workspace, "m0"))
    for n in range(1, versions.MODEL_COPIES_KEPT + 3):
        edit(workspace, FAQ_FILE, lambda text, n=n: text + f"# {n}\n")
        versions.record_publish(workspace, a_model(workspace, f"m{n}"), "zhou")
    history = versions.history(workspace)
    assert len(history) == versions.MODEL_COPIES_KEPT + 3
    assert [v.has_model_copy for v in history] == [True] * versions.MODEL_COPIES_KEPT + [False] * 3
    assert all(versions.files(workspace, v.number) for v in history)


def test_a_half_written_version_is_not_listed(workspace):
    versions.ensure_initial(workspace, a_model(workspace, "aaaa"))
    (workspace.state / "versions" / ".0002-partial" / "files").mkdir(parents=True)
    assert [v.number for v in versions.history(workspace)] == [1]
