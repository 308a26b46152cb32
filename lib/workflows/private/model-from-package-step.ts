import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CREATE_MODEL_RESULT, createModelApi } from '../../jobs/private/create-model-api';
import { SageMakerTask, SageMakerTaskProps } from '../../jobs/sagemaker-task';
import { registerWildcardResource } from '../../private/nag';
import { IModelPackageGroup } from '../../registry/model-package-group';

/** Properties of a ModelFromPackageStep. */
export interface ModelFromPackageStepProps extends SageMakerTaskProps {
  readonly modelPackageGroup: IModelPackageGroup;
  readonly role: iam.IRole;
  readonly modelNamePrefix: string;
  /** The models' VpcConfig (lib/private/subnets.ts `modelVpcConfig`). */
  readonly vpcConfig?: { [key: string]: any };
}

/**
 * `CreateModel` (optimized integration) from the model package version the execution input's
 * `modelPackageArn` names, for ApprovedComponentDeployment (ApprovedModelDeployment has the same
 * step with a VPC config, private to its file). The state machine may describe the group's
 * versions (SageMaker reads the package for the caller) and pass the model's role.
 */
export class ModelFromPackageStep extends SageMakerTask {
  private readonly role: iam.IRole;
  private readonly vpcConfig?: { [key: string]: any };

  constructor(scope: Construct, id: string, props: ModelFromPackageStepProps) {
    super(scope, id, { ...props, resultSelector: CREATE_MODEL_RESULT }, createModelApi(props.modelNamePrefix, 'approved'));
    this.role = props.role;
    this.vpcConfig = props.vpcConfig;
    this.addPassRole(props.role);
    this.taskPolicies!.push(new iam.PolicyStatement({ actions: ['sagemaker:DescribeModelPackage'], resources: [props.modelPackageGroup.modelPackageArns] }));
    registerWildcardResource(this, props.modelPackageGroup.modelPackageArns,
      'The version to deploy is named at run time by the approval event; DescribeModelPackage is limited to the versions of that one group.');
  }

  /** @internal */
  protected _renderRequest(): { [key: string]: any } {
    return { ExecutionRoleArn: this.role.roleArn, Containers: [{ 'ModelPackageName.$': '$.modelPackageArn' }], VpcConfig: this.vpcConfig };
  }
}
