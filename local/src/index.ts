// cdk-sagemaker-ml-local: tools for a synthesized CDK app that uses cdk-sagemaker-ml (or any app with
// SageMaker state machines): the local runtime and the cost estimate. The `cdk-sagemaker-ml-local`
// command (src/cli.ts) runs both from a cloud assembly.
export * from './runtime';
export * from './faults';
export * from './runners';
export { LocalS3, parseS3Uri } from './s3';
export type { S3Location } from './s3';
export { LocalAssembly, findStateMachine, stateMachinePaths } from './assembly';
export type { StateMachineResource } from './assembly';
export * from './cost/price-types';
export * from './cost/price-list';
export * from './cost/cost-estimate';
