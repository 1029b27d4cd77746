"""A dict that computes what it is asked for and keeps the first answers.

For values a large import asks for a million times among few keys (a column name's bytes, a last-four's keyed
hash, a character's or a name's pinyin). A hit is a plain dict lookup, in C, where an lru_cache's call and
bookkeeping cost more than some of the work it saves. Once `limit` keys are kept, further ones are computed each
time they are asked for: the memory stays bounded whatever the input.
"""


class BoundedMemo(dict):
    __slots__ = ("compute", "limit")

    def __init__(self, compute, limit, initial=()):
        super().__init__(initial)
        self.compute = compute
        self.limit = limit

    def __missing__(self, key):
        value = self.compute(key)
        if len(self) < self.limit:
            self[key] = value
        return value
