"""The reading half of a large roster import, in a second process.

An import does two kinds of work: reading the file, validating every row and encrypting its ID number
and phone (pure computation, no database), then writing (the database). On one core they add up; here a
forked child runs the importer's `read_batches()` and sends each finished batch through a pipe, while
the parent writes the batch before. The pipe holds about one batch, so the child stays at most about two
batches ahead, and the parent's memory never holds the file. The child never touches the database: it was
forked while the parent's transaction was open, and only the parent may use that connection.

Which half has more to do depends on the file and the size of the tables, so the checking is shared out
as the import goes: the child reads each row only as far as its household (which decides the batches),
and when the parent starts writing a batch before the next one has begun to arrive (or waits for it), the
child sends that next one at once, leaving the rows it has not validated and protected yet to the parent
(their cells, or their plain values, cross the pipe, between two processes of the import). Asked only once
the parent had nothing left to do, it kept the parent waiting a tenth of the batches' time, for the child
to pack and send. The file's own duplicate ID numbers are found by the parent, which sees every row in order.

Forking keeps the exact settings, keys and loaded code of the parent (a spawned process would start
Django afresh, without the test or deployment overrides). Where fork is unavailable the import simply
reads in its own process.
"""

from __future__ import annotations

import contextlib
import marshal
import multiprocessing
import pickle
import traceback

from django.conf import settings

from shequ.core.errors import ApplicationError

DEFAULT_PARALLEL_MIN_ROWS = 20_000
# A batch of 2,000 checked and protected rows is about 0.9 MB; any process may ask for a 1 MB pipe
# (/proc/sys/fs/pipe-max-size).
PIPE_BYTES = 1 << 20


def parallel_min_rows():
    """Files with fewer rows than this are read in the importing process: a fork costs more than it saves."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return float("inf")
    return getattr(settings, "SHEQU_IMPORT_PARALLEL_MIN_ROWS", DEFAULT_PARALLEL_MIN_ROWS)


def read_in_child(importer):
    """Yields the importer's batches as a forked child reads them; raises the child's error as its own."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    # Room for a whole batch (Linux gives a pipe 64 KB): the child can hand one over while this process is still
    # writing the one before, and read on.
    with contextlib.suppress(ImportError, AttributeError, OSError):  # not Linux, or past its limit: the default
        import fcntl

        fcntl.fcntl(sender.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    # Set when this process wants the child's next batch now, as far as it is prepared (the child then leaves
    # the rest of it to this process); the child clears it once it has sent the batch. Should the child clear a
    # request for the batch after (set while it sent), this process makes it again when it finds nothing to read.
    waiting = context.Value("b", 0, lock=False)
    child = context.Process(target=_read, args=(importer, sender, waiting), daemon=True,
                            name="shequ-import-reader")
    child.start()
    sender.close()
    try:
        while True:
            if not receiver.poll():
                waiting.value = 1
            kind, payload = _loads(receiver.recv_bytes())
            if kind == "batch":
                batch = importer.unpack_batch(payload)
                # The next batch has not begun to arrive as this one is about to be written: asked for now, it
                # comes while this process writes, instead of after it, when it would have nothing to do.
                if not receiver.poll():
                    waiting.value = 1
                yield batch
            elif kind == "done":
                importer.absorb_reading_outcome(payload)
                return
            else:
                raise _child_error(payload)
    except EOFError:
        raise RuntimeError("读取文件的进程意外退出") from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()  # the import stopped early (cancel, failure): the rest of the file is not needed
        child.join()


def _read(importer, sender, waiting):
    try:
        for batch in importer.read_batches(writer_waiting=lambda: waiting.value):
            sender.send_bytes(_dumps(("batch", importer.pack_batch(batch))))
            waiting.value = 0
        sender.send_bytes(_dumps(("done", importer.reading_outcome())))
    except BaseException as error:  # everything goes back to the parent, which decides
        sender.send_bytes(_dumps(("error", _describe(error))))
    finally:
        sender.close()


_MARSHALLED, _PICKLED = b"m", b"p"


def _dumps(message):
    """A message for the pipe. marshal writes and reads exact tuples, lists, strings and numbers (a batch of rows
    going into an empty registry) about a third faster than pickle, which takes the rest (a row's checked values,
    dates among them, where it may update a resident). Both ends are this process's code, forked."""
    try:
        return _MARSHALLED + marshal.dumps(message)
    except ValueError:  # an object of another type somewhere in it
        return _PICKLED + pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


def _loads(data):
    body = memoryview(data)[1:]
    return marshal.loads(body) if data[:1] == _MARSHALLED else pickle.loads(body)


def _describe(error):
    if isinstance(error, ApplicationError):
        return {"message": error.message, "code": error.code, "details": error.details}
    return {"message": str(error) or type(error).__name__, "trace": traceback.format_exc()}


def _child_error(payload):
    if "code" in payload:
        return ApplicationError(payload["message"], code=payload["code"], details=payload["details"])
    return RuntimeError(f"{payload['message']}\n{payload['trace']}")
