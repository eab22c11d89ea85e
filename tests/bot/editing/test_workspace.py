"""Writes to the sources: the etag they were based on, and the publish lock only its holder writes past."""

import pytest

from bot.editing.workspace import FAQ_FILE, EditConflict, PublishInProgress


def test_only_the_holder_of_the_publish_lock_writes_while_it_is_held(workspace):
    start = workspace.read(FAQ_FILE)
    with workspace.publish_lock("zhou") as hold:
        with pytest.raises(PublishInProgress):
            workspace.write(FAQ_FILE, start.text + "# 编辑\n", based_on=start.etag)
        etag = hold.write(FAQ_FILE, start.text + "# 回滚\n", based_on=start.etag)
        with pytest.raises(EditConflict):
            hold.write(FAQ_FILE, start.text, based_on=start.etag)  # the holder, too, writes on what it read
    assert (workspace.read(FAQ_FILE).text, workspace.read(FAQ_FILE).etag) == (start.text + "# 回滚\n", etag)
    with workspace.publish_lock("li"), pytest.raises(PublishInProgress):
        hold.write(FAQ_FILE, start.text, based_on=etag)  # a hold once released is no one's
    assert workspace.read(FAQ_FILE).etag == etag


def test_one_publish_lock_at_a_time(workspace):
    with workspace.publish_lock("zhou"), pytest.raises(PublishInProgress, match="zhou"), workspace.publish_lock("li"):
        pass
    with workspace.publish_lock("li"):
        assert workspace.publishing()
    assert not workspace.publishing()
