/**
 * Tags every scratch resource carries, so a sweeper finds anything a crashed run left behind. A
 * module of their own: the sweep step reads them without loading ./logic.ts, whose schemas would
 * bring classic zod into its bundle (README, "Cold load").
 */
export const SCRATCH_TAG = { key: 'ops-automation:scratch', value: 'true' } as const;
export const EXECUTION_TAG_KEY = 'ops-automation:execution';
