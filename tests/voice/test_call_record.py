from voice.call_record import CallRecord, CallRecordStore, mask_numbers


def test_numbers_are_masked_but_card_tails_stay():
    assert mask_numbers("手机13812345678，验证码 482913，尾号1234") == "手机138****5678，验证码 ******，尾号1234"
    assert mask_numbers("卡号6217000000001234") == "卡号************1234"
    assert mask_numbers("身份证110101199003071234") == "身份证**************1234"


def test_records_are_stored_and_loaded(tmp_path):
    store = CallRecordStore(f"sqlite:///{tmp_path / 'calls.db'}")
    record = CallRecord("call-1", "conv-1", "twilio")
    record.add(0.5, "caller", "我的卡号是6217000000001234", 0.81234)
    record.add(1.0, "bot", "好的")
    record.finish(2.0, "caller_hung_up")
    store.save(record)
    row = store.load("call-1")
    assert row["conversation_id"] == "conv-1" and row["duration_s"] == 2.0
    assert row["entries"][0] == {"t": 0.5, "who": "caller", "text": "我的卡号是************1234", "confidence": 0.812}
    assert "6217000000001234" not in row["summary"]
    assert store.load("nope") is None


def test_ticket_numbers_stay_readable_for_the_agent():
    assert mask_numbers("工单号H000012，手机13812345678") == "工单号H000012，手机138****5678"


def test_amounts_and_measurements_are_not_mistaken_for_account_numbers():
    assert mask_numbers("转账50000元，采样率16000 Hz，余额123456.78") == "转账50000元，采样率16000 Hz，余额123456.78"
    assert mask_numbers("验证码123456。") == "验证码******。"
    assert mask_numbers("card 6217000000001234.") == "card ************1234."
