from shequ.core.memo import BoundedMemo


def test_a_memo_computes_once_and_keeps_no_more_than_its_limit():
    calls = []
    memo = BoundedMemo(lambda key: calls.append(key) or key * 2, 2, {"seeded": "given"})
    assert memo["seeded"] == "given" and calls == []
    assert memo["a"] == "aa" and memo["a"] == "aa" and calls == ["a"]  # kept: computed once
    assert memo["b"] == "bb" and memo["b"] == "bb" and calls == ["a", "b", "b"]  # over the limit: computed again
    assert len(memo) == 2 and "b" not in memo
