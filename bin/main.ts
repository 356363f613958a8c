/** The `ops` process: runs one command line and exits with its code (bin/ops.mjs loads this). */
import { processIo } from './cli/io.js';
import { runCli } from './ops.js';

runCli(process.argv.slice(2), { io: processIo() }).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`ops: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
