/** The rule kit lives with the runbooks (their rules use it); the intake's cross-cutting rules share it. */
export * from '../../../runbooks/policy.js';
