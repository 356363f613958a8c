// Tags that are a contract between the platform and the automation: plain constants, no schema, so a
// Lambda that needs one does not load the stage configuration's zod schema for it.

/**
 * The tag the protected StorageClass (`gp3-protected`, reclaim policy `Retain`) puts on every volume
 * it provisions (EBS CSI driver `tagSpecification_N` parameter). Only a volume carrying it may be
 * deleted by the snapshot runbook's reclaim run, and only after its snapshot completed; IAM says the same
 * (`ec2:DeleteVolume` conditioned on this resource tag). See README "Protected volumes".
 */
export const RECLAIM_TAG = { key: 'ops-automation:reclaim', value: 'after-snapshot' } as const;
