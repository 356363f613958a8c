/** The `ops` process: runs one command line and exits with its code (bin/ops.mjs loads this). */

import * as z from 'zod';
import { processIo } from './cli/io.js';
import { runCli } from './ops.js';

// zod compiles each object schema into a fast parser on its first use. A command that validates one
// stage's config once pays that compile and never gains from it (`ops list`: 4.1× → 3.4× the CPU of
// `node -e 0`, measured interleaved); `replay` and `serve` parse many events and keep the compiled path.
const command = process.argv[2];
if (command !== 'replay' && command !== 'serve') z.config({ jitless: true });

runCli(process.argv.slice(2), { io: processIo() }).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`ops: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
