import { Aws } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * A scalable target for an endpoint variant's instance count that uses Application Auto
 * Scaling's service-linked role for SageMaker. The L2 otherwise defines a role of its own
 * with no permissions, which would fail every scaling call; without `RoleARN` the service
 * creates (if needed) and uses AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint.
 */
export function variantScalableTarget(scope: Construct, id: string, props: {
  readonly endpointName: string;
  readonly variantName: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
}): appscaling.ScalableTarget {
  const serviceLinkedRole = iam.Role.fromRoleArn(scope, `${id}ServiceLinkedRole`,
    `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`);
  const target = new appscaling.ScalableTarget(scope, id, {
    serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
    resourceId: `endpoint/${props.endpointName}/variant/${props.variantName}`,
    scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
    minCapacity: props.minCapacity,
    maxCapacity: props.maxCapacity,
    role: serviceLinkedRole,
  });
  (target.node.defaultChild as appscaling.CfnScalableTarget).addPropertyDeletionOverride('RoleARN');
  return target;
}
