// The construct package's public API, in layer order: each folder uses only those above it here.
// What every job and model stands on.
export * from './images/sagemaker-image';
export * from './images/large-model-image';
export * from './data/ml-data-store';
export * from './data/job-s3-location';
export * from './data/job-config-file';
export * from './roles/sagemaker-execution-role';
export * from './compute/sagemaker-instance-type';
// One SageMaker task a file.
export * from './jobs/sagemaker-task';
export * from './jobs/sagemaker-job-step';
export * from './jobs/channel-data-source';
export * from './jobs/training-job-step';
export * from './jobs/processing-job-step';
export * from './jobs/hyperparameter-tuning-job-step';
export * from './jobs/transform-job-step';
export * from './jobs/create-model-step';
// Hosting: models, the four modes.
export * from './hosting/model-data';
export * from './hosting/sagemaker-model';
export * from './hosting/inference-endpoint';
export * from './hosting/deployable-endpoint';
export * from './hosting/realtime-endpoint-options';
export * from './hosting/realtime-endpoint';
export * from './hosting/serverless-endpoint';
export * from './hosting/async-endpoint';
export * from './hosting/component-endpoint';
export * from './hosting/inference-component-options';
export * from './hosting/inference-component';
// The model registry.
export * from './registry/model-package-group';
// Workflow stages.
export * from './stages/workflow-stage';
export * from './stages/trained-model';
export * from './stages/evaluation-report';
export * from './stages/training-stage';
export * from './stages/processing-stage';
export * from './stages/tuning-stage';
export * from './stages/evaluation-stage';
export * from './stages/create-model-stage';
export * from './stages/register-model-stage';
export * from './stages/transform-stage';
export * from './stages/deploy-stage';
export * from './stages/deploy-component-stage';
export * from './stages/promote-shadow-stage';
// Cross-account sharing and staged promotion.
export * from './accounts/model-promotion';
export * from './accounts/model-source-account';
export * from './accounts/deployment-account';
// Workflows of stages and the presets.
export * from './workflows/workflow-options';
export * from './workflows/sagemaker-workflow';
export * from './workflows/training-workflow-options';
export * from './workflows/training-workflow';
export * from './workflows/approved-model-deployment';
export * from './workflows/approved-component-deployment';
// The lifecycle around them.
export * from './monitoring/model-monitor-image';
export * from './monitoring/data-quality-baseline-step';
export * from './monitoring/feature-drift-alarm';
export * from './monitoring/monitoring-engine';
export * from './monitoring/data-quality-baseline';
export * from './monitoring/data-quality-monitor';
export * from './triggers/retraining-schedule';
export * from './triggers/retraining-on-new-data';
export * from './triggers/deploy-on-approval';
// A team's environment.
export * from './tracking/mlflow-tracking-server';
export * from './domain/team-domain';
