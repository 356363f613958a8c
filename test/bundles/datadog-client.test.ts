import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  datadogClientAlias,
  keepTypes,
  prepareDatadogClient,
  type TypeSource,
  typesReached,
} from '../../infra/bundling/datadog-client.js';
import { REPO_ROOT } from '../../infra/constructs/ops-function.js';

/**
 * The Datadog client's copy (infra/bundling/datadog-client.ts) against the package itself. The
 * oracle is the package's own `ObjectSerializer`, loaded from node_modules beside the copy's: every
 * type the copied API modules name in their text is serialised from a sample that fills every
 * attribute at every depth (built here from the package's own model classes, enum modules and
 * union declarations, not from the copy's type list), and the two serializers must give the same
 * JSON, read it back to the same objects, and refuse the same wrong values.
 */

const PACKAGE = join(REPO_ROOT, 'node_modules', '@datadog', 'datadog-api-client');
const V1 = join('dist', 'packages', 'datadog-api-client-v1');
const APIS = ['EventsApi', 'MetricsApi'];

// Inside this project's node_modules, so the copies' own requires (loglevel, …) resolve as they do here.
mkdirSync(join(REPO_ROOT, 'node_modules', '.cache'), { recursive: true });
const work = mkdtempSync(join(REPO_ROOT, 'node_modules', '.cache', 'datadog-client-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A throw-away project whose Datadog client is the real package, linked. */
function project(): string {
  const root = mkdtempSync(join(work, 'project-'));
  mkdirSync(join(root, 'node_modules', '@datadog'), { recursive: true });
  symlinkSync(PACKAGE, join(root, 'node_modules', '@datadog', 'datadog-api-client'));
  return root;
}

// The copy under test is made afresh in a project of its own, never the one a build left in this
// project's cache (it would have been made by an earlier version of the code).
let root = '';
beforeAll(() => {
  root = project();
  prepareDatadogClient(root);
});
const copyDir = () => join(root, datadogClientAlias(root).split('=')[1] ?? '');

interface Serializer {
  serialize(data: unknown, type: string, format: string): unknown;
  deserialize(data: unknown, type: string, format?: string): unknown;
}
const serializerOf = (root: string): Serializer =>
  (
    createRequire(join(root, V1, 'models', 'x.js'))('./ObjectSerializer.js') as {
      ObjectSerializer: Serializer;
    }
  ).ObjectSerializer;

/** The package's own view of a type name: a model class, an enum's values, or a union's members. */
type Kind =
  | { kind: 'class'; attributes: Record<string, { baseName: string; type: string; format?: string }> }
  | { kind: 'enum'; values: unknown[] }
  | { kind: 'union'; members: string[] };
const models = createRequire(join(PACKAGE, V1, 'models', 'x.js'));
function kindOf(name: string): Kind {
  const exported = models(`./${name}.js`) as Record<string, unknown>;
  const model = exported[name] as { getAttributeTypeMap?: () => Record<string, never> } | undefined;
  if (model?.getAttributeTypeMap) return { kind: 'class', attributes: model.getAttributeTypeMap() };
  const values = Object.entries(exported)
    .filter(([key]) => key !== '__esModule')
    .map(([, value]) => value);
  if (values.length > 0) return { kind: 'enum', values };
  const declared = /export declare type \w+ = ([^;]+);/.exec(
    readFileSync(join(PACKAGE, V1, 'models', `${name}.d.ts`), 'utf8'),
  )?.[1];
  if (!declared) throw new Error(`${name}: neither a class, an enum nor a union`);
  return { kind: 'union', members: declared.split(' | ').filter((member) => member !== 'UnparsedObject') };
}

/** A value of `type` with every attribute set, at every depth (a type met again on its own path is left out). */
function sample(type: string, path: readonly string[] = []): unknown {
  const inner = (prefix: string, suffix: string) => type.slice(prefix.length, type.length - suffix.length);
  if (type === 'string') return `s-${path.length}`;
  if (type === 'number') return 7 + path.length;
  if (type === 'boolean') return true;
  if (type === 'any') return { free: ['form'] };
  if (type === 'Date') return new Date(Date.UTC(2026, 11, 7, 8, 30));
  if (type.startsWith('Array<'))
    return [sample(inner('Array<', '>'), path), sample(inner('Array<', '>'), path)];
  if (type.startsWith('{ [key: string]: ')) return { one: sample(inner('{ [key: string]: ', '; }'), path) };
  if (type.startsWith('['))
    return inner('[', ']')
      .split(', ')
      .map((member) => sample(member, path));
  const kind = kindOf(type);
  if (kind.kind === 'enum') return kind.values[0];
  if (kind.kind === 'union') return sample(kind.members[0] as string, path);
  const value: Record<string, unknown> = {};
  for (const [name, attribute] of Object.entries(kind.attributes)) {
    if (name === 'additionalProperties') {
      value.additionalProperties = { extra_field: 'extra' };
    } else if (!path.includes(attribute.type)) {
      value[name] = sample(attribute.type, [...path, type]);
    }
  }
  return value;
}

/** Objects as JSON with each class's name, so two copies of the same class compare equal. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Date) return { Date: value.toISOString() };
  if (value === null || typeof value !== 'object') return value;
  return {
    class: value.constructor?.name,
    ...Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, canonical(inner)])),
  };
}

/** Every type name the API modules pass in quotes that the package has a model for: independent of the copy's own reading. */
const NAMED = [
  ...new Set(
    APIS.flatMap((api) =>
      [...readFileSync(join(PACKAGE, V1, 'apis', `${api}.js`), 'utf8').matchAll(/"([A-Z]\w+)"/g)].map(
        (m) => m[1] as string,
      ),
    ),
  ),
]
  .filter((name) => existsSync(join(PACKAGE, V1, 'models', `${name}.js`)))
  .sort();

describe('the copy’s serializer against the package’s own', () => {
  it('the API modules name the types the functions send and read back', () => {
    expect(NAMED).toEqual(
      expect.arrayContaining([
        'EventCreateRequest',
        'EventCreateResponse',
        'MetricsPayload',
        'IntakePayloadAccepted',
        'APIErrorResponse',
      ]),
    );
  });

  it.each(NAMED)('%s: the same JSON out, the same objects back', (type) => {
    const original = serializerOf(PACKAGE);
    const copy = serializerOf(copyDir());
    const value = sample(type);
    const wire = original.serialize(value, type, '');
    expect(copy.serialize(value, type, '')).toEqual(wire);
    const read = JSON.parse(JSON.stringify(wire)) as unknown;
    expect(canonical(copy.deserialize(read, type, ''))).toEqual(
      canonical(original.deserialize(read, type, '')),
    );
  });

  it.each(NAMED)('%s: the same refusal of a value with an attribute it does not have', (type) => {
    const kind = kindOf(type);
    if (kind.kind !== 'class' || 'additionalProperties' in kind.attributes) {
      // Only a class without additional properties refuses an unknown attribute; the others must agree anyway.
      const value = sample(type);
      expect(serializerOf(copyDir()).serialize(value, type, '')).toEqual(
        serializerOf(PACKAGE).serialize(value, type, ''),
      );
      return;
    }
    const value = { ...(sample(type) as object), notAnAttribute: 1 };
    const refusal = (s: Serializer) => {
      try {
        s.serialize(value, type, '');
        return 'accepted';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(refusal(serializerOf(copyDir()))).toBe(refusal(serializerOf(PACKAGE)));
    expect(refusal(serializerOf(PACKAGE))).not.toBe('accepted');
  });

  it('every enum value the APIs reach, and a value that is none of them, the same way', () => {
    const original = serializerOf(PACKAGE);
    const copy = serializerOf(copyDir());
    const outcome = (s: Serializer, value: unknown, type: string) => {
      try {
        return s.serialize(value, type, '');
      } catch (err) {
        return `refused: ${(err as Error).message}`;
      }
    };
    for (const type of [
      'EventAlertType',
      'EventPriority',
      'MetricContentEncoding',
      'DistributionPointsType',
    ]) {
      const kind = kindOf(type);
      expect(kind.kind, type).toBe('enum');
      for (const value of [...(kind.kind === 'enum' ? kind.values : []), 'not-a-value']) {
        expect(outcome(copy, value, type), `${type} ${String(value)}`).toEqual(
          outcome(original, value, type),
        );
      }
    }
  });

  it('the copy is the package byte for byte, but for the serializer: the modules the APIs reach, with their source maps', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(dir, entry.name));
        else files.push(relative(copyDir(), join(dir, entry.name)));
      }
    };
    walk(copyDir());
    const serializer = join(V1, 'models', 'ObjectSerializer.js');
    for (const file of files.filter((f) => f !== serializer)) {
      expect(readFileSync(join(copyDir(), file)).equals(readFileSync(join(PACKAGE, file))), file).toBe(true);
    }
    for (const file of files.filter((f) => f.endsWith('.js') && f !== serializer)) {
      expect(files, file).toContain(`${file}.map`);
    }
    expect(files).toContain(join(V1, 'apis', 'EventsApi.js'));
    expect(files.filter((f) => f.startsWith(join(V1, 'apis')) && f.endsWith('.js')).sort()).toEqual(
      APIS.map((api) => join(V1, 'apis', `${api}.js`)),
    );
    expect(files.some((f) => f.includes('datadog-api-client-v2'))).toBe(false);
    // The package has 776 v1 model classes; the APIs reach 18.
    const models = files.filter((f) => f.startsWith(join(V1, 'models')) && f.endsWith('.js'));
    expect(models.length).toBeGreaterThan(10);
    expect(models.length).toBeLessThan(40);
    // Model classes only: an enum's or a union's module (they exist too) is not what the serializer requires.
    for (const model of models.filter((file) => file !== serializer)) {
      const name = model.replace(/.*\//, '').replace(/\.js$/, '');
      expect(kindOf(name).kind, name).toBe('class');
    }
    expect(readFileSync(join(copyDir(), serializer), 'utf8')).not.toContain('sourceMappingURL');
  });
});

const SERIALIZER = `"use strict";
const util_1 = require("../../datadog-api-client-common/util");
const Alpha_1 = require("./Alpha");
const Beta_1 = require("./Beta");
const Gamma_1 = require("./Gamma");
const Odd_1 = require("./Even");
const primitives = ["string"];
const enumsMap = {
    Colour: ["red", "green"],
    Shade: [
        "light",
        "dark",
    ],
};
const typeMap = {
    Alpha: Alpha_1.Alpha,
    Beta: Beta_1.Beta,
    Gamma: Gamma_1.Gamma,
};
const oneOfMap = {
    Either: ["Alpha", "Beta"],
    Wide: [
        "Beta",
        "Gamma",
    ],
};
class ObjectSerializer {
}
exports.ObjectSerializer = ObjectSerializer;
//# sourceMappingURL=ObjectSerializer.js.map`;

describe('keepTypes, on a serializer of the package’s shape', () => {
  it('keeps the named types’ requires and entries, multi-line ones whole, and drops the rest', () => {
    const { text, kept, dropped } = keepTypes(SERIALIZER, new Set(['Alpha', 'Shade', 'Wide']));
    expect(text).toBe(`"use strict";
const util_1 = require("../../datadog-api-client-common/util");
const Alpha_1 = require("./Alpha");
const Odd_1 = require("./Even");
const primitives = ["string"];
const enumsMap = {
    Shade: [
        "light",
        "dark",
    ],
};
const typeMap = {
    Alpha: Alpha_1.Alpha,
};
const oneOfMap = {
    Wide: [
        "Beta",
        "Gamma",
    ],
};
class ObjectSerializer {
}
exports.ObjectSerializer = ObjectSerializer;
`);
    expect({ kept, dropped }).toEqual({ kept: 3, dropped: 6 });
  });

  it('leaves empty maps when nothing is kept, and everything when everything is', () => {
    const none = keepTypes(SERIALIZER, new Set());
    expect(none.text).toContain(
      'const enumsMap = {\n};\nconst typeMap = {\n};\nconst oneOfMap = {\n};\nclass',
    );
    const all = keepTypes(
      SERIALIZER,
      new Set(['Alpha', 'Beta', 'Gamma', 'Colour', 'Shade', 'Either', 'Wide']),
    );
    expect(all.text).toBe(SERIALIZER.replace('\n//# sourceMappingURL=ObjectSerializer.js.map', '\n'));
    expect(all).toMatchObject({ kept: 7, dropped: 0 });
    expect(keepTypes(none.text, new Set(['Alpha'])).text).toBe(none.text);
  });

  it('refuses a serializer without one of its maps, or with an entry of another shape, naming it', () => {
    expect(() => keepTypes(SERIALIZER.replace('const typeMap = {', 'let typeMap = {'), new Set())).toThrow(
      'the serializer has no "const typeMap = {" block; datadog-client.ts needs a look',
    );
    expect(() => keepTypes(SERIALIZER.replace('\n};\nclass', '\nclass'), new Set())).toThrow(
      'the serializer has no "const oneOfMap = {" block; datadog-client.ts needs a look',
    );
    expect(() => keepTypes(SERIALIZER.replace('    Colour:', '  Colour:'), new Set())).toThrow(
      'enumsMap has an entry that does not start "    Name:"; datadog-client.ts needs a look',
    );
  });
});

describe('typesReached', () => {
  const source: TypeSource = {
    enums: new Set(['Colour', 'Unused']),
    unions: new Map([['Either', ['Alpha', 'Array<number>']]]),
    classes: new Set(['Alpha', 'Beta', 'Gamma', 'Node', 'Lonely']),
    attributeTypes: (name) =>
      ({
        Alpha: ['string', '{ [key: string]: Beta; }'],
        Beta: ['Array<[Colour, Colour]>', 'Date'],
        Gamma: ['Node'],
        Node: ['Array<Node>', 'Either'],
        Lonely: [],
      })[name] ?? [],
  };

  it('follows request, parameter and response types through attributes, maps, arrays, tuples and unions', () => {
    const api = [
      'const b = ObjectSerializer_1.ObjectSerializer.stringify(ObjectSerializer_1.ObjectSerializer.serialize(body, "Gamma", ""), contentType);',
      'requestContext.setQueryParam("start", ObjectSerializer_1.ObjectSerializer.serialize(start, "number", "int64"), "");',
      'const x = ObjectSerializer_1.ObjectSerializer.deserialize(ObjectSerializer_1.ObjectSerializer.parse(yield response.body.text(), contentType), "APIError");',
    ].join('\n');
    expect([...typesReached([api], source)].sort()).toEqual([
      'Alpha',
      'Beta',
      'Colour',
      'Either',
      'Gamma',
      'Node',
    ]);
  });

  it('reads only the types given to serialize and deserialize, across every API module', () => {
    const quoted = 'const name = "Lonely"; requestContext.setHeaderParam("Content-Type", "Beta");';
    const other = 'ObjectSerializer.deserialize(body, "Colour", "")';
    expect([...typesReached([quoted, other], source)]).toEqual(['Colour']);
  });
});

describe('the copy, made in a project of its own', () => {
  it('makes the cache and the copy the alias names, replaces older copies and leaves other folders', () => {
    const root = project();
    const alias = datadogClientAlias(root);
    const version = (JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as { version: string })
      .version;
    expect(alias).toMatch(
      new RegExp(
        `^@datadog/datadog-api-client=\\./node_modules/\\.cache/ops-automation/datadog-api-client/${version.replaceAll('.', '\\.')}-[0-9a-f]{12}$`,
      ),
    );
    const cache = join(root, 'node_modules/.cache/ops-automation/datadog-api-client');
    mkdirSync(join(cache, '0.0.1-0123456789ab', 'dist'), { recursive: true });
    mkdirSync(join(cache, '10.20.30-abcdef012345'), { recursive: true });
    // Another build's staging folder, a copy kept under another name, notes: none of them an older copy.
    mkdirSync(join(cache, '0.0.2-0123456789ab.4242.1765000000000'), { recursive: true });
    mkdirSync(join(cache, 'kept-0.0.1-0123456789ab'), { recursive: true });
    mkdirSync(join(cache, 'notes'), { recursive: true });
    prepareDatadogClient(root);
    const copy = join(root, alias.split('=')[1] ?? '');
    expect(readFileSync(join(copy, V1, 'models', 'ObjectSerializer.js'), 'utf8')).toBe(
      readFileSync(join(copyDir(), V1, 'models', 'ObjectSerializer.js'), 'utf8'),
    );
    expect(readdirSync(cache).sort()).toEqual(
      [
        relative(cache, copy),
        '0.0.2-0123456789ab.4242.1765000000000',
        'kept-0.0.1-0123456789ab',
        'notes',
      ].sort(),
    );
  });

  /** A throw-away project whose Datadog client is a package of the real one's shape, with these files under its v1 folder. */
  function fakeProject(files: Record<string, string>): { root: string; v1: string } {
    const fake = mkdtempSync(join(work, 'project-'));
    const pkg = join(fake, 'node_modules', '@datadog', 'datadog-api-client');
    mkdirSync(join(pkg, V1, 'models'), { recursive: true });
    mkdirSync(join(pkg, V1, 'apis'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ version: '9.9.9' }));
    const apis = {
      'apis/EventsApi.js': 'ObjectSerializer_1.ObjectSerializer.serialize(body, "Alpha", "");\n',
      'apis/MetricsApi.js': '',
      'models/Alpha.js': 'exports.Alpha = class Alpha { static getAttributeTypeMap() { return {}; } };\n',
    };
    for (const [file, text] of Object.entries({ ...apis, ...files }))
      writeFileSync(join(pkg, V1, file), text);
    return { root: fake, v1: join(pkg, V1) };
  }

  it.each([
    ['a type map without a model it requires', SERIALIZER.replace('    Gamma: Gamma_1.Gamma,\n', ''), 2],
    [
      'a type map with a model it does not require',
      SERIALIZER.replace('const Gamma_1 = require("./Gamma");\n', ''),
      3,
    ],
    [
      'a type map naming other models than it requires',
      SERIALIZER.replace('const Gamma_1 = require("./Gamma");', 'const Delta_1 = require("./Delta");'),
      3,
    ],
    [
      'no model at all',
      SERIALIZER.replace(/^const \w+_1 = require\("\.\/\w+"\);\n/gm, '').replace(
        /^ {4}\w+: \w+_1\.\w+,\n/gm,
        '',
      ),
      0,
    ],
  ])('refuses a package whose serializer has %s, and makes no copy', (_, serializer, size) => {
    const fake = fakeProject({ 'models/ObjectSerializer.js': serializer });
    expect(() => prepareDatadogClient(fake.root)).toThrow(
      `${fake.v1}: the serializer's requires and its type map do not name the same ${size} models; datadog-client.ts needs a look`,
    );
    expect(existsSync(join(fake.root, 'node_modules', '.cache'))).toBe(false);
  });

  it('refuses a model module that does not export its class, naming it', () => {
    const fake = fakeProject({
      'models/ObjectSerializer.js': SERIALIZER,
      'models/Alpha.js': 'exports.NotAlpha = class {};\n',
    });
    expect(() => prepareDatadogClient(fake.root)).toThrow(`${fake.v1}/models/Alpha.js does not export Alpha`);
    expect(existsSync(join(fake.root, 'node_modules', '.cache'))).toBe(false);
  });
});
