/**
 * The main job: synthesise the whole CDK app offline (no credentials, no network) and
 * print what it contains: stacks, runbooks, event rules, schedules, functions, alarms.
 * `npm run synth [-- --stage dev]`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}

const args = process.argv.slice(2);
const stageIndex = args.indexOf('--stage');
const stage = stageIndex >= 0 ? args[stageIndex + 1] : undefined;
const outDir = 'cdk.out';

const started = Date.now();
const cdkArgs = ['cdk', 'synth', '--quiet', '--output', outDir, ...(stage ? ['-c', `stage=${stage}`] : [])];
const env = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', CDK_DISABLE_VERSION_CHECK: '1' };
const synth = spawnSync('npx', cdkArgs, { stdio: ['ignore', 'inherit', 'inherit'], env });
if (synth.status !== 0) {
  console.error(`\nsynth failed (exit ${synth.status}); see the errors above.`);
  process.exit(synth.status ?? 1);
}
const seconds = ((Date.now() - started) / 1000).toFixed(1);

// The manifest lists exactly what this synth produced (the folder may hold older templates).
interface Manifest {
  artifacts?: Record<string, { type: string; properties?: { templateFile?: string } }>;
}
const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as Manifest;
const templates = Object.values(manifest.artifacts ?? {})
  .filter((a) => a.type === 'aws:cloudformation:stack' && a.properties?.templateFile)
  .map((a) => a.properties?.templateFile as string);
type Named = [logicalId: string, resource: Resource];
const nameOf = ([id, r]: Named, prop: string) => {
  const v = r.Properties?.[prop];
  return typeof v === 'string' ? v : id;
};
const counts = (rs: Named[], type: string) => rs.filter(([, r]) => r.Type === type);

console.log(
  `\nSynthesised ${templates.length} stacks in ${seconds}s into ${outDir}/ (offline, no AWS credentials)\n`,
);
const totals = { resources: 0, functions: 0, stateMachines: 0, rules: 0, schedules: 0, alarms: 0 };
for (const file of templates.sort()) {
  const template = JSON.parse(readFileSync(join(outDir, file), 'utf8')) as {
    Resources?: Record<string, Resource>;
  };
  const named = Object.entries(template.Resources ?? {});
  const resources = named.map(([, r]) => r);
  const functions = counts(named, 'AWS::Lambda::Function');
  const machines = counts(named, 'AWS::StepFunctions::StateMachine');
  const rules = counts(named, 'AWS::Events::Rule');
  const schedules = counts(named, 'AWS::Scheduler::Schedule');
  const alarms = counts(named, 'AWS::CloudWatch::Alarm');
  totals.resources += resources.length;
  totals.functions += functions.length;
  totals.stateMachines += machines.length;
  totals.rules += rules.length;
  totals.schedules += schedules.length;
  totals.alarms += alarms.length;
  console.log(`${file.replace('.template.json', '')}: ${resources.length} resources`);
  const byType = new Map<string, number>();
  for (const r of resources) byType.set(r.Type, (byType.get(r.Type) ?? 0) + 1);
  const top = [...byType.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(`  top types: ${top.map(([t, n]) => `${t.replace('AWS::', '')}×${n}`).join(', ')}`);
  if (machines.length) {
    console.log(
      `  runbooks (state machines): ${machines.map((m) => nameOf(m, 'StateMachineName')).join(', ')}`,
    );
  }
  if (rules.length) console.log(`  event rules: ${rules.map((r) => nameOf(r, 'Name')).join(', ')}`);
  if (schedules.length) console.log(`  schedules: ${schedules.map((x) => nameOf(x, 'Name')).join(', ')}`);
  if (functions.length)
    console.log(`  functions: ${functions.map((f) => nameOf(f, 'FunctionName')).join(', ')}`);
  if (alarms.length) console.log(`  alarms: ${alarms.length}`);
  console.log('');
}
console.log(
  `Total: ${totals.resources} resources, ${totals.stateMachines} state machines, ${totals.functions} functions, ` +
    `${totals.rules} event rules, ${totals.schedules} schedules, ${totals.alarms} alarms.`,
);
// What the validation plugins (cdk-nag AwsSolutions, the platform checks, CloudFormation's own) concluded.
interface ValidationReport {
  pluginReports?: {
    pluginName: string;
    conclusion: string;
    violations?: unknown[];
    suppressedViolations?: unknown[];
  }[];
}
try {
  const report = JSON.parse(readFileSync(join(outDir, 'validation-report.json'), 'utf8')) as ValidationReport;
  for (const p of report.pluginReports ?? []) {
    console.log(
      `validation ${p.pluginName}: ${p.conclusion}, ${p.violations?.length ?? 0} findings, ` +
        `${p.suppressedViolations?.length ?? 0} acknowledged with a reason`,
    );
  }
} catch {
  console.log('validation: no report written (cdk.out/validation-report.json is missing)');
}
// cdk-nag and the platform checks write to the report only when they find something, and any
// finding fails synth, so reaching this line means both passed.
console.log(
  'validation AwsSolutions (cdk-nag) and platform checks: passed, 0 findings (a finding fails synth)',
);
