/**
 * The CloudFormation resource types the library's stacks and a team's usual surroundings define.
 * aws-cdk-lib's schema validation builds its engine for the types of a synthesis and builds it
 * again (seconds) for a synthesis with a type it lacks: BackgroundCloudFormationValidatePlugin
 * warms its worker's engine with one resource of each, and the bad-input search keeps the test
 * process's engine built for them (test/compliance/property/harness.ts).
 */
export const USUAL_RESOURCE_TYPES: readonly string[] = [
  ...[
    'ApplicationAutoScaling::ScalableTarget', 'ApplicationAutoScaling::ScalingPolicy', 'CDK::Metadata', 'CloudWatch::Alarm',
    'EC2::FlowLog', 'EC2::RouteTable', 'EC2::Route', 'EC2::SecurityGroup', 'EC2::SecurityGroupIngress', 'EC2::SecurityGroupEgress',
    'EC2::Subnet', 'EC2::SubnetRouteTableAssociation', 'EC2::VPC', 'EC2::VPCEndpoint', 'EC2::InternetGateway',
    'EC2::VPCGatewayAttachment', 'EC2::NatGateway', 'EC2::EIP', 'ECR::Repository', 'Events::Rule', 'Events::EventBus',
    'Events::EventBusPolicy', 'IAM::ManagedPolicy', 'IAM::Policy', 'IAM::Role', 'KMS::Alias', 'KMS::Key', 'Lambda::Function',
    'Logs::LogGroup', 'S3::Bucket', 'S3::BucketPolicy', 'SNS::Subscription', 'SNS::Topic', 'SNS::TopicPolicy', 'SQS::Queue',
    'SQS::QueuePolicy', 'SageMaker::DataQualityJobDefinition', 'SageMaker::Domain', 'SageMaker::Endpoint',
    'SageMaker::EndpointConfig', 'SageMaker::InferenceComponent', 'SageMaker::MlflowTrackingServer', 'SageMaker::Model', 'SageMaker::ModelPackageGroup',
    'SageMaker::MonitoringSchedule', 'SageMaker::UserProfile', 'Scheduler::Schedule', 'StepFunctions::StateMachine',
  ].map(t => `AWS::${t}`),
  // A bucket with autoDeleteObjects (a team's scratch bucket).
  'Custom::S3AutoDeleteObjects',
];
