// The reference stacks: one deployable stack per capability, built from the construct package
// (they live beside the reference app, not in its API: they use this repository's example image).
export * from './training-stack';
export * from './hosting-stacks';
export * from './inference-components-stack';
export * from './large-model-stack';
export * from './team-domain-stack';
export * from './lifecycle-stacks';
