"""Eventscope's Python runner: replays stored events through the user's own Python code.

Started by Eventscope (src/core/python/runner.ts) with the user's interpreter; standard library
only, Python 3.8+, nothing to install. It speaks JSON lines on stdin/stdout: a request
``{"id": 1, "op": "replay", "args": {...}}`` gets ``{"id": 1, "ok": true, "value": ...}`` or
``{"id": 1, "ok": false, "error": {"message", "where", "traceback"}}``. Eventscope keeps reading
the store itself (read-only); this process only decodes and applies, with the user's application:

- ``configure`` builds the application's mapper -- its transcoder with the app's own
  ``register_transcodings``, its compressor and cipher from the environment -- *without*
  constructing a recorder or touching any database;
- ``replay`` turns each stored event of one aggregate into the user's domain event object
  (``mapper.to_domain_event``: custom transcodings and upcasting work as in the app) and applies
  it with the library's own ``mutate``; each step's state is the aggregate's attributes, encoded
  by the app's transcoder (UUIDs, Decimals, datetimes kept exact).
"""

import base64
import json
import os
import sys
import traceback
import uuid

RUNNER = os.path.abspath(__file__)


def describe(error):
    """One sentence for an exception, and where in the user's code it was raised."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if os.path.abspath(f.filename) != RUNNER]
    where = "%s:%d" % (frames[-1].filename, frames[-1].lineno) if frames else None
    message = "%s: %s" % (type(error).__name__, error)
    return {
        "message": message,
        "where": where,
        "traceback": "".join(traceback.format_exception(type(error), error, error.__traceback__)),
    }


class StepFailed(Exception):
    """The user's code could not apply the event at step ``index``."""

    def __init__(self, index, error):
        super().__init__(str(error))
        self.index = index
        self.error = error


class Runner:
    def __init__(self):
        self.mapper = None
        self.app = None

    def op_hello(self):
        try:
            import eventsourcing  # noqa: F401

            version = getattr(eventsourcing, "__version__", "") or "unknown"
        except ImportError:
            version = None
        return {"python": sys.version.split()[0], "executable": sys.executable, "eventsourcing": version, "path": sys.path}

    def op_configure(self, path=(), app=None, env=None):
        for entry in reversed(list(path)):
            if entry not in sys.path:
                sys.path.insert(0, entry)
        try:
            from eventsourcing.application import Application
            from eventsourcing.persistence import InfrastructureFactory
            from eventsourcing.utils import resolve_topic
        except ImportError as error:
            raise ImportError(
                "the eventsourcing library is not importable by %s (sys.path: %s): %s"
                % (sys.executable, os.pathsep.join(sys.path), error)
            )

        class DecodingOnly(InfrastructureFactory):
            """A factory that makes a mapper (transcoder, compressor, cipher) and nothing that stores."""

            def _no_storage(self, *args, **kwargs):
                raise RuntimeError("Eventscope's runner reads no database itself")

            aggregate_recorder = application_recorder = process_recorder = _no_storage

        cls = resolve_topic(app) if app else Application
        if not (isinstance(cls, type) and issubclass(cls, Application)):
            raise TypeError("%s is not an eventsourcing Application class" % app)
        instance = object.__new__(cls)
        instance.env = instance.construct_env(cls.name, dict(env or {}))
        instance.factory = DecodingOnly(instance.env)
        self.mapper = instance.construct_mapper()
        self.app = cls
        return {
            "app": "%s:%s" % (cls.__module__, cls.__qualname__),
            "compressor": type(self.mapper.compressor).__name__ if self.mapper.compressor else None,
            "cipher": type(self.mapper.cipher).__name__ if self.mapper.cipher else None,
        }

    def domain_event(self, stored):
        from eventsourcing.persistence import StoredEvent

        return self.mapper.to_domain_event(
            StoredEvent(
                originator_id=uuid.UUID(stored["id"]),
                originator_version=stored["version"],
                topic=stored["topic"],
                state=base64.b64decode(stored["state"]),
            )
        )

    def attributes(self, aggregate):
        """The aggregate's attributes as JSON text through the app's transcoder: id, version, times, then its own."""
        if aggregate is None:
            return "null"
        fields = {}
        own = dict(vars(aggregate))
        for name in ("id", "version", "created_on", "modified_on"):
            if "_" + name in own:
                fields[name] = own.pop("_" + name)
        for name, value in own.items():
            if name == "_pending_events":
                continue
            fields[name] = value
        return self.mapper.transcoder.encode(fields).decode("utf8")

    def op_replay(self, events):
        """Applies one aggregate's events in order; the state after each, as JSON text."""
        if self.mapper is None:
            self.op_configure()
        aggregate = None
        states = []
        for index, stored in enumerate(events):
            try:
                aggregate = self.domain_event(stored).mutate(aggregate)
                states.append(self.attributes(aggregate))
            except Exception as error:
                raise StepFailed(index, error)
        return states


def main():
    runner = Runner()
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            handler = getattr(runner, "op_" + request["op"], None)
            if handler is None:
                raise ValueError("unknown operation %r" % request["op"])
            reply = {"id": request["id"], "ok": True, "value": handler(**request.get("args", {}))}
        except StepFailed as failed:
            error = describe(failed.error)
            error["index"] = failed.index
            reply = {"id": request["id"], "ok": False, "error": error}
        except Exception as error:
            reply = {"id": request["id"], "ok": False, "error": describe(error)}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
