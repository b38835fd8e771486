"""Eventscope's Python runner: replays stored events through the user's own Python code.

Started by Eventscope (src/core/python/runner.ts) with the user's interpreter; standard library
only, Python 3.8+, nothing to install. It speaks JSON lines on stdin/stdout: a request
``{"id": 1, "op": "apply", "args": {...}}`` gets ``{"id": 1, "ok": true, "value": ...}`` or
``{"id": 1, "ok": false, "error": {"message", "where", "traceback"}}``; while one event runs
longer than a moment it also says ``{"id": 1, "at": n}`` (the n-th event of the request), so the
host's watchdog can name the event that is stuck. Eventscope keeps reading the store itself
(read-only); this process only decodes and applies, with the user's application:

- ``configure`` builds the application's mapper -- its transcoder with the app's own
  ``register_transcodings``, its compressor and cipher from the environment -- *without*
  constructing a recorder or touching any database, and loads the user's projection module
  (``init``, ``when``, ``invariant``) when there is one;
- ``apply`` turns each stored event into the user's domain event object
  (``mapper.to_domain_event``: custom transcodings and upcasting work as in the app) and applies
  it: with the library's own ``mutate`` to the event's aggregate, or with the projection's handler
  to the projection's state. Each event's result is the state it touched, as *state text*: a
  header line (``T <class topic>``: the JSON restores the aggregate; ``J``: the JSON is the
  projection's state; ``P <base64 pickle>``: restored by unpickling, the JSON only shows it) and
  the state as JSON through the app's transcoder, so UUIDs, Decimals and datetimes stay exact.
  The host keeps these texts in its keyframes and sends one back (``sync``) when the state it
  continues from is not the one this process holds: time travel needs no state kept here.

User code's ``print`` goes to the step's log, never into the protocol.
"""

import base64
import copy
import datetime
import decimal
import importlib.util
import io
import json
import os
import pickle
import queue
import sys
import threading
import time
import traceback
import uuid
from json.encoder import encode_basestring_ascii as encode_string

RUNNER = os.path.abspath(__file__)
LIBRARY = os.sep + "eventsourcing" + os.sep
NAMES = ("id", "version", "created_on", "modified_on")
IMMUTABLE = frozenset((str, int, bool, float, type(None), decimal.Decimal, uuid.UUID, datetime.datetime, datetime.date, datetime.time))


def describe(error):
    """One sentence for an exception, and where: the innermost frame of the user's own code."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if os.path.abspath(f.filename) != RUNNER]
    own = [f for f in frames if LIBRARY not in f.filename and not f.filename.startswith("<")]
    where = "%s:%d" % (own[-1].filename, own[-1].lineno) if own else None
    if isinstance(error, MemoryError):
        message = "MemoryError: the Python runner ran out of memory"
    else:
        message = "%s: %s" % (type(error).__name__, error)
    cause = error
    while cause is not None and not isinstance(cause, ImportError):
        cause = cause.__cause__ or cause.__context__
    if cause is not None and "sys.path" not in message:
        # A module that is not found: say where Python looked.
        message += " (sys.path: %s)" % os.pathsep.join(p for p in sys.path if p)
    return {
        "message": message,
        "where": where,
        "traceback": "".join(traceback.format_exception(type(error), error, error.__traceback__)),
    }


def type_rank(topic, key):
    """How well a handler key names an event type (higher wins): the topic, its qualified name, its last parts."""
    if topic == key:
        return 3
    name = topic.split(":", 1)[-1]
    if name == key:
        return 2
    return 1 if name.endswith("." + key) else 0


class Projection:
    """A user's projection module: ``init()``, a ``when`` table or ``@when(...)`` functions, ``invariant``."""

    def __init__(self, path, registry):
        name = "eventscope_projection_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_").replace(".", "_")
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError("%s is not a Python module" % path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        del registry[:]
        spec.loader.exec_module(module)
        table = getattr(module, "when", None)
        handlers = list(table.items()) if isinstance(table, dict) else []
        handlers += [(key, fn) for (key, fn, owner) in registry if owner == name]
        if not handlers and not callable(getattr(module, "init", None)):
            raise TypeError(
                "%s is not a projection: define init() and handlers, with a `when = {\"Credited\": fn}` table"
                " or `@when(\"Credited\")` functions (from eventscope import when)" % path
            )
        self.name = getattr(module, "name", None) or os.path.basename(path)
        self.module = module
        self.handlers = handlers
        self.cache = {}
        self.check = getattr(module, "invariant", None)

    def init(self):
        init = getattr(self.module, "init", None)
        return init() if callable(init) else {}

    def handler(self, event):
        cls = type(event)
        found = self.cache.get(cls, False)
        if found is False:
            topic = "%s:%s" % (cls.__module__, cls.__qualname__)
            best, found = 0, None
            for key, fn in self.handlers:
                if isinstance(key, type):
                    rank = 4 if cls is key else (3 if isinstance(event, key) else 0)
                else:
                    rank = type_rank(topic, str(key))
                if rank > best:
                    best, found = rank, fn
            self.cache[cls] = found
        return found

    def apply(self, state, event):
        fn = self.handler(event)
        if fn is None:
            return state
        result = fn(state, event)
        return state if result is None else result

    def invariant(self, state, event):
        if self.check is None:
            return None
        try:
            verdict = self.check(state, event)
        except TypeError as error:
            if "positional argument" not in str(error):
                raise
            verdict = self.check(state)
        if verdict is None or verdict is True:
            return None
        if isinstance(verdict, str):
            return verdict
        return None if verdict else "the invariant returned False"


def install_helper_module(registry):
    """``from eventscope import when`` in a projection: ``@when("Credited")`` registers a handler."""
    import types

    helper = types.ModuleType("eventscope")

    def when(*keys):
        def register(fn):
            for key in keys:
                registry.append((key, fn, fn.__module__))
            return fn

        return register

    helper.when = when
    sys.modules["eventscope"] = helper


class Runner:
    def __init__(self, out):
        self.out = out
        self.lock = threading.Lock()
        self.mapper = None
        self.projection = None
        self.registry = []
        install_helper_module(self.registry)
        self.aggregates = {}
        self.state = None
        self.invariant_code = None
        self.invariant_text = None
        self.conditions = {}
        self.memory_mb = None
        self.single = True
        self.fast_types = None
        self.process = None
        self.mutator = None
        self.Aggregate = None
        self.wants_before = False
        # Per aggregate, the JSON of its immutable attribute values as last written (see encode_fields).
        self.fragments = {}
        # What the watchdog thread reads: the request and event running, and since when.
        self.busy = None

    def write(self, message):
        line = json.dumps(message) + "\n"
        with self.lock:
            self.out.write(line)
            self.out.flush()

    # -- operations ----------------------------------------------------------------------------

    def op_hello(self):
        try:
            import eventsourcing  # noqa: F401

            version = getattr(eventsourcing, "__version__", "") or "unknown"
        except ImportError:
            version = None
        return {
            "python": sys.version.split()[0],
            "executable": sys.executable,
            "eventsourcing": version,
            "debugpy": importlib.util.find_spec("debugpy") is not None,
            "path": sys.path,
        }

    def op_configure(
        self,
        path=(),
        app=None,
        env=None,
        projection=None,
        invariant=None,
        memory_mb=None,
        single=True,
        debug=None,
        policy=False,
        mutator=None,
    ):
        for entry in reversed(list(path)):
            if entry not in sys.path:
                sys.path.insert(0, entry)
        if debug:
            self.meet_debugger(debug)
        if memory_mb and memory_mb != self.memory_mb:
            self.limit_memory(memory_mb)
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
        self.process = None
        # Functional aggregates (the library's aggregate7 style): a function(event, aggregate) applies events.
        self.mutator = resolve_topic(mutator) if mutator else None
        if policy:
            self.process = self.process_application(cls, env)
            self.mapper = self.process.mapper
        else:
            instance = object.__new__(cls)
            instance.env = instance.construct_env(cls.name, dict(env or {}))
            instance.factory = DecodingOnly(instance.env)
            self.mapper = instance.construct_mapper()
        # The fast path of encode_fields: for the library's own JSON transcoder (not a replacement).
        from eventsourcing.domain import Aggregate
        from eventsourcing.persistence import JSONTranscoder, StoredEvent

        self.StoredEvent = StoredEvent
        self.Aggregate = Aggregate
        transcoder = self.mapper.transcoder
        plain = isinstance(transcoder, JSONTranscoder) and type(transcoder).encode is JSONTranscoder.encode
        self.fast_types = getattr(transcoder, "types", None) if plain else None
        self.projection = Projection(projection, self.registry) if projection else None
        self.single = single
        self.invariant_text = invariant
        self.invariant_code = compile(invariant, "<invariant>", "eval") if invariant else None
        self.aggregates = {}
        self.state = self.projection.init() if self.projection else None
        if self.process is not None:
            name = "%s policy" % cls.__qualname__
            init = self.aggregates_text()
        elif self.projection is not None:
            name = self.projection.name
            init = self.state_text(self.state)
        else:
            name, init = None, None
        return {
            "app": "%s:%s" % (cls.__module__, cls.__qualname__),
            "compressor": type(self.mapper.compressor).__name__ if self.mapper.compressor else None,
            "cipher": type(self.mapper.cipher).__name__ if self.mapper.cipher else None,
            "projection": name,
            "hasInvariant": bool(self.invariant_code or (self.projection and self.projection.check)),
            "init": init,
            "runtime": "Python %s (%s), eventsourcing %s"
            % (sys.version.split()[0], sys.executable, getattr(sys.modules["eventsourcing"], "__version__", "") or "unknown"),
        }

    def process_application(self, cls, env):
        """The user's process application, to replay its policy: its own events kept in memory
        (the library's POPO recorder), and its repository answering from the aggregates the
        replay holds, so no database is ever opened."""
        from eventsourcing.application import AggregateNotFound
        from eventsourcing.system import ProcessApplication

        if not issubclass(cls, ProcessApplication):
            raise TypeError("%s:%s has no policy to replay: it is not a ProcessApplication" % (cls.__module__, cls.__qualname__))
        settings = dict(env or {})
        settings["PERSISTENCE_MODULE"] = "eventsourcing.popo"
        process = cls(env=settings)
        runner = self

        def get(aggregate_id, version=None, projector_func=None):
            found = runner.aggregates.get(str(aggregate_id))
            if found is None:
                raise AggregateNotFound(aggregate_id)
            # A copy: a policy that fails half way leaves the replay's aggregates as they were.
            return copy.deepcopy(found)

        process.repository.get = get
        return process

    def op_apply(self, request_id, events, sync=None, budget_ms=50, conditions=()):
        """Applies events in order until done or ``budget_ms`` has passed; each one's result."""
        if self.mapper is None:
            self.op_configure()
        for key, text in (sync or {}).items():
            self.restore(key, text)
        tests = [self.condition(expression) for expression in conditions]
        self.wants_before = any(t[1] for t in tests) or bool(self.invariant_text and "before" in self.invariant_text)
        results = []
        started = time.perf_counter()
        capture = io.StringIO()
        real = sys.stdout
        sys.stdout = capture
        try:
            for n, stored in enumerate(events):
                if n and (time.perf_counter() - started) * 1000 > budget_ms:
                    break
                self.busy = (request_id, n, time.perf_counter())
                item = self.step(stored, tests)
                logs = capture.getvalue()
                if logs:
                    item["l"] = logs.rstrip("\n").split("\n")
                    capture.seek(0)
                    capture.truncate()
                results.append(item)
                if item.get("forget"):
                    break  # the state is gone: the host sends it again before the next event
        finally:
            self.busy = None
            sys.stdout = real
        return results

    def meet_debugger(self, debug):
        """Connects to the debugger listening at host:port (or listens there), and waits until it is ready."""
        if debug.get("debugpyPath") and debug["debugpyPath"] not in sys.path:
            sys.path.append(debug["debugpyPath"])
        try:
            import debugpy
        except ImportError:
            raise ImportError(
                "debugging a Python replay needs debugpy, which %s can't import: install VS Code's Python Debugger"
                " extension (ms-python.debugpy), or `%s -m pip install debugpy`" % (sys.executable, sys.executable)
            )
        address = (debug["host"], int(debug["port"]))
        if debug.get("mode") == "listen":
            debugpy.listen(address)
        else:
            debugpy.connect(address)
        debugpy.wait_for_client()

    # -- one event -------------------------------------------------------------------------------

    def step(self, stored, tests):
        key = stored["k"]
        try:
            event = self.domain_event(stored)
        except Exception as error:
            return {"e": describe(error)}
        wants_before = self.wants_before
        current = self.aggregates.get(key) if self.projection is None else self.state
        before = copy.deepcopy(current) if wants_before else None
        try:
            if self.process is not None:
                return self.apply_policy(stored, event)
            if self.projection is None:
                after = self.mutator(event, current) if self.mutator is not None else event.mutate(current)
                self.aggregates[key] = after
            else:
                after = self.projection.apply(self.state, event)
                self.state = after
            text = self.aggregate_text(after, key) if self.projection is None else self.state_text(after)
        except Exception as error:
            # What the user's code left half-changed is dropped: the host sends the state again.
            if self.projection is None:
                self.aggregates.pop(key, None)
            self.state = None
            return {"e": describe(error), "forget": True}
        item = {"s": text}
        if not tests and self.invariant_code is None and (self.projection is None or self.projection.check is None):
            return item
        # `state`: the projection's, the aggregate of a one-stream replay, else every aggregate by id.
        state = after if self.projection is not None or self.single else self.aggregates
        scope = {"aggregate": after, "state": state, "event": event, "before": before}
        failure = self.check_invariant(after, event, scope)
        if failure is not None:
            item["f"] = failure
        if tests:
            verdicts = []
            for code, _, problem in tests:
                if code is None:
                    verdicts.append({"error": problem})
                    continue
                try:
                    verdicts.append(bool(eval(code, {}, dict(scope))))
                except Exception as error:
                    verdicts.append({"error": describe(error)["message"]})
            item["c"] = verdicts
        return item

    def apply_policy(self, stored, event):
        """The process application's policy on one upstream event: the aggregates it saved, and the
        events it collected as the step's output."""
        from eventsourcing.application import ProcessingEvent
        from eventsourcing.persistence import Tracking

        processing = ProcessingEvent(Tracking(application_name="upstream", notification_id=stored.get("p", 0)))
        self.process.policy(event, processing)
        for aggregate in processing.aggregates.values():
            self.aggregates[str(aggregate.id)] = aggregate
        item = {"s": self.aggregates_text()}
        if processing.events:
            item["o"] = [
                {"stream": str(e.originator_id), "type": "%s:%s" % (type(e).__module__, type(e).__qualname__), "data": self.encode(dict(vars(e)))}
                for e in processing.events
            ]
        return item

    def check_invariant(self, state, event, scope):
        try:
            if self.invariant_code is not None:
                verdict = eval(self.invariant_code, {}, dict(scope))
                return None if verdict else "%s is false" % self.invariant_text
            if self.projection is not None:
                return self.projection.invariant(state, event)
        except Exception as error:
            info = describe(error)
            return "the invariant raised %s%s" % (info["message"], " (at %s)" % info["where"] if info["where"] else "")
        return None

    def condition(self, expression):
        """A condition compiled once: (code, whether it reads `before`, why it does not compile)."""
        found = self.conditions.get(expression)
        if found is None:
            try:
                found = (compile(expression, "<condition>", "eval"), "before" in expression, None)
            except SyntaxError as error:
                found = (None, False, '"%s" is not a Python expression: %s' % (expression, error.msg))
            self.conditions[expression] = found
        return found

    def domain_event(self, stored):
        state = bytes.fromhex(stored["x"]) if "x" in stored else stored["j"].encode("utf8")
        return self.mapper.to_domain_event(
            self.StoredEvent(originator_id=uuid.UUID(stored["o"]), originator_version=stored["v"], topic=stored["t"], state=state)
        )

    # -- state texts -------------------------------------------------------------------------------

    def encode(self, value):
        return self.mapper.transcoder.encode(value).decode("utf8")

    def aggregate_text(self, aggregate, key=""):
        """The aggregate's attributes (id, version, times, then its own) as state text."""
        if aggregate is None:
            return None
        fields = attributes(aggregate)
        cls = type(aggregate)
        if self.Aggregate is None or not isinstance(aggregate, self.Aggregate):
            # Not the library's Aggregate (an immutable model of the user's): copied by pickling.
            return self.pickled(aggregate, fields)
        try:
            return "T %s:%s\n%s" % (cls.__module__, cls.__qualname__, self.encode_fields(fields, self.fragments_of(key)))
        except Exception:
            return self.pickled(aggregate, fields)

    def fragments_of(self, key):
        cache = self.fragments.get(key)
        if cache is None:
            cache = self.fragments[key] = {}
        return cache

    def aggregates_text(self):
        """Every aggregate by id (a policy's): their class topics in the header, their attributes."""
        topics = {}
        parts = []
        for key, aggregate in self.aggregates.items():
            cls = type(aggregate)
            topics[key] = "%s:%s" % (cls.__module__, cls.__qualname__)
            parts.append(encode_string(key) + ":" + self.encode_fields(attributes(aggregate), self.fragments_of(key)))
        return "Q %s\n{%s}" % (json.dumps(topics), ",".join(parts))

    def encode_fields(self, fields, cache):
        """``encode(fields)``, field by field: plain values and the transcoder's string-valued
        transcodings (UUID, Decimal, datetime) written directly, the rest by the transcoder. Done
        after every event, so it must cost little; the JSON is what the transcoder would write."""
        types = self.fast_types
        if types is None:
            return self.encode(fields)
        parts = []
        for name, value in fields.items():
            kind = type(value)
            if kind in IMMUTABLE:
                # An unchanged immutable value (the same object as last time) keeps its JSON.
                known = cache.get(name)
                if known is not None and known[0] is value:
                    parts.append(known[1])
                    continue
            if kind is str:
                text = encode_string(value)
            elif value is None:
                text = "null"
            elif kind is bool:
                text = "true" if value else "false"
            elif kind is int:
                text = int.__repr__(value)
            else:
                transcoding = types.get(kind)
                data = transcoding.encode(value) if transcoding is not None else None
                if type(data) is str:
                    text = '{"_type_":%s,"_data_":%s}' % (encode_string(transcoding.name), encode_string(data))
                else:
                    text = self.encode(value)
            part = encode_string(name) + ":" + text if type(name) is str else self.encode({name: value})[1:-1]
            if kind in IMMUTABLE:
                cache[name] = (value, part)
            parts.append(part)
        return "{" + ",".join(parts) + "}"

    def state_text(self, state):
        try:
            return "J\n" + self.encode(state)
        except Exception:
            return self.pickled(state, state)

    def pickled(self, value, shown):
        """State restored from a pickle; shown through the transcoder, else as far as JSON goes."""
        try:
            header = "P " + base64.b64encode(pickle.dumps(value)).decode("ascii")
        except Exception:
            header = "N"
        body = None
        dump = getattr(value, "model_dump", None)
        if callable(dump):
            try:
                body = json.dumps(dump(mode="json"))  # a Pydantic model shows itself as JSON
            except Exception:
                body = None
        if body is None:
            try:
                body = self.encode(shown)
            except Exception:
                body = json.dumps(shown, default=repr_value)
        return header + "\n" + body

    def restore(self, key, text):
        """Takes back a state the host kept (a keyframe): the aggregate or projection state it shows."""
        value = None
        if text is not None:
            header, _, body = text.partition("\n")
            if header.startswith("P "):
                value = pickle.loads(base64.b64decode(header[2:]))
            elif header.startswith("T "):
                value = rebuild(header[2:], self.mapper.transcoder.decode(body.encode("utf8")))
            elif header.startswith("Q "):
                fields = self.mapper.transcoder.decode(body.encode("utf8"))
                self.aggregates = {k: rebuild(topic, fields[k]) for k, topic in json.loads(header[2:]).items()}
                return
            elif header == "J":
                value = self.mapper.transcoder.decode(body.encode("utf8"))
            else:
                raise ValueError("this state can't be restored (neither the transcoder nor pickle can copy it)")
        if self.projection is None:
            if value is None:
                self.aggregates.pop(key, None)
            else:
                self.aggregates[key] = value
        else:
            self.state = value

    # -- limits ----------------------------------------------------------------------------------

    def limit_memory(self, memory_mb):
        """Caps the heap at ``memory_mb`` more than it holds now (POSIX; elsewhere the time budget still holds)."""
        try:
            import resource

            kind = resource.RLIMIT_DATA
            hard = resource.getrlimit(kind)[1]
            soft = int(memory_mb) * 1024 * 1024 + data_bytes()
            if hard != resource.RLIM_INFINITY:
                soft = min(soft, hard)
            resource.setrlimit(kind, (soft, hard))
            self.memory_mb = memory_mb
        except (ImportError, AttributeError, ValueError, OSError):
            pass

    def watch(self):
        """Tells the host which event of a request runs long (once per event)."""
        told = None
        while True:
            time.sleep(0.1)
            busy = self.busy
            if busy is None or busy == told:
                continue
            request_id, n, since = busy
            if time.perf_counter() - since >= 0.1:
                told = busy
                self.write({"id": request_id, "at": n})


def attributes(aggregate):
    """An aggregate's attributes as shown: id, version, created_on, modified_on, then its own."""
    fields = {}
    own = dict(vars(aggregate))
    for name in NAMES:
        if "_" + name in own:
            fields[name] = own.pop("_" + name)
    own.pop("_pending_events", None)
    fields.update(own)
    return fields


def rebuild(topic, fields):
    """An aggregate from its attributes, the way the library restores one from a snapshot."""
    from eventsourcing.utils import resolve_topic

    cls = resolve_topic(topic)
    state = {}
    for name in NAMES:
        if name in fields:
            state["_" + name] = fields.pop(name)
    state["_pending_events"] = []
    state.update(fields)
    aggregate = object.__new__(cls)
    aggregate.__dict__.update(state)
    return aggregate


def data_bytes():
    """The data segment's size now (Linux), else 0."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[5]) * os.sysconf("SC_PAGE_SIZE")
    except Exception:
        return 0


def repr_value(value):
    return {"_type_": "repr", "_data_": repr(value)}


def main():
    out = sys.stdout
    # Stray prints (outside a step) must not break the protocol.
    sys.stdout = sys.stderr
    runner = Runner(out)
    requests = queue.Queue()

    def read():
        for line in sys.stdin:
            if line.strip():
                requests.put(line)
        # Eventscope closed the pipe (or went away): end, even if user code is stuck.
        os._exit(0)

    for target, name in ((read, "eventscope-stdin"), (runner.watch, "eventscope-watch")):
        thread = threading.Thread(target=target, name=name, daemon=True)
        # Not the user's code: a Python debugger (debugpy) must neither trace nor suspend these
        # threads (one suspended while it writes would hold the protocol's lock).
        thread.pydev_do_not_trace = True
        thread.is_pydev_daemon_thread = True
        thread.start()
    while True:
        request = json.loads(requests.get())
        try:
            handler = getattr(runner, "op_" + request["op"], None)
            if handler is None:
                raise ValueError("unknown operation %r" % request["op"])
            args = dict(request.get("args", {}))
            if request["op"] == "apply":
                args["request_id"] = request["id"]
            reply = {"id": request["id"], "ok": True, "value": handler(**args)}
        except Exception as error:
            reply = {"id": request["id"], "ok": False, "error": describe(error)}
        runner.write(reply)


if __name__ == "__main__":
    main()
