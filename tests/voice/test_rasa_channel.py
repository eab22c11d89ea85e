import asyncio

from voice.rasa_channel import VoiceInput, VoiceOutput


def test_the_channel_is_called_voice_so_spoken_response_variants_win():
    assert VoiceInput.name() == "voice" and VoiceOutput.name() == "voice"


def test_messages_say_which_response_they_came_from():
    output = VoiceOutput()
    asyncio.run(output.send_response("c1", {"text": "再见！", "utter_action": "utter_goodbye"}))
    asyncio.run(output.send_response("c1", {"text": "验证码已发送"}))
    assert [m.get("response") for m in output.messages] == ["utter_goodbye", None]
    assert output.messages[0]["text"] == "再见！"
