// Eventsourcing topics for Go to Definition (src/server/pythonTopics.ts): the topics in a text
// (JSON event documents, `.events` headers, settings) and not URLs, times or paths; and where a
// topic's class is defined: the module file under the workspace folders (this repo's
// examples/bankapp, the fixtures' Python, and made-up projects in temporary directories), then the
// class, nested class or decorator-made event class in it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { decoratedEventName, topicAt, topicsIn, TopicLocator, type PythonLocation } from '../src/server/pythonTopics';

const REPO = resolve(__dirname, '..');
const BANKAPP = join(REPO, 'examples', 'bankapp');
const FIXTURES = join(REPO, 'test', 'fixtures', 'eventsourcing', 'python');

/** Where `name` is on the first line of a file that holds `needle` (the name searched from the needle on), counted apart from the locator. */
function where(file: string, needle: string, name = needle): PythonLocation {
  const lines = readFileSync(file, 'utf8').split(/\r\n|\r|\n/);
  const line = lines.findIndex((l) => l.includes(needle));
  assert.ok(line >= 0, `${needle} in ${file}`);
  const character = lines[line].indexOf(name, lines[line].indexOf(needle));
  return { file, line, character, endCharacter: character + name.length };
}

const firstLine = (file: string): PythonLocation => ({ file, line: 0, character: 0, endCharacter: 0 });

const temps: string[] = [];

/** A temporary project of these files (paths relative to it), its path. */
function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'eventscope-topics-'));
  temps.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe('topics in texts', () => {
  const topics = (text: string) => topicsIn(text).map((s) => s.topic);

  it('finds the topics of a JSON event document, at their offsets', () => {
    const text = JSON.stringify(
      {
        originator_id: 'e882f9d0-8719-402d-930c-6d399eea695a',
        originator_version: 1,
        topic: 'bankapp.domainmodel:BankAccount.Opened',
        state: {
          originator_topic: 'bankapp.domainmodel:BankAccount',
          timestamp: { _type_: 'datetime_iso', _data_: '2024-05-01T10:00:00+00:00' },
          full_name: 'Alice',
          email_address: 'alice@example.com',
        },
      },
      null,
      2,
    );
    const spans = topicsIn(text);
    assert.deepEqual(
      spans.map((s) => s.topic),
      ['bankapp.domainmodel:BankAccount.Opened', 'bankapp.domainmodel:BankAccount'],
    );
    for (const s of spans) assert.equal(text.slice(s.start, s.end), s.topic);
    assert.deepEqual(topics('{"originator_topic":"eventsourcing.examples.bankaccounts.domainmodel:BankAccount.Opened"}'), [
      'eventsourcing.examples.bankaccounts.domainmodel:BankAccount.Opened',
    ]);
  });

  it('finds the topic of an .events header line', () => {
    const line = '### bankapp.domainmodel:BankAccount.Opened  e882f9d0-8719-402d-930c-6d399eea695a';
    assert.deepEqual(topicsIn(line), [{ topic: 'bankapp.domainmodel:BankAccount.Opened', start: 4, end: 42 }]);
  });

  it('takes single-segment modules, non-ASCII identifiers, functions’ <locals> and settings', () => {
    assert.deepEqual(topics('bank:Account'), ['bank:Account']);
    assert.deepEqual(topics('_private._mod:_Cls.__Inner'), ['_private._mod:_Cls.__Inner']);
    assert.deepEqual(topics('café.modèle:Événement.Créé'), ['café.modèle:Événement.Créé']);
    assert.deepEqual(topics('tests.test_x:TestX.test_y.<locals>.Dog.Registered'), ['tests.test_x:TestX.test_y.<locals>.Dog.Registered']);
    assert.deepEqual(topics('INFRASTRUCTURE_FACTORY=eventsourcing.sqlite:Factory'), ['eventsourcing.sqlite:Factory']);
    // A sentence's full stop and Markdown's backticks are not part of a topic.
    assert.deepEqual(topics('See `dogschool.domainmodel:Dog`, then dogschool.domainmodel:Dog.TrickAdded.'), [
      'dogschool.domainmodel:Dog',
      'dogschool.domainmodel:Dog.TrickAdded',
    ]);
  });

  it('does not take URLs, times, paths or colon chains', () => {
    for (const text of [
      'http://x:80',
      'https://example.com:8080/path',
      'postgres://user:pass@db.internal:5432/bank',
      'git@github.com:owner/repo.git',
      'mailto:alice@example.com',
      '10:00:00',
      '2024-05-01T10:00:00Z',
      'C:\\path\\to\\file.py',
      'C:/path',
      'urn:uuid:e882f9d0',
      'std::vector',
      'a.:B',
      'a.b:.C',
      'mod:Cls.<locals>',
      'mod:Cls<T>',
      'x-ray:Beam',
      '.relative:Cls',
      'created: 2024-05-01',
    ]) {
      assert.deepEqual(topics(text), [], text);
    }
  });

  it('the topic under an offset: inside it or just after it, on its line', () => {
    const text = 'first line\r\n### bank:Account.Opened  id-1\r\n"topic": "bankapp.domainmodel:BankAccount"\n';
    const start = text.indexOf('bank:');
    const expected = { topic: 'bank:Account.Opened', start, end: start + 'bank:Account.Opened'.length };
    assert.deepEqual(topicAt(text, start), expected);
    assert.deepEqual(topicAt(text, start + 7), expected);
    assert.deepEqual(topicAt(text, expected.end), expected);
    assert.equal(topicAt(text, start - 1), undefined);
    assert.equal(topicAt(text, expected.end + 1), undefined);
    assert.equal(topicAt(text, 3), undefined);
    const second = text.indexOf('bankapp.');
    assert.deepEqual(topicAt(text, second + 3), {
      topic: 'bankapp.domainmodel:BankAccount',
      start: second,
      end: second + 'bankapp.domainmodel:BankAccount'.length,
    });
    assert.equal(topicAt(text, text.length), undefined);
    assert.equal(topicAt(text, -1), undefined);
  });
});

describe('the event class names of @event', () => {
  it('follows the library’s rule: the name given, the class given, or the method’s name CamelCased', () => {
    assert.deepEqual(decoratedEventName('@event("Opened")', '__init__'), { name: 'Opened', at: 8 });
    assert.deepEqual(decoratedEventName("@triggers('Credited')", 'credit'), { name: 'Credited', at: 11 });
    assert.deepEqual(decoratedEventName('@event(arg="Renamed")', 'rename'), { name: 'Renamed', at: 12 });
    assert.deepEqual(decoratedEventName('@event(WeightRecorded)', 'record_weight'), { name: 'WeightRecorded', at: 7 });
    assert.deepEqual(decoratedEventName('@event(Dog.WeightRecorded)', 'record_weight'), { name: 'WeightRecorded', at: 11 });
    assert.deepEqual(decoratedEventName('@eventsourcing.domain.event("Moved")  # why', 'move'), { name: 'Moved', at: 29 });
    // No argument: "".join([s.capitalize() for s in original_method_name.split("_")]).
    assert.deepEqual(decoratedEventName('@event', 'credit_account'), { name: 'CreditAccount' });
    assert.deepEqual(decoratedEventName('@event()', '_number_updated'), { name: 'NumberUpdated' });
    assert.deepEqual(decoratedEventName('@event', 'creditAccount'), { name: 'Creditaccount' });
    assert.deepEqual(decoratedEventName('@event', 'set_URL'), { name: 'SetUrl' });
    // The library refuses a bare @event on __init__; other decorators are not @event.
    assert.equal(decoratedEventName('@event', '__init__'), undefined);
    assert.equal(decoratedEventName('@staticmethod', 'f'), undefined);
    assert.equal(decoratedEventName('@events("X")', 'f'), undefined);
    assert.equal(decoratedEventName('@name.setter', 'name'), undefined);
  });
});

describe('where topics are defined: this repo’s Python', () => {
  const bankModel = join(BANKAPP, 'bankapp', 'domainmodel.py');
  const dogModel = join(BANKAPP, 'dogschool', 'domainmodel.py');
  const fixtureModel = join(FIXTURES, 'dogschool', 'domainmodel.py');

  it('finds the classes of examples/bankapp and their @event events', async () => {
    const locator = new TopicLocator([BANKAPP]);
    assert.deepEqual(await locator.locate('bankapp.domainmodel:BankAccount'), where(bankModel, 'class BankAccount', 'BankAccount'));
    assert.deepEqual(await locator.locate('bankapp.domainmodel:BankAccount.Opened'), where(bankModel, '@event("Opened")', 'Opened'));
    assert.deepEqual(await locator.locate('bankapp.domainmodel:BankAccount.Credited'), where(bankModel, '@event("Credited")', 'Credited'));
    assert.deepEqual(
      await locator.locate('bankapp.domainmodel:BankAccount.OverdraftLimitSet'),
      where(bankModel, '@event("OverdraftLimitSet")', 'OverdraftLimitSet'),
    );
    assert.deepEqual(await locator.locate('dogschool.domainmodel:Dog.Registered'), where(dogModel, '@event("Registered")', 'Registered'));
    assert.deepEqual(
      await locator.locate('dogschool.domainmodel:Dog.WeightRecorded'),
      where(dogModel, 'class WeightRecorded', 'WeightRecorded'),
    );
    // A module alone, or a module and a colon: its first line.
    assert.deepEqual(await locator.locate('bankapp.domainmodel'), firstLine(bankModel));
  });

  it('an unknown class is the module’s first line, an unknown event its aggregate', async () => {
    const locator = new TopicLocator([BANKAPP]);
    assert.deepEqual(await locator.locate('bankapp.domainmodel:Nothing.Here'), firstLine(bankModel));
    assert.deepEqual(
      await locator.locate('bankapp.domainmodel:BankAccount.Reopened'),
      where(bankModel, 'class BankAccount', 'BankAccount'),
    );
    assert.deepEqual(
      await locator.locate('bankapp.domainmodel:BankAccount.Opened.Deeper'),
      where(bankModel, '@event("Opened")', 'Opened'),
      'an event class has no classes in it: the event is the deepest part found',
    );
  });

  it('a module that does not exist is undefined', async () => {
    const locator = new TopicLocator([BANKAPP]);
    assert.equal(await locator.locate('bankapp.nomodel:BankAccount'), undefined);
    assert.equal(await locator.locate('nowhere:Thing'), undefined);
    assert.equal(await locator.locate('../bankapp:BankAccount'), undefined);
  });

  it('finds the fixtures’ classes: a nested class before the @event that names it, created events', async () => {
    const locator = new TopicLocator([FIXTURES]);
    assert.deepEqual(
      await locator.locate('dogschool.domainmodel:Dog.WeightRecorded'),
      where(fixtureModel, 'class WeightRecorded', 'WeightRecorded'),
    );
    assert.deepEqual(
      await locator.locate('dogschool.domainmodel:Dog.TrickAdded'),
      where(fixtureModel, '@event("TrickAdded")', 'TrickAdded'),
    );
    assert.deepEqual(await locator.locate('dogschool.domainmodel:Counter'), where(fixtureModel, 'class Counter', 'Counter'));
    assert.deepEqual(
      await locator.locate('dogschool.domainmodel:Counter.Incremented'),
      where(fixtureModel, '@event("Incremented")', 'Incremented'),
    );
    // Counter's __init__ has no @event: the library names its created event "Created".
    assert.deepEqual(
      await locator.locate('dogschool.domainmodel:Counter.Created'),
      where(fixtureModel, 'def __init__(self, name: str)', '__init__'),
    );
    // Dog's __init__ is decorated: Dog has no "Created", Dog itself is the place.
    assert.deepEqual(await locator.locate('dogschool.domainmodel:Dog.Created'), where(fixtureModel, 'class Dog', 'Dog'));
    assert.deepEqual(
      await locator.locate('dogschool.application:FixtureApp'),
      where(join(FIXTURES, 'dogschool', 'application.py'), 'class FixtureApp', 'FixtureApp'),
    );
  });

  it('finds a package two levels under the repo’s root', async () => {
    const locator = new TopicLocator([REPO]);
    assert.deepEqual(await locator.locate('bankapp.domainmodel:BankAccount.Debited'), where(bankModel, '@event("Debited")', 'Debited'));
  });
});

describe('where topics are defined: module files', () => {
  const cls = (name: string) => `class ${name}:\n    pass\n`;

  it('looks under a root, its src, then directories up to 3 levels deep, shallowest first', async () => {
    const root = project({
      'top.py': cls('Top'),
      'src/shop/__init__.py': '',
      'src/shop/orders.py': cls('Order'),
      'a/b/deep/mod.py': cls('Deep'),
      'a/b/c/deeper/mod.py': cls('Deeper'),
      'a/b/c/d/deepest/mod.py': cls('TooDeep'),
      'x/shop/orders.py': cls('Shadowed'),
      'x/y/z/deep/mod.py': cls('Shadowed'),
      'm/n/level/mod.py': cls('First'),
      'z/y/level/mod.py': cls('Second'),
    });
    const locator = new TopicLocator([root]);
    assert.deepEqual(await locator.locate('top:Top'), where(join(root, 'top.py'), 'Top'));
    assert.deepEqual(await locator.locate('shop.orders:Order'), where(join(root, 'src/shop/orders.py'), 'Order'));
    assert.deepEqual(await locator.locate('deep.mod:Deep'), where(join(root, 'a/b/deep/mod.py'), 'Deep'));
    assert.deepEqual(await locator.locate('deeper.mod:Deeper'), where(join(root, 'a/b/c/deeper/mod.py'), 'Deeper'));
    // At the same depth, by name.
    assert.deepEqual(await locator.locate('level.mod:First'), where(join(root, 'm/n/level/mod.py'), 'First'));
    assert.equal(await locator.locate('deepest.mod:TooDeep'), undefined, 'four levels deep');
  });

  it('prefers a package’s __init__.py to a module file of the same name, as Python does', async () => {
    const root = project({ 'pkg/__init__.py': cls('FromInit'), 'pkg.py': cls('FromFile'), 'pkg/sub.py': cls('Sub') });
    const locator = new TopicLocator([root]);
    assert.deepEqual(await locator.locate('pkg:FromInit'), where(join(root, 'pkg/__init__.py'), 'FromInit'));
    assert.deepEqual(await locator.locate('pkg.sub:Sub'), where(join(root, 'pkg/sub.py'), 'Sub'));
  });

  it('skips node_modules, __pycache__ and dot-directories; virtual environments’ site-packages come last', async () => {
    const root = project({
      'web/node_modules/hidden/mod.py': cls('Hidden'),
      'web/__pycache__/cached/mod.py': cls('Cached'),
      '.tox/dotted/mod.py': cls('Dotted'),
      'tools/.cache/dotted2/mod.py': cls('Dotted'),
      '.venv/lib/python3.12/site-packages/both/mod.py': cls('Installed'),
      '.venv/lib/python3.12/site-packages/installed/mod.py': cls('Installed'),
      'vendor/both/mod.py': cls('Vendored'),
      'venv/Lib/site-packages/winstalled/mod.py': cls('Windows'),
      'env/pyvenv.cfg': 'home = /usr/bin\n',
      'env/lib/python3.11/site-packages/envd/mod.py': cls('FromEnv'),
      'env/envd/mod.py': cls('NotAProject'),
    });
    const locator = new TopicLocator([root]);
    assert.equal(await locator.locate('hidden.mod:Hidden'), undefined);
    assert.equal(await locator.locate('cached.mod:Cached'), undefined);
    assert.equal(await locator.locate('dotted.mod:Dotted'), undefined);
    assert.equal(await locator.locate('dotted2.mod:Dotted'), undefined);
    assert.deepEqual(await locator.locate('both.mod:Vendored'), where(join(root, 'vendor/both/mod.py'), 'Vendored'));
    const installed = join(root, '.venv/lib/python3.12/site-packages/installed/mod.py');
    assert.deepEqual(await locator.locate('installed.mod:Installed'), where(installed, 'Installed'));
    const windows = join(root, 'venv/Lib/site-packages/winstalled/mod.py');
    assert.deepEqual(await locator.locate('winstalled.mod:Windows'), where(windows, 'Windows'));
    const env = join(root, 'env/lib/python3.11/site-packages/envd/mod.py');
    assert.deepEqual(await locator.locate('envd.mod:FromEnv'), where(env, 'FromEnv'));
  });

  it('looks in every root, each way in turn; a root may be the top package itself', async () => {
    const first = project({ 'deep/er/app/mod.py': cls('Deep') });
    const second = project({ 'app/mod.py': cls('Direct') });
    const pkg = project({ 'bankapp/__init__.py': '', 'bankapp/domainmodel.py': cls('BankAccount') });
    const locator = new TopicLocator([first, second, join(pkg, 'bankapp')]);
    assert.deepEqual(await locator.locate('app.mod:Direct'), where(join(second, 'app/mod.py'), 'Direct'));
    assert.deepEqual(await locator.locate('bankapp.domainmodel:BankAccount'), where(join(pkg, 'bankapp/domainmodel.py'), 'BankAccount'));
  });

  it('remembers module lookups until clear(); reads a module again when it changes', async () => {
    const root = project({ 'there.py': cls('There') });
    const locator = new TopicLocator([root]);
    assert.equal(await locator.locate('later:Later'), undefined);
    writeFileSync(join(root, 'later.py'), cls('Later'));
    assert.equal(await locator.locate('later:Later'), undefined, 'the missing module is remembered');
    locator.clear();
    assert.deepEqual(await locator.locate('later:Later'), where(join(root, 'later.py'), 'Later'));

    const file = join(root, 'there.py');
    assert.deepEqual(await locator.locate('there:There'), where(file, 'There'));
    writeFileSync(file, `"""Moved down."""\n\n\n${cls('There')}`);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.deepEqual(await locator.locate('there:There'), { ...where(file, 'class There', 'There'), line: 3 });

    rmSync(join(root, 'later.py'));
    assert.equal(await locator.locate('later:Later'), undefined, 'a module that went away is looked for again');
  });

  it('looks for a missing module again once its miss is older than the time given (no clear() needed)', async () => {
    const root = project({ 'there.py': cls('There') });
    const locator = new TopicLocator([root], 100);
    assert.equal(await locator.locate('app.later:Later'), undefined);
    mkdirSync(join(root, 'deep', 'app'), { recursive: true });
    writeFileSync(join(root, 'deep', 'app', 'later.py'), cls('Later'));
    assert.equal(await locator.locate('app.later:Later'), undefined, 'still remembered as missing');
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(await locator.locate('app.later:Later'), where(join(root, 'deep', 'app', 'later.py'), 'Later'));
  });
});

describe('where topics are defined: classes in a module', () => {
  it('nested classes by indentation: three levels, tabs, CRLF, classes without bases', async () => {
    const text = [
      'class Outer:',
      '\t"""Outer."""',
      '',
      '\tclass Middle(object):',
      '\t\tclass Inner :',
      '\t\t\tpass',
      '',
      '\t\tdef method(self):',
      '\t\t\tclass Hidden:',
      '\t\t\t\tpass',
      '',
      '\tclass Inner:  # the other Inner',
      '\t\tpass',
      'class Inner: pass',
      'class After(Outer): pass',
      '',
    ].join('\r\n');
    const root = project({ 'nest.py': text });
    const file = join(root, 'nest.py');
    const locator = new TopicLocator([root]);
    const at = (line: number, name: string) => {
      const character = text.split('\r\n')[line].indexOf(name);
      return { file, line, character, endCharacter: character + name.length };
    };
    assert.deepEqual(await locator.locate('nest:Outer.Middle.Inner'), at(4, 'Inner'));
    assert.deepEqual(await locator.locate('nest:Outer.Inner'), at(11, 'Inner'));
    assert.deepEqual(await locator.locate('nest:Inner'), at(13, 'Inner'));
    assert.deepEqual(await locator.locate('nest:After'), at(14, 'After'));
    assert.deepEqual(await locator.locate('nest:Outer.Middle.Hidden'), at(3, 'Middle'), 'a method’s classes are not the class’s');
    assert.deepEqual(await locator.locate('nest:Outer.Middle.method.<locals>.Hidden'), at(8, 'Hidden'));
  });

  it('skips strings and comments: docstrings with class lines, one-line and escaped strings', async () => {
    const text = [
      '"""A module.',
      '',
      'class Account:',
      '    class Opened:',
      '"""',
      "NOTE = '''",
      'class Ghost:',
      "'''",
      '# class Ghost:',
      'ESCAPED = "\\"""; QUOTE = \'"\'',
      'class Account(  # the real one',
      '    object,',
      '):',
      '    """Its docstring.',
      'class Opened:',
      '    """',
      '    class Opened:',
      "        r'''raw \\''' still in",
      'class Ghost2:',
      "        '''",
      '',
    ].join('\n');
    const root = project({ 'strings.py': text });
    const file = join(root, 'strings.py');
    const locator = new TopicLocator([root]);
    assert.deepEqual(await locator.locate('strings:Account'), { file, line: 10, character: 6, endCharacter: 13 });
    assert.deepEqual(await locator.locate('strings:Account.Opened'), { file, line: 16, character: 10, endCharacter: 16 });
    assert.deepEqual(await locator.locate('strings:Ghost'), firstLine(file));
    assert.deepEqual(await locator.locate('strings:Ghost2'), firstLine(file));
    assert.deepEqual(await locator.locate('strings:Opened'), firstLine(file));
  });

  it('decorated classes, multi-line headers, created_event_name, blocks and <locals>', async () => {
    const text = [
      'from dataclasses import dataclass',
      'from eventsourcing import domain',
      'from eventsourcing.domain import Aggregate, aggregate, event, triggers',
      '',
      '',
      'class Closed(Aggregate.Event):',
      '    pass',
      '',
      '',
      '@dataclass(',
      '    frozen=True,',
      ')',
      'class Account(',
      '    Aggregate,',
      '    created_event_name="Registered",',
      '):',
      '    class Frozen(Aggregate.Event):',
      '        pass',
      '',
      '    @triggers(Frozen)',
      '    def freeze(self) -> None:',
      '        pass',
      '',
      '    @event',
      '    def credit_account(self, amount: int) -> None:',
      '        pass',
      '',
      '    @event()',
      '    def _number_updated(self, value: str) -> None:',
      '        pass',
      '',
      '    @event(Closed)',
      '    def close(self) -> None:',
      '        pass',
      '',
      '    @event(',
      '        "Renamed",',
      '    )',
      '    def rename(self, name: str) -> None:',
      '        pass',
      '',
      '    @property',
      '    def name(self) -> str:',
      '        return ""',
      '',
      '    @name.setter',
      '    @domain.event("NameChanged")',
      '    def name(self, value: str) -> None:',
      '        pass',
      '',
      '    async def fetch(self) -> None:',
      '        pass',
      '',
      '',
      '@aggregate(created_event_name="Started")',
      'class Job:',
      '    def __init__(self, name):',
      '        self.name = name',
      '',
      '',
      'class Plain(Aggregate):',
      '    def __init__(self, title):',
      '        self.title = title',
      '',
      '',
      'class Bare(Aggregate):',
      '    pass',
      '',
      '',
      'try:',
      '    class Fast:',
      '        pass',
      'except ImportError:',
      '    class Fast:',
      '        pass',
      '',
      '',
      'if TYPE_CHECKING:',
      '    class Shown(Protocol):',
      '        pass',
      '',
      '',
      'class Shown:',
      '    pass',
      '',
      '',
      'def make():',
      '    class Local(Aggregate):',
      '        @event("Made")',
      '        def __init__(self):',
      '            pass',
      '    return Local',
      '',
      'Alias = Account',
      'Typed: type = Plain',
      '',
    ].join('\n');
    const root = project({ 'bank/models.py': text });
    const file = join(root, 'bank/models.py');
    const locator = new TopicLocator([root]);
    const lines = text.split('\n');
    const at = (needle: string, name: string) => {
      const line = lines.findIndex((l) => l.includes(needle));
      const character = lines[line].indexOf(name);
      return { file, line, character, endCharacter: character + name.length };
    };
    assert.deepEqual(await locator.locate('bank.models:Account'), at('class Account(', 'Account'));
    assert.deepEqual(await locator.locate('bank.models:Account.Frozen'), at('class Frozen', 'Frozen'));
    assert.deepEqual(await locator.locate('bank.models:Account.CreditAccount'), at('def credit_account', 'credit_account'));
    assert.deepEqual(await locator.locate('bank.models:Account.NumberUpdated'), at('def _number_updated', '_number_updated'));
    assert.deepEqual(await locator.locate('bank.models:Account.Closed'), at('@event(Closed)', 'Closed'));
    assert.deepEqual(await locator.locate('bank.models:Account.Renamed'), at('"Renamed"', 'Renamed'));
    assert.deepEqual(await locator.locate('bank.models:Account.NameChanged'), at('@domain.event', 'NameChanged'));
    assert.deepEqual(await locator.locate('bank.models:Account.Registered'), at('created_event_name="Registered"', 'Registered'));
    assert.deepEqual(await locator.locate('bank.models:Account.Created'), at('class Account(', 'Account'));
    assert.deepEqual(
      await locator.locate('bank.models:Account.Fetch'),
      at('class Account(', 'Account'),
      'undecorated methods make no events',
    );
    assert.deepEqual(await locator.locate('bank.models:Job.Started'), at('@aggregate(created_event_name', 'Started'));
    assert.deepEqual(await locator.locate('bank.models:Plain.Created'), at('def __init__(self, title)', '__init__'));
    assert.deepEqual(await locator.locate('bank.models:Bare.Created'), at('class Bare', 'Bare'));
    assert.deepEqual(await locator.locate('bank.models:Fast'), at('    class Fast', 'Fast'));
    assert.deepEqual(await locator.locate('bank.models:Shown'), at('class Shown:', 'Shown'), 'the module’s own before its blocks’');
    assert.deepEqual(await locator.locate('bank.models:make.<locals>.Local.Made'), at('@event("Made")', 'Made'));
    assert.deepEqual(await locator.locate('bank.models:Alias'), at('Alias = Account', 'Alias'));
    assert.deepEqual(await locator.locate('bank.models:Typed'), at('Typed: type', 'Typed'));
  });

  it('follows from … import to the module a name comes from', async () => {
    const root = project({
      'pkg/__init__.py': [
        'from .models import Thing as Alias',
        'from pkg.models import (',
        '    Other,  # the other one',
        ')',
        'from .missing import Gone',
        '',
      ].join('\n'),
      'pkg/models.py':
        'from .base import Base\n\n\nclass Thing(Base):\n    class Done(Base.Event):\n        pass\n\n\nclass Other:\n    pass\n',
      'pkg/base.py': 'class Base:\n    class Event:\n        pass\n',
    });
    const models = join(root, 'pkg/models.py');
    const init = join(root, 'pkg/__init__.py');
    const locator = new TopicLocator([root]);
    assert.deepEqual(await locator.locate('pkg:Alias.Done'), where(models, 'class Done', 'Done'));
    assert.deepEqual(await locator.locate('pkg:Other'), where(models, 'class Other', 'Other'));
    assert.deepEqual(await locator.locate('pkg.models:Base.Event'), where(join(root, 'pkg/base.py'), 'class Event', 'Event'));
    assert.deepEqual(await locator.locate('pkg:Gone'), where(init, 'import Gone', 'Gone'), 'an import that leads nowhere: the import');
  });
});
