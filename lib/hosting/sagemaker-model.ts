import { IResource, Resource, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { ModelData } from './model-data';
import { SageMakerImage } from '../images/sagemaker-image';
import { selectPrivateSubnets } from '../private/subnets';
import { fail, validateEnvironment, validateIn } from '../private/validate';
import { SageMakerExecutionRole } from '../roles/sagemaker-execution-role';

/**
 * A SageMaker model.
 */
export interface ISageMakerModel extends IResource, iam.IGrantable {
  /**
   * The model's name.
   * @attribute
   */
  readonly modelName: string;
  /**
   * The model's ARN.
   * @attribute
   */
  readonly modelArn: string;
  /** The model's execution role, if known. */
  readonly role?: iam.IRole;
}

/**
 * Attributes of a model to import.
 */
export interface SageMakerModelAttributes {
  /** The model's name. */
  readonly modelName: string;
  /**
   * The model's execution role.
   *
   * @default - unknown: constructs that must grant the role access refuse the model
   */
  readonly role?: iam.IRole;
}

/**
 * Properties of a SageMakerModel.
 */
export interface SageMakerModelProps {
  /** The serving image: it answers `GET /ping` and `POST /invocations` on port 8080. */
  readonly image: SageMakerImage;

  /**
   * The model artifacts, unpacked to `/opt/ml/model` in the container.
   *
   * @default - none (the image carries the model)
   */
  readonly modelData?: ModelData;

  /**
   * Environment variables of the container.
   *
   * @default - none
   */
  readonly environment?: { [key: string]: string };

  /**
   * The model's execution role.
   *
   * @default - a SageMakerExecutionRole is defined
   */
  readonly role?: iam.IRole;

  /**
   * The VPC the model's containers run in.
   *
   * @default - no VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets of the VPC.
   *
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The security groups of the model's network interfaces.
   *
   * @default - with a VPC, a security group that allows all outbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Whether the container is isolated from the network.
   *
   * @default false
   */
  readonly enableNetworkIsolation?: boolean;
}

/**
 * A SageMaker model: an image, its artifacts and a least-privilege role, ready to be
 * served by any of the hosting modes.
 *
 * Defined on `CfnModel` rather than `@aws-cdk/aws-sagemaker-alpha`'s `Model`: the alpha
 * model's default role carries AmazonSageMakerFullAccess and its images do not take a
 * `SageMakerImage` (ECR pull through this library's scoped grants).
 */
export class SageMakerModel extends Resource implements ISageMakerModel, ec2.IConnectable {
  /**
   * Imports a model by name. Constructs that grant the model's role access (endpoint
   * outputs, data capture, batch transform) need the role: use `fromModelAttributes`.
   */
  public static fromModelName(scope: Construct, id: string, modelName: string): ISageMakerModel {
    return SageMakerModel.fromModelAttributes(scope, id, { modelName });
  }

  /**
   * Imports a model by name, with its execution role.
   */
  public static fromModelAttributes(scope: Construct, id: string, attrs: SageMakerModelAttributes): ISageMakerModel {
    class Import extends Resource implements ISageMakerModel {
      public readonly modelName = attrs.modelName;
      public readonly modelArn = Stack.of(scope).formatArn({ service: 'sagemaker', resource: 'model', resourceName: attrs.modelName });
      public readonly role = attrs.role;
      public readonly grantPrincipal: iam.IPrincipal = attrs.role ?? new iam.UnknownPrincipal({ resource: this });
    }
    return new Import(scope, id);
  }

  public readonly modelName: string;
  public readonly modelArn: string;
  public readonly role?: iam.IRole;
  public readonly grantPrincipal: iam.IPrincipal;
  public readonly connections: ec2.Connections;
  /**
   * Whether the model's data is uncompressed files under an S3 prefix
   * (`ModelData.fromS3Prefix`: `ModelDataSource`), which SageMaker does not take for batch
   * transform, serverless endpoints or multi-model endpoints.
   */
  public readonly uncompressedModelData: boolean;

  constructor(scope: Construct, id: string, props: SageMakerModelProps) {
    super(scope, id);
    validateIn(this, () => {
      validateEnvironment('environment', props.environment, { maxEntries: 100, maxKeyLength: 1024, maxValueLength: 1024 });
      if (props.vpcSubnets && !props.vpc) fail('vpcSubnets requires vpc');
      if (props.securityGroups && !props.vpc) fail('securityGroups requires vpc');
    });

    const ownRole = props.role ? undefined : new SageMakerExecutionRole(this, 'Role', { vpcAccess: props.vpc !== undefined });
    const role = props.role ?? ownRole!.role;
    this.role = role;
    this.grantPrincipal = role;

    const securityGroups = props.vpc
      ? props.securityGroups ?? [new ec2.SecurityGroup(this, 'SecurityGroup', { vpc: props.vpc, description: 'SageMaker model network interfaces', allowAllOutbound: true })]
      : [];
    this.connections = new ec2.Connections({ securityGroups });

    const image = validateIn(this, () => props.image.bind(this, role));
    const modelData = validateIn(this, () => props.modelData?.bind(this, role));
    this.uncompressedModelData = modelData?.uncompressedPrefix ?? false;
    const resource = new sagemaker.CfnModel(this, 'Resource', {
      executionRoleArn: role.roleArn,
      primaryContainer: {
        image: image.imageUri,
        modelDataUrl: modelData?.uncompressedPrefix ? undefined : modelData?.uri,
        modelDataSource: modelData?.uncompressedPrefix
          ? { s3DataSource: { s3Uri: modelData.uri, s3DataType: 'S3Prefix', compressionType: 'None' } }
          : undefined,
        environment: props.environment,
      },
      enableNetworkIsolation: props.enableNetworkIsolation,
      vpcConfig: props.vpc ? {
        securityGroupIds: securityGroups.map(sg => sg.securityGroupId),
        subnets: selectPrivateSubnets(this, props.vpc, props.vpcSubnets, 'a model').subnetIds,
      } : undefined,
    });
    // SageMaker checks the role's access when the model is defined: wait for its policies.
    resource.node.addDependency(ownRole ?? role);
    this.modelName = resource.attrModelName;
    this.modelArn = resource.ref;
  }
}
