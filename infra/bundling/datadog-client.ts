import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { DATADOG_CLIENT_MODULES } from '../../functions/shared/datadog-modules.js';
import { COPIES, placeCopy } from './package-copy.js';

/**
 * The Datadog API client as the functions use it, without the models they never reach (issue 17).
 *
 * `@datadog/datadog-api-client` is CommonJS. Each API version has one `models/ObjectSerializer.js`
 * that `require`s every model of that version (776 in v1) to fill its type map, and every API
 * module requires it. So a function that posts one event and one series set up all 776 classes at
 * its first report: 727 KB of a bundle, compiled and run, which esbuild cannot drop because
 * `require` of a CommonJS module may have side effects.
 *
 * Here the package is copied (its `package.json`, the top-level modules `logger`, `userAgent` and
 * `version`, the common package, and the API modules of `DATADOG_CLIENT_MODULES`) into
 * `node_modules/.cache/`, each with its source map. The copied APIs' `ObjectSerializer` is written
 * by `keepTypes` with only the types those APIs can reach (`typesReached`): its requires and the
 * entries of its three maps (enums, classes, one-of unions) for every other type are left out, and
 * nothing else changes. The models kept are copied as they are. BUNDLING aliases the package to the
 * copy, so a function importing an API module the copy does not hold fails to build instead of
 * serialising without its types. test/bundles/datadog-client.test.ts holds the copy's serializer to
 * the package's own on every type the APIs reach.
 */

const PACKAGE = '@datadog/datadog-api-client';
const CACHE = join(COPIES, 'datadog-api-client');
/** The top-level modules the common package requires. */
const TOP_LEVEL = ['logger.js', 'userAgent.js', 'version.js'];

export interface Kept {
  readonly text: string;
  /** Types kept, across the requires and the three maps. */
  readonly kept: number;
  /** Entries left out: requires and map entries. */
  readonly dropped: number;
}

/** The text of `const <name> = {` … `};` in a serializer: where it starts, where it ends (after `};\n`). */
function mapBlock(source: string, name: string): { start: number; end: number } {
  const start = source.indexOf(`\nconst ${name} = {\n`);
  const end = source.indexOf('\n};\n', start);
  if (start < 0 || end < 0) {
    throw new Error(`the serializer has no "const ${name} = {" block; datadog-client.ts needs a look`);
  }
  return { start: start + 1, end: end + 4 };
}

/**
 * An API version's `ObjectSerializer.js` with only the types `keep` names: the other models'
 * `const X_1 = require("./X");` lines and their entries in `enumsMap`, `typeMap` and `oneOfMap` are
 * left out. An entry is a line at four spaces' indent starting `Name:`, with the lines after it up
 * to the next such line (an enum's values, a union's members). The source map comment goes, since
 * the lines it maps have moved.
 */
export function keepTypes(source: string, keep: ReadonlySet<string>): Kept {
  let kept = 0;
  let dropped = 0;
  let text = source.replace(
    /^const (\w+)_1 = require\("\.\/(\w+)"\);\n/gm,
    (line, alias: string, file: string) => {
      if (alias !== file) return line;
      if (keep.has(file)) return line;
      dropped++;
      return '';
    },
  );
  for (const name of ['enumsMap', 'typeMap', 'oneOfMap']) {
    const { start, end } = mapBlock(text, name);
    const head = `const ${name} = {\n`;
    const body = text.slice(start + head.length, end - '\n};\n'.length + 1);
    const entries = body === '' ? [] : body.split(/(?<=\n)(?= {4}\w+:)/);
    const left = entries.filter((entry) => {
      const key = /^ {4}(\w+):/.exec(entry)?.[1];
      if (key === undefined) {
        throw new Error(
          `${name} has an entry that does not start "    Name:"; datadog-client.ts needs a look`,
        );
      }
      if (keep.has(key)) kept++;
      else dropped++;
      return keep.has(key);
    });
    text = `${text.slice(0, start)}${head}${left.join('')}};\n${text.slice(end)}`;
  }
  text = text.replace(/\n\/\/# sourceMappingURL=\S+\n?$/, '\n');
  return { text, kept, dropped };
}

/** What `typesReached` reads of an API version: its serializer's maps and its models' attributes. */
export interface TypeSource {
  readonly enums: ReadonlySet<string>;
  readonly unions: ReadonlyMap<string, readonly string[]>;
  readonly classes: ReadonlySet<string>;
  /** The `type` of each attribute of a class in `classes`. */
  attributeTypes(name: string): readonly string[];
}

/**
 * The types an API module can hand its serializer: every type named by a `serialize` or
 * `deserialize` call in its text (a request body, a query parameter, each response and error
 * body), and every type those reach: a class's attribute types, a union's members, each name inside
 * `Array<…>`, `{ [key: string]: … }` and tuples.
 */
export function typesReached(apiSources: readonly string[], source: TypeSource): Set<string> {
  const reached = new Set<string>();
  const visit = (type: string): void => {
    for (const [name] of type.matchAll(/[A-Za-z_]\w*/g)) {
      if (reached.has(name)) continue;
      if (source.classes.has(name)) {
        reached.add(name);
        for (const attribute of source.attributeTypes(name)) visit(attribute);
      } else if (source.enums.has(name)) {
        reached.add(name);
      } else {
        const members = source.unions.get(name);
        if (members === undefined) continue;
        reached.add(name);
        for (const member of members) visit(member);
      }
    }
  };
  for (const api of apiSources) {
    for (const [, type] of api.matchAll(/ObjectSerializer\.(?:de)?serialize\([^;]*?, "([^"]+)"/g)) {
      visit(type as string);
    }
  }
  return reached;
}

/** An API version of the installed package, read as `typesReached` needs it. */
function typeSourceOf(versionDir: string, serializer: string): TypeSource {
  const literal = (name: string): Record<string, unknown> => {
    const { start, end } = mapBlock(serializer, name);
    return runInNewContext(`(${serializer.slice(start + `const ${name} = `.length, end - 2)})`) as Record<
      string,
      unknown
    >;
  };
  const { start, end } = mapBlock(serializer, 'typeMap');
  const classes = new Set(
    [...serializer.slice(start, end).matchAll(/^ {4}(\w+): \1_1\.\1,$/gm)].map((m) => m[1] as string),
  );
  const required = new Set(
    [...serializer.matchAll(/^const (\w+)_1 = require\("\.\/\1"\);$/gm)].map((m) => m[1] as string),
  );
  if (
    classes.size === 0 ||
    [...required].some((name) => !classes.has(name)) ||
    required.size !== classes.size
  ) {
    throw new Error(
      `${versionDir}: the serializer's requires and its type map do not name the same ${classes.size} models; datadog-client.ts needs a look`,
    );
  }
  const load = createRequire(join(versionDir, 'models', 'ObjectSerializer.js'));
  return {
    enums: new Set(Object.keys(literal('enumsMap'))),
    unions: new Map(Object.entries(literal('oneOfMap') as Record<string, string[]>)),
    classes,
    attributeTypes(name) {
      const model = (
        load(`./${name}.js`) as Record<string, { getAttributeTypeMap(): Record<string, { type: string }> }>
      )[name];
      if (!model) throw new Error(`${versionDir}/models/${name}.js does not export ${name}`);
      return Object.values(model.getAttributeTypeMap()).map((attribute) => attribute.type);
    },
  };
}

/** One name per version of the package and of this file (its text: tsx and vitest compile it differently). */
const REWRITE = createHash('sha256')
  .update(readFileSync(fileURLToPath(import.meta.url)))
  .update(JSON.stringify(DATADOG_CLIENT_MODULES))
  .digest('hex')
  .slice(0, 12);

function copyOf(projectRoot: string): { source: string; version: string; copy: string } {
  const source = join(projectRoot, 'node_modules', PACKAGE);
  const { version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { version: string };
  return { source, version, copy: join(CACHE, `${version}-${REWRITE}`) };
}

/** The `--alias` value for BUNDLING: the package, to its copy. */
export function datadogClientAlias(projectRoot: string): string {
  return `${PACKAGE}=./${copyOf(projectRoot).copy}`;
}

/** Copies a module and, where it has one, its source map. */
function copyModule(from: string, to: string): void {
  cpSync(from, to);
  if (existsSync(`${from}.map`)) cpSync(`${from}.map`, `${to}.map`);
}

const prepared = new Set<string>();

/**
 * Makes the copy `datadogClientAlias` names, where it is missing. Every build through BUNDLING runs
 * it first, as it does `prepareSdkClients`.
 */
export function prepareDatadogClient(projectRoot: string): void {
  if (prepared.has(projectRoot)) return;
  const { source, version, copy } = copyOf(projectRoot);
  const subpath = (module: string): string => module.slice(`${PACKAGE}/`.length);
  const apis = DATADOG_CLIENT_MODULES.map(subpath).filter((module) => /\/apis\/\w+\.js$/.test(module));
  const versions = [...new Set(apis.map((api) => dirname(dirname(api))))];
  // What each API version keeps, read before anything is copied: a package this cannot read makes no copy.
  const kept = versions.map((versionDir) => {
    const serializer = readFileSync(join(source, versionDir, 'models', 'ObjectSerializer.js'), 'utf8');
    const types = typeSourceOf(join(source, versionDir), serializer);
    const mine = apis.filter((api) => dirname(dirname(api)) === versionDir);
    const reached = typesReached(
      mine.map((api) => readFileSync(join(source, api), 'utf8')),
      types,
    );
    const models = [...reached].filter((name) => types.classes.has(name));
    return {
      serializer: {
        file: join(versionDir, 'models', 'ObjectSerializer.js'),
        text: keepTypes(serializer, reached).text,
      },
      modules: [...mine, ...models.map((name) => join(versionDir, 'models', `${name}.js`))],
    };
  });
  placeCopy(
    join(projectRoot, copy),
    (staging) => {
      cpSync(join(source, 'package.json'), join(staging, 'package.json'));
      for (const file of TOP_LEVEL) copyModule(join(source, 'dist', file), join(staging, 'dist', file));
      const common = join('dist', 'packages', 'datadog-api-client-common');
      cpSync(join(source, common), join(staging, common), { recursive: true });
      for (const { serializer, modules } of kept) {
        for (const module of modules) copyModule(join(source, module), join(staging, module));
        writeFileSync(join(staging, serializer.file), serializer.text);
      }
      for (const module of DATADOG_CLIENT_MODULES) {
        if (!existsSync(join(staging, subpath(module)))) {
          throw new Error(
            `${PACKAGE}@${version}: ${module} is not in the copy; datadog-client.ts needs a look`,
          );
        }
      }
    },
    /^\d+\.\d+\.\d+-[0-9a-f]{12}$/,
  );
  prepared.add(projectRoot);
}
